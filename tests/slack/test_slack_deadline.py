"""A Slack question's deadline starts when it arrives: the wait for a free worker counts.

One worker, held busy by another job: a question that waits there longer than
INCIDENTBOT_ANSWER_DEADLINE_S must not then get a fresh deadline of its own;
its answer says the store did not answer in time (what is known, without the
logs), while the same question asked with a free worker is answered in full.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from support.fakeslack import BotServer, FakeSlackAPI, final_update, mention, runtime_for
from support.servers import one_server

from incidentbot.slack.deps import Workers

pytestmark = one_server()

SCENARIO = "coredns-forward-zone"
QUESTION = "why is shipping-api returning 503s?"
DEADLINE_S = 5.0


@pytest.fixture
def bot(es_url, scenarios):
    rt = runtime_for(scenarios[SCENARIO], es_url)
    rt.settings = rt.settings.replace(answer_deadline_s=DEADLINE_S)
    api = FakeSlackAPI().start()
    server = BotServer(rt, api, workers=Workers(max_workers=1), streaming=False).start()
    yield server
    server.stop()
    api.stop()


def answer_text(bot: BotServer, channel: str) -> str:
    return json.dumps(bot.api.wait_for(lambda a: final_update(a, channel), timeout=60).params)


def test_the_wait_for_a_worker_counts_against_the_answer_deadline(bot) -> None:
    assert bot.event(mention("CFREE", QUESTION)).status == 200
    free = answer_text(bot, "CFREE")
    assert "did not answer in time" not in free and "answer deadline" not in free, free

    gate = threading.Event()
    assert bot.deps.workers.try_submit("CBUSY", lambda: gate.wait(30)) is not None  # the only worker is busy
    assert bot.event(mention("CWAIT", QUESTION)).status == 200
    time.sleep(DEADLINE_S + 1)  # the question waits past its deadline for the worker
    gate.set()
    waited = answer_text(bot, "CWAIT")
    assert "did not answer in time" in waited or "answer deadline" in waited, waited
