"""/investigate about slowness, through the real HTTP endpoint and pipeline, with the fake Slack Web API:
the answer states the percentiles before and after the onset, names the culprit and uploads the p95 chart."""
from __future__ import annotations

import json

from support.fakeslack import (
    BotServer,
    FakeSlackAPI,
    final_update,
    limits_ok,
    runtime_for,
)
from support.servers import one_server

pytestmark = one_server()


def _texts(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for el in b.get("elements", []):
            text = el.get("text")
            out.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(out)


def test_slash_investigate_a_slowness_question(es_url, scenarios):
    sc = scenarios["search-highlighter-deploy-latency"]
    api = FakeSlackAPI().start()
    server = BotServer(runtime_for(sc, es_url), api).start()
    try:
        resp = server.command("/investigate", "why is search-api sluggish?", "CLAT")
        assert resp.status == 200
        final = api.wait_for(lambda a: final_update(a, "CLAT"))
        shown = _texts(final.params["blocks"])
        assert "p95 from" in shown and "[Q1]" in shown, shown
        assert "deploy-9120" in shown and "[C1]" in shown
        assert limits_ok(final.params["blocks"])
        api.wait_for(lambda a: [u for u in a.of("chat.update", "CLAT") if "chart" in json.dumps(u.params.get("blocks"))])
        assert api.of("upload"), "the chart's bytes went to the upload URL"
    finally:
        server.stop()
        api.stop()
