"""Several searches on one index sent as one: a store that scans pays per pass, not per aggregation.

A scanning store (noida-db, an under-sized or busy cluster) reads every
document of the index for every search it runs, whatever the query: on 100,000
lines that is about 1.7 s a search, and the searches of an msearch run one
after the other. Aggregations ride along with the pass almost for free. So the
searches of one round that ask the same index are folded into one search:

- the filter clauses every search shares (the time range, mostly) become the
  top-level query (not the union of what is left: a scanning store would then
  evaluate each search's own clauses twice, measured 16 s against 9 s of CPU);
- each search that counts (size 0) becomes a `filter` aggregation over its own
  query, holding its own aggregations; its total is that filter's doc count;
- one search that returns lines (sorted, so scores play no part) can carry
  the others: its own query becomes the `post_filter`, which narrows the hits
  and not the aggregations, and its own aggregations are wrapped in a filter;
- another sorted search of at most TOP_HITS_MAX lines rides along as a
  `top_hits` aggregation under its own filter (a real cluster refuses more
  there: index.max_inner_result_window is 100 by default).

The answers are then cut back into the shape each search alone would have
returned, so the readers never know. On a real cluster the folded search asks
the same of the same documents; what an answer quotes is each search's own
body (what it counted), and this module only changes how many passes that costs.

Hand-written: no library folds DSL searches; it works on the plain dict bodies
that `elasticsearch.dsl` produces, so it applies to every search of a round.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Body = dict[str, Any]

# what a search may hold and still be folded (anything else, e.g. highlight or collapse, is sent as it is)
FOLDABLE_KEYS = frozenset({"query", "aggs", "size", "timeout", "track_total_hits", "_source", "sort"})
MATCH_ALL: Body = {"match_all": {}}
TOP_HITS_MAX = 100
RIDER = "rider_hits"  # the top_hits aggregation holding a riding search's lines


@dataclass(frozen=True)
class Route:
    """Where one original search's answer is found: which request, and which part of it."""

    request: int
    part: str | None = None  # the filter aggregation holding it (None: the request is this search's own)
    host: bool = False  # the request returns this search's lines (its aggregations wrapped in `part`)
    rider: bool = False  # this search's lines are the top_hits aggregation RIDER in `part`
    members: int = 1  # how many searches share the request (an error there is retried one by one)


@dataclass
class Fusion:
    """The requests to send, and how each original search's answer is found in their answers."""

    searches: list[tuple[str, Body]] = field(default_factory=list)  # the original searches, in order
    requests: list[tuple[str, Body]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)

    def split(self, responses: Sequence[Body]) -> list[Body]:
        """Each original search's answer, as that search alone would have received it."""
        return [_cut(responses[r.request], r) for r in self.routes]

    def retry(self, answers: Sequence[Body]) -> list[int]:
        """Searches whose shared request failed: sent again alone, so one bad search fails only itself."""
        return [i for i, (r, a) in enumerate(zip(self.routes, answers)) if r.members > 1 and "error" in a]


def counts_only(body: Body) -> bool:
    """A search that returns no lines: only its total and aggregations are read."""
    return body.get("size") == 0 and set(body) <= FOLDABLE_KEYS


def can_carry(body: Body) -> bool:
    """A search returning lines in a fixed order, whose query can move to a post_filter."""
    return isinstance(body.get("size"), int) and body["size"] > 0 and "sort" in body and set(body) <= FOLDABLE_KEYS


def fuse(searches: Sequence[tuple[str, Body]]) -> Fusion:
    """Fold the counting searches of each index into one request (carried by a line search when there is one)."""
    counting: dict[str, list[int]] = {}
    carrier: dict[str, int] = {}
    for i, (index, body) in enumerate(searches):
        if counts_only(body):
            counting.setdefault(index, []).append(i)
        elif can_carry(body) and index not in carrier:
            carrier[index] = i
        elif can_carry(body) and body["size"] <= TOP_HITS_MAX:
            counting.setdefault(index, []).append(i)  # rides along with the carrier as a top_hits aggregation
    fusion = Fusion(searches=list(searches), routes=[Route(-1)] * len(searches))
    placed: set[int] = set()
    for i, (index, body) in enumerate(searches):
        if i in placed:
            continue
        members = counting.get(index, [])
        host = carrier.get(index)
        if (i in members or i == host) and len(members) + (host is not None) > 1:
            _fold(fusion, searches, index, members, host)
            placed.update(members + ([host] if host is not None else []))
        else:
            fusion.routes[i] = Route(len(fusion.requests))
            fusion.requests.append((index, body))
    return fusion


