"""FieldMap: the field names one logs index uses, shared by the stages that build and read searches.

Teams name fields their own way; discovery (question/fields.py) fills this
map once per index, and the compiler, the evidence readers and the Kibana
links all read it, so it lives below them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incidentbot.core.levels import spellings


@dataclass
class FieldMap:
    """The discovered field names of a logs index, and the values that matter for questions.

    One pattern may match indices with different layouts (a flat index next to
    an ECS one, OpenTelemetry next to Filebeat): each layout is a *family* with
    its own FieldMap and its indices, and the query compiler asks each family
    with its own names (`families` is empty when every index looks alike).
    """

    timestamp: str = "@timestamp"
    service: str | None = None
    level: str | None = None
    message: str | None = None
    message_is_text: bool = True
    status: str | None = None
    host: str | None = None
    path: str | None = None
    version: str | None = None
    trace: str | None = None
    region: str | None = None
    duration: str | None = None
    duration_unit: str = "ms"
    # no level field: the level is read from the message text (ERROR, level=error, "level":"error")
    level_in_text: bool = False
    # the level and service values could not be read in time (a slow store): not cached
    values_unread: bool = False
    level_values: dict[str, list[str]] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    indices: list[str] = field(default_factory=list)
    families: list[FieldMap] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    # does the server have the `percentiles` aggregation (Elasticsearch, OpenSearch: yes; noida-db: no)?
    server_percentiles: bool = False

    def level_terms(self, canonical: list[str]) -> list[str]:
        """The values in the data for these canonical levels, all spellings included."""
        out: list[str] = []
        for name in canonical:
            values = self.level_values.get(name)
            # nothing seen yet: ask for the usual spellings
            out.extend(values if values else spellings(name))
        return sorted(set(out))

    def layouts(self) -> list[FieldMap]:
        """Every family to query: this map alone when all indices look alike."""
        return self.families or [self]

    def for_index(self, index: str) -> FieldMap:
        """The family a hit's index belongs to (to read its _source with the right names)."""
        for fam in self.families:
            if index in fam.indices:
                return fam
        return self

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("timestamp", "service", "level", "message", "status",
                                                              "host", "path", "version", "trace", "duration",
                                                              "duration_unit", "level_in_text")}
        if self.families:
            out["families"] = [{"indices": f.indices, **{k: v for k, v in f.to_json().items()}} for f in self.families]
        if self.unreadable:
            out["unreadable"] = dict(self.unreadable)
        return out
