"""Time zones as people type them: abbreviations, region words and IANA names, with daylight time."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidentbot.question.timewords import parse_window, strip_window, zone_of

SUMMER = datetime(2026, 7, 14, 18, 0, tzinfo=UTC)
WINTER = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)


def start(text: str, at: datetime) -> str:
    w = parse_window(text, at)
    assert w is not None, text
    return w.start.strftime("%H:%M")


@pytest.mark.parametrize("text,summer,winter", [
    ("since 6:00 PT", "13:00", "14:00"),
    ("since 6:00 ET", "10:00", "11:00"),
    ("errors since 7:30 Pacific", "14:30", "15:30"),
    ("since 10:00 eastern time", "14:00", "15:00"),
    ("since 9am pt", "16:00", "17:00"),
    ("since 16:40 BST", "15:40", "16:40"),
    ("since 11 am CEST", "09:00", "10:00"),
    ("since 09:00 Europe/Berlin", "07:00", "08:00"),
    ("since 09:00 America/New_York", "13:00", "14:00"),
    ("since 06:00 PST", "13:00", "14:00"),   # "PST" in July means Pacific time
    ("since 14:00 +02:00", "12:00", "12:00"),  # a fixed offset stays fixed
    ("since 14:00", "14:00", "14:00"),         # no zone: UTC
])
def test_zones_follow_the_date(text: str, summer: str, winter: str) -> None:
    assert start(text, SUMMER) == summer
    assert start(text, WINTER) == winter


def test_a_bare_hour_is_a_time_when_a_zone_follows() -> None:
    w = parse_window("from 11 ET", SUMMER)
    assert w and w.start.strftime("%H:%M") == "15:00" and w.end == SUMMER
    w = parse_window("between 9 and 10 ET", SUMMER)
    assert w and (w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) == ("13:00", "14:00")
    assert parse_window("between 2 and 3 pods", SUMMER) is None  # no zone: numbers, not times


def test_rollout_times_lunch_and_typos() -> None:
    assert start("errors since the 09:12 rollout", SUMMER) == "09:12"
    assert start("something feels off since lunch", SUMMER) == "12:00"
    assert start("500s snce 11:35 ET pls", SUMMER) == "15:35"
    assert "lunch" not in strip_window("off since lunch on checkout")


def test_zone_words() -> None:
    assert zone_of("Pacific time") is not None and zone_of("uk") is not None
    assert zone_of("that") is None and zone_of(None) is None
    assert zone_of("Mars/Olympus") is None
