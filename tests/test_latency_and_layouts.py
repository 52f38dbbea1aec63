"""Slowness and log layouts through the public entry point (`incidentbot ask --json`), on real servers.

- a latency question gets the `latency` object: the duration field and its unit, how the percentiles
  were computed (the server's `percentiles` where it has them, range buckets where it answers 400),
  before/after figures within one bucket of the exact values worked out here from the fixture's own
  documents, the onset and the culprit;
- durations in seconds (nginx `request_time`) are counted in seconds, and INCIDENTBOT_FIELD_DURATION(_UNIT)
  override discovery (a wrong unit visibly changes the count);
- one pattern over a flat index and an ECS index (and one it cannot read) counts, dates and mines both,
  each with its own field names, and names the unreadable index with the reason.
"""
from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
from support.servers import FIXTURES, one_server, parse_json, scenario_args

from incidentbot.dev.scenario import (
    _Writer,
    changes_mapping,
    logs_mapping,
    read_scenario,
)

pytestmark = one_server()


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _exact(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _server_has_percentiles(es_url: str, index: str) -> bool:
    body = json.dumps({"size": 0, "query": {"match_none": {}},
                       "aggs": {"p": {"percentiles": {"field": "event.duration"}}}}).encode()
    req = urllib.request.Request(f"{es_url}/{index}/_search", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30):
            return True
    except urllib.error.HTTPError:
        return False


def test_a_latency_question_states_percentiles_before_and_after_with_the_method(es_url, scenarios, run_cli):
    sc = scenarios["search-highlighter-deploy-latency"]
    code, out, err = run_cli("ask", "why is search-api sluggish?", "--at", sc.now, "--json", *scenario_args(sc, es_url))
    assert code == 0, err
    ans = parse_json(out)
    lat = ans["latency"]
    assert (lat["field"], lat["unit"], lat["source"]) == ("event.duration", "ns", "Q1")
    want_method = "percentiles" if _server_has_percentiles(es_url, sc.logs_index) else "range-buckets"
    assert lat["method"].startswith(want_method)
    expected = next(q["expect"] for q in sc.questions if q["ask"] == "why is search-api sluggish?")
    onset = _t(ans["onset"])
    assert abs((onset - _t(expected["onset"])).total_seconds()) <= 120 and lat["onset"] == ans["onset"]
    # the exact percentiles, from the documents themselves, on each side of the onset within the window
    start, end = _t(ans["intent"]["start"]), _t(ans["intent"]["end"])
    durations = [(_t(d["@timestamp"]), d["event"]["duration"] / 1e6) for d in sc.logs
                 if d["service"]["name"] == "search-api" and "event" in d and start <= _t(d["@timestamp"]) <= end]
    before = [ms for t, ms in durations if t < onset]
    after = [ms for t, ms in durations if t >= onset]
    for side, values in (("before", before), ("after", after)):
        for p in (50, 95, 99):
            got, want = lat[side][f"p{p}"], _exact(values, p)
            assert want / 1.25 <= got <= want * 1.25, (side, p, got, want)
    assert lat["after"]["p95"] > 3 * lat["before"]["p95"]
    assert ans["suspects"][0]["change_id"] == expected["culprit"]
    assert "p95 from" in ans["summary"] and f"[{ans['log_query']['id']}]" in ans["summary"]
    assert any("percentiles by" in n for n in ans["notes"])


def _count(es_url, sc, run_cli, question, *extra_env):
    code, out, err = run_cli("ask", question, "--at", sc.now, "--json", *scenario_args(sc, es_url))
    assert code == 0, err
    return parse_json(out)


def test_durations_in_seconds_and_the_override(es_url, scenarios, run_cli, monkeypatch):
    sc = scenarios["media-thumbs-cache-latency"]
    q = next(q for q in sc.questions if "slower than 0.5s" in q["ask"])
    ans = _count(es_url, sc, run_cli, q["ask"])
    assert ans["log_query"]["hits"] == q["expect"]["hits"] > 0
    assert ans["intent"]["symptom"] == "latency" and ans["intent"]["slower_than_ms"] == 500
    assert (ans["latency"]["field"], ans["latency"]["unit"]) == ("request_time", "s")
    # the same field named by setting, with its unit: the same count; with a wrong unit, seconds read as ms
    from incidentbot.question.fields import FIELD_CACHE
    for unit, same in (("s", True), ("ms", False)):
        monkeypatch.setenv("INCIDENTBOT_FIELD_DURATION", "request_time")
        monkeypatch.setenv("INCIDENTBOT_FIELD_DURATION_UNIT", unit)
        FIELD_CACHE._entries.clear()  # discovery is cached per process; the setting changes it
        got = _count(es_url, sc, run_cli, q["ask"])
        assert (got["log_query"]["hits"] == q["expect"]["hits"]) is same, (unit, got["log_query"]["hits"])
    FIELD_CACHE._entries.clear()


def _to_ecs(d: dict) -> dict:
    out = {"@timestamp": d["@timestamp"], "service": {"name": d["service"], "version": d["version"]},
           "log": {"level": d["level"].lower()}, "message": d["msg"], "host": {"name": d["host"]},
           "trace": {"id": d["trace_id"]}}
    if "status" in d:
        out["http"] = {"response": {"status_code": d["status"]}}
    if "path" in d:
        out["url"] = {"path": d["path"]}
    if "duration_ms" in d:
        out["event"] = {"duration": d["duration_ms"] * 1_000_000}
    return out


@pytest.fixture(scope="module")
def mixed(es_url):
    """booking-availability-pool split over two layouts behind logs-mixlayout-*: the failing dependency in a
    flat index, everything else converted to ECS; plus an index with no timestamp, which cannot be read."""
    sc = read_scenario(FIXTURES / "booking-availability-pool")
    writer = _Writer(es_url)
    try:
        flat = [d for d in sc.logs if d["service"] == "availability-svc"]
        ecs = [_to_ecs(d) for d in sc.logs if d["service"] != "availability-svc"]
        writer.recreate("logs-mixlayout-flat", logs_mapping("flat"))
        writer.bulk("logs-mixlayout-flat", flat)
        writer.recreate("logs-mixlayout-ecs", logs_mapping("ecs"))
        writer.bulk("logs-mixlayout-ecs", ecs)
        writer.recreate("logs-mixlayout-odd", {"properties": {"note": {"type": "keyword"}}})
        writer.bulk("logs-mixlayout-odd", [{"note": "no time here"}])
        writer.recreate("changes-mixlayout", changes_mapping())
        writer.bulk("changes-mixlayout", sc.changes)
    finally:
        writer.close()
    return sc


def _mixed_args(es_url, sc):
    return ["--es-url", es_url, "--logs-index", "logs-mixlayout-*", "--changes-index", "changes-mixlayout",
            "--catalog", str(sc.catalog_path)]


def test_counts_cover_every_layout_behind_the_pattern(es_url, mixed, run_cli):
    sc = mixed
    now = _t(sc.now)
    for service in ("availability-svc", "booking-api"):
        start = now - timedelta(minutes=45)
        want = sum(1 for d in sc.logs if d["service"] == service and d["level"] == "ERROR"
                   and start <= _t(d["@timestamp"]) <= now)
        code, out, err = run_cli("ask", f"how many errors did {service} log in the last 45 minutes?", "--at", sc.now,
                                 "--json", *_mixed_args(es_url, sc))
        assert code == 0, err
        ans = parse_json(out)
        assert ans["log_query"]["hits"] == want > 0, service
        assert any("could not be read" in n and "logs-mixlayout-odd" in n for n in ans["notes"])
        assert any("2 field layouts" in n for n in ans["notes"])


def test_an_investigation_finds_onset_patterns_and_culprit_across_layouts(es_url, mixed, run_cli):
    sc = mixed
    q = next(q for q in sc.questions if "culprit" in q["expect"])
    code, out, err = run_cli("ask", q["ask"], "--at", sc.now, "--json", *_mixed_args(es_url, sc))
    assert code == 0, err
    ans = parse_json(out)
    assert abs((_t(ans["onset"]) - _t(q["expect"]["onset"])).total_seconds()) <= 120
    assert "availability-svc" in ans["affected_services"]  # its lines are only in the flat index
    templates = " | ".join(p["template"].lower() for p in ans["patterns"] if p["new"])
    assert any(p.lower() in templates for p in q["expect"]["pattern"]), templates
    assert ans["suspects"][0]["change_id"] == q["expect"]["culprit"]
    indices = {e["index"] for e in ans["evidence"]}
    assert {"logs-mixlayout-flat", "logs-mixlayout-ecs"} <= indices, indices
