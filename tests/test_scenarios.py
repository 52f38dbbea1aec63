"""Every fixture question through the CLI's entry point, checked against its expectations.

The same checks as ../shared/check-contract.py, plus: every citation resolves
and every evidence line fetches its real document.
"""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from support.servers import parse_json, scenario_args, scenario_dirs
from incidentbot.config import settings_from
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.dev.scenario import read_scenario

REQUIRED = ["question", "at", "mode", "intent", "log_query", "onset", "patterns", "evidence", "suspects",
            "summary", "timing_ms"]


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _cases() -> list:
    cases = []
    for path in scenario_dirs():
        sc = read_scenario(path)
        for q in sc.questions:
            cases.append(pytest.param(sc.name, q, id=f"{sc.name}-{q['id']}"))
    return cases


@pytest.mark.parametrize("name,question", _cases())
def test_question_meets_expectations(name: str, question: dict, scenarios: dict, es_url: str, run_cli) -> None:
    sc = scenarios[name]
    at = question.get("at", sc.now)
    command = "whatchanged" if question.get("command") == "whatchanged" else "ask"
    code, out, err = run_cli(command, question["ask"], "--at", at, "--json", *scenario_args(sc, es_url))
    assert code == 0, err
    ans = parse_json(out)
    ex = question["expect"]
    if command == "ask":
        assert not [k for k in REQUIRED if k not in ans]
        scope = ans["intent"]
        _check_citations(ans, es_url, sc)
    else:
        scope = ans
    suspects = sorted(ans.get("suspects") or [], key=lambda s: s["rank"])
    if "culprit" in ex:
        if ex["culprit"] is None:
            assert not any(s["confidence"] == "high" for s in suspects), suspects
        else:
            assert suspects and suspects[0]["change_id"] == ex["culprit"], [(s["change_id"], s["score"], s["reasons"]) for s in suspects]
    if "onset" in ex:
        if ex["onset"] is None:
            assert ans["onset"] is None
        else:
            assert ans["onset"] and abs((_t(ans["onset"]) - _t(ex["onset"])).total_seconds()) <= 120, ans["onset"]
    if ex.get("pattern"):
        new = [p for p in ans["patterns"] if p["new"]]
        wants = ex["pattern"] if isinstance(ex["pattern"], list) else [ex["pattern"]]
        assert new and any(w.lower() in new[0]["template"].lower() for w in wants), [p["template"] for p in new]
    if "services" in ex:
        got = set(scope["services"])
        if "hits" in ex:
            assert got == set(ex["services"])
        else:
            assert set(ex["services"]) <= got
    if "levels" in ex:
        assert sorted(scope["levels"]) == sorted(ex["levels"])
    for edge in ("start", "end"):
        if edge in ex:
            assert abs((_t(scope[edge]) - _t(ex[edge])).total_seconds()) <= 60, (edge, scope[edge])
    if "hits" in ex:
        assert ans["log_query"]["hits"] == ex["hits"]
    if "changes" in ex:
        got_ids = [c["id"] for c in ans["changes"]]
        assert sorted(got_ids) == sorted(ex["changes"])
        stamps = [c["@timestamp"] for c in ans["changes"]]
        assert stamps == sorted(stamps, reverse=True), "newest first"


def _check_citations(ans: dict, es_url: str, sc) -> None:
    ids = {x["id"] for k in ("patterns", "evidence", "suspects") for x in ans[k]} | {ans["log_query"]["id"]}
    ids |= {q["id"] for q in ans.get("queries", [])}
    cited = re.findall(r"\[([A-Z]\d+)\]", ans["summary"])
    assert cited, ans["summary"]
    assert all(c in ids for c in cited), (cited, ids)
    assert not re.search(r"\[[A-Z]\d+\s*,", ans["summary"]), "one id per bracket"
    if ans["log_query"]["hits"]:
        assert ans["evidence"], "hits but no evidence lines"
    gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index))
    for line in ans["evidence"]:
        doc = gw.get(line["index"], line["doc_id"])
        assert doc is not None and doc["found"], line
