"""Field discovery: which fields of an index hold the timestamp, service, level, message...

Teams name fields their own way (ECS `service.name`, or `service`, `app`,
`level`, `severity`, `msg`...). The bot reads the mapping through field_caps,
picks ECS names first and then the common alternatives, and reads the level
and service values from the data, so it can query indices it did not create.
"""
from __future__ import annotations

import logging

from typing import Any

from incidentbot.config import FieldOverrides
from incidentbot.core.cache import BoundedCache
from incidentbot.core.errors import StoreTimeout, StoreUnavailable, UsageError
from incidentbot.core.fields import FieldMap
from incidentbot.core.levels import canonical_level
from incidentbot.gateway import ReadOnlyGateway

log = logging.getLogger(__name__)

__all__ = ["CANDIDATES", "DURATION_CANDIDATES", "FIELD_CACHE", "FieldMap", "discover_fields"]

CANDIDATES: dict[str, tuple[str, ...]] = {
    "timestamp": ("@timestamp", "timestamp", "time", "ts", "date"),
    # ECS, then flat names, then OpenTelemetry (the Collector's Elasticsearch exporter, `otel` mode), then
    # Kubernetes metadata as Filebeat and Fluent Bit ship it
    "service": ("service.name", "service", "app", "application", "app.name", "resource.attributes.service.name",
                "kubernetes.labels.app", "kubernetes.labels.app_kubernetes_io/name",
                "kubernetes.labels.app.kubernetes.io/name", "kubernetes.container.name", "kubernetes.container_name",
                "resource.attributes.k8s.deployment.name", "container.name", "serviceName", "service_name",
                "component"),
    "level": ("log.level", "level", "severity", "loglevel", "log_level", "levelname", "lvl", "severity_text"),
    "message": ("message", "msg", "body.text", "body_text", "log", "event.original", "log.message", "text", "body"),
    "status": ("http.response.status_code", "status", "status_code", "http.status_code", "http_status",
               "response_code", "statusCode", "response.status", "attributes.http.response.status_code",
               "attributes.http.status_code"),
    "host": ("host.name", "host", "hostname", "kubernetes.pod.name", "kubernetes.pod_name",
             "resource.attributes.k8s.pod.name", "resource.attributes.host.name", "pod", "host.hostname",
             "container.id"),
    "path": ("url.path", "path", "http.path", "request_path", "url", "http.url", "endpoint", "route",
             "attributes.url.path", "attributes.http.route", "attributes.http.target"),
    "version": ("service.version", "version", "app_version", "resource.attributes.service.version",
                "kubernetes.labels.version", "kubernetes.labels.app.kubernetes.io/version", "image.tag"),
    "trace": ("trace.id", "trace_id", "traceId", "traceid", "trace"),
    "region": ("cloud.region", "region", "aws.region", "resource.attributes.cloud.region",
               "cloud.availability_zone", "zone", "datacenter", "dc"),
}
# Request durations and the unit each name means, in the order they are tried. ECS `event.duration` is in
# nanoseconds, nginx `request_time` and OpenTelemetry's `http.server.request.duration` in seconds; a name
# that says its unit (`_ms`, `_us`, `_seconds`) means it; the bare names (`latency`, `took`, ...) are
# milliseconds, as the common frameworks log them. INCIDENTBOT_FIELD_DURATION(_UNIT) override all of this.
DURATION_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("event.duration", "ns"), ("duration_ms", "ms"), ("http.server.request.duration", "s"),
    ("attributes.http.server.request.duration", "s"), ("http.server.duration", "ms"),
    ("attributes.http.server.duration", "ms"), ("response_time_ms", "ms"), ("response_time", "ms"),
    ("latency_ms", "ms"), ("latency", "ms"), ("took_ms", "ms"), ("took", "ms"), ("elapsed_ms", "ms"),
    ("elapsed", "ms"), ("request_time", "s"), ("nginx.access.request_time", "s"), ("upstream_response_time", "s"),
    ("duration_us", "us"), ("duration_ns", "ns"), ("duration_s", "s"), ("duration_seconds", "s"),
    ("attributes.duration_ms", "ms"), ("duration", "ms"),
)
_NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
_KEYWORDISH = {"keyword", "constant_keyword", "wildcard"}


Caps = dict[str, dict[str, Any]]


def _pick(caps: Caps, names: tuple[str, ...], want_keyword: bool) -> str | None:
    found = _present(caps, names, want_keyword)
    return found[0] if found else None


