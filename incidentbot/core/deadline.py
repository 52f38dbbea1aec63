"""One deadline per answer, and calls that give up when it passes.

Per-read socket timeouts do not bound a request: a server that trickles one
byte every few seconds never trips them. So every answer carries one
`Deadline` (INCIDENTBOT_ANSWER_DEADLINE_S, default 45 s) that all its requests
share: each request's timeout is computed from what is left, and each remote
call runs on a watchdog (`call_within`) that stops waiting when its time is
up, whatever the socket is doing.

The calls run on *daemon* threads rather than a ThreadPoolExecutor: Python
joins executor threads at exit, so one read blocked on a FIFO or a trickling
socket would keep the process alive after the answer was printed. An
abandoned daemon thread costs nothing and never blocks exit.

The current deadline travels in a context variable, so the gateway and the
change sources find it without every signature growing a parameter, and
concurrent Slack questions each see their own.
"""
from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
MIN_REQUEST_S = 0.05


class DeadlineExceeded(TimeoutError):
    """A call did not finish within its share of the answer's deadline."""

    def __init__(self, what: str, waited_s: float, budget_s: float | None = None) -> None:
        self.what = what
        self.waited_s = waited_s
        self.budget_s = budget_s
        limit = f"the {budget_s:g}s answer deadline" if budget_s is not None else f"{waited_s:.1f}s"
        super().__init__(f"{what} did not finish within {limit}")


@dataclass
class Deadline:
    """A budget in seconds from the moment it was made (monotonic clock)."""

    budget_s: float
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return max(self.budget_s - self.elapsed(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cap(self, timeout_s: float) -> float:
        """A request timeout no longer than what is left (and never zero, which means 'no timeout' to some clients)."""
        return max(min(timeout_s, self.remaining()), MIN_REQUEST_S)


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("incidentbot_deadline", default=None)


def current_deadline() -> Deadline | None:
    return _CURRENT.get()


@contextmanager
def answer_deadline(budget_s: float) -> Iterator[Deadline]:
    """Make a deadline current for the calls made inside the block (an outer one wins if it is sooner)."""
    outer = _CURRENT.get()
    deadline = Deadline(budget_s)
    if outer is not None and outer.remaining() < budget_s:
        deadline = outer
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


@contextmanager
def use_deadline(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make this (already running) deadline current: a door starts the clock at its first step, before
    the runtime's start-up checks, and everything after shares it. None leaves the current one as it is."""
    if deadline is None:
        yield current_deadline()
        return
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)


def share_of(deadline: Deadline, fraction: float) -> Deadline:
    """A deadline for one part of the answer: `fraction` of the whole budget, counted from the same start,
    so that part cannot eat the time the rest of the answer needs."""
    return Deadline(deadline.budget_s * fraction, started=deadline.started)


def start_daemon(fn: Callable[[], T], name: str) -> Future[T]:
    """Run fn on a daemon thread (with the caller's context, so it sees the same deadline); a Future for its result."""
    future: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(context.run(fn))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def call_within(fn: Callable[[], T], timeout_s: float, what: str) -> T:
    """fn's result, or DeadlineExceeded after timeout_s (fn keeps running on its abandoned daemon thread)."""
    deadline = current_deadline()
    future = start_daemon(fn, f"watchdog:{what}"[:60])
    try:
        return future.result(timeout=max(timeout_s, MIN_REQUEST_S))
    except FutureTimeout:
        budget = deadline.budget_s if deadline is not None and deadline.expired() else None
        raise DeadlineExceeded(what, timeout_s, budget) from None
