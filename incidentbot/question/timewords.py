"""Windows in people's words: "last 30 minutes", "since 14:05", "between 13:00 and 13:30 CET".

Times without a date mean the most recent such time not after the moment the
question is asked; times without a zone are UTC. A window runs from its first
named instant to its last, both included.

Zones are IANA zones (zoneinfo), so daylight time follows the date asked about:
"since 6:00 PT" is 13:00 UTC in July and 14:00 UTC in January. People name
zones by abbreviation ("PT", "ET", "BST", "CEST"), by region word ("Pacific",
"Eastern time") or by IANA name ("Europe/London"); the regional abbreviations
map to the region's zone whichever half of the year they name, since "PST" in
July almost always means "Pacific time" (see ZONE_NAMES). Fixed UTC offsets
("+02:00") stay fixed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentbot.core.timeutil import UTC, parse_instant

ZONE_NAMES: dict[str, str] = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mountain": "America/Denver",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
    "akt": "America/Anchorage", "hst": "Pacific/Honolulu",
    "bst": "Europe/London", "uk": "Europe/London", "london": "Europe/London",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "met": "Europe/Paris",
    "eet": "Europe/Athens", "eest": "Europe/Athens", "msk": "Europe/Moscow",
    "ist": "Asia/Kolkata", "sgt": "Asia/Singapore", "hkt": "Asia/Hong_Kong", "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul", "aest": "Australia/Sydney", "aedt": "Australia/Sydney",
    "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland",
}
"""A zone word (lower case) -> the IANA zone it means; the offset comes from zoneinfo for the date."""
_WORD_ZONES = r"pacific|eastern|central|mountain|uk|london"
_ZONE = (r"(?:\s*(?P<{n}>utc\b|gmt\b|zulu\b|z\b|[a-z]{{2,4}}t\b|pt\b|et\b|ct\b|mt\b|"
         r"(?:africa|america|antarctica|asia|atlantic|australia|europe|indian|pacific)/[a-z_]+(?:/[a-z_]+)?|"
         r"(?:" + _WORD_ZONES + r")\b(?:\s+time\b)?|[+-]\d{{1,2}}(?::?\d{{2}})?))?")
_CLOCK = r"(?P<{n}h>\d{{1,2}})(?::(?P<{n}m>\d{{2}}))?(?::(?P<{n}s>\d{{2}}))?\s*(?P<{n}ap>am\b|pm\b)?"
_ISO = r"(?P<{n}iso>\d{{4}}-\d{{2}}-\d{{2}}[t ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:z|[+-]\d{{2}}:?\d{{2}})?)"


def _instant(n: str) -> str:
    return "(?:" + _ISO.format(n=n) + "|" + _CLOCK.format(n=n) + ")" + _ZONE.format(n=n + "z")


UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
         "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
         "days": 86400, "w": 604800, "wk": 604800, "week": 604800, "weeks": 604800, "y": 31536000, "yr": 31536000,
         "year": 31536000, "years": 31536000}
_UNIT = r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|hr|h|days?|d|weeks?|wks?|w|years?|yrs?|y)\b"
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10,
                 "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "few": 3,
                 "couple": 2, "half": 0.5}

RANGE = re.compile(r"\b(?:between|from)\s+" + _instant("a") + r"\s*(?:and|to|until|till|-|–)\s*" + _instant("b"), re.IGNORECASE)
SINCE = re.compile(r"\b(?:since|snce|sinse|sicne|sinc|after|starting(?: at)?|from)\s+(?:the\s+[\w-]+(?:\s+[\w-]+)?\s+(?:at|of)\s+|the\s+)?"
                   + _instant("a"), re.IGNORECASE)
AROUND = re.compile(r"\b(?:around|about|near|circa|~|at)\s+" + _instant("a"), re.IGNORECASE)
RELATIVE = re.compile(
    r"\b(?:(?:in|over|during|for)\s+)?(?:the\s+)?(?:last|past|previous|prev|recent)\s+"
    r"(?P<num>\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty|fifty|sixty|few|couple(?: of)?|half(?: an?)?)?\s*"
    + _UNIT, re.IGNORECASE)
BARE_RELATIVE = re.compile(
    r"(?<![\w:./-])(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>minutes?|mins?|m|hours?|hrs?|hr|h|days?|d|weeks?|wks?|w)\b(?:\s+ago)?(?![\w.-])", re.IGNORECASE)
TODAY = re.compile(r"\btoday\b|\bthis morning\b|\bthis afternoon\b|\byesterday\b", re.IGNORECASE)


@dataclass
class Window:
    start: datetime
    end: datetime
    phrase: str
    capped: bool = False


def zone_of(token: str | None) -> tzinfo | None:
    """The zone a word names ("PT", "Pacific time", "Europe/London", "+02:00"), or None if it names none."""
    if not token:
        return None
    low = re.sub(r"\s+time$", "", token.strip().lower())
    if low in ZONE_NAMES:
        return ZoneInfo(ZONE_NAMES[low])
    m = re.fullmatch(r"([+-])(\d{1,2})(?::?(\d{2}))?", low)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    if "/" in low:
        name = "/".join(part.capitalize() if part.isalpha() else "_".join(w.capitalize() for w in part.split("_"))
                        for part in token.strip().split("/"))
        for candidate in (token.strip(), name):
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def _zone(token: str | None) -> tzinfo:
    return zone_of(token) or UTC


def _known_zone(token: str | None) -> bool:
    return not token or zone_of(token) is not None


def _resolve(m: re.Match[str], n: str, at: datetime, default_zone: tzinfo | None = None) -> datetime | None:
    """The instant named by group set `n`: an ISO time, or a clock time on the latest day not after `at`."""
    iso_text = m.group(n + "iso")
    if iso_text:
        try:
            return parse_instant(iso_text.upper().replace(" ", "T"))
        except ValueError:
            return None
    hour = int(m.group(n + "h"))
    minute = int(m.group(n + "m") or 0)
    second = int(m.group(n + "s") or 0)
    ampm = (m.group(n + "ap") or "").lower()
    zone_token = m.group(n + "z")
    if not m.group(n + "m") and not ampm and default_zone is None and zone_of(zone_token) is None:
        return None  # a bare number is not a clock time ("from 11 ET" is: the zone says so)
    if ampm == "pm" and hour < 12:
        hour += 12
    if ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    zone = zone_of(zone_token) if zone_token else None
    zone = zone or default_zone or UTC
    local_at = at.astimezone(zone)
    # naive wall time on the asked day, then placed in the zone: zoneinfo picks that day's offset
    wall = local_at.replace(tzinfo=None, hour=hour, minute=minute, second=second, microsecond=0)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _before_at(moment: datetime, at: datetime) -> datetime:
    """A clock time with no date means the latest such time not after the question."""
    while moment > at + timedelta(minutes=1):
        moment -= timedelta(days=1)
    return moment


MAX_WINDOW = timedelta(days=30)


_WORD_TIMES = re.compile(r"\b(?:(?P<noon>noon|midday|lunch(?:\s?time)?)|(?P<midnight>midnight))\b", re.IGNORECASE)


def _word_times(text: str) -> str:
    """"since lunch" / "since noon" -> 12:00, "since midnight" -> 00:00: approximate, and the window says so."""
    return _WORD_TIMES.sub(lambda m: "12:00" if m.group("noon") else "00:00", text)


def parse_window(text: str, at: datetime) -> Window | None:
    """The window a question names, or None when it names none."""
    text = _word_times(text)
    m = RANGE.search(text)
    if m and (m.group("biso") or m.group("bm") or m.group("bap") or zone_of(m.group("bz")) is not None):
        zone_b = m.group("bz")
        default = _zone(zone_b) if zone_b and _known_zone(zone_b) else None
        start = _resolve(m, "a", at, default)
        end = _resolve(m, "b", at, default)
        if start and end:
            explicit_date = bool(m.group("aiso") or m.group("biso"))
            if not explicit_date:
                end = _before_at(end, at) if start > at else end
                start = _before_at(start, at)
                while end < start:
                    end += timedelta(days=1)
                if start > at:
                    start -= timedelta(days=1)
                    end -= timedelta(days=1)
            return Window(start, end, m.group(0).strip())
    m = SINCE.search(text)
    if m and (m.group("aiso") or m.group("am") or m.group("aap") or zone_of(m.group("az")) is not None):
        start = _resolve(m, "a", at)
        if start:
            if not m.group("aiso"):
                start = _before_at(start, at)
            return Window(start, at, m.group(0).strip())
    m = RELATIVE.search(text) or BARE_RELATIVE.search(text)
    if m:
        raw = (m.group("num") or "1").lower().replace(" of", "").replace(" an", "").replace(" a", "")
        amount = float(_NUMBER_WORDS.get(raw, raw)) if raw.replace(".", "", 1).isdigit() or raw in _NUMBER_WORDS else 1.0
        seconds = amount * UNITS[m.group("unit").lower()]
        span = timedelta(seconds=seconds)
        capped = span > MAX_WINDOW
        if capped:
            span = MAX_WINDOW
        return Window(at - span, at, m.group(0).strip(), capped)
    m = AROUND.search(text)
    if m and (m.group("aiso") or m.group("am") or m.group("aap")):
        center = _resolve(m, "a", at)
        if center:
            if not m.group("aiso"):
                center = _before_at(center, at)
            return Window(center - timedelta(minutes=15), center + timedelta(minutes=15), m.group(0).strip())
    m = TODAY.search(text)
    if m:
        word = m.group(0).lower()
        midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if word == "yesterday":
            return Window(midnight - timedelta(days=1), midnight, word)
        if word == "this morning":
            return Window(midnight, min(at, midnight + timedelta(hours=12)), word)
        if word == "this afternoon":
            return Window(midnight + timedelta(hours=12), min(at, midnight + timedelta(hours=18)), word)
        return Window(midnight, at, word)
    return None


def strip_window(text: str) -> str:
    """The question without its window phrase, so numbers in it are not read as status codes."""
    text = _word_times(text)
    for pattern in (RANGE, SINCE, RELATIVE, BARE_RELATIVE, AROUND):
        text = pattern.sub(" ", text)
    return text


# Time words the window parser did not turn into a window: a negative or odd span, an impossible
# clock time, a day in the future. Said in the notes, so a wrong default window is never silent.
_UNREAD_TIME = re.compile(
    r"\b(?:last|past|next|previous)\s+-\s*\d+\s*[a-z]+|\b(?:last|past|previous)\s+-?\d+\s*[a-z]+"
    r"|\b(?:between|from)\s+\S+\s+(?:and|to|until)\s+\S+|\b\d{1,2}:\d{2}\b|\btomorrow\b|\bnext\s+(?:week|hour|day)\b"
    r"|\b\d+\s*(?:minutes?|mins?|hours?|hrs?|days?)\s+ago\b|\bsince\s+\d\S*", re.I)


def unread_time_phrase(text: str) -> str | None:
    """A phrase that reads like a time or window, when `parse_window` found none in the text."""
    m = _UNREAD_TIME.search(text or "")
    return m.group(0) if m else None
