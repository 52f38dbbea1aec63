"""The question benchmark (bench/questions/questions.json): the server agrees with the counts worked out
from the data, and the deterministic parser reads every question's intent right."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from support.servers import ROOT, one_server
from incidentbot.core.catalog import Catalog
from incidentbot.question.parse import parse_question
from incidentbot.dev.scenario import read_scenario
from incidentbot.core.timeutil import parse_instant

QUESTIONS = json.loads((ROOT / "bench" / "questions" / "questions.json").read_text())
FIELDS = {"ecs": {"service": "service.name", "level": "log.level", "status": "http.response.status_code",
                  "message": "message", "path": "url.path"},
          "flat": {"service": "service", "level": "level", "status": "status", "message": "msg", "path": "path"}}
HEALTH = ["/health", "/healthz", "/ready", "/readyz", "/livez"]
SPELLINGS = {"error": ["error", "ERROR", "Error", "err", "ERR"], "warn": ["warn", "WARN", "warning", "WARNING"],
             "info": ["info", "INFO"], "debug": ["debug", "DEBUG"], "fatal": ["fatal", "FATAL"]}
_scenarios: dict[str, object] = {}


def _scenario(name: str):
    if name not in _scenarios:
        _scenarios[name] = read_scenario(ROOT / "fixtures" / name)
    return _scenarios[name]


def _millis(text: str) -> str:
    """To the millisecond: a window ends at its last named instant, 09:30:00.000, not 09:30:00.999."""
    return text.replace("Z", ".000Z") if "." not in text else text


def _count_body(expect: dict, fields: dict) -> dict:
    filters: list[dict] = [{"terms": {fields["service"]: expect["services"]}},
                           {"range": {"@timestamp": {"gte": _millis(expect["start"]), "lte": _millis(expect["end"])}}}]
    if expect["levels"]:
        filters.append({"terms": {fields["level"]: [s for lv in expect["levels"] for s in SPELLINGS[lv]]}})
    for label in expect["status"]:
        if label.endswith("xx"):
            base = int(label[0]) * 100
            filters.append({"range": {fields["status"]: {"gte": base, "lte": base + 99}}})
        else:
            filters.append({"term": {fields["status"]: int(label)}})
    must = [{"match_phrase": {fields["message"]: t}} for t in expect["text"]]
    must_not = []
    for x in expect.get("exclude", []):
        if x == "health":
            must_not.extend({"prefix": {fields["path"]: h}} for h in HEALTH)
        else:
            must_not.append({"match_phrase": {fields["message"]: x}})
    if expect.get("symptom") == "latency":  # requests with a measured duration, slower than asked
        name, per_ms = fields["duration"]
        slower = expect.get("slower_than_ms")
        filters.append({"exists": {"field": name}} if slower is None else
                       {"range": {name: {"gt": slower * per_ms}}})
    return {"query": {"bool": {"filter": filters, "must": must, "must_not": must_not}}}


def _fields(sc) -> dict:
    """The scenario's field names, with its duration field and how many of its units make a millisecond."""
    out = dict(FIELDS[sc.fields])
    if sc.fields == "ecs":
        out["duration"] = ("event.duration", 1_000_000)
    elif any("request_time" in d for d in sc.logs[:200]):
        out["duration"] = ("request_time", 0.001)  # nginx: seconds
    else:
        out["duration"] = ("duration_ms", 1)
    return out


@one_server()
def test_the_server_agrees_with_the_expected_counts(es_url, scenarios) -> None:
    from incidentbot.config import settings_from
    from incidentbot.gateway import ReadOnlyGateway

    checked = 0
    for q in QUESTIONS:
        ex = q["expect"]
        sc = scenarios[q["scenario"]]
        gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url, logs_index=sc.logs_index,
                                           changes_index=sc.changes_index))
        assert gw.count(sc.logs_index, _count_body(ex, _fields(sc))) == ex["hits"], q["ask"]
        checked += 1
    assert checked >= 150


@pytest.mark.parametrize("q", QUESTIONS, ids=[f"{q['scenario']}:{q['ask'][:40]}" for q in QUESTIONS])
def test_the_parser_reads_the_intent(q: dict) -> None:
    sc = _scenario(q["scenario"])
    known = sorted({(d.get("service") or {}).get("name") if isinstance(d.get("service"), dict) else d.get("service")
                    for d in sc.logs} - {None})
    at: datetime = parse_instant(q.get("at") or sc.now)
    p = parse_question(q["ask"], at, known, Catalog.load(sc.catalog_path))
    ex = q["expect"]
    assert sorted(p.services) == sorted(ex["services"])
    assert sorted(p.levels) == sorted(ex["levels"])
    assert sorted(s.label for s in p.status) == sorted(ex["status"])
    assert sorted(t.lower() for t in p.text) == sorted(t.lower() for t in ex["text"])
    assert p.symptom == ex.get("symptom", "errors")
    if p.symptom == "latency":
        assert p.slower_than_ms == ex["slower_than_ms"] and p.percentile == ex["percentile"]
        assert p.group_by == ex["group_by"]
    assert p.window is not None
    assert abs((p.window.start - parse_instant(ex["start"])).total_seconds()) <= 60
    assert abs((p.window.end - parse_instant(ex["end"])).total_seconds()) <= 60
