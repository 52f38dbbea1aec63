"""What a responder said about an answer, and where such words are kept.

The Slack layer collects feedback and the audit trail stores it; both only
know this type and the `FeedbackSink` protocol, so the Slack door works the
same with the in-memory sink (tests, a single process) and the database one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

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
