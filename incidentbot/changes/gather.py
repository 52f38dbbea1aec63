"""Read every change source at once and never let one of them sink the answer.

In an incident the deploy API that is down or slow is common (it may be part
of the outage), so sources are read in parallel, each bounded by one shared
deadline; a source that fails or misses the deadline becomes a
`SourceStatus(ok=False)` the answer shows, and the others' changes still come
back. Results are merged in the order the sources were given (not the order
they finished), so the same inputs always give the same answer.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, wait
from datetime import datetime

from incidentbot.core.change import Change, SourceStatus
from incidentbot.core.deadline import answer_deadline, start_daemon
from incidentbot.changes.sources.base import ChangeSource, SourceError, check_window, in_window, keep_newest

log = logging.getLogger(__name__)


def _error_text(exc: BaseException) -> str:
    """SourceError already names the source and the cause; anything else gets its type."""
    if isinstance(exc, SourceError):
        return exc.reason
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def gather_changes(
    sources: Sequence[ChangeSource],
    start: datetime,
    end: datetime,
    *,
    timeout_s: float = 10.0,
) -> tuple[list[Change], list[SourceStatus]]:
    """All sources' changes in [start, end], newest first, de-duplicated by id; one status per source.

    A slow source's thread cannot be killed; it is abandoned and the call
    returns at the deadline. Each source runs on a daemon thread (not an
    executor, whose threads Python joins at exit): a source blocked on a FIFO
    or a trickling socket never keeps the process alive after the answer.
    The sources see the deadline (core.deadline), so their own requests and
    Retry-After waits stop at it too.
    """
    start, end = check_window(start, end)
    if not sources:
        return [], []
    with answer_deadline(timeout_s):
        futures: list[Future[list[Change]]] = [
            start_daemon(lambda s=source: s.fetch(start, end), f"change-source:{getattr(source, 'name', '?')}"[:60])
            for source in sources]
        wait(futures, timeout=timeout_s)

    changes: list[Change] = []
    statuses: list[SourceStatus] = []
    seen: set[str] = set()
    for source, future in zip(sources, futures, strict=True):
        name = getattr(source, "name", type(source).__name__)
        if not future.done():
            future.cancel()
            log.warning("change source %s timed out after %ss", name, timeout_s)
            statuses.append(SourceStatus(name=name, ok=False, error=f"timed out after {timeout_s:g}s"))
            continue
        exc = future.exception()
        if exc is not None:
            log.warning("change source %s failed: %s", name, exc)
            statuses.append(SourceStatus(name=name, ok=False, error=_error_text(exc)))
            continue
        result = future.result() or []
        fetched = keep_newest((c for c in result if in_window(c.timestamp, start, end)),
                              why=getattr(result, "truncated", None))
        statuses.append(SourceStatus(name=name, ok=True, count=len(fetched), truncated=fetched.truncated))
        for change in fetched:
            if change.id not in seen:
                seen.add(change.id)
                changes.append(change)
    changes.sort(key=lambda c: c.id)
    changes.sort(key=lambda c: c.timestamp, reverse=True)
    return changes, statuses
