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
