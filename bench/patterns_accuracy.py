"""Grouping accuracy and throughput of the template miner against raw drain3.

Grouping accuracy (Loghub's definition): an item is right when the group it
was put in holds exactly the items that share its true template. It is
computed per message for both miners on the same messages (the prefixes
stripped by `split_messages`), so the comparison is of the miners alone;
"ours e2e" is per raw line, through `split_messages` + `mine_patterns`, as
`incidentbot patterns` runs it. The floor is drain3's `TemplateMiner` with
its default settings.

Run: `python bench/patterns_accuracy.py [--lines N] [--seed S] [--grid]`.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Hashable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from drain3 import TemplateMiner  # noqa: E402
from drain3.template_miner_config import TemplateMinerConfig  # noqa: E402

from incidentbot.evidence.patterns import mine_patterns  # noqa: E402
from incidentbot.evidence.rawlines import split_messages  # noqa: E402
from labelled_logs import LabelledLog, build_all  # noqa: E402


def grouping_accuracy(truth: Sequence[Hashable | None], predicted: Sequence[Hashable | None]) -> float:
    """Share of items (with a true label) whose predicted group equals their true group."""
    true_groups: dict[Hashable, set[int]] = defaultdict(set)
    pred_groups: dict[Hashable, set[int]] = defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted)):
        if t is None:
            continue
        true_groups[t].add(i)
        pred_groups[("p", p) if p is not None else ("none", i)].add(i)
    total = sum(len(g) for g in true_groups.values())
    if not total:
        return 1.0
    correct = 0
    for i, (t, p) in enumerate(zip(truth, predicted)):
        if t is None:
            continue
        if pred_groups[("p", p) if p is not None else ("none", i)] == true_groups[t]:
            correct += 1
    return correct / total


def raw_drain3(messages: Sequence[str]) -> list[int]:
    """drain3 as it comes: default settings, no masking, one cluster id per message."""
    config = TemplateMinerConfig()
    miner = TemplateMiner(config=config)
    return [miner.add_log_message(m)["cluster_id"] for m in messages]


def evaluate(sample: LabelledLog, *, similarity: float | None = None, depth: int | None = None) -> dict[str, float]:
    """Accuracy of both miners on one sample, and their throughput in lines per second."""
    kwargs = {k: v for k, v in (("similarity", similarity), ("depth", depth)) if v is not None}
    started = time.perf_counter()
    messages, line_map = split_messages(sample.lines)
    patterns, assignments = mine_patterns([m.text for m in messages], **kwargs)
    ours_s = time.perf_counter() - started
    message_truth = [sample.labels[m.line_index] for m in messages]
    line_pred = [assignments[i] if i is not None else None for i in line_map]

    started = time.perf_counter()
    baseline = raw_drain3([m.text for m in messages])
    raw_s = time.perf_counter() - started
    return {
        "lines": len(sample.lines),
        "messages": len(messages),
        "templates": len(set(message_truth)),
        "ours": grouping_accuracy(message_truth, assignments),
        "ours_e2e": grouping_accuracy(sample.labels, line_pred),
        "drain3": grouping_accuracy(message_truth, baseline),
        "found": len(patterns),
        "ours_lps": len(sample.lines) / ours_s,
        "drain3_lps": len(messages) / raw_s,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--grid", action="store_true", help="also sweep similarity and depth")
    args = parser.parse_args(argv)
    samples = build_all(lines=args.lines, seed=args.seed)

    print(f"{'sample':<10} {'lines':>6} {'msgs':>6} {'true':>5} {'found':>5} {'ours':>6} {'e2e':>6} "
          f"{'drain3':>6} {'ours l/s':>9} {'drain3 l/s':>10}")
    rows = []
    for sample in samples:
        r = evaluate(sample)
        rows.append(r)
        print(f"{sample.name:<10} {r['lines']:>6} {r['messages']:>6} {r['templates']:>5} {r['found']:>5} "
              f"{r['ours']:>6.3f} {r['ours_e2e']:>6.3f} {r['drain3']:>6.3f} {r['ours_lps']:>9.0f} "
              f"{r['drain3_lps']:>10.0f}")
    mean = {k: sum(r[k] for r in rows) / len(rows) for k in ("ours", "ours_e2e", "drain3", "ours_lps", "drain3_lps")}
    print(f"{'mean':<10} {'':>6} {'':>6} {'':>5} {'':>5} {mean['ours']:>6.3f} {mean['ours_e2e']:>6.3f} "
          f"{mean['drain3']:>6.3f} {mean['ours_lps']:>9.0f} {mean['drain3_lps']:>10.0f}")

    if args.grid:
        print("\nsimilarity depth  mean accuracy (per sample)")
        for depth in (3, 4, 5, 6):
            for similarity in (0.3, 0.4, 0.5, 0.6, 0.7):
                accs = [evaluate(s, similarity=similarity, depth=depth)["ours"] for s in samples]
                print(f"{similarity:>10.2f} {depth:>5}  {sum(accs) / len(accs):.3f} "
                      f"({' '.join(f'{a:.3f}' for a in accs)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
