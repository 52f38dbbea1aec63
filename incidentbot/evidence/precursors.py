"""Warnings that began before the onset: the slow build-up a sharp failure often follows.

A pool filling up or retries climbing show as warnings minutes before the
errors. The sample of warnings in the 90 minutes before the onset is mined
into templates; those with a few lines there and none in the stretch before
are precursors.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.evidence import Onset
from incidentbot.evidence.interpret import field_of, mined_text
from incidentbot.evidence.patterns import mine_patterns
from incidentbot.core.fields import FieldMap

PRECURSOR_LOOKBACK = timedelta(minutes=90)
MIN_PRECURSOR = 3
MAX_PRECURSORS = 3


def precursor_ranges(onset: Onset | None, range_start: datetime) -> tuple[datetime, datetime, datetime] | None:
    """(start, onset, baseline start): warnings in the 90 minutes before the onset, against what came before."""
    if onset is None:
        return None
    start = max(onset.at - PRECURSOR_LOOKBACK, range_start + timedelta(minutes=30))
    if start >= onset.at - timedelta(minutes=5):
        return None
    return start, onset.at - timedelta(seconds=1), range_start


def precursor_patterns(recent: list[dict[str, Any]], before: list[dict[str, Any]],
                       fm: FieldMap) -> list[tuple[str, list[dict[str, Any]]]]:
    """Warning templates seen at least MIN_PRECURSOR times recently and never in the stretch before."""
    if not recent:
        return []
    mined, assignment = mine_patterns([mined_text(h, fm) for h in recent + before])
    out = []
    for i, pattern in enumerate(mined):
        members = [recent[j] for j, a in enumerate(assignment[:len(recent)]) if a == i]
        earlier = [j for j, a in enumerate(assignment[len(recent):]) if a == i]
        if len(members) >= MIN_PRECURSOR and not earlier:
            out.append((pattern.template, members))
    out.sort(key=lambda tm: str(field_of(tm[1][0], fm, "timestamp")))
    return out[:MAX_PRECURSORS]
