"""The one HTTP proxy of the tests: in front of a real search server, it records every request and injects faults.

Faults are injected on the wire, never by patching our code: requests whose
path (and, if the fault says so, body) matches a rule get that rule's fault
(trickled bytes, an error status, a truncated body, a rewritten JSON answer,
a request held back for a while); everything else is forwarded to the real
server. Every request is recorded with its method, path and body, so a test
can also check that only reads reached the store (`writes()`). With no
faults it is the plain recording proxy of the read-only tests.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.httpserve import LocalHTTPServer, as_bytes, send
from support.servers import FIXTURES

from incidentbot.dev.embedded import EmbeddedSearchServer
from incidentbot.dev.scenario import Scenario, load_scenario, read_scenario

SCENARIO = "orders-inventory-deploy"

# Endpoints a POST may reach and still only read (search bodies are large, so clients POST them).
# The header an Elasticsearch client checks before it believes an answer came from Elasticsearch.
ES_PRODUCT = {"X-Elastic-Product": "Elasticsearch"}

READ_ENDPOINTS = frozenset({"_search", "_msearch", "_count", "_field_caps", "_mget", "_pit", "_has_privileges",
                            "_validate", "_explain", "_termvectors", "_mtermvectors"})


@dataclass
class Fault:
    """What to do to requests whose path matches `path` (a regex) and whose body holds `body`; `times` limits it.

    kind: "trickle" (the real answer, one byte every `every_s`), "hang" (headers,
    then a space every `every_s`), "status" (an error `status`), "truncate" (a
    cut-short answer), "rewrite" (the real answer through `rewrite`), "hold" (the
    real answer, `hold_s` late: a store too slow for that one request).
    `times` None: always; `used` counts the requests it was applied to.
    """

    path: str
    kind: str  # "trickle" | "status" | "truncate" | "rewrite" | "hang" | "hold"
    status: int = 500
    every_s: float = 5.0
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    times: int | None = None
    used: int = 0
    body: bytes = b""  # the fault applies only to requests whose body holds these bytes (b"": any body)
    hold_s: float = 0.0

    def matches(self, path: str, body: bytes) -> bool:
        return (re.search(self.path, path) is not None and self.body in body
                and (self.times is None or self.used < self.times))


@dataclass(frozen=True)
class Seen:
    """One request as it reached the proxy; `reads` tells a read from a write by method and endpoint."""

    method: str
    path: str
    body: bytes = b""

    @property
    def endpoint(self) -> str:
        """The last `_name` segment of the path ("/logs-x/_search" -> "_search"), or "" for a plain path."""
        named = [p for p in self._parts() if p.startswith("_")]
        return named[-1] if named else ""

    @property
    def reads(self) -> bool:
        if self.method in ("GET", "HEAD"):
            return True
        if self.method == "POST":
            parts = self._parts()
            return any(p in READ_ENDPOINTS for p in parts) and "_bulk" not in parts and "_doc" not in parts
        return False

    def _parts(self) -> list[str]:
        return [p for p in urlsplit(self.path).path.split("/") if p]


class FaultProxy(LocalHTTPServer):
    """Forwards to `target`, applying the first matching fault; started at once, `stop()` when done."""

    def __init__(self, target: str, faults: list[Fault] | None = None) -> None:
        self.target = target.rstrip("/")
        self.faults: list[Fault] = list(faults or [])
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()  # ends a hold early: a held request must not outlive its test
        super().__init__(self._serve)
        self.start()

    def stop(self) -> None:
        self._stopped.set()
        super().stop()

    def writes(self) -> list[Seen]:
        """Every request that was not a read (the read-only tests want none)."""
        with self._lock:
            return [s for s in self.seen if not s.reads]

    def endpoints(self) -> set[str]:
        with self._lock:
            return {s.endpoint for s in self.seen}

    def _fault(self, path: str, body: bytes) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(path, body):
                    fault.used += 1
                    return fault
        return None

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(self.target + h.path, data=body or None, method=h.command, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        with self._lock:
            self.seen.append(Seen(h.command, h.path, body))
        fault = self._fault(h.path, body)
        try:
            if fault is None:
                self._reply(h, *self._forward(h, body))
            elif fault.kind == "status":
                send(h, fault.status, as_bytes({"error": {"type": "injected", "reason": f"injected {fault.status}"},
                                                "status": fault.status}))
            elif fault.kind == "rewrite":
                status, headers, data = self._forward(h, body)
                data = json.dumps(fault.rewrite(json.loads(data)) if fault.rewrite else json.loads(data)).encode()
                self._reply(h, status, headers, data)
            elif fault.kind == "truncate":  # a canned start of an answer, then the connection closes
                data = b'{"took": 3, "responses": [{"took": 3, "timed_out": false, "hits": {"total": {"value": 26'
                send(h, 200, data, ES_PRODUCT, length=4096)
                h.close_connection = True
            elif fault.kind in ("trickle", "hang"):
                status, _, data = self._forward(h, body)
                self._trickle(h, status, data, fault)
            elif fault.kind == "hold":
                if self._stopped.wait(fault.hold_s):  # the test ended while this request was held: no answer
                    h.close_connection = True
                else:
                    self._reply(h, *self._forward(h, body))
        except OSError:  # the client gave up (its timeout), or the server behind is gone as the test ends
            h.close_connection = True

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
        """The server's answer as it came, with the two headers clients read (the product check, the type)."""
        got = {k.lower(): v for k, v in headers.items()}
        product = {"X-Elastic-Product": got["x-elastic-product"]} if got.get("x-elastic-product") else {}
        send(h, status, data, product, content_type=got.get("content-type") or "application/json")

    @staticmethod
    def _trickle(h: BaseHTTPRequestHandler, status: int, data: bytes, fault: Fault) -> None:
        """Headers at once, then one byte every `every_s` seconds: no read ever waits long enough to time out."""
        send(h, status, b"", ES_PRODUCT, length=len(data))
        for i in range(len(data)):
            h.wfile.write(data[i:i + 1] if fault.kind == "trickle" else b" ")
            h.wfile.flush()
            time.sleep(fault.every_s)


