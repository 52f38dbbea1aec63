"""The Slack layer's small parts: dedupe, bounded workers, progress lines, settings, message parsing."""
from __future__ import annotations

import argparse
import threading
from datetime import datetime, timezone

import pytest
from support.fakeslack import BOT_TOKEN, FakeSlackAPI

from incidentbot.core import progress as steps
from incidentbot.core.errors import UsageError
from incidentbot.slack.dedupe import TTLSet, retry_num
from incidentbot.slack.deps import Deps, Workers, build_client
from incidentbot.slack.messages import is_from_bot, looks_like_question, strip_mention
from incidentbot.slack.serve import require, run
from incidentbot.slack.threads import ThreadMemory
from incidentbot.slack.work import BUSY, Ask, run_question, start_question


def test_ttlset_remembers_for_its_ttl_and_its_bound():
    now = [0.0]
    seen = TTLSet(ttl_s=10, max_keys=3, clock=lambda: now[0])
    assert seen.add("a") and not seen.add("a")
    now[0] = 11
    assert seen.add("a"), "forgotten after the TTL"
    for k in "bcd":
        seen.add(k)
    assert len(seen) == 3 and "a" not in seen


def test_retry_header_is_read_whatever_its_shape():
    assert retry_num({"x-slack-retry-num": ["2"]}) == 2
    assert retry_num({"x-slack-retry-num": "1"}) == 1
    assert retry_num({}) is None


def test_workers_limit_each_channel_and_say_busy_in_the_thread():
    api = FakeSlackAPI().start()
    workers = Workers(max_workers=4, per_channel=2)
    release = threading.Event()
    try:
        assert workers.try_submit("C1", release.wait) and workers.try_submit("C1", release.wait)
        assert workers.try_submit("C1", release.wait) is None, "a third question in C1 waits"
        assert workers.try_submit("C2", lambda: None) is not None, "other channels are not starved"
        deps = Deps(rt=None, workers=workers)  # type: ignore[arg-type]
        assert not start_question(build_client(BOT_TOKEN, api.url), deps, Ask("C1", "111.222", "why?"))
        busy = api.of("chat.postMessage", "C1")
        assert busy[0].params["thread_ts"] == "111.222" and busy[0].params["text"] == BUSY
    finally:
        release.set()
        workers.shutdown()
        api.stop()
    assert workers.in_flight() == 0


def test_thread_memory_keeps_the_first_intent_and_is_bounded():
    from incidentbot.core.intent import Intent

    t0 = datetime(2026, 3, 20, 10, tzinfo=timezone.utc)
    mem = ThreadMemory(max_threads=2)
    first = Intent(question="why is orders-api failing?", services=["orders-api"], start=t0, end=t0)
    mem.remember("C1", "1.1", first)
    mem.remember("C1", "1.1", Intent(question="and payments?", services=["payments"], start=t0, end=t0))
    assert mem.context("C1", "1.1") is first
    mem.remember("C1", "2.2", first)
    mem.remember("C1", "3.3", first)
    assert mem.context("C1", "1.1") is None and mem.context("C1", "3.3") is first
    assert mem.context("C1", None) is None


def test_progress_events_read_as_lines_with_their_citations():
    from incidentbot.core.evidence import Histogram, LogEvidence, QueryRecord
    from incidentbot.core.intent import Intent, StatusFilter
    from incidentbot.evidence.onset import Onset

    t0 = datetime(2026, 3, 20, 9, 30, tzinfo=timezone.utc)
    intent = Intent(question="q", services=["checkout"], start=t0, end=t0.replace(hour=10, minute=0),
                    status=[StatusFilter(low=500, high=500)])
    assert steps.counting(intent).doing == "counting checkout status 500 since 09:30"
    onset = Onset(at=t0.replace(minute=52), index=3, rate_before=0.1, rate_after=5.0, llr=40.0)
    ev = LogEvidence(main=QueryRecord(id="Q1", purpose="main", index="logs", body={}, hits=297), onset=onset,
                     histogram=Histogram(start=t0, bucket_s=60, times=[], totals=[], failing=[], query_id="Q2"),
                     affected_services=["orders-api"], service_rates={}, patterns=[], lines=[], concentrations=[],
                     queries=[])
    count, at, patterns = steps.evidence_done(intent, ev)
    assert count.line() == "297 status 500 lines in orders-api [Q1]"
    assert at.line().startswith("onset at 09:52 UTC") and at.citation == ev.onset_source == "Q1"
    assert patterns.line() == "no error pattern stands out" and patterns.citation is None
    assert steps.ranking_done([]).line() == "no change to rank"


def test_message_parsing():
    assert strip_mention("<@UBOT> why is checkout failing &amp; slow?", "UBOT") == "why is checkout failing & slow?"
    assert strip_mention("<@UBOT|incidentbot>   help", "UBOT") == "help"
    assert looks_like_question("and payments?") and looks_like_question("why now")
    assert not looks_like_question("I'm rolling back now")
    assert is_from_bot({"bot_id": "B1"}) and is_from_bot({"subtype": "bot_message"})
    assert is_from_bot({"user": "UBOT"}, "UBOT") and not is_from_bot({"user": "U1"}, "UBOT")


