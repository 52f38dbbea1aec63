"""When part of the work fails, the answer says which part and gives what is still known."""
from __future__ import annotations

from support.faultproxy import Fault, FaultProxy

from incidentbot.config import settings_from
from incidentbot.pipeline import Runtime, investigate

NAME = "orders-inventory-deploy"


def test_slow_pattern_probes_fall_back_to_sample_estimates(scenarios, es_url) -> None:
    sc = scenarios[NAME]
    proxy = FaultProxy(es_url, [Fault(r"", "hold", body=b'"examples"', hold_s=10.0)])  # the pattern probes, late
    try:
        settings = settings_from(env={}, es_url=proxy.url, logs_index=sc.logs_index,
                                 changes_index=sc.changes_index, catalog_path=str(sc.catalog_path), at=sc.now)
        settings.request_timeout_s = 4.0
        answer = investigate(sc.questions[0]["ask"], Runtime.create(settings, env={}))
    finally:
        proxy.stop()
    assert any("estimates from a sample" in n and "did not answer" in n for n in answer.notes), answer.notes
    assert answer.evidence.patterns and answer.evidence.lines
    assert answer.suspects[0].change.id == sc.questions[0]["expect"]["culprit"]
    assert answer.evidence.onset is not None


def test_a_failing_change_source_is_named_and_the_answer_goes_on(scenarios, es_url, tmp_path) -> None:
    sc = scenarios[NAME]
    broken = tmp_path / "changes.ndjson"
    broken.write_text('{"id": "x", "kind": \n')
    settings = settings_from(env={"INCIDENTBOT_CHANGES_FILE": str(broken)}, es_url=es_url, logs_index=sc.logs_index,
                             changes_index=sc.changes_index, catalog_path=str(sc.catalog_path), at=sc.now)
    rt = Runtime.create(settings)
    answer = investigate(sc.questions[0]["ask"], rt)
    failed = [s for s in answer.sources if not s.ok]
    assert [s.name for s in failed] == [f"file:{broken}"] and "1" in (failed[0].error or "")
    assert any("failed" in n for n in answer.notes)
    assert answer.suspects and answer.suspects[0].change.id == sc.questions[0]["expect"]["culprit"]
