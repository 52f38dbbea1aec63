"""A store too slow for part of an answer: the rest is answered, and the answer says what is missing.

A local proxy in front of the real server holds back the searches that ask
for a date histogram (the rate round, and the probes' per-bucket counts) for
longer than the request timeout; everything else passes. The question is
still answered through `ask --json`, exit 0, with its exact count, no onset,
and notes that name what timed out, instead of failing as "unreachable".
"""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.servers import one_server, parse_json, scenario_args

pytestmark = one_server()
HOLD_S = 6.0


class HoldingProxy:
    """Forwards to `target`; an _msearch whose body asks for a date_histogram is held HOLD_S first."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.held = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "_msearch" in self.path and b"date_histogram" in body:
                    proxy.held += 1
                    time.sleep(HOLD_S)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                req = urllib.request.Request(proxy.target + self.path, data=body or None, method=self.command,
                                             headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:
                        status, reply_headers, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as exc:
                    status, reply_headers, data = exc.code, exc.headers, exc.read()
                except OSError:  # the client gave up (its timeout) and the test is ending
                    return
                try:
                    self.send_response(status)
                    for key in ("Content-Type", "X-Elastic-Product"):
                        if reply_headers.get(key):
                            self.send_header(key, reply_headers[key])
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_HEAD = _forward

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda *a: None  # type: ignore[method-assign]  # a client that hung up
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_the_rest_is_answered_when_the_rate_round_times_out(es_url, scenarios, run_cli, monkeypatch):
    sc = scenarios["ledger-canary-deploy"]
    proxy = HoldingProxy(es_url)
    monkeypatch.setenv("INCIDENTBOT_ES_TIMEOUT_S", "3")
    try:
        args = scenario_args(sc, proxy.url)
        q = next(q for q in sc.questions if q["ask"].startswith("how many 5xx"))
        code, out, err = run_cli("ask", q["ask"], "--at", sc.now, "--json", *args)
        assert code == 0, err
        ans = parse_json(out)
        assert ans["log_query"]["hits"] == q["expect"]["hits"]  # the count is exact all the same
        assert ans["onset"] is None and proxy.held >= 1
        notes = " ".join(ans["notes"])
        assert "rate histograms timed out" in notes and "lean answer" in notes
        assert f"[{ans['log_query']['id']}]" in ans["summary"]
    finally:
        proxy.stop()
