"""The aggregations that describe request durations, in the field's own unit.

Where the server has no `percentiles` aggregation (noida-db answers 400), a
`range` aggregation over log-spaced bounds counts requests per bucket and
evidence/latency.py interpolates percentiles from it; the bounds live here so
the query and its reader agree on them.
"""
from __future__ import annotations

from itertools import pairwise
from typing import Any

STEP = 2 ** 0.25
BOUNDS_MS: tuple[float, ...] = tuple(round(0.5 * STEP ** i, 4) for i in range(76))  # 0.5 ms .. ~250 s
PERCENTS = (50.0, 95.0, 99.0)
UNIT_MS: dict[str, float] = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1000.0}


def range_agg(field_name: str, unit: str) -> dict[str, Any]:
    """The `range` aggregation over the log-spaced bounds, converted to the field's unit."""
    scale = UNIT_MS[unit]
    edges = [b / scale for b in BOUNDS_MS]
    ranges: list[dict[str, float]] = [{"to": edges[0]}]
    ranges += [{"from": a, "to": b} for a, b in pairwise(edges)]
    ranges.append({"from": edges[-1]})
    return {"range": {"field": field_name, "ranges": ranges}}


def percentiles_agg(field_name: str) -> dict[str, Any]:
    return {"percentiles": {"field": field_name, "percents": list(PERCENTS)}}
