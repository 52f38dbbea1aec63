"""The bot end to end: signed requests into the real HTTP endpoint, the real pipeline, a recording fake Slack."""
from __future__ import annotations

import json
import re
import time

from support.fakeslack import (
    BOT_ID,
    BOT_USER,
    QUESTION,
    SCENARIO,
    final_update,
    limits_ok,
    mention,
    message,
    post,
    bot_fixture,
)
from support.servers import one_server

from incidentbot.slack.pacing import EditPacing

# The Slack layer does not depend on the search backend: one server is enough (the first configured).
pytestmark = one_server()


# The bot where Slack refuses streaming (an older workspace): every answer is the edited progress message.
# Progress edits unpaced (no interval, no budget) so each step's line can be asserted (test_slack_pacing: pacing).
bot = bot_fixture(streaming=False, pacing=EditPacing(interval=0, per_minute=None))


def texts(blocks):
    """Every text of a message's blocks, joined (for assertions on what a reader sees)."""
    out = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            if isinstance(el.get("text"), str):
                out.append(el["text"])
            elif isinstance(el.get("text"), dict):
                out.append(el["text"]["text"])
    return "\n".join(out)


def test_bad_and_stale_signatures_get_401(bot):
    body = json.dumps({"type": "event_callback", "event": mention("CSIG", QUESTION)}).encode()
    assert post(bot.url, body, "application/json", secret="wrong-secret").status == 401
    assert post(bot.url, body, "application/json", ts=int(time.time()) - 6 * 60).status == 401
    assert post(bot.url, body, "application/json", sign=False).status == 401
    assert not bot.api.of("chat.postMessage", "CSIG")


