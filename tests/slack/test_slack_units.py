"""The Slack layer's small parts: dedupe, bounded workers, progress lines, settings, message parsing."""
from __future__ import annotations

import argparse
import threading
from datetime import datetime, timezone

import pytest
from support.fakeslack import BOT_TOKEN, FakeSlackAPI

from incidentbot.core.errors import UsageError
from incidentbot.slack.app import Deps, Workers, build_client
from incidentbot.slack.dedupe import TTLSet, retry_num
from incidentbot.slack.listeners import BUSY, is_from_bot, looks_like_question, start_question, strip_mention
from incidentbot.slack.progress import describe_stage
from incidentbot.slack.serve import require, run
from incidentbot.slack.threads import ThreadMemory


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
        assert not start_question(build_client(BOT_TOKEN, api.url), deps, "C1", "111.222", "why?")
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


def test_progress_lines():
    from incidentbot.evidence.onset import Onset
    from incidentbot.core.intent import Intent, StatusFilter

    t0 = datetime(2026, 3, 20, 9, 30, tzinfo=timezone.utc)
    intent = Intent(question="q", services=["checkout"], start=t0, end=t0.replace(hour=10, minute=0),
                    status=[StatusFilter(low=500, high=599)])
    assert describe_stage("intent", {"intent": intent}) == "searching checkout (5xx) from 09:30 to 10:00 UTC"
    onset = Onset(at=t0.replace(minute=52), index=3, rate_before=0.1, rate_after=5.0, llr=40.0)
    assert describe_stage("evidence", {"hits": 1532, "onset": onset}) == "query ran: 1532 hits; onset found at 09:52"
    assert describe_stage("evidence", {"hits": 0, "onset": None}) == "query ran: 0 hits; no onset found"
    assert describe_stage("ranking", {"suspects": [1, 2]}) == "suspects ranked (2)"
    assert describe_stage("other", {}) is None


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
    from incidentbot.slack.listeners import run_question

    api = FakeSlackAPI().start()
    try:
        rt = Runtime.create(settings_from(env={}, es_url="http://127.0.0.1:9"), env={}, check=False)
        client = build_client(BOT_TOKEN, api.url)
        run_question(client, Deps(rt=rt), "CDOWN", "1.1", "why is checkout failing?", None)
        assert "cannot reach the log store" in final_update(api, "CDOWN").params["text"]
        run_question(client, Deps(rt=None), "CBUG", "1.1", "why is checkout failing?", None)  # type: ignore[arg-type]
        text = final_update(api, "CBUG").params["text"]
        assert "Sorry" in text and "error id" in text
        assert all(c.params["thread_ts"] == "1.1" for c in api.of("chat.postMessage"))
    finally:
        api.stop()


def test_a_failed_question_is_logged_masked(caplog):
    from incidentbot.slack.listeners import run_question

    api = FakeSlackAPI().start()
    pasted = "why?\n2026-03-14 ERROR db login failed password=hunter2 token=ghp_abcdefghijklmnopqrstuvwxyz123456"
    try:
        with caplog.at_level("ERROR", logger="incidentbot.slack.listeners"):
            run_question(build_client(BOT_TOKEN, api.url), Deps(rt=None), "CBUG2", "1.1", pasted, None)  # type: ignore[arg-type]
    finally:
        api.stop()
    assert "investigation failed" in caplog.text and "db login failed" in caplog.text
    assert "hunter2" not in caplog.text and "ghp_abcdefghijklmnopqrstuvwxyz123456" not in caplog.text
