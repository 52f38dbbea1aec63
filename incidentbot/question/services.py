"""Matching the services a question names against the services the logs and the catalog know.

People write "checkout" for "checkout-service", "the gateway" for
"api-gateway", "paymnets" for "payments". Exact names and aliases win; then a
unique part of a hyphenated name; then a one-letter typo. When one word fits
two services equally, both are searched and the answer says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidentbot.core.catalog import Catalog
from incidentbot.core.names import name_pattern

STOPWORDS = {
    "the", "a", "an", "and", "or", "is", "are", "was", "were", "be", "been", "why", "what", "whats", "what's", "how",
    "many", "much", "did", "does", "do", "in", "on", "at", "of", "for", "from", "to", "since", "between", "last",
    "past", "hour", "hours", "minutes", "minute", "mins", "min", "errors", "error", "warnings", "warning", "logs",
    "log", "service", "services", "throwing", "returning", "return", "returned", "failing", "failed", "fail",
    "down", "slow", "any", "all", "with", "by", "it", "its", "we", "our", "us", "this", "that", "there", "here",
    "count", "number", "status", "code", "codes", "show", "me", "list", "which", "who", "when", "where", "than",
    "today", "now", "api", "app", "utc", "get", "post", "put", "delete", "request", "requests", "response",
    "responses", "latency", "timeout", "timeouts", "mentioning", "containing", "about", "around", "happening",
    "wrong", "broken", "going", "up", "not", "no", "yes", "still", "again", "after", "before", "per",
    "top", "most", "hosts", "host", "endpoints", "endpoint", "users", "user", "prod", "production", "staging",
    "change", "changes", "changed", "deploy", "deploys", "deployed", "recent", "recently", "happened", "cause",
    "caused", "causing", "seeing", "see", "getting", "spike", "spiking", "rate", "increase", "elevated",
}

_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]", re.I)


@dataclass
class ServiceMatch:
    services: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


# words that introduce or follow a service name, used only to spot names we do not know
_SUBJECT = re.compile(
    r"\b(?:is|are|did|does|was|for|from|in|on|of|with)\s+(?:the\s+)?([a-z][\w.-]*)\s+"
    r"(?:service|svc|app|api|throwing|failing|erroring|returning|returned|logging|log|down|slow|timing|doing|broken|"
    r"errors?|5xx|4xx|500s|502s|503s|504s)\b"
    r"|\b([a-z][\w.-]*)\s+(?:service|svc)\b", re.I)


def match_services(text: str, known: list[str], catalog: Catalog) -> ServiceMatch:
    """The known services the text names, ties and unknown names kept apart."""
    low = text.lower()
    out = ServiceMatch()
    vocabulary: dict[str, str] = {name.lower(): name for name in known}
    for name in catalog.names():
        vocabulary.setdefault(name.lower(), name)
    for alias, name in catalog.aliases().items():
        vocabulary.setdefault(alias, name)
    found: list[str] = []
    consumed: set[str] = set()

    # 1. exact names and aliases, longest first ("api-gateway" before "gateway")
    for key in sorted(vocabulary, key=len, reverse=True):
        spaced = name_pattern(key, loose_separators=True)
        if re.search(spaced, low):
            name = vocabulary[key]
            if name not in found:
                found.append(name)
            consumed.update(re.split(r"[-_.\s]", key))
            low = re.sub(spaced, " ", low)

    words = [w for w in _WORD.findall(low) if w not in STOPWORDS and not w.isdigit() and w not in consumed]
    # 2. a word that is one part of hyphenated names, or a one-edit typo of a name
    for word in words:
        parts = [vocabulary[k] for k in vocabulary if word in re.split(r"[-_.]", k) and k != word]
        typos = [vocabulary[k] for k in vocabulary if len(word) >= 4 and _one_edit(word, k)]
        heads = sorted({n for n in set(parts) if re.split(r"[-_.]", n.lower())[0] == word})
        candidates = heads if len(heads) == 1 else (sorted(set(parts)) or sorted(set(typos)))
        if not candidates or len(word) < 3:
            continue
        if len(candidates) > 1:
            out.ambiguous[word] = candidates
        for name in candidates:
            if name not in found:
                found.append(name)
    out.services = found
    if not found:
        for m in _SUBJECT.finditer(text):
            word = (m.group(1) or m.group(2) or "").lower()
            if word and word not in STOPWORDS and word not in out.unknown and not word.isdigit():
                out.unknown.append(word)
    return out
