"""Collecting the log evidence for one question, in a fixed, small number of requests.

Statistics before samples: (1) one msearch for the failing-rate histograms
(the symptom asked about, and every service's failing lines for the blast
radius); the onset and the window follow from them; (2) one msearch for the
main count, a bounded sample of failing lines in the window and one before
it, with their breakdowns; the miner groups the sample into templates;
(3) one msearch that probes the top templates for their exact counts, first
lines and cited examples. However large the index, that is three requests.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch.dsl import Q
from elasticsearch.dsl.query import Query

from incidentbot.core.mask import mask_secrets
from incidentbot.core.catalog import Catalog
from incidentbot.config import Settings
from incidentbot.core.evidence import (
    Concentration, EvidenceLine, Histogram, LogEvidence, Pattern, QueryRecord,
)
from incidentbot.evidence.onset import Onset, detect_onset
from incidentbot.evidence import slowness
from incidentbot.evidence.patterns import mine_patterns
from incidentbot.evidence.rawlines import message_and_level
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.query import compile as qc
from incidentbot.query.kibana import discover_url
from incidentbot.question.fields import FieldMap
from incidentbot.core.intent import Intent
from incidentbot.core.errors import StoreTimeout
from incidentbot.core.timeutil import UTC, floor_minute, iso, parse_instant

ANALYSIS_SPAN = timedelta(hours=3)
MAX_BUCKETS = 360
ONSET_LEAD = timedelta(minutes=15)
DEFAULT_WINDOW = timedelta(hours=1)


@dataclass
class Plan:
    """The ranges one answer looks at."""

    range_start: datetime
    range_end: datetime
    bucket_s: int


def plan_ranges(intent: Intent) -> Plan:
    """The histogram covers the window and a baseline before it, in at most MAX_BUCKETS buckets."""
    end = intent.end
    span = max(end - intent.start, timedelta(minutes=30))
    start = min(intent.start - span, end - ANALYSIS_SPAN)
    start = floor_minute(start)
    total_s = (end - start).total_seconds()
    bucket_s = 60
    for candidate in (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        bucket_s = candidate
        if total_s / candidate <= MAX_BUCKETS:
            break
    start = datetime.fromtimestamp(math.floor(start.timestamp() / bucket_s) * bucket_s, tz=start.tzinfo)
    return Plan(start, end, bucket_s)


def _buckets(resp: dict[str, Any], service_breakdown: bool,
             totals_resp: dict[str, Any] | None = None) -> tuple[list[datetime], list[int], list[int], dict[str, list[int]]]:
    """Times, totals, failing counts and failing counts per service, from a failing-lines histogram (and the
    totals histogram of the same range, when there is one)."""
    buckets = resp.get("aggregations", {}).get("histogram", {}).get("buckets", [])
    all_buckets = (totals_resp or {}).get("aggregations", {}).get("histogram", {}).get("buckets", [])
    all_counts = {b["key"]: int(b.get("doc_count", 0)) for b in all_buckets}
    times, totals, failing = [], [], []
    per_service: dict[str, list[int]] = {}
    for i, b in enumerate(buckets):
        times.append(parse_instant(b["key_as_string"]) if "key_as_string" in b else
                     datetime.fromtimestamp(b["key"] / 1000, tz=UTC))
        failing.append(int(b.get("doc_count", 0)))
        totals.append(all_counts.get(b["key"], failing[-1]))
        if service_breakdown:  # one terms aggregation per family's service field: services, services1, ...
            for name, agg in b.items():
                if name.startswith("services") and isinstance(agg, dict):
                    for sb in agg.get("buckets", []):
                        per_service.setdefault(str(sb["key"]), [0] * len(buckets))[i] += int(sb["doc_count"])
    for series in per_service.values():
        series.extend([0] * (len(times) - len(series)))
    return times, totals, failing, per_service


def _check(resp: dict[str, Any], what: str) -> dict[str, Any]:
    if "error" in resp:
        reason = resp["error"].get("reason") if isinstance(resp["error"], dict) else str(resp["error"])
        raise RuntimeError(f"{what} failed on the log store: {reason}")
    return resp


def _rise(series: list[int], onset_index: int, bucket_s: int) -> tuple[float, float]:
    per_min = 60.0 / bucket_s
    before = series[:onset_index] or [0]
    after = series[onset_index:] or [0]
    return sum(before) / len(before) * per_min, sum(after) / len(after) * per_min


def affected_services(per_service: dict[str, list[int]], onset: Onset | None, bucket_s: int) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Services whose failing rate rose at the onset, most risen first: the blast radius."""
    rates = {name: _rise(series, onset.index, bucket_s) if onset else _rise(series, 0, bucket_s)
             for name, series in per_service.items()}
    if onset is None:
        return [], rates
    risen = [name for name, (b, a) in rates.items() if a - b >= 0.5 and (b == 0 or a / b >= 2.0)]
    return sorted(risen, key=lambda n: rates[n][1] - rates[n][0], reverse=True), rates


