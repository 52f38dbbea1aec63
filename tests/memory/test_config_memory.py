"""The memory's settings in `incidentbot config`: shown masked, validated one line each, checked read-only.

`config --check` must tell an SRE, before a deployment goes live, whether the
audit database is reachable and at the schema this version expects (or empty,
to be created at first start) and whether Redis answers, without creating or
writing anything; against real SQLite, PostgreSQL and redis-server here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from support.fakehttp import refused_url
from support.memoryhelp import one_server
from support.silentserver import SilentServer

from incidentbot.memory import AuditStore
from incidentbot.memory.config import normalise_url

PG_SECRET, REDIS_SECRET = "pg-pass-7a1", "redis-pass-6b2"


def memory_lines(out: str) -> dict[str, str]:
    """The `Sources:` lines of the memory parts, by kind."""
    return {kind: line for line in out.splitlines() for kind in ("audit database", "redis")
            if line.strip().startswith(kind)}


def test_memory_settings_are_shown_masked_and_bad_ones_named_one_line_each(run_cli, monkeypatch) -> None:
    monkeypatch.setenv("INCIDENTBOT_DB_URL", f"postgresql://audit:{PG_SECRET}@db.internal:5432/audit")
    monkeypatch.setenv("INCIDENTBOT_REDIS_URL", f"redis://:{REDIS_SECRET}@redis.internal:6379/0")
    monkeypatch.setenv("INCIDENTBOT_AUDIT_RETENTION_DAYS", "30")
    code, out, err = run_cli("config", "--es-url", "http://127.0.0.1:9")
    assert code == 0, err
    assert PG_SECRET not in out + err and REDIS_SECRET not in out + err
    assert 'memory.db_url = "**********"' in out and 'memory.redis_url = "**********"' in out
    assert "memory.retention_days = 30" in out
    lines = memory_lines(out)
    assert "db.internal:5432/audit: configured" in lines["audit database"]
    assert "redis.internal:6379/0: configured" in lines["redis"]

    monkeypatch.setenv("INCIDENTBOT_DB_URL", f"mysql://audit:{PG_SECRET}@db.internal/audit")
    monkeypatch.setenv("INCIDENTBOT_REDIS_URL", f"http://:{REDIS_SECRET}@redis.internal:6379")
    monkeypatch.setenv("INCIDENTBOT_AUDIT_RETENTION_DAYS", "-3")
    code, out, err = run_cli("config")
    assert code == 2 and out == ""
    problems = err.strip().splitlines()
    assert len(problems) == 3, err
    by_var = {var: line for line in problems for var in ("INCIDENTBOT_DB_URL", "INCIDENTBOT_REDIS_URL",
                                                         "INCIDENTBOT_AUDIT_RETENTION_DAYS") if var in line}
    assert "sqlite:///PATH or postgresql://" in by_var["INCIDENTBOT_DB_URL"] and "mysql://" in by_var["INCIDENTBOT_DB_URL"]
    assert "redis://" in by_var["INCIDENTBOT_REDIS_URL"]
    assert "at least 1 day" in by_var["INCIDENTBOT_AUDIT_RETENTION_DAYS"]
    assert PG_SECRET not in err and REDIS_SECRET not in err

    monkeypatch.setenv("INCIDENTBOT_DB_URL", "none")
    monkeypatch.delenv("INCIDENTBOT_REDIS_URL")
    monkeypatch.delenv("INCIDENTBOT_AUDIT_RETENTION_DAYS")
    code, out, err = run_cli("config", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["settings"]["memory"] == {"db_url": None, "retention_days": 90, "redis_url": None}
    parts = {s["kind"]: s for s in doc["sources"] if s["kind"] in ("audit database", "redis")}
    assert parts["audit database"]["configured"] is False and parts["redis"]["configured"] is False


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("es_url", one_server(), indirect=True)
def test_config_check_reads_the_schema_revision_creating_nothing(run_cli, monkeypatch, db_url, es_url,
                                                                 memory_scenarios, redis_server) -> None:
    sc = memory_scenarios["coredns-forward-zone"]
    monkeypatch.setenv("INCIDENTBOT_DB_URL", db_url)
    monkeypatch.setenv("INCIDENTBOT_REDIS_URL", redis_server.url)
    args = ("config", "--check", "--json", "--es-url", es_url, "--logs-index", sc.logs_index,
            "--changes-index", sc.changes_index, "--at", sc.now)

    def parts() -> tuple[int, dict[str, dict]]:
        code, out, err = run_cli(*args)
        doc = json.loads(out)
        return code, {s["kind"]: s for s in doc["sources"] if s["kind"] in ("audit database", "redis")}

    code, found = parts()
    assert code == 0, found
    assert found["audit database"]["reachable"] is True and "will be created" in found["audit database"]["detail"]
    assert found["redis"]["reachable"] is True and "PING" in found["redis"]["detail"]
    if db_url.startswith("sqlite"):
        assert not Path(db_url[len("sqlite:///"):]).exists(), "the check created the SQLite file"
    else:
        assert _tables(db_url) == set(), "the check created tables"

    AuditStore(normalise_url(db_url)).close()  # the bot's first start: the schema at the newest revision
    code, found = parts()
    assert code == 0 and "schema at the newest revision" in found["audit database"]["detail"]

    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:  # a newer incidentbot migrated the database past what this one knows
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    code, found = parts()
    assert code == 3
    assert found["audit database"]["reachable"] is False and "9999_future" in found["audit database"]["detail"]
    assert found["redis"]["reachable"] is True


@pytest.mark.parametrize("es_url", one_server(), indirect=True)
def test_config_check_names_a_silent_database_and_a_refusing_redis(run_cli, monkeypatch, es_url,
                                                                   memory_scenarios) -> None:
    sc = memory_scenarios["coredns-forward-zone"]
    redis_port = refused_url().rsplit(":", 1)[1]
    monkeypatch.setenv("INCIDENTBOT_ES_TIMEOUT_S", "2")  # the memory checks wait at most this long
    monkeypatch.setenv("INCIDENTBOT_REDIS_URL", f"redis://:{REDIS_SECRET}@127.0.0.1:{redis_port}/0")
    with SilentServer() as silent:
        monkeypatch.setenv("INCIDENTBOT_DB_URL", f"postgresql://audit:{PG_SECRET}@127.0.0.1:{silent.port}/audit")
        code, out, err = run_cli("config", "--check", "--es-url", es_url, "--logs-index", sc.logs_index,
                                 "--changes-index", sc.changes_index, "--at", sc.now)
    assert code == 3, err
    lines = memory_lines(out)
    assert f"127.0.0.1:{silent.port}/audit: NOT REACHABLE" in lines["audit database"]
    assert f"127.0.0.1:{redis_port}/0: NOT REACHABLE" in lines["redis"] and "PING" in lines["redis"]
    assert "log store" in out and "NOT REACHABLE" not in out.split("audit database")[0].split("Sources:")[1]
    assert PG_SECRET not in out + err and REDIS_SECRET not in out + err
