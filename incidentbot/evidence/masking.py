"""Masking the variable parts of log messages before template mining.

The miner compares messages token by token, so two lines of one template only
group when their variable parts look alike, and when each variable part is
*one* token whatever its value. Masking makes them so: every value (a number,
an id, an address, a quoted value, a timestamp, a size with its unit) becomes
`<*>`, while the words that say what happened stay as they are.

The rules describe shapes that every kind of log uses, never a system:

- A run of letters and digits that contains a digit is a value (`8812`,
  `a3f9c2`, `x2k4q`, `eth0`, `CPU3`); a run with no digit is a word and is
  kept, so "connection pool exhausted" stays intact and hex-looking words
  such as `deadbeef` are not mistaken for ids.
- Values joined by separators (`10.0.0.1:5432`, `2026-03-14`, `00:01`,
  `v2.31.0`, `1514038440000##7007##548365`, a UUID) are one value, so a
  value is one token whatever its inner shape.
- A number glued to a unit keeps the unit (`30000ms` -> `<*>ms`,
  `0.000245s` -> `<*>s`), which keeps templates readable; a number, a space
  and a size or time unit, with an optional parenthesised restatement
  (`1203 bytes`, `4.2 KB`, `1190 bytes (1.16 KB)`, `<1 sec`), is one value,
  since the number of tokens such a counter takes varies from line to line.
- Host names: a dotted name with a port (`proxy.example.com:443`) or with a
  top-level domain (`api.example.com`), an e-mail address, IPv4 and IPv6
  addresses are values.
- The value after `key=` and the text between quotes are values; the key and
  the quotes stay (`user=<*>`, `relation "<*>"`), except a quoted HTTP
  request, whose route is structure (`"GET /api/orders/<*> HTTP/1.1"`).
- Timestamps (ISO, syslog, Apache) are values.
- A few technical words that contain digits (`sha256`, `utf-8`, `ipv6`,
  `x86_64`, `HTTP/1.1`) are words, not values, and are kept.

Speed: all of this is ONE compiled regex applied with `re.sub` and a
constant replacement template, so the whole line is masked in C in one
left-to-right pass (no Python callback per match, no pass per kind). Units
and keys are kept with look-arounds rather than captured and re-inserted;
the quotes are put back by the replacement template's optional groups.
Branches that start a value are anchored at the start of a word, so the
scan costs one failed check inside words.
"""
from __future__ import annotations

import re

WILDCARD = "<*>"

