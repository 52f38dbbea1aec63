"""The read-only gateway: the only code in the bot that talks to Elasticsearch or OpenSearch.

It exposes read verbs and nothing else (search, count, msearch, field_caps,
mappings, get), checks every index name against the configured patterns, and
refuses to start when the credentials could write to what it reads. The
client stays private inside a backend, so no other module can reach a write
verb. The backend (elasticsearch-py or opensearch-py) is chosen by
configuration or detected from the root endpoint, on first use.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from incidentbot.config import Settings
from incidentbot.core.errors import StoreTimeout, StoreUnreachable, UnsafeCredentials, UsageError
from incidentbot.gateway.backends import Backend, BackendApiError, BackendConnectionError, BackendTimeout, make_backend

log = logging.getLogger(__name__)

WRITE_PRIVILEGES = ("write", "index", "create", "create_doc", "delete", "delete_index", "create_index", "manage", "all")


@dataclass
class RequestRecord:
    """One request the gateway made, kept so every number can be traced back to it."""

    verb: str
    index: str
    body: Any
    took_ms: float
    server_ms: float | None = None
    bytes_out: int = 0
    bytes_in: int = 0


MAX_RECORDS = 500


@dataclass
class RequestLog:
    """The most recent requests (at most `limit`), and how many there were in all.

    `serve` keeps one gateway for days: an unbounded list would grow with every
    answer, so the oldest records are dropped; one answer makes a handful.
    """

    records: list[RequestRecord] = field(default_factory=list)
    limit: int = MAX_RECORDS
    total: int = 0

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)
        self.total += 1
        if len(self.records) > self.limit:
            del self.records[: len(self.records) - self.limit]


def _transient(exc: BaseException) -> bool:
    """Connection trouble and overload are worth another try; a bad request or a slow query is not."""
    if isinstance(exc, BackendTimeout):
        return False
    if isinstance(exc, BackendConnectionError):
        return True
    return isinstance(exc, BackendApiError) and exc.status_code in (429, 502, 503, 504)


_retry = retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(3),
               wait=wait_exponential(multiplier=0.2, max=2), reraise=True)


def _size(obj: Any) -> int:
    try:
        return len(json.dumps(obj, default=str))
    except (TypeError, ValueError):
        return 0


class ReadOnlyGateway:
    """Read verbs over one cluster, limited to the configured index patterns."""

    def __init__(self, settings: Settings, *, patterns: Sequence[str] | None = None,
                 measure_bytes: bool = False) -> None:
        self._settings = settings
        self._patterns = tuple(patterns or (settings.logs_index, settings.changes_index))
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        self._checked: str | None = None
        self.measure_bytes = measure_bytes  # public: a server turns it on for its /metrics
        self.requests = RequestLog()
        # called with each request made (a server's /metrics counts them); never with the response
        self.observers: list[Callable[[RequestRecord], None]] = []

    @property
    def flavour(self) -> str:
        return self._client().flavour

    def _client(self) -> Backend:
        with self._lock:
            if self._backend is None:
                try:
                    self._backend = _retry(lambda: make_backend(self._settings))()
                except BackendConnectionError as exc:
                    raise StoreUnreachable(self._unreachable(str(exc))) from None
                except BackendApiError as exc:
                    raise StoreUnreachable(f"the log store at {self._settings.es_url} answered {exc.status_code} "
                                           "at its root endpoint; check the URL and credentials") from None
            return self._backend

    def _unreachable(self, detail: str) -> str:
        return (f"cannot reach the log store at {self._settings.es_url}: {detail}; "
                "check --es-url / INCIDENTBOT_ES_URL and that the cluster is up")

    # -- guards -----------------------------------------------------------------------------
    def _allowed(self, index: str) -> str:
        """Every name in a comma list must be a configured pattern or match one."""
        for name in index.split(","):
            name = name.strip()
            if not name or not any(name == p or fnmatch.fnmatchcase(name, p) for p in self._patterns):
                raise UsageError(f"index {name!r} is outside the configured patterns {', '.join(self._patterns)}")
        return index

    def _call(self, verb: str, index: str, body: Any, fn: Any) -> dict[str, Any]:
        client = self._client()
        started = time.perf_counter()
        try:
            result: dict[str, Any] = _retry(lambda: fn(client))()
        except BackendTimeout:
            raise StoreTimeout(f"the log store at {self._settings.es_url} did not answer a {verb} within "
                               f"{self._settings.request_timeout_s:.0f}s; narrow the window or the services") from None
        except BackendConnectionError as exc:
            raise StoreUnreachable(self._unreachable(str(exc))) from None
        except BackendApiError as exc:
            if exc.status_code in (401, 403):
                raise StoreUnreachable(f"the log store at {self._settings.es_url} refused our credentials "
                                       f"({exc.status_code}: {exc})") from None
            if exc.status_code == 404 and verb in ("search", "count", "msearch", "field_caps", "mapping"):
                raise UsageError(f"no index matches {index!r} at {self._settings.es_url}; "
                                 "check --logs-index / --changes-index") from None
            raise
        server_ms = result.get("took") if isinstance(result, dict) else None
        if isinstance(result, dict) and "responses" in result:  # msearch: the searches' own times
            server_ms = sum(r.get("took", 0) for r in result["responses"] if isinstance(r, dict))
        record = RequestRecord(verb, index, body, (time.perf_counter() - started) * 1000, server_ms)
        if self.measure_bytes:
            record.bytes_out, record.bytes_in = _size(body), _size(result)
        self.requests.add(record)
        for observe in self.observers:
            observe(record)
        return result

    # -- start-up check ---------------------------------------------------------------------
    def check_privileges(self) -> str:
        """Refuse credentials that could change the indices we read; say so once where no security API exists."""
        if self._checked:
            return self._checked
        client = self._client()
        try:
            body = _retry(lambda: client.has_privileges(list(self._patterns), list(WRITE_PRIVILEGES)))()
        except BackendConnectionError as exc:
            raise StoreUnreachable(self._unreachable(str(exc))) from None
        except BackendApiError as exc:
            log.warning("the cluster at %s has no security API (%s): privileges not checked",
                        self._settings.es_url, exc.status_code)
            self._checked = "no-security-api"
            return self._checked
        granted = sorted({f"{idx}:{priv}" for idx, privs in (body.get("index") or {}).items()
                          for priv, ok in privs.items() if ok})
        if granted:
            message = ("the search credentials may change the indices the bot reads ("
                       + ", ".join(granted) + "); give it a read-only role")
            if self._settings.strict_privileges:
                raise UnsafeCredentials(message + " (or set INCIDENTBOT_STRICT_PRIVILEGES=false to only warn)")
            log.warning("%s", message)
            self._checked = "may-write"
            return self._checked
        self._checked = "read-only"
        return self._checked

    # -- read verbs -------------------------------------------------------------------------
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self._allowed(index)
        return self._call("search", index, body, lambda c: c.search(index, body))

    def count(self, index: str, body: dict[str, Any]) -> int:
        self._allowed(index)
        return int(self._call("count", index, body, lambda c: c.count(index, body))["count"])

    def msearch(self, searches: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several searches in one round trip; a failed one comes back as a dict with an "error" key."""
        lines: list[dict[str, Any]] = []
        for index, body in searches:
            self._allowed(index)
            lines.extend(({"index": index}, body))
        out = self._call("msearch", ",".join(i for i, _ in searches), lines, lambda c: c.msearch(lines))
        return list(out["responses"])

    def field_caps(self, index: str, fields: str = "*") -> dict[str, Any]:
        self._allowed(index)
        return self._call("field_caps", index, None, lambda c: c.field_caps(index, fields))

    def get_mapping(self, index: str) -> dict[str, Any]:
        self._allowed(index)
        return self._call("mapping", index, None, lambda c: c.get_mapping(index))

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        self._allowed(index)
        try:
            return self._call("get", index, None, lambda c: c.get(index, doc_id))
        except BackendApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
