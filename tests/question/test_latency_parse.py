"""Latency questions in the deterministic parser: what counts as slowness, and what stays an error question."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from incidentbot.core.catalog import Catalog
from incidentbot.question.parse import parse_question

AT = datetime(2026, 3, 1, 11, 0, tzinfo=timezone.utc)
KNOWN = ["search", "orders-api", "login", "billing", "checkout"]


@pytest.mark.parametrize("text,ask,percentile,slower,group", [
    ("why is search sluggish?", "investigate", None, None, None),
    ("what's the p99 of orders-api over the last hour?", "count", 99.0, None, None),
    ("how many login requests were slower than 800ms since 10:15?", "count", None, 800.0, None),
    ("slowest endpoints of billing", "count", None, None, "path"),
    ("median response time of billing in the past 30 minutes", "count", 50.0, None, None),
    ("how many orders-api requests took over 2s today", "count", None, 2000.0, None),
    ("is checkout taking too long?", "investigate", None, None, None),
])
def test_slowness_is_read_with_its_figures(text, ask, percentile, slower, group) -> None:
    p = parse_question(text, AT, KNOWN, Catalog())
    assert (p.symptom, p.ask, p.percentile, p.slower_than_ms, p.group_by) == ("latency", ask, percentile, slower, group)
    assert p.services and not p.levels and not p.status and not p.text


@pytest.mark.parametrize("text", [
    "why is checkout slow and throwing 500s?",
    "partner-portal slow request warnings since 12:00",
    "how many errors did search log in the last hour?",
    "is search failing since 10:30?",
])
def test_failures_stay_error_questions(text) -> None:
    p = parse_question(text, AT, KNOWN + ["partner-portal"], Catalog())
    assert p.symptom == "errors" and p.percentile is None and p.slower_than_ms is None