class Trickler(LocalHTTPServer):
    """A vendor API that sends headers, then one space every `every_s`, `count` times: no read ever times out.

    Only a deadline on the whole call ends it; started at once, `stop()` ends it early.
    """

    def __init__(self, every_s: float = 1.0, count: int = 600) -> None:
        self.every_s, self.count = every_s, count
        self._stopped = threading.Event()  # a trickle must not outlive its test
        super().__init__(self._serve)
        self.start()

    def stop(self) -> None:
        self._stopped.set()
        super().stop()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        send(h, 200, b"", length=100_000_000)
        for _ in range(self.count):
            h.wfile.write(b" ")
            h.wfile.flush()
            if self._stopped.wait(self.every_s):
                break
        h.close_connection = True


@dataclass
class Store:
    url: str
    scenario: Scenario
    proxies: list[FaultProxy] = field(default_factory=list)

    def proxy(self, *faults: Fault) -> FaultProxy:
        p = FaultProxy(self.url, list(faults))
        self.proxies.append(p)
        return p


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """noida-db on a free port with one scenario loaded (fast: the fault tests need one incident, not all)."""
    server = EmbeddedSearchServer(tmp_path_factory.mktemp("noida-faults"))
    server.start()
    try:
        sc = read_scenario(FIXTURES / SCENARIO)
        load_scenario(sc, server.url, force=True)
        st = Store(server.url, sc)
        yield st
        for p in st.proxies:
            p.stop()
    finally:
        server.stop()


ES_ROOT = {"name": "n", "cluster_name": "c", "version": {"number": "8.15.0", "build_flavor": "default"},
           "tagline": "You Know, for Search"}
OS_ROOT = {"name": "n", "cluster_name": "c", "version": {"number": "2.17.0", "distribution": "opensearch"},
           "tagline": "The OpenSearch Project: https://opensearch.org/"}


Route = tuple[int, Any] | Callable[[Seen], tuple[int, Any]]


class FakeCluster(LocalHTTPServer):
    """A search server that answers set paths with set replies (status, JSON or raw bytes); records requests.

    A route may also be a function of the request (`Seen`, body included): an answer that depends on what was asked.
    """

    def __init__(self, root: dict[str, Any], routes: Mapping[str, Route]) -> None:
        self.routes: dict[str, Route] = {"/": (200, root), **routes}
        self.seen: list[Seen] = []
        super().__init__(self._serve)
        self.start()

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        seen = Seen(h.command, h.path.split("?")[0], h.rfile.read(int(h.headers.get("Content-Length") or 0)))
        self.seen.append(seen)
        route = self.routes.get(seen.path, (404, {"error": "no handler found for uri [x]"}))
        status, body = route(seen) if callable(route) else route
        send(h, status, as_bytes(body), ES_PRODUCT)
