"""The changes an answer lists unranked: the log store failed, so nothing could be ranked against it.

Every door that shows an answer (terminal, Slack) lists them the same way,
under the same heading and bound, so what is still known without the logs
is never lost in one door and shown in another.
"""
from __future__ import annotations

from incidentbot.core.answer import Answer
from incidentbot.core.change import Change

LOG_STORE = "log store"  # the name the pipeline gives the log store among an answer's sources
HEADING = "Changes (not ranked: the log store did not answer)"
MAX_SHOWN = 20


def store_failed(answer: Answer) -> bool:
    return any(s.name == LOG_STORE and not s.ok for s in answer.sources)


def unranked_changes(answer: Answer, limit: int = MAX_SHOWN) -> list[Change]:
    """The newest `limit` changes when the log store failed and nothing was ranked; else none."""
    if answer.suspects or not store_failed(answer):
        return []
    return sorted(answer.changes, key=lambda c: c.timestamp, reverse=True)[:limit]
