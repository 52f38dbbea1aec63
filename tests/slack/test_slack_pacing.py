"""Progress edits where Slack refuses streaming are paced: bounded chat.update calls, latest state, the answer always.

Against the recording fake Slack Web API over HTTP: the progress message alone
(driven with the pipeline's own event type), and the real Bolt app answering
signed mentions with the real pipeline.
"""
from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
from support.fakeslack import (
    BOT_TOKEN,
    QUESTION,
    SCENARIO,
    BotServer,
    Call,
    FakeSlackAPI,
    final_update,
    mention,
    running_bot,
    runtime_for,
)
from support.servers import one_server

from incidentbot.core.progress import ProgressEvent
from incidentbot.slack.deps import build_client
from incidentbot.slack.pacing import EditPacing
from incidentbot.slack.progress import ProgressMessage


@pytest.fixture
def api():
    fake = FakeSlackAPI().start()
    yield fake
    fake.stop()


def step(n: int) -> ProgressEvent:
    return ProgressEvent("count", "done", result=f"step {n} finished", citation="Q1")


def is_progress(call: Call) -> bool:
    return "Investigating" in str(call.params.get("text"))


def test_progress_edits_are_paced_and_the_latest_state_wins(api):
    pm = ProgressMessage(build_client(BOT_TOKEN, api.url), "CPACE", "1.1", pacing=EditPacing(interval=0.5))
    pm.start()
    for n in range(1, 11):
        pm.event(step(n))
    first = api.of("chat.update", "CPACE")
    assert len(first) == 1 and "step 1 finished [Q1]" in first[0].params["text"], "the first state goes at once"
    trailing = api.wait_for(lambda a: len(a.of("chat.update", "CPACE")) >= 2 and a.of("chat.update", "CPACE"))[1]
    assert "step 10 finished [Q1]" in trailing.params["text"], "steps 2-9 were coalesced into the latest"
    assert "step 9 finished" in str(trailing.params["blocks"]) and "step 2 finished" in str(trailing.params["blocks"])
    time.sleep(1.2)
    assert len(api.of("chat.update", "CPACE")) == 2, "nothing new to show: no more edits"

    for n in range(11, 15):  # a burst right before the answer: the answer replaces it, no edit lands after
        pm.event(step(n))
    pm.finish([{"type": "section", "text": {"type": "mrkdwn", "text": "the answer"}}], "the answer")
    time.sleep(1.2)
    updates = api.of("chat.update", "CPACE")
    assert updates[-1].params["text"] == "the answer", [u.params["text"] for u in updates]
    assert sum(1 for u in updates if is_progress(u)) <= 4, "steps 12-14 coalesced (and dropped for the answer)"


def test_a_rate_limited_progress_edit_waits_out_retry_after_and_the_answer_still_arrives(api):
    api.retry_after = "2"
    api.rate_limited["chat.update"] = 1
    pm = ProgressMessage(build_client(BOT_TOKEN, api.url), "C429", "1.1", pacing=EditPacing(interval=0))
    pm.start()
    pm.event(step(1))
    limited = api.of("chat.update", "C429")
    assert [c.reply for c in limited] == [429], "a progress edit is not retried on the spot"
    pm.event(step(2))
    assert len(api.of("chat.update", "C429")) == 1, "held back: Slack asked to wait"
    landed = api.wait_for(lambda a: [c for c in a.of("chat.update", "C429") if c.reply != 429])[0]
    assert landed.at - limited[0].at >= 1.9, "Retry-After was waited out"
    assert "step 2 finished" in landed.params["text"], "the latest state, not the refused one"

    api.rate_limited["chat.update"] = 1  # the answer meets a 429 too: it is retried, never dropped
    pm.finish([{"type": "section", "text": {"type": "mrkdwn", "text": "the answer"}}], "the answer")
    replies = [(c.reply == 429, c.params["text"]) for c in api.of("chat.update", "C429")]
    assert replies[-2:] == [(True, "the answer"), (False, "the answer")], replies


