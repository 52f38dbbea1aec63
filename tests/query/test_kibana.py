"""Discover links carry the answer's window and filters."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import unquote

from incidentbot.query.kibana import discover_url, kql
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent, StatusFilter

FM = FieldMap(service="service.name", level="log.level", message="message", status="http.response.status_code",
              path="url.path", level_values={"error": ["error", "ERROR"]})
INTENT = Intent(question="q", ask="count", services=["payments"], levels=["error"],
                status=[StatusFilter(low=500, high=599)], text=['say "hi"'], exclude_text=["/healthz"],
                start=datetime(2026, 3, 14, 14, tzinfo=timezone.utc), end=datetime(2026, 3, 14, 14, 30, tzinfo=timezone.utc))


def test_kql_renders_every_filter() -> None:
    q = kql(INTENT, FM)
    assert 'service.name:("payments")' in q
    assert 'log.level:("ERROR" or "error")' in q
    assert "http.response.status_code >= 500" in q
    assert 'message:"say \\"hi\\""' in q
    assert 'not url.path:"/healthz*"' in q


def test_discover_url_has_the_window_or_is_absent() -> None:
    assert discover_url(None, INTENT, FM, "logs-*") is None
    url = unquote(discover_url("https://kibana.example.com/", INTENT, FM, "logs-*") or "")
    assert url.startswith("https://kibana.example.com/app/discover#/?_g=")
    assert "from:'2026-03-14T14:00:00.000Z',to:'2026-03-14T14:30:00.000Z'" in url
    assert "language:kuery" in url
