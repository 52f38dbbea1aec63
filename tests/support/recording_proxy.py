"""An HTTP proxy in front of a search server that forwards everything and records what it forwarded.

It sits where the bot's `--es-url` points, so it sees every request any code
path sends to the store, whatever library sent it: the read-only promise is
checked on the wire, not by trusting our own gateway.
"""
from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Endpoints a POST may reach and still only read (search bodies are large, so clients POST them).
READ_ENDPOINTS = frozenset({"_search", "_msearch", "_count", "_field_caps", "_mget", "_pit", "_has_privileges",
                            "_validate", "_explain", "_termvectors", "_mtermvectors"})


@dataclass(frozen=True)
class Forwarded:
    method: str
    path: str

    @property
    def endpoint(self) -> str:
        """The last `_name` segment of the path ("/logs-x/_search" -> "_search"), or "" for a plain path."""
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        named = [p for p in parts if p.startswith("_")]
        return named[-1] if named else ""

    @property
    def reads(self) -> bool:
        if self.method in ("GET", "HEAD"):
            return True
        if self.method == "POST":
            parts = [p for p in urlsplit(self.path).path.split("/") if p]
            return any(p in READ_ENDPOINTS for p in parts) and "_bulk" not in parts and "_doc" not in parts
        return False


class RecordingProxy:
    """Forwards to `target` at http://127.0.0.1:PORT and keeps every request's method and path."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.forwarded: list[Forwarded] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    proxy.forwarded.append(Forwarded(self.command, self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                req = urllib.request.Request(proxy.target + self.path, data=body or None, method=self.command,
                                             headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:
                        status, reply_headers, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as exc:
                    status, reply_headers, data = exc.code, exc.headers, exc.read()
                try:
                    self.send_response(status)
                    for key in ("Content-Type", "X-Elastic-Product"):
                        if reply_headers.get(key):
                            self.send_header(key, reply_headers[key])
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def writes(self) -> list[Forwarded]:
        with self._lock:
            return [f for f in self.forwarded if not f.reads]

    def endpoints(self) -> set[str]:
        with self._lock:
            return {f.endpoint for f in self.forwarded}
