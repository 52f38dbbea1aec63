"""Kibana Discover links that open the same window and filter as the answer's query.

A responder who wants to look further should land on exactly what the bot
counted; the link carries the window and a KQL rendering of the intent.
"""
from __future__ import annotations

from urllib.parse import quote

from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent
from incidentbot.core.timeutil import iso


def _kql_value(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kql(intent: Intent, fm: FieldMap) -> str:
    """The intent's filters in KQL (the window travels separately, as Discover's time range)."""
    parts = []
    if intent.services and fm.service:
        parts.append(f"{fm.service}:(" + " or ".join(_kql_value(s) for s in intent.services) + ")")
    if intent.levels and fm.level:
        parts.append(f"{fm.level}:(" + " or ".join(_kql_value(v) for v in fm.level_terms(intent.levels)) + ")")
    if intent.status and fm.status:
        clauses = [f"{fm.status}:{s.low}" if s.low == s.high else f"({fm.status} >= {s.low} and {fm.status} <= {s.high})"
                   for s in intent.status]
        parts.append("(" + " or ".join(clauses) + ")")
    for text in intent.text:
        parts.append(f"{fm.message or 'message'}:{_kql_value(text)}")
    for text in intent.exclude_text:
        field = fm.path if text.startswith("/") and fm.path else (fm.message or "message")
        parts.append(f"not {field}:{_kql_value(text + '*' if text.startswith('/') else text)}")
    return " and ".join(parts)


def _rison_string(text: str) -> str:
    return "'" + text.replace("!", "!!").replace("'", "!'") + "'"


def discover_url(base: str | None, intent: Intent, fm: FieldMap, index: str) -> str | None:
    """A Discover URL for KIBANA_URL, or None when it is not configured."""
    if not base:
        return None
    g = f"(time:(from:{_rison_string(iso(intent.start, True) or '')},to:{_rison_string(iso(intent.end, True) or '')}))"
    a = f"(index:{_rison_string(index)},query:(language:kuery,query:{_rison_string(kql(intent, fm))}))"
    return f"{base.rstrip('/')}/app/discover#/?_g={quote(g, safe='():,!*')}&_a={quote(a, safe='():,!*')}"
