"""The deterministic parser: a question in plain words -> the parts of an intent.

It works with no LLM at all, and the LLM path is checked against it. It reads
what people actually type in incidents: windows, levels, status codes and
classes, quoted text, words to exclude, and whether they want a count or an
investigation.
"""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field

from incidentbot.core.catalog import Catalog
from incidentbot.core.intent import IntentParts, StatusFilter
from incidentbot.core.levels import mentions_level
from incidentbot.question.services import STOPWORDS, match_services
from incidentbot.question.timewords import Window, parse_window, strip_window

MAX_QUESTION = 4000

_QUOTED = re.compile(r"\"([^\"]{1,200})\"|“([^”]{1,200})”|`([^`]{1,200})`|(?<![\w])'([^']{2,200})'(?![\w])")
_LEVEL_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:errors?|errs?|erroring|errored)\b", re.I), "error"),
    (re.compile(r"\b(?:warnings?|warns?|warn-level)\b", re.I), "warn"),
    (re.compile(r"\b(?:fatals?|fatal errors?|critical|crits?|panics?)\b", re.I), "fatal"),
    (re.compile(r"\b(?:info|info-level)\s+(?:logs?|lines?|messages?)\b", re.I), "info"),
    (re.compile(r"\bdebug\s+(?:logs?|lines?|messages?)\b", re.I), "debug"),
]
_STATUS_CLASS = re.compile(r"(?<![\w])([1-5])xx(?:'?s)?\b", re.I)
_STATUS_PLURAL = re.compile(r"(?<![\w.:/-])([1-5][0-9]{2})'?s\b")
_STATUS_CONTEXT = re.compile(
    r"\b(?:status|code|http|returned|returning|returns|return|throwing|throws|got|getting|serving)\s*(?:code\s*)?[=:]?\s*([1-5][0-9]{2})\b"
    r"|(?<![\w.:/-])([45][0-9]{2})\s+(?:errors?|responses?|status|codes?)\b", re.I)
_COUNT = re.compile(r"\b(?:how many|how much|count|number of|total|tally)\b", re.I)
_MENTION = re.compile(r"\b(?:mentioning|containing|contains|with the (?:word|text)|matching|that say|saying)\s+([\w./:-]{3,80})", re.I)
_EXCLUDE = re.compile(r"\b(?:excluding|except(?: for)?|without|ignoring|ignore|not)\s+(\"[^\"]+\"|/[\w./-]+|health ?checks?)", re.I)
_HOST = re.compile(r"\b(?:on|from|in)\s+(?:the\s+)?(?:host|pod|node|instance)\s+([\w.-]+)", re.I)
_VERSION = re.compile(r"\b(?:version|ver)\s+v?(\d+(?:\.\d+){1,3}[\w.+-]*)|(?<![\w.])v(\d+\.\d+(?:\.\d+)?[\w.+-]*)", re.I)
_REGION = re.compile(r"\b((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?[a-z]+-\d[a-z]?|"
                     r"(?:europe|asia|us|northamerica|southamerica|australia)-[a-z]+\d|"
                     r"(?:eastus|westus|westeurope|northeurope|uksouth|centralus)\d?)\b", re.I)
_TRACE = re.compile(r"\btrace(?:[ _-]?id)?\s*[:=#]?\s*([0-9a-f]{8,64})\b", re.I)
_GROUP = re.compile(
    r"\b(?:which|top|per|by|breakdown(?: by)?|group(?:ed)? by|busiest|worst|slowest)\s+(?:\d+\s+)?"
    r"(hosts?|pods?|nodes?|instances?|endpoints?|paths?|routes?|urls?|services?|status(?:es| codes?)?|versions?|minute)\b",
    re.I)
_GROUP_FIELDS = {"host": "host", "pod": "host", "node": "host", "instance": "host", "endpoint": "path",
                 "path": "path", "route": "path", "url": "path", "service": "service", "status": "status",
                 "version": "version", "minute": "minute"}
_HEALTH_PATHS = ["/health", "/healthz", "/ready", "/readyz", "/livez"]


