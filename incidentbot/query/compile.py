"""Intent -> query DSL, with `elasticsearch.dsl`, the official builder.

The only place where queries are made. User text only ever lands in
match_phrase (never query_string), sizes are bounded, every search carries a
timeout, and the main count asks for an exact total.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch.dsl import Q, Search
from elasticsearch.dsl.query import Query

from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent, StatusFilter
from incidentbot.core.timeutil import iso

MAX_SIZE = 1000
MAX_PHRASE = 200
ERROR_LEVELS = ["error", "fatal"]


def time_range(fm: FieldMap, start: datetime, end: datetime, *, end_inclusive: bool = True) -> Query:
    """Both ends included: "between 14:00 and 14:30" is 14:00:00.000 to 14:30:00.000."""
    bounds = {"gte": iso(start, millis=True), ("lte" if end_inclusive else "lt"): iso(end, millis=True),
              "format": "strict_date_optional_time"}
    return Q("range", **{fm.timestamp: bounds})


def services_filter(fm: FieldMap, services: list[str]) -> Query | None:
    if not services or not fm.service:
        return None
    return Q("terms", **{fm.service: sorted(services)})


def levels_filter(fm: FieldMap, levels: list[str]) -> Query | None:
    if not levels or not fm.level:
        return None
    return Q("terms", **{fm.level: fm.level_terms(levels)})


def status_filter(fm: FieldMap, status: list[StatusFilter]) -> Query | None:
    if not status or not fm.status:
        return None
    clauses = [Q("term", **{fm.status: s.low}) if s.low == s.high else
               Q("range", **{fm.status: {"gte": s.low, "lte": s.high}}) for s in status]
    return clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)


def phrase_query(fm: FieldMap, phrase: str) -> Query:
    """Text as the standard analyser sees it: whole tokens, any case, in order."""
    phrase = phrase[:MAX_PHRASE]
    field = fm.message or "message"
    if fm.message_is_text:
        return Q("match_phrase", **{field: {"query": phrase}})
    return Q("wildcard", **{field: {"value": f"*{_escape_wildcard(phrase)}*", "case_insensitive": True}})


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def exclude_query(fm: FieldMap, value: str) -> Query:
    if value.startswith("/") and fm.path:
        return Q("prefix", **{fm.path: value})
    return phrase_query(fm, value)


def error_signal(fm: FieldMap) -> Query:
    """What counts as "failing" when the question does not say: error or fatal level, or a 5xx."""
    clauses = []
    if fm.level:
        clauses.append(Q("terms", **{fm.level: fm.level_terms(ERROR_LEVELS)}))
    if fm.status:
        clauses.append(Q("range", **{fm.status: {"gte": 500, "lte": 599}}))
    if not clauses:
        return Q("match_all")
    return clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)


def symptom_query(intent: Intent, fm: FieldMap, *, services: list[str] | None = None,
                  default_to_errors: bool = False) -> Query:
    """The filters the question names (services, levels, status, text, exclusions), without the window."""
    filters: list[Query] = []
    for clause in (services_filter(fm, intent.services if services is None else services),
                   levels_filter(fm, intent.levels), status_filter(fm, intent.status)):
        if clause is not None:
            filters.append(clause)
    if intent.hosts and fm.host:
        filters.append(Q("terms", **{fm.host: intent.hosts}))
    if intent.versions and fm.version:
        filters.append(Q("terms", **{fm.version: intent.versions}))
    if intent.traces and fm.trace:
        filters.append(Q("terms", **{fm.trace: intent.traces}))
    if intent.regions and fm.region:
        filters.append(Q("terms", **{fm.region: intent.regions}))
    must = [phrase_query(fm, p) for p in intent.text]
    must_not = [exclude_query(fm, x) for x in intent.exclude_text]
    if default_to_errors and not (intent.levels or intent.status or intent.text):
        filters.append(error_signal(fm))
    return Q("bool", filter=filters, must=must, must_not=must_not)


def main_query(intent: Intent, fm: FieldMap, index: str, timeout: str) -> dict[str, Any]:
    """The main search's body, as the answer quotes it."""
    return main_search(intent, fm, index, timeout).to_dict()


