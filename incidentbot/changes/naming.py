"""Which log service a change record means, however the team named the changed thing.

Change records name what they changed the way their system sees it: a
repository (`shop/checkout`), a Kubernetes deployment (`checkout-v2`), an
Argo CD application (`checkout-prod`), an image
(`registry.example.com/shop/checkout:4.2.0`) or a team (`team-buy`). The
logs name the service (`checkout`). Ranking can only relate the two if they
are the same name, so each change is mapped once, in this order:

1. the name is a service the logs or the catalog know: kept;
2. the catalog's aliases (the team's own word for it wins over any guess);
3. normalised names: registry host, tag and digest dropped, the last path
   segment of a repository or image, environment and version suffixes
   (`-prod`, `-v2`, `-canary`, `-4-2-0`) and Kubernetes hash suffixes
   stripped, the org of a repository or image path dropped; matched against the known services
   normalised the same way (and without a `-service`/`-api`-style suffix),
   only when exactly one service fits;
4. a team that owns exactly one service in the catalog.

The mapping is printed as a reason ("repository shop/checkout is service
checkout"). A change that matches nothing keeps its name and stays in the list:
an unknown name is still a change someone made.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from incidentbot.core.catalog import Catalog
from incidentbot.core.change import Change

_ENV = {"prod", "production", "prd", "live", "staging", "stage", "stg", "canary", "blue", "green", "main",
        "master", "release", "stable", "preview", "primary", "default", "deployment", "deploy", "app", "k8s",
        "eu", "us", "ap", "east", "west", "central", "north", "south", "cluster"}
_ROLE = {"service", "svc", "api", "app", "server", "srv", "web", "backend", "worker", "daemon", "job"}
_VERSION = re.compile(r"^(?:v\d+[a-z]?|\d+|r\d+|rc\d*)$")
_HASH = re.compile(r"^(?=.*\d)[a-z0-9]{5,10}$")  # replicaset / pod hash suffixes (7d9f8c6b5d, x2kq9)


@dataclass(frozen=True)
class NameMatch:
    """The log service a change's name means, and the sentence that says why."""

    service: str
    reason: str


def _form(name: str) -> str:
    """What kind of name this looks like, for the reason's wording."""
    if "@sha256:" in name or re.search(r":[\w.-]+$", name) and "/" in name:
        return "image"
    if "/" in name:
        first = name.split("/", 1)[0]
        return "image" if "." in first or ":" in first else "repository"
    return "deployment"


def strip_image(name: str) -> str:
    """`registry.example.com:5000/shop/checkout:4.2.0@sha256:...` -> `shop/checkout`."""
    name = name.strip().lower().split("@", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    return "/".join(p for p in parts if p)


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", name.lower()) if t]


def core_tokens(name: str, role: bool = False) -> tuple[str, ...]:
    """The words that name the thing: env, version and hash suffixes dropped (and role words if `role`)."""
    toks = _tokens(name)
    while len(toks) > 1 and (toks[-1] in _ENV or _VERSION.match(toks[-1]) or _HASH.match(toks[-1])
                             or (role and toks[-1] in _ROLE)):
        toks.pop()
    return tuple(toks)


def _candidates(name: str) -> list[tuple[str, ...]]:
    """Normalised forms of a changed thing's name, most specific first."""
    path = strip_image(name)
    segments = [s for s in path.split("/") if s]
    out: list[tuple[str, ...]] = []
    for text in ([segments[-1]] if segments else []) + (["-".join(segments)] if len(segments) > 1 else []):
        out.append(core_tokens(text))
    return [c for c in out if c]


class ServiceNamer:
    """Maps change names to the services the logs and the catalog know. Build once per answer."""

    def __init__(self, known: Iterable[str], catalog: Catalog) -> None:
        self.known = sorted({k for k in known if k})
        self.catalog = catalog
        self.aliases = catalog.aliases()
        self.exact = {k.lower(): k for k in self.known}
        self.by_core: dict[tuple[str, ...], set[str]] = {}
        for svc in self.known:
            for role in (False, True):
                self.by_core.setdefault(core_tokens(svc, role), set()).add(svc)

    def match(self, name: str, source: str | None = None) -> NameMatch | None:
        """The service `name` means, or None when it is a known service already or nothing fits."""
        low = name.strip().lower()
        if not low or low in self.exact:
            return None
        form = _form(name)
        if form == "deployment" and source and "argo" in source.lower():
            form = "Argo CD application"
        for key in (low, strip_image(low), strip_image(low).rsplit("/", 1)[-1]):
            if key in self.aliases and self.aliases[key] != name:
                return NameMatch(self.aliases[key], f"{form} {name} is service {self.aliases[key]} (catalog alias)")
        for cand in _candidates(name):
            for role in (False, True):
                core = core_tokens("-".join(cand), role)
                fits = self.by_core.get(core, set())
                if len(fits) == 1:
                    svc = next(iter(fits))
                    return NameMatch(svc, f"{form} {name} is service {svc}")
                if len(fits) > 1:
                    return None  # ambiguous: better unmatched than wrong
        owned = [s for s, info in self.catalog.services.items() if info.owner and info.owner.lower() == low]
        if len(owned) == 1:
            return NameMatch(owned[0], f"team {name} owns only service {owned[0]}")
        return None

    def apply(self, change: Change) -> Change:
        """The change with its service as the logs name it; the record's own name is kept beside it."""
        found = self.match(change.service, change.source)
        if found is None:
            return change
        return change.model_copy(update={"service": found.service, "recorded_service": change.service,
                                         "service_match": found.reason})


def map_change_services(changes: list[Change], known: Iterable[str], catalog: Catalog) -> list[Change]:
    """Every change, with names mapped to log services where one fits; none dropped."""
    namer = ServiceNamer(known, catalog)
    return [namer.apply(c) for c in changes]