class ParsedQuestion(IntentParts):
    """What the deterministic parser read: the intent's parts (core.intent), plus what only a parse has.

    The window is still a phrase's reading (the pipeline settles the intent's
    start and end); `ambiguous` and `unknown_services` become notes or errors.
    """

    question: str
    window: Window | None = None
    ambiguous: dict[str, list[str]] = Field(default_factory=dict)
    unknown_services: list[str] = Field(default_factory=list)


_LATENCY = re.compile(
    r"\b(?:slow(?:er|est|ness|ly|down)?|sluggish(?:ness)?|laggy|lagging|latenc(?:y|ies)|response[ -]?times?|"
    r"p(?:50|75|90|95|99|999|99\.9)|percentiles?|median|taking (?:too |so |very )?long|takes (?:too |so )?long|"
    r"hanging|crawling|snappy)\b", re.I)
_PERCENTILE = re.compile(r"\bp(50|75|90|95|99|99\.9|999)\b|\b(50|75|90|95|99|99\.9)(?:th|st|nd|rd)?[ -]percentile\b"
                         r"|\b(median)\b", re.I)
_THRESHOLD = re.compile(
    r"\b(?:slower than|longer than|took (?:more than|over|longer than)|taking (?:more than|over)|over|above|"
    r"more than|exceeding|at least|>=?)\s*(\d+(?:\.\d+)?)\s*(ms|msec|milliseconds?|s|secs?|seconds?|µs|us)\b", re.I)
_ERROR_WORDS = re.compile(r"\b(?:errors?|fail(?:s|ing|ed|ures?)?|exceptions?|crash(?:es|ing)?|down|broken|"
                          r"throwing|5xx|[45]\d\d'?s?)\b", re.I)
_UNIT_MS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0, "sec": 1000.0,
            "secs": 1000.0, "second": 1000.0, "seconds": 1000.0, "µs": 0.001, "us": 0.001}


def latency_ask(text: str) -> tuple[bool, float | None, float | None]:
    """(is it about slowness, the percentile named, the "slower than" threshold in ms).

    A question is about latency when it uses a word for slowness and none for
    failures: "why is search slow and throwing 500s?" stays an error question,
    with the slowness as context.
    """
    threshold = None
    m = _THRESHOLD.search(text)
    if m and (_LATENCY.search(text) or re.search(r"\b(?:took|taking|requests?|calls?)\b", text, re.I)):
        threshold = float(m.group(1)) * _UNIT_MS[m.group(2).lower()]
    pm = _PERCENTILE.search(text)
    percentile = None
    if pm:
        raw = pm.group(1) or pm.group(2)
        percentile = 50.0 if pm.group(3) else (99.9 if raw in ("999", "99.9") else float(raw))
    about = bool(_LATENCY.search(text) or threshold is not None) and not _ERROR_WORDS.search(text)
    return about, percentile, threshold


_COUNTED = re.compile(r"\b(?:count|how many|number of)\s+(?:the\s+)?([a-z][\w.-]*)\s+(?:errors?|warnings?|lines?|logs?|failures?)\b",
                      re.I)


def _distinctive(text: str, known_services: list[str], catalog: Catalog) -> list[str]:
    """A word that qualifies what is counted ("count x509 errors"), when it is no service, level or filler."""
    m = _COUNTED.search(text)
    if not m:
        return []
    word = m.group(1).lower()
    names = {n.lower() for n in known_services} | {n.lower() for n in catalog.names()} | set(catalog.aliases())
    parts = {p for n in names for p in re.split(r"[-_.]", n)}
    if word in names or word in parts or mentions_level(word) or word in STOPWORDS or re.fullmatch(r"\d+\w*|[1-5]xx", word):
        return []
    return [word]


