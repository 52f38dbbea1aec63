"""The answer deadline covers start-up: a store that accepts connections and never answers.

Before the pipeline starts, `incidentbot ask` asks the store which server it is
(the version check) and what its credentials may do (the privilege check).
Against a store that accepts the connection and then says nothing, those
checks once had their own, longer timeouts; now they count against the one
answer deadline (INCIDENTBOT_ANSWER_DEADLINE_S), so the answer comes back
within it, names the check the store did not answer, and still lists what is
known without the store: the changes from a change source outside it. `timeline`
shares one such deadline from its first step too.

Run as a real process against a real silent TCP server; the bound on the
wall time is generous (the deadline plus 10 s for start-up on a busy
machine): the assertion is that the answer returns, not how fast.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.silentserver import SilentServer

DEADLINE_S = 4
AT = "2026-03-14T15:20:00Z"
CHANGE = {"id": "deploy-5521", "@timestamp": "2026-03-14T14:58:00Z", "kind": "deploy", "service": "ledger",
          "title": "ledger 7.1.0: batch writes", "author": "sam"}


def run(tmp_path: Path, *argv: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    changes = tmp_path / "changes.ndjson"
    changes.write_text(json.dumps(CHANGE) + "\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTBOT_", "OPENAI_", "SLACK_"))}
    environ.update({"INCIDENTBOT_ANSWER_DEADLINE_S": str(DEADLINE_S), "INCIDENTBOT_CHANGES_FILE": str(changes),
                    "INCIDENTBOT_DB_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}", **env})
    exe = shutil.which("incidentbot") or str(Path(sys.executable).with_name("incidentbot"))
    started = time.monotonic()
    proc = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=120, env=environ)
    return proc, time.monotonic() - started


def json_against_a_silent_store(tmp_path: Path, *argv: str, **env: str) -> tuple[dict, str, str]:
    """A command's --json output against a silent store, once it returned (exit 0) within a generous bound;
    with its standard error and the store's URL."""
    with SilentServer() as silent:
        proc, took = run(tmp_path, *argv, "--json", "--es-url", silent.url, **env)
        asked = len(silent.accepted)
    assert took < DEADLINE_S + 10, f"{argv[0]} took {took:.1f}s against a {DEADLINE_S}s deadline"
    assert asked >= 1, "the store was never asked"
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr, silent.url


@pytest.mark.parametrize("backend, part", [("auto", "version check"), ("elasticsearch", "privilege check")])
def test_ask_against_a_silent_store_answers_within_the_deadline_with_the_changes(tmp_path, backend, part) -> None:
    answer, stderr, url = json_against_a_silent_store(tmp_path, "ask", "why is ledger failing since 15:00?",
                                                      "--at", AT, INCIDENTBOT_BACKEND=backend)
    store = next(s for s in answer["sources"] if s["name"] == "log store")
    assert store["ok"] is False and f"did not answer the {part}" in store["error"]
    assert url in store["error"] and "INCIDENTBOT_ANSWER_DEADLINE_S" in store["error"]
    assert [c["id"] for c in answer["changes"]] == [CHANGE["id"]], "what is known without the store is listed"
    assert next(s for s in answer["sources"] if s["name"].startswith("file:"))["ok"] is True
    assert "did not answer in time" in answer["summary"]
    assert f"did not answer the {part}" in stderr and "Traceback" not in stderr


def test_ask_in_the_terminal_names_the_check_and_lists_the_changes(tmp_path) -> None:
    with SilentServer() as silent:
        proc, took = run(tmp_path, "ask", "why is ledger failing since 15:00?", "--es-url", silent.url, "--at", AT)
    assert took < DEADLINE_S + 10
    assert proc.returncode == 0, proc.stderr
    assert "log store FAILED: the log store at" in proc.stdout and "did not answer the version check" in proc.stdout
    changes = proc.stdout.split("Changes (not ranked", 1)[1]
    assert CHANGE["id"] in changes and CHANGE["title"] in changes


def test_whatchanged_against_a_silent_store_lists_the_other_sources(tmp_path) -> None:
    with SilentServer() as silent:
        proc, took = run(tmp_path, "whatchanged", "2h", "--json", "--es-url", silent.url, "--at", AT)
    assert took < DEADLINE_S + 10
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [c["id"] for c in report["changes"]] == [CHANGE["id"]]
    failed = [s for s in report["sources"] if not s["ok"]]
    assert failed and all("did not answer the version check" in s["error"] for s in failed)


def test_config_check_names_a_silent_store_within_the_deadline(tmp_path) -> None:
    with SilentServer() as silent:
        proc, took = run(tmp_path, "config", "--check", "--json", "--es-url", silent.url)
    assert took < DEADLINE_S + 10
    assert proc.returncode == 3, proc.stderr
    store = next(s for s in json.loads(proc.stdout)["sources"] if s["kind"] == "log store")
    assert store["reachable"] is False and "did not answer the version check" in store["detail"]


def test_timeline_against_a_silent_store_names_the_check_and_keeps_the_channel(tmp_path) -> None:
    """`timeline` starts the deadline at its first step too: the channel's timeline, the silent check named."""
    history = Path(__file__).resolve().parents[1] / "fixtures" / "histories" / "pricing-deploy-rollback.history.json"
    doc, stderr, url = json_against_a_silent_store(tmp_path, "timeline", "--history", str(history))
    logs = next(s for s in doc["sources"] if s["name"] == "logs")
    assert logs["ok"] is False and "did not answer the version check" in logs["error"]
    assert url in logs["error"] and "INCIDENTBOT_ANSWER_DEADLINE_S" in logs["error"], "the answer's deadline"
    assert next(s for s in doc["sources"] if s["name"].startswith("file:"))["ok"] is True
    assert doc["phases"]["mitigated"] == "2026-06-03T12:44:05Z", "the channel's own timeline is kept"
    assert any("log store" in q for q in doc["open_questions"])
    assert "the logs could not be read" in stderr and "did not answer the version check" in stderr
    assert "Traceback" not in stderr
