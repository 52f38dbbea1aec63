"""The intent's parts are declared once (core.intent.IntentParts): a parse hands all of them to the Intent and its JSON."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from incidentbot.core.catalog import Catalog
from incidentbot.core.intent import Intent, IntentParts
from incidentbot.question.parse import parse_question

AT = datetime(2026, 3, 14, 14, 32, tzinfo=timezone.utc)
KNOWN = ["checkout", "payments", "cart"]


def _intent(question: str) -> Intent:
    parsed = parse_question(question, AT, KNOWN, Catalog())
    return Intent(question=question, start=AT - timedelta(hours=1), end=AT, **parsed.parts())


def test_every_part_the_parser_read_reaches_the_intent_and_its_json() -> None:
    question = ('which hosts are throwing 5xx on checkout version 2.31.0 in eu-west-1, trace id 4bf92f3577b34da6, '
                'mentioning "deadline exceeded" excluding health checks')
    parsed = parse_question(question, AT, KNOWN, Catalog())
    intent = _intent(question)
    out = intent.to_json()
    for name in IntentParts.model_fields:
        assert getattr(intent, name) == getattr(parsed, name), name
    assert out["services"] == ["checkout"] and out["status"] == ["5xx"] and out["group_by"] == "host"
    assert out["versions"] == ["2.31.0"] and out["regions"] == ["eu-west-1"] and out["traces"] == ["4bf92f3577b34da6"]
    assert out["text"] == ["deadline exceeded"] and "/healthz" in out["exclude_text"]


def test_a_latency_measure_reaches_the_json() -> None:
    out = _intent("p99 of checkout requests slower than 800ms in the last hour").to_json()
    assert out["symptom"] == "latency" and out["slower_than_ms"] == 800.0 and out["percentile"] == 99.0


def test_the_json_names_every_part_in_the_contract_order() -> None:
    out = _intent("how many 502s on payments").to_json()
    assert set(IntentParts.model_fields) <= set(out)
    assert list(out)[:6] == ["ask", "services", "related_services", "start", "end", "window_named"]
    assert list(out)[-1] == "notes" and out["status"] == ["502"] and out["ask"] == "count"
