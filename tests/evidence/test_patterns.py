"""The miner groups lines of one template, and its templates agree with its members."""
import random

from support.benchscripts import bench_module

from incidentbot.evidence.patterns import mine_patterns



def test_groups_lines_from_several_templates() -> None:
    rng = random.Random(3)
    messages, truth = [], []
    for i in range(300):
        kind = rng.randrange(3)
        if kind == 0:
            messages.append(f"connection pool exhausted after {rng.randint(1, 60000)}ms waiting for a connection")
        elif kind == 1:
            messages.append(f"user {rng.choice(['alice', 'bob', 'carol'])} logged in from 10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        else:
            messages.append(f"GET /api/orders/{rng.randint(1, 9999)}/items returned {rng.choice([500, 502, 503])}")
        truth.append(kind)
    patterns, assignments = mine_patterns(messages)
    assert len(patterns) == 3
    templates = {p.template for p in patterns}
    assert templates == {
        "connection pool exhausted after <*>ms waiting for a connection",
        "user <*> logged in from <*>",
        "GET /api/orders/<*>/items returned <*>",
    }
    for kind in range(3):
        groups = {assignments[i] for i, t in enumerate(truth) if t == kind}
        assert len(groups) == 1
    assert sum(p.count for p in patterns) == 300


def test_sorted_by_count_then_first_member_and_members_consistent() -> None:
    messages = ["disk full on sda1", "", "cache warmed in 5ms", "disk full on sdb2", "cache warmed in 7ms",
                "cache warmed in 9ms", "", "disk full on sdc3"]
    patterns, assignments = mine_patterns(messages)
    assert assignments[1] is None and assignments[6] is None
    assert [p.count for p in patterns] == [3, 3]
    assert patterns[0].members == [0, 3, 7]  # tie broken by first member
    for index, pattern in enumerate(patterns):
        assert pattern.members == [i for i, a in enumerate(assignments) if a == index]
        assert pattern.count == len(pattern.members)


def test_final_template_covers_early_members() -> None:
    # the first member alone would give a literal template; the final one is generalised
    messages = ["worker alpha stopped", "worker beta stopped", "worker gamma stopped"]
    patterns, assignments = mine_patterns(messages)
    assert assignments == [0, 0, 0]
    assert patterns[0].template == "worker <*> stopped"


def test_merge_of_clusters_differing_only_in_masked_positions() -> None:
    # the first token routes these down different branches of Drain's tree
    messages = ["alpha job finished in 5ms", "<*> job finished in 9ms", "alpha job finished in 7ms",
                "job queue drained"]
    patterns, assignments = mine_patterns(messages)
    assert assignments[0] == assignments[1] == assignments[2] != assignments[3]
    assert patterns[assignments[0]].template == "<*> job finished in <*>ms"


def test_deterministic_and_empty() -> None:
    messages = [f"event {i % 7} from node-{i % 3}" for i in range(100)]
    assert mine_patterns(messages) == mine_patterns(list(messages))
    assert mine_patterns([]) == ([], [])
    assert mine_patterns(["", "  "]) == ([], [None, None])


def test_accuracy_on_labelled_logs_beats_raw_drain3() -> None:
    evaluate = bench_module("patterns_accuracy").evaluate
    build_all = bench_module("labelled_logs").build_all

    results = [evaluate(sample) for sample in build_all(lines=2000, seed=11)]
    ours = sum(r["ours"] for r in results) / len(results)
    floor = sum(r["drain3"] for r in results) / len(results)
    assert ours >= floor
    assert ours >= 0.9
    for r in results:
        assert r["ours"] >= r["drain3"] - 1e-9
