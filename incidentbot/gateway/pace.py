"""How fast the log store works through searches, and how much of this process's work it still holds.

A store that scans (noida-db, an under-sized or overloaded cluster) runs its
searches one after another, and a search the client gave up on still runs to
its end: its `timeout` is not honoured everywhere, and nothing cancels it. So
when several questions are in flight, each new search waits behind the others,
and a search sent too late to finish in time only delays the next question.

The pace is learnt from the answers (seconds per pass, a moving average of
elapsed time over the passes that were ahead of it and its own), and the work
this process has asked for and not got back is counted in passes. An answer
asks `estimate()` before each round and sends only what should come back
within its deadline; what it gave up waiting for is still counted until the
store should have finished it.

Hand-written: a dozen lines of arithmetic under a lock, specific to reading a
FIFO store; no rate-limit library models the work already queued.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

SMOOTHING = 0.5  # weight of the newest measurement: the store's load changes within an incident


@dataclass
class StorePace:
    """The store's measured seconds per pass, and this process's passes it has not answered yet."""

    seconds_per_pass: float = 0.0
    pending: float = 0.0
    abandoned: list[tuple[float, float]] = field(default_factory=list)  # (when the store should be done, passes)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ahead(self) -> float:
        """Passes of this process the store still holds: sent and not back, or given up on and not yet done."""
        with self._lock:
            return self._ahead(time.monotonic())

    def _ahead(self, now: float) -> float:
        self.abandoned = [(until, n) for until, n in self.abandoned if until > now]
        return self.pending + sum(n for _, n in self.abandoned)

    def estimate(self, passes: float) -> float:
        """Seconds until a request of `passes` sent now should be answered (0 while the pace is unknown)."""
        return (self.ahead() + passes) * self.seconds_per_pass

    def sent(self, passes: float) -> float:
        """A request of `passes` goes out; returns the passes ahead of it."""
        with self._lock:
            ahead = self._ahead(time.monotonic())
            self.pending += passes
            return ahead

    def answered(self, passes: float, ahead: float, elapsed_s: float) -> None:
        """The request came back after `elapsed_s`: it waited for `ahead` passes, then ran its own."""
        with self._lock:
            self.pending = max(self.pending - passes, 0)
            sample = elapsed_s / max(ahead + passes, 1.0)
            pace = self.seconds_per_pass
            self.seconds_per_pass = sample if not pace else SMOOTHING * sample + (1 - SMOOTHING) * pace

    def gave_up(self, passes: float, ahead: float, waited_s: float) -> None:
        """No answer in time: the store still works on it, for about the passes left at the known pace."""
        with self._lock:
            self.pending = max(self.pending - passes, 0)
            left = max((ahead + passes) * self.seconds_per_pass - waited_s, self.seconds_per_pass * passes)
            self.abandoned.append((time.monotonic() + left, passes))
