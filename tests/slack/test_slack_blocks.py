"""The Block Kit rendering: Slack's limits on real fixture answers, and log text made inert."""
from __future__ import annotations

import copy
import dataclasses
import json
from datetime import timedelta

from support.fakeslack import (
    BotServer,
    FakeSlackAPI,
    limits_ok,
    mention,
    runtime_for,
    stopped,
)
from support.servers import one_server as _one_server

from incidentbot.dev.scenario import load_scenario
from incidentbot.pipeline import change_report, investigate
from incidentbot.render import blocks as bk

# The Slack layer does not depend on the search backend: one server is enough (the first configured).
one_server = _one_server()

# The fixture whose answer renders the most blocks (20, measured over every fixture's first question).
LARGEST = "ledger-canary-deploy"
PLANTED = " <!channel> @here <@U024BE7LH> token=hunter2secret"


@one_server
def test_largest_fixture_answer_fits_and_so_does_a_bloated_one(es_url, scenarios):
    sc = scenarios[LARGEST]
    answer = investigate(sc.questions[0]["ask"], runtime_for(sc, es_url))
    rendered = bk.answer_blocks(answer, "key")
    assert limits_ok(rendered.blocks) and not rendered.truncated
    assert "[E1]" in json.dumps(rendered.blocks) and "[C1]" in json.dumps(rendered.blocks)

    # the same answer made far too big for one message still produces a valid one, with the rest behind buttons
    big = copy.deepcopy(answer)
    big.summary = (big.summary + " ") * 40
    big.suspects = [dataclasses.replace(s, id=f"C{i}", rank=i) for i in range(1, 31) for s in answer.suspects[:1]]
    big.evidence.patterns = [dataclasses.replace(p, id=f"P{i}", template=p.template * 40)
                             for i in range(1, 41) for p in answer.evidence.patterns[:1]]
    big.evidence.lines = [dataclasses.replace(e, id=f"E{i}", message=e.message * 30)
                          for i in range(1, 201) for e in answer.evidence.lines[:1]]
    big.evidence.main.body = {"query": {"bool": {"filter": [{"term": {"service": f"s{i}"}} for i in range(400)]}}}
    r = bk.answer_blocks(big, "key")
    assert limits_ok(r.blocks) and "query" in r.truncated
    actions = {el["action_id"] for b in r.blocks if b["type"] == "actions" for el in b["elements"]}
    assert {"show_evidence", "show_query", "show_more"} <= actions
    for msg in bk.evidence_messages(big) + bk.more_messages(big):
        assert limits_ok(msg.blocks)
    assert sum(m.blocks[0]["text"]["text"].count("[E") + sum(b["text"]["text"].count("[E") for b in m.blocks[1:])
               for m in bk.evidence_messages(big)) == 200, "every evidence line is posted"


@one_server
def test_planted_mentions_in_logs_come_out_inert(es_url, scenarios):
    base = scenarios["coredns-forward-zone"]
    logs = [dict(line) for line in base.logs]
    planted = 0
    for line in logs:
        level = (line.get("log") or {}).get("level") or line.get("level")
        if str(level).lower() == "error":
            line["message"] = str(line.get("message")) + PLANTED
            planted += 1
    assert planted
    sc = dataclasses.replace(base, name="slack-planted-mentions", logs=logs)
    load_scenario(sc, es_url, force=True)
    api = FakeSlackAPI().start()
    bot = BotServer(runtime_for(sc, es_url), api).start()
    try:
        bot.event(mention("CPLANT", "why is shipping-api returning 503s?"))
        final = api.wait_for(lambda a: stopped(a, "CPLANT"))
        key = next(el["value"] for b in final.params["blocks"] if b["type"] == "actions" for el in b["elements"]
                   if el["action_id"] == "show_evidence")
        bot.action("show_evidence", key, "CPLANT", final.params["ts"])
        api.wait_for(lambda a: len(a.of("chat.postMessage", "CPLANT")) >= 1)
        # the streamed steps (task outputs quote error patterns), the answer and the evidence posts
        posted = json.dumps([c.params for c in api.calls if c.params.get("channel") == "CPLANT"], ensure_ascii=False)
        assert "@\u200bchannel" in posted and "@\u200bhere" in posted, "the planted line is shown..."
        for live in ("<!channel>", "@here", "<@U024BE7LH>", "hunter2secret"):
            assert live not in posted, f"...but {live!r} is inert or masked"
    finally:
        bot.stop()
        api.stop()


def test_whatchanged_flags_risky_recent_changes():
    from datetime import datetime, timezone

    from incidentbot.core.change import Change

    end = datetime(2026, 3, 20, 10, 30, tzinfo=timezone.utc)

    def ch(i: str, kind: str, service: str, minutes: int) -> Change:
        return Change(id=i, kind=kind, service=service, title=f"{kind} <!here> of {service}", author="ana",
                      url=f"https://git.example/{i}", **{"@timestamp": end - timedelta(minutes=minutes)})

    changes = [ch("d1", "deploy", "payments", 10), ch("c1", "config", "payments", 90),
               ch("r1", "rollback", "checkout", 5), ch("f1", "feature_flag", "checkout", 20)]
    report = change_report(end - timedelta(hours=2), end, [], changes, [], [])
    r = bk.changes_blocks(report)
    text = "\n".join(b["text"]["text"] for b in r.blocks if b["type"] == "section")
    lines = {line.split("|")[0].rsplit("/", 1)[-1]: line for line in text.splitlines() if "git.example" in line}
    assert lines["d1"].startswith(":warning:") and lines["f1"].startswith(":warning:")
    assert not lines["c1"].startswith(":warning:"), "too old"
    assert not lines["r1"].startswith(":warning:"), "a rollback is a mitigation"
    assert text.index("*payments*") < text.index("*checkout*") or text.index("*checkout*") < text.index("*payments*")
    assert "by ana" in text and "<!here>" not in text and "<https://git.example/d1|d1>" in text
    assert limits_ok(r.blocks)

    many = change_report(end - timedelta(hours=2), end, [], [ch(f"x{i}", "deploy", f"svc-{i}", i % 100) for i in range(300)],
                        [], [])
    r = bk.changes_blocks(many)
    assert limits_ok(r.blocks) and "services" in r.truncated
