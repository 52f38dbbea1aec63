"""Is the memory usable? The audit database and Redis, each asked one question that changes nothing.

`incidentbot config --check` calls these before a deployment goes live. Unlike
opening an `AuditStore` (which creates and migrates the schema), the database
check only reads: the Alembic revision the database is at, compared with the
newest one shipped. A SQLite file that does not exist yet is not created (its
folder must be writable: the bot will create it at first start), and an
existing one is opened read-only. Each check is bounded by `timeout_s`, also
against a server that accepts the connection and then never answers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from incidentbot.core.deadline import DeadlineExceeded, call_within
from incidentbot.core.mask import mask_secrets
from incidentbot.memory.config import normalise_url
from incidentbot.memory.migrate import alembic_config

TABLE = "investigations"


@dataclass(frozen=True)
class Health:
    """Whether the part answers as the bot needs it, and the line a person reads."""

    ok: bool
    detail: str


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return mask_secrets(f"{type(cause).__name__}: {text[0] if text else ''}")[:240]


def schema_head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return str(head)


def _revision(engine: Engine) -> Health:
    """The revision the database is at, against the newest this version ships (read-only)."""
    head = schema_head()
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        has_table = inspect(conn).has_table(TABLE)
    if current is None:
        if has_table:
            return Health(False, f"table {TABLE} exists without an Alembic revision: not a database this bot "
                                 "created; point INCIDENTBOT_DB_URL at an empty database or the bot's own")
        return Health(True, f"reachable, empty: the schema (revision {head}) will be created at first start")
    if current == head:
        return Health(True, f"reachable, schema at the newest revision {head}")
    if current in known:
        return Health(True, f"reachable, schema at revision {current}: will be upgraded to {head} at start")
    return Health(False, f"the schema is at revision {current}, which this version of incidentbot does not know "
                         f"(its newest is {head}): a newer incidentbot migrated it; run that version")


def _sqlite(url: str, timeout_s: float) -> Health:
    path = Path(url[len("sqlite:///"):]).expanduser()
    if url == "sqlite:///:memory:":
        return Health(True, "in memory: nothing is kept after the process ends")
    if not path.exists():
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            return Health(False, f"{path} does not exist and {folder} is not writable: the bot cannot create it")
        return Health(True, f"{path} does not exist yet: it will be created (schema revision {schema_head()}) "
                            "at first start")
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": timeout_s})
    try:
        return _revision(engine)
    finally:
        engine.dispose()


def check_database(url: str, timeout_s: float) -> Health:
    """Reachable, and at the schema this version expects (or one it will create or upgrade at start)?"""
    url = normalise_url(url)
    try:
        if url.startswith("sqlite:"):
            return call_within(lambda: _sqlite(url, timeout_s), timeout_s, "audit database check")
        engine = create_engine(url, connect_args={"connect_timeout": max(int(timeout_s), 1)})
        try:
            return call_within(lambda: _revision(engine), timeout_s, "audit database check")
        finally:
            engine.dispose()
    except DeadlineExceeded:
        return Health(False, f"the audit database did not answer within {timeout_s:g}s")
    except (SQLAlchemyError, OSError) as exc:
        return Health(False, f"cannot be read: {_first_line(exc)}")


def check_redis(url: str, timeout_s: float) -> Health:
    """Does Redis answer PING (with the URL's credentials and database)?"""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        call_within(client.ping, timeout_s + 1, "redis ping")
        return Health(True, "answered PING")
    except DeadlineExceeded:
        return Health(False, f"Redis did not answer PING within {timeout_s:g}s")
    except (redis.RedisError, OSError) as exc:
        return Health(False, f"did not answer PING: {_first_line(exc)}")
    finally:
        client.close()
