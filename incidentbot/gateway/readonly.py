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
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenacity import RetryCallState, Retrying, retry, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.stop import stop_base

from incidentbot.config import Settings
from incidentbot.core.deadline import Deadline, DeadlineExceeded, call_within, current_deadline, share_of
from incidentbot.core.errors import (
    NoSuchIndex, StoreDeadline, StoreSilent, StoreTimeout, StoreUnavailable, StoreUnreachable, UnsafeCredentials,
    UsageError,
)
from incidentbot.gateway.backends import (
    Backend, BackendApiError, BackendBadResponse, BackendConnectionError, BackendTimeout, make_backend,
)
from incidentbot.gateway.pace import StorePace
from incidentbot.gateway.privileges import judge_privileges

log = logging.getLogger(__name__)

_DS_BACKING = re.compile(r"-\d{4}\.\d{2}\.\d{2}-\d{6}$")
WRITE_PRIVILEGES = ("write", "index", "create", "create_doc", "delete", "delete_index", "create_index", "manage", "all")
# The start-up checks (version, privileges) may use at most this share of an answer's deadline: a store
# that accepts connections and never answers then leaves the rest to say what is known without it.
STARTUP_SHARE = 0.5
VERSION_CHECK_S = 10.0
PRIVILEGE_CHECK_S = 15.0
# cluster privileges that could change data or settings; `monitor` and the read-only ones are fine
CLUSTER_WRITE_PRIVILEGES = ("all", "manage", "manage_index_templates", "manage_ilm", "manage_pipeline",
                            "manage_ingest_pipelines", "manage_security", "manage_api_key", "manage_transform")


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


