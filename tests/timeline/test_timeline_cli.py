"""`incidentbot timeline` end to end against the real search server with the fixture scenarios loaded."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from support.servers import parse_json, scenario_args
from incidentbot.answer.verify import citations

HISTORIES = Path(__file__).resolve().parents[2] / "fixtures" / "histories"
NAMES = sorted(p.name.removesuffix(".expect.json") for p in HISTORIES.glob("*.expect.json"))


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", NAMES)
def test_cli_json_timeline(name: str, scenarios: dict, es_url: str, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_WORKSPACE_URL", "https://acme.slack.com")
    sc = scenarios[name]
    ex = json.loads((HISTORIES / f"{name}.expect.json").read_text())
    code, out, err = run_cli("timeline", "--history", str(HISTORIES / f"{name}.history.json"), "--json",
                             "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 0, err
    doc = parse_json(out)
    assert {"entries", "phases", "summary"} <= set(doc)
    assert list(doc["phases"]) == ["onset", "detected", "declared", "mitigated", "resolved"]
    onsets = [e for e in doc["entries"] if e["kind"] == "onset"]
    assert onsets and abs((_t(onsets[0]["time"]) - _t(ex["phases"]["onset"])).total_seconds()) <= 120, onsets
    assert doc["phases"]["onset"] == onsets[0]["time"]
    for phase in ("detected", "declared", "mitigated", "resolved"):
        assert doc["phases"][phase] == ex["phases"][phase]
    for key in ("to_declare", "to_mitigate", "to_resolve"):
        assert doc["durations"][key]["seconds"] == ex["durations"][key]
    times = [e["time"] for e in doc["entries"]]
    assert times == sorted(times)
    ids = {e["id"] for e in doc["entries"]}
    assert citations(doc["summary"]) and set(citations(doc["summary"])) <= ids
    assert any(e["kind"] == "change" for e in doc["entries"])
    assert all(s["ok"] for s in doc["sources"]), doc["sources"]
    assert doc["markdown"].startswith("# Incident timeline")


def test_cli_markdown(scenarios: dict, es_url: str, run_cli) -> None:
    sc = scenarios["pricing-deploy-rollback"]
    code, out, err = run_cli("timeline", "--history", str(HISTORIES / "pricing-deploy-rollback.history.json"),
                             "--markdown", "--channel", "C07PRICING", *scenario_args(sc, es_url))
    assert code == 0, err
    assert "## Phases" in out and "slack:C07PRICING/" in out


def test_missing_or_invalid_file_is_a_usage_error(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    code, out, err = run_cli("timeline", "--history", str(missing), "--json")
    assert code == 2 and str(missing) in err and out == ""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run_cli("timeline", "--history", str(bad), "--json")
    assert code == 2 and str(bad) in err
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"ok": true}')
    code, _, err = run_cli("timeline", "--history", str(wrong))
    assert code == 2 and str(wrong) in err


def test_unreachable_store_still_prints_the_channel_timeline(run_cli) -> None:
    code, out, err = run_cli("timeline", "--history", str(HISTORIES / "pricing-deploy-rollback.history.json"),
                             "--json", "--es-url", "http://127.0.0.1:9", "--logs-index", "logs-x",
                             "--changes-index", "changes-x")
    assert code == 0, err
    doc = parse_json(out)
    logs = next(s for s in doc["sources"] if s["name"] == "logs")
    assert logs["ok"] is False and logs["error"]
    assert doc["phases"]["onset"] is None and doc["phases"]["mitigated"] == "2026-06-03T12:44:05Z"
    assert any("log store" in q for q in doc["open_questions"])
