"""Noisy symptoms in the pure readers: a chronic baseline, an overlapping incident, a progressive rollout."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from incidentbot.evidence.interpret import Breakdown, affected_services, concentrations
from incidentbot.evidence.onset import onset_in_data

T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
TIMES = [T0 + timedelta(minutes=i) for i in range(180)]


def test_a_chronic_error_rate_is_not_an_onset_where_the_logs_begin() -> None:
    rng = random.Random(7)
    # no documents for the first 30 minutes, then 8 errors/min all along, then +12/min from minute 140
    failing = [0] * 30 + [rng.randint(6, 10) for _ in range(110)] + [rng.randint(17, 23) for _ in range(40)]
    totals = [0] * 30 + [f + 20 for f in failing[30:]]
    onset = onset_in_data(failing, totals, TIMES, 60)
    assert onset is not None and abs(onset.index - 140) <= 1
    assert onset_in_data([0] * 180, [0] * 180, TIMES, 60) is None


def test_a_service_that_broke_half_an_hour_earlier_is_not_in_this_blast_radius() -> None:
    earlier = [0] * 100 + [10] * 80          # its own incident at minute 100
    this = [0] * 130 + [9] * 50             # this incident at minute 130
    later = [0] * 160 + [8] * 20            # another one 30 minutes after
    with_dependency = [0] * 132 + [6] * 48  # fails two minutes after, as a dependent does
    onset = onset_in_data(this, [30] * 180, TIMES, 60)
    assert onset is not None
    risen, _ = affected_services({"earlier": earlier, "this": this, "later": later, "dependent": with_dependency},
                                 onset, 60)
    assert sorted(risen) == ["dependent", "this"]


def test_a_partial_rollout_concentrates_even_when_failures_are_most_of_its_lines() -> None:
    # 645 of 646 failing lines run 5.2.0; of all 928 lines 799 do (the failures themselves), of the
    # 282 that did not fail only 154
    window = Breakdown(646, {"version": {"5.2.0": 645, "5.1.3": 1}}, {"version": ["5.2.0", "5.1.3"]})
    traffic = Breakdown(928, {"version": {"5.2.0": 799, "5.1.3": 129}}, {"version": ["5.2.0", "5.1.3"]})
    found = concentrations(window, traffic, Breakdown(0), {"version": "version"})
    assert [(c.field, c.value) for c in found] == [("version", "5.2.0")]
    assert 0.5 < found[0].traffic_share < 0.6
    # a full rollout: the healthy lines run it as much as the failing ones, so it proves nothing
    full = Breakdown(928, {"version": {"5.2.0": 927, "5.1.3": 1}}, {"version": ["5.2.0", "5.1.3"]})
    assert concentrations(window, full, Breakdown(0), {"version": "version"}) == []
