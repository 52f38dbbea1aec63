"""The bot never writes: ask, whatchanged, timeline, config --check and `serve --http` send only reads.

The proxy stands where --es-url points, so whatever library or code path
talks to the store is seen on the wire. Only GET/HEAD, and POST to read
endpoints (_search, _msearch, _count, _field_caps, _mget, _has_privileges...),
may reach it. The `load` command is the one tool that writes, and it is
checked separately (tests/dev/test_load.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support.fakeslack import BOT_TOKEN, SECRET, FakeSlackAPI, event_body, final_update, mention, post
from support.faultproxy import FaultProxy, Seen
from support.servers import FIXTURES, parse_json, scenario_args

from incidentbot.dev.embedded import free_port

SCENARIO = "pricing-deploy-rollback"


@pytest.fixture
def proxy(es_url):
    """The fault proxy with no faults: it forwards everything and records every request."""
    rec = FaultProxy(es_url)
    yield rec
    rec.stop()


def test_the_classifier_tells_reads_from_writes() -> None:
    reads = [Seen("GET", "/"), Seen("HEAD", "/logs-x"), Seen("POST", "/logs-x/_search?size=0"),
             Seen("POST", "/_msearch"), Seen("POST", "/_security/user/_has_privileges")]
    writes = [Seen("POST", "/logs-x/_bulk"), Seen("PUT", "/logs-x"), Seen("DELETE", "/logs-x"),
              Seen("POST", "/logs-x/_doc"), Seen("POST", "/logs-x/_refresh"),
              Seen("POST", "/logs-x/_delete_by_query"), Seen("POST", "/_search/../_bulk")]
    assert all(f.reads for f in reads) and not any(f.reads for f in writes)


def test_cli_commands_only_read(scenarios, proxy, run_cli) -> None:
    sc = scenarios[SCENARIO]
    args = [*scenario_args(sc, proxy.url), "--at", sc.now, "--json"]
    code, out, err = run_cli("ask", sc.questions[0]["ask"], *args)
    assert code == 0, err
    assert parse_json(out)["log_query"]["hits"] > 0
    code, out, err = run_cli("whatchanged", "last 3 hours", *args)
    assert code == 0 and parse_json(out)["changes"], err
    history = FIXTURES / "histories" / f"{SCENARIO}.history.json"
    code, out, err = run_cli("timeline", "--history", str(history), *args)
    assert code == 0 and parse_json(out)["entries"], err
    code, out, err = run_cli("config", "--check", *args)
    assert code == 0 and parse_json(out)["sources"][0]["reachable"] is True, err
    assert "_msearch" in proxy.endpoints()  # the answers did go through the proxy
    assert proxy.writes() == []


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve --http did not become healthy")


def test_serve_http_only_reads(scenarios, proxy) -> None:
    sc = scenarios[SCENARIO]
    api = FakeSlackAPI().start()
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api.url,
           "INCIDENTBOT_NOW": sc.now, "NO_PROXY": "127.0.0.1,localhost",
           "INCIDENTBOT_SLACK_STREAMING": "false"}  # the answer as one final message: what this test reads
    env.pop("OPENAI_API_KEY", None)
    cmd = [sys.executable, "-m", "incidentbot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port),
           *scenario_args(sc, proxy.url)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc)
        body = json.dumps(event_body(mention("CRO", sc.questions[0]["ask"]))).encode()
        assert post(url + "/slack/events", body, "application/json").status == 200
        answer = api.wait_for(lambda a: final_update(a, "CRO"), timeout=120)
        assert "[C1]" in answer.params["text"] or "[Q1]" in answer.params["text"], answer.params["text"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        api.stop()
    assert "_msearch" in proxy.endpoints()
    assert proxy.writes() == []
