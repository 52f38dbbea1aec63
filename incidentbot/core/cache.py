"""The one cache helper: a thread-safe, bounded map whose entries may expire, on `cachetools`.

The bot keeps a few things in memory between questions (discovered fields,
thread context, recent answers, Slack event ids, chart file ids). Each must
be bounded, so a long-running `serve` cannot grow without limit, and some
must expire. cachetools does the eviction; this adds the lock (Slack
handlers run on worker threads) and the two operations the callers need
("keep the first value", "add if new").
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from cachetools import LRUCache, TTLCache

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `max_items` entries, the least recently used dropped first; each expires `ttl_s` after it is put."""

    def __init__(self, max_items: int, ttl_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self.ttl_s = ttl_s
        self._data: LRUCache[K, V] = (TTLCache(max_items, ttl_s, timer=clock) if ttl_s is not None
                                      else LRUCache(max_items))
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value: V | None = self._data.get(key)
            return value

    def put(self, key: K, value: V, keep_existing: bool = False) -> V:
        """Store `value` (or keep a live existing one when asked); returns what is stored."""
        with self._lock:
            if keep_existing:
                existing: V | None = self._data.get(key)
                if existing is not None:
                    return existing
            self._data[key] = value
            return value

    def add(self, key: K, value: V) -> bool:
        """Store `value` only if `key` is not live; True when it was new (check and store are atomic)."""
        with self._lock:
            if key in self._data:
                return False
            self._data[key] = value
            return True

    def pop(self, key: K) -> V | None:
        with self._lock:
            popped: V | None = self._data.pop(key, None)
            return popped

    def clear(self) -> None:
        """Forget everything (settings that change what was cached, such as a field override)."""
        with self._lock:
            self._data.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            if isinstance(self._data, TTLCache):
                self._data.expire()
            return len(self._data)
