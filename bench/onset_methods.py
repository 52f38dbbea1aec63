"""Onset detection: Poisson binary segmentation vs a robust median/MAD step test, on every fixture.

Prints, per "why" question with an expected onset, what each method finds on
the same failing-rate histogram the answers use, and the totals: found within
2 minutes, null when the rate did not change, false onsets.

    python bench/onset_methods.py
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

from _harness import answered, print_costs
from loggen import poisson

from incidentbot.evidence.onset import detect_onset, median_step_onset


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


SHAPES = {
    # name: (rate per minute as a function of minute i of 180, the true onset or None)
    "step 0.3 -> 8": (lambda i: 0.3 if i < 140 else 8.0, 140),
    "sparse 0.05 -> 2": (lambda i: 0.05 if i < 150 else 2.0, 150),
    "ramp over 6 min": (lambda i: 0.5 if i < 130 else min(10.0, 0.5 + (i - 130) * 1.6), 130),
    "rise then recovery": (lambda i: 0.5 if i < 100 or i >= 125 else 9.0, 100),
    "busy 20 -> 45": (lambda i: 20.0 if i < 120 else 45.0, 120),
    "flat 1.5": (lambda i: 1.5, None),
    "flat sparse 0.1": (lambda i: 0.1, None),
    "slow drift 1 -> 1.8": (lambda i: 1.0 + i * 0.8 / 180, None),
}


def synthetic(trials: int = 40) -> None:
    """Seeded series of known shapes: how often each method is right (within 2 buckets, or null)."""
    times = [datetime(2026, 1, 1, 12, tzinfo=timezone.utc) + timedelta(minutes=i) for i in range(180)]
    print(f"\nsynthetic series, {trials} seeded trials each")
    print(f"{'shape':<22} {'poisson':>8} {'median/MAD':>11}")
    for name, (rate, truth) in SHAPES.items():
        right = {"poisson": 0, "median_mad": 0}
        for seed in range(trials):
            rng = random.Random(seed)
            counts = [float(poisson(rng, rate(i))) for i in range(180)]
            for method, fn in (("poisson", detect_onset), ("median_mad", median_step_onset)):
                onset = fn(counts, times, 60)
                ok = onset is None if truth is None else onset is not None and abs(onset.index - truth) <= 2
                right[method] += ok
        print(f"{name:<22} {right['poisson']:>5}/{trials} {right['median_mad']:>8}/{trials}")


def main() -> None:
    logging.disable(logging.WARNING)
    synthetic()
    totals = {"poisson": 0, "median_mad": 0}
    n = 0
    rows = []
    for sc, q, ans in answered("onset"):
        h = ans.evidence.histogram
        want = q["expect"]["onset"]
        got = {"poisson": detect_onset([float(c) for c in h.failing], h.times, h.bucket_s),
               "median_mad": median_step_onset([float(c) for c in h.failing], h.times, h.bucket_s)}
        n += 1
        cells = []
        for name, onset in got.items():
            if want is None:
                ok = onset is None
            else:
                ok = onset is not None and abs((onset.at - _t(want)).total_seconds()) <= 120
            totals[name] += ok
            cells.append(f"{onset.at.strftime('%H:%M') if onset else 'null':>5} {'ok ' if ok else 'BAD'}")
        rows.append(f"{sc.name:<32} {(want or 'null')[11:16] or 'null':>5}   " + "   ".join(cells))
    print(f"\nfixtures\n{'scenario':<32} {'want':>5}   {'poisson':<9}   {'median/MAD':<9}")
    print("\n".join(rows))
    print(f"\nright: poisson {totals['poisson']}/{n}, median/MAD {totals['median_mad']}/{n}")
    print_costs()


if __name__ == "__main__":
    main()
