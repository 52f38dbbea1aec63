"""Log template mining: which messages are "the same error"?

Method (docs/patterns.md has the long form). Messages are masked first
(`mask_variables`: values become `<*>`), and each distinct masked text is
kept once with its count, so the work below is per distinct text, not per
line. The grouping is then decided from statistics over ALL the texts of a
length, never from the order in which lines arrive (Drain's tree, which
this replaced, fixes a group's shape from its first lines, so a value that
repeats early splits a group and a constant word met late merges two):

1. Texts are grouped by token count (a run of masked tokens counts as one).
2. Within a length, every (position, word) pair gets its frequency: the
   number of lines that have that word there. The constant words of one
   template all occur in every line of it, so they share one frequency; a
   variable's values each have a smaller, scattered one. A text's *root* is
   its largest set of words of equal frequency, and texts of one length and
   one root form a group (the idea of Brain, Yu et al., 2023).
3. Inside a group, each position that is not constant is classified by how
   it varies across the group: it is a variable when it has many values,
   when one of them is a masked value, when its values are not plain words
   (paths, names with digits or dots, upper-case enumerations), and it
   splits the group (the templates differ in a constant word) when it has
   at most `SPLIT_MAX_VALUES` plain words, or when it varies in lock-step
   with another position (two templates that differ in several words).
4. Groups whose templates agree wherever both are literal, with some literal
   in common, are merged, largest first, and every member takes its group's
   final template, which by construction matches it.

The result is deterministic and independent of input order (ties are broken
by first appearance only to number the patterns).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from incidentbot.evidence.masking import WILDCARD, mask_many

# A position with at most this many plain words splits its group (templates that differ in one word).
SPLIT_MAX_VALUES = 2
# Positions varying in lock-step with another one split up to this many values.
LOCKSTEP_MAX_VALUES = 4
# A position holding at most this many paths (`/api/orders/<*>`, `/healthz`) splits: a path names a route.
PATH_SPLIT_MAX_VALUES = 8
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]*[:,.;]?|[a-z]+(?:[A-Z][a-z]*)+[:,.;]?")


@dataclass
class MinedPattern:
    """One template and the messages it covers."""

    template: str
    count: int
    members: list[int] = field(default_factory=list)


def tokens_of(masked: str) -> tuple[str, ...]:
    """Whitespace tokens, a run of bare `<*>` tokens counted once (a value may span several words)."""
    out: list[str] = []
    for token in masked.split():
        if token == WILDCARD and out and out[-1] == WILDCARD:
            continue
        out.append(token)
    return tuple(out)


class DistinctTexts:
    """Each distinct masked text once, with the number of lines that had it.

    This is all the miner keeps per input, so its memory grows with the
    number of distinct shapes, not with the number of lines.
    """

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.texts: list[str] = []
        self.counts: list[int] = []

    def add_many(self, masked: Iterable[str]) -> list[int]:
        """The id of each text (new texts get the next id); counts are updated."""
        index, counts = self.index, self.counts
        ids = []
        for text in masked:
            i = index.get(text)
            if i is None:
                i = index[text] = len(self.texts)
                self.texts.append(text)
                counts.append(0)
            counts[i] += 1
            ids.append(i)
        return ids


# --- step 2: roots -------------------------------------------------------------------

def _roots(rows: list[tuple[str, ...]], weights: list[int]) -> list[tuple[tuple[int, str], ...]]:
    """For each row of one length, its root: the largest set of its words of equal frequency."""
    freq: dict[tuple[int, str], int] = defaultdict(int)
    for row, w in zip(rows, weights):
        for p, token in enumerate(row):
            if token != WILDCARD:
                freq[(p, token)] += w
    roots = []
    for row in rows:
        by_freq: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for p, token in enumerate(row):
            if token != WILDCARD:
                by_freq[freq[(p, token)]].append((p, token))
        if not by_freq:
            roots.append(())
            continue
        best = max(by_freq, key=lambda f: (len(by_freq[f]), f))
        roots.append(tuple(by_freq[best]))
    return roots


# --- step 3: split or generalise ---------------------------------------------------------

def _is_plain(word: str) -> bool:
    """A word that can be a template's constant: letters, not an upper-case code (OPEN, RSA, GET)."""
    return _PLAIN_WORD.fullmatch(word) is not None and not (len(word) > 1 and word.rstrip(":,.;").isupper())


def _is_route_column(rows: list[tuple[str, ...]], members: list[int], weights: Sequence[int], p: int) -> bool:
    """Paths at p, a few of them carrying nearly all the lines (a rare tail is a value that escaped masking)."""
    share: dict[str, int] = defaultdict(int)
    for m in members:
        share[rows[m][p]] += weights[m]
    if not all(v[:1] == "/" and any(ch.isalpha() for ch in v) for v in share):
        return False
    total = sum(share.values())
    major = [v for v, n in share.items() if n >= 0.02 * total]
    return 2 <= len(major) <= PATH_SPLIT_MAX_VALUES and sum(share[v] for v in major) >= 0.95 * total


