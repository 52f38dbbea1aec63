"""The audit trail on SQLite and on a real PostgreSQL: real answers recorded, masked, filtered, exported, forgotten."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from support.memoryhelp import first_question, one_server, runtime

from incidentbot.cli import main
from incidentbot.core.feedback import Feedback
from incidentbot.core.timeutil import now_utc
from incidentbot.config import SettingsError, settings_from
from incidentbot.memory import Asked, AuditStore, open_memory
from incidentbot.memory.config import normalise_url
from incidentbot.pipeline import investigate

pytestmark = pytest.mark.parametrize("es_url", one_server(), indirect=True)

SECRET = "sk-live-abcdefghijklmnop1234"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_migrations_run_at_open_and_are_idempotent(db_url, es_url):
    AuditStore(normalise_url(db_url)).close()
    store = AuditStore(normalise_url(db_url))  # a second replica starting on the same database
    tables = set(inspect(store.engine).get_table_names())
    assert {"investigations", "investigation_services", "feedback", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001"]
    store.close()


def test_a_real_answer_is_recorded_masked_and_shown_in_full(db_url, es_url, memory_scenarios, capsys, monkeypatch):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    sc = memory_scenarios["coredns-forward-zone"]
    rt = runtime(sc, es_url)
    memory = open_memory(rt.gateway, settings_from().memory)
    answer = investigate(f"{first_question(sc)['ask']} (our key {SECRET})", rt)
    assert memory.record(answer, Asked(door="slack", user="U42", channel="CINC412", thread_ts="17.1"))
    memory.close()

    code, out, err = cli(capsys, "audit", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)["investigations"]
    assert [r["investigation_id"] for r in listed] == [answer.investigation_id]
    assert listed[0]["channel"] == "CINC412" and listed[0]["suspect"] == answer.suspects[0].change.id

    code, out, _ = cli(capsys, "audit", "show", answer.investigation_id[:8], "--json")
    assert code == 0 and SECRET not in out, "stored text is masked like everything a person sees"
    rec = json.loads(out)
    assert rec["asked"] == {"door": "slack", "user": "U42", "channel": "CINC412", "thread_ts": "17.1"}
    assert "<api-key>" in rec["question"]
    assert rec["log_query"]["body"] == json.loads(json.dumps(answer.evidence.main.body))
    assert rec["log_query"]["hits"] == answer.evidence.main.hits and rec["log_query"]["index"] == sc.logs_index
    assert [q["id"] for q in rec["queries"]] == [q.id for q in answer.evidence.queries[1:]]
    assert [(e["index"], e["doc_id"]) for e in rec["evidence"]] == [(e.index, e.doc_id) for e in answer.evidence.lines]
    top = rec["suspects"][0]
    assert top["change_id"] == answer.suspects[0].change.id and top["reasons"] and "score" in top
    assert rec["summary"] and rec["timing_ms"]["total"] > 0 and rec["llm_used"] is False
    assert rec["source_failures"] == [] and rec["feedback"] == []

    code, out, _ = cli(capsys, "audit", "show", answer.investigation_id)
    assert code == 0 and f"Investigation {answer.investigation_id}" in out and "#CINC412" in out


def test_list_filters_by_time_channel_and_service_and_export_carries_feedback(db_url, es_url, memory_scenarios,
                                                                               capsys, monkeypatch):
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    ids = {}
    for name, channel in (("coredns-forward-zone", "CDNS"), ("orders-inventory-deploy", "CORD")):
        sc = memory_scenarios[name]
        rt = runtime(sc, es_url)
        memory = open_memory(rt.gateway, settings_from().memory)
        answer = investigate(first_question(sc)["ask"], rt)
        memory.record(answer, Asked(door="slack", user="U1", channel=channel))
        memory.record_feedback(Feedback(investigation_id=answer.investigation_id, user="U2", channel=channel,
                                        cause_change_id=answer.suspects[0].change.id))
        memory.close()
        ids[name] = answer
    dns, orders = ids["coredns-forward-zone"], ids["orders-inventory-deploy"]

    def listed(*argv: str) -> list[str]:
        code, out, _ = cli(capsys, "audit", "list", "--json", *argv)
        assert code == 0
        return [r["investigation_id"] for r in json.loads(out)["investigations"]]

    assert listed() == [dns.investigation_id, orders.investigation_id], "newest first by when it was asked"
    assert listed("--channel", "CORD") == [orders.investigation_id]
    assert listed("--service", "shipping-api") == [dns.investigation_id]
    assert listed("--since", "2026-05-01T00:00:00Z", "--until", "2026-05-31T00:00:00Z") == [dns.investigation_id]
    assert listed("--since", "1d") == [], "both incidents were asked (replayed) months ago"

    code, out, _ = cli(capsys, "audit", "export", "--channel", "CDNS")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(lines) == 1
    assert lines[0]["feedback"][0]["cause_change_id"] == dns.suspects[0].change.id

    code, _, err = cli(capsys, "audit", "show", "nosuchid")
    assert code == 2 and "no investigation" in err
    code, _, err = cli(capsys, "audit", "list", "--since", "yesterday-ish")
    assert code == 2 and "--since" in err


def test_retention_forgets_old_investigations_and_their_feedback(db_url, es_url, memory_scenarios):
    sc = memory_scenarios["coredns-forward-zone"]
    rt = runtime(sc, es_url)
    store = AuditStore(normalise_url(db_url), retention_days=30)
    answer = investigate(first_question(sc)["ask"], rt)
    store.record_investigation(answer, Asked())
    store.record_feedback(Feedback(investigation_id=answer.investigation_id, user="U1", helpful=True))
    assert store.purge(now_utc() + timedelta(days=29)) == 0 and store.count() == 1
    assert store.purge(now_utc() + timedelta(days=31)) == 1
    assert store.count() == 0 and store.feedback_for(answer.investigation_id) == []
    store.close()


def test_settings_and_an_unreachable_database_never_cost_the_answer(es_url, memory_scenarios, capsys, monkeypatch):
    with pytest.raises(SettingsError, match="RETENTION"):
        settings_from(env={"INCIDENTBOT_AUDIT_RETENTION_DAYS": "a week"})
    with pytest.raises(SettingsError, match="INCIDENTBOT_DB_URL"):
        settings_from(env={"INCIDENTBOT_DB_URL": "mysql://x/y"})
    assert normalise_url("postgresql://u:p@h/d").startswith("postgresql+psycopg://")
    sc = memory_scenarios["coredns-forward-zone"]
    monkeypatch.setenv("INCIDENTBOT_DB_URL", "postgresql://nobody:pw@127.0.0.1:1/audit")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, out, err = cli(capsys, "ask", first_question(sc)["ask"], "--json", "--es-url", es_url,
                         "--logs-index", sc.logs_index, "--changes-index", sc.changes_index, "--at", sc.now)
    assert code == 0, err
    body = json.loads(out)
    assert body["suspects"] and any("audit trail unavailable" in n for n in body["notes"])
    assert "pw@" not in err
    code, _, err = cli(capsys, "audit", "list")
    assert code == 2 and "cannot be opened" in err
