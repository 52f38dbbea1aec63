"""The answer: every finding with its id, so the summary can cite and a reader can check."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from incidentbot.core.change import Change, SourceStatus
from incidentbot.core.evidence import LogEvidence
from incidentbot.core.history import HistoryHit
from incidentbot.core.intent import Intent
from incidentbot.core.suspect import Suspect
from incidentbot.core.timeutil import iso


@dataclass
class Answer:
    question: str
    at: datetime
    mode: str
    intent: Intent
    evidence: LogEvidence
    changes: list[Change]
    suspects: list[Suspect]
    summary: str
    sources: list[SourceStatus]
    timing_ms: dict[str, float]
    notes: list[str] = field(default_factory=list)
    # Why the counts are lower bounds (server-side timeouts, failed shards, the answer deadline); empty = exact.
    partial: list[str] = field(default_factory=list)
    # Ties the answer to its audit record, its feedback buttons and its logs.
    investigation_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    # Earlier investigations that saw the same error ("seen before"), cited as [H1].
    history: list[HistoryHit] = field(default_factory=list)

    def ids(self) -> set[str]:
        ev = self.evidence
        return ({q.id for q in ev.queries} | {p.id for p in ev.patterns} | {e.id for e in ev.lines}
                | {s.id for s in self.suspects} | {h.id for h in self.history})

    def to_json(self) -> dict[str, Any]:
        ev = self.evidence
        onset = ev.onset
        return {
            "investigation_id": self.investigation_id,
            "question": self.question,
            "at": iso(self.at),
            "mode": self.mode,
            "intent": self.intent.to_json(),
            "log_query": ev.main.to_json(),
            "onset": iso(onset.at) if onset else None,
            "onset_detail": ({"rate_before_per_min": round(onset.rate_before, 2),
                              "rate_after_per_min": round(onset.rate_after, 2),
                              "llr": round(onset.llr, 1), "source": ev.onset_source,
                              "histogram": ev.histogram.query_id if ev.histogram else None} if onset else None),
            "affected_services": ev.affected_services,
            "breakdown": ({"by": self.intent.group_by, "source": ev.main.id,
                           "buckets": [{"key": k, "count": n} for k, n in ev.breakdown]}
                          if self.intent.group_by else None),
            "latency": ev.latency.to_json() if ev.latency else None,
            "patterns": [p.to_json() for p in ev.patterns],
            "evidence": [e.to_json() for e in ev.lines],
            "concentrations": [c.to_json() for c in ev.concentrations],
            "suspects": [s.to_json() for s in self.suspects],
            "changes": [c.to_json() for c in self.changes],
            "summary": self.summary,
            "seen_before": self.history[0].sentence() if self.history else None,
            "history": [h.to_json() for h in self.history],
            "queries": [q.to_json() for q in ev.queries[1:]],
            "sources": [s.model_dump(exclude_none=True) for s in self.sources],
            "notes": self.notes,
            "partial": bool(self.partial),
            "partial_reasons": list(self.partial),
            "timing_ms": {k: round(v, 1) for k, v in self.timing_ms.items()},
        }


class Recall(Protocol):
    """Finds past investigations like this answer ("seen before"), implemented by incidentbot.memory,
    so the pipeline calls it without importing the database code."""

    def recall(self, answer: Answer) -> list[HistoryHit]: ...
