"""Feature-flag changes from the LaunchDarkly audit log.

A flag flip changes behaviour without a deploy, which is exactly the change a
responder forgets to check; the audit log (`GET /api/v2/auditlog`) records
every one with who, when and what. Entries for flags become kind
`feature_flag`; other entries (members, tokens, segments) are not service
changes and are skipped.

The service is a configured flag->service map first, then a flag tag of the
form `service-<name>` when LaunchDarkly names tags in the entry's resource
specifier (`proj/p:env/e:flag/k;tag1,tag2`), else the project key. The flag
key is also put in `config_keys` so the ranking can match it to error text.

The API key goes in the `Authorization` header as is (LaunchDarkly's
convention, no "Bearer"); a reader role is enough.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentbot.config import LaunchDarklySettings
from incidentbot.core.change import Change
from incidentbot.changes.sources._http import ReadOnlyHttp
from incidentbot.changes.sources.base import (
    UTC,
    ChangeSource,
    check_window,
    in_window,
    keep_newest,
    remaining_s,
    shorten,
    validate_payload,
)
from incidentbot.changes.sources.payloads import LaunchDarklyPage

DEFAULT_API_URL = "https://app.launchdarkly.com"
PAGE_LIMIT = 20  # the audit log's documented maximum page size
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
SERVICE_TAG = "service-"


@dataclass(frozen=True)
class FlagResource:
    """The parts of a resource specifier like `proj/default:env/production:flag/new-checkout;tag`."""

    project: str | None
    environment: str | None
    flag: str | None
    tags: tuple[str, ...] = ()


def parse_resource(spec: str) -> FlagResource:
    """Split a LaunchDarkly resource specifier; unknown parts are ignored."""
    body, _, tag_text = spec.partition(";")
    parts: dict[str, str] = {}
    for segment in body.split(":"):
        kind, slash, value = segment.partition("/")
        if slash:
            parts[kind] = value
    tags = tuple(t.strip() for t in tag_text.split(",") if t.strip())
    return FlagResource(parts.get("proj"), parts.get("env"), parts.get("flag"), tags)


def plain(text: Any) -> str | None:
    """LaunchDarkly titles are Markdown: keep link text, drop link targets and backticks."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(MARKDOWN_LINK.sub(r"\1", text).replace("`", "").replace("*", "").split())


def _author(entry: Mapping[str, Any]) -> str | None:
    member = entry.get("member") or {}
    if member.get("email"):
        return str(member["email"])
    full = " ".join(str(member.get(k)) for k in ("firstName", "lastName") if member.get(k))
    if full:
        return full
    for key in ("token", "app"):
        if isinstance(entry.get(key), dict) and entry[key].get("name"):
            return f"{key} {entry[key]['name']}"
    return None


class LaunchDarklySource:
    """The account's audit log, narrowed to flags of one project when configured."""

    def __init__(
        self,
        api_key: str,
        *,
        project: str | None = None,
        environments: Sequence[str] = (),
        flag_services: Mapping[str, str] | None = None,
        base_url: str = DEFAULT_API_URL,
        timeout_s: float = 10.0,
        attempts: int = 3,
        max_pages: int = 25,
    ) -> None:
        self.name = "launchdarkly"
        self.api_key = api_key
        self.project = project
        self.environments = list(environments)
        self.flag_services = dict(flag_services or {})
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_pages = max_pages

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        start, end = check_window(start, end)
        # `after`/`before` are exclusive, in epoch milliseconds: widen by 1 ms, filter exactly below.
        params: dict[str, Any] = {
            "after": int(start.timestamp() * 1000) - 1,
            "before": int(end.timestamp() * 1000) + 1,
            "limit": PAGE_LIMIT,
        }
        if self.project:
            env_part = self.environments[0] if len(self.environments) == 1 else "*"
            params["spec"] = f"proj/{self.project}:env/{env_part}:flag/*"
        changes: list[Change] = []
        cut: str | None = None
        with ReadOnlyHttp(self.name, self.base_url, {"Authorization": self.api_key},
                          timeout_s=remaining_s(self.timeout_s), attempts=self.attempts) as http:
            url: str | None = "/api/v2/auditlog"
            page_params: dict[str, Any] | None = params
            for _ in range(self.max_pages):
                if not url:
                    break
                page = http.get_json(url, page_params)
                validate_payload(self.name, "GET /api/v2/auditlog", LaunchDarklyPage, page)
                items = page["items"]
                for entry in items:
                    change = self._change(entry, start, end)
                    if change is not None:
                        changes.append(change)
                nxt = ((page.get("_links") or {}).get("next") or {}).get("href")
                url, page_params = (nxt, None) if nxt and items else (None, None)
                if url and not http.same_origin(url):
                    # a next link to another host must not receive our API key
                    cut, url = f"stopped at a next link to another host ({url.split('/')[2]})", None
            if url:
                cut = f"read the first {self.max_pages} pages ({self.max_pages * PAGE_LIMIT} entries) only"
        return keep_newest(changes, why=cut)

    def _resource(self, entry: Mapping[str, Any]) -> FlagResource | None:
        specs = list((entry.get("target") or {}).get("resources") or [])
        specs += [a.get("resource") for a in entry.get("accesses") or [] if isinstance(a, dict)]
        for spec in specs:
            if isinstance(spec, str) and ":flag/" in spec:
                return parse_resource(spec)
        return None

    def _change(self, entry: Mapping[str, Any], start: datetime, end: datetime) -> Change | None:
        if entry.get("kind") != "flag":
            return None
        date = entry.get("date")
        if not isinstance(date, (int, float)):
            return None
        when = datetime.fromtimestamp(date / 1000, UTC)
        if not in_window(when, start, end):
            return None
        resource = self._resource(entry) or FlagResource(None, None, None)
        if self.project and resource.project and resource.project != self.project:
            return None
        if self.environments and resource.environment and resource.environment not in self.environments:
            return None
        flag = resource.flag or str(entry.get("name") or "")
        tagged = [t[len(SERVICE_TAG):] for t in resource.tags if t.startswith(SERVICE_TAG) and len(t) > len(SERVICE_TAG)]
        service = (
            self.flag_services.get(flag)
            or (tagged[0] if tagged else None)
            or resource.project
            or self.project
            or "launchdarkly"
        )
        title = (
            plain(entry.get("title"))
            or plain(" ".join(str(x) for x in (_author(entry), entry.get("titleVerb"), entry.get("name")) if x))
            or plain(entry.get("shortDescription"))
            or f"flag {flag} changed"
        )
        description = plain(entry.get("comment")) or shorten(plain(entry.get("description")))
        return Change(
            id=f"launchdarkly:{entry.get('_id')}",
            timestamp=when,
            kind="feature_flag",
            service=service,
            title=title,
            description=description,
            author=_author(entry),
            source="launchdarkly",
            url=self._url(entry, resource),
            config_keys=[flag] if flag else [],
            environment=resource.environment,
        )

    def _url(self, entry: Mapping[str, Any], resource: FlagResource) -> str | None:
        """The flag's page: the target's `site` link when given, else built from the resource."""
        site = (((entry.get("target") or {}).get("_links") or {}).get("site") or {}).get("href")
        if isinstance(site, str) and site:
            return site if site.startswith("http") else f"{self.base_url}{site}"
        if resource.project and resource.environment and resource.flag:
            return f"{self.base_url}/{resource.project}/{resource.environment}/features/{resource.flag}"
        return None


def from_settings(settings: LaunchDarklySettings) -> list[ChangeSource]:
    """LAUNCHDARKLY_API_TOKEN (+ _PROJECT, _ENVIRONMENTS, _API_URL; INCIDENTBOT_FLAG_SERVICES)."""
    if not settings.token:
        return []
    return [LaunchDarklySource(
        settings.token.get_secret_value(),
        project=settings.project,
        environments=settings.environments,
        flag_services=settings.flag_services,
        base_url=settings.api_url or DEFAULT_API_URL,
    )]
