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
    python bench/slack_load.py --replicas 2 [--redis-url URL]

With --replicas N, N separate processes each serve every fixture (each with
its own pool of --workers), sharing one Redis (started here on a free port
unless --redis-url is given); the mentions are split across them, and each
is also re-delivered to the next replica as a Slack retry, which must be
dropped: the figures count duplicate answers.
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

from _harness import fixture_scenarios, load_all, runtime_for, server
from support.fakeslack import (
    BOT_TOKEN,
    SECRET,
    BotServer,
    FakeSlackAPI,
    event_body,
    final_update,
    mention,
    post,
    stopped,
)

from incidentbot.config import settings_from
from incidentbot.slack.deps import Workers
from incidentbot.slack.pacing import EditPacing

ACK_DEADLINE_S = 3.0
# what the bot says when it has no answer (incidentbot.slack.work.failure_text)
REFUSALS = ("I can't answer that", "so I have no answer", "Sorry, something went wrong")


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
    """The call that ended the answer: the stream's stop, else the progress message's last edit."""
    return stopped(api, channel) or final_update(api, channel)


def replies(api: FakeSlackAPI, channel: str) -> list[Any]:
    """Every reply the bot started in `channel`: accepted streams and posted messages (more than one: a duplicate)."""
    started = [c for c in api.of("chat.startStream", channel) if isinstance(c.reply, dict) and c.reply.get("ok")]
    return started + api.of("chat.postMessage", channel)


