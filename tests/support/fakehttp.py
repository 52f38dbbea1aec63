"""A tiny HTTP server that replays vendor API responses and records every request.

Change sources must only ever GET; the server accepts every verb so a stray
POST would be recorded (and a test would see it) instead of failing obscurely.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.httpserve import LocalHTTPServer, Reply, as_bytes, send, started


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Request, "FakeServer"], Reply]


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None, delay_s: float = 0.0) -> Reply:
    return Reply(status, body, dict(headers or {}), delay_s)


class FakeServer(LocalHTTPServer):
    """Routes by path; each route replays its replies in order, repeating the last one."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply | Handler]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        super().__init__(self._serve, wbufsize=65536, poll_interval=0.02)

    def route(self, path: str, *replies: Reply | Handler) -> None:
        self.routes[path] = list(replies)

    def methods(self) -> set[str]:
        return {r.method for r in self.requests}

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _next(self, path: str) -> Reply | Handler | None:
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        request = Request(handler.command, parts.path, parse_qs(parts.query),
                          {k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            self.requests.append(request)
        reply = self._next(parts.path)
        if callable(reply):
            reply = reply(request, self)
        if reply is None:
            reply = Reply(404, {"message": "Not Found"})
        if reply.delay_s:
            time.sleep(reply.delay_s)
        send(handler, reply.status, as_bytes(reply.body), reply.headers)


def refused_url() -> str:
    """An address where nothing listens: bind a port, then free it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Fixtures live here, not in a conftest.py: tests/ already has a top-level
# conftest module that other tests import by name, and a second one would shadow it.
# Test modules import them: `from fakehttp import fake_env, server`.

@pytest.fixture(autouse=True)
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment must not swallow requests meant for 127.0.0.1."""
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A started fake API, stopped after the test."""
    yield from started(FakeServer())
