"""Labelled log samples for measuring the template miner, built offline and seeded.

Twelve kinds: the five below, and seven from the log statements of
well-known software (HDFS, Spark, ZooKeeper, OpenStack nova, an Android
health app, macOS, Proxifier) in `labelled_systems.py`.

Five kinds of logs an on-call engineer pastes: a web server (nginx access and
error log), a PostgreSQL server, a JVM service with stack traces, Linux
kernel messages, and SSH authentication logs. Each sample is a list of raw
lines, prefixes and all, and a label per line: the id of the true template
that produced the message the line belongs to (continuation lines share it,
blank lines have None). Variable parts are realistic: numbers and ids, but
also variable *words* (user names, tables, process names, currencies), which
is what makes grouping hard; template frequencies are skewed, with rare
templates, as in real logs.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from labelled_systems import SYSTEM_KINDS
from loggen import (
    AGENTS,
    CURRENCIES,
    PROCS,
    ROUTES,
    TABLES,
    USERS,
    Body,
    Clock,
    Gen,
    LabelledLog,
    Templates,
    hexid,
    ip,
    java_frames,
    java_stack,
    port,
    prefixed,
    syslog_prefix,
    uuid,
)

# --- the five kinds ----------------------------------------------------------------

def _web(rng: random.Random, clock: Clock) -> Templates:
    def access(method: str, route: str) -> Gen:
        def gen(r: random.Random) -> str:
            t = clock.tick()
            path = route.format(id=r.randint(1, 99999), uuid=uuid(r), file=r.choice(["app", "vendor", "main"]),
                                hash=hexid(r, 8), q=r.choice(USERS))
            status = r.choice([200, 200, 200, 201, 204, 304, 400, 404, 499, 500, 502, 503])
            return (f'{ip(r)} - {r.choice(["-", "-", r.choice(USERS)])} [{t:%d/%b/%Y:%H:%M:%S} +0000] '
                    f'"{method} {path} HTTP/1.1" {status} {r.randint(0, 90000)} "-" "{r.choice(AGENTS)}" '
                    f'{r.randint(1, 3000) / 1000:.3f}')
        return gen

    def error(msg: Body, level: str = "error") -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            pid = r.randint(20, 40)
            return f"{t:%Y/%m/%d %H:%M:%S} [{level}] {pid}#{pid}: *{r.randint(1, 999999)} "
        return prefixed(clock, head, msg)

    def req(r: random.Random) -> str:
        return f'request: "GET /api/{r.choice(ROUTES)}/{r.randint(1, 9999)} HTTP/1.1"'

    return [
        ("web:get-order", access("GET", "/api/orders/{id}"), 30),
        ("web:get-customer-orders", access("GET", "/api/customers/{id}/orders?page={id}"), 12),
        ("web:post-checkout", access("POST", "/api/checkout"), 10),
        ("web:static", access("GET", "/static/js/{file}.{hash}.js"), 14),
        ("web:health", access("GET", "/healthz"), 18),
        ("web:session", access("DELETE", "/api/sessions/{uuid}"), 4),
        ("web:search", access("GET", "/api/search?q={q}"), 6),
        ("web:upstream-timeout", error(lambda r: (
            "upstream timed out (110: Connection timed out) while reading response header from upstream, "
            f"client: {ip(r)}, server: api.example.com, {req(r)}, "
            f'upstream: "http://{ip(r)}:8080/api/{r.choice(ROUTES)}/{r.randint(1, 9999)}", host: "api.example.com"')), 5),
        ("web:connect-refused", error(lambda r: (
            "connect() failed (111: Connection refused) while connecting to upstream, "
            f"client: {ip(r)}, server: api.example.com, {req(r)}, "
            f'upstream: "http://{ip(r)}:8080/api/{r.choice(ROUTES)}", host: "api.example.com"')), 4),
        ("web:open-failed", error(lambda r: (
            f'open() "/var/www/html/{r.choice(["favicon.ico", "robots.txt", "wp-login.php", ".env"])}" failed '
            f"(2: No such file or directory), client: {ip(r)}, server: www.example.com, "
            f'request: "GET /{r.choice(["favicon.ico", "robots.txt", ".env"])} HTTP/1.1"')), 3),
        ("web:limiting", error(lambda r: (
            f'limiting requests, excess: {r.randint(1, 40)}.{r.randint(100, 999)} by zone "api", client: {ip(r)}, '
            f'server: api.example.com, {req(r)}'), "warn"), 3),
        ("web:body-too-large", error(lambda r: (
            f"client intended to send too large body: {r.randint(10_000_000, 90_000_000)} bytes, client: {ip(r)}, "
            f'server: api.example.com, request: "POST /api/uploads HTTP/1.1"')), 1),
        ("web:worker-exit", error(lambda r: f"worker process {r.randint(100, 99999)} exited on signal 9", "alert"), 0.3),
    ]


def _postgres(rng: random.Random, clock: Clock) -> Templates:
    def pg(level: str, msg: Callable[[random.Random], str | list[str]]) -> Gen:
        def gen(r: random.Random) -> str | list[str]:
            pid = r.randint(1000, 99999)
            user, db = r.choice(USERS[:8]), r.choice(["orders", "billing", "inventory"])

            def prefix(lvl: str) -> str:
                t = clock.tick()
                return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d} UTC [{pid}] {user}@{db} {lvl}:  "
            body = msg(r)
            if isinstance(body, list):
                return [prefix(level) + body[0]] + [prefix(lvl) + text for lvl, text in
                                                     (part.split(":", 1) for part in body[1:])]
            return prefix(level) + body
        return gen

    def select(r: random.Random) -> str:
        return (f"duration: {r.randint(0, 9000)}.{r.randint(100, 999)} ms  execute <unnamed>: "
                f"SELECT * FROM {r.choice(TABLES)} WHERE id = $1")

    return [
        ("pg:conn-received", pg("LOG", lambda r: f"connection received: host={ip(r)} port={port(r)}"), 20),
        ("pg:conn-authorized", pg("LOG", lambda r: (
            f"connection authorized: user={r.choice(USERS)} database={r.choice(TABLES)} "
            f"application_name={r.choice(['psql', 'pgbouncer', 'orders-api'])}")), 18),
        ("pg:disconnection", pg("LOG", lambda r: (
            f"disconnection: session time: 0:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d} "
            f"user={r.choice(USERS)} database={r.choice(TABLES)} host={ip(r)} port={port(r)}")), 17),
        ("pg:slow-select", pg("LOG", select), 12),
        ("pg:slow-update", pg("LOG", lambda r: (
            f"duration: {r.randint(0, 9000)}.{r.randint(100, 999)} ms  execute <unnamed>: "
            f"UPDATE {r.choice(TABLES)} SET status = $1 WHERE id = $2")), 6),
        ("pg:duplicate-key", pg("ERROR", lambda r: [
            f'duplicate key value violates unique constraint "{r.choice(TABLES)}_pkey"',
            f"DETAIL:Key (id)=({r.randint(1, 99999)}) already exists.",
            f"STATEMENT:INSERT INTO {r.choice(TABLES)} (id, status) VALUES ($1, $2)"]), 5),
        ("pg:deadlock", pg("ERROR", lambda r: [
            "deadlock detected",
            f"DETAIL:Process {r.randint(1000, 99999)} waits for ShareLock on transaction {r.randint(10**5, 10**7)}; "
            f"blocked by process {r.randint(1000, 99999)}.",
            "HINT:See server log for query details."]), 1.5),
        ("pg:serialize", pg("ERROR", lambda r: "could not serialize access due to concurrent update"), 2),
        ("pg:stmt-timeout", pg("ERROR", lambda r: "canceling statement due to statement timeout"), 3),
        ("pg:no-relation", pg("ERROR", lambda r: (
            f'relation "{r.choice(TABLES)}_archive" does not exist at character {r.randint(10, 90)}')), 1),
        ("pg:checkpoint-start", pg("LOG", lambda r: f"checkpoint starting: {r.choice(['time', 'wal', 'immediate'])}"), 2),
        ("pg:checkpoint-done", pg("LOG", lambda r: (
            f"checkpoint complete: wrote {r.randint(1, 9999)} buffers ({r.randint(0, 99)}.{r.randint(0, 9)}%); "
            f"0 WAL file(s) added, {r.randint(0, 9)} removed, {r.randint(0, 9)} recycled; "
            f"write={r.randint(0, 99)}.{r.randint(100, 999)} s, sync=0.{r.randint(100, 999)} s, "
            f"total={r.randint(0, 99)}.{r.randint(100, 999)} s")), 2),
        ("pg:auth-failed", pg("FATAL", lambda r: f'password authentication failed for user "{r.choice(USERS)}"'), 3),
        ("pg:too-many", pg("FATAL", lambda r: "sorry, too many clients already"), 2),
        ("pg:reset", pg("LOG", lambda r: "could not receive data from client: Connection reset by peer"), 2),
        ("pg:temp-file", pg("LOG", lambda r: (
            f'temporary file: path "base/pgsql_tmp/pgsql_tmp{r.randint(1000, 99999)}.{r.randint(0, 9)}", '
            f"size {r.randint(10**5, 10**9)}")), 1),
        ("pg:autovacuum", pg("LOG", lambda r: (
            f'automatic vacuum of table "{r.choice(["orders", "billing"])}.public.{r.choice(TABLES)}": '
            f"index scans: {r.randint(0, 3)}")), 1.5),
    ]


def _jvm(rng: random.Random, clock: Clock) -> Templates:
    loggers = {"svc": "c.e.payments.PaymentService", "web": "c.e.payments.web.ApiController",
               "pool": "com.zaxxer.hikari.pool.HikariPool", "cb": "i.g.r.c.CircuitBreakerStateMachine",
               "repo": "c.e.payments.repo.JdbcRepository", "main": "c.e.payments.PaymentApplication"}

    def jvm(level: str, logger: str, msg: Callable[[random.Random], str | list[str]]) -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            thread = r.choice([f"http-nio-8080-exec-{r.randint(1, 200)}", "main", f"pool-2-thread-{r.randint(1, 16)}",
                               "HikariPool-1 housekeeper", f"scheduling-{r.randint(1, 4)}"])
            return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d} {level:>5} 1 --- [{thread}] {loggers[logger]:<40} : "
        return prefixed(clock, head, msg)

    return [
        ("jvm:started", jvm("INFO", "main", lambda r: (
            f"Started PaymentApplication in {r.randint(5, 40)}.{r.randint(100, 999)} seconds "
            f"(process running for {r.randint(6, 45)}.{r.randint(1, 9)})")), 0.5),
        ("jvm:processing", jvm("INFO", "svc", lambda r: (
            f"Processing payment for order {r.randint(1, 99999)} amount {r.randint(1, 900)}.{r.randint(0, 99):02d} "
            f"{r.choice(CURRENCIES)}")), 30),
        ("jvm:completed", jvm("INFO", "svc", lambda r: f"Payment {uuid(r)} completed in {r.randint(5, 3000)}ms"), 25),
        ("jvm:retrying", jvm("WARN", "svc", lambda r: (
            f"Retrying request to http://inventory:8080/api/stock/{r.randint(1, 99999)} "
            f"(attempt {r.randint(1, 3)} of 3)")), 6),
        ("jvm:payment-failed", jvm("ERROR", "svc", lambda r: java_stack(
            r, f"Payment failed for order {r.randint(1, 99999)}",
            "java.net.SocketTimeoutException: Read timed out")), 3),
        ("jvm:pool-timeout", jvm("ERROR", "pool", lambda r: [
            f"HikariPool-1 - Connection is not available, request timed out after {r.choice([30000, 30001, 30002])}ms.",
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available"]
            + java_frames(r, "com.zaxxer.hikari.pool", r.randint(3, 6))), 4),
        ("jvm:starvation", jvm("WARN", "pool", lambda r: (
            f"HikariPool-1 - Thread starvation or clock leap detected "
            f"(housekeeper delta={r.randint(1, 5)}m{r.randint(1, 59)}s{r.randint(1, 999)}ms).")), 1),
        ("jvm:cache-miss", jvm("DEBUG", "repo", lambda r: f"Cache miss for key customer:{r.randint(1, 99999)}"), 15),
        ("jvm:unhandled", jvm("ERROR", "web", lambda r: java_stack(
            r, f"Unhandled exception in request {r.choice(['GET', 'POST', 'PUT'])} /api/payments/{r.randint(1, 9999)}")
            + ["java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"value\" is null"]), 2),
        ("jvm:fetched", jvm("DEBUG", "repo", lambda r: (
            f"Fetched {r.randint(0, 500)} rows from table {r.choice(TABLES)} in {r.randint(1, 90)} ms")), 12),
        ("jvm:login", jvm("INFO", "web", lambda r: f"User {r.choice(USERS)} logged in from {ip(r)}"), 6),
        ("jvm:breaker", jvm("WARN", "cb", lambda r: (
            f"Circuit breaker '{r.choice(['inventory', 'fraud', 'ledger'])}' changed state from "
            f"{r.choice(['CLOSED', 'HALF_OPEN'])} to OPEN")), 1),
        ("jvm:slow-query", jvm("WARN", "repo", lambda r: f"Slow query detected on {r.choice(TABLES)}: {r.randint(500, 9000)} ms"), 3),
        ("jvm:validation", jvm("WARN", "web", lambda r: (
            f"Validation failed for field {r.choice(['amount', 'currency', 'cardNumber', 'email'])}: "
            f"must not be {r.choice(['null', 'empty', 'negative'])}")), 4),
    ]


def _kernel(rng: random.Random, clock: Clock) -> Templates:
    def k(msg: Body) -> Gen:
        def gen(r: random.Random) -> str:
            uptime = (clock.now - datetime(2026, 3, 1)).total_seconds()
            return (syslog_prefix(clock, f"node-{r.randint(1, 12)}", "kernel")
                    + f"[{uptime:12.6f}] " + msg(r))
        return gen

    def kill(r: random.Random) -> str:
        pid = r.randint(100, 99999)
        return (f"Out of memory: Killed process {pid} ({r.choice(PROCS)}) total-vm:{r.randint(10**5, 10**7)}kB, "
                f"anon-rss:{r.randint(10**4, 10**7)}kB, file-rss:{r.randint(0, 9999)}kB, shmem-rss:0kB, "
                f"UID:{r.choice([0, 1000, 999])} pgtables:{r.randint(100, 9999)}kB oom_score_adj:{r.choice([0, 1000, -997])}")

    return [
        ("k:oom-kill", k(kill), 4),
        ("k:oom-constraint", k(lambda r: (
            f"oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
            f"oom_memcg=/kubepods/burstable/pod{uuid(r)},task={r.choice(PROCS)},pid={r.randint(100, 99999)},"
            f"uid={r.choice([0, 1000])}")), 4),
        ("k:link-down", k(lambda r: f"{r.choice(['eth0', 'eth1', 'ens5'])}: Link is Down"), 3),
        ("k:link-up", k(lambda r: (
            f"{r.choice(['eth0', 'eth1', 'ens5'])}: Link is Up - {r.choice([1, 10, 25])}Gbps/Full - flow control rx/tx")), 3),
        ("k:ext4", k(lambda r: (
            f"EXT4-fs error (device {r.choice(['sda1', 'nvme0n1p2', 'sdb1'])}): ext4_find_entry:{r.randint(1000, 1600)}: "
            f"inode #{r.randint(2, 999999)}: comm {r.choice(PROCS)}: reading directory lblock 0")), 2),
        ("k:syn-flood", k(lambda r: (
            f"TCP: request_sock_TCP: Possible SYN flooding on port {r.choice([80, 443, 8443])}. "
            "Sending cookies.  Check SNMP counters.")), 1.5),
        ("k:conntrack", k(lambda r: "nf_conntrack: nf_conntrack: table full, dropping packet"), 6),
        ("k:io-error", k(lambda r: (
            f"blk_update_request: I/O error, dev {r.choice(['sdb', 'sdc', 'nvme1n1'])}, sector {r.randint(10**4, 10**9)} "
            f"op 0x0:(READ) flags 0x{r.randint(0, 8000):x} phys_seg {r.randint(1, 64)} prio class 0")), 5),
        ("k:hung-task", k(lambda r: (
            f"INFO: task {r.choice(['kworker/2:1', 'jbd2/sda1-8', 'java', 'containerd'])}:{r.randint(100, 99999)} "
            f"blocked for more than {r.choice([120, 241, 362])} seconds.")), 2),
        ("k:thermal", k(lambda r: (
            f"CPU{r.randint(0, 63)}: Core temperature above threshold, cpu clock throttled "
            f"(total events = {r.randint(1, 99999)})")), 4),
        ("k:ufw", k(lambda r: (
            f"[UFW BLOCK] IN=eth0 OUT= MAC={':'.join(hexid(r, 2) for _ in range(14))} SRC={ip(r)} DST={ip(r)} "
            f"LEN={r.randint(40, 1500)} TOS=0x00 PREC=0x00 TTL={r.randint(30, 128)} ID={r.randint(0, 65535)} DF "
            f"PROTO=TCP SPT={port(r)} DPT={r.choice([22, 23, 3389, 5432])} WINDOW={r.randint(1000, 65535)} "
            f"RES=0x00 SYN URGP=0")), 14),
        ("k:usb", k(lambda r: (
            f"usb {r.randint(1, 4)}-{r.randint(1, 4)}: new high-speed USB device number {r.randint(2, 30)} "
            f"using xhci_hcd")), 0.5),
        ("k:segfault", k(lambda r: (
            f"{r.choice(PROCS)}[{r.randint(100, 99999)}]: segfault at {r.randint(0, 9999):x} ip {hexid(r, 16)} "
            f"sp {hexid(r, 16)} error {r.choice([4, 6, 14])} in libc.so.6[{hexid(r, 12)}+{hexid(r, 5)}]")), 1.5),
        ("k:apparmor", k(lambda r: (
            f'audit: type=1400 audit({r.randint(10**9, 2 * 10**9)}.{r.randint(100, 999)}:{r.randint(1, 9999)}): '
            f'apparmor="DENIED" operation="{r.choice(["open", "exec", "mknod"])}" profile="{r.choice(["snap.lxd", "docker-default"])}" '
            f'name="/etc/{r.choice(["shadow", "passwd", "ssl/private"])}" pid={r.randint(100, 99999)} '
            f'comm="{r.choice(PROCS)}" requested_mask="r" denied_mask="r" fsuid=0 ouid=0')), 3),
        ("k:memcg-oom", k(lambda r: (
            f"Memory cgroup out of memory: Killed process {r.randint(100, 99999)} ({r.choice(PROCS)}) "
            f"total-vm:{r.randint(10**5, 10**7)}kB, anon-rss:{r.randint(10**4, 10**7)}kB, file-rss:0kB, "
            f"shmem-rss:0kB, UID:0 pgtables:{r.randint(100, 9999)}kB oom_score_adj:{r.choice([0, 999])}")), 3),
    ]


def _ssh(rng: random.Random, clock: Clock) -> Templates:
    def s(msg: Body, app: str = "sshd") -> Gen:
        def gen(r: random.Random) -> str:
            name = f"{app}[{r.randint(1000, 99999)}]" if app == "sshd" else app
            return syslog_prefix(clock, "bastion-1", name) + msg(r)
        return gen

    return [
        ("ssh:accepted-key", s(lambda r: (
            f"Accepted publickey for {r.choice(USERS[:10])} from {ip(r)} port {port(r)} ssh2: "
            f"{r.choice(['RSA', 'ED25519'])} SHA256:{hexid(r, 43)}")), 8),
        ("ssh:accepted-password", s(lambda r: (
            f"Accepted password for {r.choice(USERS[:10])} from {ip(r)} port {port(r)} ssh2")), 3),
        ("ssh:failed-password", s(lambda r: f"Failed password for {r.choice(USERS)} from {ip(r)} port {port(r)} ssh2"), 20),
        ("ssh:failed-invalid", s(lambda r: (
            f"Failed password for invalid user {r.choice(USERS)} from {ip(r)} port {port(r)} ssh2")), 14),
        ("ssh:invalid-user", s(lambda r: f"Invalid user {r.choice(USERS)} from {ip(r)} port {port(r)}"), 14),
        ("ssh:closed-preauth", s(lambda r: (
            f"Connection closed by authenticating user {r.choice(USERS)} {ip(r)} port {port(r)} [preauth]")), 8),
        ("ssh:disconnected", s(lambda r: f"Disconnected from user {r.choice(USERS[:10])} {ip(r)} port {port(r)}"), 6),
        ("ssh:received-disconnect", s(lambda r: (
            f"Received disconnect from {ip(r)} port {port(r)}:11: {r.choice(['Bye Bye', 'disconnected by user'])} "
            "[preauth]")), 8),
        ("ssh:session-opened", s(lambda r: (
            f"pam_unix(sshd:session): session opened for user {r.choice(USERS[:10])}(uid={r.choice([0, 1000, 1001])}) "
            "by (uid=0)")), 6),
        ("ssh:session-closed", s(lambda r: f"pam_unix(sshd:session): session closed for user {r.choice(USERS[:10])}"), 6),
        ("ssh:auth-failure", s(lambda r: (
            f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip(r)}  "
            f"user={r.choice(USERS)}")), 7),
        ("ssh:max-attempts", s(lambda r: (
            f"error: maximum authentication attempts exceeded for {r.choice(USERS)} from {ip(r)} port {port(r)} "
            "ssh2 [preauth]")), 2),
        ("ssh:reset", s(lambda r: f"Connection reset by {ip(r)} port {port(r)} [preauth]"), 3),
        ("ssh:no-ident", s(lambda r: f"Did not receive identification string from {ip(r)} port {port(r)}"), 1),
        ("ssh:sudo", s(lambda r: (
            f"{r.choice(USERS[:6])} : TTY=pts/{r.randint(0, 9)} ; PWD=/home/{r.choice(USERS[:6])} ; USER=root ; "
            f"COMMAND=/usr/bin/systemctl {r.choice(['restart', 'status', 'reload'])} "
            f"{r.choice(['nginx', 'postgresql', 'payments'])}"), "sudo"), 2),
    ]


KINDS: dict[str, Callable[[random.Random, Clock], Templates]] = {
    "web": _web, "postgres": _postgres, "jvm": _jvm, "kernel": _kernel, "ssh": _ssh, **SYSTEM_KINDS,
}


def build(kind: str, *, lines: int = 2000, seed: int = 7, blank_rate: float = 0.003) -> LabelledLog:
    """A labelled sample of at least `lines` lines of one kind, the same for the same seed."""
    rng = random.Random(f"{kind}:{seed}")
    clock = Clock(rng)
    templates = KINDS[kind](rng, clock)
    ids = [t[0] for t in templates]
    gens = [t[1] for t in templates]
    weights = [t[2] for t in templates]
    out_lines: list[str] = []
    labels: list[str | None] = []
    while len(out_lines) < lines:
        i = rng.choices(range(len(templates)), weights)[0]
        produced = gens[i](rng)
        for line in produced if isinstance(produced, list) else [produced]:
            out_lines.append(line)
            labels.append(ids[i])
        if rng.random() < blank_rate:
            out_lines.append("")
            labels.append(None)
    return LabelledLog(kind, out_lines, labels)


def build_all(*, lines: int = 2000, seed: int = 7) -> list[LabelledLog]:
    """One sample of each kind."""
    return [build(kind, lines=lines, seed=seed) for kind in KINDS]
