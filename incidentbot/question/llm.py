"""The LLM intent path: the model reads the question into the same typed parts the parser fills.

The model answers by calling one function whose arguments are `LLMIntent`:
services, a window, levels, status codes, text. There is no field for a query,
an index or a script, so nothing the model writes can run as a search; the
arguments are validated here (unknown services dropped, levels made
canonical, windows checked) and then merged *under* the deterministic parse.

Merge rule (`merge_intent`): what the parser found explicitly wins, the model
only fills gaps.
- window: the parser's if it read one; else the model's (for phrasings the
  parser does not know, e.g. "since lunch", "during the 2pm deploy").
- quoted/mentioned text, excluded text, status codes, hosts: the parser's if
  it found any; else the model's (text, exclusions, status).
- services: the parser's if it matched any; else the model's known services
  (and then the parser's unmatched words are no longer reported as unknown).
- levels: the parser's if any; else the model's, but only when no status
  filter is in force after the merge ("5xx errors" are HTTP errors, not
  error-level lines, the same rule the parser applies).
- ask: "count" from the parser stands; otherwise the model's.
Services the model invents are dropped and reported, never searched.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from incidentbot.config import Settings
from incidentbot.llm.client import LLMError, call_llm, render_prompt
from incidentbot.core.fields import FieldMap
from incidentbot.core.levels import canonical_level
from incidentbot.core.intent import IntentParts, StatusFilter
from incidentbot.question.parse import ParsedQuestion
from incidentbot.question.timewords import MAX_WINDOW, Window
from incidentbot.core.timeutil import iso, parse_instant

MAX_TEXT = 5
MAX_TEXT_LEN = 200
_STATUS_CODE = re.compile(r"^([1-5])(\d\d)$")
_STATUS_CLASS = re.compile(r"^([1-5])xx$", re.I)
_STATUS_RANGE = re.compile(r"^([1-5]\d\d)\s*-\s*([1-5]\d\d)$")


class LLMIntent(BaseModel):
    """Read an incident question into search filters. Use only the listed services; leave unknown parts empty."""

    services: list[str] = Field(default_factory=list,
                                description="Services the question is about, spelled exactly as in the known services list.")
    start: str | None = Field(default=None, description="Window start, ISO 8601 UTC (e.g. 2026-03-14T13:00:00Z), or null.")
    end: str | None = Field(default=None, description="Window end, ISO 8601 UTC, or null (null means now).")
    relative_minutes: int | None = Field(default=None,
                                         description="For 'the last N minutes/hours/days': N in minutes; else null.")
    levels: list[str] = Field(default_factory=list, description="Log levels asked for: error, warn, info, debug, fatal.")
    status: list[str] = Field(default_factory=list, description="HTTP status codes or classes asked for, e.g. '502', '5xx'.")
    text: list[str] = Field(default_factory=list, description="Literal strings the log message must contain.")
    exclude_text: list[str] = Field(default_factory=list, description="Literal strings or paths to exclude.")
    ask: Literal["investigate", "count", "list"] = Field(
        default="investigate", description="'count' for how many, 'list' to show lines, else 'investigate'.")


class CheckedIntent(IntentParts):
    """The model's reading after validation: only values our code can compile.

    The model fills services, levels, status, text, exclude_text and ask (the
    parts LLMIntent offers); the other parts stay at their defaults.
    """

    window: Window | None = None


@dataclass
class LLMIntentResult:
    """Either a checked intent, or an error and no intent (the caller then keeps the deterministic parse)."""

    intent: CheckedIntent | None = None
    error: str | None = None
    raw: LLMIntent | None = None
    dropped_services: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_status(value: str) -> StatusFilter | None:
    """'502' -> (502, 502), '5xx' -> (500, 599), '500-504' -> (500, 504); anything else None."""
    text = str(value).strip()
    if m := _STATUS_CODE.match(text):
        code = int(text)
        return StatusFilter(low=code, high=code)
    if m := _STATUS_CLASS.match(text):
        base = int(m.group(1)) * 100
        return StatusFilter(low=base, high=base + 99)
    if m := _STATUS_RANGE.match(text):
        low, high = int(m.group(1)), int(m.group(2))
        return StatusFilter(low=low, high=high) if low <= high else None
    return None


def _window(raw: LLMIntent, at: datetime, notes: list[str]) -> Window | None:
    """The model's window, checked like the parser's: not in the future, not inverted, at most 30 days."""
    if raw.start:
        start = parse_instant(raw.start)
        end = parse_instant(raw.end) if raw.end else at
        phrase = f"{raw.start} to {raw.end or 'now'} (LLM)"
    elif raw.relative_minutes is not None:
        if raw.relative_minutes <= 0:
            raise ValueError(f"relative window of {raw.relative_minutes} minutes")
        minutes = min(raw.relative_minutes, int(MAX_WINDOW.total_seconds() // 60) + 1)
        start, end = at - timedelta(minutes=minutes), at
        phrase = f"last {raw.relative_minutes} minutes (LLM)"
    else:
        return None
    if start > at:
        raise ValueError(f"window starts in the future ({iso(start)} > {iso(at)})")
    if end < start:
        raise ValueError(f"window ends before it starts ({iso(end)} < {iso(start)})")
    if end > at:
        end = at
        notes.append("LLM window end moved back to the time of the question")
    capped = end - start > MAX_WINDOW
    if capped:
        start = end - MAX_WINDOW
        notes.append("LLM window capped at 30 days")
    return Window(start, end, phrase, capped)


def _texts(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        text = str(value).strip()[:MAX_TEXT_LEN]
        if text and text not in out:
            out.append(text)
    return out[:MAX_TEXT]


def check_intent(raw: LLMIntent, at: datetime, known_services: list[str]) -> LLMIntentResult:
    """Validate the model's arguments; a bad window makes the whole reading unusable."""
    notes: list[str] = []
    by_lower = {s.lower(): s for s in known_services}
    services, dropped = [], []
    for name in raw.services:
        known = by_lower.get(str(name).strip().lower())
        if known:
            if known not in services:
                services.append(known)
        else:
            dropped.append(str(name))
    if dropped:
        notes.append(f"LLM named unknown services, ignored: {', '.join(dropped)}")
    levels = []
    for value in raw.levels:
        level = canonical_level(value)
        if level and level not in levels:
            levels.append(level)
    status = []
    for value in raw.status:
        parsed = parse_status(value)
        if parsed and parsed not in status:
            status.append(parsed)
        elif parsed is None:
            notes.append(f"LLM status {value!r} ignored")
    try:
        window = _window(raw, at, notes)
    except ValueError as exc:
        return LLMIntentResult(error=f"invalid window: {exc}", raw=raw, dropped_services=dropped, notes=notes)
    checked = CheckedIntent(services=services, window=window, levels=levels, status=status,
                            text=_texts(raw.text), exclude_text=_texts(raw.exclude_text), ask=raw.ask)
    return LLMIntentResult(intent=checked, raw=raw, dropped_services=dropped, notes=notes)


