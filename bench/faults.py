"""The fault matrix: for each injected fault, the exit code, the time to answer, and whether the answer says what failed.

Every fault is injected on the wire (a proxy in front of a real noida-db, a
fake vendor API, a FIFO), and the real `incidentbot` command runs in a
subprocess, so the figures include start-up and the process's exit. The
volume row feeds 100,000 changes to each of three sources and reports the
command's peak memory (RSS).

usage: python bench/faults.py [--deadline 10] [--only NAME]
Prints one table; timing goals are read from it, never asserted by tests.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.faultproxy import ES_ROOT, SCENARIO, Fault, FakeCluster, FaultProxy, Trickler  # noqa: E402
from support.httpserve import LocalHTTPServer, send  # noqa: E402

from incidentbot.core.timeutil import parse_instant  # noqa: E402
from incidentbot.dev.embedded import EmbeddedSearchServer  # noqa: E402
from incidentbot.dev.scenario import load_scenario, read_scenario  # noqa: E402

EXE = str(Path(sys.executable).with_name("incidentbot"))
VOLUME = 100_000


@dataclass
class Row:
    name: str
    expect: int
    code: int
    seconds: float
    says: bool
    rss_mb: float
    detail: str


class Vendor(LocalHTTPServer):
    """A fake vendor API: `handler(path, query) -> (status, headers, body bytes)`; records the paths asked."""

    def __init__(self, handler: Callable[[str, str], tuple[int, dict[str, str], bytes]]) -> None:
        self.hits: list[str] = []
        self.handler = handler
        super().__init__(self._serve)
        self.start()  # lives as long as the run (daemon threads)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        path, _, query = h.path.partition("?")
        self.hits.append(h.path)
        status, headers, body = self.handler(path, query)
        send(h, status, body, headers)


def _run(args: list[str], env: dict[str, str]) -> tuple[int, float, str, str, float]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("INCIDENTBOT_", "LAUNCHDARKLY_", "ARGOCD_", "GITHUB_", "KUBECONFIG"))}
    started = time.perf_counter()
    proc = subprocess.Popen([EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**clean, "INCIDENTBOT_STRICT_PRIVILEGES": "true", **env})
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda k=k, f=f: chunks.__setitem__(k, f.read()), daemon=True)
               for k, f in (("out", proc.stdout), ("err", proc.stderr))]
    for r in readers:
        r.start()
    killer = threading.Timer(300, proc.kill)
    killer.start()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak memory, not the search server's
    killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join(5)
    out, err = (chunks.get(k, b"").decode(errors="replace") for k in ("out", "err"))
    return proc.returncode, time.perf_counter() - started, out, err, usage.ru_maxrss / 1024


def _kubeconfig(path: Path, url: str) -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": url}}],
        "users": [{"name": "bot", "user": {"token": "kube-token"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "bot"}}]}))
    return path


def _volume_files(tmp: Path, now: str) -> tuple[Path, bytes, Callable[[str, str], tuple[int, dict[str, str], bytes]]]:
    """100,000 changes as an NDJSON file, as one Argo CD listing, and as a paginated LaunchDarkly audit log."""
    base = int(parse_instant(now).timestamp()) - 36000  # the ten hours before the scenario's 'now'
    ndjson = tmp / "many.ndjson"
    with ndjson.open("w") as fh:
        for i in range(VOLUME):
            ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i % 36000))
            fh.write(json.dumps({"id": f"file-{i}", "@timestamp": ts, "kind": "deploy", "service": f"svc-{i % 50}",
                                 "title": f"release {i}"}) + "\n")
    apps = [{"metadata": {"name": f"app-{i}", "namespace": "argocd"},
             "status": {"history": [{"id": 1, "revision": f"{i:040x}",
                                     "deployedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i % 36000)),
                                     "source": {"repoURL": "https://git.example.com/x"}}]}} for i in range(VOLUME)]
    argo = json.dumps({"metadata": {}, "items": apps}).encode()
    del apps

    def ld(path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        page = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("page", "0"))
        items = [{"_id": f"ld-{page}-{j}", "date": (base + (page * 20 + j) % 36000) * 1000, "kind": "flag",
                  "name": f"flag-{j}", "target": {"resources": [f"proj/p:env/production:flag/flag-{j}"]}}
                 for j in range(20)]
        nxt = {"next": {"href": f"/api/v2/auditlog?page={page + 1}"}} if (page + 1) * 20 < VOLUME else {}
        return 200, {}, json.dumps({"items": items, "_links": nxt}).encode()

    return ndjson, argo, ld


def matrix(deadline: float, only: str | None) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmpdir, EmbeddedSearchServer(Path(tmpdir) / "noida") as srv:
        tmp = Path(tmpdir)
        sc = read_scenario(ROOT / "fixtures" / SCENARIO)
        load_scenario(sc, srv.url, force=True)
        question = sc.questions[0]["ask"]

        def where(url: str, logs: str | None = None) -> list[str]:
            return ["--es-url", url, "--logs-index", logs or sc.logs_index, "--changes-index", sc.changes_index,
                    "--at", sc.now]

        def partial(doc: dict[str, Any]) -> dict[str, Any]:
            for r in doc.get("responses", []):
                r["timed_out"] = True
                r["_shards"] = {"total": 5, "successful": 4, "failed": 1,
                                "failures": [{"reason": {"type": "node_disconnected"}}]}
            return doc

        fifo = tmp / "changes.fifo"
        os.mkfifo(fifo)
        trickler = Trickler(every_s=1.0, count=3600)
        wrong = Vendor(lambda p, q: (200, {}, b'{"items": "nope"}'))
        other = Vendor(lambda p, q: (200, {}, b"[]"))
        api = "/repos/acme/orders-api"
        one = json.dumps([{"id": 1, "created_at": sc.now, "sha": "a" * 40, "ref": "main",
                           "environment": "production"}]).encode()
        github = Vendor(lambda p, q: (200, {"Link": f'<{other.url}{api}/deployments?page=2>; rel="next"'}, one)
                        if p.endswith("/deployments") else (200, {}, b"[]"))
        kube = Vendor(lambda p, q: (429, {"Retry-After": "3600"}, b'{"kind": "Status", "code": 429}'))
        forbidden = FakeCluster(ES_ROOT, {"/_security/user/_has_privileges": (403, {"error": {
            "type": "security_exception", "reason": "action is unauthorized"}, "status": 403})})
        ndjson, argo_body, ld = _volume_files(tmp, sc.now)
        argo_many = Vendor(lambda p, q: (200, {}, argo_body))
        ld_many = Vendor(ld)
        kubeconfig = _kubeconfig(tmp / "kubeconfig.json", kube.url)
        ask, changed = ["ask", question, "--json"], ["whatchanged", "--json"]
        dl = {"INCIDENTBOT_ANSWER_DEADLINE_S": f"{deadline:g}"}

        cases: list[tuple[str, int, list[str], dict[str, str], Callable[[str], bool]]] = [
            ("no fault (for comparison)", 0, ask + where(srv.url), dl, lambda t: '"partial": false' in t),
            ("store: msearch trickles 1 byte/s", 0,
             ask + where(FaultProxy(srv.url, [Fault("_msearch", "trickle", every_s=1.0)]).url), dl,
             lambda t: '"name": "log store"' in t and "answer deadline" in t),
            ("store: msearch 503 every time", 3, ask + where(FaultProxy(srv.url, [Fault("_msearch", "status", 503)]).url),
             dl, lambda t: "HTTP 503" in t),
            ("store: mapping 429 every time", 3,  # field discovery reads the mapping first (field_caps is the fallback)
             ask + where(FaultProxy(srv.url, [Fault("_mapping", "status", 429)]).url), dl, lambda t: "HTTP 429" in t),
            ("store: msearch response cut short", 3, ask + where(FaultProxy(srv.url, [Fault("_msearch", "truncate")]).url),
             dl, lambda t: "cut short" in t),
            ("store: logs index does not exist", 2, ask + where(srv.url, "logs-gone-*"), dl,
             lambda t: "no index matches 'logs-gone-*'" in t),
            ("store: timed_out + failed shards", 0,
             ask + where(FaultProxy(srv.url, [Fault("_msearch", "rewrite", rewrite=partial)]).url), dl,
             lambda t: '"partial": true' in t and "shards failed" in t),
            ("store: privileges answer 403", 2, ask + where(forbidden.url), dl, lambda t: "cannot confirm" in t),
            ("source: NDJSON file is a FIFO", 0, changed + where(srv.url), {**dl, "INCIDENTBOT_CHANGES_FILE": str(fifo)},
             lambda t: "timed out" in t and "changes.fifo" in t),
            ("source: vendor trickles bytes", 0, changed + where(srv.url),
             {**dl, "LAUNCHDARKLY_API_TOKEN": "k", "LAUNCHDARKLY_API_URL": trickler.url},
             lambda t: "launchdarkly" in t and "timed out" in t),
            ('source: Argo CD {"items": "nope"}', 0, changed + where(srv.url),
             {**dl, "ARGOCD_URL": wrong.url, "ARGOCD_TOKEN": "t"}, lambda t: "not the documented shape" in t),
            ("source: GitHub next link to another host", 0, changed + where(srv.url),
             {**dl, "INCIDENTBOT_GITHUB_REPOS": "acme/orders-api", "GITHUB_TOKEN": "ghp_x", "GITHUB_API_URL": github.url},
             lambda t: "another host" in t and not other.hits),
            ("source: Kubernetes Retry-After 3600", 0, changed + where(srv.url),
             {**dl, "INCIDENTBOT_K8S_NAMESPACES": "prod", "KUBECONFIG": str(kubeconfig),
              "INCIDENTBOT_K8S_IN_CLUSTER": "false"}, lambda t: "3600s" in t),
            (f"volume: {VOLUME:,} changes x 3 sources", 0, changed + ["--since", "1d"] + where(srv.url),
             {**dl, "INCIDENTBOT_CHANGES_FILE": str(ndjson), "ARGOCD_URL": argo_many.url, "ARGOCD_TOKEN": "t",
              "LAUNCHDARKLY_API_TOKEN": "k", "LAUNCHDARKLY_API_URL": ld_many.url,
              "INCIDENTBOT_CHANGES_DEADLINE_S": "60", "INCIDENTBOT_ANSWER_DEADLINE_S": "120"},
             lambda t: "kept the newest" in t),
        ]
        for name, expect, args, env, says in cases:
            if only and only.lower() not in name.lower():
                continue
            code, seconds, out, err, rss = _run(args, env)
            text = out + err
            detail = (err.strip().splitlines() or [""])[-1][:90]
            rows.append(Row(name, expect, code, seconds, says(text), rss, detail))
            print(f"  {name}: exit {code} in {seconds:.1f}s", file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=45.0, help="INCIDENTBOT_ANSWER_DEADLINE_S for the runs")
    parser.add_argument("--only", help="run the faults whose name contains this")
    args = parser.parse_args()
    rows = matrix(args.deadline, args.only)
    print(f"\nFault matrix (answer deadline {args.deadline:g}s; times include start-up and exit)\n")
    print(f"| {'fault':<42} | exit (want) | seconds | says what failed |")
    print(f"|{'-' * 44}|-------------|---------|------------------|")
    for r in rows:
        print(f"| {r.name:<42} | {r.code:>4} ({r.expect}) | {r.seconds:>7.1f} | {'yes' if r.says else 'NO':<16} |")
    peak = max((r.rss_mb for r in rows), default=0.0)
    print(f"\npeak RSS of any run: {peak:.0f} MB (the volume run reads {VOLUME:,} changes from each of 3 sources)")
    bad = [r for r in rows if r.code != r.expect or not r.says]
    for r in bad:
        print(f"MISMATCH {r.name}: exit {r.code}, says={r.says}: {r.detail}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
