"""Shared test fixtures: a real search server (started here, or INCIDENTBOT_TEST_ES_URL) with every scenario loaded.

Helpers live in tests/support (import them from there, never from this file).

Tests start noida-db themselves on a free port with a temporary data
directory; with INCIDENTBOT_TEST_ES_URL set, the same tests run against that
cluster instead (whose credential must also be able to load the fixtures, so
the privilege check is told to warn rather than refuse).
"""
from __future__ import annotations

import os
from typing import Any

import pytest
from support.servers import scenario_dirs, server_params

from incidentbot.dev.embedded import EmbeddedOpenSearch, EmbeddedSearchServer
from incidentbot.dev.scenario import Scenario, load_scenario, read_scenario


@pytest.fixture(scope="session", autouse=True)
def audit_database(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The CLI records every answer: the tests' answers go to a temporary SQLite file, never the home folder."""
    if os.environ.get("INCIDENTBOT_DB_URL"):
        yield os.environ["INCIDENTBOT_DB_URL"]
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('audit') / 'audit.sqlite3'}"
    os.environ["INCIDENTBOT_DB_URL"] = url
    try:
        yield url
    finally:
        os.environ.pop("INCIDENTBOT_DB_URL", None)


@pytest.fixture(scope="session", params=server_params())
def es_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A search server: Elasticsearch's API (noida-db), OpenSearch's (osmem-server), or a real cluster."""
    if request.param == "given":
        os.environ.setdefault("INCIDENTBOT_STRICT_PRIVILEGES", "false")
        yield os.environ["INCIDENTBOT_TEST_ES_URL"].rstrip("/")
        return
    server: Any = (EmbeddedSearchServer(tmp_path_factory.mktemp("noida")) if request.param == "noida"
                   else EmbeddedOpenSearch())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def scenarios(es_url: str) -> dict[str, Scenario]:
    """Every scenario of fixtures/ (and the packaged demo), loaded once (a test tool: it writes, so force)."""
    out: dict[str, Scenario] = {}
    for path in scenario_dirs():
        sc = read_scenario(path)
        if sc.name in out:
            continue
        load_scenario(sc, es_url, force=True)
        out[sc.name] = sc
    return out


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the CLI's main() in-process; returns (exit code, stdout, stderr)."""
    from incidentbot.cli import main

    for var in ("OPENAI_API_KEY", "INCIDENTBOT_NOW", "INCIDENTBOT_ES_URL", "INCIDENTBOT_CATALOG"):
        monkeypatch.delenv(var, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
