"""Log template mining: which messages are "the same error"?

Built on drain3's `TemplateMiner` (the Drain fixed-depth parse tree), with
three additions that make its output fit for citing in an answer:

1. `mask_variables` runs first, so values become `<*>` before Drain compares
   tokens. Drain's own masking is off (configured in code, no ini file, no
   persistence), so nothing depends on the working directory.
2. Each distinct masked text is mined once and remembered, so the same
   masked message always lands in the same pattern (deterministic, and
   faster on the repetitive input that logs are).
3. After mining, clusters whose templates differ only where one of them has
   a wildcard are merged: Drain's tree can open a second cluster for a
   template it already has (its similarity ignores wildcard positions, and
   the first tokens route messages down different branches before a
   position is known to vary). Members then take their cluster's final
   template, which by construction matches every member.

The similarity threshold and depth were tuned on `bench/labelled_logs.py`
(web access/error, PostgreSQL, JVM, kernel, SSH logs); see
`bench/patterns_accuracy.py` for the grouping accuracy against raw drain3.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Sequence

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

from incidentbot.evidence.masking import WILDCARD, mask_variables

DEFAULT_SIMILARITY = 0.4
DEFAULT_DEPTH = 4

# drain3 logs at INFO on every miner it builds; that is noise on a CLI's stderr.
logging.getLogger("drain3").setLevel(logging.WARNING)


@dataclass
class MinedPattern:
    """One template and the messages it covers."""

    template: str
    count: int
    members: list[int] = field(default_factory=list)


def _miner(similarity: float, depth: int, max_clusters: int) -> TemplateMiner:
    config = TemplateMinerConfig()
    config.drain_sim_th = similarity
    config.drain_depth = depth
    config.drain_max_clusters = max_clusters
    config.masking_instructions = []
    config.parametrize_numeric_tokens = True
    config.profiling_enabled = False
    return TemplateMiner(persistence_handler=None, config=config)


_WORD = re.compile(r"[\w.-]+")
_RUNS = re.compile(r"(?:<\*>)+")


def _skeleton(token: str) -> str | None:
    """The shape of a token that holds a masked value (`java[<*>]:` -> `<*>[<*>]:`), else None.

    Two such tokens of one shape differ only in a name next to a value (a
    process, a pool): Drain's tree keeps them apart because it routes on the
    first tokens, but they are one template.
    """
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


def _generalise(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_token_merge(x, y) or WILDCARD for x, y in zip(a, b))


def _merge_templates(templates: dict[int, tuple[str, ...]], sizes: dict[int, int]) -> dict[int, int]:
    """Map each cluster id to the id of the cluster it is merged into (largest first, then oldest)."""
    order = sorted(templates, key=lambda cid: (-sizes[cid], cid))
    by_length: dict[int, list[int]] = {}
    merged_template: dict[int, tuple[str, ...]] = {}
    target: dict[int, int] = {}
    for cid in order:
        tokens = templates[cid]
        for head in by_length.get(len(tokens), []):
            if _compatible(merged_template[head], tokens):
                merged_template[head] = _generalise(merged_template[head], tokens)
                target[cid] = head
                break
        else:
            target[cid] = cid
            merged_template[cid] = tokens
            by_length.setdefault(len(tokens), []).append(cid)
    templates.update(merged_template)
    return target


def mine_patterns(messages: Sequence[str], *, similarity: float = DEFAULT_SIMILARITY,
                  depth: int = DEFAULT_DEPTH,
                  max_clusters: int = 1000) -> tuple[list[MinedPattern], list[int | None]]:
    """Returns the patterns sorted by count (desc, ties by first member) and one pattern index per message (None for an empty message)."""
    miner = _miner(similarity, depth, max_clusters)
    seen: dict[str, int] = {}
    message_cluster: list[int | None] = []
    final_tokens: dict[int, tuple[str, ...]] = {}
    for message in messages:
        masked = mask_variables(message).strip() if message else ""
        if not masked:
            message_cluster.append(None)
            continue
        cid = seen.get(masked)
        if cid is None:
            result = miner.add_log_message(masked)
            cid = result["cluster_id"]
            seen[masked] = cid
            # A cluster's template only ever generalises, so its last reported
            # template is its final one and matches every earlier member.
            final_tokens[cid] = tuple(result["template_mined"].split())
        message_cluster.append(cid)

    sizes: dict[int, int] = {}
    for cid in message_cluster:
        if cid is not None:
            sizes[cid] = sizes.get(cid, 0) + 1
    target = _merge_templates(final_tokens, sizes)

    members: dict[int, list[int]] = {}
    for index, cid in enumerate(message_cluster):
        if cid is not None:
            members.setdefault(target[cid], []).append(index)
    heads = sorted(members, key=lambda head: (-len(members[head]), members[head][0]))
    position = {head: n for n, head in enumerate(heads)}
    patterns = [MinedPattern(template=" ".join(final_tokens[head]), count=len(members[head]),
                             members=members[head]) for head in heads]
    assignments = [position[target[cid]] if cid is not None else None for cid in message_cluster]
    return patterns, assignments
