"""Syncs from Argo CD: what each Application deployed, and when.

`status.history` is Argo CD's own record of successful syncs (revision,
deployStartedAt/deployedAt, source), so each entry in the window is a change:
kind `deploy`, or `rollback` when it re-deploys a revision the app had already
run before its previous one (what `argocd app rollback` produces). History
only keeps successful syncs, so a sync that failed or is still running in the
window is taken from `status.operationState` too: a half-applied sync breaks
things as well as a finished one.

Reads `GET /api/v1/applications` (or `?name=` per configured app) with a
bearer token; a read-only role (`applications, get`) is enough.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from incidentbot.config import ArgoCDSettings
from incidentbot.core.change import Change
from incidentbot.changes.sources._http import ReadOnlyHttp
from incidentbot.changes.sources.base import (
    ChangeSource, check_window, in_window, keep_newest, parse_time, remaining_s, validate_payload,
)
from incidentbot.changes.sources.payloads import ArgoApplication, ArgoApplicationList

SHA_LIKE = re.compile(r"^[0-9a-f]{40}$")
UNFINISHED_OR_FAILED = ("Running", "Failed", "Error", "Terminating")


def _short(revision: str | None) -> str | None:
    """Git SHAs are shortened for people; Helm chart versions and tags stay as they are."""
    if not revision:
        return None
    return revision[:12] if SHA_LIKE.match(revision) else revision


def _revision(entry: Mapping[str, Any]) -> str | None:
    """A history entry's revision; multi-source apps list several, the first names the release."""
    if entry.get("revision"):
        return str(entry["revision"])
    revisions = entry.get("revisions") or []
    return str(revisions[0]) if revisions else None


def _who(initiated_by: Any) -> str | None:
    if not isinstance(initiated_by, dict):
        return None
    if initiated_by.get("username"):
        return str(initiated_by["username"])
    return "argocd (automated)" if initiated_by.get("automated") else None


class ArgoCDSource:
    """All applications the token can see, or just the configured ones."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        apps: Sequence[str] = (),
        service_label: str | None = None,
        environment_label: str = "environment",
        timeout_s: float = 10.0,
        attempts: int = 3,
        verify: bool | str = True,
    ) -> None:
        self.name = "argocd"
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.apps = list(apps)
        self.service_label = service_label
        self.environment_label = environment_label
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.verify = verify

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        start, end = check_window(start, end)
        headers = {"Authorization": f"Bearer {self.token}"}
        with ReadOnlyHttp(self.name, self.base_url, headers, timeout_s=remaining_s(self.timeout_s),
                          attempts=self.attempts, verify=self.verify) as http:
            applications: list[dict] = []
            for params in ([{"name": app} for app in self.apps] or [{}]):
                listing = http.get_json("/api/v1/applications", params or None)
                validate_payload(self.name, "GET /api/v1/applications", ArgoApplicationList, listing)
                applications.extend(listing.get("items") or [])
        # newest first and bounded: an app's history holds at most its revisionHistoryLimit entries
        return keep_newest(change for app in applications for change in self._checked_changes(app, start, end))

    def _checked_changes(self, app: dict, start: datetime, end: datetime) -> list[Change]:
        validate_payload(self.name, "an application in GET /api/v1/applications", ArgoApplication, app)
        return self._app_changes(app, start, end)

    def _service(self, app: Mapping[str, Any]) -> str:
        meta = app.get("metadata") or {}
        labels = meta.get("labels") or {}
        if self.service_label and labels.get(self.service_label):
            return str(labels[self.service_label])
        return str(meta.get("name"))

    def _app_url(self, app: Mapping[str, Any]) -> str:
        meta = app.get("metadata") or {}
        return f"{self.base_url}/applications/{quote(str(meta.get('namespace') or 'argocd'))}/{quote(str(meta.get('name')))}"

    def _app_changes(self, app: Mapping[str, Any], start: datetime, end: datetime) -> list[Change]:
        meta = app.get("metadata") or {}
        status = app.get("status") or {}
        name = str(meta.get("name"))
        service = self._service(app)
        environment = (meta.get("labels") or {}).get(self.environment_label)
        url = self._app_url(app)
        history = [h for h in status.get("history") or [] if isinstance(h, dict)]
        history.sort(key=lambda h: (parse_time(h.get("deployedAt")) or parse_time("1970-01-01T00:00:00Z"), h.get("id") or 0))
        changes: list[Change] = []
        seen_revisions: list[str | None] = []
        for index, entry in enumerate(history):
            revision = _revision(entry)
            previous = seen_revisions[-1] if seen_revisions else None
            rollback = revision is not None and revision != previous and revision in seen_revisions[:-1]
            seen_revisions.append(revision)
            when = parse_time(entry.get("deployedAt"))
            if not in_window(when, start, end):
                continue
            source = entry.get("source") or {}
            version = _short(revision) or "unknown revision"
            verb = "rolled back to" if rollback else "synced to"
            changes.append(Change(
                id=f"argocd:{name}:history:{entry.get('id', index)}",
                timestamp=when,
                kind="rollback" if rollback else "deploy",
                service=service,
                title=f"{name} {verb} {version}",
                description=f"Argo CD sync of {source.get('repoURL') or 'its source'}"
                + (f" path {source['path']}" if source.get("path") else "")
                + (f" chart {source['chart']}" if source.get("chart") else ""),
                author=_who(entry.get("initiatedBy")),
                source="argocd",
                url=url,
                version=version,
                previous_version=_short(previous),
                environment=environment,
            ))
        operation = status.get("operationState")
        if isinstance(operation, dict) and operation.get("phase") in UNFINISHED_OR_FAILED:
            change = self._operation_change(name, service, environment, url, operation, seen_revisions, start, end)
            if change is not None:
                changes.append(change)
        return changes

    def _operation_change(
        self,
        name: str,
        service: str,
        environment: str | None,
        url: str,
        operation: Mapping[str, Any],
        seen_revisions: list[str | None],
        start: datetime,
        end: datetime,
    ) -> Change | None:
        """A sync that failed or is still running: not in history, still a change."""
        when = parse_time(operation.get("startedAt"))
        if not in_window(when, start, end):
            return None
        sync = (operation.get("operation") or {}).get("sync") or {}
        revision = (operation.get("syncResult") or {}).get("revision") or sync.get("revision")
        current = seen_revisions[-1] if seen_revisions else None
        rollback = revision is not None and revision != current and revision in seen_revisions
        phase = str(operation.get("phase"))
        version = _short(revision) or "unknown revision"
        return Change(
            id=f"argocd:{name}:operation:{operation.get('startedAt')}",
            timestamp=when,
            kind="rollback" if rollback else "deploy",
            service=service,
            title=f"{name} sync to {version} {phase.lower()}",
            description=str(operation.get("message") or "") or None,
            author=_who((operation.get("operation") or {}).get("initiatedBy")),
            source="argocd",
            url=url,
            version=version,
            previous_version=_short(current),
            environment=environment,
        )


def from_settings(settings: ArgoCDSettings) -> list[ChangeSource]:
    """ARGOCD_URL + ARGOCD_TOKEN (both or neither, checked by the settings), ARGOCD_APPS, INCIDENTBOT_ARGOCD_SERVICE_LABEL."""
    if not settings.url or not settings.token:
        return []
    return [ArgoCDSource(settings.url, settings.token.get_secret_value(), apps=settings.apps,
                         service_label=settings.service_label)]