def _present(caps: Caps, names: tuple[str, ...], want_keyword: bool) -> list[str]:
    """The candidates this mapping has, in preference order (the aggregatable name for keywords)."""
    out = []
    for name in names:
        types = caps.get(name)
        if not types:
            continue
        kinds = set(types)
        if want_keyword:
            if kinds & _KEYWORDISH:
                out.append(name)
            elif "text" in kinds and f"{name}.keyword" in caps:
                out.append(f"{name}.keyword")
            continue
        out.append(name)
    return out


def _durations(caps: Caps) -> list[tuple[str, str]]:
    return [(name, unit) for name, unit in DURATION_CANDIDATES if set(caps.get(name) or {}) & _NUMERIC]


def flatten_mapping(properties: dict[str, Any], prefix: str = "") -> Caps:
    """A mapping's properties as field_caps-like {name: {type: {}}}, multi-fields and passthrough included."""
    out: Caps = {}
    for key, spec in (properties or {}).items():
        if not isinstance(spec, dict):
            continue
        name = f"{prefix}{key}"
        if "properties" in spec:
            inner = flatten_mapping(spec["properties"], f"{name}.")
            out.update(inner)
            if spec.get("type") == "passthrough":  # OTel attributes: also reachable without the prefix
                out.update({k[len(name) + 1:]: v for k, v in inner.items() if k[len(name) + 1:] not in out})
            continue
        kind = str(spec.get("type", "object"))
        out[name] = {kind: {"path": spec.get("path")} if kind == "alias" else {}}
        for sub, sub_spec in (spec.get("fields") or {}).items():
            if isinstance(sub_spec, dict):
                out[f"{name}.{sub}"] = {str(sub_spec.get("type", "keyword")): {}}
    return out


def _resolve_aliases(caps: Caps) -> Caps:
    """An alias field (the OTel template's `message` -> `body.text`) has its target's type."""
    for name, types in list(caps.items()):
        if "alias" in types:
            target = caps.get(str(types["alias"].get("path")))
            if target and "alias" not in target:
                caps[name] = dict(target)
    return caps


def _per_index_caps(gateway: ReadOnlyGateway, index: str) -> dict[str, Caps]:
    """Each concrete index's fields, from one get_mapping; the pattern as a whole where that is refused."""
    try:
        mappings = gateway.get_mapping(index)
    except (UsageError, StoreUnavailable, StoreTimeout):
        raise  # a missing index, or a store that keeps failing or is too slow: field_caps would fare no better
    except Exception:  # noqa: BLE001 - an older server or a restricted role: one layout for the pattern
        mappings = None
    if isinstance(mappings, dict) and mappings:
        return {name: _resolve_aliases(flatten_mapping((body.get("mappings") or {}).get("properties", {})))
                for name, body in sorted(mappings.items()) if isinstance(body, dict)}
    return {index: gateway.field_caps(index).get("fields", {})}


def choose_fields(caps: Caps, overrides: FieldOverrides, populated: set[str] | None = None) -> FieldMap:
    """Pick each role's field from one layout; with `populated`, a mapped field that holds no value is skipped."""
    def pick(role: str, want_keyword: bool) -> str | None:
        found = _present(caps, CANDIDATES[role], want_keyword)
        if populated is not None:
            found = [f for f in found if f in populated] or found[:1]
        return found[0] if found else None

    fm = FieldMap()
    fm.types = {name: next(iter(types)) for name, types in caps.items() if types}
    fm.timestamp = overrides.timestamp or pick("timestamp", False) or "@timestamp"
    fm.service = overrides.service or pick("service", True)
    fm.level = overrides.level or pick("level", True)
    fm.message = overrides.message or pick("message", False)
    fm.message_is_text = bool(fm.message and "text" in (caps.get(fm.message) or {}) or
                              fm.message and "match_only_text" in (caps.get(fm.message) or {}))
    for key in ("status", "host", "path", "version", "trace", "region"):
        setattr(fm, key, getattr(overrides, key) or pick(key, key != "status"))
    durations = _durations(caps)
    if populated is not None:
        durations = [d for d in durations if d[0] in populated] or durations[:1]
    if overrides.duration:
        fm.duration, fm.duration_unit = overrides.duration, overrides.duration_unit or _unit_of(overrides.duration)
    elif durations:
        fm.duration, fm.duration_unit = durations[0]
        if overrides.duration_unit:
            fm.duration_unit = overrides.duration_unit
    fm.level_in_text = fm.level is None and fm.message is not None and fm.message_is_text
    return fm


