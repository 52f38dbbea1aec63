"""The rounds' searches folded into one pass answer exactly as the searches sent one by one.

Each round of the evidence plan is sent to the real server twice: search by
search, and folded (query/fusion.py: shared filters on top, counts as filter
aggregations, the first sample carrying the rest through a post_filter, a
short sample riding as top_hits). Every total, aggregation and sampled line
must be the same, on every server of the matrix.
"""
from __future__ import annotations

from typing import Any

import pytest
from support.servers import server_params

from incidentbot.config import settings_from
from incidentbot.evidence.collect import (Job, baseline_of, plan_probes, plan_rates, plan_samples, read_rates_round,
                                          read_samples_round, sample_scope, settle_intent, mine_sample)
from incidentbot.evidence.plan import SearchPlan, plan_ranges
from incidentbot.pipeline import Runtime, build_intent
from elasticsearch.dsl import Search

pytestmark = pytest.mark.parametrize("es_url", server_params(), indirect=True)

QUESTIONS = [("orders-inventory-deploy", None), ("checkout-traffic-latency", "slow"),
             ("payments-k8s-text-levels", None)]


def _plans(sc: Any, es_url: str, question: str) -> tuple[Runtime, list[SearchPlan]]:
    settings = settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index,
                             catalog_path=str(sc.catalog_path) if sc.catalog_path else None, at=sc.now)
    rt = Runtime.create(settings, env={})
    fm = rt.fields()
    intent = build_intent(question, rt, fm, rt.at())
    job = Job(rt.gateway, fm, rt.settings, sc.logs_index, plan_ranges(intent), rt.catalog)
    plans = [plan_rates(job, intent)]
    rates = read_rates_round(job, intent)
    intent = settle_intent(intent, rates, rt.catalog)
    baseline = baseline_of(intent, rates.onset, job.ranges)
    scope = sample_scope(intent, fm, rates.latency.threshold_ms if rates.latency else None)
    for lean in (False, True):
        job.lean = lean
        plans.append(plan_samples(job, intent, scope, baseline, rates.onset, rates.latency))
    samples = read_samples_round(job, intent, baseline, rates.onset, rates.latency)
    mined = mine_sample(samples, job)
    for lean in (False, True):
        job.lean = lean
        plans.append(plan_probes(job, intent, samples, mined, (intent.start, intent.end), baseline))
    return rt, [p for p in plans if len(p) > 1]


def _same(alone: dict[str, Any], folded: dict[str, Any], size: int) -> None:
    assert "error" not in alone and "error" not in folded, (alone.get("error"), folded.get("error"))
    assert folded["hits"]["total"]["value"] == alone["hits"]["total"]["value"]
    assert folded.get("aggregations") == alone.get("aggregations")
    lines_alone = [h["_source"] for h in alone["hits"]["hits"]]
    lines_folded = [h["_source"] for h in folded["hits"]["hits"]]
    if alone["hits"]["total"]["value"] <= size:  # every line came back: the same lines
        assert sorted(map(repr, lines_folded)) == sorted(map(repr, lines_alone))
    else:  # a sample: the same count, in the same order of time
        assert len(lines_folded) == len(lines_alone)
        assert [h.get("sort") for h in folded["hits"]["hits"]] == [h.get("sort") for h in alone["hits"]["hits"]]


@pytest.mark.parametrize("name,kind", QUESTIONS)
def test_folded_rounds_answer_as_their_searches_alone(es_url, scenarios, name, kind):
    sc = scenarios[name]
    question = next(q["ask"] for q in sc.questions
                    if q.get("command") != "whatchanged" and (kind is None or kind in q["ask"]))
    rt, plans = _plans(sc, es_url, question)
    assert plans
    for plan in plans:
        searches = plan.searches()
        alone = rt.gateway.msearch(searches)
        folded = plan.answers(rt.gateway)
        assert len(plan.folded().requests) < len(searches)  # folded: fewer passes than searches
        for (_, body), a, f in zip(searches, alone, folded):
            _same(a, f, int(body.get("size", 10)))


def test_a_bad_search_folded_with_good_ones_fails_alone(es_url, scenarios):
    """The folded request is refused because of one search: the others are sent again one by one and
    answer; the bad one reads as None (it is optional) instead of sinking the round."""
    sc = scenarios["orders-inventory-deploy"]
    settings = settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index, at=sc.now)
    rt = Runtime.create(settings, env={})
    plan = SearchPlan()
    plan.add("count", sc.logs_index, Search().extra(size=0, track_total_hits=True), "a count", lambda r: r)
    bad = Search().extra(size=0)
    # refused by both servers: noida-db has no percentiles, OpenSearch none over a text field
    bad.aggs.metric("broken", "percentiles", field="message", percents=[50])
    plan.add("bad", sc.logs_index, bad, "a refused search", lambda r: r, required=False)
    assert len(plan.folded().requests) == 1
    found = plan.execute(rt.gateway)
    assert found["bad"] is None
    assert found["count"]["hits"]["total"]["value"] == len(sc.logs)
