"""The read-only gateway: the only code in the bot that talks to Elasticsearch.

It exposes read verbs and nothing else (search, count, msearch, field_caps,
mappings, get), checks every index name against the configured patterns, and
refuses to start when the credentials could write to what it reads. The
client object stays private, so no other module can reach a write verb.
"""
from __future__ import annotations

import fnmatch
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import ConnectionError as ESConnectionError
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from incidentbot.config import Settings
from incidentbot.errors import StoreUnreachable, UnsafeCredentials, UsageError

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


@dataclass
class RequestLog:
    records: list[RequestRecord] = field(default_factory=list)

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)


def _transient(exc: BaseException) -> bool:
    """Connection trouble and overload are worth another try; a bad request is not."""
    if isinstance(exc, (ESConnectionError, TransportError)) and not isinstance(exc, ApiError):
        return True
    return isinstance(exc, ApiError) and getattr(exc, "status_code", None) in (429, 502, 503, 504)


_retry = retry(
    retry=retry_if_exception(_transient),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.2, max=2),
    reraise=True,
)


class ReadOnlyGateway:
    """Read verbs over one cluster, limited to the configured index patterns."""

    def __init__(self, settings: Settings, *, patterns: Sequence[str] | None = None) -> None:
        self._settings = settings
        self._patterns = tuple(patterns or (settings.logs_index, settings.changes_index))
        auth: dict[str, Any] = {}
        if settings.es_api_key:
            auth["api_key"] = settings.es_api_key
        elif settings.es_username:
            auth["basic_auth"] = (settings.es_username, settings.es_password or "")
        self._client = Elasticsearch(
            settings.es_url,
            request_timeout=settings.request_timeout_s,
            max_retries=0,
            retry_on_timeout=False,
            verify_certs=settings.es_verify_certs,
            **auth,
        )
        self.requests = RequestLog()
        self._checked = False

    # -- guards -----------------------------------------------------------------------------
    def _allowed(self, index: str) -> str:
        """Every name in a comma list must be a configured pattern or match one."""
        for name in index.split(","):
            name = name.strip()
            if not name or not any(name == p or fnmatch.fnmatchcase(name, p) for p in self._patterns):
                raise UsageError(f"index {name!r} is outside the configured patterns {', '.join(self._patterns)}")
        return index

    def _call(self, verb: str, index: str, body: Any, fn: Any) -> Any:
        started = time.perf_counter()
        try:
            result = _retry(fn)()
        except ESConnectionError as exc:
            raise StoreUnreachable(
                f"cannot reach the log store at {self._settings.es_url}: {_short(exc)}; "
                "check --es-url / INCIDENTBOT_ES_URL and that the cluster is up"
            ) from None
        except ApiError as exc:
            if exc.status_code in (401, 403):
                raise StoreUnreachable(f"the log store at {self._settings.es_url} refused our credentials ({exc.status_code})") from None
            if exc.status_code == 404 and verb in ("search", "count", "msearch", "field_caps", "mapping"):
                raise UsageError(f"no index matches {index!r} at {self._settings.es_url}; check --logs-index / --changes-index") from None
            raise
        except TransportError as exc:
            raise StoreUnreachable(f"the log store at {self._settings.es_url} did not answer: {_short(exc)}") from None
        body_out = getattr(result, "body", result)
        server_ms = body_out.get("took") if isinstance(body_out, dict) else None
        self.requests.add(RequestRecord(verb, index, body, (time.perf_counter() - started) * 1000, server_ms))
        return body_out

    # -- start-up check ---------------------------------------------------------------------
    def check_privileges(self) -> str:
        """Refuse credentials that could change the indices we read; say so once where no security API exists."""
        if self._checked:
            return "checked"
        self._checked = True
        try:
            resp = self._call("ping", "", None, lambda: self._client.info())
        except StoreUnreachable:
            raise
        del resp
        try:
            result = _retry(lambda: self._client.security.has_privileges(
                index=[{"names": list(self._patterns), "privileges": list(WRITE_PRIVILEGES)}]))()
        except ESConnectionError as exc:
            raise StoreUnreachable(f"cannot reach the log store at {self._settings.es_url}: {_short(exc)}") from None
        except ApiError as exc:
            log.warning("the cluster at %s has no security API (%s): privileges not checked",
                        self._settings.es_url, exc.status_code)
            return "no-security-api"
        body = getattr(result, "body", result)
        granted = sorted({f"{idx}:{priv}" for idx, privs in (body.get("index") or {}).items()
                          for priv, ok in privs.items() if ok})
        if granted:
            message = ("the Elasticsearch credentials may change the indices the bot reads ("
                       + ", ".join(granted) + "); give it a read-only role")
            if self._settings.strict_privileges:
                raise UnsafeCredentials(message + " (or set INCIDENTBOT_STRICT_PRIVILEGES=false to only warn)")
            log.warning("%s", message)
            return "may-write"
        return "read-only"

    # -- read verbs -------------------------------------------------------------------------
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self._allowed(index)
        return self._call("search", index, body, lambda: self._client.search(index=index, body=body))

    def count(self, index: str, body: dict[str, Any]) -> int:
        self._allowed(index)
        out = self._call("count", index, body, lambda: self._client.count(index=index, body=body))
        return int(out["count"])

    def msearch(self, searches: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several searches in one round trip; a failed one comes back as a dict with an "error" key."""
        lines: list[dict[str, Any]] = []
        for index, body in searches:
            self._allowed(index)
            lines.extend(({"index": index}, body))
        out = self._call("msearch", ",".join(i for i, _ in searches), lines,
                         lambda: self._client.msearch(searches=lines))
        return list(out["responses"])

    def field_caps(self, index: str, fields: str = "*") -> dict[str, Any]:
        self._allowed(index)
        return self._call("field_caps", index, None,
                          lambda: self._client.field_caps(index=index, fields=fields, ignore_unavailable=True))

    def get_mapping(self, index: str) -> dict[str, Any]:
        self._allowed(index)
        return self._call("mapping", index, None, lambda: self._client.indices.get_mapping(index=index))

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        self._allowed(index)
        try:
            return self._call("get", index, None, lambda: self._client.get(index=index, id=doc_id))
        except ApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def close(self) -> None:
        self._client.close()


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
