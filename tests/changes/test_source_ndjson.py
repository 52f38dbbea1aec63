"""NdjsonFileSource: the SCENARIOS.md changes.ndjson format, strictly."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from incidentbot.changes.sources.base import SourceError
from incidentbot.changes.sources.ndjson_file import NdjsonFileSource

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)

EXAMPLE = {"id": "deploy-8841", "@timestamp": "2026-03-14T14:01:40Z", "kind": "deploy",
           "service": "payments", "title": "payments 2.31.0: connection pool refactor",
           "description": "Moves to a shared pool; max pool size from 50 to 10",
           "author": "release-bot", "source": "github", "url": "https://git.example.com/pay/pull/8841",
           "version": "2.31.0", "previous_version": "2.30.4",
           "files": ["src/db/pool.py", "config/pool.yaml"], "config_keys": ["db.pool.max_size"],
           "environment": "production"}


def write(tmp_path: Path, *docs: object, raw: str = "") -> Path:
    path = tmp_path / "changes.ndjson"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n" + raw, encoding="utf-8")
    return path


def test_reads_the_documented_example(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE, {"id": "cfg-1", "@timestamp": "2026-03-14T10:00:00Z", "kind": "config",
                                     "service": "payments", "title": "old"})
    src = NdjsonFileSource(path)
    [change] = src.fetch(START, END)
    assert change.to_json() == EXAMPLE
    assert src.name == f"file:{path}"


def test_window_includes_both_ends(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    at = datetime(2026, 3, 14, 14, 1, 40, tzinfo=UTC)
    assert len(NdjsonFileSource(path).fetch(at, at)) == 1


def test_naive_timestamp_is_utc(tmp_path: Path) -> None:
    path = write(tmp_path, {**EXAMPLE, "@timestamp": "2026-03-14T14:01:40"})
    [change] = NdjsonFileSource(path).fetch(START, END)
    assert change.timestamp == datetime(2026, 3, 14, 14, 1, 40, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", json.dumps({**EXAMPLE, "kind": "vibes"}),
                                 json.dumps({"id": "x", "@timestamp": "2026-03-14T14:00:00Z"})])
def test_malformed_line_names_file_and_line(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, EXAMPLE, raw="\n" + bad + "\n")
    with pytest.raises(SourceError, match=rf"{path.name} line 3"):
        NdjsonFileSource(path).fetch(START, END)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        NdjsonFileSource(tmp_path / "nope.ndjson").fetch(START, END)