# units kept glued to their number: `30000ms` -> `<*>ms` (spelled out in classes, not with (?i):
# a case-insensitive group makes every attempt several times slower)
_GLUED_UNITS = (
    r"(?:[mµun]s|[sSmhd]|secs?|mins?|hrs?|[kKmMgGtTpP]i?[bB]|[bB]|[kKgGtT]|[kKmMgG]bps|%|x|rps|qps|ops|px|"
    r"th|st|nd|rd)"
)
# units that follow their number after a space: the number and unit become one value
_SPACED_UNITS = (
    r"(?:[bB]ytes?|[kKmMgGtTpP]i?[bB]|B|ms|us|ns|secs?|seconds?|mins?|minutes?|hours?|hrs?|days?|"
    r"[kKmMgG]?bps|%|percent|pages?|blocks?|records?|rows?|items?|entries|tasks?)"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HTTP_METHOD = r"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE)"
_TLD = ["com", "net", "org", "edu", "gov", "mil", "io", "us", "uk", "de", "fr", "jp", "cn", "hk", "ru", "br", "au", "ca", "nl", "eu", "info", "biz", "local", "localdomain", "internal", "lan", "corp", "cloud"]
# after a dotted name: its last label is a top-level domain (one fixed-width look-behind each)
_AFTER_TLD = "(?:" + "|".join(r"(?<=\." + tld + ")" for tld in _TLD) + ")"

# Technical words that contain digits but are not values. Words glued with a
# separator (utf-8, HTTP/1.1) are protected by look-behinds on their digits.
_KEPT_WORDS = (
    r"(?:[sS][hH][aA](?:1|224|256|384|512)|[mM][dD]5|[cC][rR][cC]32|[bB]ase(?:32|64)|[uU][tT][fF](?:8|16|32)|"
    r"[iI][pP][vV][46]|[oO][aA]uth2|[lL]og4j2?|slf4j|[sS]3|[eE][cC]2|[kK]8s|x86|x64|amd64|arm64|aarch64|i386|i686|"
    r"[wW]in(?:32|64)|[hH][tT][tT][pP]2|h2c?|u?int(?:8|16|32|64|128)|float(?:16|32|64)|[tT][lL][sS]v1|"
    r"[sS][sS][lL]v[23]|e2e|p2p)(?![a-zA-Z0-9])"
)
# the digits of utf-8, HTTP/1.1, x86_64, ISO-8859-1, TLSv1.2, 5xx; checked only after such a separator
_KEPT_TAILS = (r"(?:(?<![-/._xX])|(?<![uU][tT][fF]-)(?<![hH][tT][tT][pP]/)(?<![hH][tT][tT][pP]/[0-9]\.)"
               r"(?<!x86_)(?<![iI][sS][oO]-)(?<![iI][sS][oO]-8859-)(?<![tT][lL][sS]v1\.)(?<![lL]atin-)"
               r"(?<![uU][cC][sS]-)(?<![0-9]x)(?<![0-9]xx))")

_ALNUM = r"[a-zA-Z0-9]"
_ATOM = r"[a-zA-Z]*+[0-9][a-zA-Z0-9]*+"
_CHAIN = _ATOM + r"(?:[.:,#+/_~-]+" + _ATOM + r")*"
_BRACKET_ITEM = r"(?:-|[^\s\[\]]*[0-9][^\s\[\]]*)"
_NUMBER = r"[0-9]++(?:[.,][0-9]++)*+"
_SPACED = _NUMBER + r" " + _SPACED_UNITS + r"(?![\w])(?: \(" + _NUMBER + r" ?" + _SPACED_UNITS + r"\))?"

# Values that start with a digit (or a sign): tried only at the first digit of a word.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])"
_DIGIT_BRANCHES = [
    _UUID,
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?: ?(?:Z|[+-][0-9]{2}:?[0-9]{2}))?",
    r"[0-9]{4}/[0-9]{2}/[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?",
    r"[0-9]{1,2}/" + _MONTH + r"/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}(?: [+-][0-9]{4})?",
    r"(?=[0-9a-fA-F]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{2,39}(?![\w:])",
    _NUMBER + r"(?=" + _GLUED_UNITS + r"(?![a-zA-Z0-9]))",
    _SPACED,
    _KEPT_TAILS + _CHAIN,
]
_DIGIT_START = "|".join(_DIGIT_BRANCHES)
# Values that start with a letter: only words holding a digit, an @, a dot or a colon are looked at.
_LETTER_START = "|".join([
    r"(?=[A-Z][a-z]{2},? )(?:" + _WEEKDAY + r",? )?" + _MONTH + r" {1,2}[0-9]{1,2},?(?: [0-9]{4})? [0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(?:[.,][0-9]+)?(?: [0-9]{4})?",
    r"(?=[a-zA-Z_+-]*+(?:[0-9@]|[.:][a-zA-Z0-9]))(?:"
    + _UUID + r"|[a-zA-Z0-9][\w.+-]*+@[a-zA-Z0-9-]++(?:\.[a-zA-Z0-9-]++)++"
    r"|[a-zA-Z][a-zA-Z0-9-]*+(?:\.[a-zA-Z0-9-]++)++(?::[0-9]++(?![\w.])|" + _AFTER_TLD + r"(?::[0-9]++)?(?![\w-]|\.\w))"
    r"|(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{2,39}(?![\w:])"
    r"|(?!" + _KEPT_WORDS + r")" + _CHAIN + r")",
])

_BRANCHES = [
    # quoted text (the quotes stay), a quoted HTTP request too: in a message it is context
    r'(?<=")(?<![\w"\']")[^"\n]{0,512}(?=")(?!"[\w"])',
    r"(?<=')(?<![\w'\"]')[^'\n]{0,512}(?=')(?!'[\w'])",
    # the value after `key=` (the key stays)
    r"(?<==)(?![\"'])(?:\[[^\]\s]*\]|[^\s,;&)\]}'\"]+)",
    # values that start with a digit, then with a letter
    r"(?=[0-9])(?![1-5]xx(?![a-zA-Z0-9]))(?:" + _DIGIT_START + r")",
    r"(?=[a-zA-Z])(?:" + _LETTER_START + r")",
    # a number with a comparison or a sign in front
    r"[<>~](?<![\w<>~].)=?" + _SPACED,
    r"-(?<![a-zA-Z0-9-].)" + _KEPT_TAILS + _CHAIN,
    # bracketed context made only of values and `-` placeholders ([req-<id> <id> - - -], [-], [12.5])
    r"\[" + _BRACKET_ITEM + r"(?: " + _BRACKET_ITEM + r")*\]",
]
_PATTERN = re.compile(r"(?<![a-zA-Z0-9])(?:" + "|".join(_BRANCHES) + ")")


def mask_variables(message: str) -> str:
    """Replace the variable parts of a log message by `<*>`, keeping its words.

    Whitespace is kept as it is: the miner tokenises on it.
    """
    if not message:
        return message
    return _PATTERN.sub(WILDCARD, message)


def mask_many(messages: list[str]) -> list[str]:
    """`mask_variables` over a batch of one-line messages, in ONE call of the regex over their join.

    The batch is joined by newlines (no rule matches across one), masked, and
    split again: one C call per batch instead of one Python call per message.
    A message holding a newline is masked on its own.
    """
    if not messages:
        return []
    joined = "\n".join(messages)
    out = _PATTERN.sub(WILDCARD, joined).split("\n")
    if len(out) == len(messages):
        return out
    return [_PATTERN.sub(WILDCARD, m) if m else m for m in messages]
