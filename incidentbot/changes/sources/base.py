"""What every change source is, and the few helpers they all share.

The ranking only needs `Change` values for a window; where they come from
(a file, GitHub, Argo CD, Kubernetes, LaunchDarkly, an Elasticsearch index)
must not matter to it. So a source is anything with a `name` and a
`fetch(start, end)`, and it reports failure by raising, never by returning
a partial list that looks complete: `gather_changes` turns the exception into
a `SourceStatus` so one broken system never hides the others.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol, runtime_checkable

from pydantic import TypeAdapter, ValidationError

from incidentbot.core.change import Change
from incidentbot.core.deadline import current_deadline

UTC = timezone.utc
# What one source may hand to an answer: the newest ones. An incident needs the recent changes, and
# 100,000 of them would cost minutes, gigabytes and a JSON nobody reads (docs/faults.md).
MAX_CHANGES_PER_SOURCE = 1000


@runtime_checkable
class ChangeSource(Protocol):
    """A read-only system that knows about changes.

    `name` says which system and which part of it ("github:acme/payments",
    "argocd", "kubernetes", "launchdarkly", "file:changes.ndjson"), so a
    responder reading "source down" knows where to look.
    """

    name: str

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        """Changes with start <= timestamp <= end (UTC-aware); raise SourceError on failure."""
        ...


class SourceError(Exception):
    """A change source could not be read; the message always names the source."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.reason = message
        super().__init__(f"{source}: {message}")


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive time is taken as UTC, as SCENARIOS.md says."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Validate a window once so every source compares like with like."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("change windows must use timezone-aware datetimes")
    if end < start:
        raise ValueError(f"window end {end.isoformat()} is before its start {start.isoformat()}")
    return as_utc(start), as_utc(end)


def in_window(moment: datetime | None, start: datetime, end: datetime) -> bool:
    """Both ends included: a change at exactly `end` is in the window."""
    return moment is not None and start <= as_utc(moment) <= end


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 instant from a vendor API ("...Z" allowed), or None when absent or unreadable."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def env_list(env: Mapping[str, str], key: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped."""
    return [part.strip() for part in env.get(key, "").split(",") if part.strip()]


def env_map(env: Mapping[str, str], key: str) -> dict[str, str]:
    """A `name=value,name=value` setting; an item without `=` is a configuration error."""
    result: dict[str, str] = {}
    for item in env_list(env, key):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{key}: {item!r} is not of the form name=value")
        result[name.strip()] = value.strip()
    return result


def env_bool(env: Mapping[str, str], key: str, default: bool = False) -> bool:
    """A yes/no setting spelled the usual ways; anything else is a configuration error."""
    raw = env.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{key} must be true or false, not {raw!r}")


def shorten(text: str | None, limit: int = 500) -> str | None:
    """Vendor descriptions can be pages long; an answer needs the first lines."""
    if not text:
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Fetched(list[Change]):
    """A source's changes, with `truncated` saying what was cut when it had more than it may hand over."""

    truncated: str | None = None


def keep_newest(changes: Iterable[Change], limit: int = MAX_CHANGES_PER_SOURCE, seen: int | None = None,
                why: str | None = None) -> Fetched:
    """The newest `limit` changes (bounded memory: a heap, never the whole list sorted), marked when cut."""
    counter = [0]

    def counted() -> Iterable[tuple[float, str, Change]]:
        for change in changes:
            counter[0] += 1
            yield as_utc(change.timestamp).timestamp(), change.id, change

    kept = Fetched(item[2] for item in heapq.nlargest(limit, counted(), key=lambda t: (t[0], t[1])))
    total = seen if seen is not None else counter[0]
    if total > len(kept) or why:
        kept.truncated = why or f"kept the newest {len(kept)} of {total} changes in the window"
    return kept


def remaining_s(default: float) -> float:
    """A timeout no longer than what the answer's deadline has left (the default without one)."""
    deadline = current_deadline()
    return deadline.cap(default) if deadline is not None else default


def validate_payload(source: str, what: str, shape: Any, data: Any) -> Any:
    """Check a vendor payload against its documented shape; a mismatch is the source's failure, named.

    `{"items": "nope"}` must not read as "ok, 0 changes": a response we do not understand
    is a broken source, and the answer has to say so.
    """
    try:
        return TypeAdapter(shape).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the body"
        raise SourceError(source, f"{what} is not the documented shape ({where}: {first.get('msg')})") from None
