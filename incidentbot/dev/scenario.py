"""Reading and loading incident scenarios (../shared/SCENARIOS.md).

Loading writes to the cluster, so it is a tool for demos and tests kept apart
from the bot: it speaks plain HTTP and never goes through the read-only
gateway. Every file is validated first, so a malformed scenario fails with
the file and line, before anything is written.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from incidentbot.core.change import Change
from incidentbot.core.errors import StoreUnreachable, UsageError
from incidentbot.core.timeutil import parse_instant

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TEXT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
_KW = {"type": "keyword"}


@dataclass
class Scenario:
    path: Path
    name: str
    title: str
    now: str
    fields: str
    logs: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    catalog: dict[str, Any] | None = None
    questions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def logs_index(self) -> str:
        return f"logs-{self.name}"

    @property
    def changes_index(self) -> str:
        return f"changes-{self.name}"

    @property
    def catalog_path(self) -> Path | None:
        path = self.path / "catalog.json"
        return path if path.is_file() else None


def _json_file(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"{path}: missing (a scenario needs scenario.json, logs.ndjson, changes.ndjson, questions.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def _ndjson(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise UsageError(f"{path}: missing")
    docs = []
    with path.open(encoding="utf-8", errors="strict") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{lineno}: not a JSON document ({exc.msg})") from None
            if not isinstance(doc, dict):
                raise UsageError(f"{path}:{lineno}: expected a JSON object")
            docs.append(doc)
    return docs


def read_scenario(directory: str | Path) -> Scenario:
    """Read and validate a scenario folder; raise UsageError naming the file and line."""
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"{root}: not a scenario folder")
    meta = _json_file(root / "scenario.json")
    for key in ("name", "now"):
        if key not in meta:
            raise UsageError(f"{root / 'scenario.json'}: missing {key!r}")
    if not _NAME.match(str(meta["name"])):
        raise UsageError(f"{root / 'scenario.json'}: name {meta['name']!r} must be folder-safe (a-z, 0-9, . _ -)")
    fields = meta.get("fields", "ecs")
    if fields not in ("ecs", "flat"):
        raise UsageError(f"{root / 'scenario.json'}: fields must be 'ecs' or 'flat', not {fields!r}")
    logs = _ndjson(root / "logs.ndjson")
    for lineno, doc in enumerate(logs, 1):
        if "@timestamp" not in doc:
            raise UsageError(f"{root / 'logs.ndjson'}:{lineno}: missing @timestamp")
        try:
            parse_instant(str(doc["@timestamp"]))
        except ValueError:
            raise UsageError(f"{root / 'logs.ndjson'}:{lineno}: @timestamp {doc['@timestamp']!r} is not ISO 8601") from None
    changes = _ndjson(root / "changes.ndjson")
    for lineno, doc in enumerate(changes, 1):
        try:
            Change.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UsageError(f"{root / 'changes.ndjson'}:{lineno}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    catalog = _json_file(root / "catalog.json") if (root / "catalog.json").is_file() else None
    questions = _json_file(root / "questions.json")
    if not isinstance(questions, list):
        raise UsageError(f"{root / 'questions.json'}: expected a list of questions")
    return Scenario(root, meta["name"], meta.get("title", meta["name"]), meta["now"], fields,
                    logs, changes, catalog, questions)


def logs_mapping(fields: str) -> dict[str, Any]:
    """The mapping SCENARIOS.md gives a log index."""
    if fields == "flat":
        props: dict[str, Any] = {k: _KW for k in ("service", "level", "host", "path", "version", "trace_id")}
        props.update({"msg": _TEXT, "status": {"type": "integer"}, "duration_ms": {"type": "long"}})
    else:
        props = {
            "service": {"properties": {"name": _KW, "version": _KW}},
            "log": {"properties": {"level": _KW}},
            "message": _TEXT,
            "host": {"properties": {"name": _KW}},
            "trace": {"properties": {"id": _KW}},
            "url": {"properties": {"path": _KW}},
            "http": {"properties": {"response": {"properties": {"status_code": {"type": "integer"}}}}},
            "event": {"properties": {"duration": {"type": "long"}}},
        }
    props["@timestamp"] = {"type": "date"}
    return {"properties": props}


def changes_mapping() -> dict[str, Any]:
    keywords = ("id", "kind", "service", "author", "source", "url", "version", "previous_version",
                "files", "config_keys", "environment")
    return {"properties": {"@timestamp": {"type": "date"}, **{k: _KW for k in keywords},
                           "title": {"type": "text"}, "description": {"type": "text"}}}


def _http(method: str, url: str, body: Any = None, ndjson: bool = False) -> tuple[int, Any]:
    data = None
    headers = {}
    if body is not None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError as exc:
        raise StoreUnreachable(f"cannot reach the search server at {url.split('/', 3)[:3][-1]}: {exc}") from None


def load_scenario(scenario: Scenario, es_url: str) -> dict[str, int]:
    """Index a scenario into logs-<name> and changes-<name>, replacing any earlier copy."""
    es_url = es_url.rstrip("/")
    counts = {}
    for index, mapping, docs in ((scenario.logs_index, logs_mapping(scenario.fields), scenario.logs),
                                 (scenario.changes_index, changes_mapping(), scenario.changes)):
        _http("DELETE", f"{es_url}/{index}")
        status, resp = _http("PUT", f"{es_url}/{index}", {"mappings": mapping})
        if status != 200:
            raise UsageError(f"could not create index {index}: {str(resp)[:200]}")
        for start in range(0, len(docs), 2000):
            chunk = docs[start:start + 2000]
            payload = "".join('{"index":{}}\n' + json.dumps(doc) + "\n" for doc in chunk)
            status, resp = _http("POST", f"{es_url}/{index}/_bulk", payload, ndjson=True)
            if status != 200 or resp.get("errors"):
                raise UsageError(f"bulk indexing into {index} failed: {str(resp)[:300]}")
        _http("POST", f"{es_url}/{index}/_refresh")
        counts[index] = len(docs)
    return counts