def main_search(intent: Intent, fm: FieldMap, index: str, timeout: str) -> Search:
    """The query the answer quotes: the question's filters in its window, exact total."""
    query = symptom_query(intent, fm, default_to_errors=intent.ask == "investigate")
    s = Search(index=index).query(query).filter(time_range(fm, intent.start, intent.end))
    if intent.group_by == "minute":
        s.aggs.bucket("breakdown", "date_histogram", field=fm.timestamp, fixed_interval="60s", min_doc_count=0,
                      extended_bounds={"min": iso(intent.start, True), "max": iso(intent.end, True)})
    elif intent.group_by and getattr(fm, intent.group_by, None):
        s.aggs.bucket("breakdown", "terms", field=getattr(fm, intent.group_by), size=10)
    return s.extra(size=0, track_total_hits=True, timeout=timeout)


def histogram_search(scope: Query, fm: FieldMap, signal: Query, start: datetime, end: datetime,
                     interval_s: int, timeout: str, breakdown: bool = True) -> Search:
    """Per-bucket totals and failing counts over a range, with failing counts per service."""
    s = Search().query(scope).filter(time_range(fm, start, end, end_inclusive=False))
    s = s.extra(size=0, timeout=timeout, track_total_hits=True)
    hist = s.aggs.bucket("histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s",
                         min_doc_count=0, extended_bounds={"min": iso(start, True), "max": iso(end, True)})
    errors = hist.bucket("errors", "filter", filter=signal)
    if breakdown and fm.service:
        errors.bucket("services", "terms", field=fm.service, size=20)
    return s


def sample_search(scope: Query, fm: FieldMap, start: datetime, end: datetime, size: int, timeout: str,
                  newest_first: bool = False, aggs_fields: list[str] | None = None) -> Search:
    """A bounded sample of lines, with the _source fields the answer needs and optional breakdowns."""
    s = Search().query(scope).filter(time_range(fm, start, end))
    s = s.sort({fm.timestamp: {"order": "desc" if newest_first else "asc"}})
    s = s.source([f for f in (fm.timestamp, fm.service, fm.level, fm.message, fm.status, fm.host, fm.path,
                              fm.version, fm.trace) if f])
    for name in aggs_fields or []:
        s.aggs.bucket(f"by_{name}", "terms", field=name, size=10)
    return s.extra(size=min(size, MAX_SIZE), timeout=timeout, track_total_hits=True)


def template_runs(template: str) -> list[str]:
    """The constant word runs of a mined template: what a phrase query can look for.

    A token glued to a masked part ("<*>ms") is left out, since the analyser
    keeps "30000ms" as one token.
    """
    runs: list[list[str]] = [[]]
    for token in template.split():
        if "<*>" in token or not any(ch.isalnum() for ch in token):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(token)
    return [" ".join(r) for r in runs if r]


def pattern_query(scope: Query, fm: FieldMap, template: str) -> Query:
    runs = sorted(template_runs(template), key=len, reverse=True)[:4]
    return Q("bool", filter=scope, must=[phrase_query(fm, r) for r in runs] or [Q("match_all")])


def probe_search(scope: Query, fm: FieldMap, template: str, window: tuple[datetime, datetime],
                 baseline: tuple[datetime, datetime], examples: int, timeout: str,
                 series: tuple[datetime, datetime, int] | None = None) -> Search:
    """For one pattern: its exact count in the window and the baseline, its first lines, where it is.

    `series` (start, end, bucket seconds) adds the pattern's count per bucket of
    the answer's histogram, non-empty buckets only, so a chart can draw it
    without another request.
    """
    query = pattern_query(scope, fm, template)
    fields = [f for f in (fm.timestamp, fm.service, fm.level, fm.message, fm.status, fm.host, fm.path,
                          fm.version) if f]
    s = Search().query(query).filter(time_range(fm, baseline[0], window[1]))
    in_window = s.aggs.bucket("window", "filter", filter=time_range(fm, window[0], window[1]))
    in_window.metric("examples", "top_hits", size=min(max(examples, 1), 20),
                     sort=[{fm.timestamp: {"order": "asc"}}], _source=fields)
    in_window.metric("last", "top_hits", size=1, sort=[{fm.timestamp: {"order": "desc"}}], _source=[fm.timestamp])
    if fm.service:
        in_window.bucket("services", "terms", field=fm.service, size=5)
    s.aggs.bucket("baseline", "filter", filter=time_range(fm, baseline[0], baseline[1], end_inclusive=False))
    if series is not None:
        start, end, interval_s = series
        s.aggs.bucket("series", "filter", filter=time_range(fm, start, end, end_inclusive=False)).bucket(
            "histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s", min_doc_count=1)
    return s.extra(size=0, timeout=timeout, track_total_hits=True)
