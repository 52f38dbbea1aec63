"""Bad input gets a clear message and the right exit status, never a traceback."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.servers import FIXTURES, scenario_args

DEMO = "orders-inventory-deploy"


def _sc(scenarios: dict):
    return scenarios.get(DEMO) or next(iter(scenarios.values()))


def test_empty_question_is_a_usage_error(scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    code, out, err = run_cli("ask", "   ", "--json", "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 2
    assert out == ""
    assert "question is empty" in err


def test_emoji_only_question_is_a_usage_error(scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    code, _, err = run_cli("ask", "🔥🔥🔥", "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 2 and "question is empty" in err


def test_unknown_service_names_the_known_ones(scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    known = sorted({d.get("service", {}).get("name") if isinstance(d.get("service"), dict) else d.get("service")
                    for d in sc.logs})
    code, out, err = run_cli("ask", "why is zanzibar-frobnicator service failing?", "--json", "--at", sc.now,
                             *scenario_args(sc, es_url))
    assert code == 2 and out == ""
    assert "zanzibar-frobnicator" in err
    assert all(name in err for name in known[:3])


def test_window_wholly_in_the_future(scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    code, out, err = run_cli("ask", "how many errors between 2099-01-01T00:00:00Z and 2099-01-01T01:00:00Z?",
                             "--json", "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 2 and out == ""
    assert "future" in err


def test_bad_at_is_a_usage_error(run_cli) -> None:
    code, _, err = run_cli("ask", "why?", "--at", "yesterday-ish", "--es-url", "http://127.0.0.1:9")
    assert code == 2 and "ISO 8601" in err


def test_unreachable_store_exits_3_with_one_line(tmp_path: Path) -> None:
    exe = shutil.which("incidentbot") or str(Path(sys.executable).with_name("incidentbot"))
    proc = subprocess.run([exe, "ask", "why is checkout failing?", "--json", "--es-url", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "cannot reach the log store" in lines[0] and "127.0.0.1:9" in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_index_is_a_usage_error(es_url, run_cli) -> None:
    code, out, err = run_cli("ask", "why are errors up?", "--json", "--es-url", es_url, "--logs-index",
                             "logs-does-not-exist-*", "--changes-index", "changes-does-not-exist-*")
    assert code in (0, 2), err
    if code == 2:
        assert "logs-does-not-exist" in err and out == ""


def test_malformed_scenario_names_file_and_line(tmp_path: Path, es_url, run_cli) -> None:
    src = FIXTURES / DEMO
    dst = tmp_path / "broken"
    shutil.copytree(src, dst)
    lines = (dst / "logs.ndjson").read_text().splitlines()
    lines[6] = lines[6][:-5]  # cut the end off the 7th document
    (dst / "logs.ndjson").write_text("\n".join(lines) + "\n")
    code, _, err = run_cli("load", str(dst), "--es-url", es_url)
    assert code == 2
    assert "logs.ndjson:7" in err


def test_scenario_with_bad_change_kind(tmp_path: Path, es_url, run_cli) -> None:
    dst = tmp_path / "badkind"
    shutil.copytree(FIXTURES / DEMO, dst)
    changes = (dst / "changes.ndjson").read_text().splitlines()
    doc = json.loads(changes[0])
    doc["kind"] = "vibes"
    changes[0] = json.dumps(doc)
    (dst / "changes.ndjson").write_text("\n".join(changes) + "\n")
    code, _, err = run_cli("load", str(dst), "--es-url", es_url)
    assert code == 2 and "changes.ndjson:1" in err and "kind" in err


def test_whatchanged_unknown_service(scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    code, out, err = run_cli("whatchanged", "zanzibarfrob 2h", "--json", "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 2 and out == "" and "zanzibarfrob" in err


def test_missing_catalog_file(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("ask", "why?", "--catalog", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json" in err


@pytest.mark.parametrize("text", ['" OR *:*', "<script>alert(1)</script> errors", "errors \\\\ in \\ checkout",
                                  "SELECT * FROM logs; DROP TABLE x", "errors in the last 10 years"])
def test_hostile_text_is_answered_safely(text: str, scenarios, es_url, run_cli) -> None:
    sc = _sc(scenarios)
    code, out, err = run_cli("ask", text, "--json", "--at", sc.now, *scenario_args(sc, es_url))
    assert code in (0, 2), err
    if code == 0:
        ans = json.loads(out)
        body = json.dumps(ans["log_query"]["body"])
        assert "query_string" not in body
        assert ans["log_query"]["body"]["size"] <= 1000
