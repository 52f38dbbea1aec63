"""Latency from bucketed durations: percentiles, the share of slow requests, and when it changed.

Pure functions of aggregation responses, so the math is tested without a server.

Two methods, and the answer says which it used:
- `percentiles`: the server's own `percentiles` aggregation (TDigest) on
  Elasticsearch and OpenSearch;
- `range-buckets`: where a server refuses `percentiles` (noida-db answers 400),
  a `range` aggregation over log-spaced bounds (each 2^(1/4) = 1.19 times the
  last, 0.5 ms to about 250 s) counts requests per bucket, and a percentile is
  interpolated inside its bucket on a log scale. The true value lies in the
  same bucket, so the estimate is within 19% of it (much closer in practice).
  The same per-minute buckets give the per-minute p95 and the count of
  requests slower than any bucket bound, with no second request.

Onset: requests slower than the baseline's p99 arrive as counts per minute,
so the Poisson change-point test used for error rates applies unchanged
(`detect_onset`): before the onset about 1% of requests cross the line; after
it, many more do. The per-minute p95 is drawn and reported, not tested, since
a percentile of a few requests a minute is too noisy for a test of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incidentbot.core.evidence import Onset
from incidentbot.evidence.onset import detect_onset
from incidentbot.query.latency import BOUNDS_MS, PERCENTS, STEP, UNIT_MS

__all__ = ["BOUNDS_MS", "PERCENTS", "STEP", "UNIT_MS"]

METHOD_SERVER = "percentiles"
METHOD_BUCKETS = "range-buckets"


@dataclass
class Distribution:
    """Request counts per duration bucket: [0, b0), [b0, b1), ..., [bN, inf), bounds in milliseconds."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS_MS) + 1))

    @property
    def total(self) -> int:
        return sum(self.counts)

    def add(self, other: Distribution) -> Distribution:
        return Distribution([a + b for a, b in zip(self.counts, other.counts)])

    def __add__(self, other: Distribution) -> Distribution:
        return self.add(other)

    def __radd__(self, other: object) -> Distribution:
        return self if other == 0 else NotImplemented  # sum() starts from 0

    def quantile(self, percent: float) -> float | None:
        """The percentile in ms, interpolated on a log scale inside its bucket; None without requests."""
        total = self.total
        if total == 0:
            return None
        target = percent / 100.0 * total
        seen = 0
        for i, count in enumerate(self.counts):
            if count and seen + count >= target:
                frac = min(max((target - seen) / count, 0.0), 1.0)
                lo = BOUNDS_MS[i - 1] if i > 0 else 0.0
                if i >= len(BOUNDS_MS):
                    return lo
                hi = BOUNDS_MS[i]
                return lo + (hi - lo) * frac if lo == 0 else lo * (hi / lo) ** frac
            seen += count
        return BOUNDS_MS[-1]

    def slower_than(self, threshold_ms: float) -> int:
        """Requests in buckets wholly at or above the threshold (the threshold is rounded up to a bound)."""
        first = next((i + 1 for i, b in enumerate(BOUNDS_MS) if b >= threshold_ms), len(BOUNDS_MS))
        return sum(self.counts[first:])


def bound_at_or_above(threshold_ms: float) -> float:
    """The bucket bound the slow-request count really uses for a threshold."""
    return next((b for b in BOUNDS_MS if b >= threshold_ms), BOUNDS_MS[-1])


def read_ranges(agg: dict[str, Any] | None) -> Distribution:
    """A range aggregation's buckets (in request order) as a Distribution."""
    buckets = (agg or {}).get("buckets") or []
    if isinstance(buckets, dict):  # keyed responses
        buckets = list(buckets.values())
    counts = [int(b.get("doc_count", 0)) for b in buckets][: len(BOUNDS_MS) + 1]
    counts += [0] * (len(BOUNDS_MS) + 1 - len(counts))
    return Distribution(counts)


def read_percentiles(agg: dict[str, Any] | None, unit: str) -> dict[str, float | None]:
    """A percentiles aggregation's values, converted to ms ({"p50": ..., "p95": ..., "p99": ...})."""
    values = (agg or {}).get("values") or {}
    out: dict[str, float | None] = {}
    for p in PERCENTS:
        raw = values.get(str(p)) if isinstance(values, dict) else None
        if raw is None and isinstance(values, dict):
            raw = values.get(f"{p:.1f}", values.get(str(int(p))))
        out[label(p)] = None if raw is None else float(raw) * UNIT_MS[unit]
    return out


