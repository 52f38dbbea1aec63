"""Checks the generated incident scenarios (fixtures/*/ and incidentbot/data/demo/) against SCENARIOS.md.

No search server: every expectation is recomputed here from the files, with an implementation of the
counting rules of its own (it shares no code with fixtures/generate.py), and the generator is run
again into a temporary folder to show the files are what it deterministically writes.
"""
import json
import os
import re
import runpy
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from support.servers import ROOT

REPO = str(ROOT)
FIXTURES = os.path.join(REPO, "fixtures")
DEMO_DIR = os.path.join(REPO, "incidentbot", "data", "demo")

KINDS = {"deploy", "config", "feature_flag", "infra", "schema", "rollback", "manual", "dependency"}
CHANGE_REQUIRED = {"id", "@timestamp", "kind", "service", "title"}
CHANGE_OPTIONAL = {"description", "author", "source", "url", "version", "previous_version", "files",
                   "config_keys", "environment", "started_at"}
MAX_SKEW = timedelta(minutes=7)  # a rollout recorded at its end, with no start time, may be this late
EXPECT_KEYS = {"culprit", "onset", "services", "start", "end", "levels", "hits", "pattern", "changes"}
ECS_KEYS = {"@timestamp", "service", "log", "message", "http", "url", "host", "trace", "event"}
FLAT_KEYS = {"@timestamp", "service", "level", "msg", "status", "path", "host", "version", "trace_id", "duration_ms"}
OTEL_KEYS = {"@timestamp", "observed_timestamp", "data_stream", "severity_text", "severity_number", "body",
             "trace_id", "resource", "scope", "attributes"}
K8S_KEYS = {"@timestamp", "message", "stream", "kubernetes", "container", "input"}
TS_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def scenario_dirs():
    dirs = sorted(os.path.join(FIXTURES, d) for d in os.listdir(FIXTURES)
                  if os.path.isfile(os.path.join(FIXTURES, d, "scenario.json")))
    if os.path.isfile(os.path.join(DEMO_DIR, "scenario.json")):
        dirs.append(DEMO_DIR)
    return dirs


DIRS = scenario_dirs()


def when(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class Scenario:
    def __init__(self, d):
        self.dir = d
        self.meta = json.load(open(os.path.join(d, "scenario.json")))
        self.flat = self.meta.get("fields", "ecs") == "flat"
        self.logs = [json.loads(line) for line in open(os.path.join(d, "logs.ndjson")) if line.strip()]
        self.changes = [json.loads(line) for line in open(os.path.join(d, "changes.ndjson")) if line.strip()]
        cat = os.path.join(d, "catalog.json")
        self.catalog = json.load(open(cat)) if os.path.exists(cat) else None
        self.questions = json.load(open(os.path.join(d, "questions.json")))
        self.now = when(self.meta["now"])

        first = self.logs[0] if self.logs else {}
        # the shape the documents were shipped in: OpenTelemetry (otel mode), Kubernetes via Filebeat, or plain
        self.shape = "otel" if "resource" in first else "k8s" if "kubernetes" in first else "plain"

    # field access by the scenario's own style
    def service(self, doc):
        if self.shape == "otel":
            return doc["resource"]["attributes"]["service.name"]
        if self.shape == "k8s":
            return doc["kubernetes"]["labels"]["app"]
        return doc["service"] if self.flat else doc["service"]["name"]

    def level(self, doc):
        if self.shape == "otel":
            return doc["severity_text"]
        if self.shape == "k8s":
            return text_level(doc["message"])
        return doc["level"] if self.flat else doc["log"]["level"]

    def message(self, doc):
        if self.shape == "otel":
            return doc["body"]["text"]
        return doc["msg"] if self.flat else doc["message"]

    def status(self, doc):
        if self.shape == "otel":
            return doc["attributes"].get("http.response.status_code")
        return doc.get("status") if self.flat else doc.get("http", {}).get("response", {}).get("status_code")

    def duration_ms(self, doc):
        """The request's duration in ms from whichever field and unit the shape uses (None: not a request)."""
        if self.shape == "otel":
            v = doc["attributes"].get("http.server.request.duration")
            return None if v is None else v * 1000
        if "request_time" in doc:
            return doc["request_time"] * 1000
        if self.flat:
            return doc.get("duration_ms")
        return doc["event"]["duration"] / 1e6 if "event" in doc else None


def text_level(line):
    """A level written inside a container line: `level=x`, `"level": "x"`, or the second word of `<ts> LEVEL ...`."""
    m = re.search(r'\blevel=(\w+)|"level":\s*"(\w+)"|^\S+\s+([A-Z]+)\b', line)
    assert m, line
    return next(g for g in m.groups() if g).lower()


@pytest.fixture(scope="module", params=DIRS, ids=lambda d: os.path.relpath(d, REPO))
def sc(request):
    return Scenario(request.param)


def test_there_are_scenarios():
    names = [os.path.basename(d) for d in DIRS if d != DEMO_DIR]
    assert len(names) >= 20
    assert DEMO_DIR in DIRS


# ---------------------------------------------------------------- format


def test_scenario_json(sc):
    assert {"name", "title", "now", "fields"} <= set(sc.meta)
    assert sc.meta["fields"] in ("ecs", "flat")
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", sc.meta["name"])
    if sc.dir != DEMO_DIR:
        assert sc.meta["name"] == os.path.basename(sc.dir)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sc.meta["now"])


