"""The citation verifier: every [X] in a summary must name an id of the same answer.

The LLM may phrase, never invent: a sentence that cites nothing, or cites an
id that does not exist, or states a number the evidence does not hold, is
dropped. The templated summary passes through the same check in the tests.
"""
from __future__ import annotations

import re

CITATION = re.compile(r"\[([A-Z]\d+)\]")
_SENTENCE = re.compile(r"\s+(?=[A-Z\u201c\"(])")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])")


def citations(text: str) -> list[str]:
    return CITATION.findall(text)


def split_citation_lists(text: str) -> str:
    """[E1, E2] -> [E1][E2]: each citation its own bracket."""
    return re.sub(r"\[((?:[A-Z]\d+\s*,\s*)+[A-Z]\d+)\]",
                  lambda m: "".join(f"[{x.strip()}]" for x in m.group(1).split(",")), text)


def sentences(text: str) -> list[str]:
    """Split into sentences, never inside a quoted log template (“...”), which may hold full stops."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "\u201c":
            depth += 1
        elif ch == "\u201d":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in ".!?" and i + 1 < len(text) and text[i + 1] == " " and _SENTENCE.match(text, i + 1):
            out.append(text[start:i + 1].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def verify_summary(text: str, ids: set[str], known_numbers: set[str] | None = None) -> tuple[str, list[str]]:
    """Keep the sentences whose citations all resolve (and whose numbers are known); report the rest."""
    text = split_citation_lists(text.strip())
    kept, dropped = [], []
    for sentence in sentences(text):
        cited = citations(sentence)
        if not cited:
            dropped.append(f"no citation: {sentence[:80]}")
            continue
        missing = [c for c in cited if c not in ids]
        if missing:
            dropped.append(f"unknown id {', '.join(missing)}: {sentence[:80]}")
            continue
        if known_numbers is not None:
            bare = CITATION.sub("", sentence)
            unknown = [n for n in NUMBER.findall(bare) if n not in known_numbers]
            if unknown:
                dropped.append(f"number not in the evidence {', '.join(unknown)}: {sentence[:80]}")
                continue
        kept.append(sentence)
    return " ".join(kept), dropped
