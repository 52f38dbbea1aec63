"""A store too slow for part of an answer: the rest is answered, and the answer says what is missing.

A local proxy in front of the real server holds back the searches that ask
for a date histogram (the rate round, and the probes' per-bucket counts) for
longer than the request timeout; everything else passes. The question is
still answered through `ask --json`, exit 0, with its exact count, no onset,
and notes that name what timed out, instead of failing as "unreachable".
"""
from __future__ import annotations

from support.faultproxy import Fault, FaultProxy
from support.servers import one_server, parse_json, scenario_args

pytestmark = one_server()
HOLD_S = 6.0


def test_the_rest_is_answered_when_the_rate_round_times_out(es_url, scenarios, run_cli, monkeypatch):
    sc = scenarios["ledger-canary-deploy"]
    held = Fault(r"_msearch", "hold", body=b"date_histogram", hold_s=HOLD_S)  # longer than the 3 s timeout
    proxy = FaultProxy(es_url, [held])
    monkeypatch.setenv("INCIDENTBOT_ES_TIMEOUT_S", "3")
    try:
        args = scenario_args(sc, proxy.url)
        q = next(q for q in sc.questions if q["ask"].startswith("how many 5xx"))
        code, out, err = run_cli("ask", q["ask"], "--at", sc.now, "--json", *args)
        assert code == 0, err
        ans = parse_json(out)
        assert ans["log_query"]["hits"] == q["expect"]["hits"]  # the count is exact all the same
        assert ans["onset"] is None and held.used >= 1
        notes = " ".join(ans["notes"])
        assert "rate histograms timed out" in notes and "lean answer" in notes
        assert f"[{ans['log_query']['id']}]" in ans["summary"]
    finally:
        proxy.stop()


def test_a_store_slow_for_every_search_gets_only_what_fits_the_deadline(es_url, scenarios, run_cli, monkeypatch):
    """Every search held back: the pace is learnt on the first rounds, and what would end past the deadline
    is not sent at all (a scanning store runs what it is sent, whether or not anyone still waits for it)."""
    sc = scenarios["ledger-canary-deploy"]
    held = Fault(r"_msearch", "hold", hold_s=1.5)
    proxy = FaultProxy(es_url, [held])
    monkeypatch.setenv("INCIDENTBOT_ANSWER_DEADLINE_S", "6")
    try:
        q = next(q for q in sc.questions if q["ask"].startswith("why"))
        code, out, err = run_cli("ask", q["ask"], "--at", sc.now, "--json", *scenario_args(sc, proxy.url))
        assert code == 0, err
        ans = parse_json(out)
        notes = " ".join(ans["notes"])
        assert ans["onset"] == q["expect"]["onset"]  # the rate round fitted
        assert "sampled lines were not searched" in notes and "log store takes" in notes, notes
        assert "did not finish within" not in notes and not ans["partial"], (notes, ans["partial"])
        assert ans["log_query"]["hits"] > 0 and f"[{ans['log_query']['id']}]" in ans["summary"]
        # field values, the rate round and the count: nothing was sent that the answer could not wait for
        assert held.used == 3, held.used
    finally:
        proxy.stop()
