"""The CLI always exits (issue 13, item 3), and the small CLI defects of item 14.

Before: with the NDJSON source pointed at a FIFO, or a vendor API trickling
bytes, the answer printed but the process never exited (executor threads are
joined at exit). Each case runs the real command in a subprocess with a
timeout: a hang fails the test.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.faultproxy import Store, Trickler, store  # noqa: F401 - the fixture
from support.servers import parse_json

pytestmark = pytest.mark.integration  # one noida-db with one scenario (support/faultproxy.py)

EXE = str(Path(sys.executable).with_name("incidentbot"))


def _run(st: Store, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    sc = st.scenario
    base = ["--es-url", st.url, "--logs-index", sc.logs_index, "--changes-index", sc.changes_index, "--at", sc.now]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INCIDENTBOT_", "LAUNCHDARKLY_", "ARGOCD_"))}
    return subprocess.run([EXE, *command, *base], capture_output=True, text=True, timeout=90,
                          env={**clean, "INCIDENTBOT_CHANGES_DEADLINE_S": "2", **env})


@pytest.mark.parametrize("command", [["ask", "why is orders-api throwing 500s?", "--json"], ["whatchanged", "--json"]])
def test_a_fifo_change_file_does_not_keep_the_process_alive(store: Store, tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "changes.ndjson"
    os.mkfifo(fifo)
    proc = _run(store, command, {"INCIDENTBOT_CHANGES_FILE": str(fifo)})
    assert proc.returncode == 0, proc.stderr
    doc = parse_json(proc.stdout)
    failed = {s["name"]: s.get("error") for s in doc["sources"] if not s["ok"]}
    assert failed == {f"file:{fifo}": "timed out after 2s"}


def test_a_trickling_vendor_api_does_not_keep_the_process_alive(store: Store) -> None:
    vendor = Trickler()  # headers, then one byte a second, for ten minutes
    try:
        proc = _run(store, ["whatchanged", "--json"], {"LAUNCHDARKLY_API_TOKEN": "api-x",
                                                      "LAUNCHDARKLY_API_URL": vendor.url})
    finally:
        vendor.stop()
    assert proc.returncode == 0, proc.stderr
    doc = parse_json(proc.stdout)
    ld = next(s for s in doc["sources"] if s["name"] == "launchdarkly")
    assert not ld["ok"] and "timed out" in ld["error"]
    assert any(s["ok"] for s in doc["sources"])  # the change index still answered


def test_at_year_one_is_a_usage_error(run_cli) -> None:
    code, out, err = run_cli("ask", "why errors?", "--at", "0001-01-01T00:00:00Z")
    assert code == 2 and "between the years" in err and "internal error" not in err


def test_whatchanged_end_before_start_is_a_usage_error(store: Store) -> None:
    proc = _run(store, ["whatchanged", "--start", "09:30", "--end", "09:00"], {})
    assert proc.returncode == 2 and "is before --start" in proc.stderr


def test_whatchanged_accepts_clock_times_on_the_day_asked(store: Store) -> None:
    sc = store.scenario
    proc = _run(store, ["whatchanged", "--start", "00:00", "--end", sc.now[11:16], "--json"], {})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["start"] == sc.now[:10] + "T00:00:00Z" and doc["changes"]


@pytest.mark.parametrize("phrase", ["in the last -5 minutes", "between 25:00 and 26:00", "tomorrow"])
def test_an_unreadable_window_is_said_not_silently_replaced(store: Store, phrase: str) -> None:
    proc = _run(store, ["ask", f"why is orders-api throwing 500s {phrase}?", "--json"], {})
    assert proc.returncode == 0, proc.stderr
    notes = parse_json(proc.stdout)["notes"]
    assert any(n.startswith("could not read the time in") for n in notes), notes
