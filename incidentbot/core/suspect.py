"""A ranked suspect change: the change, its score, confidence and the factors behind it.

It lives in core because the answer, the renderers and the audit trail all carry
suspects, and none of them should import the ranking stage to do so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incidentbot.core.change import Change


@dataclass
class Suspect:
    id: str
    rank: int
    change: Change
    score: float
    confidence: str
    factors: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {"id": self.id, "rank": self.rank, "change_id": c.id, "confidence": self.confidence,
                "score": round(self.score, 3), "reasons": self.reasons,
                "factors": {k: round(v, 3) for k, v in self.factors.items()},
                "kind": c.kind, "service": c.service, "title": c.title, "@timestamp": c.to_json()["@timestamp"],
                "url": c.url, "author": c.author}
