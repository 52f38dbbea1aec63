"""Masking the variable parts of log messages before template mining.

Drain compares messages token by token, so two lines of one template only
group when their variable parts look alike. Masking first makes them alike:
every value (a number, an id, an address, a quoted value, a timestamp)
becomes `<*>`, while the words that say what happened stay as they are.

The rules are general, not tuned to one system, and are applied in a single
left-to-right pass of one alternation regex, so an earlier rule (a timestamp,
a quoted value) is never re-masked by a later one (the digits inside it).
The guiding rules:

- A run of letters and digits that contains a digit is a value (`8812`,
  `a3f9c2`, `x2k4q`); a run with no digit is a word and is kept, so
  "connection pool exhausted" stays intact and hex-looking words such as
  `deadbeef` are not mistaken for ids.
- A number followed by a unit keeps the unit (`30000ms` -> `<*>ms`,
  `512MB` -> `<*>MB`), which keeps templates readable ("after <*>ms").
- Values made of several masked parts joined by separators (`10.0.0.1:5432`,
  a UUID, `2026-03-14`, `v2.31.0`) collapse into one `<*>`, so a value is one
  token whatever its inner shape.
- A few technical words that contain digits (`sha256`, `utf-8`, `ipv6`,
  `x86_64`, `HTTP/1.1`) are words, not values, and are kept.
"""
from __future__ import annotations

import re

from incidentbot.core.timeutil import TIMESTAMP

WILDCARD = "<*>"

_UNITS = (
    r"ms|us|µs|ns|s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|"
    r"b|kb|mb|gb|tb|pb|kib|mib|gib|tib|bytes?|k|g|t|kbps|mbps|gbps|"
    r"%|x|rps|qps|ops|px|th|st|nd|rd"
)
_HTTP_METHOD = r"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE)"

# Technical words that contain digits but are not values.
_KEPT_WORDS = (
    r"sha(?:1|224|256|384|512)|md5|crc32|base(?:32|64)|utf-?(?:8|16|32)|ucs-?2|latin-?1|iso-?8859-?1|"
    r"https?/[123](?:\.[01])?|http[23]|h2c?|ipv[46]|oauth2|log4j2?|slf4j|s3|ec2|k8s|"
    r"x86_64|x86|x64|amd64|arm64|aarch64|i386|i686|win32|win64|"
    r"u?int(?:8|16|32|64|128)|float(?:16|32|64)|tlsv?1(?:\.[0-3])?|sslv[23]|e2e|p2p|[1-5]xx"
)

_PATTERN = re.compile(
    "|".join([
        r"(?P<kept>(?<![\w.-])(?:" + _KEPT_WORDS + r")(?![\w-]))",
        r"(?P<ts>" + TIMESTAMP + r")",
        r"(?P<email>(?<![\w.+-])[A-Za-z0-9][\w.+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
        r"(?P<kv>(?<![\w.-])[A-Za-z_][\w.-]{0,63}=)(?P<kvval>\"[^\"\n]{0,512}\"|'[^'\n]{0,512}'|[^\s,;&)\]}'\"]+)",
        r'(?P<request>"' + _HTTP_METHOD + r' [^"\n]{0,2048}")',
        r'(?P<dq>"[^"\n]{0,512}")',
        r"(?P<sq>(?<![\w'])'[^'\n]{0,512}'(?![\w']))",
        r"(?P<ipv6>(?<![\w:])(?=[0-9a-fA-F:]*\d)(?=[0-9a-fA-F]*:[0-9a-fA-F]*:)[0-9a-fA-F:]{2,39}(?![\w:]))",
        r"(?P<num>(?:(?<![\w-])-)?(?<![A-Za-z0-9])\d+(?:[.,]\d+)*)(?P<unit>" + _UNITS + r")(?![A-Za-z0-9])",
        r"(?P<run>(?:(?<![\w-])-)?[A-Za-z0-9]*\d[A-Za-z0-9]*)",
    ]),
    re.IGNORECASE,
)

# Masked parts glued together by separators are one value: an address with its
# port, a UUID, a version, a dotted or dashed id, a ratio.
_COLLAPSE = re.compile(r"<\*>(?:[.:_/,+#-]*<\*>)+")


def _mask_span(match: re.Match[str]) -> str:
    kind = match.lastgroup
    text = match.group(0)
    if kind == "kept":
        return text
    if kind == "kvval" or kind == "kv":
        value = match.group("kvval")
        key = match.group("kv")
        if value[:1] in "\"'":
            return f"{key}{value[0]}{WILDCARD}{value[0]}"
        return key + WILDCARD
    if kind == "request":
        # An HTTP request line ("GET /api/orders/8812 HTTP/1.1") is structure,
        # not a value: mask inside it so the route stays visible.
        return '"' + _PATTERN.sub(_mask_span, text[1:-1]) + '"'
    if kind == "dq":
        return f'"{WILDCARD}"'
    if kind == "sq":
        return f"'{WILDCARD}'"
    if kind == "unit":
        return WILDCARD + match.group("unit")
    return WILDCARD


def mask_variables(message: str) -> str:
    """Replace the variable parts of a log message by `<*>`, keeping its words.

    Whitespace is kept as it is: the miner tokenises on it.
    """
    if not message:
        return message
    masked = _PATTERN.sub(_mask_span, message)
    if WILDCARD in masked:
        masked = _COLLAPSE.sub(WILDCARD, masked)
    return masked
