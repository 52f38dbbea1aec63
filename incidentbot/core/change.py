"""The one change model every source fills.

Deploys, config edits, flag flips and infra work come from many systems; the
ranking and the renderers only ever see this shape, so adding a source never
touches them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from incidentbot.core.timeutil import iso

ChangeKind = Literal["deploy", "config", "feature_flag", "infra", "schema", "rollback", "manual", "dependency"]
CHANGE_KINDS: tuple[str, ...] = ("deploy", "config", "feature_flag", "infra", "schema", "rollback", "manual", "dependency")


class Change(BaseModel):
    """One change event, whatever system recorded it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    timestamp: datetime = Field(alias="@timestamp")
    kind: ChangeKind
    service: str
    title: str
    description: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    version: str | None = None
    previous_version: str | None = None
    files: list[str] = Field(default_factory=list)
    config_keys: list[str] = Field(default_factory=list)
    environment: str | None = None
    started_at: datetime | None = Field(
        default=None, validation_alias=AliasChoices("started_at", "start_time", "startedAt", "started"))
    """When a rollout began, if the source says; `@timestamp` may be when it finished."""
    recorded_service: str | None = None
    """The changed thing as the record named it (a repository, image, app), when mapped to a log service."""
    service_match: str | None = None
    """Why `service` is that log service ("repository shop/checkout is service checkout")."""

    @property
    def began(self) -> datetime:
        """The earliest moment the change could act: its start time, else its timestamp."""
        if self.started_at is not None and self.started_at < self.timestamp:
            return self.started_at
        return self.timestamp

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON shape (`@timestamp` in UTC with a Z)."""
        d = self.model_dump(by_alias=True, exclude_none=True)
        d["@timestamp"] = self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.started_at is not None:
            d["started_at"] = self.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return d


class SourceStatus(BaseModel):
    """What one change source did for one answer: read fine, or failed and why."""

    name: str
    ok: bool
    error: str | None = None
    count: int = 0
    # set when the source had more than it was allowed to read: what was kept and why
    truncated: str | None = None



@dataclass
class ChangeReport:
    """The answer to "what changed?": the changes of a window, newest first, each with a risk flag."""

    start: datetime
    end: datetime
    services: list[str]
    changes: list[Change]
    sources: list[SourceStatus]
    notes: list[str]
    risks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def risk(self, change: Change) -> tuple[str, str]:
        """(high/medium/low, the reason a responder reads); low when none was computed."""
        return self.risks.get(change.id, ("low", ""))

    def to_json(self) -> dict[str, Any]:
        def one(c: Change) -> dict[str, Any]:
            risk, reason = self.risk(c)
            return {**c.to_json(), "risk": risk, "risk_reason": reason}

        return {"start": iso(self.start), "end": iso(self.end), "services": self.services,
                "changes": [one(c) for c in self.changes],
                "sources": [s.model_dump(exclude_none=True) for s in self.sources], "notes": self.notes}