def intent_prompt(at: datetime, fields: FieldMap, services: list[str]) -> str:
    """The system prompt: the discovered fields, the known services and the current time."""
    levels = sorted(fields.level_values) or ["error", "warn", "info", "debug", "fatal"]
    return render_prompt("intent", now=iso(at) or "", fields=json.dumps(fields.to_json()),
                         levels=", ".join(levels), services=", ".join(services[:300]) or "(none discovered)")


def llm_intent(question: str, at: datetime, fields: FieldMap, services: list[str], settings: Settings) -> LLMIntentResult:
    """Ask the model for an intent by function calling; any failure comes back as `.error`, never raised."""
    # lazy: the LLM stack (langchain, openai) costs about a second to import and only runs with a model configured
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [SystemMessage(intent_prompt(at, fields, services)), HumanMessage(question)]
    try:
        out = call_llm(settings, lambda model: model.with_structured_output(
            LLMIntent, method="function_calling", include_raw=True).invoke(messages))
    except LLMError as exc:
        return LLMIntentResult(error=exc.reason)
    parsed = out.get("parsed") if isinstance(out, dict) else None
    if out.get("parsing_error") is not None or not isinstance(parsed, LLMIntent):
        return LLMIntentResult(error="invalid output")
    try:
        return check_intent(parsed, at, services)
    except ValueError as exc:  # an unreadable ISO time, say
        return LLMIntentResult(error=f"invalid output: {exc}"[:200], raw=parsed)


def merge_intent(parsed: ParsedQuestion, llm: LLMIntentResult) -> ParsedQuestion:
    """The parse with the model's reading filling only what the parser left empty (rule in the module doc)."""
    got = llm.intent
    if llm.error or got is None:
        return parsed
    merged = parsed.model_copy(deep=True)  # the caller's parse stays as it was
    if merged.window is None and got.window is not None:
        merged.window = got.window
    if not merged.services and got.services:
        merged.services = list(got.services)
        merged.unknown_services = []
    if not merged.text and got.text:
        merged.text = list(got.text)
    if not merged.exclude_text and got.exclude_text:
        merged.exclude_text = list(got.exclude_text)
    if not merged.status and got.status:
        merged.status = list(got.status)
    if not merged.levels and not merged.status and got.levels:
        merged.levels = list(got.levels)
    if merged.ask != "count":
        merged.ask = got.ask
    return merged


def refine_intent(parsed: ParsedQuestion, question: str, at: datetime, fm: FieldMap, known_services: list[str],
                  settings: Settings) -> tuple[ParsedQuestion, list[str]]:
    """The deterministic parse, with the model filling what it missed; plus notes saying which was used.

    A no-op without an API key, and never raises: a failure becomes a note the
    answer carries ("LLM unavailable (timeout): deterministic parse used").
    """
    if not settings.llm_enabled:
        return parsed, []
    result = llm_intent(question, at, fm, known_services, settings)
    if result.error or result.intent is None:
        return parsed, [f"LLM unavailable ({result.error}): deterministic parse used"] + result.notes
    return merge_intent(parsed, result), ["LLM intent used"] + result.notes
