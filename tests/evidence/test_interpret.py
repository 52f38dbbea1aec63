"""Evidence plan and readers: searches are named, bodies are what the compiler built, readers are pure."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from elasticsearch.dsl import Q, Search

from incidentbot.core.evidence import Onset
from incidentbot.core.intent import Intent
from incidentbot.evidence import interpret as ri
from incidentbot.evidence.plan import MAX_BUCKETS, SearchFailed, SearchPlan, plan_ranges, read_one

T0 = datetime(2026, 3, 14, 14, 0, tzinfo=timezone.utc)


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def test_a_plan_names_each_search_once_and_quotes_its_exact_body() -> None:
    plan = SearchPlan()
    search = Search().query(Q("term", service="payments")).extra(size=0)
    plan.add("main", "logs-*", search, "the main query", ri.read_total)
    with pytest.raises(ValueError):
        plan.add("main", "logs-*", search, "again", ri.read_total)
    assert "main" in plan and len(plan) == 1
    assert plan.body("main") == {"query": {"term": {"service": "payments"}}, "size": 0}


def test_a_failed_search_raises_when_required_and_reads_none_when_not() -> None:
    plan = SearchPlan()
    plan.add("main", "l", Search(), "the main query", ri.read_total)
    plan.add("warn", "l", Search(), "the warnings", ri.read_hits, required=False)
    required, optional = list(plan)
    failed = {"error": {"reason": "too many clauses"}}
    with pytest.raises(SearchFailed, match="the main query failed on the log store: too many clauses"):
        read_one(required, failed)
    assert read_one(optional, failed) is None
    assert read_one(required, {"hits": {"total": {"value": 7}, "hits": []}}) == 7


def test_ranges_cover_the_window_and_a_baseline_in_bounded_buckets() -> None:
    for span in (timedelta(minutes=10), timedelta(hours=6), timedelta(days=20)):
        intent = Intent(question="q", start=T0 - span, end=T0, window_named=True)
        r = plan_ranges(intent)
        assert r.range_end == intent.end and r.range_start <= intent.start - min(span, timedelta(hours=3))
        assert (r.range_end - r.range_start).total_seconds() / r.bucket_s <= MAX_BUCKETS + 1
        assert r.range_start.timestamp() % r.bucket_s == 0


def test_rates_are_read_per_bucket_and_per_service() -> None:
    """Failing lines per bucket (the signal is in the query), per service across index families' service fields."""
    resp = {"aggregations": {"histogram": {"buckets": [
        {"key": _ms(T0), "doc_count": 1, "services": {"buckets": [{"key": "cart", "doc_count": 1}]}},
        {"key": _ms(T0 + timedelta(minutes=1)), "doc_count": 9,
         "services": {"buckets": [{"key": "cart", "doc_count": 4}]},
         "services1": {"buckets": [{"key": "payments", "doc_count": 5}]}},
    ]}}}
    rates = ri.read_rates(resp, per_service=True)
    assert rates.times == [T0, T0 + timedelta(minutes=1)] and rates.failing == [1, 9]
    assert rates.per_service == {"cart": [1, 4], "payments": [0, 5]}
    assert ri.read_rates(resp).per_service == {}
    totals = {"aggregations": {"histogram": {"buckets": [{"key": _ms(T0), "doc_count": 10}]}}}
    assert ri.read_totals(totals) == {_ms(T0): 10}


def test_a_probe_series_lands_on_the_histogram_buckets() -> None:
    times = [T0 + timedelta(minutes=i) for i in range(5)]
    resp = {"aggregations": {
        "window": {"doc_count": 6, "examples": {"hits": {"hits": []}}, "last": {"hits": {"hits": []}},
                   "services": {"buckets": [{"key": "cart", "doc_count": 6}]}},
        "baseline": {"doc_count": 0},
        "series": {"histogram": {"buckets": [{"key": _ms(times[2]), "doc_count": 2},
                                             {"key": _ms(times[4]), "doc_count": 4}]}}}}
    probe = ri.read_probe(resp)
    assert (probe.count, probe.baseline_count, probe.services) == (6, 0, ["cart"])
    assert ri.align_series(probe.series, times) == [0, 0, 2, 0, 4]
    assert ri.align_series(None, times) is None


def test_concentrations_compare_with_healthy_traffic() -> None:
    window = ri.Breakdown(100, {"version": {"2.31.0": 95, "2.30.0": 5}}, {"version": ["2.31.0", "2.30.0"]})
    canary = ri.Breakdown(1100, {"version": {"2.31.0": 150, "2.30.0": 950}}, {"version": ["2.30.0", "2.31.0"]})
    full = ri.Breakdown(1100, {"version": {"2.31.0": 1100}}, {"version": ["2.31.0"]})
    base = ri.Breakdown(0)
    found = ri.concentrations(window, canary, base, {"version": "version"})
    assert [(c.field, c.value) for c in found] == [("version", "2.31.0")]
    assert ri.concentrations(window, full, base, {"version": "version"}) == []


def test_blast_radius_is_the_services_that_rose_at_the_onset() -> None:
    onset = Onset(T0, 10, 0.0, 5.0, 50.0)
    per_service = {"payments": [0] * 10 + [6] * 10, "cart": [3] * 20, "search": [0] * 10 + [1] * 10}
    risen, rates = ri.affected_services(per_service, onset, 60)
    assert risen == ["payments", "search"] and rates["cart"] == (3.0, 3.0)
    assert ri.affected_services(per_service, None, 60)[0] == []


def test_unique_hits_keeps_each_document_once() -> None:
    a = [{"_index": "i", "_id": "1"}, {"_index": "i", "_id": "2"}]
    b = [{"_index": "i", "_id": "2"}, {"_index": "j", "_id": "2"}]
    assert [(h["_index"], h["_id"]) for h in ri.unique_hits(a, b)] == [("i", "1"), ("i", "2"), ("j", "2")]
