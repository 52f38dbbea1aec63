"""What a summary sentence may claim: only names and numbers the evidence pack holds, and never an order.

The citation check cannot see a sentence that cites a real id while naming
something that does not exist ("Deploy-1 is the culprit [C1]." when no change
deploy-1 exists), spelling a number in words ("Nine thousand requests failed
[Q1]."), or telling people to act ("Roll back deploy-1 now [Q1].", "Delete the
logs index and restart the cluster [Q1]."). The bot suggests where to look;
people decide and act. So a sentence is dropped when it:

- names an identifier (a token with digits, or joined by - _ . / :, such as
  deploy-1, billing-api, v2.4.1, #4821) that appears nowhere in the pack;
- names a one-word system the pack does not hold ("the Kafka broker failed",
  "caused by PaymentGateway"): a CamelCase, snake_case or `backticked` word,
  or a capitalised word past the sentence's start that is not ordinary
  English (`english.COMMON_WORDS`); a name the pack holds passes however it
  is spelled (Payments, PaymentGateway for payment-gateway);
- quotes text (“...”) that no pattern, log line or change title holds;
- states a number, in digits or in words, that the pack does not hold;
- tells someone to act: it opens with an action verb, or an advice word
  (should, must, need to, recommend, consider, please...) leads to one.

Hand-written rather than a library: the number words are a closed, small
set, and the rules must stay readable next to the prompt that states them.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from incidentbot.answer.english import COMMON_WORDS

_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join(sorted([*_UNITS, *_TENS, *_SCALES, "a", "an", "and"], key=len, reverse=True))
_NUMBER_RUN = re.compile(rf"\b(?:(?:{_NUMBER_WORD})(?:[\s-]+|$))+", re.IGNORECASE)

_ACTIONS = (r"roll(?:ing)?[\s-]?back|revert(?:ing)?|delete|deleting|remove|removing|drop(?:ping)?|purge|purging|"
            r"kill(?:ing)?|restart(?:ing)?|reboot(?:ing)?|scale|scaling|run|running|execute|executing|redeploy(?:ing)?|"
            r"re-deploy|deploy(?:ing)?|disable|disabling|enable|enabling|flip|flipping|toggle|toggling|truncate|"
            r"flush(?:ing)?|wipe|wiping|reset(?:ting)?|terminate|terminating|shut(?:ting)?\s+down|stop(?:ping)?|"
            r"apply|applying|patch(?:ing)?|rotate|rotating|bump(?:ing)?|downgrade|downgrading|upgrade|upgrading|"
            r"fail\s*over|failover|drain(?:ing)?|cordon(?:ing)?|evict(?:ing)?|increase|decrease|raise|lower|"
            r"page|paging|escalate|escalating|block(?:ing)?|ban(?:ning)?|clear(?:ing)?|rebuild(?:ing)?|"
            r"migrate|migrating|pause|pausing|suspend(?:ing)?")
_IMPERATIVE = re.compile(rf"^(?:\W|now|immediately|please|then|first|next|quickly|urgently|just)*\s*(?:{_ACTIONS})"
                         rf"(?![\w-])", re.IGNORECASE)
_ADVICE = re.compile(
    rf"\b(?:should|must|need(?:s)? to|have to|has to|ought to|recommend(?:s|ed)?|suggest(?:s|ed)?|advis(?:e|es|ed)|"
    rf"consider|try(?:ing)? to|please|let's|let us|go ahead and|it is best to|best to|urge)\b(?:\W+\w+){{0,5}}?\W+"
    rf"(?:{_ACTIONS})(?![\w-])", re.IGNORECASE)
_NAME = re.compile(r"(?<![\w<\[])#?[A-Za-z0-9][\w]*(?:[-/.:][A-Za-z0-9_]+)+|(?<![\w<\[])#\d+\b"
                   r"|(?<![\w<\[])(?=[A-Za-z_]*\d)(?=\d*[A-Za-z])[A-Za-z0-9_]{5,}\b")
_QUOTE = re.compile(r"\u201c([^\u201d]{8,})\u201d|\"([^\"]{8,})\"")
_CITATION = re.compile(r"\[[A-Z]\d+\]")
_TIME = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?$|^\d{4}-\d{2}-\d{2}")
# English compounds a summary may use that name nothing
_COMMON = frozenset({"e.g", "i.e", "per-minute", "5xx", "4xx", "2xx", "3xx", "500s", "400s", "503s", "504s",
                     "follow-up", "in-flight", "built-in", "third-party", "long-running", "well-known", "re-deploy",
                     "roll-back", "roll-out", "set-up", "same-day", "up-to-date", "one-off", "read-only",
                     "high-confidence", "low-confidence", "medium-confidence", "time-out", "time-outs", "co-located",
                     "non-zero", "pre-existing", "by-product", "x-request-id", "utc", "build-up",
                     *(f"{level}-level" for level in ("error", "warn", "warning", "info", "debug", "fatal",
                                                      "critical", "trace"))})


def words_to_numbers(text: str) -> list[str]:
    """The numbers spelled in words in a text, as digits: "nine thousand" -> "9000", "a dozen" is not one."""
    found = []
    for run in _NUMBER_RUN.finditer(text):
        words = [w.lower() for w in re.split(r"[\s-]+", run.group(0).strip()) if w]
        if not any(w in _UNITS or w in _TENS or w in _SCALES for w in words):
            continue
        if all(w in ("a", "an", "and", "one") for w in words):
            continue  # "a", "one of the services": not a stated quantity
        total = current = 0
        for word in words:
            if word in _UNITS:
                current += _UNITS[word]
            elif word in _TENS:
                current += _TENS[word]
            elif word in ("a", "an"):
                current += 1 if current == 0 else 0
            elif word == "hundred":
                current = max(current, 1) * 100
            elif word in _SCALES:
                total += max(current, 1) * _SCALES[word]
                current = 0
        found.append(str(total + current))
    return found


def tells_to_act(sentence: str) -> str | None:
    """The words that make a sentence an order or advice to act, else None."""
    bare = _CITATION.sub("", sentence).strip()
    m = _IMPERATIVE.match(bare) or _ADVICE.search(bare)
    return m.group(0).strip() if m else None


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Every name-like token of the pack (ids, services, versions, hosts, template words), lower-cased."""
    out: set[str] = set()
    for text in texts:
        low = text.lower()
        out.update(t.strip(".:/-") for t in re.findall(r"[#\w][\w./:#-]*", low))
        out.update(m.group(0).strip(".:/-") for m in _NAME.finditer(low))
    return out


