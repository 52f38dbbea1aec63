"""How the cost of one answer grows with the log index: 30k, 100k, 300k documents on osmem-server.

The demo incident is replicated (timestamps jittered, hosts renamed) to each
size, so the shape of the incident stays and only the volume grows. For each
size it asks the demo's first question and prints, per stage: requests,
bytes sent and received, the server's own time (`took`), the round-trip
time, and our own time (the stage's wall time minus its round trips).

    python bench/scale.py [30000 100000 300000] [--server osmem|noida]
    python bench/scale.py 100000 --server noida --in-flight 3   # the answer deadline on a scanning store

With `--in-flight N`, after the per-stage table, the demo's questions and
three latency questions are asked N at a time (other questions in flight, as
in a real incident channel), each through its own runtime with the default
timeouts, and each question's time, requests to the log store, and whether it
answered within the answer deadline (INCIDENTBOT_ANSWER_DEADLINE_S, 45 s) are
printed.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import timedelta

from _harness import ROOT, server

from incidentbot.config import settings_from
from incidentbot.core.progress import ProgressEvent
from incidentbot.gateway.readonly import RequestRecord
from incidentbot.pipeline import Runtime, investigate
from incidentbot.dev.scenario import changes_mapping, logs_mapping, read_scenario
from incidentbot.core.timeutil import iso, parse_instant


def _http(method: str, url: str, body: str | None = None, ndjson: bool = False) -> dict:
    headers = {"Content-Type": "application/x-ndjson" if ndjson else "application/json"} if body else {}
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read() or b"{}")


def build_index(url: str, index: str, docs: list[dict], size: int, fields: str) -> float:
    rng = random.Random(size)
    try:
        _http("DELETE", f"{url}/{index}")
    except Exception:
        pass
    _http("PUT", f"{url}/{index}", json.dumps({"mappings": logs_mapping(fields)}))
    started = time.perf_counter()
    batch: list[str] = []
    for i in range(size):
        base = dict(docs[i % len(docs)])
        copy = i // len(docs)
        ts = parse_instant(base["@timestamp"]) + timedelta(milliseconds=rng.randint(-20000, 20000))
        base["@timestamp"] = iso(ts, millis=True)
        if copy and isinstance(base.get("host"), dict):
            base["host"] = {"name": f"{base['host'].get('name')}-r{copy}"}
        batch.append('{"index":{}}\n' + json.dumps(base) + "\n")
        if len(batch) == 5000 or i == size - 1:
            out = _http("POST", f"{url}/{index}/_bulk", "".join(batch), ndjson=True)
            assert not out.get("errors"), str(out)[:300]
            batch = []
    _http("POST", f"{url}/{index}/_refresh")
    return time.perf_counter() - started


def measure(url: str, index: str, changes_index: str, catalog: str | None, question: str, at: str) -> list[dict]:
    settings = settings_from(env={}, es_url=url, logs_index=index, changes_index=changes_index,
                             catalog_path=catalog, at=at)
    settings.request_timeout_s = 300  # the stand-in scans: let the largest size finish and be measured
    rt = Runtime.create(settings, env={})
    rt.gateway.measure_bytes = True  # the benchmark counts bytes
    marks: list[tuple[str, float, int]] = [("start", time.perf_counter(), 0)]

    ends = {"fields": "intent", "patterns": "evidence", "ranking": "ranking"}  # the step that closes each stage

    def progress(event: ProgressEvent) -> None:
        if event.status == "done" and event.step in ends:
            marks.append((ends[event.step], time.perf_counter(), len(rt.gateway.requests.records)))

    answer = investigate(question, rt, progress=progress)
    marks.append(("answer", time.perf_counter(), len(rt.gateway.requests.records)))
    rows = []
    records = rt.gateway.requests.records
    for (_, t0, n0), (stage, t1, n1) in zip(marks, marks[1:]):
        recs = records[n0:n1]
        round_trip = sum(r.took_ms for r in recs)
        rows.append({"stage": {"intent": "discover+parse", "evidence": "evidence", "ranking": "changes+ranking",
                               "answer": "summary"}.get(stage, stage),
                     "requests": len(recs), "bytes_out": sum(r.bytes_out for r in recs),
                     "bytes_in": sum(r.bytes_in for r in recs), "server_ms": sum(r.server_ms or 0 for r in recs),
                     "round_trip_ms": round_trip, "ours_ms": (t1 - t0) * 1000 - round_trip})
    rows.append({"stage": "TOTAL", **{k: sum(r[k] for r in rows) for k in rows[0] if k != "stage"}})
    rows[-1]["hits"] = answer.evidence.main.hits
    return rows


LATENCY_QUESTIONS = ("why is orders-api slow?", "what's the p99 of orders-api over the last hour?",
                     "how many orders-api requests were slower than 1s in the last 30 minutes?")


def in_flight(url: str, index: str, changes_index: str, catalog: str | None, questions: list[str], at: str,
              n: int) -> None:
    """Every question asked with n in flight at once through one runtime (as the Slack door shares one);
    per question: seconds, requests and searches sent to the log store, within the deadline, the outcome."""
    settings = settings_from(env={}, es_url=url, logs_index=index, changes_index=changes_index,
                             catalog_path=catalog, at=at)
    rt = Runtime.create(settings, env={})
    mine = threading.local()

    def count(record: RequestRecord) -> None:  # runs in the asking thread: the requests are that question's
        mine.requests = getattr(mine, "requests", 0) + 1
        mine.searches = getattr(mine, "searches", 0) + (len(record.body) // 2 if record.verb == "msearch" else 1)

    rt.gateway.observers.append(count)

    def one(question: str) -> tuple[str, float, int, int, str]:
        mine.requests = mine.searches = 0
        started = time.perf_counter()
        try:
            ans = investigate(question, rt)
            lean = [n for n in ans.notes if n.startswith(("a lean answer", "pattern counts"))]
            outcome = f"{ans.evidence.main.hits} hits" + (f"; {'; '.join(lean)[:150]}" if lean else "")
        except Exception as exc:  # noqa: BLE001 - the benchmark reports any failure as the outcome
            outcome = f"FAILED {type(exc).__name__}: {str(exc)[:80]}"
        return question, time.perf_counter() - started, mine.requests, mine.searches, outcome

    one(questions[0])  # a first question alone reads the fields, as a running bot has
    deadline = settings.answer_deadline_s
    print(f"\n{len(questions)} questions, {n} in flight, answer deadline {deadline:.0f}s")
    print(f"{'seconds':>8} {'req':>4} {'passes':>6} {'in time':>7}  question -> outcome")
    worst = 0.0
    with ThreadPoolExecutor(max_workers=n) as pool:
        for question, seconds, requests, searches, outcome in pool.map(one, questions):
            ok = "yes" if seconds <= deadline and not outcome.startswith("FAILED") else "NO"
            worst = max(worst, seconds)
            print(f"{seconds:>8.1f} {requests:>4} {searches:>6} {ok:>7}  {question[:60]} -> {outcome}")
    print(f"worst {worst:.1f}s against the {deadline:.0f}s deadline")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[30000, 100000, 300000])
    ap.add_argument("--server", default="osmem", choices=["osmem", "noida"])
    ap.add_argument("--in-flight", type=int, default=0, help="also ask the questions this many at a time")
    ap.add_argument("--url", help="a running server already holding the demo replicated (see --index): no loading")
    ap.add_argument("--index", help="with --url: the log index to ask (default logs-scale-SIZE)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    demo = read_scenario(ROOT / "incidentbot" / "data" / "demo")
    question = demo.questions[0]["ask"]
    with nullcontext(args.url) if args.url else server(args.server) as url:
        changes_index = "changes-scale"
        if not args.url:
            _http("PUT", f"{url}/{changes_index}", json.dumps({"mappings": changes_mapping()}))
            _http("POST", f"{url}/{changes_index}/_bulk",
                  "".join('{"index":{}}\n' + json.dumps(c) + "\n" for c in demo.changes), ndjson=True)
            _http("POST", f"{url}/{changes_index}/_refresh")
        print(f"server: {args.server}; question: {question!r}\n")
        print(f"{'docs':>8} {'stage':<16} {'req':>4} {'KB out':>7} {'KB in':>7} {'server ms':>10} "
              f"{'round trip':>10} {'ours ms':>8} {'ours/server':>11}")
        for size in args.sizes:
            index = args.index or f"logs-scale-{size}"
            load_s = 0.0 if args.url else build_index(url, index, demo.logs, size, demo.fields)
            if args.in_flight:  # the deadline question only: every answer with the default timeouts
                print(f"{size:>8} (loaded in {load_s:.0f}s)")
                asks = [q["ask"] for q in demo.questions if q.get("command") != "whatchanged"] + list(LATENCY_QUESTIONS)
                in_flight(url, index, changes_index, str(demo.catalog_path), asks, demo.now, args.in_flight)
                continue
            measure(url, index, changes_index, str(demo.catalog_path), question, demo.now)  # warm caches
            rows = measure(url, index, changes_index, str(demo.catalog_path), question, demo.now)
            for r in rows:
                ratio = r["ours_ms"] / r["server_ms"] if r["server_ms"] else float("nan")
                print(f"{size:>8} {r['stage']:<16} {r['requests']:>4} {r['bytes_out'] / 1024:>7.1f} "
                      f"{r['bytes_in'] / 1024:>7.1f} {r['server_ms']:>10.0f} {r['round_trip_ms']:>10.0f} "
                      f"{r['ours_ms']:>8.0f} {ratio:>11.2f}")
            print(f"{'':>8} (loaded in {load_s:.0f}s; main query hits {rows[-1]['hits']})")


if __name__ == "__main__":
    main()