def test_logs_follow_the_field_style(sc):
    assert 1500 <= len(sc.logs) <= 4000
    for doc in sc.logs:
        assert TS_MS.match(doc["@timestamp"]), doc["@timestamp"]
        when(doc["@timestamp"])
        if sc.shape == "otel":
            assert set(doc) <= OTEL_KEYS, set(doc) - OTEL_KEYS
            assert isinstance(doc["body"]["text"], str) and doc["severity_text"] in ("INFO", "WARN", "ERROR")
            assert "service.name" in doc["resource"]["attributes"]
            d = doc["attributes"].get("http.server.request.duration")
            assert d is None or isinstance(d, float)
        elif sc.shape == "k8s":
            assert set(doc) <= K8S_KEYS, set(doc) - K8S_KEYS
            assert text_level(doc["message"]) in ("info", "warn", "error")
            assert {"pod", "container", "labels"} <= set(doc["kubernetes"])
        elif sc.flat:
            assert set(doc) <= FLAT_KEYS | {"request_time"}, set(doc) - FLAT_KEYS
            assert isinstance(doc["service"], str) and isinstance(doc["msg"], str)
            assert doc["level"] in ("INFO", "WARN", "ERROR")
            for k in ("status", "duration_ms"):
                assert k not in doc or isinstance(doc[k], int)
            assert "request_time" not in doc or isinstance(doc["request_time"], float)
        else:
            assert set(doc) <= ECS_KEYS, set(doc) - ECS_KEYS
            assert isinstance(doc["service"]["name"], str) and isinstance(doc["message"], str)
            assert doc["log"]["level"] in ("info", "warn", "error")
            if "http" in doc:
                assert isinstance(doc["http"]["response"]["status_code"], int)
            if "event" in doc:
                assert isinstance(doc["event"]["duration"], int)
    stamps = [when(d["@timestamp"]) for d in sc.logs]
    assert stamps == sorted(stamps), "logs not sorted by time"
    assert stamps[-1] < sc.now
    assert timedelta(minutes=115) <= sc.now - stamps[0] <= timedelta(hours=3)
    assert 3 <= len({sc.service(d) for d in sc.logs}) <= 6


def test_changes(sc):
    ids = [c["id"] for c in sc.changes]
    assert len(ids) == len(set(ids))
    for c in sc.changes:
        assert set(c) >= CHANGE_REQUIRED, c
        assert set(c) <= CHANGE_REQUIRED | CHANGE_OPTIONAL, c
        assert c["kind"] in KINDS
        assert when(c["@timestamp"]) <= sc.now
        for k in ("files", "config_keys"):
            assert k not in c or (isinstance(c[k], list) and all(isinstance(x, str) for x in c[k]))