def _source_get(source: dict[str, Any], dotted: str | None) -> Any:
    """A field's value from _source, whether stored nested ({"a": {"b": 1}}) or with dots in its keys
    ({"resource": {"attributes": {"service.name": "x"}}}, as OpenTelemetry writes attributes)."""
    if not dotted:
        return None
    return _dig(source, dotted.removesuffix(".keyword").split("."))


def _dig(node: Any, parts: list[str]) -> Any:
    if not parts:
        return node
    if not isinstance(node, dict):
        return None
    for n in range(len(parts), 0, -1):  # the longest dotted key first
        key = ".".join(parts[:n])
        if key in node:
            found = _dig(node[key], parts[n:])
            if found is not None:
                return found
    return None


def _text(hit: dict[str, Any], fm: FieldMap) -> str:
    """The message to mine: the line's own message where the whole container line is the text."""
    raw = str(_get(hit, fm, "message") or "")
    if fm.for_index(str(hit.get("_index", ""))).level_in_text:
        return message_and_level(raw)[0]
    return raw


def _get(hit: dict[str, Any], fm: FieldMap, role: str) -> Any:
    """A hit's value for a role (message, service...), read with the field names of the hit's own index family."""
    return _source_get(hit.get("_source", {}), getattr(fm.for_index(str(hit.get("_index", ""))), role))


def _line(hit: dict[str, Any], fm: FieldMap, ev_id: str, pattern_id: str | None) -> EvidenceLine:
    status = _get(hit, fm, "status")
    ts = _get(hit, fm, "timestamp")
    return EvidenceLine(
        id=ev_id, index=hit["_index"], doc_id=hit["_id"], timestamp=str(ts) if ts is not None else "",
        service=_opt(_get(hit, fm, "service")), message=mask_secrets(str(_get(hit, fm, "message") or ""))[:1000],
        level=_opt(_get(hit, fm, "level")), status=int(status) if isinstance(status, (int, float)) else None,
        host=_opt(_get(hit, fm, "host")), version=_opt(_get(hit, fm, "version")), pattern_id=pattern_id)


