"""The one whole-word matcher for names (services, change ids) in free text.

"pay" must not match "payments", and "api" must not match "api-gateway": a
name counts only where it is not glued to letters, digits, `_` or `-`. Every
place that looks for a service or change name in a question, a log template,
a channel message or a model's sentence uses this, so they agree.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_BEFORE = r"(?<![\w-])"
_AFTER = r"(?![\w-])"


def name_pattern(name: str, *, loose_separators: bool = False) -> str:
    """The regex for `name` as a whole word; with `loose_separators`, "api-gateway" also reads "api gateway"."""
    body = re.escape(name)
    if loose_separators:
        body = body.replace(r"\-", r"[-\s_]?")
    return _BEFORE + body + _AFTER


def mentions(text: str, name: str) -> bool:
    """Whether `text` names `name` as a whole word (any case)."""
    return bool(name) and re.search(name_pattern(name), text, re.I) is not None


def any_of(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern that finds any of `names` as a whole word (any case); None when there are none."""
    wanted = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile("|".join(name_pattern(n) for n in wanted), re.I) if wanted else None
