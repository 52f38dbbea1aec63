"""The store's pace: learnt from answers, with the work still queued counted, even work given up on."""
from __future__ import annotations

import time

from incidentbot.gateway.pace import StorePace


def test_the_pace_is_the_wait_shared_by_the_passes_ahead_and_its_own():
    pace = StorePace()
    assert pace.estimate(3) == 0.0  # unknown until a first answer
    ahead = pace.sent(2)
    assert ahead == 0 and pace.ahead() == 2
    pace.answered(2, ahead, 4.0)
    assert pace.seconds_per_pass == 2.0 and pace.ahead() == 0
    first = pace.sent(1)
    second = pace.sent(2)
    assert (first, second) == (0, 1)
    assert pace.estimate(1) == (3 + 1) * 2.0  # behind both requests in flight


def test_the_newest_answer_weighs_half():
    pace = StorePace()
    pace.answered(1, pace.sent(1), 2.0)
    pace.answered(1, pace.sent(1), 6.0)
    assert pace.seconds_per_pass == 4.0


def test_work_given_up_on_still_counts_until_the_store_should_have_finished_it():
    pace = StorePace(seconds_per_pass=0.2)
    ahead = pace.sent(3)
    pace.gave_up(3, ahead, waited_s=0.1)
    assert pace.pending == 0 and pace.ahead() == 3  # the store still works on it
    time.sleep(0.6)
    assert pace.ahead() == 0
