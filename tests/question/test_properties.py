"""Property tests: arbitrary text never crashes the parser or yields an unbounded query."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from incidentbot.core.catalog import Catalog
from incidentbot.query.compile import MAX_SIZE, main_query
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent
from incidentbot.question.parse import parse_question

AT = datetime(2026, 3, 14, 14, 32, tzinfo=timezone.utc)
KNOWN = ["checkout", "payments", "api-gateway"]
FM = FieldMap(service="service.name", level="log.level", message="message", status="http.response.status_code",
              path="url.path")
WORDS = st.sampled_from(["errors", "5xx", "502s", "last", "30", "minutes", "since", "14:05", "between", "and",
                         "UTC", "CET", "checkout", "paymnets", '"', "'", "OR", "*:*", "\\", "<script>", "not",
                         "/healthz", "excluding", "how", "many", "around", "2pm", "10", "years", "mentioning"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=25).map(" ".join)))
def test_any_text_parses_and_compiles_bounded(text: str) -> None:
    parsed = parse_question(text, AT, KNOWN, Catalog())
    if parsed.window is not None:
        assert parsed.window.start <= parsed.window.end + timedelta(days=1)
        assert parsed.window.end - parsed.window.start <= timedelta(days=31)
    intent = Intent(question=text or "x", **parsed.parts(),
                    start=parsed.window.start if parsed.window else AT - timedelta(hours=1),
                    end=parsed.window.end if parsed.window else AT)
    body = main_query(intent, FM, "logs-*", "20s")
    assert body["size"] <= MAX_SIZE and body["timeout"] == "20s"
    rendered = json.dumps(body)
    assert "query_string" not in rendered and "script" not in json.dumps(list(body["query"]["bool"].keys()))
    assert set(parsed.services) <= set(KNOWN)
