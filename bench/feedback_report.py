"""Feedback over time: how often responders found the answers helpful, and whether the named cause was ranked.

Reads an export of the feedback sink as JSON lines, one `Feedback` a line
(`investigation_id`, `user`, `channel`, `thread_ts`, `helpful`,
`cause_change_id`, `at`), and optionally the answers those investigations
gave (JSON lines of `incidentbot ask --json` output, which carry
`investigation_id` and the ranked `suspects`). Per period it prints the
feedback count, the helpful share, how many causes were named, how many were
"none of these", and, with the answers, how often the named cause was the
first suspect or in the first three: the ranking's accuracy as the people
who fixed the incident saw it.

    python bench/feedback_report.py feedback.jsonl [--answers answers.jsonl] [--period day|week]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

NONE_OF_THESE = "none"  # incidentbot.core.feedback.NONE_OF_THESE, spelled here so the report reads any export


@dataclass
class Period:
    votes: int = 0
    helpful: int = 0
    causes: int = 0
    none_of_these: int = 0
    top1: int = 0
    top3: int = 0
    ranked: int = 0  # named causes whose answer is known
    investigations: set[str] = field(default_factory=set)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            print(f"{path}:{n}: skipped, not JSON ({exc.msg})", file=sys.stderr)
    return rows


def period_of(at: str, period: str) -> str:
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if period == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    return when.date().isoformat()


def latest_votes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One thumbs and one cause per person per investigation: the last click counts (people change their mind)."""
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: str(r.get("at") or "")):
        kind = "cause" if row.get("cause_change_id") else "thumbs"
        last[(str(row.get("investigation_id")), str(row.get("user")), kind)] = row
    return list(last.values())


def report(feedback: list[dict[str, Any]], answers: dict[str, list[str]], period: str) -> dict[str, Period]:
    """Aggregate per period; `answers` maps an investigation id to its suspects' change ids, best first."""
    out: dict[str, Period] = defaultdict(Period)
    for row in latest_votes(feedback):
        if not row.get("at") or not row.get("investigation_id"):
            continue
        p = out[period_of(str(row["at"]), period)]
        p.investigations.add(str(row["investigation_id"]))
        if row.get("helpful") is not None:
            p.votes += 1
            p.helpful += bool(row["helpful"])
        cause = row.get("cause_change_id")
        if not cause:
            continue
        p.causes += 1
        if cause == NONE_OF_THESE:
            p.none_of_these += 1
        suspects = answers.get(str(row["investigation_id"]))
        if suspects is not None:
            p.ranked += 1
            p.top1 += bool(suspects) and suspects[0] == cause
            p.top3 += cause in suspects[:3]
    return dict(sorted(out.items()))


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}%" if d else "    -"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("feedback", type=Path, help="feedback export, JSON lines")
    ap.add_argument("--answers", type=Path, help="answers (ask --json output), JSON lines")
    ap.add_argument("--period", choices=["day", "week"], default="week")
    args = ap.parse_args(argv)
    answers: dict[str, list[str]] = {}
    if args.answers:
        for a in read_jsonl(args.answers):
            if a.get("investigation_id"):
                answers[str(a["investigation_id"])] = [str(s.get("change_id")) for s in a.get("suspects") or []]
    rows = report(read_jsonl(args.feedback), answers, args.period)
    print(f"{'period':<11} {'answers':>7} {'votes':>5} {'helpful':>7} {'causes':>6} {'none':>6} "
          f"{'top-1':>6} {'top-3':>6}")
    for name, p in rows.items():
        print(f"{name:<11} {len(p.investigations):>7} {p.votes:>5} {pct(p.helpful, p.votes):>7} {p.causes:>6} "
              f"{pct(p.none_of_these, p.causes):>6} {pct(p.top1, p.ranked):>6} {pct(p.top3, p.ranked):>6}")
    if not rows:
        print("no feedback in the export")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
