"""Turning raw log lines, as people paste or pipe them, into messages.

`kubectl logs`, a file copied off a host, a terminal scroll-back: the lines
carry a prefix (timestamp, level, thread, logger) that differs on every line
and would drown the template, JSON documents whose message sits in one of a
few well-known keys, and multi-line messages (stack traces) whose
continuation lines are not messages of their own. This module strips the
prefix, keeps the level in canonical lower case, and attaches continuation
lines to the message above, so that the miner sees one text per message.

Input is untrusted: bytes are decoded as UTF-8 with replacement, a single
line is cut at `MAX_LINE_BYTES`, and at most `max_lines` lines are read, so
neither binary junk nor a 10 GB line without a newline can exhaust memory.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from incidentbot.core.levels import LINE_LEVEL_WORDS, canonical_level
from incidentbot.core.timeutil import TIMESTAMP

MAX_LINE_BYTES = 64 * 1024
MAX_LINES = 1_000_000
_READ_CHUNK = 64 * 1024

_KLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}


@dataclass
class RawMessage:
    """One log message: the text of its first line without prefix, its level, where it starts."""

    text: str
    level: str | None
    line_index: int


# --- reading bytes -----------------------------------------------------------------

def read_lines(stream: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES,
               max_lines: int = MAX_LINES) -> Iterator[str]:
    """Yield decoded lines from a binary stream, each cut at `max_line_bytes`.

    The rest of an over-long line is read and dropped in chunks, never held,
    so memory stays bounded whatever the input.
    """
    count = 0
    while count < max_lines:
        chunk = stream.readline(max_line_bytes)
        if not chunk:
            return
        if not chunk.endswith(b"\n") and len(chunk) >= max_line_bytes:
            # skip the remainder of an over-long line
            while True:
                rest = stream.readline(_READ_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
        count += 1
        yield chunk.decode("utf-8", errors="replace").rstrip("\r\n")


def _cap_lines(lines: Iterable[str | bytes], max_line_bytes: int, max_lines: int) -> Iterator[str]:
    for count, line in enumerate(lines):
        if count >= max_lines:
            return
        if isinstance(line, (bytes, bytearray)):
            line = bytes(line[:max_line_bytes]).decode("utf-8", errors="replace")
        elif len(line) > max_line_bytes // 4:
            # cheap bound first, then the exact one in bytes
            encoded = line.encode("utf-8", errors="replace")
            if len(encoded) > max_line_bytes:
                line = encoded[:max_line_bytes].decode("utf-8", errors="ignore")
        yield line.rstrip("\r\n")


# --- prefixes ----------------------------------------------------------------------

_TS_FIRST = frozenset("<[0123456789JFMASONDTW")
_PID_FIRST = frozenset("0123456789-")
_CONTINUATION_FIRST = frozenset("CSTD.g")
_TS = TIMESTAMP  # the one timestamp matcher (core.timeutil); the first-character guard above covers it
# `<34>1 ` or `<34>` syslog priority, then the timestamp, bare or in brackets
_TS_PREFIX = re.compile(r"^(?:<\d{1,3}>\d? ?)?\[?" + _TS + r"\]?[:,]?\s+")
_KERNEL_TS = re.compile(r"^\[\s*\d+\.\d+\]\s*")
_KLOG = re.compile(r"^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\s\]]+:\d+\] ?")
_LEVEL_PREFIX = re.compile(r"^(?:[\w-]{1,40}\.)?[\[<(]?(" + LINE_LEVEL_WORDS + r")[\]>)]?(?::\s*|\s+|$)", re.IGNORECASE)
_RFC5424 = re.compile(r"^<(\d{1,3})>1 \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) ?")
# syslog after its timestamp: `host app[pid]: `, `host sshd(pam_unix)[pid]: `
_SYSLOG_SOURCE = re.compile(r"^[\w.-]+ [\w./@-]+(?:\([\w./@-]+\))?(?:\[\d+\])?: ")
_PID = re.compile(r"^(?:\d+(?:#\d+)?:?|---)\s+")
_BRACKETED = re.compile(r"^\[[^\]\s]{0,80}(?: [^\]]{0,40})?\]:?\s+")
# a logger after the level: `com.x.Y - msg`, `c.x.Y : msg`, `root:msg`
_LOGGER = re.compile(r"^[\w$.\-]{1,120}(?:\s+-\s+|\s+:\s+|:(?=\S))")
_LEVEL_AFTER = re.compile(r"^(?:\S+\s+){1,3}?(" + LINE_LEVEL_WORDS + r"):\s+", re.IGNORECASE)
# Detail lines that databases log under the statement they explain (PostgreSQL's DETAIL/HINT/STATEMENT)
_DETAIL = re.compile(r"^(?:\S+\s+){0,2}?(?:DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):\s")
_ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]+\] "(?:([A-Z]+) (\S*)[^"]*|-)" (\d{3}) ')
_LOGFMT_MSG = re.compile(r'(?:^|\s)(?:msg|message)=(?:"((?:[^"\\]|\\.)*)"|(\S+))')
_LOGFMT_LEVEL = re.compile(r"(?:^|\s)(?:level|lvl|severity)=\"?(\w+)")


def _strip_prefix(line: str) -> tuple[str, str | None, bool]:
    """Return (message, level, had_prefix) for one non-JSON line.

    Each regex is tried only when a cheap test on the first characters says it
    can match: this runs once per input line.
    """
    match = _ACCESS.match(line) if ' [' in line and '] "' in line else None
    if match:
        # An access line's message is its request and status: the client address, agent, size and
        # time vary on every line and would merge every route into one pattern.
        status = int(match.group(3))
        request = f"{match.group(1)} {match.group(2)} {status}" if match.group(1) else f"- {status}"
        return request, "error" if status >= 500 else "warn" if status >= 400 else "info", True
    match = _KLOG.match(line) if line[:1] in _KLOG_LEVELS and line[1:2].isdigit() else None
    if match:
        return line[match.end():], _KLOG_LEVELS[match.group(1)], True
    if "=" in line and ("msg=" in line or "message=" in line):
        msg = _LOGFMT_MSG.search(line)
        if msg:
            text = msg.group(1) if msg.group(1) is not None else msg.group(2)
            lvl = _LOGFMT_LEVEL.search(line)
            return text.replace('\\"', '"'), canonical_level(lvl.group(1)) if lvl else None, True

    match = _RFC5424.match(line) if line[:1] == "<" else None
    if match:
        return line[match.end():].strip(), canonical_level(int(match.group(1)) % 8), True

    rest = line
    had_ts = False
    match = _TS_PREFIX.match(rest) if rest[:1] in _TS_FIRST else None
    if match:
        rest = rest[match.end():]
        had_ts = True
        source = _SYSLOG_SOURCE.match(rest)
        if source and not _LEVEL_PREFIX.match(rest):
            rest = rest[source.end():]
    match = _KERNEL_TS.match(rest) if rest[:1] == "[" else None
    if match:
        rest = rest[match.end():]
        had_ts = True

    level: str | None = None
    # up to a few prefix elements in any order: level, [thread], pid, `---`
    for _ in range(4):
        match = _LEVEL_PREFIX.match(rest) if level is None else None
        if match and (had_ts or _looks_like_level(match.group(0))):
            level = canonical_level(match.group(1))
            rest = rest[match.end():]
            continue
        if had_ts or level:
            first = rest[:1]
            match = _BRACKETED.match(rest) if first == "[" else _PID.match(rest) if first in _PID_FIRST else None
            if match:
                rest = rest[match.end():]
                continue
        break
    if level is None and had_ts:
        # a level a few fields in: `[1234] app@orders ERROR:  msg`
        match = _LEVEL_AFTER.match(rest)
        if match:
            level = canonical_level(match.group(1))
            rest = rest[match.end():]
    if level is not None:
        match = _LOGGER.match(rest)
        if match and rest[match.end():].strip():
            rest = rest[match.end():]
    return rest.strip(), level, had_ts or level is not None


def _looks_like_level(prefix: str) -> bool:
    """Without a timestamp, only a marked level counts: `[warn]`, `ERROR:`, `ERROR ` (not "error connecting")."""
    word = prefix.strip()
    return word[:1] in "[<(" or word.endswith(":") or word.isupper()


def _from_json(line: str) -> tuple[str, str | None] | None:
    """Message and level from a JSON log document, or None when it is not one."""
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        doc = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    nested_log = doc.get("log") if isinstance(doc.get("log"), dict) else {}
    text: object = None
    for key in ("message", "msg", "@message", "event"):
        if isinstance(doc.get(key), str):
            text = doc[key]
            break
    if text is None and isinstance(nested_log.get("message"), str):
        text = nested_log["message"]
    level: str | None = None
    for value in (doc.get("log.level"), nested_log.get("level"), doc.get("level"), doc.get("severity"),
                  doc.get("loglevel"), doc.get("levelname")):
        level = canonical_level(value)
        if level:
            break
    if text is None and isinstance(doc.get("log"), str):
        # Docker's json-file driver: the raw line, prefix and all, sits in "log"
        inner, inner_level, _ = _strip_prefix(doc["log"].rstrip("\r\n"))
        return inner, level or inner_level
    if text is None:
        return stripped, level
    return str(text).split("\n", 1)[0].strip(), level


# --- continuation lines ------------------------------------------------------------

_CONTINUATION_START = re.compile(
    r"^(?:Caused by:|Suppressed:|Traceback \(most recent call last\)|During handling of the above exception|"
    r"The above exception was the direct cause|\.\.\. ?\d+ (?:more|common frames omitted)|goroutine \d+ \[)"
)
_EXCEPTION_LINE = re.compile(
    r"^(?:[a-zA-Z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error|Exit|Interrupt|Warning|Throwable|Fault)\b(?::.*)?$"
)
_FRAME_LINE = re.compile(r"^(?:at |[\w$./*()-]+\(.*\)(?: \+0x[0-9a-f]+)?$|created by )")


def _is_continuation(line: str, current_had_prefix: bool, previous_was_continuation: bool) -> bool:
    first = line[:1]
    if first in (" ", "\t"):
        return True
    if first in _CONTINUATION_FIRST and _CONTINUATION_START.match(line):
        return True
    colon = line.find(":")
    if " " in (line if colon < 0 else line[:colon]) and not previous_was_continuation:
        return False  # an exception header has no space before its colon: most lines stop here
    if current_had_prefix or previous_was_continuation:
        # the exception header under a prefixed log line, or the last line of a traceback
        if _EXCEPTION_LINE.match(line):
            return not (_TS_PREFIX.match(line) or _LEVEL_PREFIX.match(line))
        if previous_was_continuation and _FRAME_LINE.match(line):
            return True
    return False


# What `MessageSplitter.feed` says of a line.
BLANK, CONTINUATION, MESSAGE = 0, 1, 2


class MessageSplitter:
    """Splits lines into messages one line at a time, so that input of any size can stream through.

    Whether a line continues the message above depends on that message and on
    the line before, which is all the state kept.
    """

    def __init__(self) -> None:
        self.started = False
        self.current_had_prefix = False
        self.previous_was_continuation = False

    def feed(self, line: str) -> tuple[int, str, str | None]:
        """(BLANK | CONTINUATION | MESSAGE, the message text, its level) for the next line."""
        if not line or line.isspace():
            return BLANK, "", None
        if self.started and _is_continuation(line, self.current_had_prefix, self.previous_was_continuation):
            self.previous_was_continuation = True
            return CONTINUATION, "", None
        self.previous_was_continuation = False
        parsed = _from_json(line) if line[:1] == "{" or line.lstrip()[:1] == "{" else None
        if parsed is not None:
            text, level = parsed
            self.current_had_prefix = True
        else:
            text, level, self.current_had_prefix = _strip_prefix(line)
        if not text:
            text = line.strip()
        if self.started and _DETAIL.match(text):
            self.previous_was_continuation = True
            return CONTINUATION, "", None
        self.started = True
        return MESSAGE, text, level


def split_messages(lines: Iterable[str | bytes], *, max_lines: int = MAX_LINES,
                   max_line_bytes: int = MAX_LINE_BYTES) -> tuple[list[RawMessage], list[int | None]]:
    """Split raw lines into messages.

    Returns the messages and, for each input line read, the index of the
    message it belongs to (None for a blank line). At most `max_lines` lines
    are read; each is cut at `max_line_bytes` bytes.
    """
    messages: list[RawMessage] = []
    line_map: list[int | None] = []
    feed = MessageSplitter().feed
    for index, line in enumerate(_cap_lines(lines, max_line_bytes, max_lines)):
        kind, text, level = feed(line)
        if kind == BLANK:
            line_map.append(None)
        elif kind == CONTINUATION:
            line_map.append(len(messages) - 1)
        else:
            line_map.append(len(messages))
            messages.append(RawMessage(text=text, level=level, line_index=index))
    return messages, line_map


def message_and_level(line: str) -> tuple[str, str | None]:
    """One log line's message and level, whatever wraps it (JSON, logfmt, a timestamp and level prefix).

    For log documents whose text is the whole container line (Kubernetes logs
    shipped by Filebeat or Fluent Bit), so patterns are mined from the message,
    not from the timestamps and keys around it.
    """
    parsed = _from_json(line)
    if parsed is not None:
        return parsed
    text, level, _ = _strip_prefix(line)
    return (text or line.strip()), level
