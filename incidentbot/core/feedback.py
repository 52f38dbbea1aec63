"""What a responder said about an answer, and where such words are kept.

The Slack layer collects feedback and the audit trail stores it; both only
know this type and the `FeedbackSink` protocol, so the Slack door works the
same with the in-memory sink (tests, a single process) and the database one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

NONE_OF_THESE = "none"


@dataclass
class Feedback:
    """One feedback event on one investigation.

    `helpful` is True/False for the thumbs, None when only a cause was picked;
    `cause_change_id` is a listed change's id, `NONE_OF_THESE`, or None.
    """

    investigation_id: str
    user: str
    channel: str | None = None
    thread_ts: str | None = None
    helpful: bool | None = None
    cause_change_id: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_json(self) -> dict[str, Any]:
        """One line of a feedback export (bench/feedback_report.py reads these)."""
        return {"investigation_id": self.investigation_id, "user": self.user, "channel": self.channel,
                "thread_ts": self.thread_ts, "helpful": self.helpful, "cause_change_id": self.cause_change_id,
                "at": self.at.isoformat()}


class FeedbackSink(Protocol):
    """Where feedback goes: memory in one process, the audit database when configured."""

    def record_feedback(self, feedback: Feedback) -> None: ...

    def feedback_for(self, investigation_id: str) -> list[Feedback]: ...


class MemoryFeedbackSink:
    """Feedback kept in this process only (the default without an audit database)."""

    def __init__(self) -> None:
        self._items: list[Feedback] = []

    def record_feedback(self, feedback: Feedback) -> None:
        self._items.append(feedback)

    def feedback_for(self, investigation_id: str) -> list[Feedback]:
        return [f for f in self._items if f.investigation_id == investigation_id]

    def all(self) -> list[Feedback]:
        """Every feedback kept, oldest first (the bench's feedback report reads an export of this)."""
        return list(self._items)
