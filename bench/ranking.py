"""Suspect ranking over every fixture incident: top-1, top-3, MRR and abstention, next to two baselines.

Baselines, computed from the same answers' data: (1) the latest change before
the onset; (2) the latest change to a service the question names, before the
onset. Abstention: where no change caused the incident (culprit null), no
suspect may be `high`; a baseline always names one, so it never abstains.

    python bench/ranking.py
"""
from __future__ import annotations

import logging

from _harness import answered, print_costs

from incidentbot.core.timeutil import parse_instant


def _rank(ids: list[str], culprit: str) -> int | None:
    return ids.index(culprit) + 1 if culprit in ids else None


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
    misses = [r for r in caused if _rank(r["ours"], r["culprit"]) != 1] + [r for r in clean if r["ours_high"]]
    for r in misses:
        print(f"miss: {r['name']}: want {r['culprit']}, ranked {r['ours'][:3]}")
    print_costs()


if __name__ == "__main__":
    main()
