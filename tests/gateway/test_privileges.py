"""The start-up privilege check, against a local server that answers like a secured cluster."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidentbot.config import settings_from
from incidentbot.core.errors import UnsafeCredentials
from incidentbot.gateway import ReadOnlyGateway

ROOT = {"name": "n", "cluster_name": "c", "version": {"number": "8.15.0", "build_flavor": "default"},
        "tagline": "You Know, for Search"}


def _server(grants: dict[str, bool]):
    seen: list[tuple[str, str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            seen.append(("GET", self.path, {}))
            self._send(ROOT)

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            seen.append(("POST", self.path, body))
            names = body["index"][0]["names"]
            self._send({"username": "bot", "has_all_requested": False, "cluster": {},
                        "index": {n: {p: grants.get(p, False) for p in body["index"][0]["privileges"]} for n in names}})

        do_PUT = do_POST

        def log_message(self, *args: object) -> None:
            return None

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


def test_write_privileges_refuse_to_start() -> None:
    srv, seen = _server({"write": True, "delete_index": True})
    try:
        gw = ReadOnlyGateway(settings_from(env={}, es_url=f"http://127.0.0.1:{srv.server_port}"))
        with pytest.raises(UnsafeCredentials, match="write"):
            gw.check_privileges()
        post = [s for s in seen if s[0] == "POST"][0]
        assert post[1].startswith("/_security/user/_has_privileges")
        assert set(post[2]["index"][0]["names"]) == {"logs-*", "changes-*"}
    finally:
        srv.shutdown()


def test_write_privileges_only_warn_when_not_strict(caplog: pytest.LogCaptureFixture) -> None:
    srv, _ = _server({"manage": True})
    try:
        settings = settings_from(env={"INCIDENTBOT_STRICT_PRIVILEGES": "false"},
                                 es_url=f"http://127.0.0.1:{srv.server_port}")
        assert ReadOnlyGateway(settings).check_privileges() == "may-write"
        assert any("manage" in r.getMessage() for r in caplog.records)
    finally:
        srv.shutdown()


def test_read_only_credentials_pass() -> None:
    srv, _ = _server({})
    try:
        gw = ReadOnlyGateway(settings_from(env={}, es_url=f"http://127.0.0.1:{srv.server_port}"))
        assert gw.check_privileges() == "read-only"
    finally:
        srv.shutdown()
