"""When part of the work fails, the answer says which part and gives what is still known."""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from incidentbot.config import settings_from
from incidentbot.pipeline import Runtime, investigate

NAME = "orders-inventory-deploy"


def _slow_proxy(target: str, slow_marker: bytes, delay_s: float) -> ThreadingHTTPServer:
    """Forwards to the search server; requests whose body holds `slow_marker` answer late."""

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if slow_marker in body:
                time.sleep(delay_s)
            req = urllib.request.Request(target + self.path, data=body or None, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    status, headers, data = resp.status, resp.headers, resp.read()
            except urllib.error.HTTPError as exc:
                status, headers, data = exc.code, exc.headers, exc.read()
            try:
                self.send_response(status)
                for key in ("Content-Type", "X-Elastic-Product"):
                    if headers.get(key):
                        self.send_header(key, headers[key])
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_HEAD = _forward

        def log_message(self, *args: object) -> None:
            return None

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_slow_pattern_probes_fall_back_to_sample_estimates(scenarios, es_url) -> None:
    sc = scenarios[NAME]
    proxy = _slow_proxy(es_url, b'"examples"', delay_s=10.0)
    try:
        settings = settings_from(env={}, es_url=f"http://127.0.0.1:{proxy.server_port}", logs_index=sc.logs_index,
                                 changes_index=sc.changes_index, catalog_path=str(sc.catalog_path), at=sc.now)
        settings.request_timeout_s = 4.0
        answer = investigate(sc.questions[0]["ask"], Runtime.create(settings, env={}))
    finally:
        proxy.shutdown()
    assert any("estimates from a sample" in n and "did not answer" in n for n in answer.notes), answer.notes
    assert answer.evidence.patterns and answer.evidence.lines
    assert answer.suspects[0].change.id == sc.questions[0]["expect"]["culprit"]
    assert answer.evidence.onset is not None


def test_a_failing_change_source_is_named_and_the_answer_goes_on(scenarios, es_url, tmp_path) -> None:
    sc = scenarios[NAME]
    broken = tmp_path / "changes.ndjson"
    broken.write_text('{"id": "x", "kind": \n')
    settings = settings_from(env={"INCIDENTBOT_CHANGES_FILE": str(broken)}, es_url=es_url, logs_index=sc.logs_index,
                             changes_index=sc.changes_index, catalog_path=str(sc.catalog_path), at=sc.now)
    rt = Runtime.create(settings)
    answer = investigate(sc.questions[0]["ask"], rt)
    failed = [s for s in answer.sources if not s.ok]
    assert [s.name for s in failed] == [f"file:{broken}"] and "1" in (failed[0].error or "")
    assert any("failed" in n for n in answer.notes)
    assert answer.suspects and answer.suspects[0].change.id == sc.questions[0]["expect"]["culprit"]
