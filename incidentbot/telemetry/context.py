"""The investigation running in this thread or task, for log lines (a ContextVar, no dependencies)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

INVESTIGATION: ContextVar[str | None] = ContextVar("incidentbot_investigation", default=None)


@contextmanager
def investigation(investigation_id: str) -> Iterator[None]:
    """Every log line inside carries this investigation id."""
    token = INVESTIGATION.set(investigation_id)
    try:
        yield
    finally:
        INVESTIGATION.reset(token)
