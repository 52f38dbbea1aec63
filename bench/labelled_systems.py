"""Labelled samples from the log statements of well-known software, written from their source.

Twelve kinds, each emitting lines in the software's own format, prefix and
all, from the message formats of its log statements (as written in its
source, from memory; no public labelled data set was read): HDFS (the
DataNode and NameNode of Hadoop 0.x/1.x), Spark executors (log4j 1),
ZooKeeper 3.4, OpenStack nova (compute and API), an Android health app in
the `time|tag|pid|message` layout, macOS syslog (kernel and daemons),
Proxifier, the Apache 2.0 error log with mod_jk, a Hadoop MapReduce
application master, Blue Gene/L RAS events, Linux syslog daemons (PAM, su,
cron, ftpd) and the Windows servicing (CBS) log. One log statement is one true template: its format arguments are
its variables, whatever they hold (numbers, host names, enumerations, a
variable number of targets), which is what the miner must get right.

They carry the shapes that break naive miners: values whose token count
varies (`1190 bytes (1.16 KB)`, `<1 sec`, several targets), bracketed and
key-value context (`[instance: <uuid>]`, `[req-<uuid> <id> <id> - - -]`,
`status: 200 len: 1893 time: 0.25`), fields joined by `|`, `:` or `##`,
numbers glued to words (`wl0`, `en0`, `CPU3`), hex addresses, durations in
seconds with a unit glued (`0.000245s`).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from loggen import Body, Clock, Gen, Templates, hexid, ip, port, prefixed, uuid


def _blk(r: random.Random) -> str:
    return f"blk_{'-' if r.random() < 0.5 else ''}{r.randint(10**17, 9 * 10**18)}"


def _ipp(r: random.Random) -> str:
    return f"{ip(r)}:{r.choice([50010, 50010, port(r)])}"


def hdfs(rng: random.Random, clock: Clock) -> Templates:
    def h(level: str, component: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"{t:%y%m%d %H%M%S} {r.randint(10, 40000)} {level} {component}: ", body)

    def task_path(r: random.Random) -> str:
        n = r.randint(0, 2000)
        return f"/user/root/rand{r.choice(['', '2', '3'])}/_temporary/_task_200811092030_{r.randint(1, 9):04d}_m_{n:06d}_0/part-{n:05d}"

    def targets(r: random.Random) -> str:
        return " ".join(_ipp(r) for _ in range(r.randint(1, 3)))

    return [
        ("hdfs:receiving", h("INFO", "dfs.DataNode$DataXceiver", lambda r: (
            f"Receiving block {_blk(r)} src: /{_ipp(r)} dest: /{_ipp(r)}")), 25),
        ("hdfs:received", h("INFO", "dfs.DataNode$PacketResponder", lambda r: (
            f"Received block {_blk(r)} of size {r.choice([67108864, r.randint(1000, 67108864)])} from /{ip(r)}")), 22),
        ("hdfs:terminating", h("INFO", "dfs.DataNode$PacketResponder", lambda r: (
            f"PacketResponder {r.randint(0, 2)} for block {_blk(r)} terminating")), 22),
        ("hdfs:stored", h("INFO", "dfs.FSNamesystem", lambda r: (
            f"BLOCK* NameSystem.addStoredBlock: blockMap updated: {_ipp(r)} is added to {_blk(r)} "
            f"size {r.randint(1000, 67108864)}")), 22),
        ("hdfs:allocate", h("INFO", "dfs.FSNamesystem", lambda r: (
            f"BLOCK* NameSystem.allocateBlock: {task_path(r)}. {_blk(r)}")), 8),
        ("hdfs:deleting", h("INFO", "dfs.FSDataset", lambda r: (
            f"Deleting block {_blk(r)} file /mnt/hadoop/dfs/data/current/subdir{r.randint(0, 63)}/{_blk(r)}")), 10),
        ("hdfs:invalidset", h("INFO", "dfs.FSNamesystem", lambda r: (
            f"BLOCK* NameSystem.delete: {_blk(r)} is added to invalidSet of {_ipp(r)}")), 10),
        ("hdfs:served", h("INFO", "dfs.DataNode", lambda r: f"{_ipp(r)} Served block {_blk(r)} to /{ip(r)}"), 6),
        ("hdfs:serve-exception", h("WARN", "dfs.DataNode", lambda r: (
            f"{_ipp(r)}:Got exception while serving {_blk(r)} to /{ip(r)}:")), 4),
        ("hdfs:verified", h("INFO", "dfs.DataBlockScanner", lambda r: f"Verification succeeded for {_blk(r)}"), 3),
        ("hdfs:ask-replicate", h("INFO", "dfs.FSNamesystem", lambda r: (
            f"BLOCK* ask {_ipp(r)} to replicate {_blk(r)} to datanode(s) {targets(r)}")), 2),
        ("hdfs:transfer", h("INFO", "dfs.DataNode", lambda r: (
            f"{_ipp(r)} Starting thread to transfer block {_blk(r)} to {targets(r)}")), 2),
        ("hdfs:transmitted", h("INFO", "dfs.DataNode$DataTransfer", lambda r: (
            f"{_ipp(r)}:Transmitted block {_blk(r)} to /{_ipp(r)}")), 2),
        ("hdfs:writeblock-exc", h("INFO", "dfs.DataNode$DataXceiver", lambda r: (
            f"writeBlock {_blk(r)} received exception java.io.IOException: Could not read from stream")), 1.5),
        ("hdfs:responder-exc", h("INFO", "dfs.DataNode$PacketResponder", lambda r: (
            f"PacketResponder {_blk(r)} {r.randint(0, 2)} Exception java.io.InterruptedIOException: Interruped while "
            f"waiting for IO on channel java.nio.channels.SocketChannel[connected local=/{_ipp(r)} "
            f"remote=/{_ipp(r)}]. {r.randint(0, 480000)} millis timeout left.")), 1),
        ("hdfs:pending-timeout", h("WARN", "dfs.PendingReplicationBlocks$PendingReplicationMonitor", lambda r: (
            f"PendingReplicationMonitor timed out block {_blk(r)}")), 0.5),
    ]


def spark(rng: random.Random, clock: Clock) -> Templates:
    def s(level: str, component: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"{t:%y/%m/%d %H:%M:%S} {level} {component}: ", body)

    def task(r: random.Random) -> str:
        return f"{r.randint(0, 300)}.{r.randint(0, 3)} in stage {r.randint(0, 40)}.{r.randint(0, 2)} (TID {r.randint(0, 90000)})"

    def size(r: random.Random) -> str:
        return f"{r.randint(1, 999)}.{r.randint(0, 9)} {r.choice(['B', 'KB', 'KB', 'MB'])}"

    return [
        ("spark:running", s("INFO", "executor.Executor", lambda r: f"Running task {task(r)}"), 25),
        ("spark:finished", s("INFO", "executor.Executor", lambda r: (
            f"Finished task {task(r)}. {r.randint(900, 3000)} bytes result sent to driver")), 25),
        ("spark:assigned", s("INFO", "executor.CoarseGrainedExecutorBackend", lambda r: (
            f"Got assigned task {r.randint(0, 90000)}")), 25),
        ("spark:bc-start", s("INFO", "broadcast.TorrentBroadcast", lambda r: (
            f"Started reading broadcast variable {r.randint(0, 400)}")), 6),
        ("spark:bc-took", s("INFO", "broadcast.TorrentBroadcast", lambda r: (
            f"Reading broadcast variable {r.randint(0, 400)} took {r.randint(1, 900)} ms")), 6),
        ("spark:stored-bytes", s("INFO", "storage.MemoryStore", lambda r: (
            f"Block {r.choice(['broadcast', 'rdd'])}_{r.randint(0, 400)}{r.choice(['', '_piece0'])} stored as "
            f"bytes in memory (estimated size {size(r)}, free {size(r)})")), 6),
        ("spark:stored-values", s("INFO", "storage.MemoryStore", lambda r: (
            f"Block {r.choice(['broadcast', 'rdd'])}_{r.randint(0, 400)} stored as "
            f"values in memory (estimated size {size(r)}, free {size(r)})")), 6),
        ("spark:found-local", s("INFO", "storage.BlockManager", lambda r: (
            f"Found block rdd_{r.randint(0, 40)}_{r.randint(0, 300)} locally")), 8),
        ("spark:computing", s("INFO", "spark.CacheManager", lambda r: (
            f"Partition rdd_{r.randint(0, 40)}_{r.randint(0, 300)} not found, computing it")), 5),
        ("spark:input-split", s("INFO", "rdd.HadoopRDD", lambda r: (
            f"Input split: hdfs://{ip(r)}:9000/pjhe/test/{r.randint(1, 9)}/part-{r.randint(0, 999):05d}:"
            f"{r.randint(0, 9) * 1000}+{r.randint(100, 99999)}")), 5),
        ("spark:non-empty", s("INFO", "storage.ShuffleBlockFetcherIterator", lambda r: (
            f"Getting {r.randint(0, 200)} non-empty blocks out of {r.randint(0, 200)} blocks")), 4),
        ("spark:remote-fetches", s("INFO", "storage.ShuffleBlockFetcherIterator", lambda r: (
            f"Started {r.randint(0, 40)} remote fetches in {r.randint(0, 90)} ms")), 4),
        ("spark:view-acls", s("INFO", "spark.SecurityManager", lambda r: (
            f"Changing view acls to: {r.choice(['yarn,curi', 'yarn', 'root,hdfs'])}")), 0.5),
        ("spark:modify-acls", s("INFO", "spark.SecurityManager", lambda r: (
            f"Changing modify acls to: {r.choice(['yarn,curi', 'yarn', 'root,hdfs'])}")), 0.5),
        ("spark:registered", s("INFO", "executor.CoarseGrainedExecutorBackend", lambda r: (
            "Successfully registered with driver")), 0.5),
        ("spark:signal", s("INFO", "executor.CoarseGrainedExecutorBackend", lambda r: (
            "Registered signal handlers for [TERM, HUP, INT]")), 0.5),
        ("spark:shutdown", s("INFO", "executor.CoarseGrainedExecutorBackend", lambda r: (
            "Driver commanded a shutdown")), 0.5),
        ("spark:capacity", s("INFO", "storage.MemoryStore", lambda r: (
            f"MemoryStore started with capacity {r.randint(1, 20)}.{r.randint(0, 9)} GB")), 0.5),
        ("spark:fetch-failed", s("ERROR", "shuffle.RetryingBlockFetcher", lambda r: (
            f"Exception while beginning fetch of {r.randint(1, 9)} outstanding blocks")), 0.8),
        ("spark:lost-executor", s("WARN", "scheduler.TaskSetManager", lambda r: (
            f"Lost task {task(r)}: ExecutorLostFailure (executor {r.randint(1, 40)} exited caused by one of the "
            "running tasks) Reason: Container killed by YARN for exceeding memory limits.")), 0.6),
    ]


def zookeeper(rng: random.Random, clock: Clock) -> Templates:
    def z(level: str, where: str, body: Body) -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            thread = r.choice(["NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181", f"QuorumPeer[myid={r.randint(1, 3)}]/0:0:0:0:0:0:0:0:2181",
                               f"WorkerReceiver[myid={r.randint(1, 3)}]", f"SyncThread:{r.randint(1, 3)}"])
            return f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} - {level:<5} [{thread}:{where}] - "

        def lines(r: random.Random) -> str | list[str]:
            text = body(r).split("\n")  # an exception's trace: continuation lines
            return text if len(text) > 1 else text[0]
        return prefixed(clock, head, lines)

    def sid(r: random.Random) -> str:
        return f"0x{r.randint(0x14ed93111f20000, 0x14ed93111f2ffff):x}"

    def state(r: random.Random) -> str:
        return r.choice(["LOOKING", "FOLLOWING", "LEADING"])

    return [
        ("zk:notif-timeout", z("INFO", "FastLeaderElection@774", lambda r: (
            f"Notification time out: {r.choice([400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000])}")), 10),
        ("zk:conn-request", z("INFO", "QuorumCnxManager$Listener@493", lambda r: (
            f"Received connection request /{ip(r)}:{port(r)}")), 8),
        ("zk:cannot-open", z("WARN", "QuorumCnxManager@368", lambda r: (
            f"Cannot open channel to {r.randint(1, 3)} at election address /{ip(r)}:3888\n"
            "java.net.ConnectException: Connection refused\n\tat java.net.PlainSocketImpl.socketConnect(Native Method)")), 10),
        ("zk:accepted", z("INFO", "NIOServerCnxnFactory@197", lambda r: (
            f"Accepted socket connection from /{ip(r)}:{port(r)}")), 14),
        ("zk:new-session", z("INFO", "ZooKeeperServer@839", lambda r: (
            f"Client attempting to establish new session at /{ip(r)}:{port(r)}")), 8),
        ("zk:established", z("INFO", "ZooKeeperServer@595", lambda r: (
            f"Established session {sid(r)} with negotiated timeout {r.choice([10000, 20000, 40000])} "
            f"for client /{ip(r)}:{port(r)}")), 8),
        ("zk:closed-session", z("INFO", "NIOServerCnxn@1001", lambda r: (
            f"Closed socket connection for client /{ip(r)}:{port(r)} which had sessionid {sid(r)}")), 10),
        ("zk:closed-nosession", z("INFO", "NIOServerCnxn@1001", lambda r: (
            f"Closed socket connection for client /{ip(r)}:{port(r)} (no session established for client)")), 4),
        ("zk:terminated", z("INFO", "PrepRequestProcessor@476", lambda r: (
            f"Processed session termination for sessionid: {sid(r)}")), 6),
        ("zk:expiring", z("INFO", "ZooKeeperServer@325", lambda r: (
            f"Expiring session {sid(r)}, timeout of {r.choice([10000, 20000, 40000])}ms exceeded")), 5),
        ("zk:end-of-stream", z("WARN", "NIOServerCnxn@349", lambda r: (
            f"caught end of stream exception\nEndOfStreamException: Unable to read additional data from client "
            f"sessionid {sid(r)}, likely client has closed socket")), 6),
        ("zk:notification", z("INFO", "FastLeaderElection@542", lambda r: (
            f"Notification: {r.randint(1, 3)} (n.leader), 0x{r.randint(0, 2**36):x} (n.zxid), 0x{r.randint(1, 9):x} "
            f"(n.round), {state(r)} (n.state), {r.randint(1, 3)} (n.sid), 0x{r.randint(1, 9):x} (n.peerEPoch), "
            f"{state(r)} (my.state)")), 6),
        ("zk:smaller-id", z("INFO", "QuorumCnxManager@197", lambda r: (
            f"Have smaller server identifier, so dropping the connection: ({r.randint(1, 3)}, {r.randint(1, 3)})")), 3),
        ("zk:broken", z("WARN", "QuorumCnxManager$RecvWorker@762", lambda r: (
            f"Connection broken for id {r.randint(1, 3)}, my id = {r.randint(1, 3)}, error = ")), 2),
        ("zk:interrupting", z("WARN", "QuorumCnxManager$RecvWorker@765", lambda r: "Interrupting SendWorker"), 2),
        ("zk:leaving", z("WARN", "QuorumCnxManager$SendWorker@679", lambda r: "Send worker leaving thread"), 2),
        ("zk:snapshot", z("INFO", "FileTxnSnapLog@240", lambda r: (
            f"Snapshotting: 0x{r.randint(0, 2**36):x} to /var/lib/zookeeper/version-2/snapshot.{r.randint(0, 2**36):x}")), 1),
    ]


def nova(rng: random.Random, clock: Clock) -> Templates:
    tenants = [hexid(rng, 32) for _ in range(4)]
    nodes = [f"cp-{i}.slowvm1.tcloud-pg0.utah.cloudlab.us" for i in range(1, 4)]

    def n(level: str, logger: str, body: Body, *, instance: bool = True, request: bool = True) -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            req = (f"[req-{uuid(r)} {hexid(r, 32)} {r.choice(tenants)} - - -] " if request and r.random() < 0.9
                   else "[-] " if request else "")
            inst = f"[instance: {uuid(r)}] " if instance else ""
            return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d} {r.randint(2000, 30000)} {level} {logger} {req}{inst}"
        return prefixed(clock, head, body)

    def api(r: random.Random) -> str:
        method, path = r.choice([("GET", f"/v2/{r.choice(tenants)}/servers/detail"),
                                 ("GET", f"/v2/{r.choice(tenants)}/servers/{uuid(r)}"),
                                 ("POST", f"/v2/{r.choice(tenants)}/servers"),
                                 ("DELETE", f"/v2/{r.choice(tenants)}/servers/{uuid(r)}")])
        return (f'{ip(r)} "{method} {path} HTTP/1.1" status: {r.choice([200, 200, 202, 204, 404])} '
                f"len: {r.randint(200, 3000)} time: {r.random():.7f}")

    base = "/var/lib/nova/instances"
    return [
        ("nova:wsgi", n("INFO", "nova.osapi_compute.wsgi.server", api, instance=False), 40),
        ("nova:lifecycle", n("INFO", "nova.compute.manager", lambda r: (
            f"VM {r.choice(['Started', 'Stopped', 'Paused', 'Resumed'])} (Lifecycle Event)"), request=False), 8),
        ("nova:spawn-took", n("INFO", "nova.compute.manager", lambda r: (
            f"Took {r.randint(10, 30)}.{r.randint(10, 99)} seconds to spawn the instance on the hypervisor.")), 4),
        ("nova:build-took", n("INFO", "nova.compute.manager", lambda r: (
            f"Took {r.randint(10, 30)}.{r.randint(10, 99)} seconds to build instance.")), 4),
        ("nova:terminating", n("INFO", "nova.compute.manager", lambda r: "Terminating instance"), 4),
        ("nova:destroyed", n("INFO", "nova.virt.libvirt.driver", lambda r: "Instance destroyed successfully.",
                             request=False), 4),
        ("nova:deleting-files", n("INFO", "nova.virt.libvirt.driver", lambda r: (
            f"Deleting instance files {base}/{uuid(r)}_del")), 4),
        ("nova:deletion-done", n("INFO", "nova.virt.libvirt.driver", lambda r: (
            f"Deletion of {base}/{uuid(r)}_del complete")), 4),
        ("nova:claim", n("INFO", "nova.compute.claims", lambda r: (
            f"Attempting claim: memory {r.choice([512, 2048, 4096])} MB, disk {r.choice([1, 20, 40])} GB, "
            f"vcpus {r.choice([1, 2, 4])} CPU")), 4),
        ("nova:total-memory", n("INFO", "nova.compute.claims", lambda r: (
            f"Total memory: 64172 MB, used: {r.randint(512, 9000)}.00 MB")), 4),
        ("nova:memory-limit", n("INFO", "nova.compute.claims", lambda r: (
            f"memory limit: 96258.00 MB, free: {r.randint(80000, 96000)}.00 MB")), 4),
        ("nova:claim-ok", n("INFO", "nova.compute.claims", lambda r: "Claim successful"), 4),
        ("nova:creating-image", n("INFO", "nova.virt.libvirt.driver", lambda r: "Creating image"), 4),
        ("nova:auditing", n("INFO", "nova.compute.resource_tracker", lambda r: (
            f"Auditing locally available compute resources for node {r.choice(nodes)}"), instance=False), 3),
        ("nova:final-view", n("INFO", "nova.compute.resource_tracker", lambda r: (
            f"Final resource view: name={r.choice(nodes)} phys_ram=64172MB used_ram={r.randint(512, 9000)}MB "
            f"phys_disk=15GB used_disk={r.randint(0, 80)}GB total_vcpus=16 used_vcpus={r.randint(0, 16)} "
            "pci_stats=[]"), instance=False), 3),
        ("nova:image-checking", n("INFO", "nova.virt.libvirt.imagecache", lambda r: (
            f"image {uuid(r)} at ({base}/_base/{hexid(r, 40)}): checking"), instance=False, request=False), 2),
        ("nova:active-base", n("INFO", "nova.virt.libvirt.imagecache", lambda r: (
            f"Active base files: {base}/_base/{hexid(r, 40)}"), instance=False, request=False), 2),
        ("nova:pending-task", n("INFO", "nova.compute.manager", lambda r: (
            f"During sync_power_state the instance has a pending task ({r.choice(['spawning', 'deleting'])}). Skip."),
            request=False), 2),
        ("nova:sync-mismatch", n("WARNING", "nova.compute.manager", lambda r: (
            "While synchronizing instance power states, found 1 instances in the database and 0 instances on the "
            "hypervisor."), instance=False), 0.5),
    ]


def healthapp(rng: random.Random, clock: Clock) -> Templates:
    pid = str(rng.randint(30000000, 39999999))

    def a(tag: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"{t:%Y%m%d-%H:%M:%S}:{t.microsecond // 1000}|{tag}|{pid}|", body)

    def ts(r: random.Random) -> int:
        return 1514038440000 + r.randint(0, 10**7)

    return [
        ("ha:stand-step", a("Step_LSC", lambda r: f"onStandStepChanged {r.randint(1000, 9999)}"), 25),
        ("ha:extend", a("Step_LSC", lambda r: (
            f"onExtend:{ts(r)} {r.randint(0, 99)} {r.randint(0, 9)} {r.randint(0, 9)}")), 14),
        ("ha:broadcast", a("Step_LSC", lambda r: (
            f"processHandleBroadcastAction action:android.intent.action.{r.choice(['SCREEN_ON', 'SCREEN_OFF', 'TIME_TICK'])}")), 8),
        ("ha:get-detail", a("Step_SPUtils", lambda r: (
            f"getTodayTotalDetailSteps = {ts(r)}##{r.randint(1000, 9999)}##{r.randint(100000, 999999)}##"
            f"{r.randint(1000, 9999)}##{r.randint(10000, 99999)}##{r.randint(10**7, 10**8)}")), 10),
        ("ha:set-detail", a("Step_SPUtils", lambda r: (
            f"setTodayTotalDetailSteps={ts(r)}##{r.randint(1000, 9999)}##{r.randint(100000, 999999)}##"
            f"{r.randint(1000, 9999)}##{r.randint(10000, 99999)}##{r.randint(10**7, 10**8)}")), 6),
        ("ha:on-receive", a("Step_StandReportReceiver", lambda r: (
            f"onReceive action: android.intent.action.{r.choice(['SCREEN_ON', 'SCREEN_OFF'])}")), 6),
        ("ha:report", a("Step_LSC", lambda r: (
            f"REPORT : {r.randint(1000, 9999)} {r.randint(0, 999)} {r.randint(10000, 99999)} {r.randint(0, 300)}")), 5),
        ("ha:calories", a("Step_ExtSDM", lambda r: f"calculateCaloriesWithCache totalCalories={r.randint(10000, 200000)}"), 6),
        ("ha:altitude", a("Step_ExtSDM", lambda r: f"calculateAltitudeWithCache totalAltitude={r.randint(0, 400)}"), 6),
        ("ha:total-steps", a("Step_ExtSDM", lambda r: f"totalDetailSteps={r.randint(1000, 30000)}"), 5),
        ("ha:flush", a("Step_StandStepCounter", lambda r: "flush sensor data"), 3),
        ("ha:write-db", a("Step_StandStepCounter", lambda r: f"setWriteDB {r.choice(['true', 'false'])}"), 3),
        ("ha:sync", a("HiH_HiSyncUtil", lambda r: (
            f"checkInsertStatus stepSum={r.randint(0, 30000)} calSum={r.randint(0, 900000)}")), 2),
        ("ha:health-uid", a("HiH_HiHealthDataInsertStore", lambda r: (
            f"saveHealthDetailData() size = {r.randint(1, 20)},type = {r.choice([2, 3, 4])},deviceID = "
            f"{r.randint(1, 9)},clientID = {r.randint(1, 9)}")), 2),
        ("ha:screen-on", a("Step_ScreenUtil", lambda r: "screen status unknown,think screen on"), 1),
    ]


def macos(rng: random.Random, clock: Clock) -> Templates:
    hosts = [f"calvisitor-10-105-{rng.randint(160, 163)}-{rng.randint(1, 254)}" for _ in range(3)] + ["authorMacBook-Pro"]

    def m(proc: str, body: Body) -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            name = f"{proc}[{0 if proc == 'kernel' else r.randint(50, 60000)}]"
            return f"{t:%b} {t.day:2d} {t:%H:%M:%S} {r.choice(hosts)} {name}: "
        return prefixed(clock, head, body)

    def uptime(r: random.Random) -> str:
        return f"{r.randint(10000, 999999)}.{r.randint(0, 999999):06d}"

    return [
        ("mac:mdns-addr", m("kernel", lambda r: f"ARPT: {uptime(r)}: wl0: MDNS: IPV4 Addr: {ip(r)}"), 10),
        ("mac:airport-sleep", m("kernel", lambda r: (
            f"ARPT: {uptime(r)}: AirPort_Brcm43xx::powerChange: System Sleep")), 4),
        ("mac:airport-wake", m("kernel", lambda r: (
            f"ARPT: {uptime(r)}: AirPort_Brcm43xx::powerChange: System Wake")), 4),
        ("mac:wake-reason", m("kernel", lambda r: (
            f"Wake reason: {r.choice(['RTC (Alarm)', 'EC.LidOpen (User)', 'XHC1', 'ARPT (Network)'])}")), 6),
        ("mac:prepciwake", m("kernel", lambda r: (
            f"AppleThunderboltNHIType2::prePCIWake - power up complete - took {r.randint(1, 9)} us")), 6),
        ("mac:hpd", m("kernel", lambda r: (
            f"IOThunderboltSwitch<0>(0x0)::listenerCallback - Thunderbolt HPD packet for route = 0x0 port = "
            f"{r.choice([11, 12])} unplug = {r.randint(0, 1)}")), 6),
        ("mac:channel", m("kernel", lambda r: (
            f"en0: channel changed to {r.choice([1, 6, 11, 36, 132, 149])},{r.choice(['+1', '-1', '80'])}")), 6),
        ("mac:rtc", m("kernel", lambda r: (
            f"RTC: Maintenance 2017/7/{r.randint(1, 9)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
            f"{r.randint(0, 59):02d}, sleep 2017/7/{r.randint(1, 9)} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
            f"{r.randint(0, 59):02d}")), 4),
        ("mac:pm-response", m("kernel", lambda r: (
            f"PM response took {r.randint(1, 3000)} ms ({r.randint(40, 400)}, {r.choice(['powerd', 'WindowServer', 'Safari'])})")), 4),
        ("mac:sleep-timeout", m("kernel", lambda r: (
            f"Sleep transition timed out after {r.choice([180, 360])} seconds while calling power state change "
            f"callbacks. Suspect \"{r.choice(['en0', 'IOThunderboltPort', 'AppleHDA'])}\" hung")), 1),
        ("mac:hibernate", m("kernel", lambda r: f"hibernate_page_list_setall found pageCount {r.randint(100000, 999999)}"), 3),
        ("mac:sleep-cause", m("kernel", lambda r: f"Previous sleep cause: {r.randint(1, 5)}"), 3),
        ("mac:full-wake", m("kernel", lambda r: (
            f"full wake promotion (reason {r.randint(1, 3)}) {r.randint(10, 900)} ms")), 3),
        ("mac:pressure", m("com.apple.CDScheduler", lambda r: (
            f"Thermal pressure state: {r.randint(0, 2)} Memory pressure state: {r.randint(0, 2)}")), 6),
        ("mac:bt-le", m("blued", lambda r: "Bluetooth -- LE is supported - Disable LE meta event"), 3),
        ("mac:mdns-deregister", m("mDNSResponder", lambda r: (
            f"mDNS_DeregisterInterface: Frequent transitions for interface {r.choice(['en0', 'awdl0', 'utun1'])} "
            f"({':'.join(hexid(r, 4).upper() for _ in range(8))})")), 5),
        ("mac:symptoms", m("symptomsd", lambda r: (
            f"__73-[NetworkAnalyticsEngine observeValueForKeyPath:ofObject:change:context:]_block_invoke unexpected "
            f"switch value {r.randint(1, 4)}")), 4),
        ("mac:assertion", m("kernel", lambda r: (
            f"IOPMrootDomain: idle cancel, state {r.randint(1, 4)}, took {r.randint(1, 900)}.{r.randint(0, 999999):06d}s")), 3),
        ("mac:vm-pressure", m("kernel", lambda r: (
            f"memorystatus_thread: idle exiting pid {r.randint(100, 9999)} "
            f"[{r.choice(['com.apple.geod', 'cloudd', 'nsurlsessiond'])}]")), 3),
        ("mac:tcp-conn", m("kernel", lambda r: (
            f"tcp_connection_summary ({r.randint(1, 9)}) <{r.randint(0, 999)}> flags 0x{r.randint(0, 2**16):x} "
            f"rtt {r.randint(1, 300)} ms sent {r.randint(0, 99999)} bytes")), 3),
    ]


def proxifier(rng: random.Random, clock: Clock) -> Templates:
    programs = ["chrome.exe", "firefox.exe", "Dropbox.exe", "Skype.exe", "outlook.exe", "svchost.exe",
                "git-remote-https.exe", "putty.exe", "WeChat.exe"]
    sites = ["www.google.com", "clients4.google.com", "ssl.gstatic.com", "api.dropbox.com", "mail.example.com",
             "github.com", "login.live.com", "s.ytimg.com", "news.example.hk", "update.example.net"]
    proxy = "proxy.cse.cuhk.edu.hk:5070"

    def p(body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"[{t:%m.%d %H:%M:%S}] {r.choice(programs)} - ", body)

    def site(r: random.Random) -> str:
        return f"{r.choice(sites)}:{r.choice([80, 443, 443, 5222])}" if r.random() < 0.85 else f"{ip(r)}:{r.choice([80, 443])}"

    def amount(r: random.Random) -> str:
        n = r.randint(0, 400000)
        return f"{n} bytes" if n < 1024 else f"{n} bytes ({n / 1024:.2f} KB)" if n < 1048576 else f"{n} bytes ({n / 1048576:.2f} MB)"

    def lifetime(r: random.Random) -> str:
        return r.choice(["<1 sec", f"00:{r.randint(0, 59):02d}", f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                         f"{r.randint(1, 3):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"])

    return [
        ("px:open", p(lambda r: f"{site(r)} open through proxy {proxy} {r.choice(['HTTPS', 'HTTPS', 'SOCKS5'])}"), 40),
        ("px:close", p(lambda r: f"{site(r)} close, {amount(r)} sent, {amount(r)} received, lifetime {lifetime(r)}"), 40),
        ("px:cannot-connect", p(lambda r: (
            f"{site(r)} error : Could not connect to proxy {proxy} - connection attempt failed with error "
            f"{r.choice([10060, 10061])}")), 6),
        ("px:canceled", p(lambda r: (
            f"{site(r)} error : A connection request was canceled before the completion.")), 3),
        ("px:closed-unexpectedly", p(lambda r: f"{site(r)} error : Connection closed unexpectedly."), 2),
        ("px:through-direct", p(lambda r: f"{site(r)} open directly"), 3),
        ("px:resolve", p(lambda r: f"{r.choice(sites)}:{r.choice([80, 443])} resolved through proxy {proxy}"), 2),
    ]


def apache_error(rng: random.Random, clock: Clock) -> Templates:
    def a(level: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"[{t:%a %b %d %H:%M:%S %Y}] [{level}] ", body)

    def client(r: random.Random) -> str:
        return f"[client {ip(r)}] "

    return [
        ("ae:jk2-found", a("notice", lambda r: (
            f"jk2_init() Found child {r.randint(1000, 32000)} in scoreboard slot {r.randint(1, 12)}")), 25),
        ("ae:worker-init", a("notice", lambda r: "workerEnv.init() ok /etc/httpd/conf/workers2.properties"), 25),
        ("ae:error-state", a("error", lambda r: f"mod_jk child workerEnv in error state {r.randint(5, 9)}"), 25),
        ("ae:dir-index", a("error", lambda r: (
            f"{client(r)}Directory index forbidden by rule: /var/www/html/{r.choice(['', 'images/', 'docs/'])}")), 6),
        ("ae:file-missing", a("error", lambda r: (
            f"{client(r)}File does not exist: /var/www/html/{r.choice(['favicon.ico', 'robots.txt', 'sumthin', 'scripts/setup.php'])}")), 6),
        ("ae:child-init", a("error", lambda r: (
            f"[client {ip(r)}] script not found or unable to stat: /var/www/cgi-bin/{r.choice(['awstats', 'formmail', 'test-cgi'])}")), 3),
        ("ae:can-not-find", a("error", lambda r: (
            f"jk2_init() Can't find child {r.randint(1000, 32000)} in scoreboard")), 4),
        ("ae:shm", a("error", lambda r: (
            f"mod_jk child init {r.randint(0, 1)} {r.choice([-2, -1, 0])}")), 3),
        ("ae:sighup", a("notice", lambda r: "SIGHUP received.  Attempting to restart"), 0.5),
        ("ae:configured", a("notice", lambda r: (
            "Apache/2.0.49 (Fedora) configured -- resuming normal operations")), 0.5),
        ("ae:suexec", a("notice", lambda r: "suEXEC mechanism enabled (wrapper: /usr/sbin/suexec)"), 0.5),
        ("ae:digest", a("notice", lambda r: "Digest: generating secret for digest authentication ..."), 0.5),
        ("ae:done", a("notice", lambda r: "Digest: done"), 0.5),
        ("ae:child-pid", a("error", lambda r: (
            f"child process {r.randint(1000, 32000)} still did not exit, sending a SIGKILL")), 2),
    ]


def hadoop_mr(rng: random.Random, clock: Clock) -> Templates:
    app = f"application_{rng.randint(1445000000000, 1446000000000)}_{rng.randint(1, 99):04d}"
    hosts = [f"MININT-{hexid(rng, 7).upper()}.fareast.corp.example.com" for _ in range(4)] + ["msra-sa-41", "msra-sa-39"]

    def h(level: str, cls: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: (
            f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} {level} [{r.choice(['main', 'RMCommunicator Allocator', 'AsyncDispatcher event handler', 'IPC Server handler 1 on 62270'])}] "
            f"{cls}: "), body)

    def attempt(r: random.Random) -> str:
        return f"attempt_{app[12:]}_{r.choice(['m', 'r'])}_{r.randint(0, 20):06d}_{r.randint(0, 2)}"

    def container(r: random.Random) -> str:
        return f"container_{app[12:]}_01_{r.randint(1, 40):06d}"

    return [
        ("mr:transition", h("INFO", "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl", lambda r: (
            f"{attempt(r)} TaskAttempt Transitioned from {r.choice(['NEW', 'UNASSIGNED', 'ASSIGNED', 'RUNNING'])} "
            f"to {r.choice(['UNASSIGNED', 'ASSIGNED', 'RUNNING', 'SUCCESS_CONTAINER_CLEANUP'])}")), 20),
        ("mr:progress", h("INFO", "org.apache.hadoop.mapred.TaskAttemptListenerImpl", lambda r: (
            f"Progress of TaskAttempt {attempt(r)} is : {r.random():.8f}")), 25),
        ("mr:address-change", h("WARN", "org.apache.hadoop.ipc.Client", lambda r: (
            f"Address change detected. Old: {r.choice(hosts)}/{ip(r)}:8030 New: {r.choice(hosts)}:8030")), 8),
        ("mr:retrying", h("INFO", "org.apache.hadoop.ipc.Client", lambda r: (
            f"Retrying connect to server: {r.choice(hosts)}:8030. Already tried {r.randint(0, 9)} time(s); retry "
            "policy is RetryUpToMaximumCountWithFixedSleep(maxRetries=10, sleepTime=1000 MILLISECONDS)")), 10),
        ("mr:error-contacting", h("ERROR", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator", lambda r: (
            "ERROR IN CONTACTING RM. ")), 5),
        ("mr:assigned-container", h("INFO", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator", lambda r: (
            f"Assigned container {container(r)} to {attempt(r)}")), 5),
        ("mr:jvm-given", h("INFO", "org.apache.hadoop.mapred.TaskAttemptListenerImpl", lambda r: (
            f"JVM with ID : jvm_{app[12:]}_{r.choice(['m', 'r'])}_{r.randint(1, 40):06d} given task: {attempt(r)}")), 5),
        ("mr:done-ack", h("INFO", "org.apache.hadoop.mapred.TaskAttemptListenerImpl", lambda r: (
            f"Done acknowledgement from {attempt(r)}")), 4),
        ("mr:num-completed", h("INFO", "org.apache.hadoop.mapreduce.v2.app.job.impl.JobImpl", lambda r: (
            f"Num completed Tasks: {r.randint(1, 20)}")), 4),
        ("mr:schedule-stats", h("INFO", "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator", lambda r: (
            f"Before Scheduling: PendingReds:{r.randint(0, 9)} ScheduledMaps:{r.randint(0, 20)} ScheduledReds:0 "
            f"AssignedMaps:{r.randint(0, 20)} AssignedReds:{r.randint(0, 2)} CompletedMaps:{r.randint(0, 20)} "
            f"CompletedReds:0 ContAlloc:{r.randint(0, 30)} ContRel:0 HostLocal:{r.randint(0, 20)} RackLocal:0")), 4),
        ("mr:lost-connection", h("WARN", "org.apache.hadoop.hdfs.LeaseRenewer", lambda r: (
            f"Failed to renew lease for [DFSClient_NONMAPREDUCE_{r.randint(10**8, 10**9)}_1] for {r.randint(1, 900)} "
            "seconds.  Will retry shortly ...")), 2),
        ("mr:kill-container", h("INFO", "org.apache.hadoop.mapreduce.v2.app.launcher.ContainerLauncherImpl", lambda r: (
            f"KILLING {attempt(r)}")), 2),
        ("mr:diagnostics", h("INFO", "org.apache.hadoop.mapreduce.v2.app.job.impl.TaskAttemptImpl", lambda r: (
            f"Diagnostics report from {attempt(r)}: Container killed by the ApplicationMaster.")), 2),
    ]


def bgl(rng: random.Random, clock: Clock) -> Templates:
    def b(component: str, level: str, body: Body) -> Gen:
        def head(r: random.Random, t: datetime) -> str:
            loc = f"R{r.randint(0, 7)}{r.randint(0, 7)}-M{r.randint(0, 1)}-N{r.randint(0, 15):X}-C:J{r.randint(2, 17):02d}-U{r.randint(0, 1)}1"
            return f"- {int(t.timestamp())} {t:%Y.%m.%d} {loc} {t:%Y-%m-%d-%H.%M.%S}.{t.microsecond:06d} {loc} RAS {component} {level} "
        return prefixed(clock, head, body)

    return [
        ("bgl:cache-parity", b("KERNEL", "INFO", lambda r: "instruction cache parity error corrected"), 25),
        ("bgl:ddr-errors", b("KERNEL", "INFO", lambda r: (
            f"{r.randint(1, 9)} ddr error(s) detected and corrected on rank 0, symbol {r.randint(0, 40)}, bit {r.randint(0, 7)}")), 15),
        ("bgl:generating-core", b("KERNEL", "INFO", lambda r: f"generating core.{r.randint(100, 9999)}"), 15),
        ("bgl:ciod-read", b("APP", "FATAL", lambda r: (
            f"ciod: failed to read message prefix on control stream (CioStream socket to {ip(r)}:{port(r)}")), 8),
        ("bgl:ciod-login", b("APP", "FATAL", lambda r: (
            f"ciod: LOGIN chdir(/p/gb1/stella/RAPTOR/{r.randint(1000, 9999)}/{r.choice(['A', 'B', 'C'])}) failed: "
            "No such file or directory")), 4),
        ("bgl:data-tlb", b("KERNEL", "FATAL", lambda r: "data TLB error interrupt"), 4),
        ("bgl:lustre", b("KERNEL", "FATAL", lambda r: (
            f"Lustre mount FAILED : bglio{r.randint(1, 99)} : block_id : location")), 3),
        ("bgl:rts-panic", b("KERNEL", "FATAL", lambda r: "rts panic! - stopping execution"), 2),
        ("bgl:machine-check", b("KERNEL", "FATAL", lambda r: (
            f"machine check interrupt (bit=0x{r.randint(0, 31):x}): L2 dcache unit data parity error")), 2),
        ("bgl:iar", b("KERNEL", "FATAL", lambda r: f"instruction address: 0x{hexid(r, 8)}"), 4),
        ("bgl:idoproxy", b("DISCOVERY", "SEVERE", lambda r: (
            f"Node card VPD check: {r.choice(['U01', 'U11'])} node in processor card slot J{r.randint(2, 17):02d} do not match. "
            f"VPD ecid {hexid(r, 32).upper()}, found {hexid(r, 32).upper()}")), 2),
        ("bgl:total-corrected", b("KERNEL", "INFO", lambda r: (
            f"total of {r.randint(1, 99)} ddr error(s) detected and corrected")), 6),
    ]


def linux_syslog(rng: random.Random, clock: Clock) -> Templates:
    users = ["root", "test", "guest", "admin", "cyrus", "news", "user1"]

    def l(app: str, body: Body, pid: bool = True) -> Gen:
        return prefixed(clock, lambda r, t: f"{t:%b} {t.day:2d} {t:%H:%M:%S} combo {f'{app}[{r.randint(1000, 30000)}]' if pid else app}: ", body)

    def host(r: random.Random) -> str:
        return r.choice([ip(r), f"{r.choice(['host', 'adsl', 'dsl'])}-{r.randint(1, 254)}.{r.choice(['example.net', 'isp.example.com'])}"])

    return [
        ("lx:auth-failure", l("sshd(pam_unix)", lambda r: (
            f"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost={host(r)}"
            + (f"  user={r.choice(users)}" if r.random() < 0.5 else ""))), 30),
        ("lx:check-pass", l("sshd(pam_unix)", lambda r: "check pass; user unknown"), 10),
        ("lx:session-opened", lambda r: l(f"{r.choice(['su', 'crond', 'gdm'])}(pam_unix)", lambda q: (
            f"session opened for user {q.choice(users)} by (uid={q.choice([0, 500])})"))(r), 15),
        ("lx:session-closed", l("su(pam_unix)", lambda r: f"session closed for user {r.choice(users)}"), 8),
        ("lx:ftp-connection", l("ftpd", lambda r: (
            f"connection from {ip(r)} ({host(r)}) at {clock.now:%a %b %d %H:%M:%S %Y}")), 12),
        ("lx:logrotate", l("logrotate", lambda r: "ALERT exited abnormally with [1]", pid=False), 2),
        ("lx:syslogd-restart", l("syslogd 1.4.1", lambda r: "restart.", pid=False), 1),
        ("lx:klogd-start", l("kernel", lambda r: "klogd 1.4.1, log source = /proc/kmsg started.", pid=False), 1),
        ("lx:cups-startup", l("cups", lambda r: "cupsd startup succeeded", pid=False), 1),
        ("lx:cups-shutdown", l("cups", lambda r: "cupsd shutdown succeeded", pid=False), 1),
        ("lx:reverse-mapping", l("sshd", lambda r: (
            f"reverse mapping checking getaddrinfo for {host(r)} failed - POSSIBLE BREAK-IN ATTEMPT!")), 4),
    ]


def windows_cbs(rng: random.Random, clock: Clock) -> Templates:
    def w(component: str, body: Body) -> Gen:
        return prefixed(clock, lambda r, t: f"{t:%Y-%m-%d %H:%M:%S}, Info                  {component}    ", body)

    def pkg(r: random.Random) -> str:
        return (f"Package_{r.randint(1, 999)}_for_KB{r.randint(2000000, 3999999)}~31bf3856ad364e35~amd64~~"
                f"6.1.{r.randint(1, 3)}.{r.randint(0, 9)}")

    def hr(r: random.Random) -> str:
        return f"0x{r.choice([0, 0, 0x800f0805, 0x80070002]):08x}"

    return [
        ("cbs:session", w("CBS", lambda r: (
            f"Session: {r.randint(30000000, 39999999)}_{r.randint(10**9, 4 * 10**9)} initialized by client "
            f"{r.choice(['WindowsUpdateAgent', 'DriverUpdates'])}.")), 15),
        ("cbs:read-out", w("CBS", lambda r: (
            f"Read out cached package applicability for package: {pkg(r)}, ApplicableState: {r.choice([80, 112])}, "
            f"CurrentState:{r.choice([0, 112])}")), 25),
        ("csi:warning", w("CSI", lambda r: (
            f"{r.randint(1, 9999):08x}@{r.randint(2016, 2017)}/{r.randint(1, 12)}/{r.randint(1, 28)}:"
            f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.{r.randint(0, 999):03d} WcpInitialize "
            f"(wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fef9fb9b6d @0x7fef9f8358f @0xff83e97c "
            f"@0xff83d799 @0xff83db2f)")), 8),
        ("cbs:loaded-stack", w("CBS", lambda r: (
            f"Loaded Servicing Stack v6.1.7601.{r.randint(17000, 23999)} with Core: C:\\Windows\\winsxs\\amd64_"
            f"microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.{r.randint(17000, 23999)}_none_"
            f"{hexid(r, 16)}\\cbscore.dll")), 6),
        ("cbs:failed-wu", w("CBS", lambda r: (
            f"Failed to internally open package. [HRESULT = {hr(r)} - CBS_E_INVALID_PACKAGE]")), 4),
        ("cbs:sqm", w("CBS", lambda r: (
            f"SQM: Initializing online with Windows opt-in: {r.choice(['False', 'True'])}")), 4),
        ("cbs:ending-trusted", w("CBS", lambda r: (
            "Ending TrustedInstaller initialization.")), 3),
        ("cbs:starting-trusted", w("CBS", lambda r: (
            "Starting the TrustedInstaller main loop.")), 3),
        ("cbs:no-startup", w("CBS", lambda r: (
            "No startup processing required, TrustedInstaller service was not set as autostart, or else a reboot is still pending.")), 3),
        ("cbs:wu-client", w("CBS", lambda r: (
            f"Client: {r.choice(['WindowsUpdateAgent', 'UpdateAgentLCU'])} is exiting with HRESULT {hr(r)}")), 3),
    ]


SYSTEM_KINDS: dict[str, Callable[[random.Random, Clock], Templates]] = {
    "hdfs": hdfs, "spark": spark, "zookeeper": zookeeper, "nova": nova, "healthapp": healthapp,
    "macos": macos, "proxifier": proxifier, "apache": apache_error, "hadoop": hadoop_mr, "bgl": bgl,
    "linux": linux_syslog, "windows": windows_cbs,
}
