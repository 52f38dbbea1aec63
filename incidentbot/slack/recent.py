"""What the Home tab shows besides how to ask: recent investigations and the health of each source.

Both are kept in memory, bounded, by the process that answered: the Home tab
is a glance ("is the bot healthy, what did it look at lately"), not the
audit trail, which keeps every investigation for good.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

from incidentbot.core.answer import Answer

MAX_RECENT = 200
LOG_STORE = "log store"
LLM = "LLM"


@dataclass(frozen=True)
class Investigation:
    """One answered question and where its thread is."""

    investigation_id: str
    question: str
    channel: str
    thread_ts: str
    at: datetime
    headline: str
    user: str | None = None


class RecentInvestigations:
    """The last investigations, newest first, at most `max_items` of them."""

    def __init__(self, max_items: int = MAX_RECENT) -> None:
        self._items: deque[Investigation] = deque(maxlen=max_items)
        self._lock = threading.Lock()

    def add(self, answer: Answer, channel: str, thread_ts: str, user: str | None = None) -> Investigation:
        item = Investigation(answer.investigation_id, answer.question, channel, thread_ts,
                             datetime.now(timezone.utc), answer.summary.split("\n", 1)[0][:200], user)
        with self._lock:
            self._items.appendleft(item)
        return item

    def latest(self, channels: set[str] | None = None, limit: int = 10) -> list[Investigation]:
        """The newest `limit` investigations, only in `channels` when given (what a viewer may see)."""
        with self._lock:
            items = list(self._items)
        return [i for i in items if channels is None or i.channel in channels][:limit]


@dataclass
class SourceState:
    name: str
    ok: bool | None = None  # None: not used yet
    last_error: str | None = None
    last_error_at: datetime | None = None
    checked_at: datetime | None = None


@dataclass
class Health:
    """The last known state of each source (log store, change sources, LLM), updated by every answer."""

    sources: dict[str, SourceState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, name: str, ok: bool, error: str | None = None) -> None:
        now = datetime.now(timezone.utc)
        with self._lock:
            state = self.sources.setdefault(name, SourceState(name))
            state.ok, state.checked_at = ok, now
            if not ok:
                state.last_error, state.last_error_at = (error or "failed")[:300], now

    def from_answer(self, answer: Answer, llm_enabled: bool) -> None:
        """Every answer tells how the log store, each change source and the LLM did."""
        self.report(LOG_STORE, True)
        for status in answer.sources:
            self.report(f"changes: {status.name}", status.ok, status.error)
        if llm_enabled:
            trouble = [n for n in answer.notes if n.startswith("LLM") and any(
                w in n.lower() for w in ("unavailable", "failed", "error", "timed out", "rejected"))]
            self.report(LLM, answer.mode == "llm" and not trouble, "; ".join(trouble) or "summary not used")

    def snapshot(self) -> list[SourceState]:
        with self._lock:
            return [SourceState(**vars(s)) for s in self.sources.values()]
