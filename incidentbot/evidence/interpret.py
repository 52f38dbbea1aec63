"""Reading search responses into typed findings: small pure functions, no I/O.

Each reader takes one response (or values read from others) and returns plain
values, so each can be tested on a hand-written response and none knows in
which round or position its search ran.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.evidence import Concentration, EvidenceLine, Onset
from incidentbot.core.mask import mask_secrets
from incidentbot.core.timeutil import UTC, iso, parse_instant
from incidentbot.core.fields import FieldMap
from incidentbot.evidence.rawlines import message_and_level

Hit = dict[str, Any]


@dataclass
class RateSeries:
    """Lines and failing lines per bucket, and failing lines per service."""

    times: list[datetime]
    totals: list[int]
    failing: list[int]
    per_service: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Breakdown:
    """A search's total and its top values per field (for concentrations)."""

    total: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ProbeCounts:
    """One pattern probe's answer: exact counts, first and last lines, where, and when."""

    count: int
    baseline_count: int
    examples: list[Hit]
    last: list[Hit]
    services: list[str]
    series: dict[int, int] | None = None  # bucket start (epoch seconds) -> count


def _bucket_time(bucket: dict[str, Any]) -> datetime:
    if "key_as_string" in bucket:
        return parse_instant(bucket["key_as_string"])
    return datetime.fromtimestamp(bucket["key"] / 1000, tz=UTC)


def read_rates(resp: dict[str, Any], per_service: bool = False) -> RateSeries:
    """A histogram search: failing counts per bucket (the signal is in the query), and per service when asked
    (one terms aggregation per index family's service field: services, services1, ...). Totals are the
    failing counts until `with_totals` adds the totals search."""
    buckets = resp.get("aggregations", {}).get("histogram", {}).get("buckets", [])
    out = RateSeries([], [], [], {})
    for i, b in enumerate(buckets):
        out.times.append(_bucket_time(b))
        out.failing.append(int(b.get("doc_count", 0)))
        out.totals.append(out.failing[-1])
        if per_service:
            for name, agg in b.items():
                if name.startswith("services") and isinstance(agg, dict):
                    for sb in agg.get("buckets", []):
                        out.per_service.setdefault(str(sb["key"]), [0] * len(buckets))[i] += int(sb["doc_count"])
    return out


def read_totals(resp: dict[str, Any]) -> dict[int, int]:
    """A totals histogram: all lines per bucket, by bucket key."""
    return {int(b["key"]): int(b.get("doc_count", 0))
            for b in resp.get("aggregations", {}).get("histogram", {}).get("buckets", [])}


def with_totals(rates: RateSeries, totals: dict[int, int] | None) -> RateSeries:
    if totals:
        rates.totals = [totals.get(int(t.timestamp() * 1000), f) for t, f in zip(rates.times, rates.failing)]
    return rates


def read_total(resp: dict[str, Any]) -> int:
    return int(resp["hits"]["total"]["value"])


def read_groups(resp: dict[str, Any]) -> list[tuple[str, int]]:
    """The main search's breakdown buckets ("per minute", "by host"), as (key, count)."""
    return [(str(b.get("key_as_string", b["key"])), int(b["doc_count"]))
            for b in resp.get("aggregations", {}).get("breakdown", {}).get("buckets", [])]


def read_hits(resp: dict[str, Any]) -> list[Hit]:
    return list(resp.get("hits", {}).get("hits", []))


def read_breakdown(resp: dict[str, Any]) -> Breakdown:
    """The total and every `by_<field>` terms aggregation of a sample search."""
    out = Breakdown(read_total(resp))
    for name, agg in resp.get("aggregations", {}).items():
        if name.startswith("by_") and isinstance(agg, dict):
            buckets = agg.get("buckets", [])
            out.counts[name[3:]] = {b["key"]: int(b["doc_count"]) for b in buckets}
            out.order[name[3:]] = [b["key"] for b in buckets]
    return out


def read_probe(resp: dict[str, Any]) -> ProbeCounts:
    aggs = resp.get("aggregations", {})
    w = aggs.get("window", {})
    series = None
    if "series" in aggs:
        series = {int(_bucket_time(b).timestamp()): int(b["doc_count"])
                  for b in aggs["series"].get("histogram", {}).get("buckets", [])}
    return ProbeCounts(int(w.get("doc_count", 0)), int(aggs.get("baseline", {}).get("doc_count", 0)),
                       w.get("examples", {}).get("hits", {}).get("hits", []),
                       w.get("last", {}).get("hits", {}).get("hits", []),
                       [str(b["key"]) for name, agg in w.items() if name.startswith("services") and isinstance(agg, dict)
                        for b in agg.get("buckets", [])], series)


def align_series(series: dict[int, int] | None, times: list[datetime]) -> list[int] | None:
    """Non-empty bucket counts laid on the histogram's buckets (zeros elsewhere)."""
    if series is None or not times:
        return None
    return [series.get(int(t.timestamp()), 0) for t in times]


def unique_hits(*batches: list[Hit]) -> list[Hit]:
    """Hits of several samples, each document once, in order."""
    seen: set[tuple[str, str]] = set()
    out: list[Hit] = []
    for batch in batches:
        for hit in batch:
            key = (hit["_index"], hit["_id"])
            if key not in seen:
                seen.add(key)
                out.append(hit)
    return out


def _merged(b: Breakdown, names: list[str]) -> tuple[dict[str, int], list[str]]:
    """One role's counts over its field names (one per index family), merged by value, largest first."""
    counts: dict[str, int] = {}
    for name in names:
        for key, n in b.counts.get(name, {}).items():
            counts[key] = counts.get(key, 0) + n
    return counts, sorted(counts, key=lambda k: -counts[k])


