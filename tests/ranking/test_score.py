"""Ranking: printed factors, changes after the onset and rollbacks excluded, abstention."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from incidentbot.core.catalog import Catalog, ServiceInfo
from incidentbot.core.change import Change
from incidentbot.core.evidence import Pattern
from incidentbot.ranking.factors import Context
from incidentbot.ranking.score import rank_changes

ONSET = datetime(2026, 3, 14, 14, 4, tzinfo=timezone.utc)
CATALOG = Catalog({"checkout": ServiceInfo("checkout", depends_on=["payments"]), "payments": ServiceInfo("payments")})


def ch(cid: str, minutes_before: float, kind: str = "deploy", service: str = "payments", title: str = "x",
       **kw) -> Change:
    return Change.model_validate({"id": cid, "@timestamp": ONSET - timedelta(minutes=minutes_before), "kind": kind,
                                  "service": service, "title": title, **kw})


def pattern(template: str, services: list[str], new: bool = True) -> Pattern:
    return Pattern("P1", template, 100, 0, new, None, None, services, 100.0, ["E1"])


def ctx(**kw) -> Context:
    base = dict(onset=ONSET, asked_services=["checkout"], failing_services=["checkout", "payments"],
                patterns=[pattern("connection pool exhausted after <*>ms", ["payments"])], concentrations=[],
                catalog=CATALOG)
    base.update(kw)
    return Context(**base)


def test_evidence_beats_nearness() -> None:
    near = ch("flag-1", 1, kind="feature_flag", service="checkout", title="new button colour")
    culprit = ch("deploy-2", 5, title="connection pool refactor", config_keys=["db.pool.max_size"])
    out = rank_changes([near, culprit], ctx())
    assert out[0].change.id == "deploy-2" and out[0].confidence == "high"
    assert any("pool" in r for r in out[0].reasons)
    assert any("before the onset" in r for r in out[0].reasons)


def test_change_after_onset_and_rollback_are_not_causes() -> None:
    after = ch("deploy-3", -10, title="connection pool fix")
    rollback = ch("rb-1", 3, kind="rollback", title="roll back connection pool")
    culprit = ch("deploy-2", 8, title="connection pool refactor")
    out = rank_changes([after, rollback, culprit], ctx())
    assert out[0].change.id == "deploy-2"
    by_id = {s.change.id: s for s in out}
    assert by_id["deploy-3"].score <= 0.1 and any("after the onset" in r for r in by_id["deploy-3"].reasons)
    assert by_id["rb-1"].confidence == "low"


def test_no_onset_means_no_high_confidence() -> None:
    out = rank_changes([ch("deploy-2", 5, title="connection pool refactor")], ctx(onset=None))
    assert out and all(s.confidence != "high" for s in out)


def test_unrelated_changes_are_not_high() -> None:
    out = rank_changes([ch("cfg-9", 10, kind="config", service="search", title="bump cache ttl")],
                       ctx(patterns=[pattern("stripe upstream returned <*>", ["payments"])]))
    assert all(s.confidence != "high" for s in out)


def test_two_close_suspects_are_not_both_high() -> None:
    a = ch("deploy-a", 3, title="connection pool refactor")
    b = ch("deploy-b", 3, title="connection pool rework")
    out = rank_changes([a, b], ctx())
    assert sum(s.confidence == "high" for s in out) <= 1


def test_history_prior_weighs_services_that_were_rolled_back() -> None:
    from incidentbot.ranking.history import risk_flag, risk_priors

    past = []
    for day in range(1, 4):
        past.append(ch(f"deploy-old{day}", 60 * 24 * day, title="x"))
        past.append(ch(f"rb-old{day}", 60 * 24 * day - 30, kind="rollback", title="revert"))
    past.append(ch("deploy-cart", 60 * 24 * 2, service="cart", title="y"))
    priors = risk_priors(past)
    assert priors[("payments", "deploy")].rolled_back == 3
    assert priors[("cart", "deploy")].rolled_back == 0
    new = ch("deploy-new", 5, title="z")
    flag, reason = risk_flag(new, priors)
    assert flag == "high" and "3 of the last 3" in reason
    ranked = rank_changes([new], ctx(priors=priors))
    assert any("rolled back" in r for r in ranked[0].reasons)
    assert ranked[0].factors["history"] > rank_changes([new], ctx())[0].factors["history"]


def test_a_log_line_quoting_a_change_title_does_not_raise_its_score() -> None:
    """Issue 13: a deploy log quoting its own title (or any line before the onset) is not evidence."""
    quoted = ch("deploy-7", 6, service="inventory", title="inventory: switch stock reservations to ledger client")
    other = ch("deploy-8", 6, service="inventory", title="inventory: tidy logging")
    announce = Pattern("P2", "deploy started inventory: switch stock reservations to ledger client", 40, 0, True,
                       (ONSET - timedelta(minutes=6)).isoformat(), None, ["inventory"], 1.0, ["E2"])
    with_quote = rank_changes([quoted, other], ctx(patterns=[pattern("connection pool exhausted after <*>ms",
                                                                     ["payments"]), announce]))
    without = rank_changes([quoted, other], ctx())
    score = {s.change.id: s.score for s in with_quote}
    assert score["deploy-7"] == {s.change.id: s.score for s in without}["deploy-7"]
    assert not any("[P2]" in r for s in with_quote for r in s.reasons)


def test_a_new_pattern_that_rose_with_the_onset_still_ties() -> None:
    culprit = ch("deploy-2", 5, title="ledger client rewrite", config_keys=["ledger.client.timeout"])
    effect = Pattern("P1", "ledger client timeout after <*>ms", 120, 0, True, ONSET.isoformat(), None,
                     ["checkout"], 120.0, ["E1"])
    few = Pattern("P1", "ledger client timeout after <*>ms", 1, 0, True, ONSET.isoformat(), None,
                  ["checkout"], 1.0, ["E1"])
    assert any("ledger" in r for r in rank_changes([culprit], ctx(patterns=[effect]))[0].reasons)
    assert not any("ledger" in r for r in rank_changes([culprit], ctx(patterns=[few]))[0].reasons)
