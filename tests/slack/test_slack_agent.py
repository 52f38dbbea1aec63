"""The agent surfaces end to end: streamed answers with steps, the assistant pane, feedback, App Home.

Signed requests shaped as Slack documents them go into the real Bolt app
behind the real HTTP endpoint; the real pipeline answers from a loaded
fixture; the assertions read the Web API calls the fake Slack recorded.
"""
from __future__ import annotations

import json
import re
import time

from support.fakeslack import (
    BOT_ID,
    BOT_USER,
    QUESTION,
    SCENARIO,
    BotServer,
    FakeSlackAPI,
    chunks_of,
    home_opened,
    limits_ok,
    mention,
    message,
    bot_fixture,
    runtime_for,
    stopped,
    thread_started,
)
from support.servers import one_server

from incidentbot.config import settings_from
from incidentbot.core.feedback import NONE_OF_THESE, MemoryFeedbackSink
from incidentbot.pipeline import recent_failing_services
from incidentbot.slack.assistant import GREETING

pytestmark = one_server()


# The bot on a workspace that streams, keeping feedback in memory (the feedback tests read it).
bot = bot_fixture(feedback=MemoryFeedbackSink())


def elements(blocks, action_id):
    return [el for b in blocks if b["type"] == "actions" for el in b["elements"] if el["action_id"] == action_id]


def tasks(api, channel):
    """task_update chunks by step id, in the order they were streamed."""
    out: dict[str, list[dict]] = {}
    for chunk in chunks_of(api, channel):
        if chunk.get("type") == "task_update":
            out.setdefault(chunk["id"], []).append(chunk)
    return out


def test_mention_streams_each_step_then_the_answer_with_feedback(bot):
    api, channel = bot.api, "CSTREAM"
    api.rate_limited["chat.appendStream"] = 1
    ev = mention(channel, QUESTION)
    assert bot.event(ev).status == 200
    stop = api.wait_for(lambda a: stopped(a, channel))
    assert [c.reply for c in api.of("chat.appendStream", channel)][0] == 429, "a 429 mid-stream is waited out"
    start = api.of("chat.startStream", channel)[0]
    assert start.params["thread_ts"] == ev["ts"] and start.params["recipient_user_id"] == "U1"
    assert start.params["recipient_team_id"] == "T1" and start.params["task_display_mode"] == "timeline"
    assert start.params["chunks"][0]["type"] == "plan_update"
    steps = tasks(api, channel)
    assert list(steps) == ["fields", "count", "onset", "patterns", "changes", "ranking"]
    assert all(s[0]["status"] == "pending" and s[-1]["status"] == "complete" for s in steps.values())
    count = steps["count"][-1]["output"]
    assert re.search(r"^\d+ status 503 lines in .*shipping-api.*\[Q1\]$", count), count
    assert "[C1]" in steps["ranking"][-1]["output"]
    assert any(c["status"] == "in_progress" and "counting shipping-api" in (c.get("details") or "")
               for c in steps["count"])
    appends = api.of("chat.appendStream", channel)
    assert appends and all(a.at <= stop.at and a.params["ts"] == start.reply["ts"] for a in appends)
    markdown = "".join(c.get("text", "") for c in stop.params["chunks"] if c["type"] == "markdown_text")
    assert "[Q1]" in markdown and "**Suspects**" in markdown and "1. [C1]" in markdown
    assert not api.of("chat.postMessage", channel), "the stream is the only reply"
    blocks = stop.params["blocks"]
    assert limits_ok(blocks)
    investigation = elements(blocks, "feedback_helpful")[0]["value"]
    assert elements(blocks, "feedback_not_helpful")[0]["value"] == investigation
    options = [o["value"] for o in elements(blocks, "feedback_cause")[0]["options"]]
    assert options[-1] == f"{investigation}|none" and all(o.startswith(investigation + "|") for o in options)
    assert len(options) >= 2 and "show_evidence" in json.dumps(blocks)

    # feedback: stored through the sink, acknowledged to the clicker only, in the answer's thread
    sink = bot.deps.feedback
    bot.action("feedback_helpful", investigation, channel, start.reply["ts"], thread_ts=ev["ts"])
    bot.action("feedback_cause", options[0], channel, start.reply["ts"], thread_ts=ev["ts"], select=True)
    bot.action("feedback_cause", options[-1], channel, start.reply["ts"], thread_ts=ev["ts"], select=True, user="U2")
    said = api.wait_for(lambda a: len(a.of("chat.postEphemeral", channel)) == 3 and a.of("chat.postEphemeral", channel))
    assert all(s.params["thread_ts"] == ev["ts"] for s in said)
    assert {s.params["user"] for s in said} == {"U1", "U2"}
    kept = sink.feedback_for(investigation)
    assert [f.helpful for f in kept] == [True, None, None]
    assert kept[1].cause_change_id == options[0].split("|", 1)[1] and kept[2].cause_change_id == NONE_OF_THESE
    assert kept[0].channel == channel and kept[0].thread_ts == ev["ts"] and kept[2].user == "U2"
    assert options[0].split("|", 1)[1] in said[1].params["text"] and "none of the listed" in said[2].params["text"]


