"""The Slack layer's state in Redis, so several replicas answer as one bot.

With INCIDENTBOT_REDIS_URL set, retry dedupe, thread context, the answers
behind buttons and the per-channel limits live in Redis with an expiry:
Slack may deliver a retry, a follow-up or a button click to any replica.
Without it, the in-memory versions (dedupe.TTLSet, threads.ThreadMemory,
threads.AnswerStore) are used, as for a single process.

Values are pickled (an Answer is a tree of dataclasses and pydantic models)
and signed with HMAC-SHA256 under a key derived from the Slack signing
secret, so a value that was not written by a replica is refused, never
unpickled. A Redis that stops answering costs memory, not answers: each
operation fails open (a retry may then be answered twice, a follow-up loses
its context, a limit falls back to this replica's own count).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import uuid
from typing import Any

import redis

from incidentbot.core.answer import Answer
from incidentbot.core.intent import Intent
from incidentbot.slack.dedupe import DEFAULT_TTL_S
from incidentbot.slack.threads import THREAD_TTL_S, StoredAnswer

log = logging.getLogger(__name__)

PREFIX = "incidentbot:"
ANSWER_TTL_S = 24 * 3600
SLOT_TTL_S = 15 * 60  # a replica that dies mid-investigation frees its channel slot after this


class SignedCodec:
    """pickle + HMAC: only values written by a replica holding the same key are read back."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"incidentbot-redis:" + secret.encode()).digest()

    def dumps(self, value: Any) -> bytes:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, data, hashlib.sha256).digest() + data

    def loads(self, raw: Any) -> Any:
        if not isinstance(raw, bytes) or len(raw) < 32:
            return None
        mac, data = raw[:32], raw[32:]
        if not hmac.compare_digest(mac, hmac.new(self._key, data, hashlib.sha256).digest()):
            log.warning("refused a Redis value with a bad signature")
            return None
        return pickle.loads(data)


class RedisTTLSet:
    """dedupe.TTLSet in Redis: SET NX EX makes check-and-add atomic across replicas."""

    def __init__(self, client: redis.Redis, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.client = client
        self.ttl_s = int(ttl_s)

    def add(self, key: str) -> bool:
        try:
            return bool(self.client.set(f"{PREFIX}seen:{key}", b"1", nx=True, ex=self.ttl_s))
        except redis.RedisError as exc:
            log.warning("Redis dedupe unavailable (%s): answering", exc)
            return True

    def __contains__(self, key: str) -> bool:
        try:
            return bool(self.client.exists(f"{PREFIX}seen:{key}"))
        except redis.RedisError:
            return False

    def __len__(self) -> int:
        return 0  # not counted across replicas


class RedisThreadMemory:
    """threads.ThreadMemory in Redis: the first intent of each thread, kept for a day."""

    def __init__(self, client: redis.Redis, codec: SignedCodec, ttl_s: float = THREAD_TTL_S) -> None:
        self.client, self.codec, self.ttl_s = client, codec, int(ttl_s)

    def _key(self, channel: str, thread_ts: str) -> str:
        return f"{PREFIX}thread:{channel}:{thread_ts}"

    def remember(self, channel: str, thread_ts: str, intent: Intent) -> Intent:
        key = self._key(channel, thread_ts)
        try:
            if self.client.set(key, self.codec.dumps(intent), nx=True, ex=self.ttl_s):
                return intent
            return self.codec.loads(self.client.get(key)) or intent
        except redis.RedisError as exc:
            log.warning("Redis thread memory unavailable (%s)", exc)
            return intent

    def context(self, channel: str, thread_ts: str | None) -> Intent | None:
        if not thread_ts:
            return None
        try:
            value = self.codec.loads(self.client.get(self._key(channel, thread_ts)))
        except redis.RedisError as exc:
            log.warning("Redis thread memory unavailable (%s)", exc)
            return None
        return value if isinstance(value, Intent) else None

    def answered(self, channel: str, thread_ts: str | None) -> bool:
        if not thread_ts:
            return False
        try:
            return bool(self.client.exists(self._key(channel, thread_ts)))
        except redis.RedisError:
            return False


class RedisAnswerStore:
    """threads.AnswerStore in Redis: the answers behind buttons, for a day."""

    def __init__(self, client: redis.Redis, codec: SignedCodec, ttl_s: int = ANSWER_TTL_S) -> None:
        self.client, self.codec, self.ttl_s = client, codec, ttl_s

    def put(self, answer: Answer, channel: str, thread_ts: str) -> str:
        key = uuid.uuid4().hex[:16]
        try:
            self.client.set(f"{PREFIX}answer:{key}", self.codec.dumps(StoredAnswer(answer, channel, thread_ts)),
                            ex=self.ttl_s)
        except redis.RedisError as exc:
            log.warning("Redis answer store unavailable (%s): buttons of this answer will say it expired", exc)
        return key

    def get(self, key: str | None) -> StoredAnswer | None:
        if not key:
            return None
        try:
            value = self.codec.loads(self.client.get(f"{PREFIX}answer:{key}"))
        except redis.RedisError as exc:
            log.warning("Redis answer store unavailable (%s)", exc)
            return None
        return value if isinstance(value, StoredAnswer) else None


class RedisChannelSlots:
    """The per-channel limit counted across replicas (an INCR that is undone past the limit)."""

    def __init__(self, client: redis.Redis, ttl_s: int = SLOT_TTL_S) -> None:
        self.client, self.ttl_s = client, ttl_s

    def acquire(self, channel: str, limit: int) -> bool:
        key = f"{PREFIX}slots:{channel}"
        try:
            with self.client.pipeline() as p:
                p.incr(key)
                p.expire(key, self.ttl_s)
                n = int(p.execute()[0])
            if n > limit:
                self.client.decr(key)
                return False
            return True
        except redis.RedisError as exc:
            log.warning("Redis channel limit unavailable (%s): using this replica's own count", exc)
            return True

    def release(self, channel: str) -> None:
        try:
            self.client.decr(f"{PREFIX}slots:{channel}")
        except redis.RedisError as exc:
            log.warning("Redis channel limit unavailable (%s)", exc)


def connect(url: str) -> redis.Redis:
    """A client with short timeouts: a slow Redis must not hold Slack's 3-second acknowledgement."""
    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0,
                                health_check_interval=30, retry_on_timeout=True)


def shared_state(url: str, secret: str) -> dict[str, Any]:
    """The Deps fields (seen, threads, answers) and the Workers' slots backed by one Redis."""
    client = connect(url)
    codec = SignedCodec(secret)
    return {"seen": RedisTTLSet(client), "threads": RedisThreadMemory(client, codec),
            "answers": RedisAnswerStore(client, codec), "slots": RedisChannelSlots(client)}
