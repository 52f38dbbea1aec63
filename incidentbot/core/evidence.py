"""The typed findings from the logs: the numbers first, then a few cited lines."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Onset:
    """The start of the symptom, and how sharp the step was."""

    at: datetime
    index: int
    rate_before: float  # per minute
    rate_after: float  # per minute
    llr: float

    @property
    def ratio(self) -> float:
        return self.rate_after / self.rate_before if self.rate_before > 0 else math.inf

    def describe(self) -> str:
        return f"from {self.rate_before:.1f}/min to {self.rate_after:.1f}/min"


@dataclass
class Histogram:
    """Failing lines (and all lines) per bucket over the analysed range."""

    start: datetime
    bucket_s: int
    times: list[datetime]
    totals: list[int]
    failing: list[int]
    per_service: dict[str, list[int]] = field(default_factory=dict)
    query_id: str = "Q2"


@dataclass
class EvidenceLine:
    """One real log document, cited by id; `index` + `doc_id` fetch it."""

    id: str
    index: str
    doc_id: str
    timestamp: str
    service: str | None
    message: str
    level: str | None = None
    status: int | None = None
    host: str | None = None
    version: str | None = None
    pattern_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "index": self.index, "doc_id": self.doc_id,
                               "@timestamp": self.timestamp, "service": self.service, "message": self.message}
        for key in ("level", "status", "host", "version", "pattern_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Pattern:
    """An error template with its exact counts in the window and before it."""

    id: str
    template: str
    count: int
    baseline_count: int
    new: bool
    first_seen: str | None
    last_seen: str | None
    services: list[str]
    excess: float
    evidence_ids: list[str] = field(default_factory=list)
    precursor: bool = False
    series: list[int] | None = None  # count per bucket of the answer's histogram (for the chart)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "template": self.template, "count": self.count, "new": self.new,
                "first_seen": self.first_seen, "last_seen": self.last_seen, "baseline_count": self.baseline_count,
                "services": self.services, "precursor": self.precursor, "evidence": self.evidence_ids}


@dataclass
class Concentration:
    """Where the failing lines sit, compared with before: "92% of errors are on version 2.31.0"."""

    field: str
    value: str
    share: float
    baseline_share: float
    traffic_share: float = 0.0

    def describe(self) -> str:
        return (f"{self.share:.0%} of failing lines have {self.field} {self.value} "
                f"(of the lines that did not fail: {self.traffic_share:.0%}; failing lines before: {self.baseline_share:.0%})")

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "share": round(self.share, 3),
                "traffic_share": round(self.traffic_share, 3), "baseline_share": round(self.baseline_share, 3)}


@dataclass
class QueryRecord:
    """A query the answer ran, quoted exactly, with its exact total."""

    id: str
    index: str
    body: dict[str, Any]
    hits: int
    purpose: str
    kibana_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "index": self.index, "body": self.body, "hits": self.hits,
                "purpose": self.purpose, "kibana_url": self.kibana_url}


@dataclass
class LogEvidence:
    """Everything the logs said for one question."""

    main: QueryRecord
    histogram: Histogram | None
    onset: Onset | None
    affected_services: list[str]
    service_rates: dict[str, tuple[float, float]]
    patterns: list[Pattern]
    lines: list[EvidenceLine]
    concentrations: list[Concentration]
    queries: list[QueryRecord]
    baseline: tuple[datetime, datetime] | None = None
    breakdown: list[tuple[str, int]] = field(default_factory=list)
    latency: "Latency | None" = None

    @property
    def onset_source(self) -> str:
        """The id the onset is cited by, the same in the summary, the JSON and Block Kit: the main query.

        The rate histogram runs the main query's filters per bucket, and the
        contract lets a summary cite only the main query among the queries
        (`log_query.id`), so the onset is [Q1] everywhere, never the histogram's own id.
        """
        return self.main.id


@dataclass
class Latency:
    """How slow requests were: percentiles before and after the onset (or in the window), in milliseconds.

    `method` says how the percentiles were computed ("percentiles": the
    server's aggregation; "range-buckets": interpolated from log-spaced range
    buckets where the server has no percentiles), `source` the query to cite.
    """

    field_name: str  # "field" in the JSON
    unit: str
    method: str
    source: str
    window: dict[str, float | None]
    before: dict[str, float | None] | None = None
    after: dict[str, float | None] | None = None
    onset: Onset | None = None
    threshold_ms: float | None = None
    times: list[datetime] = field(default_factory=list)
    p95: list[float | None] = field(default_factory=list)
    slow_counts: list[int] = field(default_factory=list)
    requests: int = 0
    by_group: list[tuple[str, dict[str, float | None], int]] = field(default_factory=list)
    services: dict[str, tuple[float, float]] = field(default_factory=dict)  # p95 before -> after, ms
    slow_requests: int | None = None  # in the window, slower than threshold_ms
    threshold_percentile: float = 99.0  # which baseline percentile threshold_ms is

    def to_json(self) -> dict[str, Any]:
        def ms(values: dict[str, float | None] | None) -> dict[str, float | None] | None:
            if values is None:
                return None
            return {k: (None if v is None else (round(v) if v >= 10 else round(v, 1))) for k, v in values.items()}

        out: dict[str, Any] = {
            "field": self.field_name, "unit": self.unit, "method": self.method, "values_in": "ms",
            "window": ms(self.window), "before": ms(self.before), "after": ms(self.after),
            "onset": self.onset.at.isoformat().replace("+00:00", "Z") if self.onset else None,
            "slow_threshold_ms": None if self.threshold_ms is None else round(self.threshold_ms, 1),
            "slow_threshold_is": f"p{self.threshold_percentile:g} before",
            "requests": self.requests, "slow_requests": self.slow_requests, "source": self.source,
        }
        if self.onset:
            out["slow_per_min_before"] = round(self.onset.rate_before, 2)
            out["slow_per_min_after"] = round(self.onset.rate_after, 2)
        if self.services:
            out["services"] = {k: {"p95_before": round(b), "p95_after": round(a)} for k, (b, a) in self.services.items()}
        if self.by_group:
            out["by"] = [{"key": k, **(ms(v) or {}), "requests": n} for k, v, n in self.by_group]
        return out


def human_ms(value: float | None) -> str:
    """Milliseconds as people read them: seconds from 1 s up, whole ms above 10 ms, one decimal below."""
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{round(value)} ms" if value >= 10 else f"{round(value, 1):g} ms"
