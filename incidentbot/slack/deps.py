"""What every listener shares: the runtime, the bounded workers, the memories, the feedback sink.

Kept apart from `app` (which builds the Bolt app) and `listeners` (which
register on it) so both can import it without importing each other.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk import WebClient

from incidentbot.core.feedback import FeedbackSink, MemoryFeedbackSink
from incidentbot.core.mask import mask_tree
from incidentbot.pipeline import Runtime
from incidentbot.slack.charts import ChartFiles
from incidentbot.slack.dedupe import TTLSet
from incidentbot.slack.pacing import EditPacing, RateLimitRetry
from incidentbot.slack.recent import Health, RecentInvestigations
from incidentbot.slack.threads import AnswerStore, ThreadMemory

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MAX_WORKERS = 8
PER_CHANNEL = 3
RATE_LIMIT_RETRIES = 3


class ChannelSlots(Protocol):
    """A per-channel count shared by replicas (slack.shared_state.RedisChannelSlots)."""

    def acquire(self, channel: str, limit: int) -> bool: ...

    def release(self, channel: str) -> None: ...


class Workers:
    """A bounded pool for investigations, with at most `per_channel` in flight per channel.

    Investigations take seconds and hit the log store; an unbounded pool
    would let one noisy channel starve every other incident, so a channel
    past its limit is told to wait instead of queueing silently.
    """

    def __init__(self, max_workers: int = MAX_WORKERS, per_channel: int = PER_CHANNEL,
                 slots: ChannelSlots | None = None) -> None:
        self.per_channel = per_channel
        self.slots = slots  # shared across replicas (Redis) when set; this process's count is kept too
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="incidentbot-slack")
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def try_submit(self, channel: str, job: Callable[[], None]) -> Future[None] | None:
        """Run `job` in the pool, or return None when `channel` already has `per_channel` jobs in flight."""
        with self._lock:
            if self._in_flight.get(channel, 0) >= self.per_channel:
                return None
            self._in_flight[channel] = self._in_flight.get(channel, 0) + 1
        if self.slots is not None and not self.slots.acquire(channel, self.per_channel):
            self._release(channel)
            return None

        def run() -> None:
            try:
                job()
            except Exception:  # the job reports its own errors; this is the last guard for the pool
                log.exception("a Slack job failed")
            finally:
                if self.slots is not None:
                    self.slots.release(channel)
                self._release(channel)

        return self._pool.submit(run)

    def _release(self, channel: str) -> None:
        with self._lock:
            left = self._in_flight.get(channel, 1) - 1
            if left:
                self._in_flight[channel] = left
            else:
                self._in_flight.pop(channel, None)

    def in_flight(self) -> int:
        with self._lock:
            return sum(self._in_flight.values())

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


@dataclass
class Deps:
    """Everything a listener needs besides what Bolt passes it."""

    rt: Runtime
    workers: Workers = field(default_factory=Workers)
    seen: TTLSet = field(default_factory=TTLSet)
    threads: ThreadMemory = field(default_factory=ThreadMemory)
    answers: AnswerStore = field(default_factory=AnswerStore)
    charts: ChartFiles = field(default_factory=ChartFiles)
    feedback: FeedbackSink = field(default_factory=MemoryFeedbackSink)
    recent: RecentInvestigations = field(default_factory=RecentInvestigations)
    health: Health = field(default_factory=Health)
    streaming: bool = True  # try chat.startStream first; False: always the edited progress message
    pacing: EditPacing = field(default_factory=EditPacing)  # progress edits: one per message per interval
    # The audit trail (incidentbot.memory.Memory): records each answer; None keeps nothing.
    memory: Any = None


class MaskingWebClient(WebClient):
    """The Slack boundary: every string in every request body is masked (core.mask) on its way out.

    Renderers mask too, but this is the one place every post, update, stream,
    upload and ephemeral reply passes, so nothing rendered anywhere can bypass it.
    """

    def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict | None = None,  # type: ignore[override]
                 data: dict | None = None, params: dict | None = None, json: dict | None = None,
                 headers: dict | None = None, auth: dict | None = None) -> Any:
        return super().api_call(api_method, http_verb=http_verb, files=files, data=mask_tree(data),
                                params=mask_tree(params), json=mask_tree(json), headers=headers, auth=auth)


def masked_respond(respond: Callable[..., Any]) -> Callable[..., Any]:
    """Bolt's `respond` posts to a response_url with its own client: mask its arguments the same way."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return respond(*mask_tree(list(args)), **mask_tree(kwargs))

    return call


def build_client(token: str, api_url: str | None = None) -> WebClient:
    """A WebClient on SLACK_API_URL that masks every request and waits out 429s (Retry-After).

    Calls made under `pacing.best_effort()` (progress edits) are not retried: their pacer waits instead.
    """
    base = (api_url or DEFAULT_API_URL).rstrip("/") + "/"
    client = MaskingWebClient(token=token, base_url=base, timeout=30)
    client.retry_handlers.append(RateLimitRetry(max_retry_count=RATE_LIMIT_RETRIES))
    return client
