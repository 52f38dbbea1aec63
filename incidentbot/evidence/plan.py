"""Named searches, run together: plan them, execute them in one msearch, read each by name.

Evidence is gathered in a few rounds (rates, samples, pattern probes); each
round is a plan of named `elasticsearch.dsl` Search objects, each paired with
the small pure function that reads its response. Executing a plan is one
round trip through the read-only gateway, and the findings come back by name,
never by position, so adding a search to a round is one `plan.add(...)` line
next to its reader, and nothing else moves.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch.dsl import Search

from incidentbot.core.timeutil import floor_minute
from incidentbot.evidence.families import merge_responses
from incidentbot.core.intent import Intent
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.query.fusion import Fusion, fuse

Reader = Callable[[dict[str, Any]], Any]

ANALYSIS_SPAN = timedelta(hours=3)
MAX_BUCKETS = 360
BUCKET_SIZES = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class NamedSearch:
    """One search of a round: where it runs, what it asks, and how its answer is read.

    `purpose` names it in an error message; a search that is not `required`
    reads as None when the store refuses it (a refinement, not the answer).
    """

    name: str
    index: str
    search: Search
    purpose: str
    read: Reader
    required: bool = True

    def body(self) -> dict[str, Any]:
        return self.search.to_dict()


class SearchFailed(RuntimeError):
    """A required search came back with an error from the log store."""


class SearchPlan:
    """An ordered set of named searches, executed together in one msearch."""

    def __init__(self) -> None:
        self._searches: dict[str, NamedSearch] = {}
        self.failed: dict[str, str] = {}  # indices of a layout whose searches failed -> the reason
        # the folded requests, for the layouts they were folded for: a round asks its cost, then sends it
        self._folded: tuple[list[list[str]] | None, Fusion] | None = None

    def add(self, name: str, index: str, search: Search, purpose: str, read: Reader,
            *, required: bool = True) -> None:
        if name in self._searches:
            raise ValueError(f"search {name!r} is planned twice")
        self._searches[name] = NamedSearch(name, index, search, purpose, read, required)
        self._folded = None

    def __contains__(self, name: object) -> bool:
        return name in self._searches

    def __iter__(self) -> Iterator[NamedSearch]:
        return iter(self._searches.values())

    def __len__(self) -> int:
        return len(self._searches)

    def body(self, name: str) -> dict[str, Any]:
        """The exact body sent for a search: what the answer quotes."""
        return self._searches[name].body()

    def execute(self, gw: ReadOnlyGateway, layouts: list[list[str]] | None = None) -> dict[str, Any]:
        """One msearch; each response read by its own reader, returned by name.

        With `layouts` (the indices of each field layout behind the pattern),
        every search runs once per layout on its own indices, in the same
        msearch, and the answers are merged before they are read (families.py).
        """
        if not self._searches:
            return {}
        planned = list(self._searches.values())
        answers = self.answers(gw, layouts)
        if not layouts or len(layouts) < 2:
            return {s.name: read_one(s, resp) for s, resp in zip(planned, answers)}
        n = len(layouts)
        merged = [merge_responses(answers[i * n:(i + 1) * n], layouts, s.body()) for i, s in enumerate(planned)]
        self.failed = {k: v for resp in merged for k, v in (resp.get("_failed") or {}).items()}
        return {s.name: read_one(s, resp) for s, resp in zip(planned, merged)}

    def searches(self, layouts: list[list[str]] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """What the plan asks, in order: each search once, or once per layout on that layout's indices."""
        planned = list(self._searches.values())
        if not layouts or len(layouts) < 2:
            return [(s.index, s.body()) for s in planned]
        return [(",".join(idx), s.body()) for s in planned for idx in layouts]

    def folded(self, layouts: list[list[str]] | None = None) -> Fusion:
        """The searches folded into one pass per index (query/fusion.py), made once per plan and layouts."""
        if self._folded is None or self._folded[0] != layouts:
            self._folded = (layouts, fuse(self.searches(layouts)))
        return self._folded[1]

    def cost(self, layouts: list[list[str]] | None = None) -> float:
        """What the plan costs a store that scans, in passes: one per folded search, plus what its clauses
        add (`scan_cost`)."""
        requests = self.folded(layouts).requests
        return len(requests) + sum(scan_cost(body) for _, body in requests)

    def answers(self, gw: ReadOnlyGateway, layouts: list[list[str]] | None = None) -> list[dict[str, Any]]:
        """Each search's answer (in `searches` order) from one msearch of the folded requests; a folded
        request that fails is sent again search by search, so a failing search fails only itself."""
        fusion = self.folded(layouts)
        answers = fusion.split(gw.msearch(fusion.requests))
        again = fusion.retry(answers)
        if again:
            for i, resp in zip(again, gw.msearch([fusion.searches[i] for i in again])):
                answers[i] = resp
        return answers


TEXT_CLAUSES = frozenset({"match", "match_phrase", "match_phrase_prefix", "query_string", "simple_query_string",
                          "wildcard", "regexp", "prefix", "fuzzy"})
# keyword clauses and aggregations: each adds a little to a pass
SMALL_PARTS = frozenset({"term", "terms", "range", "exists", "date_histogram", "histogram", "top_hits",
                         "percentiles", "filters", "cardinality", "stats"})
TEXT_WEIGHT = 1.0
SMALL_WEIGHT = 0.1


def scan_cost(node: Any) -> float:
    """What a body's clauses add to its pass on a store that scans, in passes.

    Measured on noida-db over 100,000 lines (CPU seconds): a pass 1.5 s
    whatever it asks; a phrase over the message text about as much again; a
    keyword clause or an aggregation about a tenth (a round's folded sample
    with its breakdowns, 5.5 s, is 1 pass and 2.7 of these). Counted wherever
    they sit: in the query, a post_filter or a filter aggregation.
    """
    if isinstance(node, dict):
        return sum((TEXT_WEIGHT if k in TEXT_CLAUSES else SMALL_WEIGHT if k in SMALL_PARTS else 0.0)
                   + scan_cost(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(scan_cost(v) for v in node)
    return 0.0


def read_one(search: NamedSearch, resp: dict[str, Any]) -> Any:
    """A response through its reader; an error raises (or reads as None when the search is optional)."""
    if "error" in resp:
        if not search.required:
            return None
        err = resp["error"]
        reason = err.get("reason") if isinstance(err, dict) else str(err)
        raise SearchFailed(f"{search.purpose} failed on the log store: {reason}")
    return search.read(resp)


@dataclass(frozen=True)
class Ranges:
    """The span one answer's histogram covers and its bucket size."""

    range_start: datetime
    range_end: datetime
    bucket_s: int


def plan_ranges(intent: Intent) -> Ranges:
    """The histogram covers the window and a baseline before it, in at most MAX_BUCKETS buckets."""
    end = intent.end
    span = max(end - intent.start, timedelta(minutes=30))
    start = floor_minute(min(intent.start - span, end - ANALYSIS_SPAN))
    total_s = (end - start).total_seconds()
    bucket_s = next((size for size in BUCKET_SIZES if total_s / size <= MAX_BUCKETS), BUCKET_SIZES[-1])
    start = datetime.fromtimestamp(math.floor(start.timestamp() / bucket_s) * bucket_s, tz=start.tzinfo)
    return Ranges(start, end, bucket_s)
