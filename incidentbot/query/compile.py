"""Intent -> query DSL, with `elasticsearch.dsl`, the official builder.

The only place where queries are made. User text only ever lands in
match_phrase (never query_string), sizes are bounded, every search carries a
timeout, and the main count asks for an exact total.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from elasticsearch.dsl import Q, Search
from elasticsearch.dsl.query import Query

from incidentbot.query.latency import UNIT_MS, percentiles_agg, range_agg
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent, StatusFilter
from incidentbot.core.timeutil import iso

MAX_SIZE = 1000
MAX_PHRASE = 200
ERROR_LEVELS = ["error", "fatal"]
# The words a level is written with inside a message when there is no level field.
TEXT_LEVEL_WORDS = {"error": ("error", "err"), "warn": ("warn", "warning"), "fatal": ("fatal", "critical", "panic"),
                    "info": ("info",), "debug": ("debug",), "trace": ("trace",)}


def each_layout(fm: FieldMap, build: Callable[[FieldMap], Query | None]) -> Query | None:
    """One clause per index family, each with its own field names, kept to that family's indices.

    A pattern over a flat and an ECS index asks `service: x` of the first and
    `service.name: x` of the second; with one family this is just `build(fm)`.
    """
    if not fm.families:
        return build(fm)
    built = [(fam, build(fam)) for fam in fm.families]
    if all(q is None for _, q in built):
        return None
    clauses = [Q("bool", filter=[Q("terms", _index=list(fam.indices))] + ([q] if q is not None else []))
               for fam, q in built]
    return clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)


def time_range(fm: FieldMap, start: datetime, end: datetime, *, end_inclusive: bool = True) -> Query:
    """Both ends included: "between 14:00 and 14:30" is 14:00:00.000 to 14:30:00.000."""
    bounds = {"gte": iso(start, millis=True), ("lte" if end_inclusive else "lt"): iso(end, millis=True),
              "format": "strict_date_optional_time"}
    if len({f.timestamp for f in fm.layouts()}) > 1:
        return each_layout(fm, lambda f: Q("range", **{f.timestamp: bounds})) or Q("match_all")
    return Q("range", **{fm.timestamp: bounds})


def services_filter(fm: FieldMap, services: list[str]) -> Query | None:
    if not services:
        return None
    return each_layout(fm, lambda f: Q("terms", **{f.service: sorted(services)}) if f.service else None)


def levels_filter(fm: FieldMap, levels: list[str]) -> Query | None:
    if not levels:
        return None
    return each_layout(fm, lambda f: _levels_one(f, levels))


def _levels_one(fm: FieldMap, levels: list[str]) -> Query | None:
    if fm.level:
        return Q("terms", **{fm.level: fm.level_terms(levels)})
    if fm.level_in_text and fm.message:
        return text_level_query(fm, levels)
    return None


def text_level_query(fm: FieldMap, levels: list[str]) -> Query:
    """Lines whose text carries the level: `level=error`, `"level":"error"`, `ERROR ...` alike.

    The standard analyser makes each of these the whole token `error`, so one
    `match` on the level's words finds them all, with no wildcard or regular
    expression a scanning store would have to run over every message (a
    phrase per key and spelling was tried: it found nothing more, at ten
    times the cost). A line that only mentions the word counts too; the
    answer says the level was read from the text.
    """
    field = fm.message or "message"
    words = sorted({w for level in levels for w in TEXT_LEVEL_WORDS.get(level, (level,))})
    return Q("match", **{field: {"query": " ".join(words), "operator": "or"}})


def status_filter(fm: FieldMap, status: list[StatusFilter]) -> Query | None:
    if not status:
        return None
    return each_layout(fm, lambda f: _status_one(f, status))


def _status_one(fm: FieldMap, status: list[StatusFilter]) -> Query | None:
    if not fm.status:
        return None
    clauses = [Q("term", **{fm.status: s.low}) if s.low == s.high else
               Q("range", **{fm.status: {"gte": s.low, "lte": s.high}}) for s in status]
    return clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)


def phrase_query(fm: FieldMap, phrase: str) -> Query:
    """Text as the standard analyser sees it: whole tokens, any case, in order."""
    if fm.families:
        return each_layout(fm, lambda f: phrase_query(f, phrase)) or Q("match_none")
    phrase = phrase[:MAX_PHRASE]
    field = fm.message or "message"
    if fm.message_is_text:
        return Q("match_phrase", **{field: {"query": phrase}})
    return Q("wildcard", **{field: {"value": f"*{_escape_wildcard(phrase)}*", "case_insensitive": True}})


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def exclude_query(fm: FieldMap, value: str) -> Query:
    if fm.families:
        return each_layout(fm, lambda f: exclude_query(f, value)) or Q("match_none")
    if value.startswith("/") and fm.path:
        return Q("prefix", **{fm.path: value})
    return phrase_query(fm, value)


def error_signal(fm: FieldMap) -> Query:
    """What counts as "failing" when the question does not say: error or fatal level, or a 5xx."""
    if fm.families:
        return each_layout(fm, error_signal) or Q("match_all")
    clauses = []
    level = _levels_one(fm, ERROR_LEVELS)
    if level is not None:
        clauses.append(level)
    if fm.status:
        clauses.append(Q("range", **{fm.status: {"gte": 500, "lte": 599}}))
    if not clauses:
        return Q("match_all")
    return clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)


def _terms_for(role: str, values: list[str]) -> Callable[[FieldMap], Query | None]:
    return lambda fm: _terms_one(fm, role, values)


def _terms_one(fm: FieldMap, role: str, values: list[str]) -> Query | None:
    name = getattr(fm, role)
    return Q("terms", **{name: values}) if values and name else None


def duration_filter(fm: FieldMap, above_ms: float | None = None) -> Query:
    """Requests with a measured duration, or only those slower than `above_ms` (in each family's unit)."""
    def one(f: FieldMap) -> Query:
        if not f.duration:
            return Q("match_none")
        if above_ms is None:
            return Q("exists", field=f.duration)
        return Q("range", **{f.duration: {"gt": above_ms / UNIT_MS[f.duration_unit]}})

    return each_layout(fm, one) or Q("match_none")


def symptom_query(intent: Intent, fm: FieldMap, *, services: list[str] | None = None,
                  default_to_errors: bool = False, slow_ms: float | None = None) -> Query:
    """The filters the question names (services, levels, status, text, exclusions), without the window.

    For a latency question the symptom is a slow request: one slower than the
    threshold asked ("slower than 800ms"), else than `slow_ms` (the baseline's
    p99 once it is known), else any request with a measured duration.
    """
    filters: list[Query] = []
    for clause in (services_filter(fm, intent.services if services is None else services),
                   levels_filter(fm, intent.levels), status_filter(fm, intent.status)):
        if clause is not None:
            filters.append(clause)
    for role, values in (("host", intent.hosts), ("version", intent.versions), ("trace", intent.traces),
                         ("region", intent.regions)):
        if values:
            clause = each_layout(fm, _terms_for(role, values))
            if clause is not None:
                filters.append(clause)
    must = [phrase_query(fm, p) for p in intent.text]
    must_not = [exclude_query(fm, x) for x in intent.exclude_text]
    if intent.symptom == "latency" and not (intent.levels or intent.status):
        filters.append(duration_filter(fm, intent.slower_than_ms if intent.slower_than_ms is not None else slow_ms))
    elif default_to_errors and not (intent.levels or intent.status or intent.text):
        filters.append(error_signal(fm))
    return Q("bool", filter=filters, must=must, must_not=must_not)


def distribution_aggs(fm: FieldMap, use_percentiles: bool = False) -> dict[str, dict[str, Any]]:
    """Aggregations that describe durations: `d<i>` range buckets per duration field (summed by the reader),
    and `pct` (server percentiles) when asked and all families share one field and unit."""
    fields = sorted({(f.duration, f.duration_unit) for f in fm.layouts() if f.duration})
    aggs = {f"d{i}": range_agg(name, unit) for i, (name, unit) in enumerate(fields)}
    if use_percentiles and len(fields) == 1:
        aggs["pct"] = percentiles_agg(fields[0][0])
    return aggs


def main_query(intent: Intent, fm: FieldMap, index: str, timeout: str, split: datetime | None = None,
               slow_ms: float | None = None) -> dict[str, Any]:
    """The main search's body, as the answer quotes it."""
    return main_search(intent, fm, index, timeout, split, slow_ms).to_dict()


def main_search(intent: Intent, fm: FieldMap, index: str, timeout: str, split: datetime | None = None,
                slow_ms: float | None = None) -> Search:
    """The query the answer quotes: the question's filters in its window, exact total.

    For a latency question it also carries the latency figures the answer
    states, so each is traced to this one query: the durations in the window,
    before and after `split` (the onset), and how many were slower than
    `slow_ms` (the baseline's p99).
    """
    query = symptom_query(intent, fm, default_to_errors=intent.ask == "investigate")
    s = Search(index=index).query(query).filter(time_range(fm, intent.start, intent.end))
    pct = fm.server_percentiles
    if intent.group_by == "minute":
        s.aggs.bucket("breakdown", "date_histogram", field=fm.timestamp, fixed_interval="60s", min_doc_count=0,
                      extended_bounds={"min": iso(intent.start, True), "max": iso(intent.end, True)})
    elif intent.group_by and getattr(fm, intent.group_by, None):
        size = 25 if intent.symptom == "latency" else 10
        terms = s.aggs.bucket("breakdown", "terms", field=getattr(fm, intent.group_by), size=size)
        if intent.symptom == "latency":
            for name, agg in distribution_aggs(fm, pct).items():
                terms.bucket(name, agg)
    if intent.symptom == "latency":
        _latency_aggs(s, intent, fm, split, slow_ms)
    return s.extra(size=0, track_total_hits=True, timeout=timeout)


def _latency_aggs(s: Search, intent: Intent, fm: FieldMap, split: datetime | None, slow_ms: float | None) -> None:
    pct = fm.server_percentiles
    for name, agg in distribution_aggs(fm, pct).items():
        s.aggs.bucket(f"latency_{name}", agg)
    if split is not None:
        for part, (lo, hi) in (("before", (intent.start, split)), ("after", (split, intent.end))):
            period = s.aggs.bucket(f"latency_{part}", "filter",
                                   filter=time_range(fm, lo, hi, end_inclusive=part == "after"))
            for name, agg in distribution_aggs(fm, pct).items():
                period.bucket(name, agg)
    if slow_ms is not None:
        s.aggs.bucket("latency_slow", "filter", filter=duration_filter(fm, slow_ms))


def latency_histogram_search(scope: Query, fm: FieldMap, start: datetime, end: datetime, interval_s: int,
                             timeout: str) -> Search:
    """Durations per bucket over the analysed range: range buckets under a date histogram (every server has both)."""
    s = Search().query(scope).filter(duration_filter(fm)).filter(time_range(fm, start, end, end_inclusive=False))
    s = s.extra(size=0, timeout=timeout, track_total_hits=True)
    hist = s.aggs.bucket("histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s",
                         min_doc_count=0, extended_bounds={"min": iso(start, True), "max": iso(end, True)})
    for name, agg in distribution_aggs(fm).items():
        hist.bucket(name, agg)
    return s


def latency_services_search(scope: Query, fm: FieldMap, start: datetime, end: datetime, timeout: str,
                            end_inclusive: bool = False) -> Search:
    """Per service, the durations in one period (one search before the onset, one after): which services got
    slow. Terms with range buckets under them, no filter aggregation, so a scanning store reads it in one pass."""
    s = Search().query(scope).filter(duration_filter(fm)).filter(time_range(fm, start, end, end_inclusive=end_inclusive))
    s = s.extra(size=0, timeout=timeout)
    for i, name in enumerate(role_fields(fm, "service")):
        terms = s.aggs.bucket(f"services{i}", "terms", field=name, size=30)
        for agg_name, agg in distribution_aggs(fm).items():
            terms.bucket(agg_name, agg)
    return s


def histogram_search(scope: Query, fm: FieldMap, signal: Query, start: datetime, end: datetime,
                     interval_s: int, timeout: str, breakdown: bool = True) -> Search:
    """Failing lines per bucket over a range (the signal in the query), with failing counts per service.

    The signal is part of the query, never a `filter` aggregation under the
    date histogram: a store that scans (noida-db, an overloaded cluster)
    evaluates such a filter once per bucket, 180 passes instead of one
    (34 s against 0.5 s on 2,500 documents). Totals come from `totals_search`.
    """
    s = Search().query(scope).filter(signal).filter(time_range(fm, start, end, end_inclusive=False))
    s = s.extra(size=0, timeout=timeout, track_total_hits=True)
    hist = s.aggs.bucket("histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s",
                         min_doc_count=0, extended_bounds={"min": iso(start, True), "max": iso(end, True)})
    if breakdown:
        for i, name in enumerate(role_fields(fm, "service")):
            hist.bucket("services" if i == 0 else f"services{i}", "terms", field=name, size=50)
    return s


def totals_search(scope: Query, fm: FieldMap, start: datetime, end: datetime, interval_s: int,
                  timeout: str) -> Search:
    """All lines per bucket over a range (the denominator the chart draws)."""
    s = Search().query(scope).filter(time_range(fm, start, end, end_inclusive=False))
    s = s.extra(size=0, timeout=timeout, track_total_hits=True)
    s.aggs.bucket("histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s",
                  min_doc_count=0, extended_bounds={"min": iso(start, True), "max": iso(end, True)})
    return s


def role_fields(fm: FieldMap, role: str) -> list[str]:
    """A role's field names across the index families (one name when every index looks alike)."""
    names: list[str] = []
    for fam in fm.layouts():
        name = getattr(fam, role)
        if name and name not in names:
            names.append(name)
    return names


def source_fields(fm: FieldMap, roles: tuple[str, ...] = ("timestamp", "service", "level", "message", "status",
                                                            "host", "path", "version", "trace")) -> list[str]:
    return [name for role in roles for name in role_fields(fm, role)]


def sample_search(scope: Query, fm: FieldMap, start: datetime, end: datetime, size: int, timeout: str,
                  newest_first: bool = False, aggs_fields: list[str] | None = None) -> Search:
    """A bounded sample of lines, with the _source fields the answer needs and optional breakdowns."""
    s = Search().query(scope).filter(time_range(fm, start, end))
    s = s.sort({fm.timestamp: {"order": "desc" if newest_first else "asc"}})
    s = s.source(list[Any](source_fields(fm)))
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


def pattern_query(scope: Query, fm: FieldMap, template: str, by_words: bool = False) -> Query:
    """The lines of a pattern: its longest constant runs as phrases, in order.

    `by_words` asks for every word of those runs in one clause, in any order:
    one clause where the phrases are up to four, and a scanning store pays
    about a pass per text clause (the lean plan, whose answer says so).
    """
    runs = sorted(template_runs(template), key=len, reverse=True)[:4]
    if by_words and runs:
        return Q("bool", filter=scope, must=[words_query(fm, runs)])
    return Q("bool", filter=scope, must=[phrase_query(fm, r) for r in runs] or [Q("match_all")])


def words_query(fm: FieldMap, runs: list[str]) -> Query:
    """Every word of the runs, in any order (on a keyword message: the longest run, as a phrase would)."""
    if fm.families:
        return each_layout(fm, lambda f: words_query(f, runs)) or Q("match_none")
    if not fm.message_is_text:
        return phrase_query(fm, max(runs, key=len))
    return Q("match", **{fm.message or "message": {"query": " ".join(runs)[:MAX_PHRASE], "operator": "and"}})


def probe_search(scope: Query, fm: FieldMap, template: str, window: tuple[datetime, datetime],
                 baseline: tuple[datetime, datetime], examples: int, timeout: str,
                 series: tuple[datetime, datetime, int] | None = None, by_words: bool = False) -> Search:
    """For one pattern: its exact count in the window and the baseline, its first lines, where it is.

    `series` (start, end, bucket seconds) adds the pattern's count per bucket of
    the answer's histogram, non-empty buckets only, so a chart can draw it
    without another request.
    """
    query = pattern_query(scope, fm, template, by_words)
    fields = source_fields(fm, ("timestamp", "service", "level", "message", "status", "host", "path", "version"))
    s = Search().query(query).filter(time_range(fm, baseline[0], window[1]))
    in_window = s.aggs.bucket("window", "filter", filter=time_range(fm, window[0], window[1]))
    in_window.metric("examples", "top_hits", size=min(max(examples, 1), 20),
                     sort=[{fm.timestamp: {"order": "asc"}}], _source=fields)
    in_window.metric("last", "top_hits", size=1, sort=[{fm.timestamp: {"order": "desc"}}], _source=[fm.timestamp])
    for i, name in enumerate(role_fields(fm, "service")):
        in_window.bucket("services" if i == 0 else f"services{i}", "terms", field=name, size=5)
    s.aggs.bucket("baseline", "filter", filter=time_range(fm, baseline[0], baseline[1], end_inclusive=False))
    if series is not None:
        start, end, interval_s = series
        s.aggs.bucket("series", "filter", filter=time_range(fm, start, end, end_inclusive=False)).bucket(
            "histogram", "date_histogram", field=fm.timestamp, fixed_interval=f"{interval_s}s", min_doc_count=1)
    return s.extra(size=0, timeout=timeout, track_total_hits=True)


def recent_failures_query(fm: FieldMap, start: datetime, end: datetime, limit: int, timeout: str) -> dict[str, Any]:
    """Failing lines per service in a window, the most recently failing service first (no lines returned)."""
    s = Search().query(error_signal(fm)).filter(time_range(fm, start, end))
    by_service = s.aggs.bucket("services", "terms", field=fm.service, size=max(1, min(limit, 20)),
                               order={"last": "desc"})
    by_service.metric("last", "max", field=fm.timestamp)
    return s.extra(size=0, timeout=timeout).to_dict()
