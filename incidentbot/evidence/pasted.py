"""The error in a pasted stack trace or log excerpt: what to search the logs for.

People paste what they have in front of them; the useful part is the first
error message, without its timestamps, ids and numbers. Reading log text is
this stage's skill (line splitting, variable masking, template runs), so the
pipeline asks here and hands the phrase to the question parser.
"""
from __future__ import annotations

import re

from incidentbot.evidence.masking import mask_variables
from incidentbot.evidence.rawlines import split_messages
from incidentbot.query.compile import template_runs

_FAILURE_WORDS = re.compile(r"exception|error|fail|fatal|panic|refused|timeout", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{2,}")


_ERROR_WORD = re.compile(r"\b(?:exception|error|failed|failure|panic(?:ked)?|refused|timed out|timeout|denied|"
                         r"unavailable|unsupported|invalid|exceeded|cannot|could not)\b", re.IGNORECASE)


def one_pasted_line(text: str) -> bool:
    """A single log line pasted into the question: error words in a message built of "a: b: c" parts.

    Log messages chain their causes with ": " ("GET /x 500: webp transcode failed: unsupported
    colorspace"); questions rarely do, and a clock time's colon has no space after it.
    """
    line = text.strip()
    return "\n" not in line and line.count(": ") >= 2 and len(line.split()) >= 6 and bool(_ERROR_WORD.search(line))


def pasted_error(text: str) -> str | None:
    """From pasted log text (three lines or more, long, or one log line), the constant words of its first
    error; else None."""
    lines = text.splitlines()
    single = one_pasted_line(text)
    if len(lines) < 3 and len(text) < 400 and not single:
        return None
    if single:
        head, _, tail = text.strip().partition(": ")
        lines = [tail] if len(head.split()) <= 3 and _ERROR_WORD.search(tail) else [text.strip()]  # "seeing this: <line>"
    messages, _ = split_messages(lines[:2000])
    chosen = next((m for m in messages if m.level in ("error", "fatal")), None) or \
        next((m for m in messages if _FAILURE_WORDS.search(m.text)), None)
    if chosen is None:
        return None
    runs = [r.strip(" :;,.-") for r in template_runs(mask_variables(chosen.text[:500]))]
    runs = [r for r in runs if len(_WORD.findall(r)) >= 2]
    if not runs:
        return None
    # the head of an error message names it ("connection pool exhausted"); details follow
    best = next((r for r in runs if len(_WORD.findall(r)) >= 3), runs[0])
    if single:
        # one line typed around with chat ("anyone? smtp ... failed: ..."): the part that says what failed
        best = next((r for r in runs if _ERROR_WORD.search(r) and len(_WORD.findall(r)) >= 3), best)
    return " ".join(best.split()[:8])
