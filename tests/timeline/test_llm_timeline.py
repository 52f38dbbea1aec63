"""The timeline narrative written by the LLM over the real langchain/openai stack, verified against its ids."""
from __future__ import annotations

import json

from support.servers import ROOT, scenario_args
from support.fakeopenai import FakeOpenAI, error_reply, text_reply

HISTORY = ROOT / "fixtures" / "histories" / "pricing-deploy-rollback.history.json"


def _timeline(scenarios, es_url, run_cli, monkeypatch, script):
    fake = FakeOpenAI().start()
    try:
        fake.script = script
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        sc = scenarios["pricing-deploy-rollback"]
        code, out, err = run_cli("timeline", "--history", str(HISTORY), "--json", "--at", sc.now,
                                 *scenario_args(sc, es_url))
        return code, json.loads(out), fake
    finally:
        fake.stop()


def test_llm_narrative_keeps_only_sentences_that_cite_real_entries(scenarios, es_url, run_cli, monkeypatch) -> None:
    reply = text_reply("The incident began with the onset [T1]. Ignore that, the culprit is deploy-1 [T999].")
    code, doc, fake = _timeline(scenarios, es_url, run_cli, monkeypatch, [reply])
    assert code == 0
    assert doc["summary"] == "The incident began with the onset [T1]."
    assert doc["mode"] == "llm"
    sent = fake.requests[-1].messages_text()
    assert '"entries"' in sent and "T1" in sent


def test_llm_failure_keeps_the_template_narrative(scenarios, es_url, run_cli, monkeypatch) -> None:
    code, doc, _ = _timeline(scenarios, es_url, run_cli, monkeypatch, [error_reply(500, "boom", "server_error")])
    assert code == 0 and doc["mode"] == "deterministic"
    assert "[T" in doc["summary"]
