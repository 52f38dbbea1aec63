"""When did it start? Change-point detection on the failing-lines rate.

Method: Poisson binary segmentation. Counts per bucket are events, so the
split that best explains them as two constant rates maximises the Poisson
log-likelihood ratio; splitting again inside each part finds up to a few
change points (a rise, then a recovery after a rollback, ...). The onset is
the first boundary where the rate steps up by a margin a responder would call
a change: the ratio and the absolute difference both large, and the
likelihood ratio far beyond what noise produces. The exact minute is then
refined to the first elevated bucket at the boundary, since a ramp puts the
best split a bucket late.

A robust median/MAD step test was tried as well (`median_step_onset`, kept
for `bench/onset_methods.py`). Both find every fixture's onset; on seeded
synthetic series the median/MAD test misses steps from a sparse baseline
(0.05 -> 2 per minute: the median of a mostly-zero series is zero and MAD
collapses, so it waits for three buckets in a row) and places ramps later,
while the Poisson likelihood handles sparse counts by construction. So the
Poisson method is kept.
"""
from __future__ import annotations

import math
from datetime import datetime
from statistics import median

from incidentbot.core.evidence import Onset

MIN_SEGMENT = 3
MAX_CHANGES = 4
MIN_LLR = 18.0
MIN_RATIO = 1.5
MIN_DIFF_PER_MIN = 0.8


def _llr(total_a: float, len_a: int, total_b: float, len_b: int) -> float:
    """Poisson log-likelihood ratio of two rates against one."""
    def ll(total: float, length: int) -> float:
        return total * math.log(total / length) - total if total > 0 else 0.0

    return 2 * (ll(total_a, len_a) + ll(total_b, len_b) - ll(total_a + total_b, len_a + len_b))


def _best_split(counts: list[float], lo: int, hi: int) -> tuple[int, float] | None:
    if hi - lo < 2 * MIN_SEGMENT:
        return None
    prefix = [0.0]
    for c in counts[lo:hi]:
        prefix.append(prefix[-1] + c)
    total = prefix[-1]
    best: tuple[int, float] | None = None
    for k in range(MIN_SEGMENT, hi - lo - MIN_SEGMENT + 1):
        a = prefix[k]
        score = _llr(a, k, total - a, hi - lo - k)
        if best is None or score > best[1]:
            best = (lo + k, score)
    return best


def change_points(counts: list[float]) -> list[int]:
    """Boundaries found by binary segmentation, in order."""
    found: list[int] = []
    pending = [(0, len(counts))]
    while pending and len(found) < MAX_CHANGES:
        lo, hi = pending.pop(0)
        split = _best_split(counts, lo, hi)
        if split is None or split[1] < MIN_LLR:
            continue
        found.append(split[0])
        pending.extend([(lo, split[0]), (split[0], hi)])
    return sorted(found)


def detect_onset(counts: list[float], times: list[datetime], bucket_s: int) -> Onset | None:
    """The first significant step up in `counts`; None when the rate did not change."""
    if len(counts) < 2 * MIN_SEGMENT or sum(counts) == 0:
        return None
    per_min = 60.0 / bucket_s
    bounds = [0, *change_points(counts), len(counts)]
    for i in range(1, len(bounds) - 1):
        before = counts[bounds[i - 1]:bounds[i]]
        after = counts[bounds[i]:bounds[i + 1]]
        rate_b = sum(before) / len(before) * per_min
        rate_a = sum(after) / len(after) * per_min
        llr = _llr(sum(before), len(before), sum(after), len(after))
        if llr < MIN_LLR or rate_a - rate_b < MIN_DIFF_PER_MIN or (rate_b > 0 and rate_a / rate_b < MIN_RATIO):
            continue
        if not _sharp(counts, bounds[i]):
            continue
        index = _refine(counts, bounds[i], sum(before) / len(before), sum(after) / len(after))
        return Onset(times[index], index, rate_b, rate_a, llr)
    return None


LOCAL = 15


def _sharp(counts: list[float], split: int) -> bool:
    """A step, not a drift: the buckets just after the split must differ clearly from those just before."""
    before = counts[max(split - LOCAL, 0):split]
    after = counts[split:split + LOCAL]
    if not before or not after:
        return True
    mb, ma = sum(before) / len(before), sum(after) / len(after)
    return _llr(sum(before), len(before), sum(after), len(after)) >= MIN_LLR / 2 and (mb == 0 or ma / mb >= MIN_RATIO)


def _refine(counts: list[float], split: int, mean_before: float, mean_after: float) -> int:
    """The first bucket near the split whose count is nearer the raised rate than the old one."""
    threshold = mean_before + max(1.0, 3 * math.sqrt(mean_before), (mean_after - mean_before) / 4)
    index = split
    for j in range(split - 1, max(split - 2 * MIN_SEGMENT, 0) - 1, -1):
        if counts[j] >= threshold:
            index = j
        else:
            break
    while index < len(counts) - 1 and counts[index] < threshold and index < split + 2:
        index += 1
    return index


def median_step_onset(counts: list[float], times: list[datetime], bucket_s: int, k: float = 4.0) -> Onset | None:
    """The alternative method: the first bucket that stays above median + k*MAD of what came before."""
    for i in range(MIN_SEGMENT * 2, len(counts) - MIN_SEGMENT):
        base = counts[:i]
        med = median(base)
        mad = median(abs(c - med) for c in base) or 1.0
        window = counts[i:i + MIN_SEGMENT]
        if all(c > med + k * mad for c in window):
            per_min = 60.0 / bucket_s
            after = counts[i:]
            return Onset(times[i], i, sum(base) / len(base) * per_min, sum(after) / len(after) * per_min, 0.0)
    return None


def onset_in_data(failing: list[int], totals: list[int], times: list[datetime], bucket_s: int) -> Onset | None:
    """The onset, searched from the first bucket that holds any line at all.

    Buckets before the index's first document are no data, not zero errors: a service
    with a chronic error rate would otherwise seem to start failing where its logs begin.
    """
    lead = next((i for i, total in enumerate(totals) if total > 0), len(totals))
    if not times or lead >= len(times):
        return None
    onset = detect_onset([float(c) for c in failing[lead:]], times[lead:], bucket_s)
    if onset is not None:
        onset.index += lead
    return onset
