"""Slack load: N simultaneous signed mentions against the bot's HTTP endpoint, with a fake Slack Web API.

What it measures: the ack latency (Slack's 3-second deadline, which must not
depend on load), the time to the first streamed step (the first task that
completes, with its result, in the answer's stream) and the time to the
final answer (the chat.stopStream that ends the stream; with --refuse-stream,
the chat.update that replaces "Investigating..."), p50/p95/max, over the
fixtures' first questions. Each fixture is served by its own endpoint (its own replay time
and indices), all sharing ONE bounded worker pool, as a single bot process
would: so the answer times include queueing behind the pool's 8 workers.

    python bench/slack_load.py [--mentions 20] [--workers 8] [--server noida|osmem] [--refuse-stream]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _harness import fixture_scenarios, load_all, runtime_for, server  # noqa: E402
from support.fakeslack import BotServer, FakeSlackAPI, final_update, mention, stopped  # noqa: E402

from incidentbot.slack.deps import Workers  # noqa: E402

ACK_DEADLINE_S = 3.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def describe(name: str, values: list[float]) -> str:
    return (f"{name:<16} p50 {statistics.median(values) * 1000:8.0f} ms   p95 {pct(values, 95) * 1000:8.0f} ms"
            f"   max {max(values) * 1000:8.0f} ms")


def first_step(api: FakeSlackAPI, channel: str) -> float | None:
    """When the first completed step reached Slack in `channel`'s stream (None: nothing was streamed)."""
    for c in api.of("chat.appendStream", channel) + api.of("chat.stopStream", channel):
        chunks = c.params.get("chunks") or []
        if any(ch.get("type") == "task_update" and ch.get("status") == "complete" for ch in chunks):
            return c.at
    return None


def final(api: FakeSlackAPI, channel: str) -> Any:
    return stopped(api, channel) or final_update(api, channel)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=20)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--server", default="noida", choices=["noida", "osmem"])
    ap.add_argument("--refuse-stream", action="store_true", help="play a workspace that refuses streaming")
    args = ap.parse_args()

    scenarios = fixture_scenarios()
    with server(args.server) as url:
        load_all(url, scenarios)
        api = FakeSlackAPI().start()
        if args.refuse_stream:
            api.refuse_streaming()
        workers = Workers(max_workers=args.workers, per_channel=3)
        chosen = [scenarios[i % len(scenarios)] for i in range(args.mentions)]
        bots = {sc.name: BotServer(runtime_for(sc, url), api, workers=workers).start()
                for sc in {sc.name: sc for sc in chosen}.values()}
        jobs = [(bots[sc.name], f"CLOAD{i:03d}", sc.questions[0]["ask"]) for i, sc in enumerate(chosen)]
        acks: list[float] = [0.0] * len(jobs)
        sent: list[float] = [0.0] * len(jobs)
        statuses: list[int] = [0] * len(jobs)
        barrier = threading.Barrier(len(jobs))

        def fire(i: int) -> None:
            bot, channel, question = jobs[i]
            barrier.wait()
            sent[i] = time.monotonic()
            resp = bot.event(mention(channel, question))
            acks[i], statuses[i] = resp.elapsed, resp.status

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finals, firsts = [], []
        for i, (_, channel, _) in enumerate(jobs):
            call = api.wait_for(lambda a, c=channel: final(a, c), timeout=300)
            finals.append(call.at - sent[i])
            step = first_step(api, channel)
            if step is not None:
                firsts.append(step - sent[i])
        refusals = ("I can't answer that", "so I have no answer", "Sorry, something went wrong")  # work.failure_text
        failed = [ch for _, ch, _ in jobs if any(word in json.dumps(final(api, ch).params) for word in refusals)]
        late = [a for a in acks if a >= ACK_DEADLINE_S]
        print(f"{len(jobs)} simultaneous mentions over {len(bots)} fixtures, {args.workers} workers, "
              f"server {args.server}, {'progress message (streaming refused)' if args.refuse_stream else 'streamed'}; "
              f"HTTP statuses {sorted(set(statuses))}; acknowledged in time {len(acks) - len(late)}/{len(jobs)}; "
              f"answers {len(finals) - len(failed)}/{len(jobs)}")
        print(describe("ack latency", acks))
        if firsts:
            print(describe("first step", firsts) + f"   ({len(firsts)} streams)")
        unstreamed = [ch for _, ch, _ in jobs if first_step(api, ch) is None]
        if unstreamed and not args.refuse_stream:
            ends = {ch: final(api, ch) for ch in unstreamed}
            print("no completed step streamed in: " + ", ".join(
                f"{ch} ({c.method}: {json.dumps(c.params.get('chunks') or c.params.get('text'))[:160]})"
                for ch, c in ends.items()))
        print(describe("time to answer", finals))
        for bot in bots.values():
            bot.server.close()
        workers.shutdown()
        api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
