"""Grouping accuracy and throughput of the template miner against raw drain3.

Grouping accuracy (Loghub's definition): an item is right when the group it
was put in holds exactly the items that share its true template. It is
computed per message for both miners on the same messages (the prefixes
stripped by `split_messages`), so the comparison is of the miners alone;
"ours e2e" is per raw line, through `split_messages` + `mine_patterns`, as
`incidentbot patterns` runs it. The floor is drain3's `TemplateMiner` with
its default settings, on the same messages.

Then the throughput of the whole command, `incidentbot patterns FILE --json`
as a separate process (start-up, reading, masking, mining and writing the
JSON included) on a 200,000-line mix of all the samples, in lines per
second of wall time and of CPU time: on a shared machine the wall time also
counts the other processes, the CPU time does not.

Run: `python bench/patterns_accuracy.py [--lines N] [--seed S] [--command-lines N]`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig
from labelled_logs import KINDS, LabelledLog, build_all

from incidentbot.evidence.patterns import mine_patterns
from incidentbot.evidence.rawlines import split_messages


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


def evaluate(sample: LabelledLog) -> dict[str, float]:
    """Accuracy of both miners on one sample, and their throughput in lines per second."""
    started = time.perf_counter()
    messages, line_map = split_messages(sample.lines)
    patterns, assignments = mine_patterns([m.text for m in messages])
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


def big_input(path: Path, lines: int, seed: int) -> None:
    """A mixed input of `lines` lines: every kind of sample, shuffled (seeded)."""
    per_kind = lines // len(KINDS) + 1
    mixed: list[str] = []
    for sample in build_all(lines=per_kind, seed=seed):
        mixed.extend(sample.lines)
    random.Random(seed).shuffle(mixed)
    path.write_text("\n".join(mixed[:lines]) + "\n", encoding="utf-8")


def command_throughput(lines: int, seed: int) -> dict[str, float]:
    """Lines per second of the whole `incidentbot patterns FILE --json` process, start-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.log"
        big_input(path, lines, seed)
        exe = shutil.which("incidentbot") or ""
        command = [exe] if exe else [sys.executable, "-m", "incidentbot.cli"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([*command, "patterns", str(path), "--json"], capture_output=True, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assigned = len(json.loads(done.stdout)["assignments"])
    return {"lines": assigned, "wall_s": wall, "cpu_s": cpu, "wall_lps": assigned / wall, "cpu_lps": assigned / cpu,
            "load": os.getloadavg()[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000, help="lines per labelled sample")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--command-lines", type=int, default=200_000,
                        help="size of the input for the whole-command throughput (0: skip)")
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
    print(f"lowest sample: {min(r['ours'] for r in rows):.3f}")
    if args.command_lines:
        t = command_throughput(args.command_lines, args.seed)
        print(f"\n`incidentbot patterns FILE --json` on {t['lines']:.0f} lines (start-up included): "
              f"{t['wall_lps']:,.0f} lines/s wall ({t['wall_s']:.2f} s), {t['cpu_lps']:,.0f} lines/s of CPU "
              f"({t['cpu_s']:.2f} s); load average {t['load']:.1f} on "
              f"{os.cpu_count()} cores (wall time is shared with whatever else runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
