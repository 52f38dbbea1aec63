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
    assert len(results) >= 8
    ours = sum(r["ours"] for r in results) / len(results)
    floor = sum(r["drain3"] for r in results) / len(results)
    assert ours >= floor
    assert ours >= 0.95
    for r in results:
        assert r["ours"] >= 0.85
        assert r["ours_e2e"] >= 0.85


def _partition(assignments: list[int | None]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, a in enumerate(assignments):
        if a is not None:
            groups.setdefault(a, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_one_constant_word_apart_is_two_templates() -> None:
    rng = random.Random(1)
    messages = [f"connection {rng.choice(['closed', 'reset'])} by peer {rng.randint(1, 9)}.{rng.randint(1, 9)}.0.1"
                for _ in range(200)]
    patterns, assignments = mine_patterns(messages)
    assert {p.template for p in patterns} == {"connection closed by peer <*>", "connection reset by peer <*>"}
    for i, m in enumerate(messages):
        assert patterns[assignments[i]].template.split()[1] == m.split()[1]


def test_a_value_repeated_in_the_first_lines_does_not_split_its_template() -> None:
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]
    messages = [f"session opened for user alice from 10.0.0.{i}" for i in range(50)]  # alice only, at first
    messages += [f"session opened for user {users[i % 7]} from 10.0.1.{i}" for i in range(300)]
    patterns, assignments = mine_patterns(messages)
    assert [p.template for p in patterns] == ["session opened for user <*> from <*>"]
    assert set(assignments) == {0}


def test_grouping_does_not_depend_on_the_order_of_lines() -> None:
    rng = random.Random(4)
    messages = [rng.choice([f"worker {rng.choice(['alpha', 'beta', 'gamma', 'delta'])} stopped after {rng.randint(1, 99)}s",
                            f"cache {rng.choice(['hit', 'miss'])} for key k{rng.randint(1, 999)}",
                            f"user {rng.choice(['ann', 'ben', 'cy', 'di', 'ed'])} logged out"]) for _ in range(400)]
    _, forward = mine_patterns(messages)
    order = list(range(len(messages)))
    rng.shuffle(order)
    _, shuffled = mine_patterns([messages[i] for i in order])
    back = [None] * len(messages)
    for j, i in enumerate(order):
        back[i] = shuffled[j]
    assert _partition(forward) == _partition(back)
    assert len(_partition(forward)) == 4  # hit and miss are two templates; four workers and five users are values


def test_words_that_vary_together_split_the_group() -> None:
    rng = random.Random(2)
    kinds = [("started", "runner"), ("stopped", "scheduler"), ("paused", "watcher")]
    messages = []
    for _ in range(300):
        verb, noun = rng.choice(kinds)
        messages.append(f"{verb} job {noun} {rng.randint(1, 999)}")
    patterns, _ = mine_patterns(messages)
    assert {p.template for p in patterns} == {"started job runner <*>", "stopped job scheduler <*>",
                                              "paused job watcher <*>"}


def test_enumerations_booleans_and_masked_values_are_variables() -> None:
    rng = random.Random(5)
    messages = [f"breaker {rng.randint(1, 9)} changed state to {rng.choice(['OPEN', 'CLOSED', 'HALF_OPEN'])}"
                for _ in range(100)]
    messages += [f"setWriteDB {rng.choice(['true', 'false'])}" for _ in range(100)]
    messages += [f"open through proxy p.example.com:{rng.randint(1, 9999)} {rng.choice(['HTTPS', 'SOCKS5'])}"
                 for _ in range(100)]
    patterns, _ = mine_patterns(messages)
    assert {p.template for p in patterns} == {"breaker <*> changed state to <*>", "setWriteDB <*>",
                                              "open through proxy <*> <*>"}


def test_a_value_spanning_a_varying_number_of_words_is_one_template() -> None:
    rng = random.Random(6)
    messages = []
    for _ in range(200):
        targets = " ".join(f"10.0.0.{rng.randint(1, 254)}:50010" for _ in range(rng.randint(1, 3)))
        messages.append(f"ask 10.0.0.1:50010 to replicate blk_{rng.randint(1, 10**9)} to datanode(s) {targets}")
    patterns, assignments = mine_patterns(messages)
    assert [p.template for p in patterns] == ["ask <*> to replicate blk_<*> to datanode(s) <*>"]
    assert set(assignments) == {0}


def test_routes_split_and_file_paths_do_not() -> None:
    rng = random.Random(7)
    messages = [rng.choice([f"GET /api/orders/{rng.randint(1, 999)} 200", "GET /healthz 200",
                            f"GET /static/js/{rng.choice(['app', 'main'])}.{rng.randint(10**6, 10**7)}.js 200"])
                for _ in range(300)]
    messages += [f"cannot open /home/{rng.choice(['ann', 'ben', 'cy'])}{rng.randint(1, 99)}/.{rng.choice(['profile', 'bashrc'])}"
                 f"{rng.randint(1, 50)} for reading" for _ in range(100)]
    patterns, _ = mine_patterns(messages)
    assert {p.template for p in patterns} == {"GET /api/orders/<*> <*>", "GET /healthz <*>", "GET /static/js/<*> <*>",
                                              "cannot open /home/<*> for reading"}


def test_optional_trailing_fields_are_one_template() -> None:
    rng = random.Random(8)
    messages = [f"authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.{rng.randint(1, 254)}"
                + (f"  user={rng.choice(['root', 'guest'])}" if rng.random() < 0.5 else "") for _ in range(200)]
    patterns, assignments = mine_patterns(messages)
    assert len(patterns) == 1 and set(assignments) == {0}
    assert patterns[0].template.startswith("authentication failure; logname= uid=<*> euid=<*> tty=<*> ruser= rhost=<*>")