def test_a_stream_that_breaks_midway_ends_as_the_full_answer_with_a_note(bot):
    api, channel = bot.api, "CBREAK"
    api.break_stream_after = 2
    try:
        ev = mention(channel, QUESTION)
        bot.event(ev)
        start = api.wait_for(lambda a: a.of("chat.startStream", channel))[0]
        final = api.wait_for(lambda a: a.of("chat.update", channel))[0]
    finally:
        api.break_stream_after = None
    assert final.params["ts"] == start.reply["ts"], "the streamed message itself becomes the answer"
    shown = json.dumps(final.params["blocks"])
    assert "broke off (message_not_in_streaming_state)" in shown and "complete answer" in shown
    assert "[C1]" in shown and "feedback_cause" in shown and limits_ok(final.params["blocks"])
    assert not api.of("chat.postMessage", channel), "no second reply"
    refused = [c for c in api.of("chat.appendStream", channel) if not c.reply["ok"]]
    assert len(refused) == 1, "after the first refusal the stream is not pushed again"


def test_a_question_that_fails_while_streaming_says_what_was_found_and_why(bot):
    api, channel = bot.api, "CFAILSTREAM"
    bot.event(mention(channel, "why is zanzibar service failing?"))
    stop = api.wait_for(lambda a: stopped(a, channel))
    text = "".join(c.get("text", "") for c in stop.params["chunks"] if c["type"] == "markdown_text")
    assert "can't answer that as asked" in text and "zanzibar" in text
    errored = {c["id"] for c in stop.params["chunks"] if c["type"] == "task_update" and c["status"] == "error"}
    assert {"count", "onset", "patterns", "changes", "ranking"} <= errored


def test_assistant_thread_greets_with_prompts_from_the_data_and_the_channel(bot):
    api = bot.api
    api.channel_names["CINC1"] = "inc-2231-dns"
    bot.event(thread_started("DASSIST1", "1773100000.000100", from_channel="CINC1"))
    prompts = api.wait_for(lambda a: a.of("assistant.threads.setSuggestedPrompts"))[0].params
    greeting = api.of("chat.postMessage", "DASSIST1")[0].params
    assert greeting["thread_ts"] == "1773100000.000100" and greeting["text"] == GREETING
    assert prompts["channel_id"] == "DASSIST1" and prompts["thread_ts"] == "1773100000.000100"
    messages = [p["message"] for p in prompts["prompts"]]
    failing = recent_failing_services(bot.deps.rt)
    assert failing, "the fixture has failing services at its replay time"
    assert messages[:2] == ["What changed in the last 2 hours?", "Timeline of the incident in <#CINC1>"]
    assert f"Why is {failing[0]} failing?" in messages and len(messages) <= 4
    bot.event(thread_started("DASSIST2", "1773100000.000200", from_channel="CGENERAL"))
    api.wait_for(lambda a: len(a.of("assistant.threads.setSuggestedPrompts")) == 2)
    other = [p["message"] for p in api.of("assistant.threads.setSuggestedPrompts")[1].params["prompts"]]
    assert not any("Timeline" in m for m in other), "a channel that is not an incident's gets no timeline prompt"


