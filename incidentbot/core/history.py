"""A past investigation that saw the same thing: what the answer's "seen before" cites as [H1].

The type lives in core because the answer, the renderers and the memory
layer all carry it (the `Recall` protocol the pipeline calls is beside the
answer, in core/answer.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentbot.core.timeutil import iso


@dataclass
class HistoryHit:
    """One earlier investigation that matched, with what was suspected then and what people said."""

    id: str
    investigation_id: str
    at: datetime
    channel: str | None
    question: str
    matched_on: str  # "pattern" (template similarity) or "culprit" (same service and kind of change)
    similarity: float
    template: str | None
    suspected: str | None
    cause: str | None
    helpful: bool | None = None

    def where(self) -> str:
        return f"in #{self.channel}" if self.channel else "from the terminal"

    def sentence(self) -> str:
        """One sentence for the summary, citing itself; it claims only what the record holds."""
        what = "the same error" if self.matched_on == "pattern" else "a failure pinned on the same kind of change"
        out = f"{what[0].upper()}{what[1:]} was seen on {self.at.date().isoformat()} {self.where()} [{self.id}]"
        if self.cause and self.cause != "none":
            out += f"; then the cause was marked as {self.cause}"
        elif self.cause == "none":
            out += "; then feedback said none of the listed changes caused it"
        elif self.suspected and self.helpful:
            out += f"; then {self.suspected} was suspected and the answer was marked helpful"
        elif self.suspected:
            out += f"; then {self.suspected} was suspected (no cause was marked)"
        return out + "."

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "investigation_id": self.investigation_id, "at": iso(self.at),
                "channel": self.channel, "question": self.question, "matched_on": self.matched_on,
                "similarity": round(self.similarity, 3), "template": self.template,
                "suspected": self.suspected, "cause": self.cause, "helpful": self.helpful}

