"""Latency math on bucketed durations: percentiles within one bucket of the exact value, slow counts, onset."""
from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from incidentbot.evidence.latency import (
    BOUNDS_MS,
    STEP,
    Distribution,
    bound_at_or_above,
    latency_onset,
    read_percentiles,
    read_ranges,
    summary,
)
from incidentbot.query.latency import range_agg

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def binned(values_ms: list[float]) -> Distribution:
    """What the range aggregation returns for these durations: [0,b0), [b0,b1), ..., [bN, inf)."""
    counts = [0] * (len(BOUNDS_MS) + 1)
    for v in values_ms:
        counts[bisect.bisect_right(BOUNDS_MS, v)] += 1
    return Distribution(counts)


def exact(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@pytest.mark.parametrize("seed", range(8))
def test_percentiles_are_within_one_bucket_of_the_exact_value(seed: int) -> None:
    rng = random.Random(seed)
    median = rng.choice([3, 40, 250, 2000])
    values = [median * math.exp(rng.gauss(0, rng.choice([0.3, 0.8]))) for _ in range(rng.randint(200, 3000))]
    dist = binned(values)
    for p in (50, 95, 99):
        got = dist.quantile(p)
        want = exact(values, p)
        assert got is not None
        assert want / STEP <= got <= want * STEP, (p, got, want)


def test_slow_count_uses_the_next_bound_and_counts_whole_buckets() -> None:
    values = [10.0] * 90 + [900.0] * 10
    dist = binned(values)
    bound = bound_at_or_above(800)
    assert 800 <= bound < 800 * STEP
    assert dist.slower_than(800) == 10
    assert dist.slower_than(5) == 100
    assert Distribution().quantile(99) is None


def test_range_agg_is_in_the_fields_unit_and_reads_back() -> None:
    seconds = range_agg("request_time", "s")["range"]["ranges"]
    nanos = range_agg("event.duration", "ns")["range"]["ranges"]
    assert len(seconds) == len(BOUNDS_MS) + 1
    assert seconds[1]["from"] == pytest.approx(BOUNDS_MS[0] / 1000)
    assert nanos[1]["from"] == pytest.approx(BOUNDS_MS[0] * 1e6)
    buckets = {"buckets": [{"doc_count": 1 if i == 40 else 0} for i in range(len(seconds))]}
    assert read_ranges(buckets).counts[40] == 1


def test_server_percentiles_are_converted_to_ms() -> None:
    agg = {"values": {"50.0": 0.12, "95.0": 0.9, "99.0": 2.5}}
    assert read_percentiles(agg, "s") == {"p50": pytest.approx(120), "p95": pytest.approx(900), "p99": pytest.approx(2500)}
    ns = read_percentiles({"values": {"50.0": 3e6, "95.0": None, "99.0": 4e7}}, "ns")
    assert ns["p50"] == pytest.approx(3) and ns["p95"] is None


def test_onset_is_the_step_in_requests_slower_than_the_baseline_p99() -> None:
    rng = random.Random(5)
    times = [T0 + timedelta(minutes=i) for i in range(120)]
    dists = []
    for i in range(120):
        n = 8
        slow = i >= 80
        dists.append(binned([rng.uniform(20, 60) * (rng.uniform(8, 15) if slow and rng.random() < 0.7 else 1)
                             for _ in range(n)]))
    found = latency_onset(times, dists, baseline_buckets=60, bucket_s=60)
    assert found is not None and found.onset is not None
    assert abs((found.onset.at - times[80]).total_seconds()) <= 120
    assert found.threshold_ms >= 50
    before, after = summary(sum(dists[:80], Distribution()).add(Distribution())), summary(
        sum(dists[80:], Distribution()).add(Distribution()))
    assert after["p95"] > 3 * before["p95"]


def test_no_onset_when_latency_is_flat() -> None:
    rng = random.Random(9)
    times = [T0 + timedelta(minutes=i) for i in range(120)]
    dists = [binned([rng.lognormvariate(3.5, 0.5) for _ in range(8)]) for _ in range(120)]
    found = latency_onset(times, dists, baseline_buckets=40, bucket_s=60)
    assert found is not None and found.onset is None
