"""Shared pieces of the labelled log generators: value makers, a fake clock, the sample type.

Every generator is seeded: the same seed gives the same lines, so accuracy
figures can be compared from one run to the next.
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

Gen = Callable[[random.Random], "str | list[str]"]
Body = Callable[[random.Random], str]
Templates = list[tuple[str, Gen, float]]  # (true template id, its line generator, its weight)


@dataclass
class LabelledLog:
    """Raw lines and, per line, the true template id (None for a blank line)."""

    name: str
    lines: list[str]
    labels: list[str | None]


# --- variable parts ----------------------------------------------------------------

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "deploy", "ubuntu", "root", "admin",
         "oracle", "test", "guest", "postgres", "jenkins", "git", "support", "mallory"]
TABLES = ["orders", "customers", "payments", "invoices", "line_items", "sessions", "audit_log", "products"]
PROCS = ["java", "python3", "node", "postgres", "nginx", "containerd", "chrome", "redis-server"]
ROUTES = ["orders", "customers", "payments", "carts", "products", "invoices"]
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF"]
AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36',
          "curl/8.5.0", "kube-probe/1.29", "python-requests/2.31.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson-distributed count (Knuth's method): events per minute for synthetic rate series."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def ip(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def port(rng: random.Random) -> int:
    return rng.randint(1024, 65535)


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def uuid(rng: random.Random) -> str:
    return f"{hexid(rng, 8)}-{hexid(rng, 4)}-4{hexid(rng, 3)}-a{hexid(rng, 3)}-{hexid(rng, 12)}"


def java_frames(rng: random.Random, package: str, n: int) -> list[str]:
    classes = ["Service", "Controller", "Repository", "Client", "Handler", "Filter"]
    methods = ["handle", "process", "execute", "invoke", "doFilter", "call", "apply"]
    frames = []
    for _ in range(n):
        cls = rng.choice(classes)
        frames.append(f"\tat {package}.{cls}.{rng.choice(methods)}({cls}.java:{rng.randint(20, 900)})")
    return frames


def java_stack(rng: random.Random, header: str, cause: str | None = None) -> list[str]:
    lines = [header] + java_frames(rng, "com.example.payments", rng.randint(2, 6))
    if cause:
        lines.append(f"Caused by: {cause}")
        lines += java_frames(rng, "org.apache.http.impl", rng.randint(1, 4))
        lines.append(f"\t... {rng.randint(10, 60)} more")
    return lines


# --- prefixes ----------------------------------------------------------------------

class Clock:
    """A monotonic fake clock so timestamps look like a real log's."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = datetime(2026, 3, 14, 13, 0, 0)

    def tick(self) -> datetime:
        self.now += timedelta(milliseconds=self.rng.randint(1, 900))
        return self.now


def prefixed(clock: Clock, head: Callable[[random.Random, datetime], str],
             body: Callable[[random.Random], str | list[str]]) -> Gen:
    """One template's line generator, the shape every log format here shares: the clock ticks, `head` writes
    the prefix (time, level, thread, source) from the tick, then `body` the message. A list body is a message
    with continuation lines (a stack trace), the prefix on its first line only. The order of the draws (tick,
    prefix, message) is fixed here so every sample stays what its seed made it."""
    def gen(r: random.Random) -> str | list[str]:
        t = clock.tick()
        prefix = head(r, t)
        text = body(r)
        if isinstance(text, list):
            return [prefix + text[0]] + text[1:]
        return prefix + text
    return gen


def syslog_prefix(clock: Clock, host: str, app: str) -> str:
    t = clock.tick()
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S} {host} {app}: "


