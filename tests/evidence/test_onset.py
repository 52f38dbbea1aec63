"""Onset detection on synthetic counts with a known answer."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from support.benchscripts import bench_module

from incidentbot.evidence.onset import detect_onset, median_step_onset

T0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
TIMES = [T0 + timedelta(minutes=i) for i in range(180)]

_poisson = bench_module("loggen").poisson  # the sampler bench/onset_methods.py draws its series with


def test_step_found_to_the_minute() -> None:
    for seed in range(5):
        rng = random.Random(seed)
        counts = [_poisson(rng, 0.4) for _ in range(140)] + [_poisson(rng, 7) for _ in range(40)]
        onset = detect_onset([float(c) for c in counts], TIMES, 60)
        assert onset is not None and abs(onset.index - 140) <= 1
        assert onset.rate_after > 4 * max(onset.rate_before, 0.5)


def test_flat_rate_gives_none() -> None:
    for seed in range(5):
        rng = random.Random(seed)
        counts = [_poisson(rng, 1.5) for _ in range(180)]
        assert detect_onset([float(c) for c in counts], TIMES, 60) is None


def test_rise_then_recovery_reports_the_rise() -> None:
    rng = random.Random(3)
    counts = [_poisson(rng, 0.5) for _ in range(100)] + [_poisson(rng, 9) for _ in range(25)] + \
             [_poisson(rng, 0.5) for _ in range(55)]
    onset = detect_onset([float(c) for c in counts], TIMES, 60)
    assert onset is not None and abs(onset.index - 100) <= 1


def test_all_zero_gives_none() -> None:
    assert detect_onset([0.0] * 180, TIMES, 60) is None
    assert median_step_onset([0.0] * 180, TIMES, 60) is None


def test_busy_baseline_step_is_found_and_slow_drift_is_not() -> None:
    hits = drifts = 0
    for seed in range(10):
        rng = random.Random(seed)
        busy = [_poisson(rng, 20 if i < 120 else 45) for i in range(180)]
        onset = detect_onset([float(c) for c in busy], TIMES, 60)
        hits += onset is not None and abs(onset.index - 120) <= 2
        drift = [_poisson(rng, 1.0 + i * 0.8 / 180) for i in range(180)]
        drifts += detect_onset([float(c) for c in drift], TIMES, 60) is not None
    assert hits == 10
    assert drifts <= 1
