"""Shared by the benchmarks: start a search server, load the fixtures, ask through the real pipeline."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incidentbot.config import settings_from  # noqa: E402
from incidentbot.dev.embedded import EmbeddedOpenSearch, EmbeddedSearchServer  # noqa: E402
from incidentbot.core.answer import Answer  # noqa: E402
from incidentbot.pipeline import Runtime, investigate  # noqa: E402
from incidentbot.dev.scenario import Scenario, load_scenario, read_scenario  # noqa: E402


def fixture_scenarios() -> list[Scenario]:
    return [read_scenario(p) for p in sorted((ROOT / "fixtures").iterdir()) if (p / "scenario.json").is_file()]


@contextmanager
def server(kind: str = "noida") -> Iterator[str]:
    srv = EmbeddedOpenSearch() if kind == "osmem" else EmbeddedSearchServer()
    srv.start()
    try:
        yield srv.url
    finally:
        srv.stop()


def runtime_for(sc: Scenario, url: str, at: str | None = None, **kw: object) -> Runtime:
    settings = settings_from(env={}, es_url=url, logs_index=sc.logs_index, changes_index=sc.changes_index,
                             catalog_path=str(sc.catalog_path) if sc.catalog_path else None, at=at or sc.now)
    return Runtime.create(settings, env={}, **kw)


def load_all(url: str, scenarios: list[Scenario]) -> None:
    for sc in scenarios:
        load_scenario(sc, url, force=True)


def answered(expect_key: str) -> Iterator[tuple[Scenario, dict[str, Any], Answer]]:
    """Every fixture question that expects `expect_key`, asked through the pipeline on a fresh server."""
    scenarios = fixture_scenarios()
    with server() as url:
        load_all(url, scenarios)
        for sc in scenarios:
            for q in sc.questions:
                if expect_key in q["expect"] and q.get("command") != "whatchanged":
                    yield sc, q, investigate(q["ask"], runtime_for(sc, url, q.get("at")))