def progress_edits(api: FakeSlackAPI, channels: list[str]) -> str:
    """How many chat.update calls were progress (before each answer), in all and in the busiest minute."""
    edits = [u for ch in channels for u in api.of("chat.update", ch) if "Investigating" in str(u.params.get("text"))]
    times = sorted(u.at for u in edits)
    busiest = max((sum(1 for t in times if start <= t < start + 60) for start in times), default=0)
    per = [sum(1 for u in edits if u.params.get("channel") == ch) for ch in channels]
    return (f"progress edits (chat.update before the answer): {len(edits)} in all, {busiest} in the busiest minute "
            f"(app budget {EditPacing().per_minute}/min), per answer p50 {statistics.median(per):.0f} / max {max(per)}; "
            f"429s {sum(1 for u in api.of('chat.update') if u.reply == 429)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=20)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--server", default="noida", choices=["noida", "osmem"])
    ap.add_argument("--refuse-stream", action="store_true", help="play a workspace that refuses streaming")
    ap.add_argument("--replicas", type=int, default=1, help="separate bot processes sharing one Redis")
    ap.add_argument("--redis-url", help="with --replicas: an existing Redis (default: start redis-server here)")
    ap.add_argument("--serve-replica", help=argparse.SUPPRESS)  # internal: one replica process (config file)
    args = ap.parse_args()
    if args.serve_replica:
        return serve_replica(Path(args.serve_replica))
    if args.replicas > 1:
        return replicated(args)

    scenarios = fixture_scenarios()
    with server(args.server) as url:
        load_all(url, scenarios)
        api = FakeSlackAPI().start()
        if args.refuse_stream:
            api.refuse_streaming()
        workers = Workers(max_workers=args.workers, per_channel=3)
        pacing = EditPacing()  # one app, one workspace: the progress edits' budget is shared as in production
        chosen = [scenarios[i % len(scenarios)] for i in range(args.mentions)]
        bots = {sc.name: BotServer(runtime_for(sc, url), api, workers=workers, pacing=pacing).start()
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
        failed = [ch for _, ch, _ in jobs if any(word in json.dumps(final(api, ch).params) for word in REFUSALS)]
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
        if args.refuse_stream:
            print(progress_edits(api, [ch for _, ch, _ in jobs]))
        if failed:
            reasons = [next(w for w in REFUSALS if w in json.dumps(final(api, ch).params)) for ch in failed]
            print("unanswered: " + ", ".join(f"{reasons.count(r)}x {r!r}" for r in dict.fromkeys(reasons))
                  + " (a log store too busy to answer within the timeout is told as unreachable)")
        for bot in bots.values():
            bot.server.close()
        workers.shutdown()
        api.stop()
    return 0


def serve_replica(config_path: Path) -> int:
    """One replica: every fixture's endpoint in this process, one worker pool, state in the shared Redis."""
    from incidentbot.slack.app import build_app
    from incidentbot.slack.serve import build_deps, make_http_server, make_wsgi_app
    from incidentbot.slack.shared_state import RedisChannelSlots, connect

    cfg = json.loads(config_path.read_text())
    memory = settings_from(env={"INCIDENTBOT_REDIS_URL": cfg["redis_url"], "INCIDENTBOT_DB_URL": cfg["db_url"]}).memory
    workers = Workers(max_workers=cfg["workers"], per_channel=3, slots=RedisChannelSlots(connect(cfg["redis_url"])))
    urls, servers = {}, []
    for sc in fixture_scenarios():
        deps = build_deps(runtime_for(sc, cfg["es_url"]), memory, SECRET)
        deps.workers = workers
        srv = make_http_server(make_wsgi_app(build_app(BOT_TOKEN, SECRET, deps, api_url=cfg["api_url"]), deps),
                               "127.0.0.1", 0, threads=16)
        threading.Thread(target=srv.run, daemon=True).start()
        servers.append(srv)
        urls[sc.name] = f"http://127.0.0.1:{srv.effective_port}/slack/events"
    Path(cfg["out"]).write_text(json.dumps(urls))
    sys.stdin.read()  # until the parent closes our stdin
    for srv in servers:
        srv.close()
    workers.shutdown(wait=False)
    return 0


def replicated(args: argparse.Namespace) -> int:
    """--replicas N: N processes, one Redis, the mentions split across them, each retried on the next one."""
    import subprocess
    import tempfile

    from support.dbservers import RedisServer

    scenarios = fixture_scenarios()
    redis_srv = None if args.redis_url else RedisServer().start()
    redis_url = args.redis_url or redis_srv.url  # type: ignore[union-attr]
    tmp = Path(tempfile.mkdtemp(prefix="slack-load-"))
    with server(args.server) as url:
        load_all(url, scenarios)
        api = FakeSlackAPI().start()
        if args.refuse_stream:
            api.refuse_streaming()
        procs = []
        for r in range(args.replicas):
            cfg = tmp / f"replica{r}.json"
            cfg.write_text(json.dumps({"es_url": url, "api_url": api.url, "redis_url": redis_url, "db_url": "none",
                                       "workers": args.workers, "out": str(tmp / f"urls{r}.json")}))
            procs.append(subprocess.Popen([sys.executable, __file__, "--serve-replica", str(cfg)],
                                          stdin=subprocess.PIPE))
        deadline = time.monotonic() + 300
        while not all((tmp / f"urls{r}.json").exists() for r in range(args.replicas)):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("a replica did not start")
            time.sleep(0.2)
        time.sleep(0.5)
        urls = [json.loads((tmp / f"urls{r}.json").read_text()) for r in range(args.replicas)]
        chosen = [scenarios[i % len(scenarios)] for i in range(args.mentions)]
        jobs = [(i % args.replicas, sc, f"CREPL{i:03d}") for i, sc in enumerate(chosen)]
        acks: list[float] = [0.0] * len(jobs)
        sent: list[float] = [0.0] * len(jobs)
        dropped: list[bool] = [False] * len(jobs)
        barrier = threading.Barrier(len(jobs))

        def fire(i: int) -> None:
            r, sc, channel = jobs[i]
            body = json.dumps(event_body(mention(channel, sc.questions[0]["ask"]), f"EvLOAD{i:04d}")).encode()
            barrier.wait()
            sent[i] = time.monotonic()
            resp = post(urls[r][sc.name], body, "application/json")
            acks[i] = resp.elapsed
            retry = post(urls[(r + 1) % args.replicas][sc.name], body, "application/json",
                         headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
            dropped[i] = retry.headers.get("x-slack-no-retry") == "1"

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finals = [api.wait_for(lambda a, c=ch: final(a, c), timeout=600).at - sent[i]
                  for i, (_, _, ch) in enumerate(jobs)]
        time.sleep(1.0)
        duplicates = sum(len(replies(api, ch)) - 1 for _, _, ch in jobs)
        failed = [ch for _, _, ch in jobs if any(word in json.dumps(final(api, ch).params) for word in REFUSALS)]
        print(f"{len(jobs)} simultaneous mentions split across {args.replicas} replica processes "
              f"({args.workers} workers each, one Redis), server {args.server}; "
              f"answers {len(jobs) - len(failed)}/{len(jobs)}; retries sent to another replica dropped "
              f"{sum(dropped)}/{len(jobs)}; duplicate answers {duplicates}")
        print(describe("ack latency", acks))
        print(describe("time to answer", finals))
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait(timeout=30)
        api.stop()
    if redis_srv is not None:
        redis_srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
