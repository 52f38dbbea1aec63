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

    @property
    def onset_source(self) -> str:
        """The id the onset is cited by, the same in the summary, the JSON and Block Kit: the main query.

        The rate histogram runs the main query's filters per bucket, and the
        contract lets a summary cite only the main query among the queries
        (`log_query.id`), so the onset is [Q1] everywhere, never the histogram's own id.
        """
        return self.main.id
