"""The typed intent: what a question asks, in a form our code compiles.

Neither the parser nor an LLM ever hands the gateway a query; both fill this
type, and only `query.compile` turns it into the query DSL. That is what
keeps model output from ever running as a query.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from incidentbot.core.timeutil import iso

CANONICAL_LEVELS: tuple[str, ...] = ("fatal", "error", "warn", "info", "debug", "trace")

Ask = Literal["investigate", "count", "list"]
# What went wrong: failing lines (errors, 5xx), or requests that got slow.
Symptom = Literal["errors", "latency"]


class StatusFilter(BaseModel):
    """An HTTP status code or class: 502 is (502, 502), 5xx is (500, 599)."""

    low: int
    high: int

    @property
    def label(self) -> str:
        if self.low == self.high:
            return str(self.low)
        if self.high - self.low == 99 and self.low % 100 == 0:
            return f"{self.low // 100}xx"
        return f"{self.low}-{self.high}"


class IntentParts(BaseModel):
    """What a question asks for: the filters, the grouping and the measure, declared once.

    The deterministic parse (question.parse), the model's checked reading
    (question.llm) and the typed Intent all carry these parts; declaring them
    here is what makes a new filter one line, not one line per reader.
    """

    ask: Ask = "investigate"
    services: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)
    text: list[str] = Field(default_factory=list)  # phrases the message must contain
    exclude_text: list[str] = Field(default_factory=list)
    status: list[StatusFilter] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    versions: list[str] = Field(default_factory=list)
    traces: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    group_by: str | None = None
    symptom: Symptom = "errors"
    percentile: float | None = None  # "p99 of orders-api": the statistic asked for
    slower_than_ms: float | None = None  # "slower than 800ms": a count of slow requests

    def parts(self) -> dict[str, Any]:
        """These parts alone, by name: what an Intent is built from (`Intent(**parsed.parts(), ...)`)."""
        return {name: getattr(self, name) for name in IntentParts.model_fields}


class Intent(IntentParts):
    """What the question means: its parts (services, levels, text, status, ...), plus the window and notes."""

    question: str
    related_services: list[str] = Field(default_factory=list)
    start: datetime
    end: datetime
    window_named: bool = False
    unknown_services: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The contract's `intent` object: every part (statuses by label), the window just after the services."""
        parts = {name: _plain(value) for name, value in self.parts().items()}
        head = {"ask": parts.pop("ask"), "services": parts.pop("services"),
                "related_services": list(self.related_services), "start": iso(self.start), "end": iso(self.end),
                "window_named": self.window_named}
        return {**head, **parts, "notes": list(self.notes)}


def _plain(value: Any) -> Any:
    """A part as JSON holds it: lists copied, a status filter by its label ("5xx", "502")."""
    if isinstance(value, list):
        return [v.label if isinstance(v, StatusFilter) else v for v in value]
    return value