def _unit_of(name: str) -> str:
    """The unit a field's name says, for an override given without one."""
    known = dict(DURATION_CANDIDATES)
    if name in known:
        return known[name]
    low = name.lower()
    for suffix, unit in (("_ns", "ns"), ("_us", "us"), ("_micros", "us"), ("_ms", "ms"), ("_millis", "ms"),
                         ("_seconds", "s"), ("_secs", "s"), ("_s", "s")):
        if low.endswith(suffix):
            return unit
    return "ms"


def _ambiguous(caps: Caps) -> list[str]:
    """Fields worth an existence check: roles where this layout maps more than one candidate."""
    out: list[str] = []
    for role, names in CANDIDATES.items():
        found = _present(caps, names, role not in ("timestamp", "message", "status"))
        if len(found) > 1:
            out.extend(found)
    durations = [d[0] for d in _durations(caps)]
    if len(durations) > 1:
        out.extend(durations)
    return sorted(set(out))


def _layout_key(fm: FieldMap) -> tuple[Any, ...]:
    return (fm.timestamp, fm.service, fm.level, fm.message, fm.message_is_text, fm.status, fm.host, fm.path,
            fm.version, fm.trace, fm.region, fm.duration, fm.duration_unit)


def discover_fields(gateway: ReadOnlyGateway, index: str, overrides: FieldOverrides | None = None) -> FieldMap:
    """Fields per index (one get_mapping), grouped into layouts; values of level and service (one msearch).

    Indices with the same layout are one family; a pattern over one flat and
    one ECS index gets two, and every query asks each with its own names.
    A mapped field with no value (an ECS template over OpenTelemetry data) is
    passed over for one that holds values (one more msearch, only when a role
    has several candidates mapped).
    """
    overrides = overrides or FieldOverrides()
    per_index = _per_index_caps(gateway, index)
    unreadable: dict[str, str] = {}
    readable = {}
    for name, caps in per_index.items():
        if not any(set(caps.get(t) or {}) & {"date", "date_nanos"} for t in CANDIDATES["timestamp"]) \
                and not overrides.timestamp:
            unreadable[name] = "no timestamp field (@timestamp, timestamp, time) in its mapping"
            continue
        readable[name] = caps
    populated = _populated(gateway, index, readable, per_index)
    groups: dict[tuple[Any, ...], FieldMap] = {}
    for name, caps in readable.items():
        fm = choose_fields(caps, overrides, populated.get(name))
        key = _layout_key(fm)
        if key in groups:
            groups[key].indices.append(name)
            groups[key].types.update({k: v for k, v in fm.types.items() if k not in groups[key].types})
        else:
            fm.indices = [name]
            groups[key] = fm
    families = list(groups.values()) or [choose_fields({}, overrides)]
    families.sort(key=lambda f: -len(f.indices))
    has_percentiles = _read_values(gateway, index, families)
    main = families[0]
    if len(families) > 1:
        main = FieldMap(**{k: getattr(families[0], k) for k in (
            "timestamp", "service", "level", "message", "message_is_text", "status", "host", "path", "version",
            "trace", "region", "duration", "duration_unit", "level_in_text")})
        main.families = families
        main.indices = [i for f in families for i in f.indices]
        main.types = {k: v for f in families for k, v in f.types.items()}
        for fam in families:
            for canon, values in fam.level_values.items():
                main.level_values.setdefault(canon, [])
                main.level_values[canon] = sorted(set(main.level_values[canon]) | set(values))
        main.services = sorted({s for f in families for s in f.services})
    main.unreadable = unreadable
    # the server's percentiles cannot be merged across layouts: range buckets can
    main.server_percentiles = has_percentiles and len(families) == 1
    return main


def index_filter(fm: FieldMap) -> dict[str, Any]:
    """The query clause that keeps one family's indices."""
    return {"terms": {"_index": list(fm.indices)}}