class stop_before_delay_left(stop_base):  # noqa: N801 - named like tenacity's own stop conditions
    """Stop retrying when less than half a second of the answer's deadline is left."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline.remaining() < 0.5


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
        # "the count is partial": timed-out or shard-failed searches, read by the pipeline (per thread)
        self._partial = threading.local()
        # called with each request made (a server's /metrics counts them); never with the response
        self.observers: list[Callable[[RequestRecord], None]] = []
        self.pace = StorePace()  # shared by the answers in flight: how busy the store is with this process's work
        # (the answer's deadline, why): the store did not answer a start-up check within that answer
        self._silent: tuple[Deadline, str] | None = None

    @property
    def flavour(self) -> str:
        return self._client().flavour

    def _client(self) -> Backend:
        self._raise_if_silent()
        with self._lock:
            if self._backend is None:
                self._backend = self._connect()
            return self._backend

    def _connect(self) -> Backend:
        """The backend for the cluster, chosen by the version check (its root endpoint) unless configured.

        Within an answer the check waits at most the start-up share of its deadline; a store
        that does not answer in that time is silent for the rest of the answer.
        """
        answer = current_deadline()
        share = share_of(answer, STARTUP_SHARE) if answer is not None else None
        started = time.monotonic()
        try:
            if share is None:
                return _retry(lambda: make_backend(self._settings))()
            retrying = Retrying(retry=retry_if_exception(_transient), reraise=True,
                                stop=stop_after_attempt(3) | stop_before_delay_left(share),
                                wait=wait_exponential(multiplier=0.2, max=2))
            return call_within(lambda: retrying(lambda: make_backend(self._settings, share.cap(VERSION_CHECK_S))),
                               share.remaining(), "version check")
        except (BackendTimeout, DeadlineExceeded):
            if answer is None or share is None:
                raise StoreTimeout(f"the log store at {self._settings.es_url} did not answer the version check "
                                   f"within {min(self._settings.request_timeout_s, VERSION_CHECK_S):g}s") from None
            raise self._silence("version check", answer, time.monotonic() - started) from None
        except BackendConnectionError as exc:
            raise StoreUnreachable(self._unreachable(str(exc))) from None
        except BackendApiError as exc:
            raise StoreUnreachable(f"the log store at {self._settings.es_url} answered {exc.status_code} "
                                   "at its root endpoint; check the URL and credentials") from None

    def _silence(self, part: str, answer: Deadline, waited_s: float) -> StoreSilent:
        """Remember, for this answer, that the store did not answer a start-up check: it is asked nothing more."""
        reason = (f"the log store at {self._settings.es_url} did not answer the {part} within {waited_s:.1f}s "
                  f"(start-up checks may take half the {answer.budget_s:g}s answer deadline, "
                  "INCIDENTBOT_ANSWER_DEADLINE_S)")
        self._silent = (answer, reason)
        return StoreSilent(reason)

    def _raise_if_silent(self) -> None:
        silent = self._silent
        if silent is not None and silent[0] is current_deadline():
            raise StoreSilent(silent[1])

    def _unreachable(self, detail: str) -> str:
        return (f"cannot reach the log store at {self._settings.es_url}: {detail}; "
                "check --es-url / INCIDENTBOT_ES_URL and that the cluster is up")

    # -- guards -----------------------------------------------------------------------------
    def _allowed(self, index: str) -> str:
        """Every name in a comma list must be a configured name or match one.

        A configured pattern may itself be a comma list (`logs-a,logs-b`): each of its parts counts.
        A data stream's backing index (`.ds-logs-app-default-2026.03.14-000001`) counts as its stream
        (`logs-app-default`), which the patterns name.
        """
        allowed = [part.strip() for p in self._patterns for part in p.split(",") if part.strip()]
        for name in index.split(","):
            name = name.strip()
            stream = _DS_BACKING.sub("", name[4:]) if name.startswith(".ds-") else name
            if not name or not any(n == p or fnmatch.fnmatchcase(n, p) for p in allowed for n in (name, stream)):
                raise UsageError(f"index {name!r} is outside the configured patterns {', '.join(self._patterns)}")
        return index

    def _call(self, verb: str, index: str, body: Any, fn: Any) -> dict[str, Any]:
        """One read, bounded by the answer's deadline (or a fresh one), retried while time is left.

        Each attempt's request timeout is what the deadline has left, and a watchdog stops waiting
        at the deadline even when the server trickles bytes that keep the socket's read timeout from firing.
        """
        client = self._client()  # raises StoreSilent at once when the store was silent at this answer's start
        deadline = current_deadline() or Deadline(self._settings.answer_deadline_s)
        if deadline.expired():
            raise self._deadline_error(verb, index, deadline)
        started = time.perf_counter()
        retrying = Retrying(retry=retry_if_exception(_transient), reraise=True,
                            stop=stop_after_attempt(3) | stop_before_delay_left(deadline),
                            wait=wait_exponential(multiplier=0.2, max=2))
        attempts = {"n": 0}

        def attempt() -> Any:
            attempts["n"] += 1
            return fn(client, deadline.cap(self._settings.request_timeout_s))

        try:
            result: dict[str, Any] = call_within(lambda: retrying(attempt), deadline.remaining(), f"{verb} {index}")
        except DeadlineExceeded:
            raise self._deadline_error(verb, index, deadline) from None
        except BackendTimeout:
            if deadline.expired():
                raise self._deadline_error(verb, index, deadline) from None
            raise StoreTimeout(f"the log store at {self._settings.es_url} did not answer a {verb} within "
                               f"{self._settings.request_timeout_s:.0f}s; narrow the window or the services") from None
        except BackendBadResponse as exc:
            raise StoreUnavailable(f"the log store at {self._settings.es_url} sent a {verb} response that could not "
                                   f"be read (cut short or not JSON: {exc}), {attempts['n']} time(s); "
                                   "check the cluster or a proxy in front of it") from None
        except BackendConnectionError as exc:
            raise StoreUnreachable(self._unreachable(str(exc))) from None
        except BackendApiError as exc:
            raise self._api_error(verb, index, exc, attempts["n"]) from None
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

    def _deadline_error(self, verb: str, index: str, deadline: Deadline) -> StoreDeadline:
        return StoreDeadline(f"the log store at {self._settings.es_url} did not finish a {verb} on {index} within "
                             f"the {deadline.budget_s:g}s answer deadline (INCIDENTBOT_ANSWER_DEADLINE_S)")

    def _api_error(self, verb: str, index: str, exc: BackendApiError, attempts: int) -> Exception:
        """A named condition for each error status the store can answer with."""
        url = self._settings.es_url
        if exc.status_code in (401, 403):
            return StoreUnreachable(f"the log store at {url} refused our credentials ({exc.status_code}: {exc})")
        if exc.status_code == 404 and verb in ("search", "count", "msearch", "field_caps", "mapping"):
            return NoSuchIndex(f"no index matches {index!r} at {url}; indices matching the configured patterns: "
                               f"{self._existing_indices() or 'none'}; check --logs-index / --changes-index")
        if exc.status_code == 429 or exc.status_code >= 500:
            return StoreUnavailable(f"the log store at {url} answered HTTP {exc.status_code} to {verb} on {index} "
                                    f"{attempts} time(s) ({str(exc)[:160]}); it is overloaded or failing, "
                                    "try again shortly")
        return exc

    def _existing_indices(self) -> str:
        """The indices the configured patterns match now (best effort: this runs while reporting an error)."""
        names: set[str] = set()
        for pattern in {part.strip() for p in self._patterns for part in p.split(",") if part.strip()}:
            try:
                names.update(self._client().get_mapping(pattern, min(self._settings.request_timeout_s, 5.0)))
            except Exception:  # noqa: BLE001 - the first error is what we report
                continue
        shown = sorted(names)
        return ", ".join(shown[:20]) + (f" and {len(shown) - 20} more" if len(shown) > 20 else "")

    # -- partial results --------------------------------------------------------------------
    def _note_partial(self, verb: str, index: str, response: Any) -> None:
        """Remember a search that timed out on the server or lost shards: its counts are a lower bound."""
        if not isinstance(response, dict):
            return
        shards = response.get("_shards") or {}
        failed = int(shards.get("failed") or 0) if isinstance(shards, dict) else 0
        reasons = []
        if response.get("timed_out"):
            reasons.append("the search timed out on the server")
        if failed:
            total = shards.get("total", "?")
            causes = {str(((f.get("reason") or {}).get("type") if isinstance(f.get("reason"), dict) else f.get("reason"))
                          or "unknown") for f in shards.get("failures") or [] if isinstance(f, dict)}
            reasons.append(f"{failed} of {total} shards failed" + (f" ({', '.join(sorted(causes))})" if causes else ""))
        if reasons:
            self.partial_reasons().append(f"{verb} on {index}: " + "; ".join(reasons))

    def partial_reasons(self) -> list[str]:
        """Why this thread's results are partial (reset with `reset_partial` at the start of an answer)."""
        if not hasattr(self._partial, "reasons"):
            self._partial.reasons = []
        reasons: list[str] = self._partial.reasons
        return reasons

    def reset_partial(self) -> None:
        self._partial.reasons = []

    # -- start-up check ---------------------------------------------------------------------
    def check_privileges(self) -> str:
        """Refuse credentials that could change what we read or the cluster; fail closed unless security is off.

        Only a clear "security is not enabled" answer lets the bot run unchecked; any other error
        (401, 403, 429, 5xx, an empty or odd body) refuses to start in strict mode, because a bot that
        cannot tell whether it may write must not assume it cannot.
        """
        if self._checked:
            return self._checked
        client = self._client()
        names = [part.strip() for p in self._patterns for part in p.split(",") if part.strip()]
        answer = current_deadline()
        share = share_of(answer, STARTUP_SHARE) if answer is not None else None
        timeout = min(self._settings.request_timeout_s, PRIVILEGE_CHECK_S)
        wait, started = timeout * 3 + 3, time.monotonic()
        if share is not None:
            timeout, wait = share.cap(timeout), share.remaining()
        try:
            body: Any = call_within(lambda: _retry(lambda: client.privileges(
                names, list(WRITE_PRIVILEGES), list(CLUSTER_WRITE_PRIVILEGES), timeout))(), wait,
                "privilege check")
            error: BaseException | None = None
        except (BackendTimeout, DeadlineExceeded) as exc:
            if answer is not None and share is not None:  # silent within an answer: it is asked nothing more
                raise self._silence("privilege check", answer, time.monotonic() - started) from None
            if isinstance(exc, BackendTimeout):
                raise StoreUnreachable(self._unreachable(str(exc))) from None
            body, error = None, exc
        except BackendConnectionError as exc:
            if not isinstance(exc, BackendBadResponse):
                raise StoreUnreachable(self._unreachable(str(exc))) from None
            body, error = None, exc
        except BackendApiError as exc:
            body, error = None, exc
        verdict = judge_privileges(client.flavour, body, error)
        return self._apply_verdict(verdict)

    def _apply_verdict(self, verdict: Any) -> str:
        where = self._settings.es_url
        if verdict.state == "no-security-api":
            log.warning("the cluster at %s has no security API (%s): privileges not checked", where, verdict.detail)
        elif verdict.state in ("may-write", "unknown"):
            message = (f"the search credentials for {where} may change data the bot reads ({verdict.detail}); give it "
                       "a read-only role" if verdict.state == "may-write" else
                       f"cannot confirm the search credentials for {where} are read-only: {verdict.detail}")
            if self._settings.strict_privileges:
                raise UnsafeCredentials(message + " (or set INCIDENTBOT_STRICT_PRIVILEGES=false to only warn)")
            log.warning("%s", message)
        self._checked = verdict.state
        return self._checked

    # -- read verbs -------------------------------------------------------------------------
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        self._allowed(index)
        result = self._call("search", index, body, lambda c, t: c.search(index, body, t))
        self._note_partial("search", index, result)
        return result

    def count(self, index: str, body: dict[str, Any]) -> int:
        self._allowed(index)
        result = self._call("count", index, body, lambda c, t: c.count(index, body, t))
        self._note_partial("count", index, result)
        return int(result["count"])

    def msearch(self, searches: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several searches in one round trip; a failed one comes back as a dict with an "error" key."""
        lines: list[dict[str, Any]] = []
        for index, body in searches:
            self._allowed(index)
            lines.extend(({"index": index}, body))
        joined = ",".join(dict.fromkeys(i for i, _ in searches))
        out = self._call("msearch", joined, lines, lambda c, t: c.msearch(lines, t))
        responses = out.get("responses") if isinstance(out, dict) else None
        if not isinstance(responses, list) or len(responses) != len(searches):
            raise StoreUnavailable(f"the log store at {self._settings.es_url} answered an msearch of {len(searches)} "
                                   f"searches with {len(responses) if isinstance(responses, list) else 'no'} responses")
        for response in responses:
            self._note_partial("msearch", joined, response)
        return list(responses)

    def field_caps(self, index: str, fields: str = "*") -> dict[str, Any]:
        self._allowed(index)
        result = self._call("field_caps", index, None, lambda c, t: c.field_caps(index, fields, t))
        if isinstance(result, dict) and result.get("indices") == []:
            raise NoSuchIndex(f"no index matches {index!r} at {self._settings.es_url}; indices matching the "
                              f"configured patterns: {self._existing_indices() or 'none'}; "
                              "check --logs-index / INCIDENTBOT_LOGS_INDEX")
        return result

    def get_mapping(self, index: str) -> dict[str, Any]:
        self._allowed(index)
        return self._call("mapping", index, None, lambda c, t: c.get_mapping(index, t))

    def get(self, index: str, doc_id: str) -> dict[str, Any] | None:
        self._allowed(index)
        try:
            return self._call("get", index, None, lambda c, t: c.get(index, doc_id, t))
        except NoSuchIndex:
            return None
        except BackendApiError as exc:
            if exc.status_code == 404:
                return None
            raise

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