def unknown_names(sentence: str, known: set[str]) -> list[str]:
    """Name-like tokens of a sentence that the pack does not hold."""
    bare = _CITATION.sub("", sentence)
    out = []
    for m in _NAME.finditer(bare):
        token = m.group(0).strip(".:/-").lower()
        if not token or token in known or token in _COMMON or _TIME.match(token):
            continue
        if re.fullmatch(r"[\d.,:%/-]+(?:/?[a-z]{1,4})?", token):
            continue  # a number, a time, a rate (54.7/min): the number check decides
        out.append(m.group(0))
    return out


_QUOTED = re.compile(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"")
_BACKTICKED = re.compile(r"`([^`\s]+)`")
# a word standing alone: not part of a token joined by - / . : (those are `unknown_names`' to judge)
_WORD = re.compile(r"(?<![\w\-/.:#@])[A-Za-z][A-Za-z0-9_]*(?![\w]|[-/.:][A-Za-z0-9])")
_STARTS = ".!?:"  # a capitalised clause may follow a colon


def word_forms(known: set[str]) -> set[str]:
    """The pack's tokens, their parts (orders-api: orders, api) and squashed spellings (payment-gateway: paymentgateway)."""
    out = set(known)
    for token in known:
        parts = [p for p in re.split(r"[-_./:#@]+", token) if p]
        out.update(parts)
        out.add("".join(parts))
    return out


def _held(word: str, forms: set[str]) -> bool:
    low = word.lower()
    return low in forms or (low.endswith("s") and low[:-1] in forms) or low.replace("_", "") in forms


def _at_start(text: str, pos: int) -> bool:
    """True for a sentence's first word, or the first after a colon (which may open a capitalised clause)."""
    before = text[:pos].rstrip()
    return not re.search(r"\w", before) or before[-1] in _STARTS


def unknown_words(sentence: str, forms: set[str]) -> list[str]:
    """One-word names (CamelCase, snake_case, `backticked`, Capitalised past the start) the pack does not hold.

    `forms` is `word_forms` of what the sentence may name. Quoted text is left
    to `unknown_quotes`; a capitalised ordinary word, or any first word, passes.
    """
    bare = _QUOTED.sub(" ", _CITATION.sub("", sentence))
    out = [w for w in _BACKTICKED.findall(bare) if re.fullmatch(r"\w+", w) and not _held(w, forms)]
    bare = bare.replace("`", " ")
    for m in _WORD.finditer(bare):
        word = m.group(0)
        if word in out or _held(word, forms) or any(ch.isdigit() for ch in word):
            continue  # a word with digits (P95, K8s) is `unknown_names`' and the number check's to judge
        identifier = "_" in word.strip("_") or re.search(r"[a-z][A-Z]", word) is not None
        proper = word[0].isupper() and word.lower() not in COMMON_WORDS and not _at_start(bare, m.start())
        if identifier or proper:
            out.append(word)
    return out


def unknown_quotes(sentence: str, texts: Iterable[str]) -> list[str]:
    """Quoted text the pack's patterns, lines and titles do not contain (whitespace and case ignored)."""
    haystack = " ".join(" ".join(t.lower().split()) for t in texts)
    out = []
    for m in _QUOTE.finditer(sentence):
        quoted = " ".join((m.group(1) or m.group(2)).lower().split()).strip(" .,")
        if quoted and quoted not in haystack:
            out.append(quoted)
    return out


def invented_names(sentence: str, known: set[str]) -> list[str]:
    """Names a sentence uses that `known` does not hold: identifiers first, else one-word names."""
    return unknown_names(sentence, known) or unknown_words(sentence, word_forms(known))


def claim_problem(sentence: str, known: set[str], texts: list[str], numbers: set[str]) -> str | None:
    """Why a sentence must go (an order, an unknown name, quote or spelled number), or None when it may stay."""
    if (order := tells_to_act(sentence)) is not None:
        return f"tells people to act (\"{order}\")"
    if names := invented_names(sentence, known):
        return f"names what the evidence does not hold ({', '.join(names[:3])})"
    if quotes := unknown_quotes(sentence, texts):
        return f"quotes text the evidence does not hold (\"{quotes[0][:40]}\")"
    if spelled := [n for n in words_to_numbers(_CITATION.sub("", sentence)) if n not in numbers]:
        return f"number in words not in the evidence ({', '.join(spelled)})"
    return None
