"""How well the bot reads the questions of bench/questions/questions.json, end to end.

Starts a local search server (noida-db), loads the fixture scenarios the questions use, asks every
question through `incidentbot.pipeline.investigate` (the path every door takes) and compares the
answer's intent and main count with the expectation:

  window    intent start and end each within 60 s of the expected ones
  services  the services the main count searched (intent.services) equal the expected ones exactly
  levels    the same canonical levels
  text      the same phrases (case-insensitive)
  status    the same status labels ("5xx", "502")
  hits      the main count equals the expected number of documents exactly

and prints the accuracy of each field, the share of questions right on every field, and the misses.

Run: `python bench/question_accuracy.py [--only SCENARIO ...] [--json]`
(with INCIDENTBOT_TEST_ES_URL set, that cluster is used instead of starting one).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incidentbot.config import settings_from  # noqa: E402
from incidentbot.dev.embedded import EmbeddedSearchServer  # noqa: E402
from incidentbot.pipeline import Runtime, investigate  # noqa: E402
from incidentbot.dev.scenario import load_scenario, read_scenario  # noqa: E402
from incidentbot.core.timeutil import parse_instant  # noqa: E402

QUESTIONS = ROOT / "bench" / "questions" / "questions.json"
FIXTURES = ROOT / "fixtures"
FIELDS = ("window", "services", "levels", "text", "status", "symptom", "hits")
TOLERANCE_S = 60


def load_questions(only: list[str] | None = None) -> list[dict[str, Any]]:
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    return [q for q in questions if not only or q["scenario"] in only]


def _t(value: Any) -> datetime:
    return value if isinstance(value, datetime) else parse_instant(str(value))


def grade(expect: dict[str, Any], got: dict[str, Any]) -> dict[str, bool]:
    """Which fields of one answer are right. `got` holds services, start, end, levels, text, status, hits."""
    if got.get("error"):
        return {f: False for f in FIELDS}
    return {
        "window": abs((_t(got["start"]) - _t(expect["start"])).total_seconds()) <= TOLERANCE_S
        and abs((_t(got["end"]) - _t(expect["end"])).total_seconds()) <= TOLERANCE_S,
        "services": sorted(got["services"]) == sorted(expect["services"]),
        "levels": sorted(got["levels"]) == sorted(expect["levels"]),
        "text": sorted(t.lower() for t in got["text"]) == sorted(t.lower() for t in expect["text"]),
        "status": sorted(got["status"]) == sorted(expect["status"]),
        # errors unless the question is about slowness; then the threshold and percentile asked for too
        "symptom": (got["symptom"], got.get("slower_than_ms"), got.get("percentile")) ==
                   (expect.get("symptom", "errors"), expect.get("slower_than_ms"), expect.get("percentile"))
                   if expect.get("symptom") else got["symptom"] == "errors",
        "hits": got["hits"] == expect["hits"],
    }


def ask_all(questions: list[dict[str, Any]], es_url: str) -> list[dict[str, Any]]:
    """Load the scenarios, ask every question; returns one row per question."""
    scenarios = {}
    for name in sorted({q["scenario"] for q in questions}):
        sc = read_scenario(FIXTURES / name)
        load_scenario(sc, es_url, force=True)
        scenarios[name] = sc
    runtimes: dict[str, Runtime] = {}
    rows = []
    for q in questions:
        sc = scenarios[q["scenario"]]
        if sc.name not in runtimes:
            settings = settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index,
                                     catalog_path=sc.catalog_path, at=sc.now)
            runtimes[sc.name] = Runtime.create(settings, env={})
        rt = runtimes[sc.name]
        at = _t(q.get("at") or sc.now)
        try:
            ans = investigate(q["ask"], rt, at=at)
            it = ans.intent
            got = {"ask_kind": it.ask, "services": list(it.services), "related_services": list(it.related_services),
                   "start": it.start, "end": it.end, "levels": list(it.levels), "text": list(it.text),
                   "exclude": list(it.exclude_text), "status": [s.label for s in it.status],
                   "symptom": it.symptom, "slower_than_ms": it.slower_than_ms, "percentile": it.percentile,
                   "hits": ans.evidence.main.hits}
        except Exception as exc:  # a refusal or a failure is a miss on every field
            got = {"error": f"{type(exc).__name__}: {exc}"}
        rows.append({"question": q, "got": got, "right": grade(q["expect"], got)})
    return rows


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    per_field = {f: sum(r["right"][f] for r in rows) for f in FIELDS}
    overall = sum(all(r["right"].values()) for r in rows)
    print(f"{n} questions over {len({r['question']['scenario'] for r in rows})} scenarios\n")
    print(f"{'field':<10} {'right':>7} {'accuracy':>9}")
    for f in FIELDS:
        print(f"{f:<10} {per_field[f]:>7} {per_field[f] / n:>9.1%}")
    print(f"{'overall':<10} {overall:>7} {overall / n:>9.1%}\n")
    misses = [r for r in rows if not all(r["right"].values())]
    if misses:
        print(f"misses ({len(misses)}):")
    for r in misses:
        q, got, ex = r["question"], r["got"], r["question"]["expect"]
        wrong = [f for f in FIELDS if not r["right"][f]]
        print(f"- [{q['scenario']}] {q['ask']!r}: wrong {', '.join(wrong)}")
        if got.get("error"):
            print(f"    error: {got['error']}")
            continue
        for f in wrong:
            if f == "window":
                print(f"    window: got {_iso(got['start'])} .. {_iso(got['end'])}, want {ex['start']} .. {ex['end']}")
            elif f == "hits":
                print(f"    hits: got {got['hits']}, want {ex['hits']} (read as {got['ask_kind']})")
            else:
                print(f"    {f}: got {got[f]}, want {ex[f]}")
    return {"questions": n, "per_field": {f: per_field[f] / n for f in FIELDS}, "overall": overall / n,
            "misses": [{"scenario": r["question"]["scenario"], "ask": r["question"]["ask"],
                        "wrong": [f for f in FIELDS if not r["right"][f]]} for r in misses]}


def _iso(t: Any) -> str:
    return _t(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="only these scenarios")
    ap.add_argument("--json", help="also write the figures and misses to this file")
    a = ap.parse_args(argv)
    questions = load_questions(a.only)
    url = os.environ.get("INCIDENTBOT_TEST_ES_URL")
    if url:
        os.environ.setdefault("INCIDENTBOT_STRICT_PRIVILEGES", "false")
        rows = ask_all(questions, url.rstrip("/"))
    else:
        with tempfile.TemporaryDirectory(prefix="incidentbot-bench-") as tmp:
            server = EmbeddedSearchServer(Path(tmp))
            server.start()
            try:
                rows = ask_all(questions, server.url)
            finally:
                server.stop()
    summary = report(rows)
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
