"""A failing or slow log store, injected on the wire by a proxy in front of a real noida-db.

Each test reproduced a defect of issue 13 before the fix: a trickling store
got no answer at all, 5xx/429/truncated answers were "internal error"
(exit 1), a missing index was reported as an unknown service, partial counts
were reported as exact, and a comma list of indices was refused.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.faultproxy import Fault, Store, store  # noqa: F401 - the fixture
from support.servers import parse_json

pytestmark = pytest.mark.integration  # one noida-db with one scenario (support/faultproxy.py)

EXE = str(Path(sys.executable).with_name("incidentbot"))


def _args(st: Store, url: str, logs_index: str | None = None) -> list[str]:
    sc = st.scenario
    return ["--es-url", url, "--logs-index", logs_index or sc.logs_index, "--changes-index", sc.changes_index,
            "--at", sc.now]


def _ask(st: Store, url: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "ask", st.scenario.questions[0]["ask"], "--json", *_args(st, url), *extra],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "INCIDENTBOT_STRICT_PRIVILEGES": "true", **(env or {})})


def test_a_trickling_msearch_is_answered_at_the_deadline_with_what_is_known(store: Store) -> None:
    proxy = store.proxy(Fault(r"_msearch", "trickle", every_s=1.0))
    proc = _ask(store, proxy.url, env={"INCIDENTBOT_ANSWER_DEADLINE_S": "4"})
    assert proc.returncode == 0, proc.stderr
    doc = parse_json(proc.stdout)
    assert doc["partial"] is True
    failed = {s["name"]: s["error"] for s in doc["sources"] if not s["ok"]}
    # the deadline runs out on whichever read was under way (discovery's msearch, then the evidence round)
    assert "log store" in failed and "4s answer deadline" in failed["log store"] and "did not finish" in failed["log store"]
    assert "did not answer in time" in doc["summary"]
    assert doc["suspects"] == []  # no ranking on no evidence


@pytest.mark.parametrize("path,status,tries", [(r"_msearch", 503, 3), (r"_msearch", 500, 1), (r"_mapping", 429, 3)])
def test_persistent_error_statuses_are_store_unavailable_exit_3(store: Store, run_cli: Any, path: str,
                                                                status: int, tries: int) -> None:
    proxy = store.proxy(Fault(path, "status", status=status))
    code, out, err = run_cli("ask", store.scenario.questions[0]["ask"], "--json", *_args(store, proxy.url))
    assert code == 3, err
    assert out == "" and "internal error" not in err
    assert f"HTTP {status}" in err and f"{tries} time(s)" in err
    # overload (429/503) is retried, then named; a 500 is named at once
    assert sum(1 for s in proxy.seen if path in s.path) == tries


def test_a_truncated_response_is_named_exit_3(store: Store, run_cli: Any) -> None:
    proxy = store.proxy(Fault(r"_msearch", "truncate"))
    code, out, err = run_cli("ask", store.scenario.questions[0]["ask"], "--json", *_args(store, proxy.url))
    assert code == 3, err
    assert "could not be read" in err and "cut short" in err and "internal error" not in err


def test_a_missing_logs_index_exits_2_and_lists_what_matches(store: Store, run_cli: Any) -> None:
    sc = store.scenario
    configured = f"{sc.logs_index}-gone,logs-*"
    code, out, err = run_cli("ask", sc.questions[0]["ask"], "--json", *_args(store, store.url, configured))
    assert code == 2 and out == "" and "internal error" not in err
    assert f"no index matches '{configured}'" in err and f"configured patterns: {sc.changes_index}, {sc.logs_index}" in err
    code, out, err = run_cli("ask", sc.questions[0]["ask"], "--json", *_args(store, store.url, "logs-gone-*"))
    assert code == 2 and out == ""
    assert "no index matches 'logs-gone-*'" in err and f"configured patterns: {sc.changes_index};" in err


def test_missing_index_lists_the_existing_ones_matching_the_pattern(store: Store) -> None:
    from incidentbot.config import settings_from
    from incidentbot.core.errors import NoSuchIndex
    from incidentbot.gateway import ReadOnlyGateway

    sc = store.scenario
    gw = ReadOnlyGateway(settings_from(env={}, es_url=store.url, logs_index="logs-*"))
    with pytest.raises(NoSuchIndex) as info:
        gw.search("logs-gone", {"size": 0})
    assert sc.logs_index in str(info.value)


def _partial(doc: dict[str, Any]) -> dict[str, Any]:
    for response in doc.get("responses", []):
        response["timed_out"] = True
        response["_shards"] = {"total": 5, "successful": 3, "skipped": 0, "failed": 2,
                               "failures": [{"shard": 1, "index": "x", "reason": {"type": "node_disconnected"}}]}
    return doc


def test_timed_out_and_failed_shards_say_the_count_is_partial(store: Store, run_cli: Any) -> None:
    proxy = store.proxy(Fault(r"_msearch", "rewrite", rewrite=_partial))
    code, out, err = run_cli("ask", store.scenario.questions[0]["ask"], "--json", *_args(store, proxy.url))
    assert code == 0, err
    doc = parse_json(out)
    assert doc["partial"] is True
    reasons = " ".join(doc["partial_reasons"])
    assert "timed out on the server" in reasons and "2 of 5 shards failed (node_disconnected)" in reasons
    assert doc["summary"].startswith("The counts are partial, lower bounds")
    assert any(n.startswith("partial result:") for n in doc["notes"])


def test_exact_answers_are_not_marked_partial(store: Store, run_cli: Any) -> None:
    code, out, err = run_cli("ask", store.scenario.questions[0]["ask"], "--json", *_args(store, store.url))
    assert code == 0, err
    doc = parse_json(out)
    assert doc["partial"] is False and doc["partial_reasons"] == []
    assert doc["log_query"]["hits"] > 0


def test_a_comma_list_of_indices_is_accepted(store: Store, run_cli: Any) -> None:
    sc = store.scenario
    listed = f"{sc.logs_index},{sc.logs_index}-archive-*"
    code, out, err = run_cli("ask", sc.questions[0]["ask"], "--json", *_args(store, store.url, listed))
    assert code == 0, err
    doc = parse_json(out)
    assert doc["log_query"]["hits"] > 0 and doc["log_query"]["index"] == listed
    assert json.dumps(doc).count("outside the configured patterns") == 0
