""""Seen before": earlier investigations whose top new error (or culprit) matches this answer.

Matching is on pattern templates, masked and reduced to their constant
words, compared as sets (Jaccard), so a template mined with different
variable parts or word order still matches, and raw log text (ids, numbers,
secrets) never does. A past answer is only cited while the log lines it cited
still exist: once its evidence has aged out of the store, it proves nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from incidentbot.core.answer import Answer
from incidentbot.core.errors import IncidentBotError
from incidentbot.core.history import HistoryHit
from incidentbot.memory.record import template_tokens, top_template
from incidentbot.memory.schema import Investigation
from incidentbot.memory.store import AuditStore

log = logging.getLogger(__name__)

THRESHOLD = 0.6  # Jaccard over template words; 0.6 keeps "pool exhausted after <*>ms" apart from "pool closed"
MIN_WORDS = 3  # a template of one or two words ("timeout") is too common to identify an incident
MAX_HITS = 3
CHECKED_LINES = 2
CONFIDENT = ("high", "medium")


class DocumentReader(Protocol):
    """The read-only gateway's get: enough to check that a cited line still exists."""

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None: ...


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


@dataclass
class _Match:
    row: Investigation
    on: str
    similarity: float


class Recaller:
    """Implements core.history.Recall over the audit store and the read-only gateway."""

    def __init__(self, store: AuditStore, reader: DocumentReader, threshold: float = THRESHOLD) -> None:
        self.store = store
        self.reader = reader
        self.threshold = threshold
        self.notes: list[str] = []

    def recall(self, answer: Answer) -> list[HistoryHit]:
        matches = self._matches(answer)
        hits: list[HistoryHit] = []
        for m in matches:
            if len(hits) >= MAX_HITS:
                break
            if not self._evidence_exists(m):
                log.info("past investigation %s matched but its evidence is gone: not cited", m.row.id)
                continue
            hits.append(self._hit(f"H{len(hits) + 1}", m))
        return hits

    def _matches(self, answer: Answer) -> list[_Match]:
        words = template_tokens(top_template(answer))
        top = answer.suspects[0] if answer.suspects and answer.suspects[0].confidence in CONFIDENT else None
        found: list[_Match] = []
        for row in self.store.candidates(exclude=answer.investigation_id):
            past = template_tokens(row.top_template)
            sim = jaccard(words, past)
            if len(words) >= MIN_WORDS and len(past) >= MIN_WORDS and sim >= self.threshold:
                found.append(_Match(row, "pattern", sim))
            elif (top is not None and row.culprit_confidence in CONFIDENT
                  and row.culprit_service == top.change.service and row.culprit_kind == top.change.kind):
                found.append(_Match(row, "culprit", 0.0))
        found.sort(key=lambda m: (m.on == "pattern", m.similarity, m.row.created_at), reverse=True)
        return found

    def _cited_lines(self, m: _Match) -> list[dict[str, Any]]:
        full = self.store.get(m.row.id)
        record = (full.record if full is not None else None) or {}
        lines = [e for e in record.get("evidence") or [] if e.get("index") and e.get("doc_id")]
        if m.on == "pattern":
            ids = {p.get("id") for p in record.get("patterns") or [] if p.get("template") == m.row.top_template}
            lines = [e for e in lines if e.get("pattern_id") in ids] or lines
        return lines[:CHECKED_LINES]

    def _evidence_exists(self, m: _Match) -> bool:
        """True when at least one line the past answer cited for this match can still be fetched."""
        for line in self._cited_lines(m):
            try:
                if self.reader.get(str(line["index"]), str(line["doc_id"])) is not None:
                    return True
            except IncidentBotError as exc:  # an index outside our patterns, a store hiccup: cannot check
                log.info("cannot check %s/%s: %s", line["index"], line["doc_id"], exc)
        return False

    def _hit(self, hid: str, m: _Match) -> HistoryHit:
        feedback = self.store.feedback_for(m.row.id)
        causes = [f.cause_change_id for f in feedback if f.cause_change_id]
        votes = [f.helpful for f in feedback if f.helpful is not None]
        return HistoryHit(id=hid, investigation_id=m.row.id, at=m.row.asked_at, channel=m.row.channel,
                          question=m.row.question, matched_on=m.on, similarity=m.similarity,
                          template=m.row.top_template, suspected=m.row.culprit_change_id,
                          cause=causes[-1] if causes else None, helpful=votes[-1] if votes else None)
