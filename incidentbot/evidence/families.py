"""One search over several index layouts: run once per layout, on that layout's own indices, and merged.

A pattern may match indices whose field names differ (a flat index next to an
ECS one). The query compiler already asks each layout with its own names; the
searches are also sent once per layout, targeted at its indices, in the same
msearch, because a store may read a name that is a keyword in one index and an
object in another wrongly for the whole search (noida-db answers such a
search with no hits at all). The answers are then merged into the shape one
search would have returned: totals and counts summed, buckets merged by key,
sampled hits merged in the search's own sort order. An error in one layout's
answer is kept aside (`_failed`), so the rest still answers and the failing
indices can be named.
"""
from __future__ import annotations

from typing import Any


def merge_responses(responses: list[dict[str, Any]], indices: list[list[str]], body: dict[str, Any]) -> dict[str, Any]:
    """The answers of one search run per layout, as one answer."""
    ok = [r for r in responses if "error" not in r]
    failed = {",".join(idx): _reason(r) for r, idx in zip(responses, indices) if "error" in r}
    if not ok:
        return responses[0]
    out: dict[str, Any] = {"took": max(int(r.get("took", 0) or 0) for r in ok),
                           "timed_out": any(r.get("timed_out") for r in ok)}
    totals = [((r.get("hits") or {}).get("total") or {}).get("value", 0) for r in ok]
    hits = [h for r in ok for h in (r.get("hits") or {}).get("hits", [])]
    out["hits"] = {"total": {"value": sum(int(t or 0) for t in totals), "relation": "eq"},
                   "hits": _sorted_hits(hits, body)[: int(body.get("size", 10))]}
    aggs: dict[str, Any] = {}
    for r in ok:
        aggs = merge_aggs(aggs, r.get("aggregations") or {})
    if aggs:
        out["aggregations"] = aggs
    if failed:
        out["_failed"] = failed
    return out


def _reason(resp: dict[str, Any]) -> str:
    err = resp.get("error")
    return str(err.get("reason") or err.get("type")) if isinstance(err, dict) else str(err)


def _sorted_hits(hits: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
    sort = body.get("sort")
    if not sort or not all(h.get("sort") for h in hits):
        return hits
    first = sort[0] if isinstance(sort, list) else sort
    order = next(iter(first.values())).get("order", "asc") if isinstance(first, dict) else "asc"
    return sorted(hits, key=lambda h: h["sort"][0], reverse=order == "desc")


def merge_aggs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two aggregation results of the same request over different indices, as one."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key in ("doc_count", "sum_other_doc_count", "doc_count_error_upper_bound"):
            out[key] = int(out[key] or 0) + int(value or 0)
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = _merge_agg(out[key], value)
    return out


def _merge_agg(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
    if isinstance(x.get("buckets"), list) and isinstance(y.get("buckets"), list):
        merged: dict[Any, dict[str, Any]] = {}
        for bucket in x["buckets"] + y["buckets"]:
            k = bucket.get("key")
            merged[k] = merge_aggs(merged[k], bucket) if k in merged else dict(bucket)
        buckets = list(merged.values())
        if buckets and "key_as_string" in buckets[0]:  # a date histogram: in time order
            buckets.sort(key=lambda bk: bk["key"])
        elif buckets and not any(k in buckets[0] for k in ("from", "to")):  # terms: largest first
            buckets.sort(key=lambda bk: -int(bk.get("doc_count", 0)))
        return {**merge_aggs({k: v for k, v in x.items() if k != "buckets"},
                             {k: v for k, v in y.items() if k != "buckets"}), "buckets": buckets}
    if isinstance(x.get("hits"), dict) and isinstance(y.get("hits"), dict):  # top_hits
        hits = x["hits"].get("hits", []) + y["hits"].get("hits", [])
        if all(h.get("sort") for h in hits):
            hits.sort(key=lambda h: h["sort"][0])
        return {"hits": {**x["hits"], "hits": hits}}
    return merge_aggs(x, y)