def test_catalog(sc):
    if sc.catalog is None:
        return
    assert isinstance(sc.catalog["services"], dict)
    for name, entry in sc.catalog["services"].items():
        assert isinstance(entry.get("depends_on", []), list)
        assert set(entry) <= {"depends_on", "aliases", "owner", "tier"}


def test_questions_shape(sc):
    assert 3 <= len(sc.questions) <= 6
    ids = [q["id"] for q in sc.questions]
    assert len(ids) == len(set(ids))
    kinds = set()
    for q in sc.questions:
        assert q["ask"].strip()
        assert q.get("command", "ask") in ("ask", "whatchanged")
        assert set(q["expect"]) <= EXPECT_KEYS
        if "at" in q:
            when(q["at"])
        for k in ("start", "end", "onset"):
            if q["expect"].get(k):
                when(q["expect"][k])
        e = q["expect"]
        kinds.add("whatchanged" if q.get("command") == "whatchanged" else "count" if "hits" in e
                  else "why" if "culprit" in e else "other")
        if "hits" in e:
            assert len(e["services"]) == 1 and e["services"][0] in q["ask"]
    assert {"why", "count", "whatchanged"} <= kinds


# ---------------------------------------------------------------- expectations


def test_culprits_exist_and_precede_the_onset(sc):
    by_id = {c["id"]: c for c in sc.changes}
    for q in sc.questions:
        e = q["expect"]
        if e.get("culprit") is not None:
            assert e["culprit"] in by_id
            assert e.get("onset"), "a culprit needs an onset"
            c = by_id[e["culprit"]]
            began = when(c.get("started_at") or c["@timestamp"])
            assert began < when(e["onset"]) or (c["kind"] == "deploy" and "started_at" not in c
                                                 and began - when(e["onset"]) <= MAX_SKEW)
            assert c["kind"] != "rollback"


LATENCY_ASK = re.compile(r"\b(?:slow|sluggish|latency|p\d\d)\b", re.I)


def errors_per_minute(sc, services):
    counts = {}
    for d in sc.logs:
        if sc.service(d) in services and sc.level(d).lower() == "error":
            m = when(d["@timestamp"]).replace(second=0, microsecond=0)
            counts[m] = counts.get(m, 0) + 1
    return counts


def masked(msg):
    return re.sub(r"[0-9a-f]*[0-9][0-9a-f]*", "#", msg.lower())


