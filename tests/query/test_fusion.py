"""Folding a round's searches into one pass: what is sent, and how each answer is cut back out."""
from __future__ import annotations

from incidentbot.query.fusion import RIDER, TOP_HITS_MAX, fuse, hoist_common, longest_timeout

RANGE = {"range": {"@timestamp": {"gte": "2026-01-01T10:00:00Z", "lt": "2026-01-01T11:00:00Z"}}}
ERRORS = {"term": {"log.level": "error"}}
SVC = {"terms": {"service.name": ["checkout"]}}


def count(*filters: dict, aggs: dict | None = None, timeout: str = "20s") -> dict:
    body = {"size": 0, "query": {"bool": {"filter": list(filters)}}, "timeout": timeout, "track_total_hits": True}
    if aggs:
        body["aggs"] = aggs
    return body


def lines(*filters: dict, size: int = 250, order: str = "asc") -> dict:
    return {"size": size, "query": {"bool": {"filter": list(filters)}}, "sort": [{"@timestamp": {"order": order}}],
            "_source": ["@timestamp", "message"], "timeout": "20s", "track_total_hits": True}


def test_counting_searches_of_one_index_become_one_request_with_the_shared_range_on_top():
    hist = {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "60s"}}}
    fusion = fuse([("logs", count(RANGE, ERRORS, aggs=hist)), ("logs", count(RANGE, SVC)), ("other", count(RANGE))])
    assert len(fusion.requests) == 2
    index, body = fusion.requests[0]
    assert index == "logs" and body["size"] == 0
    assert body["query"] == {"bool": {"filter": [RANGE]}}  # shared clause hoisted, nothing else narrows it
    assert body["aggs"]["part0"] == {"filter": {"bool": {"filter": [ERRORS]}}, "aggs": hist}
    assert body["aggs"]["part1"] == {"filter": {"bool": {"filter": [SVC]}}}
    assert fusion.requests[1] == ("other", count(RANGE))  # alone on its index: sent as it is


def test_each_answer_is_cut_back_to_the_shape_its_search_alone_gets():
    hist = {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "60s"}}}
    fusion = fuse([("logs", count(RANGE, ERRORS, aggs=hist)), ("logs", count(RANGE, SVC))])
    buckets = {"buckets": [{"key": 1, "doc_count": 4}]}
    answers = fusion.split([{"took": 7, "timed_out": False, "hits": {"total": {"value": 0}, "hits": []},
                             "aggregations": {"part0": {"doc_count": 4, "h": buckets}, "part1": {"doc_count": 9}}}])
    assert answers[0]["hits"]["total"] == {"value": 4, "relation": "eq"}
    assert answers[0]["aggregations"] == {"h": buckets}
    assert answers[1]["hits"]["total"]["value"] == 9 and "aggregations" not in answers[1]
    assert answers[0]["took"] == 7 and answers[1]["timed_out"] is False


def test_a_line_search_carries_the_counts_through_a_post_filter_and_a_short_one_rides_as_top_hits():
    breakdown = {"by_host": {"terms": {"field": "host.name"}}}
    first = dict(lines(RANGE, ERRORS), aggs=breakdown)
    baseline = lines(RANGE, SVC, size=TOP_HITS_MAX, order="desc")
    fusion = fuse([("logs", count(RANGE, SVC)), ("logs", first), ("logs", baseline)])
    assert len(fusion.requests) == 1
    body = fusion.requests[0][1]
    assert body["post_filter"] == {"bool": {"filter": [ERRORS]}} and body["size"] == 250
    assert body["aggs"]["part0"] == {"filter": {"bool": {"filter": [ERRORS]}}, "aggs": breakdown}
    rider = body["aggs"]["part2"]["aggs"][RIDER]["top_hits"]
    assert rider == {"size": TOP_HITS_MAX, "sort": baseline["sort"], "_source": baseline["_source"]}
    hit = {"_id": "a", "_source": {"message": "x"}}
    answers = fusion.split([{"hits": {"total": {"value": 3}, "hits": [hit]},
                             "aggregations": {"part0": {"doc_count": 3, "by_host": {"buckets": []}},
                                              "part1": {"doc_count": 12},
                                              "part2": {"doc_count": 2, RIDER: {"hits": {"hits": [hit, hit]}}}}}])
    count_answer, first_answer, base_answer = answers
    assert count_answer["hits"]["total"]["value"] == 12
    assert first_answer["hits"]["hits"] == [hit] and first_answer["aggregations"] == {"by_host": {"buckets": []}}
    assert base_answer["hits"] == {"total": {"value": 2, "relation": "eq"}, "max_score": None, "hits": [hit, hit]}
    assert "aggregations" not in base_answer


def test_what_cannot_be_folded_is_sent_as_it_is():
    long_one = lines(RANGE, SVC, size=TOP_HITS_MAX + 1)
    highlighted = dict(count(RANGE), highlight={"fields": {"message": {}}})
    unsorted = {"size": 5, "query": {"match": {"message": "timeout"}}}
    fusion = fuse([("logs", lines(RANGE)), ("logs", long_one), ("logs", highlighted), ("logs", unsorted)])
    assert [b for _, b in fusion.requests] == [lines(RANGE), long_one, highlighted, unsorted]
    assert fusion.split([{"hits": {"total": {"value": n}, "hits": []}} for n in range(4)])[3]["hits"]["total"] == \
        {"value": 3}


def test_a_failed_folded_request_names_its_searches_for_a_retry_one_by_one():
    fusion = fuse([("logs", count(RANGE, ERRORS)), ("logs", count(RANGE, SVC)), ("x", count(RANGE))])
    answers = fusion.split([{"error": {"reason": "unknown aggregation"}}, {"error": {"reason": "no index"}}])
    assert fusion.retry(answers) == [0, 1]  # the lone search on "x" failed by itself: no retry


def test_an_optional_should_stays_optional_once_its_filters_are_hoisted():
    optional = {"bool": {"filter": [RANGE], "should": [ERRORS]}}  # should without filter/must left: a score only
    required = {"bool": {"filter": [RANGE], "should": [ERRORS, SVC], "minimum_should_match": 1}}
    common, rest = hoist_common([optional, required])
    assert common == [RANGE]
    assert rest == [{"match_all": {}}, {"bool": {"should": [ERRORS, SVC], "minimum_should_match": 1}}]


def test_the_folded_search_waits_as_long_as_its_most_patient_part():
    assert longest_timeout(["20s", "1500ms", "1m"]) == "1m"
    fusion = fuse([("logs", count(RANGE, timeout="5s")), ("logs", count(RANGE, SVC, timeout="30s"))])
    assert fusion.requests[0][1]["timeout"] == "30s"
