"""One search run per index layout, merged back into one answer (evidence/families.py)."""
from __future__ import annotations

from incidentbot.evidence.families import merge_responses


def _hist(counts: list[int], services: dict[str, list[int]]) -> dict:
    return {"buckets": [{"key": 1000 * i, "key_as_string": f"t{i}", "doc_count": n,
                         "services": {"buckets": [{"key": k, "doc_count": v[i]} for k, v in services.items() if v[i]]}}
                        for i, n in enumerate(counts)]}


def test_totals_buckets_and_hits_merge_as_one_search_would_answer() -> None:
    a = {"took": 3, "hits": {"total": {"value": 5}, "hits": [{"_id": "a1", "sort": [30]}, {"_id": "a2", "sort": [10]}]},
         "aggregations": {"histogram": _hist([2, 3], {"x": [2, 3]}), "by_service": {"buckets": [{"key": "x", "doc_count": 5}]}}}
    b = {"took": 7, "hits": {"total": {"value": 4}, "hits": [{"_id": "b1", "sort": [20]}]},
         "aggregations": {"histogram": _hist([1, 3], {"y": [1, 3]}), "by_service": {"buckets": [{"key": "y", "doc_count": 4},
                                                                                                   {"key": "x", "doc_count": 2}]}}}
    body = {"size": 2, "sort": [{"@timestamp": {"order": "desc"}}]}
    out = merge_responses([a, b], [["i-flat"], ["i-ecs"]], body)
    assert out["hits"]["total"]["value"] == 9 and out["took"] == 7
    assert [h["_id"] for h in out["hits"]["hits"]] == ["a1", "b1"]  # newest first, cut at the size asked
    hist = out["aggregations"]["histogram"]["buckets"]
    assert [bk["doc_count"] for bk in hist] == [3, 6]
    assert {s["key"]: s["doc_count"] for s in hist[1]["services"]["buckets"]} == {"x": 3, "y": 3}
    assert out["aggregations"]["by_service"]["buckets"] == [{"key": "x", "doc_count": 7}, {"key": "y", "doc_count": 4}]
    assert "_failed" not in out


def test_a_layout_that_fails_is_set_aside_and_named() -> None:
    ok = {"hits": {"total": {"value": 2}, "hits": []}}
    bad = {"error": {"type": "index_closed_exception", "reason": "closed"}, "status": 400}
    out = merge_responses([ok, bad], [["logs-a"], ["logs-b", "logs-c"]], {"size": 0})
    assert out["hits"]["total"]["value"] == 2
    assert out["_failed"] == {"logs-b,logs-c": "closed"}
    assert "error" in merge_responses([bad, bad], [["x"], ["y"]], {"size": 0})
