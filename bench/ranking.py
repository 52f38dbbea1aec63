"""Suspect ranking over every fixture incident: top-1, top-3, MRR and abstention, next to two baselines,
and the calibration of the confidence labels.

Baselines, computed from the same answers' data: (1) the latest change before
the onset; (2) the latest change to a service the question names, before the
onset. Abstention: where no change caused the incident (culprit null), no
suspect may be `high`; a baseline always names one, so it never abstains.
Calibration: every suspect of every answer, by its label, and the share that
is the culprit (a suspect of an incident no change caused is never right);
the goal is high >= 90% and medium >= 50%.

    python bench/ranking.py [--json rows.json]
"""
from __future__ import annotations

import json
import logging
import sys

from _harness import answered, print_costs

from incidentbot.core.timeutil import parse_instant


def _rank(ids: list[str], culprit: str) -> int | None:
    return ids.index(culprit) + 1 if culprit in ids else None


def calibration_table(labels: list[tuple[str, bool]]) -> str:
    """label | suspects | share that is the culprit, as a Markdown table (README-ready)."""
    out = ["| label | suspects | share right |", "|---|---:|---:|"]
    for label in ("high", "medium", "low"):
        right = [ok for lab, ok in labels if lab == label]
        share = f"{sum(right) / len(right):.0%}" if right else "-"
        out.append(f"| {label} | {len(right)} | {share} |")
    return "\n".join(out)


def main() -> None:
    logging.disable(logging.WARNING)
    rows = []
    for sc, q, ans in answered("culprit"):
        onset = ans.evidence.onset.at if ans.evidence.onset else parse_instant(q.get("at") or sc.now)
        before = sorted((c for c in ans.changes if c.timestamp <= onset), key=lambda c: c.timestamp,
                        reverse=True)
        asked = set(ans.intent.services)
        rows.append({
            "name": sc.name, "culprit": q["expect"]["culprit"],
            "ours": [s.change.id for s in ans.suspects], "ours_high": any(s.confidence == "high" for s in ans.suspects),
            "labels": [(s.confidence, s.change.id == q["expect"]["culprit"]) for s in ans.suspects],
            "suspects": [{"id": s.change.id, "rank": s.rank, "score": round(s.score, 3), "confidence": s.confidence,
                          "factors": {k: round(v, 3) for k, v in s.factors.items()}} for s in ans.suspects],
            "latest": [c.id for c in before],
            "latest_asked": [c.id for c in before if c.service in asked],
        })
    caused = [r for r in rows if r["culprit"]]
    clean = [r for r in rows if not r["culprit"]]
    print(f"{len(rows)} incidents: {len(caused)} caused by a change, {len(clean)} not\n")
    print(f"{'method':<34} {'top-1':>6} {'top-3':>6} {'MRR':>6} {'abstains':>9}")
    for key, label in (("ours", "incidentbot ranking"), ("latest", "latest change before the onset"),
                       ("latest_asked", "latest change to the asked service")):
        ranks = [_rank(r[key], r["culprit"]) for r in caused]
        top1 = sum(1 for x in ranks if x == 1) / len(caused)
        top3 = sum(1 for x in ranks if x and x <= 3) / len(caused)
        mrr = sum(1 / x for x in ranks if x) / len(caused)
        abstain = (sum(not r["ours_high"] for r in clean) if key == "ours" else 0)
        print(f"{label:<34} {top1:>6.0%} {top3:>6.0%} {mrr:>6.2f} {abstain:>5}/{len(clean)}")
    print()
    print(calibration_table([label for r in rows for label in r["labels"]]))
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)
    misses = [r for r in caused if _rank(r["ours"], r["culprit"]) != 1] + [r for r in clean if r["ours_high"]]
    for r in misses:
        print(f"miss: {r['name']}: want {r['culprit']}, ranked {r['ours'][:3]}")
    print_costs()


if __name__ == "__main__":
    main()