def _populated(gateway: ReadOnlyGateway, pattern: str, readable: dict[str, Caps],
               per_index: dict[str, Caps]) -> dict[str, set[str]]:
    """For indices mapping several candidates of a role: which of them hold values (one msearch).

    Indices with the same mapping (daily indices, a data stream's backing
    indices) are asked once, on their three newest names, so a pattern over
    hundreds of indices still costs one small search per mapping.
    """
    wanted: dict[tuple[Any, ...], tuple[list[str], list[str]]] = {}
    for name, caps in sorted(readable.items()):
        fields = _ambiguous(caps)
        if fields:
            signature = tuple(sorted((k, tuple(sorted(v))) for k, v in caps.items()))
            wanted.setdefault(signature, ([], fields))[0].append(name)
    if not wanted:
        return {}
    single = len(per_index) == 1
    searches = []
    for names, fields in wanted.values():
        # exists on the field itself: a `.keyword` sub-field holds a value exactly when its parent does;
        # each mapping asked on its own indices (a name mapped differently elsewhere must not spoil the answer)
        aggs = {f"f{i}": {"filter": {"exists": {"field": f.removesuffix(".keyword")}}} for i, f in enumerate(fields)}
        searches.append((pattern if single else ",".join(names[-3:]),
                         {"size": 0, "query": {"match_all": {}}, "aggs": aggs, "timeout": "10s"}))
    out: dict[str, set[str]] = {}
    try:
        responses = gateway.msearch(searches)
    except Exception:  # noqa: BLE001 - a refinement: without it the mapping's order decides
        return {}
    for (names, fields), resp in zip(wanted.values(), responses):
        counts: dict[str, Any] = resp.get("aggregations") or {}
        if "error" in resp or not counts:
            continue
        held = {f for i, f in enumerate(fields) if int((counts.get(f"f{i}") or {}).get("doc_count", 0)) > 0}
        out.update({name: held for name in names})
    return out


def _read_values(gateway: ReadOnlyGateway, pattern: str, families: list[FieldMap]) -> bool:
    """The level spellings and service names each family holds, in one msearch for all of them.

    When a duration field exists, the same msearch asks whether the server has
    the `percentiles` aggregation, over no documents (so it costs nothing):
    a 400 there means percentiles are interpolated from range buckets instead.
    Returns whether the server has it.
    """
    searches, owners = [], []
    for fam in families:
        aggs: dict[str, Any] = {}
        if fam.level:
            aggs["levels"] = {"terms": {"field": fam.level, "size": 100}}
        if fam.service:
            aggs["services"] = {"terms": {"field": fam.service, "size": 1000}}
        if not aggs:
            continue
        target = ",".join(fam.indices) if len(families) > 1 else pattern
        searches.append((target, {"size": 0, "query": {"match_all": {}}, "aggs": aggs, "timeout": "10s",
                                  "track_total_hits": True}))
        owners.append(fam)
    duration = next((f.duration for f in families if f.duration), None)
    if duration:
        searches.append((pattern, {"size": 0, "query": {"match_none": {}}, "timeout": "5s",
                                   "aggs": {"probe": {"percentiles": {"field": duration, "percents": [50]}}}}))
    if not searches:
        return False
    try:
        responses = gateway.msearch(searches)
    except StoreTimeout as exc:  # the answer goes on without the values; the evidence round names the store
        log.warning("field values not read: %s", exc)
        for fam in families:
            fam.values_unread = True
        return False
    has_percentiles = bool(duration) and "error" not in responses[-1]
    for fam, resp in zip(owners, responses):
        aggs = resp.get("aggregations", {}) if "error" not in resp else {}
        for bucket in aggs.get("levels", {}).get("buckets", []):
            canon = canonical_level(bucket["key"])
            if canon:
                fam.level_values.setdefault(canon, []).append(str(bucket["key"]))
        fam.services = sorted(str(b["key"]) for b in aggs.get("services", {}).get("buckets", []))
        docs = int(((resp.get("hits") or {}).get("total") or {}).get("value", 0) or 0)
        if fam.level and docs and not aggs.get("levels", {}).get("buckets") and fam.message_is_text:
            fam.level, fam.level_in_text = None, True  # a level field that holds nothing: read it from the text
    return has_percentiles


class FieldCache:
    """Discovered fields per (cluster, index pattern), refreshed after a while: mappings rarely change."""

    def __init__(self, ttl_s: float = 300.0, max_indices: int = 256) -> None:
        self._entries: BoundedCache[tuple[str, str], FieldMap] = BoundedCache(max_indices, ttl_s)

    def get(self, gateway: ReadOnlyGateway, url: str, index: str, overrides: FieldOverrides | None) -> FieldMap:
        key = (url, index)
        hit = self._entries.get(key)
        if hit is not None:
            return hit
        found = discover_fields(gateway, index, overrides)
        if found.values_unread:
            return found  # not kept: the next answer reads the values again
        return self._entries.put(key, found)


FIELD_CACHE = FieldCache()