@pytest.mark.parametrize("socket,env,missing", [
    (False, {}, "SLACK_BOT_TOKEN"),
    (False, {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    (True, {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_APP_TOKEN"),
])
def test_missing_slack_settings_are_one_line_usage_errors(socket, env, missing):
    from incidentbot.config import settings_from

    args = argparse.Namespace(socket=socket, http=not socket, port=0, host="127.0.0.1")
    with pytest.raises(UsageError) as err:
        run(args, settings_from(env=env))
    assert missing in str(err.value) and "\n" not in str(err.value)
    assert err.value.exit_code == 2
    with pytest.raises(UsageError):
        require(settings_from(env={"SLACK_BOT_TOKEN": "  "}).slack, "SLACK_BOT_TOKEN")


def test_rate_limited_calls_are_retried():
    api = FakeSlackAPI().start()
    try:
        api.rate_limited["chat.postMessage"] = 1
        resp = build_client(BOT_TOKEN, api.url).chat_postMessage(channel="C1", text="hi")
        assert resp["ok"] and [c.reply == 429 for c in api.of("chat.postMessage", "C1")] == [True, False]
    finally:
        api.stop()


def test_unreachable_log_store_and_unexpected_errors_are_told_in_the_thread():
    from support.fakeslack import final_update

    from incidentbot.config import settings_from
    from incidentbot.pipeline import Runtime

    api = FakeSlackAPI().start()
    try:
        rt = Runtime.create(settings_from(env={}, es_url="http://127.0.0.1:9"), env={}, check=False)
        client = build_client(BOT_TOKEN, api.url)
        run_question(client, Deps(rt=rt, streaming=False), Ask("CDOWN", "1.1", "why is checkout failing?"))
        assert "cannot reach the log store" in final_update(api, "CDOWN").params["text"]
        run_question(client, Deps(rt=None, streaming=False), Ask("CBUG", "1.1", "why is checkout failing?"))  # type: ignore[arg-type]
        text = final_update(api, "CBUG").params["text"]
        assert "Sorry" in text and "error id" in text
        assert all(c.params["thread_ts"] == "1.1" for c in api.of("chat.postMessage"))
    finally:
        api.stop()


def test_feedback_that_cannot_be_stored_is_told_to_the_clicker_only():
    from incidentbot.slack.feedback import take_feedback

    class BrokenSink:
        def record_feedback(self, feedback):
            raise ConnectionError("audit database down")

        def feedback_for(self, investigation_id):
            return []

    api = FakeSlackAPI().start()
    try:
        body = {"user": {"id": "U7"}, "channel": {"id": "C9"}, "container": {"message_ts": "5.5", "thread_ts": "4.4"},
                "message": {"ts": "5.5", "thread_ts": "4.4"}}
        take_feedback(build_client(BOT_TOKEN, api.url), BrokenSink(), body,
                      {"action_id": "feedback_not_helpful", "value": "inv42"})
        said = api.of("chat.postEphemeral", "C9")
        assert len(said) == 1 and said[0].params["user"] == "U7" and said[0].params["thread_ts"] == "4.4"
        assert "could not be stored" in said[0].params["text"] and "error id" in said[0].params["text"]
        take_feedback(build_client(BOT_TOKEN, api.url), BrokenSink(), body,
                      {"action_id": "feedback_cause", "selected_option": {"value": "no-separator"}})
        assert len(api.of("chat.postEphemeral", "C9")) == 1, "a malformed value is dropped, not stored or thanked"
    finally:
        api.stop()


def test_manifest_asks_for_every_event_the_app_listens_to_and_the_agent_view():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_home_opened", "assistant_thread_started", "assistant_thread_context_changed",
            "message.im", "message.channels", "message.groups"} <= events
    features = manifest["features"]
    assert "agent_view" in features and "assistant_view" not in features
    assert features["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"assistant:write", "chat:write", "channels:read", "groups:read", "im:history"} <= scopes
    assert not {s for s in scopes if s.startswith(("users:", "admin", "channels:join", "chat:write.public"))}
    assert {c["command"] for c in features["slash_commands"]} == {"/investigate", "/whatchanged", "/timeline"}


def test_a_failed_question_is_logged_masked(caplog):
    api = FakeSlackAPI().start()
    pasted = "why?\n2026-03-14 ERROR db login failed password=hunter2 token=ghp_abcdefghijklmnopqrstuvwxyz123456"
    try:
        with caplog.at_level("ERROR", logger="incidentbot.slack.work"):
            run_question(build_client(BOT_TOKEN, api.url), Deps(rt=None, streaming=False),  # type: ignore[arg-type]
                         Ask("CBUG2", "1.1", pasted))
    finally:
        api.stop()
    assert "investigation failed" in caplog.text and "db login failed" in caplog.text
    assert "hunter2" not in caplog.text and "ghp_abcdefghijklmnopqrstuvwxyz123456" not in caplog.text


def test_streaming_can_be_turned_off_by_setting():
    from incidentbot.config import settings_from
    from incidentbot.pipeline import Runtime
    from incidentbot.slack.serve import build

    api = FakeSlackAPI().start()
    try:
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": api.url}
        def rt():
            return Runtime.create(settings_from(env={}, es_url="http://127.0.0.1:9"), check=False)

        _, on = build(settings_from(env=env), socket_mode=False, rt=rt())
        _, off = build(settings_from(env={**env, "INCIDENTBOT_SLACK_STREAMING": "false",
                                          "INCIDENTBOT_SLACK_PROGRESS_INTERVAL_S": "2.5",
                                          "INCIDENTBOT_SLACK_PROGRESS_EDITS_PER_MIN": "7"}),
                       socket_mode=False, rt=rt())
    finally:
        api.stop()
    assert on.streaming is True and off.streaming is False
    assert on.pacing.interval == 1.0 and off.pacing.interval == 2.5, "progress edits paced as configured"
    assert on.pacing.per_minute == 40 and off.pacing.per_minute == 7
    with pytest.raises(UsageError) as err:
        settings_from(env={"INCIDENTBOT_SLACK_PROGRESS_INTERVAL_S": "-1"})
    assert "INCIDENTBOT_SLACK_PROGRESS_INTERVAL_S" in str(err.value)
