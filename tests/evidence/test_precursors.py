"""Planted precursors: warnings that began before the onset are found and tie the change that started them."""
from __future__ import annotations

import json

import pytest

from support.servers import scenario_args

NAME = "webhook-retry-storm"


def test_precursor_warnings_are_found_before_the_onset(scenarios, es_url, run_cli) -> None:
    if NAME not in scenarios:
        pytest.skip(f"fixture {NAME} not generated")
    sc = scenarios[NAME]
    q = next(q for q in sc.questions if "culprit" in q["expect"])
    code, out, err = run_cli("ask", q["ask"], "--json", "--at", sc.now, *scenario_args(sc, es_url))
    assert code == 0, err
    ans = json.loads(out)
    pre = [p for p in ans["patterns"] if p["precursor"]]
    assert pre, [p["template"] for p in ans["patterns"]]
    assert all(p["first_seen"] < ans["onset"] for p in pre)
    # every precursor line is a warning from before the onset, and cited as real evidence
    by_id = {e["id"]: e for e in ans["evidence"]}
    for p in pre:
        for ev_id in p["evidence"]:
            assert by_id[ev_id]["@timestamp"] < ans["onset"]
    top = ans["suspects"][0]
    assert top["change_id"] == q["expect"]["culprit"]
    assert any("precursor" in r for r in top["reasons"])


def test_no_precursor_without_an_onset(scenarios, es_url, run_cli) -> None:
    sc = scenarios["quiet-search-latency"]
    code, out, _ = run_cli("ask", sc.questions[0]["ask"], "--json", "--at", sc.now, *scenario_args(sc, es_url))
    ans = json.loads(out)
    assert ans["onset"] is None and not [p for p in ans["patterns"] if p["precursor"]]
