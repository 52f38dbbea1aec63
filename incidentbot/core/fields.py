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
    """The discovered field names of a logs index, and the values that matter for questions."""

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
    level_values: dict[str, list[str]] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    def level_terms(self, canonical: list[str]) -> list[str]:
        """The values in the data for these canonical levels, all spellings included."""
        out: list[str] = []
        for name in canonical:
            values = self.level_values.get(name)
            # nothing seen yet: ask for the usual spellings
            out.extend(values if values else spellings(name))
        return sorted(set(out))

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("timestamp", "service", "level", "message", "status", "host",
                                               "path", "version", "trace")}
