"""`incidentbot patterns` streams: memory stays bounded however long the input, and nothing is lost."""
import io
import json
import random
import tracemalloc
from pathlib import Path

from incidentbot.evidence.stream import StreamMiner
from incidentbot.patterns_command import run

TEMPLATES = [
    "{ts} INFO [worker-{n}] c.x.Jobs - job {n} finished in {ms}ms",
    "{ts} WARN [worker-{n}] c.x.Pool - pool {word} at {pct}% capacity",
    "{ts} ERROR [worker-{n}] c.x.Db - connection to 10.0.{n}.{m}:5432 refused after {ms}ms",
    "{ts} INFO [main] c.x.Http - GET /api/orders/{n} returned 200 in {ms} ms",
]


def write_log(path: Path, lines: int, seed: int = 5) -> None:
    """A generated log, written in chunks (never held whole)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        chunk = []
        for i in range(lines):
            t = TEMPLATES[rng.randrange(len(TEMPLATES))]
            chunk.append(t.format(ts=f"2026-03-14 14:{i // 6000 % 60:02d}:{i // 100 % 60:02d},{i % 1000:03d}",
                                  n=rng.randint(1, 9999), m=rng.randint(1, 254), ms=rng.randint(1, 99999),
                                  pct=rng.randint(1, 99), word=rng.choice(["alpha", "beta", "gamma", "delta"])))
            if i % 7 == 6:
                chunk.append("")
            if len(chunk) >= 5000:
                out.write("\n".join(chunk) + "\n")
                chunk = []
        out.write("\n".join(chunk) + "\n" if chunk else "")


class Sink(io.TextIOBase):
    """Standard output that counts the assignments instead of keeping them."""

    def __init__(self) -> None:
        self.tail = ""
        self.size = 0
        self.nulls = 0
        self.p_count = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        self.nulls += text.count("null")
        self.p_count += text.count('"P')
        self.tail = (self.tail + text)[-200:]
        return len(text)


def peak_while_running(path: Path) -> tuple[int, Sink]:
    sink = Sink()
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            assert run(str(path), True, handle, sink, io.StringIO()) == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sink


def test_memory_does_not_grow_with_the_input(tmp_path: Path) -> None:
    small, large = tmp_path / "small.log", tmp_path / "large.log"
    write_log(small, 15_000)
    write_log(large, 90_000)
    peak_small, _ = peak_while_running(small)
    peak_large, out_large = peak_while_running(large)
    # six times the lines; what is held is the table of shapes and one batch, not the lines
    assert peak_large < peak_small * 1.5 + 2_000_000, (peak_small, peak_large)
    assert peak_large < large.stat().st_size / 2
    # and every line got its assignment, streamed out: a null per blank line
    assert out_large.nulls == 90_000 // 7
    assert out_large.tail.endswith("]}\n")


def test_streamed_json_equals_the_in_memory_answer(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    write_log(path, 3_000)
    out = io.StringIO()
    with path.open("rb") as handle:
        assert run(str(path), True, handle, out, io.StringIO()) == 0
    doc = json.loads(out.getvalue())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(doc["assignments"]) == len(lines)
    assert [a is None for a in doc["assignments"]] == [not line for line in lines]
    counts = {p["id"]: p["count"] for p in doc["patterns"]}
    for pid, count in counts.items():
        assert doc["assignments"].count(pid) == count
    templates = {p["template"] for p in doc["patterns"]}
    assert "job <*> finished in <*>ms" in templates
    assert "pool <*> at <*>% capacity" in templates  # four words at one position: a variable, one pattern
    assert "connection to <*> refused after <*>ms" in templates
    assert doc["patterns"][0]["level"] == "error"


def test_distinct_shapes_are_capped_and_said() -> None:
    miner = StreamMiner(max_distinct=50)
    rng = random.Random(3)
    words = ["".join(rng.choice("qwrtzpsdfghjklxcvbnm") for _ in range(8)) for _ in range(500)]
    miner.feed([f"{w} happened" for w in words])
    patterns = miner.finish()
    assert len(miner.table.texts) <= 50
    assert miner.overflowed > 0
    assert sum(p.count for p in patterns) == 500
    assert list(miner.assignments(["x"] * len(patterns))).count(None) == 0
    miner.close()
