"""`post_timeline` against a local server that plays Slack's Web API: reads paginated, posts once, uploads once.

The server records every method called; the only write verbs allowed are the
ones that post the answer (chat.postMessage and the three steps of a file upload).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from support.httpserve import LocalHTTPServer, as_bytes, send, started
from support.silentserver import SilentServer
from slack_sdk import WebClient

from incidentbot.core.change import Change, SourceStatus
from incidentbot.config import settings_from
from incidentbot.pipeline import Runtime
from incidentbot.timeline import build as build_mod
from incidentbot.timeline.build import LogFindings
from incidentbot.timeline.slack import post_timeline

HISTORY = Path(__file__).resolve().parents[2] / "fixtures" / "histories" / "pricing-deploy-rollback.history.json"
READS = {"auth.test", "conversations.history", "conversations.replies"}
POSTS = {"chat.postMessage", "files.getUploadURLExternal", "files.completeUploadExternal", "upload"}


class FakeSlack(LocalHTTPServer):
    """conversations.history in pages of 4 (cursor = offset), replies by thread ts, uploads accepted."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.calls: list[tuple[str, dict[str, Any]]] = []
        super().__init__(self._serve)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        method = h.path.rsplit("/", 1)[-1]
        if "json" in (h.headers.get("Content-Type") or ""):
            params = json.loads(raw or b"{}")
        elif h.path.startswith("/upload"):
            params = {"bytes": len(raw), "body": raw.decode("utf-8", "replace")}
        else:
            params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        self.calls.append((method, params))
        send(h, 200, as_bytes(self.reply(method, params, h.server.server_address)))

    def reply(self, method: str, p: dict[str, Any], addr: Any) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "acme", "user_id": "U0BOT"}
        if method == "conversations.history":
            msgs = self.doc["messages"]
            start = int(p.get("cursor") or 0)
            page = msgs[start:start + 4]
            more = start + 4 < len(msgs)
            return {"ok": True, "messages": page, "has_more": more,
                    "response_metadata": {"next_cursor": str(start + 4) if more else ""}}
        if method == "conversations.replies":
            return {"ok": True, "messages": self.doc["replies"].get(p.get("ts"), []), "has_more": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": p.get("channel"), "ts": "1780499999.000100"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}/upload/F1", "file_id": "F1"}
        if method == "F1":
            return {"ok": True}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F1", "title": "timeline"}]}
        return {"ok": False, "error": "unknown_method"}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from started(FakeSlack(json.loads(HISTORY.read_text())))


class _Rt:
    """The runtime's surface post_timeline uses; logs and changes are stubbed below."""

    def __init__(self) -> None:
        self.settings = settings_from(env={})

    def at(self, at: datetime | None = None) -> datetime:
        return at or datetime(2026, 6, 3, 13, 15, tzinfo=timezone.utc)


def test_post_timeline_reads_paginated_and_uploads_the_snippet(slack: FakeSlack, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_WORKSPACE_URL", raising=False)
    onset = datetime(2026, 6, 3, 12, 24, tzinfo=timezone.utc)
    rb = Change.model_validate({"id": "rb-4413", "@timestamp": "2026-06-03T12:41:00Z", "kind": "rollback",
                                "service": "pricing-engine", "title": "rollback pricing-engine to 7.2.5",
                                "description": "Rolling back deploy-4412"})
    monkeypatch.setattr(build_mod, "read_logs", lambda rt, msgs, at: (
        LogFindings(["pricing-engine"], onset=onset, rate_before=0.2, rate_after=11.0), SourceStatus(name="logs", ok=True)))
    monkeypatch.setattr(build_mod, "read_changes", lambda rt, start, end: ([rb], [SourceStatus(name="es", ok=True)]))
    client = WebClient(token="xoxb-test", base_url=slack.url + "/api/")
    post_timeline(client, "C07PRICING", _Rt(), thread_ts="1780489880.000005")
    methods = [m for m, _ in slack.calls]
    assert set(methods) <= READS | POSTS | {"F1"}, methods
    assert methods.count("conversations.history") >= 4  # followed the cursor
    assert "conversations.replies" in methods
    assert methods.count("chat.postMessage") == 1
    post = next(p for m, p in slack.calls if m == "chat.postMessage")
    assert post["channel"] == "C07PRICING" and post["thread_ts"] == "1780489880.000005"
    blocks = json.dumps(post["blocks"])
    assert "12:44" in blocks and "mitigated" in blocks
    complete = next(p for m, p in slack.calls if m == "files.completeUploadExternal")
    assert complete["channel_id"] == "C07PRICING"
    assert "timeline" in json.dumps(complete["files"])
    url_req = next(p for m, p in slack.calls if m == "files.getUploadURLExternal")
    assert url_req["filename"] == "timeline.md" and int(url_req["length"]) > 200
    snippet = next(p["body"] for m, p in slack.calls if m == "F1")
    assert "## Timeline" in snippet and "https://acme.slack.com/archives/C07PRICING/p" in snippet


def test_post_timeline_against_a_silent_store_posts_within_the_deadline_naming_the_check(slack: FakeSlack,
                                                                                       monkeypatch) -> None:
    """A real runtime on a store that accepts connections and never answers: one deadline covers the reply."""
    monkeypatch.delenv("SLACK_WORKSPACE_URL", raising=False)
    deadline_s = 4
    with SilentServer() as silent:
        rt = Runtime.create(settings_from(env={"INCIDENTBOT_ANSWER_DEADLINE_S": str(deadline_s)}, es_url=silent.url,
                                          at="2026-06-03T13:15:00Z"), check=False)
        started_at = time.monotonic()
        post_timeline(WebClient(token="xoxb-test", base_url=slack.url + "/api/"), "C07PRICING", rt)
        took = time.monotonic() - started_at
    assert took < deadline_s + 10, f"the timeline took {took:.1f}s against a {deadline_s}s deadline"
    post = next(p for m, p in slack.calls if m == "chat.postMessage")
    blocks = json.dumps(post["blocks"])
    assert "12:44" in blocks and "mitigated" in blocks, "the channel's own timeline is posted"
    snippet = next(p["body"] for m, p in slack.calls if m == "F1")
    assert "did not answer the version check" in snippet and "INCIDENTBOT_ANSWER_DEADLINE_S" in snippet, snippet
