"""Which search servers the integration tiers use, where the scenarios are, and small CLI helpers.

Tiers (markers registered in pyproject.toml): a test that needs a search server
gets the `es_url` fixture, whose first server is marked `integration` and the
others (the server matrix: noida-db and osmem-server) `matrix`. Tests without
a server carry no marker: the fast tier is `-m "not integration and not matrix"`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from incidentbot.cli import demo_scenario_path
from incidentbot.dev.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def scenario_dirs() -> list[Path]:
    dirs = sorted(p for p in FIXTURES.iterdir() if (p / "scenario.json").is_file())
    return dirs + [demo_scenario_path()]


def servers() -> list[str]:
    """Which servers the integration tests run on: a given cluster, else noida-db and osmem-server."""
    if os.environ.get("INCIDENTBOT_TEST_ES_URL"):
        return ["given"]
    wanted = os.environ.get("INCIDENTBOT_TEST_SERVERS", "noida,osmem")
    return [s.strip() for s in wanted.split(",") if s.strip()]


def server_params() -> list[Any]:
    """The servers as fixture parameters: the first one is the `integration` tier, the rest the `matrix`."""
    return [pytest.param(name, id=name, marks=pytest.mark.integration if i == 0 else pytest.mark.matrix)
            for i, name in enumerate(servers())]


def one_server() -> pytest.MarkDecorator:
    """For tests that need a server but gain nothing from the matrix: the first server only."""
    return pytest.mark.parametrize("es_url", server_params()[:1], indirect=True)


def scenario_args(sc: Scenario, es_url: str) -> list[str]:
    args = ["--es-url", es_url, "--logs-index", sc.logs_index, "--changes-index", sc.changes_index]
    if sc.catalog_path:
        args += ["--catalog", str(sc.catalog_path)]
    return args


def parse_json(out: str) -> dict[str, Any]:
    """Standard output must be one JSON object and nothing else."""
    return json.loads(out)
