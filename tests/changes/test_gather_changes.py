"""gather_changes: concurrent, bounded, and a broken source never sinks the others."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from support.fakehttp import FakeServer, json_reply, refused_url
from support.fakehttp import fake_env, server  # noqa: F401  (pytest fixtures)

from incidentbot.changes.gather import gather_changes
from incidentbot.core.change import Change
from incidentbot.changes.sources.argocd import ArgoCDSource
from incidentbot.changes.sources.launchdarkly import LaunchDarklySource
from incidentbot.changes.sources.ndjson_file import NdjsonFileSource

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)


def line(cid: str, when: str, title: str = "t") -> str:
    return json.dumps({"id": cid, "@timestamp": when, "kind": "deploy", "service": "payments", "title": title})


def ndjson(tmp_path: Path, name: str, *lines: str) -> NdjsonFileSource:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return NdjsonFileSource(path)


def argo_app() -> dict:
    return {"metadata": {"name": "checkout", "namespace": "argocd"},
            "status": {"history": [{"id": 1, "revision": "1.4.2", "deployedAt": "2026-03-14T14:05:00Z",
                                    "source": {"repoURL": "https://charts.example.com", "chart": "checkout"}}]}}


def test_down_and_hanging_sources_do_not_sink_the_others(tmp_path: Path, server: FakeServer) -> None:
    server.route("/api/v1/applications", json_reply({"items": [argo_app()]}))
    hang = FakeServer().start()
    hang.route("/api/v2/auditlog", json_reply({"items": []}, delay_s=3))
    try:
        sources = [
            ndjson(tmp_path, "a.ndjson", line("deploy-1", "2026-03-14T14:01:40Z")),
            ArgoCDSource(server.url, "t"),
            ArgoCDSource(refused_url(), "t", attempts=2),
            LaunchDarklySource("k", base_url=hang.url, timeout_s=2, attempts=1),
        ]
        sources[2].name = "argocd-down"
        began = time.monotonic()
        changes, statuses = gather_changes(sources, START, END, timeout_s=1.0)
        elapsed = time.monotonic() - began
    finally:
        hang.stop()

    assert elapsed < 2.0
    assert [c.id for c in changes] == ["argocd:checkout:history:1", "deploy-1"]
    by_name = {s.name: s for s in statuses}
    assert [s.name for s in statuses] == [src.name for src in sources]
    assert by_name[sources[0].name].ok and by_name[sources[0].name].count == 1
    assert by_name["argocd"].ok and by_name["argocd"].count == 1
    down = by_name["argocd-down"]
    assert not down.ok and "cannot reach" in down.error
    slow = by_name["launchdarkly"]
    assert not slow.ok and "timed out after" in slow.error
    assert server.methods() == {"GET"} and hang.methods() == {"GET"}


def test_dedup_first_source_wins_and_newest_first(tmp_path: Path) -> None:
    first = ndjson(tmp_path, "first.ndjson", line("deploy-1", "2026-03-14T14:00:00Z", "from first"),
                   line("cfg-1", "2026-03-14T13:30:00Z"))
    second = ndjson(tmp_path, "second.ndjson", line("deploy-1", "2026-03-14T14:00:00Z", "from second"),
                    line("deploy-2", "2026-03-14T14:10:00Z"), line("old", "2026-03-14T09:00:00Z"))
    changes, statuses = gather_changes([first, second], START, END)
    assert [c.id for c in changes] == ["deploy-2", "deploy-1", "cfg-1"]
    assert changes[1].title == "from first"
    assert [s.count for s in statuses] == [2, 2]


class Exploding:
    name = "exploding"

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        raise RuntimeError("boom")


class Sloppy:
    """Returns a change outside the window: gather still keeps the window exact."""

    name = "sloppy"

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        return [Change(id="late", timestamp=datetime(2026, 3, 15, tzinfo=UTC), kind="manual", service="x", title="late")]


def test_unexpected_errors_and_sloppy_sources() -> None:
    changes, statuses = gather_changes([Exploding(), Sloppy()], START, END)
    assert changes == []
    assert statuses[0].ok is False and statuses[0].error == "RuntimeError: boom"
    assert statuses[1].ok is True and statuses[1].count == 0


def test_sources_run_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=2)

    class Waiting:
        def __init__(self, name: str) -> None:
            self.name = name

        def fetch(self, start: datetime, end: datetime) -> list[Change]:
            barrier.wait()  # only passes when all three run at once
            return []

    _, statuses = gather_changes([Waiting("a"), Waiting("b"), Waiting("c")], START, END, timeout_s=3)
    assert all(s.ok for s in statuses)


def test_no_sources_and_bad_windows() -> None:
    assert gather_changes([], START, END) == ([], [])
    with pytest.raises(ValueError):
        gather_changes([], datetime(2026, 3, 14), END)
    with pytest.raises(ValueError):
        gather_changes([], END, START)
