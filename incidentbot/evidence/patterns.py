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

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from incidentbot.evidence.masking import WILDCARD, mask_many

# A position with at most this many plain words splits its group (templates that differ in one word).
SPLIT_MAX_VALUES = 2
# Positions varying in lock-step with another one split up to this many values.
LOCKSTEP_MAX_VALUES = 4
# A group is offered to at most this many larger templates of its length for merging.
MERGE_SCAN = 300
# A request position holding at most this many routes (`GET /api/orders/<*>`, `GET /healthz`) splits.
PATH_SPLIT_MAX_VALUES = 8
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]*[:,.;]?|[a-z]+(?:[A-Z][a-z]*)+[:,.;]?")
# A path right after one of these is a request's route: it names an endpoint, it is not a value.
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})
# Words that are values wherever they stand: booleans and empty markers.
_VALUE_WORDS = frozenset({"true", "false", "null", "none", "nil", "yes", "no", "True", "False", "None", "NULL"})


@dataclass
class MinedPattern:
    """One template and the messages it covers."""

    template: str
    count: int
    members: list[int] = field(default_factory=list)


def _collapsed(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens with each run of bare `<*>` counted once: a value may span several words."""
    out: list[str] = []
    for token in tokens:
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
    roots: list[tuple[tuple[int, str], ...]] = []
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
    bare = word.rstrip(":,.;")
    return (_PLAIN_WORD.fullmatch(word) is not None and bare not in _VALUE_WORDS
            and not (len(bare) > 1 and bare.isupper()))


def _path_compatible(a: str, b: str) -> bool:
    """Two paths of one route: same segments, except where one of them holds a masked value."""
    sa, sb = a.split("/"), b.split("/")
    return len(sa) == len(sb) and all(x == y or WILDCARD in x or WILDCARD in y for x, y in zip(sa, sb))


def _route_classes(rows: list[tuple[str, ...]], members: list[int], weights: Sequence[int],
                   p: int) -> dict[str, str] | None:
    """When position p holds a few routes carrying nearly all the lines, each path's route; else None.

    Paths that differ only where one holds a masked value are one route; a rare
    tail (under 5% of the lines) is a value that escaped masking and does not count.
    """
    share: dict[str, int] = defaultdict(int)
    for m in members:
        share[rows[m][p]] += weights[m]
    if len(share) > 4 * PATH_SPLIT_MAX_VALUES or \
            not all(v[:1] == "/" and any(ch.isalpha() for ch in v) for v in share):
        return None
    route: dict[str, str] = {}
    heads: list[str] = []
    for value in sorted(share, key=lambda v: (-share[v], v)):
        head = next((h for h in heads if _path_compatible(h, value)), None)
        if head is None:
            heads.append(value)
            head = value
        route[value] = head
    size: dict[str, int] = defaultdict(int)
    for value, head in route.items():
        size[head] += share[value]
    total = sum(size.values())
    major = [h for h in heads if size[h] >= 0.02 * total]
    if 2 <= len(major) <= PATH_SPLIT_MAX_VALUES and sum(size[h] for h in major) >= 0.95 * total:
        return route
    return None


def _split_positions(rows: list[tuple[str, ...]], members: list[int],
                     weights: Sequence[int]) -> tuple[list[int], dict[int, dict[str, str]]]:
    """The positions whose values say which template a row belongs to (see the module docstring),
    and for route positions, the route of each path."""
    length = len(rows[members[0]])
    candidates: list[int] = []
    values_at: dict[int, set[str]] = {}
    routes: dict[int, dict[str, str]] = {}
    for p in range(length):
        values = {rows[m][p] for m in members}
        if len(values) < 2:
            continue
        if rows[members[0]][p][:1] == "/" and p > 0 and all(rows[m][p - 1] in _HTTP_METHODS for m in members):
            classes = _route_classes(rows, members, weights, p)
            if classes is not None:
                routes[p] = classes
                continue
        if len(values) > LOCKSTEP_MAX_VALUES:
            continue
        if any(WILDCARD in v or not _is_plain(v) for v in values):
            continue
        values_at[p] = values
        candidates.append(p)
    split = [p for p in candidates if len(values_at[p]) <= SPLIT_MAX_VALUES]
    for p in candidates:
        if p in split:
            continue
        for q in candidates:
            if q != p and len(values_at[q]) == len(values_at[p]) and \
                    len({(rows[m][p], rows[m][q]) for m in members}) == len(values_at[p]):
                split.append(p)
                break
    return sorted(split + list(routes)), routes


def _merged_path(paths: set[str]) -> str:
    """Paths of one route as one token: the segments they share, `<*>` where they differ."""
    split = [v.split("/") for v in paths]
    if len({len(s) for s in split}) != 1:
        return WILDCARD
    return "/".join(seg[0] if len(set(seg)) == 1 else WILDCARD for seg in zip(*split))


def _template(rows: list[tuple[str, ...]], members: list[int]) -> tuple[str, ...]:
    """The group's tokens: constant where all members agree, `<*>` (or a merged path) where they vary."""
    out = []
    for p, token in enumerate(rows[members[0]]):
        values = {rows[m][p] for m in members}
        if len(values) == 1:
            out.append(token)
        elif token[:1] == "/" and all(v[:1] == "/" for v in values):
            out.append(_merged_path(values))
        else:
            out.append(WILDCARD)
    return tuple(out)


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


def _first_key(tokens: tuple[str, ...]) -> str:
    """Which heads a template's first token can merge with: the same literal, or a bare `<*>`."""
    first = tokens[0]
    if first == WILDCARD:
        return "\0bare"
    return "\0masked" if WILDCARD in first else first


def _merge_groups(templates: list[tuple[str, ...]], sizes: list[int]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Map each group to the group it is merged into (largest first, then first made), and the merged templates.

    Heads are indexed by length and first token (two different literals there never merge), and a group is
    offered to at most `MERGE_SCAN` heads, so junk input (a flood of one-off shapes) costs linear time.
    """
    order = sorted(range(len(templates)), key=lambda g: (-sizes[g], g))
    rank = {g: n for n, g in enumerate(order)}
    all_heads: dict[int, list[int]] = defaultdict(list)
    buckets: dict[tuple[int, str], list[int]] = defaultdict(list)
    merged = list(templates)
    target = list(range(len(templates)))
    for g in order:
        tokens = templates[g]
        length, key = len(tokens), _first_key(tokens)
        if key.startswith("\0"):
            candidates = all_heads[length][:MERGE_SCAN]
        else:
            candidates = sorted(buckets[(length, key)] + buckets[(length, "\0bare")], key=rank.__getitem__)[:MERGE_SCAN]
        for head in candidates:
            if _compatible(merged[head], tokens):
                before = _first_key(merged[head])
                merged[head] = tuple(_token_merge(x, y) or WILDCARD for x, y in zip(merged[head], tokens))
                after = _first_key(merged[head])
                if after != before:
                    buckets[(length, before)].remove(head)
                    bisect.insort(buckets[(length, after)], head, key=rank.__getitem__)
                target[g] = head
                break
        else:
            all_heads[length].append(g)
            buckets[(length, key)].append(g)
    return target, merged


def _without_trailing_fields(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens without the `key=<*>` fields that end them: context a statement appends when it has it."""
    end = len(tokens)
    while end > 1 and tokens[end - 1].endswith("=" + WILDCARD) and tokens[end - 1][:1].isalpha():
        end -= 1
    return tokens[:end]


def _merge_runs(target: list[int], templates: list[tuple[str, ...]],
                sizes: list[int]) -> tuple[list[int], list[tuple[str, ...]]]:
    """Merge groups whose templates differ only in how many `<*>` a run holds (a value spanning words),
    or in the `key=<*>` fields that end them (optional context).

    Done last, across lengths: inside a length, a masked value next to a
    varying word is one more position, not a longer value.
    """
    heads = sorted({t for t in target}, key=lambda g: (-sizes[g], g))
    by_shape: dict[tuple[str, ...], int] = {}
    into: dict[int, int] = {}
    merged = list(templates)
    for head in heads:
        shape = _collapsed(_without_trailing_fields(templates[head]))
        first = by_shape.setdefault(shape, head)
        into[head] = first
        if first != head:
            merged[first] = _collapsed(templates[first])
    return [into[t] for t in target], merged


def group_texts(texts: Sequence[str], counts: Sequence[int]) -> tuple[list[str], list[int]]:
    """Group distinct masked texts: the templates, and the template index of each text."""
    rows = [tuple(t.split()) for t in texts]
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
            split, routes = _split_positions(rows, members, counts)
            parts: dict[tuple[str, ...], list[int]] = defaultdict(list)
            for m in members:
                parts[tuple(routes[p][rows[m][p]] if p in routes else rows[m][p] for p in split)].append(m)
            for part in parts.values():
                for m in part:
                    group_of[m] = len(templates)
                templates.append(_template(rows, part))
                sizes.append(sum(counts[m] for m in part))
    target, merged = _merge_groups(templates, sizes)
    target, merged = _merge_runs(target, merged, sizes)
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