def test_assistant_question_sets_title_and_status_then_streams(bot):
    api, dm, thread = bot.api, "DASK", "1773100000.000300"
    bot.event(thread_started(dm, thread))
    api.wait_for(lambda a: a.of("assistant.threads.setSuggestedPrompts", None) and a.of("chat.postMessage", dm))
    bot.event(message(dm, QUESTION, channel_type="im", thread_ts=thread))
    stop = api.wait_for(lambda a: stopped(a, dm))
    title = [c for c in api.of("assistant.threads.setTitle") if c.params["channel_id"] == dm]
    assert title and title[0].params["title"] == QUESTION and title[0].params["thread_ts"] == thread
    statuses = [c.params for c in api.of("assistant.threads.setStatus") if c.params["channel_id"] == dm]
    loading = [m for s in statuses for m in s.get("loading_messages") or []]
    assert any(m.startswith("counting shipping-api status 503 since ") for m in loading), loading
    assert any(m.startswith("ranking ") and m.endswith(" changes") for m in loading)
    assert api.of("chat.startStream", dm)[0].params["thread_ts"] == thread
    assert "[C1]" in json.dumps(stop.params)
    assert len(api.of("chat.postMessage", dm)) == 1, "only the greeting was posted; the answer is the stream"


def test_timeline_prompt_builds_the_source_channels_timeline_in_the_assistant_thread(bot):
    api, dm, thread = bot.api, "DTIME", "1773100000.000400"
    bot.event(thread_started(dm, thread, kind="assistant_thread_context_changed", from_channel="CINC9"))
    time.sleep(0.3)
    bot.event(message(dm, "timeline", channel_type="im", thread_ts=thread))
    posted = api.wait_for(lambda a: [p for p in a.of("chat.postMessage", dm) if p.params.get("blocks")])
    assert api.of("conversations.history", "CINC9"), "the channel the pane was opened from was read"
    assert posted[-1].params["thread_ts"] == thread and not api.of("chat.postMessage", "CINC9")


def test_bot_messages_in_assistant_threads_are_ignored(bot):
    api, dm, thread = bot.api, "DBOTS", "1773100000.000500"
    bot.event(message(dm, QUESTION, channel_type="im", thread_ts=thread, bot_id="B999"))
    bot.event(message(dm, QUESTION, channel_type="im", thread_ts=thread, user=BOT_USER, bot_id=BOT_ID))
    time.sleep(0.5)
    assert not api.of("chat.startStream", dm) and not api.of("chat.postMessage", dm)
    assert not [c for c in api.of("assistant.threads.setTitle") if c.params["channel_id"] == dm]
    assert not [c for c in api.of("assistant.threads.setStatus") if c.params["channel_id"] == dm]


def test_app_home_shows_examples_health_and_only_visible_investigations(bot):
    api = bot.api
    api.members["UVIEW"] = ["CSEEN"]
    for channel in ("CSEEN", "CHIDDEN"):
        bot.event(mention(channel, QUESTION))
    api.wait_for(lambda a: stopped(a, "CSEEN") and stopped(a, "CHIDDEN"))
    api.rate_limited["views.publish"] = 1
    assert bot.event(home_opened("UVIEW")).status == 200
    published = api.wait_for(lambda a: [c for c in a.of("views.publish") if c.reply != 429])[0]
    assert [c.reply for c in api.of("views.publish")][0] == 429, "the 429 was waited out and retried"
    assert published.params["user_id"] == "UVIEW" and published.params["view"]["type"] == "home"
    blocks = published.params["view"]["blocks"]
    shown = json.dumps(blocks)
    services = bot.deps.rt.fields().services
    asks = re.findall(r"^• `([^`]+)`$", blocks[1]["text"]["text"], re.M)
    assert len(asks) == 3 and all(any(s in a for s in services) for a in asks), asks
    assert ":large_green_circle: *log store*: reachable" in shown
    assert "<#CSEEN>" in shown and "CHIDDEN" not in shown
    assert "https://example.slack.com/archives/CSEEN/p" in shown and QUESTION in shown
    assert limits_ok(blocks)
    bot.event(home_opened("UNOBODY"))
    nobody = api.wait_for(lambda a: [c for c in a.of("views.publish") if c.params.get("user_id") == "UNOBODY"])[0]
    assert "CSEEN" not in json.dumps(nobody.params) and "none yet that you can see" in json.dumps(nobody.params)


def test_a_dm_thread_that_refuses_assistant_calls_is_still_answered(bot):
    api, dm, thread = bot.api, "DPLAIN", "1773100000.000600"
    api.errors.update({"assistant.threads.setTitle": "invalid_thread_ts",
                       "assistant.threads.setStatus": "invalid_thread_ts"})
    try:
        bot.event(message(dm, QUESTION, channel_type="im", thread_ts=thread))
        stop = api.wait_for(lambda a: stopped(a, dm))
    finally:
        api.errors.clear()
    assert [c.params["channel_id"] for c in api.of("assistant.threads.setTitle")][-1] == dm, "it was tried"
    assert "[C1]" in json.dumps(stop.params)


