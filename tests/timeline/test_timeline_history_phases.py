"""Phases, durations, entries and the narrative from the fixture histories, without a search server.

The expectations (fixtures/histories/*.expect.json) come from the generator,
which knows which messages it wrote as markers; the code under test only sees
the Slack JSON.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from incidentbot.answer.verify import citations
from incidentbot.core.change import Change
from incidentbot.timeline.build import LogFindings, assemble
from incidentbot.timeline.history import History, Message, bound, load_history, parse_messages, permalink
from incidentbot.timeline.markdown import render_markdown
from incidentbot.timeline.phases import PHASES, find_phases, markers
from incidentbot.core.timeutil import parse_instant

ROOT = Path(__file__).resolve().parents[2]
HISTORIES = ROOT / "fixtures" / "histories"
NAMES = sorted(p.name.removesuffix(".expect.json") for p in HISTORIES.glob("*.expect.json"))
SOURCE = re.compile(r"^(?:https://[\w.-]+/archives/C\w+/p\d{16}|slack:C\w+/\d+\.\d{6}|https?://\S+|[\w.-]+-\d+|Q\d+)$")


def _expect(name: str) -> dict:
    return json.loads((HISTORIES / f"{name}.expect.json").read_text())


def _changes(name: str) -> list[Change]:
    lines = (ROOT / "fixtures" / name / "changes.ndjson").read_text().splitlines()
    return [Change.model_validate(json.loads(line)) for line in lines if line.strip()]


def _timeline(name: str, workspace: str | None = None, limit: int = 1000):
    ex = _expect(name)
    history = load_history(HISTORIES / f"{name}.history.json", workspace_url=workspace, limit=limit)
    at = parse_instant(ex["at"])
    logs = LogFindings(["svc"], onset=parse_instant(ex["phases"]["onset"]), rate_before=0.2, rate_after=9.0)
    changes = [c for c in _changes(name) if c.timestamp <= at]
    return ex, history, assemble(history, changes, logs, at, [])


def test_there_are_at_least_three_histories() -> None:
    assert len(NAMES) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_phases_and_durations_exact(name: str) -> None:
    ex, _, tl = _timeline(name)
    assert tl.phases.to_json() == ex["phases"]
    assert {k: v["seconds"] for k, v in tl.durations.items()} == ex["durations"]
    assert list(tl.to_json()["phases"]) == list(PHASES)


@pytest.mark.parametrize("name", NAMES)
def test_every_marker_found_and_negations_mark_nothing(name: str) -> None:
    ex, history, _ = _timeline(name)
    found = {(mk.phase, mk.message.ts) for m in history.messages for mk in markers(m)}
    assert {(m["phase"], m["ts"]) for m in ex["markers"]} == found
    by_ts = {m.ts: m for m in history.messages}
    for ts in ex["not_markers"]:
        if ts in by_ts:  # a deleted message is absent altogether
            assert markers(by_ts[ts]) == [], by_ts[ts].text


@pytest.mark.parametrize("name", NAMES)
def test_entries_in_time_order_with_contract_sources(name: str) -> None:
    _, _, tl = _timeline(name, workspace="https://acme.slack.com")
    out = tl.to_json()
    times = [e["time"] for e in out["entries"]]
    assert times == sorted(times)
    assert [e["id"] for e in out["entries"]] == [f"T{i}" for i in range(1, len(times) + 1)]
    for e in out["entries"]:
        assert set(e) >= {"time", "kind", "text", "source"}
        assert SOURCE.match(e["source"]), e
        if e["kind"] in ("detected", "declared", "mitigated", "resolved", "alert", "finding", "message"):
            assert e["source"].startswith("https://acme.slack.com/archives/C"), e


@pytest.mark.parametrize("name", NAMES)
def test_narrative_citations_resolve(name: str) -> None:
    _, _, tl = _timeline(name)
    ids = {e.id for e in tl.entries}
    cited = citations(tl.summary)
    assert cited and set(cited) <= ids
    for phase in ("detected", "declared", "mitigated", "resolved"):
        entry = tl.phase_entry(phase)
        if entry:
            assert f"[{entry.id}]" in tl.summary


def test_open_questions() -> None:
    _, _, ledger = _timeline("ledger-canary-deploy")
    joined = " | ".join(ledger.open_questions)
    assert "no mitigation recorded yet" in joined and "not resolved yet" in joined
    assert "deploy-4412 was not rolled back" in joined
    assert "precedes the first alert by 5m 40s" in joined
    _, _, pricing = _timeline("pricing-deploy-rollback")
    assert not any("rolled back" in q for q in pricing.open_questions), pricing.open_questions


def test_long_history_bounded_keeps_every_marker() -> None:
    ex = _expect("booking-availability-pool")
    assert ex["messages"] >= 300
    history = load_history(HISTORIES / "booking-availability-pool.history.json", limit=50)
    assert len(history.messages) == 50 and history.omitted > 500 and history.notes
    found = {(mk.phase, mk.message.ts) for m in history.messages for mk in markers(m)}
    assert {(m["phase"], m["ts"]) for m in ex["markers"]} <= found
    assert find_phases(history.messages, parse_instant(ex["phases"]["onset"])).to_json() == ex["phases"]


def test_markdown_export() -> None:
    _, _, tl = _timeline("pricing-deploy-rollback", workspace="https://acme.slack.com")
    md = render_markdown(tl)
    for section in ("# Incident timeline", "## Phases", "## Timeline", "## Open questions", "## Narrative"):
        assert section in md
    assert "](https://acme.slack.com/archives/C07PRICING/p" in md
    assert "[rb-4413]" not in md or "rollback" in md
    assert "| to mitigate | detected | mitigated | 16m 52s |" in md


def _msg(text: str, bot: str | None = None) -> Message:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Message("1767225600.000100", now, bot or "U1", text, bot is not None, "C1", "slack:C1/1", bot_name=bot)


@pytest.mark.parametrize("text", [
    "is it mitigated?", "not resolved yet", "not mitigated", "we haven't rolled back yet", "should we roll back?",
    "once it's mitigated we can close", "is this resolved yet", "still not resolved", "let's declare a SEV2 if it continues",
    "the lookup resolved to the old address", "yesterday's incident was resolved", "rollback is not complete",
    "are we declaring an incident?", "not seeing errors on checkout",
])
def test_negations_questions_and_plans_mark_nothing(text: str) -> None:
    assert markers(_msg(text)) == []


@pytest.mark.parametrize("text,phase", [
    ("seeing 500s on checkout", "detected"), ("checkout is down", "detected"),
    ("anyone else seeing timeouts from payments?", "detected"), ("declaring SEV2", "declared"),
    ("/incident declare checkout errors", "declared"), ("this is a SEV1", "declared"),
    ("declared an incident for the checkout errors", "declared"), ("mitigated by failing over", "mitigated"),
    ("rolled back payments to 4.1", "mitigated"), ("rollback complete", "mitigated"),
    ("error rate back to normal", "mitigated"), ("impact stopped at 14:40", "mitigated"),
    ("no longer seeing errors", "mitigated"), ("resolved", "resolved"), ("all clear", "resolved"),
    ("closing the incident", "resolved"),
])
def test_people_phrases(text: str, phase: str) -> None:
    assert [m.phase for m in markers(_msg(text))] == [phase]


@pytest.mark.parametrize("text,vendor,phase", [
    ("Triggered #12: checkout 5xx", "PagerDuty", "detected"), ("Resolved #12: checkout 5xx", "PagerDuty", "resolved"),
    ("[FIRING:2] HighErrorRate", "Alertmanager", "detected"), ("[RESOLVED] HighErrorRate", "Grafana", "resolved"),
    ("Alert: checkout error rate above 5%", "Datadog", "detected"), ("web-1 HTTP is CRITICAL", "Nagios", "detected"),
    ("[Opsgenie] Alert created: checkout", "Opsgenie", "detected"), ("Recovered: [P2] checkout", "Datadog", "resolved"),
])
def test_alert_posts(text: str, vendor: str, phase: str) -> None:
    assert [m.phase for m in markers(_msg(text, vendor))] == [phase]


def test_edited_deleted_and_duplicate_messages() -> None:
    raws = [
        {"type": "message", "user": "U1", "text": "rolled back", "ts": "1767225600.000100"},
        {"type": "message", "subtype": "message_changed", "hidden": True, "ts": "1767225660.000200",
         "message": {"type": "message", "user": "U1", "text": "not rolled back yet", "ts": "1767225600.000100",
                     "edited": {"user": "U1", "ts": "1767225660.000200"}}},
        {"type": "message", "user": "U2", "text": "resolved", "ts": "1767225700.000300"},
        {"type": "message", "subtype": "message_deleted", "hidden": True, "deleted_ts": "1767225700.000300",
         "ts": "1767225710.000400"},
        {"type": "message", "subtype": "tombstone", "text": "This message was deleted.", "ts": "1767225720.000500",
         "reply_count": 2},
        {"type": "message", "subtype": "channel_join", "user": "U3", "text": "<@U3> has joined", "ts": "1767225730.000600"},
        {"type": "message", "user": "U4", "text": "seeing <https://x.io/d|5xx on checkout> &amp; timeouts",
         "ts": "1767225740.000700", "thread_ts": "1767225720.000500", "subtype": "thread_broadcast"},
        {"type": "message", "user": "U4", "text": "seeing <https://x.io/d|5xx on checkout> &amp; timeouts",
         "ts": "1767225740.000700", "thread_ts": "1767225720.000500"},
    ]
    msgs = parse_messages(raws, "C1", None)
    assert [m.text for m in msgs] == ["not rolled back yet", "seeing 5xx on checkout & timeouts"]
    assert msgs[1].source == "slack:C1/1767225740.000700"
    assert permalink("C123", "1710425352.000100", "https://x.slack.com/") == \
        "https://x.slack.com/archives/C123/p1710425352000100"
    assert bound(History("C1", msgs), 1).messages[0].text.startswith("seeing")


def test_attachment_text_is_read() -> None:
    raw = {"type": "message", "subtype": "bot_message", "bot_id": "B1", "username": "PagerDuty", "text": "",
           "ts": "1767225600.000100", "attachments": [{"fallback": "x", "title": "Triggered #9: api down",
                                                        "text": "Service: api", "color": "danger"}]}
    (msg,) = parse_messages([raw], "C1", None)
    assert msg.is_bot and "Triggered #9" in msg.text and "Service: api" in msg.text
    assert [m.phase for m in markers(msg)] == ["detected"]