def test_onset_is_a_clear_step_and_the_pattern_is_new(sc):
    first = when(sc.logs[0]["@timestamp"]).replace(second=0, microsecond=0)
    for q in sc.questions:
        e = q["expect"]
        if "onset" not in e:
            continue
        svc = e["services"][0]
        per_min = errors_per_minute(sc, {svc})
        if LATENCY_ASK.search(q["ask"]) and e["onset"] is not None:
            # a slowness incident: requests slower than the p99 before the onset step up from it on
            onset = when(e["onset"])
            base = sorted(ms for d in sc.logs if sc.service(d) == svc and when(d["@timestamp"]) < onset
                          and (ms := sc.duration_ms(d)) is not None)
            line = base[int(len(base) * 0.99)]
            slow = {}
            for d in sc.logs:
                ms = sc.duration_ms(d)
                if sc.service(d) == svc and ms is not None and ms > line:
                    m = when(d["@timestamp"]).replace(second=0, microsecond=0)
                    slow[m] = slow.get(m, 0) + 1
            minutes = int((onset - first).total_seconds() // 60)
            before = [slow.get(first + timedelta(minutes=i), 0) for i in range(minutes)]
            after = [slow.get(onset + timedelta(minutes=i), 0) for i in range(5)]
            assert sum(before) / len(before) <= 0.5 and sum(after) >= 10 and after[0] >= 1, (before[-5:], after)
            continue
        if e["onset"] is None:
            # nothing new: every error shape of the second half already occurred in the first hour
            early = {masked(sc.message(d)) for d in sc.logs if sc.level(d).lower() == "error"
                     and when(d["@timestamp"]) < first + timedelta(hours=1)}
            late = {masked(sc.message(d)) for d in sc.logs if sc.level(d).lower() == "error"
                    and when(d["@timestamp"]) >= first + timedelta(hours=1)}
            assert late <= early, late - early
            assert max(per_min.values(), default=0) <= 3
            continue
        onset = when(e["onset"])
        before = [per_min.get(first + timedelta(minutes=i), 0) for i in range(int((onset - first).total_seconds() // 60))]
        after = [per_min.get(onset + timedelta(minutes=i), 0) for i in range(5)]
        base = sum(before) / max(len(before), 1)
        first_quarter = [per_min.get(onset + timedelta(minutes=i), 0) for i in range(15)]
        clear_step = max(before) <= 3 and min(after) >= 5
        chronic = max(before) > 3 and sum(after) / 5 >= 2 * base      # a step over a high baseline
        gradual = max(before) <= 3 and after[0] >= 1 and sum(first_quarter) / 15 >= 5  # a progressive rollout
        assert clear_step or chronic or gradual, (before[-5:], after)
        # the expected pattern: in messages of the service or of what it depends on, only from the onset on
        scope = {svc} | set(((sc.catalog or {}).get("services", {}).get(svc) or {}).get("depends_on", []))
        pats = e["pattern"] if isinstance(e["pattern"], list) else [e["pattern"]]
        for p in pats:
            assert not re.search(r"\d", p)
            hits = [when(d["@timestamp"]) for d in sc.logs
                    if sc.service(d) in scope and p.lower() in sc.message(d).lower()]
            assert hits and min(hits) >= onset and min(hits) < onset + timedelta(minutes=1), p


def analyse(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def contains_phrase(message, phrase):
    m, p = analyse(message), analyse(phrase)
    return any(m[i:i + len(p)] == p for i in range(len(m) - len(p) + 1))


def count(sc, q):
    """The counting rules of SCENARIOS.md, with the window from expect and the filters from the ask."""
    e = q["expect"]
    start, end = when(e["start"]), when(e["end"])
    levels = {"error": {"error", "err"}, "warn": {"warn", "warning"}}
    wanted = set().union(*(levels.get(l, {l}) for l in e.get("levels", []))) if e.get("levels") else None
    ask = q["ask"]
    phrases = re.findall(r'"([^"]+)"', ask)
    code = re.search(r"\b([1-5]\d\d)s\b", ask)
    five = re.search(r"\b5xx\b", ask)
    slower = re.search(r"(?:slower than|longer than|took over) (\d+(?:\.\d+)?)(ms|s)\b", ask)
    limit = float(slower.group(1)) * (1000 if slower.group(2) == "s" else 1) if slower else None
    measured = re.search(r"\bp\d\d\b|percentile|median", ask)
    n = 0
    for d in sc.logs:
        t = when(d["@timestamp"])
        if sc.service(d) not in e["services"] or not start <= t <= end:
            continue
        if limit is not None or measured:
            ms = sc.duration_ms(d)
            if ms is None or (limit is not None and not ms > limit):
                continue
        if wanted is not None and sc.level(d).lower() not in wanted:
            continue
        st = sc.status(d)
        if five and not (st is not None and 500 <= st <= 599):
            continue
        if code and st != int(code.group(1)):
            continue
        if any(not contains_phrase(sc.message(d), p) for p in phrases):
            continue
        n += 1
    return n


def asked_at(sc, q):
    return when(q["at"]) if "at" in q else sc.now


def test_count_questions(sc):
    counted = 0
    for q in sc.questions:
        e = q["expect"]
        if "hits" not in e:
            continue
        at = asked_at(sc, q)
        ask = q["ask"]
        # the window of the expectation is the one the words name
        m = re.search(r"(?:last|past) (\d+) (minutes|hours)", ask)
        if m:
            want = (at - timedelta(**{m.group(2): int(m.group(1))}), at)
        elif "past hour" in ask:
            want = (at - timedelta(hours=1), at)
        elif re.search(r"between (\d\d):(\d\d) and (\d\d):(\d\d) UTC", ask):
            h1, m1, h2, m2 = map(int, re.search(r"between (\d\d):(\d\d) and (\d\d):(\d\d)", ask).groups())
            want = (at.replace(hour=h1, minute=m1, second=0), at.replace(hour=h2, minute=m2, second=0))
        elif re.search(r"around (\d\d):(\d\d)", ask):
            h, mi = map(int, re.search(r"around (\d\d):(\d\d)", ask).groups())
            center = at.replace(hour=h, minute=mi, second=0)
            want = (center - timedelta(minutes=15), center + timedelta(minutes=15))
        elif re.search(r"since (\d{1,2})(am|pm)\b", ask):
            h, ampm = re.search(r"since (\d{1,2})(am|pm)\b", ask).groups()
            h = int(h) % 12 + (12 if ampm == "pm" else 0)
            want = (at.replace(hour=h, minute=0, second=0), at)
        else:
            h, mi = map(int, re.search(r"since (\d\d):(\d\d)", ask).groups())
            want = (at.replace(hour=h, minute=mi, second=0), at)
        assert (when(e["start"]), when(e["end"])) == want, ask
        if re.search(r"\berrors\b", ask):
            assert e.get("levels") == ["error"]
        if re.search(r"\bwarnings\b", ask):
            assert e.get("levels") == ["warn"]
        assert count(sc, q) == e["hits"], ask
        assert e["hits"] > 0
        counted += 1
    assert counted >= 1


def names_service(name, service):
    """A change's `service` names the log's service: the same name, or a repository / image / app /
    deployment name whose last path segment, without registry, tag and env/version suffixes, is it."""
    if name == service:
        return True
    last = name.lower().split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    tokens = re.split(r"[^a-z0-9]+", last)
    while len(tokens) > 1 and (tokens[-1] in {"prod", "production", "staging", "canary"} or re.fullmatch(r"v?\d+", tokens[-1])):
        tokens.pop()
    return "-".join(tokens) == service


def test_whatchanged_questions(sc):
    services = {sc.service(d) for d in sc.logs}
    n = 0
    for q in sc.questions:
        if q.get("command") != "whatchanged":
            continue
        at = asked_at(sc, q)
        m = re.fullmatch(r"(?:last )?(\d+) hours?|(\S+) (\d+)h", q["ask"])
        assert m, q["ask"]
        hours = int(m.group(1) or m.group(3))
        svc = m.group(2)
        assert svc is None or svc in services
        want = sorted(c["id"] for c in sc.changes if at - timedelta(hours=hours) <= when(c["@timestamp"]) <= at
                      and (svc is None or names_service(c["service"], svc)))
        assert sorted(q["expect"]["changes"]) == want
        assert want and len(want) < len(sc.changes)
        n += 1
    assert n >= 1


# ---------------------------------------------------------------- the generator


def load_generator():
    """fixtures/generate.py's functions: runpy compiles the file without writing a __pycache__ into fixtures/."""
    return SimpleNamespace(**runpy.run_path(os.path.join(FIXTURES, "generate.py")))


def read_tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for fn in files:
            p = os.path.join(dirpath, fn)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def test_generator_is_deterministic_and_the_files_are_current(tmp_path):
    gen = load_generator()
    a, b = tmp_path / "a", tmp_path / "b"
    names = gen.generate(str(a / "fixtures"), str(a / "demo"))
    gen.generate(str(b / "fixtures"), str(b / "demo"))
    ta, tb = read_tree(str(a)), read_tree(str(b))
    assert ta == tb
    assert len(names) >= 7
    # what is checked in is exactly what the generator writes
    for name in names:
        for fn in os.listdir(a / "fixtures" / name):
            assert open(os.path.join(FIXTURES, name, fn), "rb").read() == ta[os.path.join("fixtures", name, fn)], \
                f"fixtures/{name}/{fn} is stale: run python fixtures/generate.py"
    for fn in os.listdir(a / "demo"):
        assert open(os.path.join(DEMO_DIR, fn), "rb").read() == ta[os.path.join("demo", fn)]
    assert set(os.listdir(a / "demo")) == set(os.listdir(DEMO_DIR))