def test_assistant_events_are_acknowledged_before_slow_work(bot):
    api, dm = bot.api, "DSLOW"
    api.delays["chat.postMessage"] = 1.5  # Slack slow to take the greeting: the listener runs long
    try:
        resp = bot.event(thread_started(dm, "1773100000.000700"))
        assert resp.status == 200 and resp.elapsed < 1.0
        def prompts(a):
            return [c for c in a.of("assistant.threads.setSuggestedPrompts") if c.params["channel_id"] == dm]

        assert not prompts(api), "acknowledged while the greeting was still being posted"
        api.wait_for(prompts)
    finally:
        api.delays.clear()


def test_app_home_shows_a_failing_change_source_with_its_error(es_url, scenarios, tmp_path):
    from support.fakeslack import BOT_TOKEN

    from incidentbot.changes.sources.ndjson_file import NdjsonFileSource
    from incidentbot.slack.deps import Deps, build_client
    from incidentbot.slack.home import publish_home

    rt = runtime_for(scenarios[SCENARIO], es_url)
    rt.change_sources.append(NdjsonFileSource(tmp_path / "missing.ndjson"))
    api = FakeSlackAPI().start()
    try:
        publish_home(build_client(BOT_TOKEN, api.url), Deps(rt=rt), "U1")
        shown = json.dumps(api.of("views.publish")[0].params["view"]["blocks"], ensure_ascii=False)
    finally:
        api.stop()
    assert ":large_green_circle: *log store*: reachable" in shown
    assert re.search(r":red_circle: \*changes: file:[^*]*missing.ndjson\*: failing · last error at \d\d:\d\d UTC: "
                     r"cannot read", shown), shown
    assert "*LLM*: not configured" in shown


def test_feedback_is_stored_with_the_answer_in_the_audit_trail(es_url, scenarios, tmp_path):
    """With an audit database, the answer is recorded and a click on its buttons lands beside it."""
    from incidentbot.memory import open_memory

    memory = open_memory(None, settings_from(env={"INCIDENTBOT_DB_URL": f"sqlite:///{tmp_path / 'audit.sqlite3'}"}).memory)
    api = FakeSlackAPI().start()
    bot = BotServer(runtime_for(scenarios[SCENARIO], es_url), api, memory=memory, feedback=memory).start()
    try:
        ev = mention("CAUDIT", QUESTION)
        bot.event(ev)
        stop = api.wait_for(lambda a: stopped(a, "CAUDIT"))
        investigation = elements(stop.params["blocks"], "feedback_not_helpful")[0]["value"]
        cause = elements(stop.params["blocks"], "feedback_cause")[0]["options"][0]["value"]
        bot.action("feedback_not_helpful", investigation, "CAUDIT", stop.params["ts"], thread_ts=ev["ts"])
        bot.action("feedback_cause", cause, "CAUDIT", stop.params["ts"], thread_ts=ev["ts"], select=True)
        api.wait_for(lambda a: len(a.of("chat.postEphemeral", "CAUDIT")) == 2)
        kept = memory.feedback_for(investigation)
        assert {(f.helpful, f.cause_change_id, f.user, f.thread_ts) for f in kept} == {
            (False, None, "U1", ev["ts"]), (None, cause.split("|", 1)[1], "U1", ev["ts"])}
        assert memory.store is not None and memory.store.count() == 1, "the answer itself was recorded"
        # a fresh process (nothing in its own memory) shows it on the Home tab, from the audit trail
        from support.fakeslack import BOT_TOKEN

        from incidentbot.slack.deps import Deps, build_client
        from incidentbot.slack.home import publish_home

        api.members["UAUDIT"] = ["CAUDIT"]
        publish_home(build_client(BOT_TOKEN, api.url), Deps(rt=bot.deps.rt, memory=memory), "UAUDIT")
        home = json.dumps(api.of("views.publish")[-1].params["view"]["blocks"], ensure_ascii=False)
        assert "<#CAUDIT>" in home and QUESTION in home and "/archives/CAUDIT/p" in home
    finally:
        bot.stop()
        api.stop()
        memory.close()
