"""A latency answer: the chart draws its p95 (and slow requests as bars); the LLM's evidence pack holds the
figures the summary states, so a model's sentence with them passes the number check."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from support.answerfixture import make_answer

from incidentbot.answer.pack import evidence_pack, known_numbers
from incidentbot.answer.summary import template_summary
from incidentbot.answer.verify import verify_summary
from incidentbot.core.evidence import Histogram, Latency, Onset
from incidentbot.render.chart import build_figure, chart_data


def _latency_answer():
    answer = make_answer()
    start = answer.at - timedelta(hours=1)
    times = [start + timedelta(minutes=i) for i in range(60)]
    p95 = [120.0] * 30 + [None] + [1800.0] * 29
    onset = Onset(times[31], 31, 0.05, 4.0, 90.0)
    lat = Latency("event.duration", "ns", "range-buckets", "Q1", {"p50": 70.0, "p95": 1500.0, "p99": 2400.0},
                  before={"p50": 50.0, "p95": 120.0, "p99": 200.0}, after={"p50": 400.0, "p95": 1800.0, "p99": 2900.0},
                  onset=onset, threshold_ms=210.0, times=times, p95=p95, slow_counts=[0] * 31 + [4] * 29,
                  requests=600, slow_requests=140)
    hist = Histogram(start, 60, times, [10] * 60, [0] * 31 + [4] * 29, {}, "Q5")
    answer.evidence = dataclasses.replace(answer.evidence, histogram=hist, onset=onset, latency=lat)
    answer.intent = answer.intent.model_copy(update={"symptom": "latency", "status": []})
    answer.summary, dropped = verify_summary(
        template_summary(answer.intent, answer.evidence, answer.suspects, answer.changes), answer.ids())
    assert not dropped
    return answer


def test_the_chart_draws_p95_when_the_symptom_is_latency() -> None:
    answer = _latency_answer()
    data = chart_data(answer)
    assert data.p95_ms is not None and data.p95_ms[0] == 120.0 and data.p95_ms[-1] == 1800.0
    assert "p95" in data.title and data.slow_label and "210 ms" in data.slow_label
    fig = build_figure(data)
    gids = {line.get_gid() for ax in fig.axes for line in ax.get_lines()}
    assert "p95" in gids and "totals" not in gids
    plain = chart_data(make_answer())
    assert plain.p95_ms is None


def test_the_summary_states_before_and_after_and_the_pack_holds_those_numbers() -> None:
    answer = _latency_answer()
    assert "p95 from 120 ms to 1.8 s" in answer.summary and "[Q1]" in answer.summary
    pack = evidence_pack(answer)
    assert pack["latency"]["before"]["p95"] == 120 and pack["latency"]["after"]["p99"] == 2900
    numbers = known_numbers(pack)
    assert {"120", "2900", "140", "600"} <= numbers
    kept, dropped = verify_summary("The p95 rose from 120 ms to 2900 ms [Q1].", answer.ids(), numbers)
    assert kept and not dropped
