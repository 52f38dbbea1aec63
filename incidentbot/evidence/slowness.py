"""The latency part of an answer: which searches it adds to each round, and how their answers are read.

Round 1 asks for the durations per bucket of the services asked about
(range buckets under a date histogram: one pass, even on a store that
scans), from which the onset follows (evidence/latency.py). Round 2's main
query carries the window's durations (and the server's percentiles where it
has them), before and after the onset; two more searches give each
service's durations before and after it, so the services that got slow are
named like those whose errors rose. Nothing here does I/O: the rounds run
the searches planned here and hand back their answers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch.dsl import Q

from incidentbot.core.catalog import Catalog
from incidentbot.core.evidence import Latency
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent
from incidentbot.evidence.latency import (
    METHOD_BUCKETS,
    METHOD_SERVER,
    PERCENTS,
    Distribution,
    LatencyOnset,
    label,
    latency_onset,
    merge,
    read_distribution,
    read_percentiles,
    read_prefixed,
    read_series,
    risen_services,
    series,
)
from incidentbot.evidence.plan import SearchPlan
from incidentbot.query import compile as qc

MIN_BASELINE = timedelta(minutes=30)


def wanted(intent: Intent, fm: FieldMap) -> bool:
    """A latency question over indices that have a duration field."""
    return intent.symptom == "latency" and any(f.duration for f in fm.layouts())


@dataclass
class Series:
    """Round 1's latency findings: durations per bucket and the onset of slow requests."""

    times: list[datetime]
    dists: list[Distribution]
    found: LatencyOnset | None

    @property
    def onset_at(self) -> datetime | None:
        return self.found.onset.at if self.found and self.found.onset else None

    @property
    def threshold_ms(self) -> float | None:
        return self.found.threshold_ms if self.found else None


def read_series_round(resp: dict[str, Any], intent: Intent, bucket_s: int) -> Series:
    """The onset: a step in requests slower than the baseline's p99 (the baseline: before the window asked
    about when that leaves 30 minutes, else the first third of the range)."""
    times, dists = read_series(resp)
    base = sum(1 for t in times if t < intent.start) if intent.window_named else 0
    if base * bucket_s < MIN_BASELINE.total_seconds():
        base = max(len(times) // 3, 1)
    return Series(times, dists, latency_onset(times, dists, base, bucket_s) if times else None)


def plan_services(plan: SearchPlan, index: str, fm: FieldMap, intent: Intent, catalog: Catalog | None,
                  start: datetime, split: datetime, end: datetime, timeout: str) -> None:
    """Two optional searches: the durations of the services asked about and what they depend on, per
    service, before the onset and after it (a refinement: the answer stands without them)."""
    reach = sorted(set(intent.services) | {d for a in intent.services
                                           for d in (catalog.dependencies(a, depth=2) if catalog else [])})
    scope = qc.services_filter(fm, reach) or Q("match_all")
    plan.add("slow_before", index, qc.latency_services_search(scope, fm, start, split, timeout),
             "the durations per service before the onset", lambda r: r, required=False)
    plan.add("slow_after", index, qc.latency_services_search(scope, fm, split, end, timeout, end_inclusive=True),
             "the durations per service after the onset", lambda r: r, required=False)


def found_services(found: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Services whose p95 rose after the onset, from the two searches above (none when they were not run)."""
    before, after = found.get("slow_before"), found.get("slow_after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return {}
    return read_services(before, after)


def read_services(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Services whose p95 rose after the onset: {service: (p95 before, p95 after)} in ms."""
    def per_service(resp: dict[str, Any]) -> dict[str, Distribution]:
        out: dict[str, Distribution] = {}
        for name, agg in (resp.get("aggregations") or {}).items():
            if name.startswith("services"):
                for b in agg.get("buckets", []):
                    out[str(b["key"])] = out.get(str(b["key"]), Distribution()).add(read_distribution(b))
        return out

    b, a = per_service(before), per_service(after)
    return risen_services({name: (b.get(name, Distribution()), a[name]) for name in a})


def _summary(dist: Distribution, extra: float | None) -> dict[str, float | None]:
    percents = list(PERCENTS) + ([extra] if extra is not None and extra not in PERCENTS else [])
    return {label(p): dist.quantile(p) for p in percents}


def assemble(intent: Intent, fm: FieldMap, main: dict[str, Any], s: Series | None, main_id: str,
             series_id: str | None, services: dict[str, tuple[float, float]] | None = None) -> Latency:
    """The Latency finding from the main query's aggregations and round 1's series."""
    aggs = main.get("aggregations") or {}
    fam = next(f for f in fm.layouts() if f.duration)
    server = fm.server_percentiles and "latency_pct" in aggs
    window = read_prefixed(aggs, "latency_")
    values = read_percentiles(aggs["latency_pct"], fam.duration_unit) if server else _summary(window, intent.percentile)
    if server and intent.percentile is not None and label(intent.percentile) not in values:
        values[label(intent.percentile)] = window.quantile(intent.percentile)
    lat = Latency(field_name=",".join(qc.role_fields(fm, "duration")), unit=fam.duration_unit,
                  method=METHOD_SERVER if server else METHOD_BUCKETS, source=main_id, window=values,
                  requests=window.total, threshold_ms=s.threshold_ms if s else None,
                  onset=s.found.onset if s and s.found else None, times=list(s.times) if s else [],
                  p95=series(s.dists, 95.0) if s else [], slow_counts=list(s.found.slow_counts) if s and s.found else [])
    if lat.onset is not None:
        before, after = aggs.get("latency_before"), aggs.get("latency_after")
        if before is not None and after is not None and read_distribution(before).total >= 20:
            lat.before = read_percentiles(before.get("pct"), fam.duration_unit) if server and "pct" in before \
                else _summary(read_distribution(before), None)
            lat.after = read_percentiles(after.get("pct"), fam.duration_unit) if server and "pct" in after \
                else _summary(read_distribution(after), None)
        elif s is not None:  # the window starts after the onset: before from round 1's buckets
            k = lat.onset.index
            lat.before = _summary(merge(s.dists[:k]), None)
            lat.after = _summary(merge(s.dists[k:]), None)
            lat.method = METHOD_BUCKETS if not server else f"{METHOD_SERVER} (window), {METHOD_BUCKETS} (before/after)"
    if s and s.found:
        lat.threshold_percentile = s.found.percentile
    if "latency_slow" in aggs:
        lat.slow_requests = int(aggs["latency_slow"].get("doc_count", 0))
    lat.by_group = _groups(aggs, fam.duration_unit, server)
    lat.services = services or {}
    return lat


def _groups(aggs: dict[str, Any], unit: str, server: bool) -> list[tuple[str, dict[str, float | None], int]]:
    """The breakdown's buckets with their percentiles, slowest p95 first."""
    out = []
    for b in (aggs.get("breakdown") or {}).get("buckets", []):
        values = read_percentiles(b["pct"], unit) if server and "pct" in b else _summary(read_distribution(b), None)
        out.append((str(b.get("key_as_string", b["key"])), values, int(b.get("doc_count", 0))))
    return sorted(out, key=lambda g: -(g[1].get("p95") or 0.0))
