"""Deployments, releases and (optionally) merged pull requests from GitHub.

What counts as a change, and why:
- A Deployment (`/deployments` + `/deployments/{id}/statuses`) is the record
  of code reaching an environment, so it is kind `deploy`, timed at its first
  `success` status (when code went live; else its latest status, else its
  creation). It is kind `rollback` when its payload, task, description or a
  status description says rollback/revert, or when it re-deploys a commit that
  an earlier deployment to the same environment had already shipped.
- A published Release is kind `deploy`, timed at `published_at` (drafts are
  skipped): many teams ship on release.
- A plain merged pull request is *not* a change by default: a merge is not a
  deploy, and counting it would put two suspects for one change in front of
  a responder. With `include_pulls` (INCIDENTBOT_GITHUB_PULLS=true, for teams
  that deploy every merge) PRs merged into the default branch become kind
  `deploy`, with their changed files (`/pulls/{n}/files`, bounded) so the
  ranking can match file paths. PRs merged elsewhere are never changes.

Every call is a GET; the token needs only read scopes (contents, deployments,
pull requests: read). `base_url` points at GitHub Enterprise when needed.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from incidentbot.config import GitHubSettings, parse_repos
from incidentbot.core.change import Change
from incidentbot.changes.sources._http import ReadOnlyHttp
from incidentbot.changes.sources.base import (
    UTC,
    ChangeSource,
    check_window,
    in_window,
    parse_time,
    keep_newest,
    remaining_s,
    shorten,
    validate_payload,
)
from incidentbot.changes.sources.payloads import (
    GitHubDeployments, GitHubFiles, GitHubPulls, GitHubReleases, GitHubRepo, GitHubStatuses,
)

DEFAULT_API_URL = "https://api.github.com"
ROLLBACK_WORDS = re.compile(r"\b(roll[\s-]?back|rolled[\s-]?back|revert(ed|ing)?)\b", re.IGNORECASE)
VERSION_LIKE = re.compile(r"^v?\d+(\.\d+)+([-+][\w.]+)?$")


def html_base(api_url: str) -> str:
    """The web address for links: api.github.com -> github.com, GHE host/api/v3 -> host."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        host = "github.com"
    path = parts.path[: -len("/api/v3")] if parts.path.endswith("/api/v3") else parts.path
    return f"{parts.scheme}://{host}{path}"


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _says_rollback(*texts: Any) -> bool:
    return any(isinstance(text, str) and ROLLBACK_WORDS.search(text) for text in texts)


