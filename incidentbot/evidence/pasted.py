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

_FAILURE_WORDS = re.compile(r"exception|error|fail|fatal|panic|refused|timeout", re.I)
_WORD = re.compile(r"[A-Za-z]{2,}")


def pasted_error(text: str) -> str | None:
    """From pasted log text (three lines or more, or long), the constant words of its first error; else None."""
    lines = text.splitlines()
    if len(lines) < 3 and len(text) < 400:
        return None
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
    return " ".join(best.split()[:8])
