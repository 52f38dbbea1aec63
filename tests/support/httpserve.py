"""The plumbing every local HTTP stand-in shares: a quiet server on 127.0.0.1 and a free port, one way to answer.

Why one copy: the fakes (Slack, OpenAI, vendor APIs, a search cluster) and the
fault proxy all need the same few lines - a handler that takes every verb and
logs nothing, a `ThreadingHTTPServer` whose threads never keep the test process
alive, a start and a clean stop, a whole answer with its length - and copies
drift apart (one forgot HEAD, one spoke HTTP/1.0). The standard library's
server is enough: no dependency.
"""
from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar

Serve = Callable[[BaseHTTPRequestHandler], None]


def quiet_handler(serve: Serve, wbufsize: int = 0) -> type[BaseHTTPRequestHandler]:
    """A handler class that gives every request, whatever its verb, to `serve`, and prints nothing.

    Every verb: a stray write (PUT, DELETE...) must reach the fake and be recorded
    for a test to see, not bounce off as 501 before anyone looks. HTTP/1.1, as
    the real servers speak it, so clients keep their connections as they would.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep the test output clean
            return None

        def _any(self) -> None:
            serve(self)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any  # noqa: N815

    Handler.wbufsize = wbufsize  # 65536: one write per reply, no Nagle/delayed-ACK stall per request
    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still waiting (a held request) never blocks the exit

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (its timeout, in a fault test) is expected; anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalHTTPServer:
    """`serve` behind http://127.0.0.1:PORT (a free port), from daemon threads; `start()`, then `stop()`.

    The fakes and the proxy subclass it and pass their own `_serve` method.
    """

    def __init__(self, serve: Serve, *, wbufsize: int = 0, poll_interval: float = 0.05) -> None:
        self.httpd = _Server(("127.0.0.1", 0), quiet_handler(serve, wbufsize))
        self._serving = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": poll_interval},
                                         daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._serving.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def as_bytes(body: Any) -> bytes:
    """A reply body on the wire: bytes as they are, text as UTF-8, anything else as JSON."""
    if isinstance(body, bytes):
        return body
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


@dataclass
class Reply:
    """One canned answer: an HTTP status, a body (JSON-able, text or bytes), extra headers, a stall before it."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def send(h: BaseHTTPRequestHandler, status: int, data: bytes, headers: Mapping[str, str] | None = None,
         content_type: str = "application/json", length: int | None = None) -> None:
    """Write one whole answer: status, Content-Type, Content-Length (`length`: a lie, for a cut-short body), body.

    No body after a HEAD answer: on a kept-alive connection it would be read as the next answer.
    """
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(data) if length is None else length))
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(data)
    h.wfile.flush()


class Startable(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> Any: ...


S = TypeVar("S", bound=Startable)


def started(server: S) -> Iterator[S]:
    """Start `server`, hand it to the test, stop it however the test ended: a server fixture is `yield from started(X())`."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


class WaitressLoop:
    """A waitress server's loop on a thread, stopped before the server is closed.

    Closing a waitress server while its `run()` sits in select() makes the loop's
    thread fail on a closed descriptor; this loop runs in short turns and is
    stopped (and joined) first."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self.server.asyncore.loop(timeout=0.1, map=self.server._map, count=1)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.server.close()