def test_url_verification_echoes_the_challenge(bot):
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    resp = post(bot.url, body, "application/json")
    assert resp.status == 200
    assert resp.json()["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


def test_healthz(bot):
    import urllib.request

    with urllib.request.urlopen(bot.base + "/healthz", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read())["ok"] is True


def test_mention_answered_in_thread_with_progress_then_answer(bot):
    api, channel = bot.api, "CMAIN"
    ev = mention(channel, QUESTION)
    resp = bot.event(ev)
    assert resp.status == 200
    final = api.wait_for(lambda a: final_update(a, channel))
    posts = api.of("chat.postMessage", channel)
    assert len(posts) == 1, "one message: the progress that becomes the answer"
    refused = api.of("chat.startStream", channel)
    assert len(refused) == 1 and refused[0].params["recipient_user_id"] == "U1", "streaming was tried first"
    assert refused[0].reply["ok"] is False and refused[0].at < posts[0].at, "...refused, then the fallback"
    assert posts[0].params["thread_ts"] == ev["ts"], "a top-level mention is answered in its thread"
    assert "Investigating" in posts[0].params["text"]
    api.wait_for(lambda a: [u for u in a.of("chat.update", channel) if "chart" in json.dumps(u.params.get("blocks"))])
    updates = api.of("chat.update", channel)
    answer_at = updates.index(final)
    progress = [u.params["text"] for u in updates[:answer_at]]
    assert all("Investigating" in t for t in progress)
    assert len(updates) == answer_at + 2, "the answer, then the answer with its chart referenced"
    assert all(u.params["ts"] == posts[0].reply["ts"] for u in updates), "always the same message"
    assert any("services in the logs; asking about shipping-api" in t for t in progress)
    assert any(re.search(r"\d+ status 503 lines in .*shipping-api.*\[Q1\]", t) for t in progress), progress
    assert any("onset at" in t for t in progress)
    assert any("suspects; first:" in t and "[C1]" in t for t in progress)
    assert {u.params["ts"] for u in updates} == {posts[0].reply["ts"]}, "every update edits the posted message"

    blocks = final.params["blocks"]
    shown = texts(blocks)
    assert blocks[0]["type"] == "header" and QUESTION in blocks[0]["text"]["text"]
    summary = blocks[1]["text"]["text"]
    assert "[Q1]" in summary and "[C1]" in summary, summary
    assert "*Suspects*" in shown and "[C1]" in shown and "confidence *" in shown
    assert "```" in shown and '"query"' in shown, "the exact query in a code block"
    assert "mode: *deterministic*" in shown and "took" in shown
    assert limits_ok(blocks)

    # the read-only buttons post more of the same answer in the same thread
    key = next(el["value"] for b in blocks if b["type"] == "actions" for el in b["elements"]
               if el["action_id"] == "show_evidence")
    assert bot.action("show_evidence", key, channel, posts[0].reply["ts"]).status == 200
    ev_post = api.wait_for(lambda a: [p for p in a.of("chat.postMessage", channel) if p.params.get("text") == "Evidence"])
    assert ev_post[0].params["thread_ts"] == ev["ts"]
    assert "[E1]" in texts(ev_post[0].params["blocks"])
    assert bot.action("show_query", key, channel, posts[0].reply["ts"]).status == 200
    done = api.wait_for(lambda a: a.of("files.completeUploadExternal", channel))
    assert done[0].params["thread_ts"] == ev["ts"]
    assert api.of("upload"), "the snippet's bytes went to the upload URL"

    # a follow-up in the thread keeps the thread's services (context=the first intent)
    follow = message(channel, "what about since 15:30?", thread_ts=ev["ts"])
    assert bot.event(follow).status == 200
    second = api.wait_for(lambda a: len([u for u in a.of("chat.update", channel)
                                         if "Investigating" not in u.params["text"]]) >= 2 and a)
    answers = [u for u in second.of("chat.update", channel) if "Investigating" not in u.params["text"]]
    assert "shipping-api" in texts(answers[-1].params["blocks"])
    assert all(p.params.get("thread_ts") == ev["ts"] for p in api.of("chat.postMessage", channel))


def test_retry_with_same_event_id_gives_one_answer(bot):
    api, channel = bot.api, "CRETRY"
    ev = mention(channel, QUESTION)
    first = bot.event(ev, event_id="EvRETRY1")
    again = bot.event(ev, event_id="EvRETRY1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status == 200 and again.status == 200
    assert again.headers.get("x-slack-no-retry") == "1"
    api.wait_for(lambda a: final_update(a, channel))
    time.sleep(0.3)
    assert len(api.of("chat.postMessage", channel)) == 1


def test_ack_returns_before_the_investigation_ends(bot):
    api, channel = bot.api, "CSLOW"
    api.delays["chat.postMessage"] = 1.5  # Slack slow to take the first post: the pipeline ends later
    try:
        resp = bot.event(mention(channel, QUESTION))
        acked_at = time.monotonic()
        assert resp.status == 200 and resp.elapsed < 1.0
        assert final_update(api, channel) is None, "the HTTP ack did not wait for the answer"
        final = api.wait_for(lambda a: final_update(a, channel))
        assert final.at > acked_at + 1.0
    finally:
        api.delays.clear()


def test_bot_messages_are_ignored(bot):
    api = bot.api
    assert bot.event(message("DBOT", "why is shipping-api failing?", channel_type="im", bot_id="B999")).status == 200
    assert bot.event(message("DBOT", "why is shipping-api failing?", channel_type="im",
                             subtype="bot_message", user=None)).status == 200
    assert bot.event(message("DBOT", "why is shipping-api failing?", channel_type="im", user=BOT_USER)).status == 200
    assert bot.event(mention("CBOT", QUESTION, bot_id=BOT_ID)).status == 200
    time.sleep(0.5)
    assert not api.of("chat.postMessage", "DBOT") and not api.of("chat.postMessage", "CBOT")


def test_direct_message_is_answered(bot):
    api, channel = bot.api, "DHUMAN"
    ev = message(channel, "help", channel_type="im")
    bot.event(ev)
    helped = api.wait_for(lambda a: a.of("chat.postMessage", channel))
    assert "/whatchanged" in texts(helped[0].params["blocks"]) and helped[0].params["thread_ts"] == ev["ts"]


def test_usage_error_is_a_clear_message_in_the_thread(bot):
    api, channel = bot.api, "CUSAGE"
    ev = mention(channel, "why is zanzibar service failing?")
    bot.event(ev)
    final = api.wait_for(lambda a: final_update(a, channel))
    assert api.of("chat.postMessage", channel)[0].params["thread_ts"] == ev["ts"]
    text = final.params["text"]
    assert "can't answer that as asked" in text and "zanzibar" in text and "services seen" in text


def test_slash_investigate_help_and_question(bot):
    api, channel = bot.api, "CSLASH"
    helped = bot.command("/investigate", "help", channel)
    assert helped.status == 200 and "/whatchanged" in helped.json()["text"] + json.dumps(helped.json()["blocks"])
    resp = bot.command("/investigate", QUESTION, channel)
    assert resp.status == 200 and resp.elapsed < 3
    final = api.wait_for(lambda a: final_update(a, channel))
    top = api.of("chat.postMessage", channel)[0]
    assert top.params.get("thread_ts") is None and "<@U1> asked" in texts(top.params["blocks"])
    assert "[C1]" in texts(final.params["blocks"])


def test_slash_whatchanged_groups_by_service(bot, scenarios):
    api, channel = bot.api, "CCHANGES"
    assert bot.command("/whatchanged", "last 3 hours", channel).status == 200
    posted = api.wait_for(lambda a: a.of("chat.postMessage", channel))
    blocks = posted[0].params["blocks"]
    shown = texts(blocks)
    assert blocks[0]["text"]["text"].startswith("What changed")
    changes = [json.loads(line) for line in (scenarios[SCENARIO].path / "changes.ndjson").read_text().splitlines() if line]
    assert any(c["id"] in shown for c in changes)
    assert "*deploy*" in shown or "*config*" in shown


def test_slash_whatchanged_unknown_service_is_ephemeral(bot):
    api, channel = bot.api, "CCHANGES2"
    bot.command("/whatchanged", "zanzibar 2h", channel)
    said = api.wait_for(lambda a: a.of("response_url", channel))
    assert said[0].params["response_type"] == "ephemeral" and "zanzibar" in said[0].params["text"]
    assert not api.of("chat.postMessage", channel)


def test_slash_timeline_posts_the_timeline_and_its_markdown(bot):
    api, channel = bot.api, "CTIME"
    resp = bot.command("/timeline", "", channel)
    assert resp.status == 200
    posted = api.wait_for(lambda a: a.of("chat.postMessage", channel))
    assert posted[0].params["blocks"] and "[T" in posted[0].params["text"]
    api.wait_for(lambda a: a.of("files.completeUploadExternal"))
    assert api.of("conversations.history", channel), "the channel was read"

def test_chart_is_uploaded_in_the_thread_and_replaced_on_a_new_answer(bot):
    api, channel = bot.api, "CCHART"
    ev = mention(channel, QUESTION)
    bot.event(ev)
    first = api.wait_for(lambda a: a.of("files.completeUploadExternal", channel))
    assert first[0].params["thread_ts"] == ev["ts"]
    assert json.loads(first[0].params["files"])[0]["title"].startswith("Failing lines over time")
    png = [c for c in api.of("upload") if b"\x89PNG\r\n\x1a\n" in (c.params.get("_raw") or b"")]
    assert png, "a PNG went to the upload URL"
    old_id = json.loads(first[0].params["files"])[0]["id"]
    follow = mention(channel, "and since 15:30?", thread_ts=ev["ts"])
    bot.event(follow)
    api.wait_for(lambda a: len(a.of("files.completeUploadExternal", channel)) == 2)
    mine = {json.loads(c.params["files"])[0]["id"] for c in api.of("files.completeUploadExternal", channel)}
    deleted = api.wait_for(lambda a: [d for d in a.of("files.delete") if d.params["file"] in mine])
    assert [d.params["file"] for d in deleted] == [old_id], "the old chart goes, the new one stays"
