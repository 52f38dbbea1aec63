"""The memory tests run the same suite on SQLite and on a real PostgreSQL server started here."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.dbservers import PostgresServer, RedisServer
from support.httpserve import started

from incidentbot.dev.scenario import Scenario, load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (its own data folder and port)."""
    yield from started(PostgresServer())


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis server for the session."""
    yield from started(RedisServer())


_db_counter = iter(range(1, 10_000))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])  # a real server: the integration tier
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty audit database for each test: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    pg: PostgresServer = request.getfixturevalue("postgres")
    import psycopg

    name = f"audit_{next(_db_counter)}"
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def memory_scenarios(es_url: str) -> dict[str, Scenario]:
    """A few fixtures loaded under their own names (mem-...), so a test may delete one's logs."""
    out = {}
    for name in ("coredns-forward-zone", "orders-inventory-deploy", "mesh-cert-rotation"):
        sc = read_scenario(ROOT / "fixtures" / name)
        copy = dataclasses.replace(sc, name=f"mem-{name}")
        load_scenario(copy, es_url, force=True)
        out[name] = copy
    return out