def test_a_progress_edit_to_an_unreachable_slack_does_not_stop_the_investigation():
    api = FakeSlackAPI().start()
    pm = ProgressMessage(build_client(BOT_TOKEN, api.url), "CGONE", "1.1", pacing=EditPacing(interval=0))
    pm.start()
    api.stop()  # Slack is gone: the pipeline's observer must return, not raise
    pm.event(step(1))
    pm.fail("the investigation failed")  # never raises either
    assert pm.lines == ["step 1 finished [Q1]"]


def test_many_messages_share_the_apps_budget_and_every_answer_still_arrives(api):
    """Three at once, each within its own interval, still spend only the app's budget; answers are not counted."""
    pacing = EditPacing(interval=0, per_minute=4)
    client = build_client(BOT_TOKEN, api.url)
    messages = [ProgressMessage(client, f"CBUDGET{i}", "1.1", pacing=pacing) for i in range(3)]
    for pm in messages:
        pm.start()
    for n in range(1, 6):
        for pm in messages:
            pm.event(step(n))
    time.sleep(1.5)  # the waiting states look again after an interval: the budget is still spent
    progress = [u for u in api.of("chat.update") if is_progress(u)]
    assert len(progress) == 4, [u.params["channel"] for u in progress]
    for pm in messages:
        pm.finish([{"type": "section", "text": {"type": "mrkdwn", "text": "the answer"}}], "the answer")
    for i in range(3):
        assert api.of("chat.update", f"CBUDGET{i}")[-1].params["text"] == "the answer"


@pytest.fixture
def bot_for(es_url, scenarios):
    """Bots where Slack refuses streaming, each with the pacing a test gives it; stopped after the test."""
    with ExitStack() as stack:
        def make(pacing: EditPacing) -> BotServer:
            rt = runtime_for(scenarios[SCENARIO], es_url)
            return stack.enter_context(running_bot(rt, streaming=False, pacing=pacing))

        yield make


@one_server()
def test_fallback_edits_are_bounded_and_end_with_the_answer(bot_for):
    interval = 5.0
    bot = bot_for(EditPacing(interval=interval))
    api, channel = bot.api, "CBOUND"
    assert bot.event(mention(channel, QUESTION)).status == 200
    final = api.wait_for(lambda a: final_update(a, channel))
    posted = api.of("chat.postMessage", channel)[0]
    progress = [u for u in api.of("chat.update", channel) if is_progress(u)]
    assert all(u.at < final.at for u in progress), "no progress edit after the answer"
    assert len(progress) <= 1 + int((final.at - posted.at) / interval), [u.at - posted.at for u in progress]
    assert "shipping-api" in str(final.params["blocks"]) and "[C1]" in str(final.params["blocks"])


@one_server()
def test_a_429_on_progress_edits_is_survived_by_concurrent_investigations(bot_for):
    bot = bot_for(EditPacing(interval=0, per_minute=None))
    api = bot.api
    api.retry_after = "2"
    api.rate_limited["chat.update"] = 1
    channels = ["CRL1", "CRL2", "CRL3"]
    for channel in channels:
        assert bot.event(mention(channel, QUESTION)).status == 200
    finals = {c: api.wait_for(lambda a, c=c: final_update(a, c)) for c in channels}
    assert all("[C1]" in str(f.params["blocks"]) for f in finals.values()), "every answer arrived"
    updates = api.of("chat.update")
    limited = [u for u in updates if u.reply == 429]
    assert len(limited) == 1 and is_progress(limited[0]), "the 429 met a progress edit"
    # an edit already on its way when Slack answered the 429 may still arrive just after it (0.5 s grace)
    held = [u for u in updates if is_progress(u) and u.reply != 429
            and limited[0].at + 0.5 < u.at < limited[0].at + 1.9]
    assert not held, "after a 429 no channel's progress edit is tried before Retry-After"
    for channel, final in finals.items():
        assert not [u for u in api.of("chat.update", channel) if is_progress(u) and u.at > final.at]