class GitHubSource:
    """One repository; one source per repo so a broken repo never hides the others."""

    def __init__(
        self,
        repo: str,
        *,
        token: str | None = None,
        base_url: str = DEFAULT_API_URL,
        service: str | None = None,
        include_pulls: bool = False,
        environment: str | None = None,
        timeout_s: float = 10.0,
        attempts: int = 3,
        max_pages: int = 5,
        max_deployments: int = 50,
        max_pull_files: int = 20,
        deploy_lookback: timedelta = timedelta(hours=2),
    ) -> None:
        owner, sep, name = repo.partition("/")
        if not sep or not owner or not name or "/" in name:
            raise ValueError(f"GitHub repo {repo!r} must be owner/name")
        self.repo = repo
        self.owner, self.repo_name = owner, name
        self.name = f"github:{repo}"
        self.service = service or name
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.web_url = html_base(self.base_url)
        self.include_pulls = include_pulls
        self.environment = environment
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.max_pages = max_pages
        self.max_deployments = max_deployments
        self.max_pull_files = max_pull_files
        self.deploy_lookback = deploy_lookback

    def _http(self) -> ReadOnlyHttp:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return ReadOnlyHttp(self.name, self.base_url, headers, timeout_s=remaining_s(self.timeout_s),
                            attempts=self.attempts)

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        start, end = check_window(start, end)
        self._cuts: list[str] = []
        with self._http() as http:
            changes = self._deployments(http, start, end) + self._releases(http, start, end)
            if self.include_pulls:
                changes += self._pulls(http, start, end)
        return keep_newest(changes, why="; ".join(dict.fromkeys(self._cuts)) or None)

    # -- deployments -------------------------------------------------------

    def _list_until(self, http: ReadOnlyHttp, path: str, params: dict[str, Any], field: str, oldest: datetime,
                    shape: Any) -> list[dict]:
        """List newest-first pages until a whole page is older than `oldest` (bounded by max_pages)."""
        items: list[dict] = []
        reached_oldest = False
        for page in http.pages(path, params, max_pages=self.max_pages):
            validate_payload(self.name, f"GET {path}", shape, page)
            if not page:
                reached_oldest = True
                break
            items.extend(page)
            times = [parse_time(item.get(field)) for item in page]
            if all(t is not None and t < oldest for t in times):
                reached_oldest = True
                break
        if http.cut and not reached_oldest:
            self._cuts.append(f"{path.rsplit('/', 1)[-1]}: {http.cut}")
        return items

    def _deployments(self, http: ReadOnlyHttp, start: datetime, end: datetime) -> list[Change]:
        repo_path = f"/repos/{self.owner}/{self.repo_name}"
        params: dict[str, Any] = {"per_page": 100}
        if self.environment:
            params["environment"] = self.environment
        # A deployment created a little before the window can go live inside it.
        oldest = start - self.deploy_lookback
        listed = self._list_until(http, f"{repo_path}/deployments", params, "created_at", oldest, GitHubDeployments)
        listed.sort(key=lambda d: (parse_time(d.get("created_at")) or start, d.get("id") or 0))
        in_range = [
            d for d in listed
            if (created := parse_time(d.get("created_at"))) is not None and oldest <= created <= end
        ]
        candidates = in_range[-self.max_deployments:]
        if len(in_range) > len(candidates):
            self._cuts.append(f"deployments: read the statuses of the newest {len(candidates)} of {len(in_range)}")
        changes: list[Change] = []
        for deployment in candidates:
            path = f"{repo_path}/deployments/{deployment['id']}/statuses"
            statuses = http.get_json(path, {"per_page": 100})
            validate_payload(self.name, f"GET {path}", GitHubStatuses, statuses)
            change = self._deployment_change(deployment, statuses, listed)
            if change is not None and in_window(change.timestamp, start, end):
                changes.append(change)
        return changes

    def _deployment_change(self, deployment: dict, statuses: list[dict], history: list[dict]) -> Change | None:
        """One Change for one deployment; `history` (oldest first) finds re-deploys and the previous version."""
        created = parse_time(deployment.get("created_at")) or datetime.fromtimestamp(0, UTC)
        statuses = sorted(statuses, key=lambda s: (parse_time(s.get("created_at")) or created, s.get("id") or 0))
        success = next((s for s in statuses if s.get("state") == "success"), None)
        latest = statuses[-1] if statuses else None
        timed_by = success or latest
        when = (parse_time(timed_by.get("created_at")) if timed_by else None) or created
        if when is None:
            return None
        environment = deployment.get("environment")
        sha = deployment.get("sha") or ""
        payload = deployment.get("payload")
        version = self._version(deployment)
        earlier = [
            d for d in history
            if d.get("environment") == environment and (d.get("id") or 0) < (deployment.get("id") or 0)
        ]
        previous = earlier[-1] if earlier else None
        redeploy = (
            bool(sha) and previous is not None and previous.get("sha") != sha
            and any(d.get("sha") == sha for d in earlier[:-1])
        )
        payload_rollback = isinstance(payload, dict) and any(
            bool(payload.get(key)) for key in ("rollback", "rolled_back", "is_rollback")
        )
        rollback = (
            payload_rollback
            or redeploy
            or _says_rollback(
                deployment.get("task"),
                deployment.get("description"),
                payload if isinstance(payload, str) else None,
                *(s.get("description") for s in statuses),
            )
        )
        state = (latest or {}).get("state")
        verb = "rolled back to" if rollback else "deployed"
        title = f"{self.service} {verb} {version}" + (f" to {environment}" if environment else "")
        if state and state != "success":
            title += f" ({state})"
        url = (timed_by or {}).get("log_url") or (timed_by or {}).get("target_url") or (
            f"{self.web_url}/{self.repo}/commit/{sha}" if sha else f"{self.web_url}/{self.repo}/deployments"
        )
        return Change(
            id=f"github:{self.repo}:deployment:{deployment.get('id')}",
            timestamp=when,
            kind="rollback" if rollback else "deploy",
            service=self.service,
            title=title,
            description=shorten(deployment.get("description") or (timed_by or {}).get("description")),
            author=_login(deployment.get("creator")),
            source="github",
            url=url,
            version=version,
            previous_version=self._version(previous) if previous else None,
            environment=environment,
        )

    @staticmethod
    def _version(deployment: dict) -> str:
        """A payload version, else a version-like ref (a tag), else the short commit."""
        payload = deployment.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("version"), str):
            return payload["version"]
        ref = deployment.get("ref") or ""
        if VERSION_LIKE.match(ref):
            return ref
        sha = deployment.get("sha") or ref
        return sha[:12]

    # -- releases ----------------------------------------------------------

    def _releases(self, http: ReadOnlyHttp, start: datetime, end: datetime) -> list[Change]:
        path = f"/repos/{self.owner}/{self.repo_name}/releases"
        listed = self._list_until(http, path, {"per_page": 100}, "created_at", start, GitHubReleases)
        published = [r for r in listed if not r.get("draft") and parse_time(r.get("published_at"))]
        published.sort(key=lambda r: parse_time(r.get("published_at")))
        changes: list[Change] = []
        for index, release in enumerate(published):
            when = parse_time(release.get("published_at"))
            if not in_window(when, start, end):
                continue
            tag = release.get("tag_name") or str(release.get("id"))
            label = release.get("name") or tag
            previous = published[index - 1].get("tag_name") if index > 0 else None
            changes.append(Change(
                id=f"github:{self.repo}:release:{release.get('id')}",
                timestamp=when,
                kind="deploy",
                service=self.service,
                title=f"{self.service} release {tag}" + (f": {label}" if label != tag else ""),
                description=shorten(release.get("body")),
                author=_login(release.get("author")),
                source="github",
                url=release.get("html_url"),
                version=tag,
                previous_version=previous,
            ))
        return changes

    # -- pull requests (opt-in) --------------------------------------------

    def _pulls(self, http: ReadOnlyHttp, start: datetime, end: datetime) -> list[Change]:
        repo_path = f"/repos/{self.owner}/{self.repo_name}"
        repo = http.get_json(repo_path)
        validate_payload(self.name, f"GET {repo_path}", GitHubRepo, repo)
        default_branch = repo.get("default_branch") or "main"
        params = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": 100}
        listed = self._list_until(http, f"{repo_path}/pulls", params, "updated_at", start, GitHubPulls)
        merged = [
            pr for pr in listed
            if in_window(parse_time(pr.get("merged_at")), start, end)
            and (pr.get("base") or {}).get("ref") == default_branch
        ]
        merged.sort(key=lambda pr: parse_time(pr.get("merged_at")), reverse=True)
        changes: list[Change] = []
        for index, pr in enumerate(merged):
            files: list[str] = []
            if index < self.max_pull_files:
                path = f"{repo_path}/pulls/{pr['number']}/files"
                listing = http.get_json(path, {"per_page": 100})
                validate_payload(self.name, f"GET {path}", GitHubFiles, listing)
                files = [f["filename"] for f in listing]
            sha = pr.get("merge_commit_sha") or ""
            changes.append(Change(
                id=f"github:{self.repo}:pull:{pr['number']}",
                timestamp=parse_time(pr["merged_at"]),
                kind="deploy",
                service=self.service,
                title=f"{self.service} #{pr['number']}: {pr.get('title') or ''}".rstrip(": "),
                description=shorten(pr.get("body")),
                author=_login(pr.get("user")),
                source="github",
                url=pr.get("html_url"),
                version=sha[:12] or None,
                files=files,
            ))
        return changes


def from_settings(settings: GitHubSettings) -> list[ChangeSource]:
    """One GitHubSource per repo in INCIDENTBOT_GITHUB_REPOS; nothing when it is unset.

    GITHUB_TOKEN alone enables nothing: CI systems set it for their own use.
    """
    repos = parse_repos(settings.repos)  # checked once already, when the settings were validated
    if not repos:
        return []
    token = settings.token.get_secret_value() if settings.token else None
    return [
        GitHubSource(repo, token=token, base_url=settings.api_url or DEFAULT_API_URL, service=service,
                     include_pulls=settings.pulls, environment=settings.environment)
        for repo, service in repos
    ]
