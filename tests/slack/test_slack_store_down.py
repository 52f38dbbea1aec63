"""A Slack answer while the log store is down lists the changes read from the other sources, like the terminal.

The store is a real silent TCP server (it accepts the connection and never
answers), so the answer's evidence is abandoned at the deadline; the changes
come from a change file, a source outside the store. A mention goes into the
real Bolt app behind the real HTTP endpoint as a signed request; the
assertions read what the fake Slack Web API recorded: the changes' ids are in
the posted answer, newest first and bounded, their titles masked and inert.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.fakeslack import final_update, limits_ok, mention, running_bot, stopped
from support.silentserver import SilentServer

from incidentbot.config import settings_from
from incidentbot.pipeline import Runtime

AT = datetime(2026, 3, 14, 15, 20, tzinfo=timezone.utc)
QUESTION = "why is ledger failing since 15:00?"
SECRET = "ghp_abcdefghijklmnopqrstuvwxyz123456"
N_CHANGES = 13  # more than one answer lists: the oldest are counted, not shown


def changes_file(tmp: Path) -> tuple[Path, list[str]]:
    """Changes four minutes apart before the question; the newest one's title holds a token and a @channel."""
    rows = []
    for i in range(N_CHANGES):
        title = f"ledger 7.{i}.0: batch writes"
        if i == N_CHANGES - 1:
            title += f" token={SECRET} <!channel>"
        rows.append({"id": f"deploy-{5500 + i}", "@timestamp": (AT - timedelta(minutes=70 - 4 * i)).isoformat(),
                     "kind": "deploy", "service": "ledger", "title": title, "author": "sam"})
    path = tmp / "changes.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, [r["id"] for r in reversed(rows)]  # newest first


@pytest.fixture(scope="module")
def silent():
    with SilentServer() as server:
        yield server


def runtime(silent: SilentServer, tmp: Path) -> tuple[Runtime, list[str]]:
    path, ids = changes_file(tmp)
    settings = settings_from(env={"INCIDENTBOT_CHANGES_FILE": str(path), "INCIDENTBOT_ANSWER_DEADLINE_S": "4"},
                             es_url=silent.url, at=AT.isoformat())
    return Runtime.create(settings, check=False), ids  # as `serve` after its start-up check: the store went silent


def assert_listed(posted: str, ids: list[str]) -> None:
    assert "Changes (not ranked: the log store did not answer)" in posted, posted
    shown = [i for i in ids if i in posted]
    assert shown == ids[:10], f"the newest ten, newest first: {shown}"
    assert [posted.index(i) for i in shown] == sorted(posted.index(i) for i in shown), "newest first"
    assert f"and {N_CHANGES - 10} more" in posted
    assert SECRET not in posted and "<!channel>" not in posted, "titles are masked and inert"


def test_the_edited_answer_lists_the_changes_when_the_store_is_silent(silent, tmp_path) -> None:
    rt, ids = runtime(silent, tmp_path)
    with running_bot(rt, streaming=False) as bot:
        assert bot.event(mention("CDOWN", QUESTION)).status == 200
        answer = bot.api.wait_for(lambda a: final_update(a, "CDOWN"), timeout=60)
    blocks = answer.params["blocks"]
    assert limits_ok(blocks)
    posted = json.dumps(blocks, ensure_ascii=False)
    assert "did not answer" in posted and "log store" in posted, "the failed part is named"
    listed = next(b["text"]["text"] for b in blocks if b["type"] == "section" and "not ranked" in b["text"]["text"])
    assert_listed(listed, ids)


def test_the_streamed_answer_lists_the_changes_when_the_store_is_silent(silent, tmp_path) -> None:
    rt, ids = runtime(silent, tmp_path)
    with running_bot(rt, streaming=True) as bot:
        assert bot.event(mention("CDOWNS", QUESTION)).status == 200
        stop = bot.api.wait_for(lambda a: stopped(a, "CDOWNS"), timeout=60)
    markdown = "".join(c.get("text", "") for c in stop.params["chunks"] if c["type"] == "markdown_text")
    assert "No change in the window explains it" not in markdown, "nothing was ranked: no claim about the changes"
    assert_listed(markdown, ids)
