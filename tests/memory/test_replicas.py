"""Two `incidentbot serve --http` processes sharing one real Redis, answering one fake Slack.

Slack may deliver a retry, a follow-up or a button click to any replica:
the retry must be answered once, and the follow-up must keep the thread's
context, whichever replica gets it. Also /metrics and the JSON log lines.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from support.dbservers import free_port
from support.fakeslack import (
    BOT_TOKEN,
    SECRET,
    FakeSlackAPI,
    action_form,
    event_body,
    final_update,
    mention,
    message,
    post,
)
from support.memoryhelp import first_question, one_server

from incidentbot.render.blocks import ACTION_SHOW_EVIDENCE
from incidentbot.slack.app import Workers
from incidentbot.slack.shared_state import (
    RedisChannelSlots,
    SignedCodec,
    connect,
)

pytestmark = pytest.mark.parametrize("es_url", one_server(), indirect=True)


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/slack/events"
        self.log = log
        self._err = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "incidentbot.cli", "serve", "--http", "--host", "127.0.0.1",
                                      "--port", str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=self._err)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"replica exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as resp:
                    if json.loads(resp.read())["ok"]:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"replica not ready: {self.log.read_text()[-2000:]}")

    def event(self, event: dict, event_id: str | None = None, **kw):
        return post(self.url, json.dumps(event_body(event, event_id)).encode(), "application/json", **kw)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._err.close()


@pytest.fixture(scope="module")
def replicas(es_url, memory_scenarios, redis_server, tmp_path_factory):
    sc = memory_scenarios["coredns-forward-zone"]
    api = FakeSlackAPI().start()
    tmp = tmp_path_factory.mktemp("replicas")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "INCIDENTBOT_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api.url,
                "INCIDENTBOT_ES_URL": es_url, "INCIDENTBOT_LOGS_INDEX": sc.logs_index,
                "INCIDENTBOT_CHANGES_INDEX": sc.changes_index, "INCIDENTBOT_NOW": sc.now,
                "INCIDENTBOT_REDIS_URL": redis_server.url, "INCIDENTBOT_LOG_FORMAT": "json",
                "INCIDENTBOT_DB_URL": f"sqlite:///{tmp / 'audit.sqlite3'}"})
    if sc.catalog_path:
        env["INCIDENTBOT_CATALOG"] = str(sc.catalog_path)
    pair = [Replica(env, tmp / "a.log"), Replica(env, tmp / "b.log")]
    try:
        for r in pair:
            r.wait_ready()
        yield api, pair[0], pair[1], sc
    finally:
        for r in pair:
            r.stop()
        api.stop()


def test_the_same_retry_sent_to_both_replicas_is_answered_once(replicas):
    api, a, b, sc = replicas
    channel = "CREPLICA1"
    ev = mention(channel, first_question(sc)["ask"])
    first = a.event(ev, event_id="EvTWO1")
    again = b.event(ev, event_id="EvTWO1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    third = a.event(ev, event_id="EvTWO1", headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    assert (first.status, again.status, third.status) == (200, 200, 200)
    assert again.headers.get("x-slack-no-retry") == "1" and third.headers.get("x-slack-no-retry") == "1"
    api.wait_for(lambda x: final_update(x, channel), timeout=120)
    time.sleep(1.0)
    assert len(api.of("chat.postMessage", channel)) == 1


def answer_to(api: FakeSlackAPI, channel: str, nth: int):
    """The final update of the `nth` message the bot posted in the channel (its answer, not progress)."""
    posts = api.of("chat.postMessage", channel)
    if len(posts) <= nth:
        return None
    ts = posts[nth].reply["ts"]
    done = [u for u in api.of("chat.update", channel)
            if u.params.get("ts") == ts and "Investigating" not in str(u.params.get("text"))]
    return done[0] if done else None


def test_a_follow_up_on_the_other_replica_keeps_the_threads_context(replicas):
    api, a, b, sc = replicas
    channel = "CREPLICA2"
    ev = mention(channel, first_question(sc)["ask"])
    assert a.event(ev).status == 200
    api.wait_for(lambda x: answer_to(x, channel, 0), timeout=120)
    follow = message(channel, "and what about since 15:30?", thread_ts=ev["ts"])
    assert b.event(follow).status == 200, "replica B has never seen this thread: only Redis tells it"
    second = api.wait_for(lambda x: answer_to(x, channel, 1), timeout=120)
    assert "shipping-api" in json.dumps(second.params["blocks"]), "the services of the thread's first question"
    assert all(p.params.get("thread_ts") == ev["ts"] for p in api.of("chat.postMessage", channel))

    odd = mention("CREPLICA4", "why is zzqx-nonexistent-svc failing?")
    assert b.event(odd).status == 200
    api.wait_for(lambda x: answer_to(x, "CREPLICA4", 0), timeout=120)
    with urllib.request.urlopen(b.base + "/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert re.search(r'incidentbot_questions_total\{door="slack",outcome="answered"\} [1-9]', metrics), metrics[:1500]
    assert re.search(r'incidentbot_questions_total\{door="slack",outcome="not_answerable"\} 1\.0', metrics)
    assert re.search(r'incidentbot_search_requests_total\{verb="msearch"\} [1-9]', metrics)
    assert re.search(r'incidentbot_search_bytes_total\{direction="in"\} [1-9]', metrics)
    assert "incidentbot_answer_seconds_bucket" in metrics
    events = [json.loads(line) for line in b.log.read_text().splitlines() if line.startswith("{")]
    done = [e for e in events if e.get("message") == "answered"]
    assert done and all(re.fullmatch(r"[0-9a-f]{16}", e["investigation_id"]) for e in done)
    assert all(set(e) >= {"time", "level", "logger", "message"} for e in events)


def test_a_button_on_the_other_replica_reads_the_answer_from_redis(replicas):
    api, a, b, sc = replicas
    channel = "CREPLICA3"
    ev = mention(channel, first_question(sc)["ask"])
    assert a.event(ev).status == 200
    answer = api.wait_for(lambda x: answer_to(x, channel, 0), timeout=120)
    key = next(el["value"] for blk in answer.params["blocks"] if blk["type"] == "actions"
               for el in blk["elements"] if el.get("action_id") == ACTION_SHOW_EVIDENCE)
    posts_before = len(api.of("chat.postMessage", channel))
    form = action_form(ACTION_SHOW_EVIDENCE, key, channel, answer.params["ts"], f"{api.base}/respond/{channel}")
    assert post(b.url, form, "application/x-www-form-urlencoded").status == 200
    shown = api.wait_for(lambda x: x.of("chat.postMessage", channel)[posts_before:], timeout=60)
    assert shown[0].params.get("thread_ts") == ev["ts"] and "Evidence" in json.dumps(shown[0].params)
    assert not api.of("chat.postEphemeral", channel), "replica B found A's answer: no 'no longer in memory'"


def test_signed_values_and_channel_limits_are_shared(redis_server, es_url):
    client = connect(redis_server.url)
    value = SignedCodec("secret").dumps({"investigation_id": "abc"})
    assert SignedCodec("secret").loads(value) == {"investigation_id": "abc"}
    assert SignedCodec("another key").loads(value) is None, "a value signed with another key is refused, never unpickled"
    assert SignedCodec("secret").loads(b"x" * 40) is None

    one, two = Workers(max_workers=2, per_channel=1, slots=RedisChannelSlots(client)), \
        Workers(max_workers=2, per_channel=1, slots=RedisChannelSlots(connect(redis_server.url)))
    gate = threading.Event()
    try:
        assert one.try_submit("CLIMIT", gate.wait) is not None
        assert two.try_submit("CLIMIT", gate.wait) is None, "the channel's limit counts both replicas"
        assert two.try_submit("COTHER", lambda: None) is not None
    finally:
        gate.set()
        one.shutdown()
        two.shutdown()
    three = Workers(max_workers=1, per_channel=1, slots=RedisChannelSlots(client))
    assert three.try_submit("CLIMIT", lambda: None) is not None, "the slots are released when the jobs end"
    three.shutdown()
