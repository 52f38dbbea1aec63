""""Seen before": a re-phrased question about a past incident cites it as [H1]; other incidents claim nothing,
and a past answer whose log lines are gone is never cited. Same suite on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import json
import urllib.request

import pytest
from support.memoryhelp import first_question, one_server, runtime

from incidentbot.answer.verify import citations
from incidentbot.cli import main
from incidentbot.core.feedback import Feedback
from incidentbot.dev.scenario import load_scenario
from incidentbot.config import settings_from
from incidentbot.memory import Asked, open_memory
from incidentbot.pipeline import investigate
from incidentbot.render.blocks import answer_blocks
from incidentbot.render.terminal import render_answer

pytestmark = pytest.mark.parametrize("es_url", one_server(), indirect=True)


def ask(sc, es_url, question, channel=None, logs_index=None):
    rt = runtime(sc, es_url, logs_index)
    memory = open_memory(rt.gateway, settings_from().memory)
    rt.recall = memory
    answer = investigate(question, rt)
    memory.record(answer, Asked(door="slack" if channel else "cli", user="U1", channel=channel))
    return answer, memory


def test_a_rephrased_question_cites_the_past_investigation_and_its_marked_cause(db_url, es_url, memory_scenarios,
                                                                                 monkeypatch):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    sc = memory_scenarios["coredns-forward-zone"]
    first, memory = ask(sc, es_url, first_question(sc)["ask"], channel="CINC412")
    assert first.history == [], "an empty memory recalls nothing"
    cause = first_question(sc)["expect"]["culprit"]
    memory.record_feedback(Feedback(investigation_id=first.investigation_id, user="U2", cause_change_id=cause))
    memory.close()

    again, memory = ask(sc, es_url, "shipping-api keeps failing with 503 errors, what broke?", channel="CINC413")
    memory.close()
    h1 = again.history[0]
    assert h1.id == "H1" and h1.investigation_id == first.investigation_id and h1.cause == cause
    assert h1.matched_on == "pattern" and h1.similarity >= 0.6 and h1.channel == "CINC412"
    seen = again.to_json()["seen_before"]
    assert "[H1]" in seen and f"cause was marked as {cause}" in seen and sc.now[:10] in seen
    assert "[H1]" not in again.summary, "the contract's summary cites only Q/P/E/C ids"
    body = again.to_json()
    ids = {x["id"] for key in ("patterns", "evidence", "suspects", "history") for x in body[key]} | {"Q1", "Q2"}
    ids |= {q["id"] for q in body["queries"]}
    assert set(citations(body["summary"] + body["seen_before"])) <= ids, "every citation, [H1] included, resolves"
    assert body["history"][0]["investigation_id"] == first.investigation_id
    assert "Seen before" in render_answer(again) and first.investigation_id in render_answer(again)
    slack = json.dumps(answer_blocks(again, "k").blocks)
    assert "[H1]" in slack and "<#CINC412>" in slack


def test_a_different_incident_claims_no_past_investigation(db_url, es_url, memory_scenarios, monkeypatch):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    dns = memory_scenarios["coredns-forward-zone"]
    _, memory = ask(dns, es_url, first_question(dns)["ask"], channel="CDNS")
    memory.close()
    for name in ("orders-inventory-deploy", "mesh-cert-rotation"):
        sc = memory_scenarios[name]
        answer, memory = ask(sc, es_url, first_question(sc)["ask"], channel="COTHER")
        memory.close()
        assert answer.history == [], f"{name} wrongly recalled {[h.question for h in answer.history]}"
        assert "[H" not in answer.summary


def test_a_past_answer_whose_evidence_is_gone_is_not_cited(db_url, es_url, memory_scenarios, monkeypatch):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    sc = memory_scenarios["coredns-forward-zone"]
    gone = dataclasses.replace(sc, name="mem-gone-coredns")
    load_scenario(gone, es_url, force=True)
    both = "logs-mem-*coredns*"  # the gateway may read both copies: only the deletion can hide the past lines
    past, memory = ask(gone, es_url, first_question(sc)["ask"])  # cites lines of the copy about to go
    memory.close()
    control, memory = ask(sc, es_url, first_question(sc)["ask"], logs_index=both)
    memory.close()
    assert {e.index for e in past.evidence.lines} == {gone.logs_index}
    assert [h.investigation_id for h in control.history][:1] == [past.investigation_id], "found while it exists"

    urllib.request.urlopen(urllib.request.Request(f"{es_url}/{gone.logs_index}", method="DELETE"), timeout=30).read()
    later, memory = ask(sc, es_url, first_question(sc)["ask"], logs_index=both)
    memory.close()
    assert past.investigation_id not in [h.investigation_id for h in later.history]


def test_the_cli_shows_history_in_json_and_the_terminal(db_url, es_url, memory_scenarios, monkeypatch, capsys):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    sc = memory_scenarios["coredns-forward-zone"]
    args = ["--es-url", es_url, "--logs-index", sc.logs_index, "--changes-index", sc.changes_index, "--at", sc.now]
    assert main(["ask", first_question(sc)["ask"], "--json", *args]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["history"] == []
    assert main(["ask", "what is wrong with shipping-api?", *args]) == 0
    out = capsys.readouterr().out
    assert "Seen before" in out and first["investigation_id"] in out and "[H1]" in out
