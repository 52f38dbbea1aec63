"""Reading and loading incident scenarios (SCENARIOS.md, docs/contract.md).

Loading writes to the cluster, so it is a tool for demos and tests kept apart
from the bot (incidentbot/dev/, which the runtime never imports): it writes
with the client libraries' bulk helpers and never goes through the read-only
gateway, and it refuses the indices the bot reads unless forced. Every file is validated first, so a malformed scenario fails with
the file and line, before anything is written.
"""
from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import ApiError as ESApiError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import Elasticsearch
from elasticsearch import NotFoundError as ESNotFound
from elasticsearch.helpers import BulkIndexError as ESBulkIndexError
from elasticsearch.helpers import bulk as es_bulk
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import NotFoundError as OSNotFound
from opensearchpy.exceptions import TransportError as OSTransportError
from opensearchpy.helpers import BulkIndexError as OSBulkIndexError
from opensearchpy.helpers import bulk as os_bulk
from pydantic import ValidationError

from incidentbot.config import settings_from
from incidentbot.core.change import Change
from incidentbot.core.errors import StoreUnreachable, UsageError
from incidentbot.core.timeutil import parse_instant
from incidentbot.gateway.backends import BackendApiError, BackendConnectionError, detect_flavour

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TEXT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
_KW = {"type": "keyword"}
BULK_CHUNK = 2000
DEFAULT_READ_PATTERNS = ("logs-*", "changes-*")


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


class _Writer:
    """Index writes through a client library (elasticsearch-py, or opensearch-py for OpenSearch servers)."""

    def __init__(self, es_url: str) -> None:
        self.url = es_url
        try:
            flavour = detect_flavour(settings_from(env={}, es_url=es_url))
        except (BackendConnectionError, BackendApiError) as exc:
            raise StoreUnreachable(f"cannot reach the search server at {es_url}: {exc}") from None
        self.opensearch = flavour == "opensearch"
        self.client: Any = (OpenSearch(hosts=[es_url], timeout=120) if self.opensearch
                            else Elasticsearch(es_url, request_timeout=120))

    def recreate(self, index: str, mapping: dict[str, Any]) -> None:
        """Drop any earlier copy of the index and create it with the scenario's mapping."""
        missing = (OSNotFound,) if self.opensearch else (ESNotFound,)
        try:
            self.client.indices.delete(index=index)
        except missing:
            pass
        if self.opensearch:
            self.client.indices.create(index=index, body={"mappings": mapping})
        else:
            self.client.indices.create(index=index, mappings=mapping)

    def bulk(self, index: str, docs: list[dict[str, Any]]) -> int:
        """The documents through the library's bulk helper (chunked), then a refresh so they are searchable."""
        actions = ({"_index": index, "_source": doc} for doc in docs)
        helper = os_bulk if self.opensearch else es_bulk
        indexed, _ = helper(self.client, actions, chunk_size=BULK_CHUNK, max_retries=2)
        self.client.indices.refresh(index=index)
        return int(indexed)

    def close(self) -> None:
        self.client.close()


def refused(scenario: Scenario, read_patterns: Sequence[str]) -> list[tuple[str, str]]:
    """The scenario's indices that one of the bot's configured patterns would read, with that pattern."""
    out = []
    for index in (scenario.logs_index, scenario.changes_index):
        for pattern in read_patterns:
            if any(fnmatch.fnmatchcase(index, part.strip()) for part in pattern.split(",") if part.strip()):
                out.append((index, pattern))
                break
    return out


def load_scenario(scenario: Scenario, es_url: str, *, force: bool = False,
                  read_patterns: Sequence[str] = DEFAULT_READ_PATTERNS) -> dict[str, int]:
    """Index a scenario into logs-<name> and changes-<name>, replacing any earlier copy. It WRITES.

    An index that the bot's configured patterns read (`read_patterns`, the
    logs and changes patterns) is refused unless `force`: loading test data
    into what the bot answers from should never happen by accident.
    """
    clash = refused(scenario, read_patterns)
    if clash and not force:
        named = "; ".join(f"{index} matches {pattern}" for index, pattern in clash)
        raise UsageError(f"refusing to write into indices the bot reads ({named}); pass --force to load anyway, "
                         "or set --logs-index / --changes-index to the patterns you query")
    writer = _Writer(es_url.rstrip("/"))
    counts = {}
    try:
        for index, mapping, docs in ((scenario.logs_index, logs_mapping(scenario.fields), scenario.logs),
                                     (scenario.changes_index, changes_mapping(), scenario.changes)):
            writer.recreate(index, mapping)
            counts[index] = writer.bulk(index, docs) if docs else 0
    except (ESBulkIndexError, OSBulkIndexError) as exc:
        first = (exc.errors or [{}])[0]
        raise UsageError(f"bulk indexing into {scenario.name} failed: {exc.args[0]}: {str(first)[:300]}") from None
    except (ESConnectionError, OSConnectionError) as exc:
        raise StoreUnreachable(f"cannot reach the search server at {es_url}: {str(exc)[:200]}") from None
    except (ESApiError, OSTransportError) as exc:
        raise UsageError(f"the search server at {es_url} refused the load: {str(exc)[:300]}") from None
    finally:
        writer.close()
    return counts
