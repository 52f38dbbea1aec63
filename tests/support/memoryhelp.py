"""Helpers of the memory tests: a runtime on a loaded fixture, its first investigative question."""
from __future__ import annotations

from typing import Any

from support.servers import server_params

from incidentbot.config import settings_from
from incidentbot.dev.scenario import Scenario
from incidentbot.pipeline import Runtime


def one_server() -> list[Any]:
    """The memory layer does not depend on the search backend: the first configured server (the integration tier)."""
    return server_params()[:1]


def runtime(sc: Scenario, es_url: str, logs_index: str | None = None) -> Runtime:
    settings = settings_from(env={}, es_url=es_url, logs_index=logs_index or sc.logs_index,
                             changes_index=sc.changes_index,
                             catalog_path=str(sc.catalog_path) if sc.catalog_path else None, at=sc.now)
    return Runtime.create(settings, env={})


def first_question(sc: Scenario) -> dict[str, Any]:
    return next(q for q in sc.questions if q.get("expect", {}).get("culprit"))