def _fold(fusion: Fusion, searches: Sequence[tuple[str, Body]], index: str, members: list[int],
          host: int | None) -> None:
    everyone = ([host] if host is not None else []) + members
    queries = [searches[i][1].get("query") or MATCH_ALL for i in everyone]
    common, residuals = hoist_common(queries)
    shared = len(everyone)
    request = len(fusion.requests)
    aggs: Body = {}
    for n, i in enumerate(everyone):
        part = f"part{n}"
        rider = i != host and not counts_only(searches[i][1])
        own = dict(searches[i][1].get("aggs") or {})
        if rider:
            lines = searches[i][1]
            own[RIDER] = {"top_hits": {k: lines[k] for k in ("size", "sort", "_source") if k in lines}}
        aggs[part] = {"filter": residuals[n], **({"aggs": own} if own else {})}
        fusion.routes[i] = Route(request, part, host=(i == host), rider=rider, members=shared)
    query = _bool(common)  # not narrowed by the union of the rest: a scanning store would evaluate them twice
    timeouts = [searches[i][1].get("timeout") for i in everyone]
    if host is not None:
        body = dict(searches[host][1])
        if residuals[0] != MATCH_ALL:
            body["post_filter"] = residuals[0]
    else:
        body = {"size": 0, "track_total_hits": False}
    body.update(query=query, aggs=aggs)
    slowest = longest_timeout([t for t in timeouts if t])
    if slowest:
        body["timeout"] = slowest
    fusion.requests.append((index, body))


def hoist_common(queries: list[Body]) -> tuple[list[Body], list[Body]]:
    """The filter clauses every query shares, and what is left of each query without them."""
    filters = [_filters(q) for q in queries]
    keyed = [{_key(c): c for c in f} for f in filters]
    common_keys = set(keyed[0]) if keyed else set()
    for k in keyed[1:]:
        common_keys &= set(k)
    common = [c for c in filters[0] if _key(c) in common_keys] if filters else []
    return common, [_without(q, common_keys) for q in queries]


def _filters(query: Body) -> list[Body]:
    inner = query.get("bool")
    if not isinstance(inner, dict) or set(inner) - {"filter", "must", "must_not", "should", "minimum_should_match"}:
        return []
    f = inner.get("filter") or []
    return list(f) if isinstance(f, list) else [f]


def _without(query: Body, drop: set[str]) -> Body:
    """The query less the dropped filter clauses; still the same documents once those are applied above it."""
    if not drop or not isinstance(query.get("bool"), dict):
        return query
    inner = dict(query["bool"])
    kept = [c for c in _filters(query) if _key(c) not in drop]
    had_required = bool(inner.get("filter") or inner.get("must"))
    if kept:
        inner["filter"] = kept
    else:
        inner.pop("filter", None)
    if had_required and "should" in inner and "minimum_should_match" not in inner and not (kept or inner.get("must")):
        inner.pop("should")  # optional there (a score only): left alone it would become required
    if not any(inner.get(k) for k in ("filter", "must", "must_not", "should")):
        return MATCH_ALL
    return {"bool": inner}


def _bool(filters: list[Body]) -> Body:
    return {"bool": {"filter": filters}} if filters else MATCH_ALL


def _key(clause: Body) -> str:
    return json.dumps(clause, sort_keys=True, default=str)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def longest_timeout(timeouts: list[str]) -> str | None:
    """The longest of the searches' own timeouts ("20s", "1500ms"): the folded search is all of them."""
    def seconds(t: str) -> float:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(t).strip())
        return float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0
    return max(timeouts, key=seconds) if timeouts else None


def _cut(resp: Body, route: Route) -> Body:
    """One search's answer out of a folded one."""
    if route.part is None or "error" in resp:
        return resp
    held = ((resp.get("aggregations") or {}).get(route.part)) or {}
    own = {k: v for k, v in held.items() if k not in ("doc_count", "meta", RIDER)}
    if route.host:
        out = {k: v for k, v in resp.items() if k != "aggregations"}
    else:
        out = {k: v for k, v in resp.items() if k not in ("aggregations", "hits")}
        lines = ((held.get(RIDER) or {}).get("hits") or {}).get("hits", []) if route.rider else []
        out["hits"] = {"total": {"value": int(held.get("doc_count", 0) or 0), "relation": "eq"},
                       "max_score": None, "hits": lines}
    if own:
        out["aggregations"] = own
    return out