def concentrations(window: Breakdown, traffic: Breakdown, base: Breakdown,
                   fields: dict[str, list[str]] | dict[str, str]) -> list[Concentration]:
    """Values that hold most failing lines but much less of the lines that did not fail.

    Compared with the window's healthy lines (all lines minus the failing ones),
    not with the errors before it: after a full rollout every line runs the new
    version, so "100% of errors are on 2.31.0" says nothing unless the errors sit
    there more than the healthy traffic does (a canary, one host, one endpoint).
    Healthy rather than all lines, since in a progressive rollout the failures
    themselves can be most of the new version's lines.
    """
    out: list[Concentration] = []
    if window.total == 0 or traffic.total == 0:
        return out
    for label, named in fields.items():
        names = [named] if isinstance(named, str) else list(named)  # one field, or one per index layout
        counts, order = _merged(window, names)
        traffic_counts, _ = _merged(traffic, names)
        base_counts, _ = _merged(base, names)
        for key in order[:3]:
            share = counts[key] / window.total
            seen = traffic_counts.get(key, counts[key])
            healthy_total = traffic.total - window.total
            traffic_share = (max(seen - counts[key], 0) / healthy_total if healthy_total > 0
                             else seen / traffic.total)
            base_share = base_counts.get(key, 0) / base.total if base.total else 0.0
            if share >= 0.5 and share - traffic_share >= 0.25:
                out.append(Concentration(label, str(key), share, base_share, traffic_share))
    return out


RISE_SPAN_S = 15 * 60


def _rise(series: list[int], onset_index: int, bucket_s: int, span: int | None = None) -> tuple[float, float]:
    """Failing lines per minute before and after the onset bucket, over `span` buckets each side if given."""
    per_min = 60.0 / bucket_s
    lo = 0 if span is None else max(onset_index - span, 0)
    hi = len(series) if span is None else onset_index + span
    before = series[lo:onset_index] or [0]
    after = series[onset_index:hi] or [0]
    return sum(before) / len(before) * per_min, sum(after) / len(after) * per_min


def affected_services(per_service: dict[str, list[int]], onset: Onset | None,
                      bucket_s: int) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Services whose failing rate rose at the onset, most risen first: the blast radius.

    Rates are compared over the quarter hour either side of the onset, not the whole range: a
    service that broke in its own incident an hour earlier (or breaks later) is not part of this one.
    """
    span = max(3, RISE_SPAN_S // bucket_s)
    rates = {name: _rise(series, onset.index, bucket_s, span) if onset else _rise(series, 0, bucket_s)
             for name, series in per_service.items()}
    if onset is None:
        return [], rates
    risen = [name for name, (b, a) in rates.items() if a - b >= 0.5 and (b == 0 or a / b >= 2.0)]
    return sorted(risen, key=lambda n: rates[n][1] - rates[n][0], reverse=True), rates


def source_get(source: dict[str, Any], dotted: str | None) -> Any:
    """A field of a document's _source, whether stored nested ({"a": {"b": 1}}) or with dots in its keys
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


def field_of(hit: Hit, fm: FieldMap, role: str) -> Any:
    """A hit's value for a role, read with the field names of the hit's own index family."""
    return source_get(hit.get("_source", {}), getattr(fm.for_index(str(hit.get("_index", ""))), role))


def message_of(hit: Hit, fm: FieldMap) -> str:
    return str(field_of(hit, fm, "message") or "")


def mined_text(hit: Hit, fm: FieldMap) -> str:
    """The message to mine patterns from: where the whole container line is the text (no level field,
    Kubernetes logs), the message inside it, without the timestamp, level and keys around it."""
    raw = message_of(hit, fm)
    if fm.for_index(str(hit.get("_index", ""))).level_in_text:
        return message_and_level(raw)[0]
    return raw


def hit_time(hit: Hit, fm: FieldMap) -> str | None:
    """A hit's timestamp in ISO form (its sort value when the source lacks one)."""
    value = field_of(hit, fm, "timestamp")
    if value is None and hit.get("sort"):
        value = hit["sort"][0]
    if value is None:
        return None
    try:
        return iso(parse_instant(str(value)))
    except ValueError:
        return str(value)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def evidence_line(hit: Hit, fm: FieldMap, ev_id: str, pattern_id: str | None) -> EvidenceLine:
    """A cited log line, masked: log lines are untrusted and may hold secrets."""
    status = field_of(hit, fm, "status")
    ts = field_of(hit, fm, "timestamp")
    return EvidenceLine(
        id=ev_id, index=hit["_index"], doc_id=hit["_id"], timestamp=str(ts) if ts is not None else "",
        service=_opt(field_of(hit, fm, "service")), message=mask_secrets(message_of(hit, fm))[:1000],
        level=_opt(field_of(hit, fm, "level")), status=int(status) if isinstance(status, (int, float)) else None,
        host=_opt(field_of(hit, fm, "host")), version=_opt(field_of(hit, fm, "version")), pattern_id=pattern_id)


def is_new(count: int, baseline_count: int, window_min: float, base_min: float) -> bool:
    """New: absent before, or at least ten times its earlier rate."""
    return baseline_count == 0 or (baseline_count / base_min) * 10 <= count / window_min


def began_before(first_seen: str | None, onset: Onset | None, lead: timedelta = timedelta(minutes=2)) -> bool:
    """A pattern first seen clearly before the onset: a precursor."""
    return bool(onset and first_seen and parse_instant(first_seen) < onset.at - lead)
