"""What the bot remembers about its threads: the first question's intent, and recent answers.

A follow-up in an incident thread ("and since 13:00?") means the same
services and window as the thread's first question, so the first answer's
`Intent` is kept per (channel, thread_ts) and passed to `investigate` as
`context`. Answers are kept so the read-only buttons ("Show evidence") can
post more of the same answer without running it again. Both live in memory,
bounded: a restart forgets them, which only costs a follow-up its context.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from incidentbot.core.answer import Answer
from incidentbot.core.cache import BoundedCache
from incidentbot.core.intent import Intent

MAX_THREADS = 2000
THREAD_TTL_S = 24 * 3600.0
MAX_ANSWERS = 500


class ThreadMemory:
    """The first intent of each thread the bot answered, per (channel, thread_ts)."""

    def __init__(self, max_threads: int = MAX_THREADS, ttl_s: float = THREAD_TTL_S) -> None:
        self._threads: BoundedCache[tuple[str, str], Intent] = BoundedCache(max_threads, ttl_s)

    def remember(self, channel: str, thread_ts: str, intent: Intent) -> Intent:
        """Keep the thread's first intent: later answers never replace it, so context does not drift."""
        return self._threads.put((channel, thread_ts), intent, keep_existing=True)

    def context(self, channel: str, thread_ts: str | None) -> Intent | None:
        return self._threads.get((channel, thread_ts)) if thread_ts else None

    def answered(self, channel: str, thread_ts: str | None) -> bool:
        return self.context(channel, thread_ts) is not None


@dataclass
class StoredAnswer:
    answer: Answer
    channel: str
    thread_ts: str


class AnswerStore:
    """Recent answers by a short random key, the value of their buttons."""

    def __init__(self, max_answers: int = MAX_ANSWERS) -> None:
        self._answers: BoundedCache[str, StoredAnswer] = BoundedCache(max_answers)

    def put(self, answer: Answer, channel: str, thread_ts: str) -> str:
        key = uuid.uuid4().hex[:16]
        self._answers.put(key, StoredAnswer(answer, channel, thread_ts))
        return key

    def get(self, key: str | None) -> StoredAnswer | None:
        return self._answers.get(key) if key else None
