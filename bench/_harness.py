"""Shared by the benchmarks: start a search server, load the fixtures, ask through the real pipeline."""
from __future__ import annotations

import sys
import time
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


# (scenario, question id, milliseconds, requests to the log store, searches the store ran) of every question
COSTS: list[tuple[str, str, float, int, int]] = []


def answered(expect_key: str) -> Iterator[tuple[Scenario, dict[str, Any], Answer]]:
    """Every fixture question that expects `expect_key`, asked through the pipeline on a fresh server.

    Each question's wall time and number of requests to the log store are kept
    in COSTS (`print_costs` prints them)."""
    scenarios = fixture_scenarios()
    with server() as url:
        load_all(url, scenarios)
        for sc in scenarios:
            for q in sc.questions:
                if expect_key in q["expect"] and q.get("command") != "whatchanged":
                    rt = runtime_for(sc, url, q.get("at"))
                    before, seen = rt.gateway.requests.total, len(rt.gateway.requests.records)
                    started = time.perf_counter()
                    ans = investigate(q["ask"], rt)
                    searches = sum(len(r.body) // 2 if r.verb == "msearch" else 1
                                   for r in rt.gateway.requests.records[seen:])
                    COSTS.append((sc.name, q["id"], (time.perf_counter() - started) * 1000,
                                  rt.gateway.requests.total - before, searches))
                    yield sc, q, ans


def print_costs(per_question: bool = True) -> None:
    """Per question: time, requests to the log store and the searches (passes) it ran; then the median, p95
    and worst time."""
    if not COSTS:
        return
    if per_question:
        print(f"\n{'scenario':<36} {'q':<4} {'ms':>7} {'requests':>8} {'passes':>6}")
        for name, qid, ms, n, passes in COSTS:
            print(f"{name:<36} {qid:<4} {ms:>7.0f} {n:>8} {passes:>6}")
    times = sorted(c[2] for c in COSTS)
    requests = sorted(c[3] for c in COSTS)
    passes = sorted(c[4] for c in COSTS)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"\n{len(COSTS)} questions: median {times[len(times) // 2]:.0f} ms, p95 {p95:.0f} ms, "
          f"worst {times[-1]:.0f} ms; requests per question {requests[0]}-{requests[-1]} "
          f"(median {requests[len(requests) // 2]}), passes {passes[0]}-{passes[-1]} "
          f"(median {passes[len(passes) // 2]})")
