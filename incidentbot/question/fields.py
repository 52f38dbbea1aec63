"""Field discovery: which fields of an index hold the timestamp, service, level, message...

Teams name fields their own way (ECS `service.name`, or `service`, `app`,
`level`, `severity`, `msg`...). The bot reads the mapping through field_caps,
picks ECS names first and then the common alternatives, and reads the level
and service values from the data, so it can query indices it did not create.
"""
from __future__ import annotations

from typing import Any

from incidentbot.config import FieldOverrides
from incidentbot.core.cache import BoundedCache
from incidentbot.core.fields import FieldMap
from incidentbot.core.levels import canonical_level
from incidentbot.gateway import ReadOnlyGateway

CANDIDATES: dict[str, tuple[str, ...]] = {
    "timestamp": ("@timestamp", "timestamp", "time", "ts", "date"),
    "service": ("service.name", "service", "app", "application", "app.name", "kubernetes.labels.app",
                "kubernetes.labels.app_kubernetes_io/name", "kubernetes.container.name", "container.name",
                "serviceName", "service_name", "component"),
    "level": ("log.level", "level", "severity", "loglevel", "log_level", "levelname", "lvl", "severity_text"),
    "message": ("message", "msg", "log", "event.original", "log.message", "text", "body"),
    "status": ("http.response.status_code", "status", "status_code", "http.status_code", "http_status",
               "response_code", "statusCode", "response.status"),
    "host": ("host.name", "host", "hostname", "kubernetes.pod.name", "pod", "host.hostname", "container.id"),
    "path": ("url.path", "path", "http.path", "request_path", "url", "http.url", "endpoint", "route"),
    "version": ("service.version", "version", "app_version", "kubernetes.labels.version", "image.tag"),
    "trace": ("trace.id", "trace_id", "traceId", "traceid", "trace"),
    "region": ("cloud.region", "region", "aws.region", "cloud.availability_zone", "zone", "datacenter", "dc"),
}
_KEYWORDISH = {"keyword", "constant_keyword", "wildcard"}


def _pick(caps: dict[str, dict[str, Any]], names: tuple[str, ...], want_keyword: bool) -> str | None:
    for name in names:
        types = caps.get(name)
        if not types:
            continue
        kinds = set(types)
        if want_keyword:
            if kinds & _KEYWORDISH:
                return name
            if "text" in kinds and f"{name}.keyword" in caps:
                return f"{name}.keyword"
            continue
        return name
    return None


def discover_fields(gateway: ReadOnlyGateway, index: str, overrides: FieldOverrides | None = None) -> FieldMap:
    """One field_caps and one msearch (level and service values) per index pattern."""
    caps = gateway.field_caps(index).get("fields", {})
    overrides = overrides or FieldOverrides()
    fm = FieldMap()
    fm.types = {name: next(iter(types)) for name, types in caps.items() if types}
    fm.timestamp = overrides.timestamp or _pick(caps, CANDIDATES["timestamp"], False) or "@timestamp"
    fm.service = overrides.service or _pick(caps, CANDIDATES["service"], True)
    fm.level = overrides.level or _pick(caps, CANDIDATES["level"], True)
    fm.message = overrides.message or _pick(caps, CANDIDATES["message"], False)
    fm.message_is_text = bool(fm.message and "text" in (caps.get(fm.message) or {}))
    for key in ("status", "host", "path", "version", "trace", "region"):
        setattr(fm, key, getattr(overrides, key) or _pick(caps, CANDIDATES[key], key != "status"))
    aggs: dict[str, Any] = {}
    if fm.level:
        aggs["levels"] = {"terms": {"field": fm.level, "size": 100}}
    if fm.service:
        aggs["services"] = {"terms": {"field": fm.service, "size": 1000}}
    if aggs:
        resp = gateway.search(index, {"size": 0, "aggs": aggs, "timeout": "10s"})
        for bucket in resp.get("aggregations", {}).get("levels", {}).get("buckets", []):
            canon = canonical_level(bucket["key"])
            if canon:
                fm.level_values.setdefault(canon, []).append(str(bucket["key"]))
        fm.services = sorted(str(b["key"]) for b in resp.get("aggregations", {}).get("services", {}).get("buckets", []))
    return fm


class FieldCache:
    """Discovered fields per (cluster, index pattern), refreshed after a while: mappings rarely change."""

    def __init__(self, ttl_s: float = 300.0, max_indices: int = 256) -> None:
        self._entries: BoundedCache[tuple[str, str], FieldMap] = BoundedCache(max_indices, ttl_s)

    def get(self, gateway: ReadOnlyGateway, url: str, index: str, overrides: FieldOverrides | None) -> FieldMap:
        key = (url, index)
        hit = self._entries.get(key)
        if hit is not None:
            return hit
        return self._entries.put(key, discover_fields(gateway, index, overrides))


FIELD_CACHE = FieldCache()
