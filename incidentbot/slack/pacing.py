"""Progress edits paced for Slack's rate limits: one edit per message per interval, the latest state winning.

Where Slack refuses streaming, every finished pipeline step edits the
progress message (chat.update, Tier 3: about 50 a minute per workspace). A
fast pipeline, or several investigations at once, would spend that budget
on states nobody has time to read, and a 429 would then also delay the
answer. So a message is edited at most once per `interval`: a state that
arrives sooner waits, and is replaced by any newer one (only the latest is
sent, by a timer when no newer state comes). A progress edit is
best-effort: on a 429 it is not retried on the spot (which would block the
pipeline for Retry-After seconds); every progress edit of the app then
waits out Retry-After (the limit is the workspace's, not the message's)
and the latest state is tried again. The final answer is not paced: it
closes the message's edits first (none can land after it) and is sent with
the client's usual 429 retries.

Many investigations at once each keep their interval yet together could
still exceed the workspace's budget, so the app's progress edits also share
a budget per minute (pyrate-limiter's sliding window, asked without
blocking): past it a message keeps its latest state and tries again an
interval later, and answers, which are not counted, keep the headroom.

The pacer itself is hand-written: rate-limit libraries (pyrate-limiter,
limits) answer "may I call now?" or block the caller; what this needs is
coalescing to the latest state, a trailing send and an order guarantee
against the final edit, which none of them offers.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pyrate_limiter import Duration, Limiter, Rate
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 1.0
DEFAULT_RETRY_AFTER_S = 1.0  # a 429 without Retry-After (Slack always sends one)
MIN_HOLD_S = 1.0  # Retry-After is whole seconds; "0" must not turn into a tight retry loop
DEFAULT_PER_MINUTE = 40  # of chat.update's ~50 a minute (Tier 3), the rest kept for answers

_BEST_EFFORT: ContextVar[bool] = ContextVar("incidentbot_slack_best_effort", default=False)
State = TypeVar("State")


@contextmanager
def best_effort() -> Iterator[None]:
    """Calls made inside are not retried on a 429: the caller skips or delays them itself."""
    token = _BEST_EFFORT.set(True)
    try:
        yield
    finally:
        _BEST_EFFORT.reset(token)


class RateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (sleep Retry-After, retry), except for best-effort calls, which fail at once."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return not _BEST_EFFORT.get() and super()._can_retry(state=state, request=request, response=response,
                                                             error=error)


def retry_after(exc: SlackApiError) -> float | None:
    """Seconds Slack asked us to wait (a 429's Retry-After), or None when the error was not a rate limit."""
    response = exc.response
    if getattr(response, "status_code", None) != 429:
        return None
    headers = {str(k).lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER_S
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


class Backoff:
    """Until when Slack told the app to hold its progress edits (shared: chat.update's limit is per workspace)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + seconds)

    def left(self) -> float:
        with self._lock:
            return max(0.0, self._until - self.clock())


@dataclass
class EditPacing:
    """How progress edits are paced, one per app: the interval per message, the app's budget, the 429 backoff.

    `per_minute` None: no shared budget (the interval and the backoff still apply).
    """

    interval: float = DEFAULT_INTERVAL_S
    per_minute: int | None = DEFAULT_PER_MINUTE
    backoff: Backoff = field(default_factory=Backoff)
    _budget: Limiter | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def spend(self) -> bool:
        """One progress edit from the app's budget; False (at once, never blocking) when it is spent.

        The limiter (and the cleaning thread pyrate-limiter gives each) is made at the first progress
        edit: an app that always streams never needs one.
        """
        if not self.per_minute:
            return True
        with self._lock:
            if self._budget is None:
                self._budget = Limiter(Rate(self.per_minute, Duration.MINUTE))
        return bool(self._budget.try_acquire("progress", blocking=False))


class PacedEdits(Generic[State]):
    """One message's progress edits: at most one per interval, the latest state wins, nothing after `close`."""

    def __init__(self, send: Callable[[State], Any], pacing: EditPacing) -> None:
        self.send = send
        self.pacing = pacing
        self.sent = 0  # edits Slack took
        self._pending: State | None = None
        self._last: float | None = None  # when the last edit was tried
        self._closed = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def offer(self, state: State) -> None:
        """Show `state` now if the interval allows, else as soon as it does (unless a newer state replaces it)."""
        with self._lock:
            if self._closed:
                return
            self._pending = state
            if self._timer is None:
                self._send_or_wait()

    def close(self) -> None:
        """No more progress edits: drops what waits, and returns only after an edit in flight has landed."""
        with self._lock:
            self._closed = True
            self._pending = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _wait(self) -> float:
        since = self.pacing.interval - (time.monotonic() - self._last) if self._last is not None else 0.0
        return max(since, self.pacing.backoff.left())

    def _send_or_wait(self) -> None:
        """With the lock held: send the pending state, or start the one timer that will."""
        wait = self._wait()
        if wait > 0:
            self._start_timer(wait)
            return
        if self._pending is None:
            return
        if not self.pacing.spend():  # the app's budget is spent: keep the latest state, look again later
            self._start_timer(max(self.pacing.interval, MIN_HOLD_S))
            return
        state, self._pending = self._pending, None
        self._last = time.monotonic()
        try:
            with best_effort():
                self.send(state)
            self.sent += 1
        except (SlackRequestError, OSError) as exc:  # Slack unreachable: this state is lost, the answer is not
            log.warning("progress update failed: %s", exc)
        except SlackApiError as exc:
            pause = retry_after(exc)
            if pause is None:
                log.warning("progress update failed: %s", exc.response.get("error"))
                return
            pause = max(pause, MIN_HOLD_S)
            log.info("progress update rate limited: holding progress edits for %.1f s", pause)
            self.pacing.backoff.hold(pause)
            if self._pending is None:
                self._pending = state  # tried again after Retry-After unless a newer state comes
            self._start_timer(max(self._wait(), pause))

    def _start_timer(self, wait: float) -> None:
        self._timer = threading.Timer(wait, self._flush)
        self._timer.daemon = True
        self._timer.start()

    def _flush(self) -> None:
        """The timer: the latest state, unless the message was closed meanwhile."""
        with self._lock:
            self._timer = None
            if not self._closed and self._pending is not None:
                self._send_or_wait()