def _parse_pasted(text: str, pasted: str, at: datetime, known_services: list[str],
                  catalog: Catalog) -> ParsedQuestion:
    """Pasted log text: the first line is the question, the pasted error is what to search for."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    out = parse_question(first_line if len(first_line) < 300 else "", at, known_services, catalog) \
        if first_line != text.strip() else ParsedQuestion(question=text)
    out.question = text
    out.ask = "investigate"
    out.text = [pasted]
    if not out.services:
        out.services = match_services(text, known_services, catalog).services[:3]
    out.unknown_services = []
    return out


def parse_question(text: str, at: datetime, known_services: list[str], catalog: Catalog,
                   pasted: str | None = None) -> ParsedQuestion:
    """Read a question; never raises on odd text (the caller rejects empty questions).

    `pasted` is the error phrase of pasted log text (evidence.pasted reads
    it): the question is then the first line, and the phrase is searched.
    """
    text = text[:MAX_QUESTION]
    if pasted is not None:
        return _parse_pasted(text, pasted, at, known_services, catalog)
    out = ParsedQuestion(question=text)
    for m in _EXCLUDE.finditer(text):
        value = m.group(1).strip('"')
        if value.lower().startswith("health"):
            out.exclude_text.extend(_HEALTH_PATHS)
        else:
            out.exclude_text.append(value)
    kept = _EXCLUDE.sub(" ", text)
    phrases = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(kept)]
    out.text = [p.strip() for p in phrases if p and p.strip()]
    unquoted = _QUOTED.sub(" \x00 ", kept)  # the marker keeps "mentioning <quoted>" from taking the next word
    for m in _MENTION.finditer(unquoted):
        word = m.group(1).strip(".,:;?!")
        if word and word.lower() not in {"the", "a", "an"}:
            out.text.append(word)
    unquoted = _MENTION.sub(" ", unquoted).replace("\x00", " ")
    out.hosts = [m.group(1) for m in _HOST.finditer(unquoted)]
    out.versions = [m.group(1) or m.group(2) for m in _VERSION.finditer(unquoted)]
    out.traces = [m.group(1) for m in _TRACE.finditer(unquoted)]
    out.regions = [m.group(1).lower() for m in _REGION.finditer(unquoted)]
    group = _GROUP.search(unquoted)
    if group:
        word = group.group(1).lower()
        out.group_by = next(v for k, v in _GROUP_FIELDS.items() if word.startswith(k))
    for value in out.hosts + out.versions + out.traces + out.regions:
        unquoted = unquoted.replace(value, " ")
    out.window = parse_window(unquoted, at)
    rest = strip_window(unquoted)
    for m in _STATUS_CLASS.finditer(rest):
        base = int(m.group(1)) * 100
        out.status.append(StatusFilter(low=base, high=base + 99))
    codes = {int(m.group(1)) for m in _STATUS_PLURAL.finditer(rest)}
    codes |= {int(m.group(1) or m.group(2)) for m in _STATUS_CONTEXT.finditer(rest)}
    for code in sorted(codes):
        if 100 <= code <= 599:
            out.status.append(StatusFilter(low=code, high=code))
    for pattern, level in _LEVEL_WORDS:
        if pattern.search(rest) and level not in out.levels:
            out.levels.append(level)
    # "5xx errors" are HTTP errors, not error-level logs; "fatal errors" are fatal, not error
    if out.status and out.levels == ["error"]:
        out.levels = []
    if "fatal" in out.levels and "error" in out.levels and not re.search(r"\berrors?\b(?!\s*$)", re.sub(r"\bfatal errors?\b", "", rest, flags=re.I), re.I):
        out.levels.remove("error")
    if _COUNT.search(unquoted):
        out.ask = "count"
    sm = match_services(rest, known_services, catalog)
    out.services, out.ambiguous, out.unknown_services = sm.services, sm.ambiguous, sm.unknown
    about, out.percentile, out.slower_than_ms = latency_ask(rest)
    if about and not out.levels and not out.status:
        out.symptom = "latency"
        if out.slower_than_ms is not None or out.percentile is not None:
            out.ask = "count"  # a measurement: how many were that slow, or what the percentile was
        if out.group_by == "path" and re.search(r"\bslowest\b", rest, re.I):
            out.ask = "count"
    else:
        out.percentile = out.slower_than_ms = None
    if out.ask == "count" and not out.text and out.symptom == "errors":
        out.text.extend(_distinctive(rest, known_services, catalog))
    return out
