"""Each Slack event is answered once, however often Slack delivers it.

Slack retries an event it thinks was not acknowledged (up to three times,
with the same `event_id` and an `X-Slack-Retry-Num` header), and one user
message can arrive as two events (`app_mention` and `message.channels`).
Two answers in an incident thread are noise at the worst moment, so events
are remembered by id for a TTL, and a retry of an event already seen is
acknowledged with `X-Slack-No-Retry: 1` and dropped before any listener runs.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt.response import BoltResponse

from incidentbot.core.cache import BoundedCache

log = logging.getLogger(__name__)

DEFAULT_TTL_S = 3600.0
DEFAULT_MAX_KEYS = 20_000


class TTLSet:
    """Keys remembered for `ttl_s` seconds, at most `max_keys` of them (oldest dropped first)."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_keys: int = DEFAULT_MAX_KEYS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self._keys: BoundedCache[str, bool] = BoundedCache(max_keys, ttl_s, clock)

    def add(self, key: str) -> bool:
        """Remember `key`; True when it is new, False when it was seen within the TTL (check and add are atomic)."""
        return self._keys.add(key, True)

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)


def retry_num(headers: Mapping[str, Sequence[str] | str]) -> int | None:
    """The X-Slack-Retry-Num of a request (Bolt lower-cases header names), or None for a first delivery."""
    value = headers.get("x-slack-retry-num")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def duplicate_response() -> BoltResponse:
    """200 so Slack stops, and X-Slack-No-Retry so it does not try again."""
    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})


def dedupe_middleware(seen: TTLSet) -> Callable[..., Any]:
    """A Bolt global middleware that drops an event whose event_id was already seen.

    A retry (X-Slack-Retry-Num) of an event we have seen is the common case
    and is dropped explicitly; a retry of an event we have *not* seen (the
    first delivery never reached this process, e.g. during a restart) is
    answered, since otherwise the question would go unanswered.
    """

    def dedupe(body: dict[str, Any], req: Any, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id") if isinstance(body, dict) else None
        retry = retry_num(req.headers)
        if event_id:
            if not seen.add(f"event:{event_id}"):
                log.info("dropped a duplicate delivery of %s (retry %s)", event_id, retry)
                return duplicate_response()
            if retry is not None:
                log.info("retry %s of %s, unseen here: answering it", retry, event_id)
        elif retry is not None:
            log.info("dropped a retried request without an event_id (retry %s)", retry)
            return duplicate_response()
        next()
        return None

    return dedupe