def _cite(hits: list[dict[str, Any]], fm: FieldMap, pattern_id: str, lines: list[EvidenceLine]) -> list[str]:
    """Add these documents to the answer's evidence lines (E1, E2, ...); returns their ids."""
    ids = []
    for hit in hits:
        ev_id = f"E{len(lines) + 1}"
        lines.append(_line(hit, fm, ev_id, pattern_id))
        ids.append(ev_id)
    return ids


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _by(aggs: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """The terms buckets of one role over its field names (one per index family), merged by key."""
    merged: dict[Any, int] = {}
    for name in names:
        for b in aggs.get(f"by_{name}", {}).get("buckets", []):
            merged[b["key"]] = merged.get(b["key"], 0) + int(b["doc_count"])
    return [{"key": k, "doc_count": n} for k, n in sorted(merged.items(), key=lambda kv: -kv[1])]


def _concentrations(window_aggs: dict[str, Any], traffic_aggs: dict[str, Any], base_aggs: dict[str, Any],
                    window_total: int, traffic_total: int, base_total: int,
                    fields: dict[str, list[str]]) -> list[Concentration]:
    """Values that hold most failing lines but much less of all traffic.

    Compared with all lines of the window, not with the errors before it: after
    a full rollout every line runs the new version, so "100% of errors are on
    2.31.0" says nothing unless the errors sit there more than the traffic does
    (a canary, one host, one endpoint).
    """
    out = []
    for label, names in fields.items():
        buckets = _by(window_aggs, names)
        traffic = {b["key"]: b["doc_count"] for b in _by(traffic_aggs, names)}
        base = {b["key"]: b["doc_count"] for b in _by(base_aggs, names)}
        if not buckets or window_total == 0 or traffic_total == 0:
            continue
        for b in buckets[:3]:
            share = b["doc_count"] / window_total
            traffic_share = traffic.get(b["key"], b["doc_count"]) / traffic_total
            base_share = base.get(b["key"], 0) / base_total if base_total else 0.0
            if share >= 0.5 and share - traffic_share >= 0.25:
                out.append(Concentration(label, str(b["key"]), share, base_share, traffic_share))
    return out


def collect_evidence(gw: ReadOnlyGateway, fm: FieldMap, intent: Intent, settings: Settings,
                     catalog: Catalog, index: str) -> tuple[Intent, LogEvidence]:
    """Run the three requests and turn their answers into typed findings (and the final intent)."""
    timeout = settings.search_timeout
    plan = plan_ranges(intent)
    asked = intent.services
    symptom_signal = qc.symptom_query(intent, fm, services=[], default_to_errors=True)
    scope_asked = qc.services_filter(fm, asked) or Q("match_all")
    scope_all = Q("match_all")
    h_asked = qc.histogram_query(scope_asked, fm, symptom_signal, plan.range_start, plan.range_end, plan.bucket_s, timeout)
    h_all = qc.histogram_query(scope_all, fm, qc.error_signal(fm), plan.range_start, plan.range_end, plan.bucket_s, timeout)
    slow_mode = slowness.wanted(intent, fm)
    if slow_mode:  # the symptom's histogram is the durations' (Q5); failing lines still give the blast radius
        h_asked = slowness.series_query(scope_asked, fm, plan.range_start, plan.range_end, plan.bucket_s, timeout)
    round1 = [(index, h_asked), (index, h_all)]
    if not slow_mode:  # the durations' histogram counts every request already
        round1.append((index, qc.totals_query(scope_asked, fm, plan.range_start, plan.range_end, plan.bucket_s,
                                              timeout)))
    r_asked, r_all, *rest = gw.msearch(round1)
    r_totals = rest[0] if rest else {}
    _, _, _, per_service = _buckets(_check(r_all, "the per-service histogram"), True)
    lat_series = None
    if slow_mode:
        lat_series = slowness.read_series_round(_check(r_asked, "the latency histogram"), intent, plan.bucket_s)
        times = lat_series.times
        totals = [d.total for d in lat_series.dists]
        failing = list(lat_series.found.slow_counts) if lat_series.found else [0] * len(times)
        onset = lat_series.found.onset if lat_series.found else None
    else:
        times, totals, failing, _ = _buckets(_check(r_asked, "the rate histogram"), False,
                                             r_totals if "error" not in r_totals else None)
        onset = detect_onset([float(c) for c in failing], times, plan.bucket_s) if times else None
    if onset is not None and onset.at < intent.start - timedelta(hours=12):
        onset = None
    histogram = Histogram(plan.range_start, plan.bucket_s, times, totals, failing, per_service,
                          "Q5" if slow_mode else "Q2")
    risen, rates = affected_services(per_service, onset, plan.bucket_s)
    if slow_mode:
        risen = []  # a latency question widens to the services that got slow (below), not to failing ones

    # the window: as asked, else from shortly before the onset, else the last hour
    if not intent.window_named:
        start = (onset.at - ONSET_LEAD) if onset else intent.end - DEFAULT_WINDOW
        note = (f"no window named: searched from 15 minutes before the onset ({iso(onset.at)})" if onset
                else "no window named: searched the last hour")
        intent = intent.model_copy(update={"start": max(start, intent.end - timedelta(days=7)),
                                           "notes": [*intent.notes, note]})
    if intent.ask == "investigate":
        widened = list(asked)
        related: set[str] = set()
        for name in asked:
            related.update(catalog.dependencies(name, depth=2))
            related.update(catalog.dependents(name))
        for name in risen:
            if name not in widened and (not asked or name in related or len(risen) <= 6):
                widened.append(name)
        if widened != asked:
            intent = intent.model_copy(update={"related_services": [s for s in widened if s not in asked]})

    window = (intent.start, intent.end)
    baseline_end = min(intent.start, onset.at) if onset else intent.start
    baseline_start = min(plan.range_start, baseline_end - timedelta(minutes=30))
    baseline = (baseline_start, baseline_end)

    threshold = lat_series.threshold_ms if lat_series and intent.ask == "investigate" else None
    split = onset.at if slow_mode and onset and intent.start < onset.at else None
    main_body = qc.main_query(intent, fm, index, timeout, split=split, slow_ms=threshold)
    if slow_mode:
        # the lines worth sampling are the slow requests: slower than asked, or than the p99 before
        sample_scope: Query = qc.symptom_query(intent, fm, services=asked, slow_ms=threshold)
    elif intent.ask == "investigate":
        asked_symptom = qc.symptom_query(intent, fm, services=asked, default_to_errors=True)
        wide = qc.services_filter(fm, asked + intent.related_services) if asked else None
        wide_errors = Q("bool", filter=[c for c in (wide,) if c is not None] + [qc.error_signal(fm)])
        sample_scope: Query = Q("bool", should=[asked_symptom, wide_errors], minimum_should_match=1)
    else:
        sample_scope = qc.symptom_query(intent, fm)
    breakdown = {k: qc.role_fields(fm, k) for k in ("service", "version", "host", "path") if qc.role_fields(fm, k)}
    by_names = [n for names in breakdown.values() for n in names]
    half = max(settings.sample_size // 2, 5)
    s_first = qc.sample_query(sample_scope, fm, window[0], window[1], half, timeout, False, by_names)
    s_last = qc.sample_query(sample_scope, fm, window[0], window[1], half, timeout, True)
    s_base = qc.sample_query(sample_scope, fm, baseline[0], baseline[1], half, timeout, True, by_names)
    scope_services = intent.services + intent.related_services if intent.services else []
    traffic_scope = qc.services_filter(fm, scope_services) or Q("match_all")
    s_traffic = qc.sample_query(traffic_scope, fm, window[0], window[1], 0, timeout, False, by_names)
    searches = [(index, main_body), (index, s_first), (index, s_last), (index, s_base), (index, s_traffic)]
    pre_range = _precursor_ranges(onset, plan) if intent.ask == "investigate" and fm.level else None
    if pre_range is not None:
        warn_scope = Q("bool", filter=[c for c in (qc.services_filter(fm, scope_services),
                                                   qc.levels_filter(fm, ["warn"])) if c is not None])
        searches += [(index, qc.sample_query(warn_scope, fm, pre_range[0], pre_range[1], half, timeout, False)),
                     (index, qc.sample_query(warn_scope, fm, pre_range[2], pre_range[0], half, timeout, True))]
    n_lat = 0
    if slow_mode and onset is not None and intent.ask == "investigate":
        reach = sorted(set(asked) | {d for a in asked for d in catalog.dependencies(a, depth=2)})
        lat_scope = qc.services_filter(fm, reach) or Q("match_all")
        lat_queries = slowness.services_queries(lat_scope, fm, plan.range_start, onset.at, plan.range_end, timeout)
        n_lat = len(lat_queries)
        searches += [(index, q) for q in lat_queries]
    sampled = gw.msearch(searches)
    r_main, r_first, r_last, r_base, r_traffic = sampled[:5]
    lat_services: dict[str, tuple[float, float]] = {}
    if n_lat:
        b_resp, a_resp = sampled[-2], sampled[-1]
        if "error" not in b_resp and "error" not in a_resp:
            lat_services = slowness.read_services(b_resp, a_resp)
        sampled = sampled[:-n_lat]
    hits = int(_check(r_main, "the main query")["hits"]["total"]["value"])
    group_buckets = [(str(b.get("key_as_string", b["key"])), int(b["doc_count"]))
                 for b in r_main.get("aggregations", {}).get("breakdown", {}).get("buckets", [])]
    main = QueryRecord("Q1", index, main_body, hits, "the question's filters in its window",
                       kibana_url=discover_url(settings.kibana_url, intent, fm, index))

    seen: set[tuple[str, str]] = set()
    window_hits: list[dict[str, Any]] = []
    for resp in (_check(r_first, "the window sample"), _check(r_last, "the window sample")):
        for hit in resp["hits"]["hits"]:
            key = (hit["_index"], hit["_id"])
            if key not in seen:
                seen.add(key)
                window_hits.append(hit)
    base_hits = _check(r_base, "the baseline sample")["hits"]["hits"]
    window_total = int(r_first["hits"]["total"]["value"])
    base_total = int(r_base["hits"]["total"]["value"])
    traffic_total = int(_check(r_traffic, "the traffic breakdown")["hits"]["total"]["value"])
    concentrations = _concentrations(r_first.get("aggregations", {}), r_traffic.get("aggregations", {}),
                                     r_base.get("aggregations", {}), window_total, traffic_total, base_total,
                                     breakdown)

    messages = [_text(h, fm) for h in window_hits + base_hits]
    mined, assignment = mine_patterns(messages) if messages else ([], [])
    in_window = [0] * len(mined)
    for i, a in enumerate(assignment[:len(window_hits)]):
        if a is not None:
            in_window[a] += 1
    order = sorted((i for i in range(len(mined)) if in_window[i] > 0), key=lambda i: -in_window[i])
    top = order[: settings.max_patterns]

    patterns: list[Pattern] = []
    lines: list[EvidenceLine] = []
    notes: list[str] = []
    probe_scope = qc.symptom_query(intent, fm, services=intent.services, default_to_errors=False) \
        if intent.ask != "investigate" else sample_scope
    if top:
        probes = [(index, qc.pattern_probe(probe_scope, fm, mined[i].template, window, baseline,
                                           settings.evidence_per_pattern, timeout)) for i in top]
        try:
            responses = gw.msearch(probes)
        except StoreTimeout as exc:
            # the exact counts are a refinement: answer with the sample's estimates and say so
            notes.append(f"pattern counts are estimates from a sample of {len(window_hits)} lines: {exc}")
            responses = [_estimate(mined[i], assignment, window_hits, base_hits, fm, i) for i in top]
        window_min = max((window[1] - window[0]).total_seconds() / 60, 1.0)
        base_min = max((baseline[1] - baseline[0]).total_seconds() / 60, 1.0)
        staged = []
        for i, resp in zip(top, responses):
            if "error" in resp:
                continue
            aggs = resp.get("aggregations", {})
            w = aggs.get("window", {})
            count = int(w.get("doc_count", 0))
            if count == 0:
                continue
            base_count = int(aggs.get("baseline", {}).get("doc_count", 0))
            examples = w.get("examples", {}).get("hits", {}).get("hits", [])
            last = w.get("last", {}).get("hits", {}).get("hits", [])
            first_seen = _ts(examples[0], fm) if examples else None
            last_seen = _ts(last[0], fm) if last else None
            expected = base_count / base_min * window_min
            new = base_count == 0 or (base_count / base_min) * 10 <= count / window_min
            svc = [str(b["key"]) for name, agg in w.items() if name.startswith("services") and isinstance(agg, dict)
                   for b in agg.get("buckets", [])]
            staged.append((mined[i].template, count, base_count, new, first_seen, last_seen, svc,
                           count - expected, examples))
        staged.sort(key=lambda s: (-s[7], -s[1]))
        for n, (template, count, base_count, new, first_seen, last_seen, svc, excess, examples) in enumerate(staged, 1):
            pid = f"P{n}"
            ev_ids = _cite(examples[: settings.evidence_per_pattern], fm, pid, lines)
            precursor = bool(onset and new and first_seen and parse_instant(first_seen) < onset.at - timedelta(minutes=2))
            patterns.append(Pattern(pid, mask_secrets(template), count, base_count, new, first_seen, last_seen, svc,
                                    round(excess, 1), ev_ids, precursor))
    if pre_range is not None and onset is not None:
        pre_hits = sampled[5].get("hits", {}).get("hits", []) if "error" not in sampled[5] else []
        pre_base = sampled[6].get("hits", {}).get("hits", []) if "error" not in sampled[6] else []
        for template, members in _precursors(pre_hits, pre_base, fm):
            pid = f"P{len(patterns) + 1}"
            ev_ids = _cite(members[: settings.evidence_per_pattern], fm, pid, lines)
            first = _ts(members[0], fm)
            patterns.append(Pattern(pid, mask_secrets(template), len(members), 0, True, first, _ts(members[-1], fm),
                                    sorted({str(_get(h, fm, "service")) for h in members}),
                                    0.0, ev_ids, precursor=True))
    if not lines and window_hits:
        for hit in window_hits[: settings.evidence_per_pattern * 2]:
            lines.append(_line(hit, fm, f"E{len(lines) + 1}", None))

    queries = [main, QueryRecord("Q2", index, h_asked, sum(failing), "failing lines per bucket, asked services"),
               QueryRecord("Q3", index, h_all, sum(sum(s) for s in per_service.values()), "failing lines per service"),
               QueryRecord("Q4", index, s_first, window_total, "sample of the window's lines")]
    latency = None
    if slow_mode:
        latency = slowness.assemble(intent, fm, r_main, lat_series, main.id, "Q5", lat_services)
        queries.append(QueryRecord("Q5", index, h_asked, sum(totals), "request durations per bucket, asked services"))
        risen = [s for s in lat_services if s in asked] + [s for s in lat_services if s not in asked]
        rates = {name: (b, a) for name, (b, a) in lat_services.items()}
        notes.append(f"request durations from {latency.field} ({latency.unit}); percentiles by {latency.method}")
    elif intent.symptom == "latency":
        notes.append("no request-duration field found, so latency could not be measured")
    if any(f.level_in_text for f in fm.layouts()) and (intent.levels or intent.ask == "investigate"):
        notes.append("no level field in the logs: levels were read from the message text "
                     "(lines that say ERROR, level=error or \"level\":\"error\"); a line that only mentions the word counts too")
    if fm.families:
        notes.append(f"{len(fm.families)} field layouts behind {index}, each searched with its own names: "
                     + "; ".join(f"{', '.join(f.indices[:3])} ({f.service or '-'}, {f.level or 'level in text'}, "
                                 f"{f.message or '-'})" for f in fm.families))
    for name, reason in sorted(fm.unreadable.items()):
        notes.append(f"index {name} could not be read: {reason}")
    evidence = LogEvidence(main, histogram, onset, risen, rates, patterns, lines, concentrations, queries, baseline,
                           breakdown=group_buckets, latency=latency)
    if notes:
        intent = intent.model_copy(update={"notes": [*intent.notes, *notes]})
    return intent, evidence


PRECURSOR_LOOKBACK = timedelta(minutes=90)
MIN_PRECURSOR = 3


def _precursor_ranges(onset: Onset | None, plan: Plan) -> tuple[datetime, datetime, datetime] | None:
    """(start, onset, baseline start): warnings in the 90 minutes before the onset, against what came before."""
    if onset is None:
        return None
    start = max(onset.at - PRECURSOR_LOOKBACK, plan.range_start + timedelta(minutes=30))
    if start >= onset.at - timedelta(minutes=5):
        return None
    return start, onset.at - timedelta(seconds=1), plan.range_start


def _precursors(recent: list[dict[str, Any]], before: list[dict[str, Any]], fm: FieldMap) -> list[tuple[str, list[dict[str, Any]]]]:
    """Warning patterns that began before the onset and were absent before them: the slow build-up."""
    messages = [_text(h, fm) for h in recent + before]
    if not recent:
        return []
    mined, assignment = mine_patterns(messages)
    out = []
    for i, pattern in enumerate(mined):
        members = [recent[j] for j, a in enumerate(assignment[:len(recent)]) if a == i]
        earlier = [j for j, a in enumerate(assignment[len(recent):]) if a == i]
        if len(members) >= MIN_PRECURSOR and not earlier:
            out.append((pattern.template, members))
    out.sort(key=lambda tm: str(_get(tm[1][0], fm, "timestamp")))
    return out[:3]


def _estimate(pattern: Any, assignment: list[int | None], window_hits: list[dict[str, Any]],
              base_hits: list[dict[str, Any]], fm: FieldMap, index: int) -> dict[str, Any]:
    """A probe's answer shape, built from the sample alone (when the exact probe timed out)."""
    members_w = [window_hits[i] for i, a in enumerate(assignment[:len(window_hits)]) if a == index]
    members_b = [base_hits[i] for i, a in enumerate(assignment[len(window_hits):]) if a == index]
    members_w.sort(key=lambda h: str(_get(h, fm, "timestamp")))
    return {"aggregations": {
        "window": {"doc_count": len(members_w), "examples": {"hits": {"hits": members_w[:5]}},
                   "last": {"hits": {"hits": members_w[-1:]}}},
        "baseline": {"doc_count": len(members_b)}}}


def _ts(hit: dict[str, Any], fm: FieldMap) -> str | None:
    value = _get(hit, fm, "timestamp")
    if value is None and hit.get("sort"):
        value = hit["sort"][0]
    if value is None:
        return None
    try:
        return iso(parse_instant(str(value)))
    except ValueError:
        return str(value)
