"""A fault-injecting HTTP proxy in front of a real search server, and a one-scenario store fixture.

Faults are injected on the wire, never by patching our code: requests whose
path matches a rule get that rule's fault (trickled bytes, an error status,
a truncated body, a rewritten JSON answer); everything else is forwarded to
the real server. Every request is recorded, so a test can also check that
only reads reached the store.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from incidentbot.dev.embedded import EmbeddedSearchServer
from incidentbot.dev.scenario import Scenario, load_scenario, read_scenario
from support.servers import FIXTURES

SCENARIO = "orders-inventory-deploy"


@dataclass
class Fault:
    """What to do to requests whose path matches `path` (a regex); `times` limits it (None: always)."""

    path: str
    kind: str  # "trickle" | "status" | "truncate" | "rewrite" | "hang"
    status: int = 500
    every_s: float = 5.0
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    times: int | None = None
    used: int = 0


@dataclass
class Seen:
    method: str
    path: str


class FaultProxy:
    """Forwards to `target`, applying the first matching fault."""

    def __init__(self, target: str, faults: list[Fault] | None = None) -> None:
        self.target = target.rstrip("/")
        self.faults: list[Fault] = list(faults or [])
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _any(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.path, path) and (fault.times is None or fault.used < fault.times):
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
            self.seen.append(Seen(h.command, h.path))
        fault = self._fault(h.path)
        try:
            if fault is None:
                self._reply(h, *self._forward(h, body))
            elif fault.kind == "status":
                data = json.dumps({"error": {"type": "injected", "reason": f"injected {fault.status}"},
                                   "status": fault.status}).encode()
                self._reply(h, fault.status, {"Content-Type": "application/json"}, data)
            elif fault.kind == "rewrite":
                status, headers, data = self._forward(h, body)
                data = json.dumps(fault.rewrite(json.loads(data)) if fault.rewrite else json.loads(data)).encode()
                self._reply(h, status, headers, data)
            elif fault.kind == "truncate":  # a canned start of an answer, then the connection closes
                data = b'{"took": 3, "responses": [{"took": 3, "timed_out": false, "hits": {"total": {"value": 26'
                self._reply(h, 200, {"Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch"},
                            data, declared=4096)
                h.close_connection = True
            elif fault.kind in ("trickle", "hang"):
                status, headers, data = self._forward(h, body)
                self._trickle(h, status, headers, data, fault)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes,
               declared: int | None = None) -> None:
        h.send_response(status)
        for key in ("Content-Type", "X-Elastic-Product"):
            value = next((v for k, v in headers.items() if k.lower() == key.lower()), None)
            if value:
                h.send_header(key, value)
        h.send_header("Content-Length", str(declared if declared is not None else len(data)))
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    @staticmethod
    def _trickle(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes, fault: Fault) -> None:
        """Headers at once, then one byte every `every_s` seconds: no read ever waits long enough to time out."""
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("X-Elastic-Product", "Elasticsearch")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.flush()
        for i in range(len(data)):
            h.wfile.write(data[i:i + 1] if fault.kind == "trickle" else b" ")
            h.wfile.flush()
            time.sleep(fault.every_s)


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


class FakeCluster:
    """A search server that answers set paths with set replies (status, JSON or raw bytes); records requests."""

    def __init__(self, root: dict[str, Any], routes: dict[str, tuple[int, Any]]) -> None:
        self.routes = {"/": (200, root), **routes}
        self.seen: list[Seen] = []
        cluster = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                cluster.seen.append(Seen(self.command, path))
                status, body = cluster.routes.get(path, (404, {"error": "no handler found for uri [x]"}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_HEAD = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
