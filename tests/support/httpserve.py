"""The plumbing every local HTTP stand-in shares: a quiet server on 127.0.0.1 and a free port, and a fixture body.

Why one copy: the fakes (Slack, OpenAI, vendor APIs, a search cluster) and the
fault proxy all need the same few lines - a handler that takes every verb and
logs nothing, a `ThreadingHTTPServer` whose threads never keep the test process
alive, a start and a clean stop - and copies drift apart (one forgot HEAD, one
spoke HTTP/1.0). The standard library's server is enough: no dependency.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar

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
    """`serve` behind http://127.0.0.1:PORT (a free port), from daemon threads; `start()`, then `stop()`."""

    def __init__(self, serve: Serve, *, wbufsize: int = 0, poll_interval: float = 0.05) -> None:
        self.httpd = _Server(("127.0.0.1", 0), quiet_handler(serve, wbufsize))
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": poll_interval},
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


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