def label(percent: float) -> str:
    return f"p{percent:g}".replace(".", "")


def summary(dist: Distribution) -> dict[str, float | None]:
    return {label(p): dist.quantile(p) for p in PERCENTS}


def merge(dists: list[Distribution]) -> Distribution:
    out = Distribution()
    for d in dists:
        out = out.add(d)
    return out


def series(dists: list[Distribution], percent: float) -> list[float | None]:
    """A percentile per bucket (None for a bucket without requests)."""
    return [d.quantile(percent) for d in dists]


@dataclass
class LatencyOnset:
    onset: Onset | None
    threshold_ms: float
    slow_counts: list[int]
    percentile: float = 99.0  # the baseline percentile the threshold is


MIN_SHARE_RATIO = 2.0
MIN_SHARE_RISE = 0.02


def _share_rose(dists: list[Distribution], slow: list[int], index: int) -> bool:
    """More slow requests must mean a larger share of requests, not just more traffic at the same share."""
    before_n = sum(d.total for d in dists[:index])
    after_n = sum(d.total for d in dists[index:])
    if not before_n or not after_n:
        return bool(after_n)
    before, after = sum(slow[:index]) / before_n, sum(slow[index:]) / after_n
    return after >= MIN_SHARE_RATIO * before and after - before >= MIN_SHARE_RISE


def latency_onset(times: list[datetime], dists: list[Distribution], baseline_buckets: int,
                  bucket_s: int) -> LatencyOnset | None:
    """The first sustained rise in requests slower than the baseline's p99 (else its p95).

    `baseline_buckets` is how many leading buckets count as normal (the range
    before the window asked about, or the first third of the range). The p99
    line catches a service whose slowest requests got slower; where the
    baseline already has a long tail (a few requests of many seconds) the p95
    line is tried too, so a slowdown of the bulk of requests is seen. Either
    way the slow share must rise, not only their count: a traffic surge at
    the same latency is no onset. The line is at least 1 ms, so a service
    answering in microseconds does not flag every request.
    """
    if not dists:
        return None
    base = merge(dists[:max(baseline_buckets, 1)])
    if base.total < 20:  # too few requests to call anything normal
        base = merge(dists)
    if base.total == 0:
        return None
    first: LatencyOnset | None = None
    for percent in (99.0, 95.0):
        threshold = bound_at_or_above(max(base.quantile(percent) or 0.0, 1.0) * 1.0001)
        slow = [d.slower_than(threshold) for d in dists]
        onset = detect_onset([float(c) for c in slow], times, bucket_s) if times else None
        if onset is not None and _share_rose(dists, slow, onset.index):
            return LatencyOnset(onset, threshold, slow, percent)
        first = first or LatencyOnset(None, threshold, slow, percent)
    return first


def read_distribution(aggs: dict[str, Any] | None) -> Distribution:
    """The d0, d1, ... range aggregations of one bucket (one per duration field), summed."""
    out = Distribution()
    for name, agg in (aggs or {}).items():
        if name[:1] == "d" and name[1:].isdigit():
            out = out.add(read_ranges(agg))
    return out


def read_series(resp: dict[str, Any]) -> tuple[list[datetime], list[Distribution]]:
    """A date histogram of durations: the bucket times and each bucket's distribution."""
    times, dists = [], []
    for b in (resp.get("aggregations") or {}).get("histogram", {}).get("buckets", []):
        times.append(datetime.fromtimestamp(int(b["key"]) / 1000, tz=UTC))
        dists.append(read_distribution(b))
    return times, dists


def read_prefixed(aggs: dict[str, Any] | None, prefix: str) -> Distribution:
    """Distributions stored under `<prefix>d0`, `<prefix>d1`... at one level (the main query's own aggs)."""
    picked = {k[len(prefix):]: v for k, v in (aggs or {}).items() if k.startswith(prefix)}
    return read_distribution(picked)


def risen_services(per_service: dict[str, tuple[Distribution, Distribution]], min_after: int = 10,
                   ratio: float = 1.8) -> dict[str, tuple[float, float]]:
    """Services whose p95 rose clearly after the onset: {service: (p95 before, p95 after)}, most risen first."""
    out = {}
    for name, (before, after) in per_service.items():
        b, a = before.quantile(95.0), after.quantile(95.0)
        if a is None or after.total < min_after:
            continue
        if b is None or a >= ratio * b:
            out[name] = (b or 0.0, a)
    return dict(sorted(out.items(), key=lambda kv: -(kv[1][1] / max(kv[1][0], 1e-3))))
