"""Time helpers: every instant inside the bot is a UTC-aware datetime.

Logs, questions and change feeds spell time many ways; converting once at the
edges keeps windows and comparisons exact everywhere else.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)\s*$",
                       re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# The one timestamp matcher, for log lines and the values we quote: ISO 8601 (seconds, fraction and zone
# optional), slashed dates, the access-log and syslog forms, bare clock times and epoch seconds.
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}|UTC))?"
TIMESTAMP = (
    r"(?:" + ISO_TIMESTAMP
    + r"|\d{4}/\d{2}/\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
    + r"|\d{1,2}/" + _MONTH + r"/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?"
    + r"|(?:" + _WEEKDAY + r",? )?" + _MONTH + r" {1,2}\d{1,2},?(?: \d{4})? \d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: \d{4})?"
    + r"|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
    + r"|\d{10}(?:\.\d+)?)"
)
ISO_TIMESTAMP_RE = re.compile(ISO_TIMESTAMP)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant (a trailing Z allowed); a naive time is taken as UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(moment: datetime | None, millis: bool = False) -> str | None:
    """Format as ISO 8601 UTC with a Z, to the second (or millisecond)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_utc() -> datetime:
    return datetime.now(UTC)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def human_duration(delta: timedelta) -> str:
    """'2m 20s', '1h 5m', '45s': how responders say a gap."""
    seconds = int(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


def hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M")


def parse_duration(text: str) -> timedelta | None:
    """A span as people type it after --since: "2h", "30m", "90 minutes", "1.5 days"; None if it is not one."""
    m = _DURATION.match(text or "")
    if not m:
        return None
    return timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2)[0].lower()])
