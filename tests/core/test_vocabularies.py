"""The shared vocabularies in core: one level table, one duration reader, one name matcher, one cache."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from incidentbot.core.cache import BoundedCache
from incidentbot.core.fields import FieldMap
from incidentbot.core.levels import LINE_LEVEL_WORDS, canonical_level, severity
from incidentbot.core.names import any_of, mentions, name_pattern
from incidentbot.core.timeutil import ISO_TIMESTAMP_RE, parse_duration
from incidentbot.evidence.rawlines import split_messages


@pytest.mark.parametrize("spelling, level", [
    ("ERR", "error"), ("Error", "error"), ("e", "error"), ("[warn]", "warn"), ("WARNING:", "warn"),
    ("crit", "fatal"), ("alert", "fatal"), ("LOG", "info"), ("notice", "info"), ("TRACE", "trace"),
    ("finest", "trace"), (3, "error"), (50, "error"), (10, "trace"), (True, None), ("nonsense", None),
])
def test_one_level_table_for_fields_questions_and_lines(spelling: object, level: str | None) -> None:
    assert canonical_level(spelling) == level


def test_a_raw_line_and_a_level_field_read_the_same_level() -> None:
    """The prefix matcher comes from the same table: what a field calls "trace" a line does too."""
    for word in ("TRACE", "WRN", "Err", "CRITICAL"):
        messages, _ = split_messages([f"2026-03-14 14:04:07 {word} something happened"])
        assert messages[0].level == canonical_level(word), word
    assert "warning" in LINE_LEVEL_WORDS.split("|") and "e" not in LINE_LEVEL_WORDS.split("|")
    assert severity("trace") < severity("debug") < severity("warn") < severity("fatal")
    assert severity(None) < severity("trace")


def test_level_terms_fall_back_to_the_table_spellings() -> None:
    fm = FieldMap(level="level", level_values={"error": ["ERR"]})
    assert fm.level_terms(["error"]) == ["ERR"]
    assert {"WARN", "warning", "Warn"} <= set(fm.level_terms(["warn"]))


@pytest.mark.parametrize("text, span", [
    ("2h", timedelta(hours=2)), ("30m", timedelta(minutes=30)), ("90 minutes", timedelta(minutes=90)),
    ("1.5d", timedelta(hours=36)), ("2 weeks", timedelta(days=14)), (" 45s ", timedelta(seconds=45)),
    ("since 14:00", None), ("2", None), ("", None), ("last 2h", None),
])
def test_durations_are_read_as_typed(text: str, span: timedelta | None) -> None:
    assert parse_duration(text) == span


def test_iso_timestamp_matcher() -> None:
    assert ISO_TIMESTAMP_RE.match("2026-03-14T14:04:07.112Z") and ISO_TIMESTAMP_RE.match("2026-03-14 14:04")
    assert not ISO_TIMESTAMP_RE.match("v2026-03-14")


def test_names_match_whole_words_only() -> None:
    assert mentions("timeout calling payments.svc", "payments")
    assert not mentions("timeout calling payments-db", "payments")
    assert not mentions("repayments failed", "payments")
    assert mentions("API-GATEWAY returned 502", "api-gateway")
    assert not mentions("anything", "")
    pattern = any_of(["gateway", "api-gateway", ""])
    assert pattern is not None and pattern.search("the api-gateway is down").group(0) == "api-gateway"
    assert any_of([]) is None
    assert re.search(name_pattern("api-gateway", loose_separators=True), "the api gateway")


def test_cache_is_bounded_expires_and_keeps_the_first_value_when_asked() -> None:
    now = [0.0]
    cache: BoundedCache[str, int] = BoundedCache(2, ttl_s=10, clock=lambda: now[0])
    assert cache.put("a", 1) == 1 and cache.put("a", 2, keep_existing=True) == 1
    assert cache.add("b", 1) and not cache.add("b", 5)
    cache.get("a")  # a is now the most recently used
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and len(cache) == 2
    now[0] = 11
    assert cache.get("a") is None and len(cache) == 0
    lru: BoundedCache[int, int] = BoundedCache(3)
    for i in range(10):
        lru.put(i, i)
    assert len(lru) == 3 and lru.pop(9) == 9 and lru.pop(9) is None
