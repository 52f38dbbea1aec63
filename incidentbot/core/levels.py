"""The one level table: every way logs, level fields and people spell a level, to six canonical names.

A question's "errs", a level field's "E" or "Err", a raw line's `[WARNING]`
and a syslog priority must all mean the same level, or a count from the
question and a count from pasted lines disagree. So there is one table; the
raw-line prefix matcher is derived from it (the spellings logs write in a
prefix), and the field and question readers use all of it.
"""
from __future__ import annotations

# least to most severe
CANONICAL = ("trace", "debug", "info", "warn", "error", "fatal")

# Spellings that log lines write as a level marker (`ERROR`, `[warn]`, `LOG:`, `crit`).
_IN_LINES: dict[str, str] = {
    "trace": "trace", "finest": "trace",
    "debug": "debug", "dbg": "debug", "fine": "debug", "finer": "debug",
    "info": "info", "inf": "info", "log": "info", "information": "info", "informational": "info",
    "notice": "info",
    "warn": "warn", "warning": "warn", "wrn": "warn",
    "error": "error", "err": "error", "erro": "error", "severe": "error",
    "fatal": "fatal", "critical": "fatal", "crit": "fatal", "panic": "fatal", "emerg": "fatal",
    "emergency": "fatal", "alert": "fatal",
}
# Further spellings a level field may hold or a person may type: single letters, plurals, typos.
_ELSEWHERE: dict[str, str] = {
    "t": "trace", "verbose": "trace", "d": "debug", "i": "info", "w": "warn", "warnings": "warn",
    "e": "error", "eror": "error", "errors": "error", "f": "fatal",
}
LEVELS: dict[str, str] = {**_IN_LINES, **_ELSEWHERE}

# syslog severities 0..7, and bunyan/pino's numeric levels
_SYSLOG = ("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")
_NUMERIC = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
_SEVERITY = {name: rank for rank, name in enumerate(CANONICAL)}

# The level words a raw line's prefix may carry, longest first so `warning` wins over `warn`.
LINE_LEVEL_WORDS = "|".join(sorted(_IN_LINES, key=len, reverse=True))


def canonical_level(value: object) -> str | None:
    """The canonical level for whatever the source spells (`ERR`, `Warning`, `[crit]:`, 3, 50); None if none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value >= 10:
            return _NUMERIC.get(value)
        return _SYSLOG[value] if 0 <= value <= 7 else None
    if not isinstance(value, str):
        return None
    return LEVELS.get(value.strip().strip("[]<>:").lower())


def severity(level: str | None) -> int:
    """An order on levels (fatal highest); unknown levels rank lowest."""
    return _SEVERITY.get(level or "", -1)


def spellings(level: str) -> list[str]:
    """How a level is usually written in a level field (any case), when the data has not shown us yet."""
    words = [k for k, v in LEVELS.items() if v == level and len(k) > 1]
    return sorted({w for w in words} | {w.upper() for w in words} | {w.title() for w in words})


def mentions_level(word: str) -> bool:
    """Whether a word of a question is a level's name (so it is no service or search text)."""
    return word.lower() in LEVELS

