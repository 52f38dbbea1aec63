"""What a person types after /whatchanged: "payments 2h", "checkout since 13:00", "last 3 hours"."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentbot.core.catalog import Catalog
from incidentbot.core.errors import UsageError
from incidentbot.question.services import match_services
from incidentbot.question.timewords import parse_window, strip_window, unread_time_phrase

DEFAULT_SPAN = timedelta(hours=2)


@dataclass
class ChangeQuery:
    start: datetime
    end: datetime
    services: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_change_query(text: str, at: datetime, known_services: list[str], catalog: Catalog) -> ChangeQuery:
    """The window (default: the last 2 hours) and the services named in the text."""
    text = (text or "").strip()
    window = parse_window(text, at) if text else None
    notes = []
    if window is None:
        start, end = at - DEFAULT_SPAN, at
        if text and (unread := unread_time_phrase(text)) is not None:
            notes.append(f"could not read the time in \"{unread}\": listed the last 2 hours instead")
        elif text:
            notes.append("no window named: the last 2 hours")
    else:
        start, end = window.start, window.end
        if window.capped:
            notes.append("window capped at 30 days")
    if start > at:
        raise UsageError(f"the window {text!r} lies wholly in the future")
    rest = strip_window(text) if text else ""
    services: list[str] = []
    unknown: list[str] = []
    if rest.strip():
        sm = match_services(rest, known_services, catalog)
        services = sm.services
        leftovers = [w for w in rest.replace(",", " ").split() if w.lower() not in
                     {"last", "past", "since", "for", "in", "the", "changes", "what", "changed", "service", "services",
                      "all", "recent", "and", "to", "of", "on", "hours", "hour", "minutes", "today"}]
        if not services and leftovers:
            unknown = leftovers[:3]
    return ChangeQuery(start, end, services, unknown, notes)
