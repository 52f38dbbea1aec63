"""Counting and grouping asks: "which hosts", "per minute" come back as a breakdown of the main query."""
from __future__ import annotations

import collections
import json

from support.servers import parse_json, scenario_args

NAME = "ledger-canary-deploy"


def _field(doc: dict, dotted: str):
    for part in dotted.split("."):
        doc = doc.get(part, {}) if isinstance(doc, dict) else {}
    return doc or None


def test_which_hosts_breakdown_matches_the_data(scenarios, es_url, run_cli) -> None:
    sc = scenarios[NAME]
    service = sc.questions[1]["expect"]["services"][0]
    code, out, err = run_cli("ask", f"which hosts logged errors in {service} in the last hour?", "--json",
                             "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 0, err
    ans = parse_json(out)
    assert ans["intent"]["group_by"] == "host"
    got = {b["key"]: b["count"] for b in ans["breakdown"]["buckets"]}
    start, end = ans["intent"]["start"], ans["intent"]["end"]
    want = collections.Counter(
        _field(d, "host.name") for d in sc.logs
        if _field(d, "service.name") == service and _field(d, "log.level") == "error"
        and start <= d["@timestamp"][:19] + "Z" <= end)
    assert got == dict(want.most_common(10))
    assert sum(got.values()) == ans["log_query"]["hits"] or len(want) > 10
    assert "By host:" in ans["summary"]


def test_per_minute_breakdown(scenarios, es_url, run_cli) -> None:
    sc = scenarios[NAME]
    service = sc.questions[1]["expect"]["services"][0]
    code, out, _ = run_cli("ask", f"5xx per minute from {service} in the last 30 minutes", "--json", "--at", sc.now,
                           *scenario_args(sc, es_url))
    ans = json.loads(out)
    buckets = ans["breakdown"]["buckets"]
    assert len(buckets) in (30, 31)
    assert sum(b["count"] for b in buckets) == ans["log_query"]["hits"]


def test_since_the_deploy_starts_at_the_latest_deploy(scenarios, es_url, run_cli) -> None:
    sc = scenarios["orders-inventory-deploy"]
    service = "inventory-service"
    deploys = [c for c in sc.changes if c["kind"] == "deploy" and c["service"] == service
               and c["@timestamp"] <= sc.now]
    latest = max(deploys, key=lambda c: c["@timestamp"])
    code, out, err = run_cli("ask", f"how many errors has {service} logged since the deploy?", "--json",
                             "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 0, err
    ans = json.loads(out)
    assert ans["intent"]["start"] == latest["@timestamp"].replace(".000", "")[:19] + "Z"
    assert any(latest["id"] in n for n in ans["notes"])
