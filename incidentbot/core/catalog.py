"""The service catalog: who depends on whom, and what else a service is called.

Optional. With it the ranking can say "checkout depends on payments"; without
it the bot still works from what the logs show.
"""
from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from incidentbot.core.errors import UsageError


@dataclass
class ServiceInfo:
    name: str
    depends_on: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    owner: str | None = None
    tier: int | None = None


@dataclass
class Catalog:
    services: dict[str, ServiceInfo] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> "Catalog":
        if path is None:
            return cls()
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UsageError(f"catalog {path}: cannot be read ({exc})") from None
        entries = raw.get("services") if isinstance(raw, dict) else None
        if not isinstance(entries, dict):
            raise UsageError(f"catalog {path}: expected {{\"services\": {{name: {{...}}}}}}")
        services = {}
        for name, info in entries.items():
            info = info or {}
            services[name] = ServiceInfo(name, list(info.get("depends_on") or []), list(info.get("aliases") or []),
                                         info.get("owner"), info.get("tier"))
        return cls(services)

    def aliases(self) -> dict[str, str]:
        """alias (lower case) -> service name."""
        out = {}
        for info in self.services.values():
            for alias in info.aliases:
                out[alias.lower()] = info.name
        return out

    def names(self) -> set[str]:
        names = set(self.services)
        for info in self.services.values():
            names.update(info.depends_on)
        return names

    def dependencies(self, service: str, depth: int = 2) -> dict[str, int]:
        """Services `service` depends on, with their distance (1 = direct)."""
        out: dict[str, int] = {}
        queue = deque([(service, 0)])
        while queue:
            name, dist = queue.popleft()
            if dist >= depth:
                continue
            for dep in self.services.get(name, ServiceInfo(name)).depends_on:
                if dep not in out and dep != service:
                    out[dep] = dist + 1
                    queue.append((dep, dist + 1))
        return out

    def dependents(self, service: str) -> list[str]:
        """Services that depend directly on `service`."""
        return sorted(n for n, info in self.services.items() if service in info.depends_on)

    def distance(self, source: str, target: str) -> int | None:
        """How many hops `source` is from depending on `target` (0: same service)."""
        if source == target:
            return 0
        return self.dependencies(source, depth=4).get(target)
