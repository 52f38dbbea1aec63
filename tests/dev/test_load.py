"""`incidentbot load`: says it writes, refuses the indices the bot reads unless --force, and loads through bulk."""
from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from support.servers import FIXTURES

from incidentbot.dev.scenario import read_scenario

SOURCE = "orders-inventory-deploy"


def _copy(tmp_path: Path, name: str) -> Path:
    """A fixture under a new name, so loading it cannot disturb the session's scenarios."""
    dst = tmp_path / name
    shutil.copytree(FIXTURES / SOURCE, dst)
    meta = json.loads((dst / "scenario.json").read_text())
    meta["name"] = name
    (dst / "scenario.json").write_text(json.dumps(meta))
    return dst


def _count(es_url: str, index: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{es_url}/{index}/_count", timeout=30) as resp:
            return int(json.loads(resp.read())["count"])
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
        return None


def test_load_refuses_what_the_bot_reads_and_writes_nothing(tmp_path, es_url, run_cli) -> None:
    folder = _copy(tmp_path, "loadtest-refused")
    code, out, err = run_cli("load", str(folder), "--es-url", es_url)
    assert code == 2 and out == ""
    assert "WRITES" in err and "logs-loadtest-refused matches logs-*" in err and "--force" in err
    assert _count(es_url, "logs-loadtest-refused") is None and _count(es_url, "changes-loadtest-refused") is None


def test_load_writes_elsewhere_or_when_forced(tmp_path, es_url, run_cli) -> None:
    folder = _copy(tmp_path, "loadtest-ok")
    sc = read_scenario(folder)
    code, _, err = run_cli("load", str(folder), "--es-url", es_url, "--logs-index", "app-logs-*",
                           "--changes-index", "deploys-*")
    assert code == 0, err
    assert "WRITES" in err and f"loaded {len(sc.logs)} documents into logs-loadtest-ok" in err
    assert _count(es_url, "logs-loadtest-ok") == len(sc.logs)
    assert _count(es_url, "changes-loadtest-ok") == len(sc.changes)
    code, _, err = run_cli("load", str(folder), "--es-url", es_url, "--force")  # replaces, never appends
    assert code == 0, err
    assert _count(es_url, "logs-loadtest-ok") == len(sc.logs)
