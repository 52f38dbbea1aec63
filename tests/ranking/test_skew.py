"""Time skew: records stamped at a rollout's end, start times, and what the first failing lines ran."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidentbot.core.catalog import Catalog, ServiceInfo
from incidentbot.core.change import Change
from incidentbot.core.evidence import Concentration, EvidenceLine, Pattern
from incidentbot.ranking.factors import Context
from incidentbot.ranking.score import rank_changes

ONSET = datetime(2026, 3, 14, 14, 4, tzinfo=UTC)
CATALOG = Catalog({"router": ServiceInfo("router", depends_on=["rates"]), "rates": ServiceInfo("rates")})


def change(cid: str, minutes_after: float, service: str = "router", kind: str = "deploy", **kw) -> Change:
    return Change.model_validate({"id": cid, "@timestamp": ONSET + timedelta(minutes=minutes_after), "kind": kind,
                                  "service": service, "title": f"{service} release", **kw})


def ctx(first_version: str | None, concentrated: str | None = None) -> Context:
    pattern = Pattern("P1", "carrier selection panicked: index out of range", 300, 0, True,
                      "2026-03-14T14:04:10Z", None, ["router"], 300.0, ["E1"])
    line = EvidenceLine("E1", "logs", "d1", "2026-03-14T14:04:10Z", "router", "carrier selection panicked",
                        version=first_version, pattern_id="P1")
    conc = [Concentration("version", concentrated, 1.0, 0.0, 0.4)] if concentrated else []
    return Context(onset=ONSET, asked_services=["router"], failing_services=["router"], patterns=[pattern],
                   concentrations=conc, catalog=CATALOG, lines=[line])


def test_a_rollout_recorded_at_its_end_keeps_a_stated_skew_and_its_version_ties_it() -> None:
    late = change("argo-1", 3, version="3.11.0")
    decoy = change("cfg-1", -8, service="rates", kind="config")
    out = rank_changes([decoy, late], ctx("3.11.0", concentrated="3.11.0"))
    assert out[0].change.id == "argo-1" and out[0].confidence == "high"
    assert any("recorded 3m after the onset" in r and "rollout's end" in r for r in out[0].reasons), out[0].reasons


def test_without_a_version_tie_a_skewed_change_is_never_high() -> None:
    late = change("argo-1", 3, version="3.11.0")
    out = rank_changes([late], ctx(None))
    assert out[0].confidence != "high" and out[0].score > 0.1


def test_a_deploy_after_the_onset_whose_first_failures_ran_the_old_version_did_not_start_it() -> None:
    late = change("deploy-9", 4, version="5.5.1")
    out = rank_changes([late], ctx("5.5.0", concentrated="5.5.1"))
    assert out[0].score <= 0.1 and out[0].confidence == "low"
    assert any("after the onset" in r for r in out[0].reasons)


def test_skew_is_bounded_and_only_for_rollouts() -> None:
    # without a failing line that ran the change's version, 7 minutes is the most a record may lag
    out = {s.change.id: s for s in rank_changes([change("deploy-late", 12, version="3.11.0"),
                                                 change("cfg-late", 2, kind="config")], ctx(None))}
    assert out["deploy-late"].score <= 0.1 and out["cfg-late"].score <= 0.1


def test_a_start_time_is_the_time_that_counts() -> None:
    started = change("spin-1", 30, version="3.11.0", started_at=(ONSET - timedelta(minutes=1)).isoformat())
    out = rank_changes([started], ctx("3.11.0", "3.11.0"))
    assert out[0].factors["timing"] > 0.9
    assert any("began 1m before the onset (recorded at its end" in r for r in out[0].reasons), out[0].reasons


def test_a_long_rollout_recorded_well_after_the_onset_counts_when_the_first_failure_ran_its_version() -> None:
    late = change("argo-2", 25, version="3.11.0")
    out = rank_changes([late, change("cfg-1", -8, service="rates", kind="config")], ctx("3.11.0", "3.11.0"))
    assert out[0].change.id == "argo-2"
    assert any("first failing line [E1] already ran its version 3.11.0" in r for r in out[0].reasons), out[0].reasons
    # the same record without that proof is after the onset, and no cause
    assert rank_changes([late], ctx("3.10.4"))[0].score <= 0.1
