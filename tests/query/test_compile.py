"""The compiler: bounded, time-limited queries, user text only in phrase queries."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from incidentbot.query.compile import main_query, template_runs
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent, StatusFilter

FM = FieldMap(timestamp="@timestamp", service="service", level="level", message="msg", status="status",
              level_values={"error": ["ERROR", "err"], "warn": ["WARN"]})


def _intent(**kw) -> Intent:
    base = dict(question="q", ask="count", start=datetime(2026, 1, 1, 14, tzinfo=timezone.utc),
                end=datetime(2026, 1, 1, 14, 30, tzinfo=timezone.utc), window_named=True)
    base.update(kw)
    return Intent(**base)


def test_count_query_is_exact_bounded_and_inclusive() -> None:
    body = main_query(_intent(services=["payments"], levels=["error"]), FM, "logs-*", "20s")
    assert body["track_total_hits"] is True and body["size"] == 0 and body["timeout"] == "20s"
    filters = body["query"]["bool"]["filter"]
    assert {"terms": {"service": ["payments"]}} in filters
    assert {"terms": {"level": ["ERROR", "err"]}} in filters
    rng = next(f["range"]["@timestamp"] for f in filters if "range" in f)
    assert rng["gte"] == "2026-01-01T14:00:00.000Z" and rng["lte"] == "2026-01-01T14:30:00.000Z"


def test_status_class_and_code() -> None:
    body = main_query(_intent(status=[StatusFilter(low=500, high=599), StatusFilter(low=429, high=429)]), FM, "l", "5s")
    text = json.dumps(body)
    assert '"range": {"status": {"gte": 500, "lte": 599}}' in text and '"term": {"status": 429}' in text


def test_user_text_goes_to_match_phrase_only() -> None:
    body = main_query(_intent(text=['" OR *:*'], exclude_text=["/healthz"]), FM, "l", "5s")
    text = json.dumps(body)
    assert "query_string" not in text and "match_phrase" in text


def test_investigation_defaults_to_failing_lines() -> None:
    body = main_query(_intent(ask="investigate"), FM, "l", "5s")
    assert "should" in json.dumps(body)


def test_template_runs_skip_glued_variables() -> None:
    assert template_runs("connection pool exhausted after <*>ms waiting for a connection") == [
        "connection pool exhausted after", "waiting for a connection"]
    assert template_runs("<*> <*>") == []