def _split_positions(rows: list[tuple[str, ...]], members: list[int], weights: Sequence[int]) -> list[int]:
    """The positions whose values say which template a row belongs to (see the module docstring)."""
    length = len(rows[members[0]])
    candidates: list[int] = []
    values_at: dict[int, set[str]] = {}
    paths: list[int] = []
    for p in range(length):
        values = {rows[m][p] for m in members}
        if len(values) < 2:
            continue
        if rows[members[0]][p][:1] == "/" and _is_route_column(rows, members, weights, p):
            paths.append(p)
            continue
        if len(values) > LOCKSTEP_MAX_VALUES:
            continue
        if any(WILDCARD in v or not _is_plain(v) for v in values):
            continue
        values_at[p] = values
        candidates.append(p)
    split = paths + [p for p in candidates if len(values_at[p]) <= SPLIT_MAX_VALUES]
    for p in candidates:
        if p in split:
            continue
        for q in candidates:
            if q != p and len(values_at[q]) == len(values_at[p]) and \
                    len({(rows[m][p], rows[m][q]) for m in members}) == len(values_at[p]):
                split.append(p)
                break
    return sorted(split)


def _template(rows: list[tuple[str, ...]], members: list[int]) -> tuple[str, ...]:
    first = rows[members[0]]
    return tuple(t if all(rows[m][p] == t for m in members) else WILDCARD for p, t in enumerate(first))


# --- step 4: merge -------------------------------------------------------------------

_WORD = re.compile(r"[\w.-]+")
_RUNS = re.compile(r"(?:<\*>)+")


def _skeleton(token: str) -> str | None:
    """The shape of a token that holds a masked value (`java[<*>]:` -> `<*>[<*>]:`), else None."""
    if WILDCARD not in token or token == WILDCARD or "/" in token:
        return None  # a path's literal segments name the route: /api/orders/<*> is not /static/js/<*>
    return _RUNS.sub(WILDCARD, _WORD.sub(WILDCARD, token))


def _token_merge(x: str, y: str) -> str | None:
    """The token covering both, or None when they are different literals."""
    if x == y:
        return x
    if x == WILDCARD or y == WILDCARD:
        return WILDCARD
    shape = _skeleton(x)
    if shape is not None and shape == _skeleton(y):
        return shape
    return None


def _compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same length, and every position equal or a masked value on one side, with some literal in common."""
    if len(a) != len(b):
        return False
    shared = 0
    for x, y in zip(a, b):
        if x == y:
            if x != WILDCARD:
                shared += 1
        elif _token_merge(x, y) is None:
            return False
    return shared > 0 or all(t == WILDCARD for t in a + b)


def _merge_groups(templates: list[tuple[str, ...]], sizes: list[int]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Map each group to the group it is merged into (largest first, then first made), and the merged templates."""
    order = sorted(range(len(templates)), key=lambda g: (-sizes[g], g))
    heads_by_length: dict[int, list[int]] = defaultdict(list)
    merged = list(templates)
    target = list(range(len(templates)))
    for g in order:
        tokens = templates[g]
        for head in heads_by_length[len(tokens)]:
            if _compatible(merged[head], tokens):
                merged[head] = tuple(_token_merge(x, y) or WILDCARD for x, y in zip(merged[head], tokens))
                target[g] = head
                break
        else:
            heads_by_length[len(tokens)].append(g)
    return target, merged


def group_texts(texts: Sequence[str], counts: Sequence[int]) -> tuple[list[str], list[int]]:
    """Group distinct masked texts: the templates, and the template index of each text."""
    rows = [tokens_of(t) for t in texts]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        if row:
            by_length[len(row)].append(i)
    group_of = [-1] * len(rows)
    templates: list[tuple[str, ...]] = []
    sizes: list[int] = []
    for length in sorted(by_length):
        ids = by_length[length]
        roots = _roots([rows[i] for i in ids], [counts[i] for i in ids])
        by_root: dict[tuple[tuple[int, str], ...], list[int]] = defaultdict(list)
        for i, root in zip(ids, roots):
            by_root[root].append(i)
        for members in by_root.values():
            split = _split_positions(rows, members, counts)
            parts: dict[tuple[str, ...], list[int]] = defaultdict(list)
            for m in members:
                parts[tuple(rows[m][p] for p in split)].append(m)
            for part in parts.values():
                for m in part:
                    group_of[m] = len(templates)
                templates.append(_template(rows, part))
                sizes.append(sum(counts[m] for m in part))
    target, merged = _merge_groups(templates, sizes)
    final = sorted({target[g] for g in range(len(templates))})
    position = {head: n for n, head in enumerate(final)}
    return ([" ".join(merged[head]) for head in final],
            [position[target[g]] if g >= 0 else -1 for g in group_of])


def mine_patterns(messages: Sequence[str]) -> tuple[list[MinedPattern], list[int | None]]:
    """Returns the patterns sorted by count (desc, ties by first member) and one pattern index per message (None for an empty message)."""
    table = DistinctTexts()
    ids = table.add_many(m.strip() for m in mask_many(list(messages)))
    templates, template_of = group_texts(table.texts, table.counts)
    members: dict[int, list[int]] = defaultdict(list)
    for index, text_id in enumerate(ids):
        t = template_of[text_id]
        if t >= 0:
            members[t].append(index)
    heads = sorted(members, key=lambda t: (-len(members[t]), members[t][0]))
    position = {t: n for n, t in enumerate(heads)}
    patterns = [MinedPattern(template=templates[t], count=len(members[t]), members=members[t]) for t in heads]
    assignments: list[int | None] = []
    for text_id in ids:
        t = template_of[text_id]
        assignments.append(position[t] if t >= 0 else None)
    return patterns, assignments
