"""GitHubSource against a fake GitHub (Enterprise) API replaying documented response shapes."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from support.fakehttp import FakeServer, Reply, Request, json_reply
from support.fakehttp import fake_env, server  # noqa: F401  (pytest fixtures)

from incidentbot.changes.sources.base import SourceError
from incidentbot.changes.sources.github import GitHubSource, html_base

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)
SHA_OLD = "b" * 40
SHA_NEW = "c" * 40
API = "/api/v3/repos/acme/payments"


def deployment(did: int, sha: str, ref: str, created: str, environment: str = "production", **extra: object) -> dict:
    """The fields of GitHub's documented Deployment object that the source reads, plus a few it ignores."""
    return {
        "url": f"https://ghe.example.com/api/v3/repos/acme/payments/deployments/{did}",
        "id": did, "node_id": f"MDEwOkRlcGxveW1lbnQ{did}", "sha": sha, "ref": ref, "task": "deploy",
        "payload": {}, "original_environment": environment, "environment": environment,
        "description": None, "creator": {"login": "release-bot", "id": 1, "type": "Bot"},
        "created_at": created, "updated_at": created,
        "statuses_url": f"https://ghe.example.com/api/v3/repos/acme/payments/deployments/{did}/statuses",
        "repository_url": "https://ghe.example.com/api/v3/repos/acme/payments",
        "transient_environment": False, "production_environment": environment == "production",
        **extra,
    }


def status(sid: int, state: str, created: str, description: str = "", log_url: str = "") -> dict:
    return {
        "url": f"https://ghe.example.com/api/v3/repos/acme/payments/deployments/1/statuses/{sid}",
        "id": sid, "node_id": f"MDE2OkRlcGxveW1lbnRTdGF0dXM{sid}", "state": state,
        "creator": {"login": "release-bot"}, "description": description, "environment": "production",
        "target_url": "", "log_url": log_url, "environment_url": "", "created_at": created, "updated_at": created,
    }


def install_repo(server: FakeServer) -> None:
    def deployments(request: Request, fake: FakeServer) -> Reply:
        if request.arg("page") == "2":
            return json_reply([
                deployment(1002, SHA_OLD, "v2.30.4", "2026-03-14T12:00:00Z"),
                deployment(1001, "a" * 40, "v2.30.3", "2026-03-13T09:00:00Z"),
            ])
        link = f'<{fake.url}{API}/deployments?per_page=100&page=2>; rel="next", <{fake.url}{API}/deployments?per_page=100&page=2>; rel="last"'
        return json_reply([
            deployment(1005, SHA_NEW, "main", "2026-03-14T14:25:00Z", environment="staging", payload={"rollback": True}),
            deployment(1004, SHA_OLD, "v2.30.4", "2026-03-14T14:20:00Z"),
            deployment(1003, SHA_NEW, "v2.31.0", "2026-03-14T14:00:05Z"),
        ], headers={"Link": link})

    server.route(f"{API}/deployments", deployments)
    server.route(f"{API}/deployments/1005/statuses", json_reply([status(3, "success", "2026-03-14T14:25:30Z")]))
    server.route(f"{API}/deployments/1004/statuses", json_reply([status(2, "success", "2026-03-14T14:21:00Z")]))
    server.route(f"{API}/deployments/1003/statuses", json_reply([
        status(12, "success", "2026-03-14T14:01:40Z", log_url="https://ci.example.com/run/77"),
        status(11, "in_progress", "2026-03-14T14:00:10Z"),
    ]))
    server.route(f"{API}/deployments/1002/statuses", json_reply([status(1, "success", "2026-03-14T12:01:00Z")]))
    server.route(f"{API}/releases", json_reply([
        {"id": 502, "tag_name": "v2.32.0-rc1", "name": "next", "draft": True, "prerelease": False,
         "created_at": "2026-03-14T14:10:00Z", "published_at": None, "author": {"login": "dev"},
         "html_url": "https://ghe.example.com/acme/payments/releases/tag/untagged-1", "body": ""},
        {"id": 501, "tag_name": "v2.31.0", "name": "Connection pool refactor", "draft": False, "prerelease": False,
         "created_at": "2026-03-14T13:59:00Z", "published_at": "2026-03-14T14:02:00Z", "author": {"login": "dana"},
         "html_url": "https://ghe.example.com/acme/payments/releases/tag/v2.31.0",
         "body": "Moves to a shared pool; max pool size from 50 to 10"},
        {"id": 500, "tag_name": "v2.30.4", "name": "v2.30.4", "draft": False, "prerelease": False,
         "created_at": "2026-03-10T09:00:00Z", "published_at": "2026-03-10T09:05:00Z", "author": {"login": "dana"},
         "html_url": "https://ghe.example.com/acme/payments/releases/tag/v2.30.4", "body": ""},
    ]))


def source(server: FakeServer, **kwargs: object) -> GitHubSource:
    return GitHubSource("acme/payments", token="ghp_test", base_url=f"{server.url}/api/v3", service="payments", **kwargs)


def test_deployments_and_releases_become_changes(server: FakeServer) -> None:
    install_repo(server)
    changes = {c.id: c for c in source(server).fetch(START, END)}

    assert set(changes) == {
        "github:acme/payments:deployment:1003",
        "github:acme/payments:deployment:1004",
        "github:acme/payments:deployment:1005",
        "github:acme/payments:release:501",
    }
    deploy = changes["github:acme/payments:deployment:1003"]
    assert deploy.kind == "deploy"
    assert deploy.timestamp == datetime(2026, 3, 14, 14, 1, 40, tzinfo=UTC)  # first success, not creation
    assert (deploy.service, deploy.version, deploy.previous_version) == ("payments", "v2.31.0", "v2.30.4")
    assert deploy.environment == "production" and deploy.author == "release-bot"
    assert deploy.url == "https://ci.example.com/run/77"

    redeploy = changes["github:acme/payments:deployment:1004"]
    assert redeploy.kind == "rollback"  # re-ships the commit 1002 had shipped
    assert (redeploy.version, redeploy.previous_version) == ("v2.30.4", "v2.31.0")
    assert redeploy.url == f"{server.url}/acme/payments/commit/{SHA_OLD}"

    flagged = changes["github:acme/payments:deployment:1005"]
    assert flagged.kind == "rollback" and flagged.environment == "staging"
    assert flagged.version == SHA_NEW[:12]

    release = changes["github:acme/payments:release:501"]
    assert release.kind == "deploy"
    assert release.timestamp == datetime(2026, 3, 14, 14, 2, tzinfo=UTC)
    assert (release.version, release.previous_version) == ("v2.31.0", "v2.30.4")
    assert release.url.endswith("/releases/tag/v2.31.0")


def test_pagination_headers_and_get_only(server: FakeServer) -> None:
    install_repo(server)
    source(server).fetch(START, END)
    pages = [r.arg("page") for r in server.hits(f"{API}/deployments")]
    assert pages == [None, "2"]
    assert server.methods() == {"GET"}
    assert all(r.headers.get("authorization") == "Bearer ghp_test" for r in server.requests)
    assert all(r.headers.get("accept") == "application/vnd.github+json" for r in server.requests)
    # 1001 is older than the window and its lookback: its statuses are never read
    assert not server.hits(f"{API}/deployments/1001/statuses")


def test_window_excludes_changes_outside(server: FakeServer) -> None:
    install_repo(server)
    narrow = source(server).fetch(datetime(2026, 3, 14, 14, 1, 40, tzinfo=UTC), datetime(2026, 3, 14, 14, 2, tzinfo=UTC))
    assert {c.id for c in narrow} == {"github:acme/payments:deployment:1003", "github:acme/payments:release:501"}


def test_retries_429_and_503_then_succeeds(server: FakeServer) -> None:
    install_repo(server)
    releases = server.routes[f"{API}/releases"][0]
    server.route(
        f"{API}/releases",
        json_reply({"message": "API rate limit exceeded"}, 429, {"Retry-After": "1"}),
        json_reply({"message": "Service Unavailable"}, 503),
        releases,
    )
    began = time.monotonic()
    changes = source(server).fetch(START, END)
    assert time.monotonic() - began >= 1.0  # Retry-After honoured
    assert len(server.hits(f"{API}/releases")) == 3
    assert "github:acme/payments:release:501" in {c.id for c in changes}


def test_gives_up_after_bounded_attempts(server: FakeServer) -> None:
    install_repo(server)
    server.route(f"{API}/releases", json_reply({"message": "Bad Gateway"}, 502))
    with pytest.raises(SourceError, match=r"github:acme/payments: .*HTTP 502 after 2 attempts"):
        source(server, attempts=2).fetch(START, END)
    assert len(server.hits(f"{API}/releases")) == 2


def test_unreasonable_retry_after_fails_at_once(server: FakeServer) -> None:
    install_repo(server)
    server.route(f"{API}/deployments", json_reply({"message": "rate limited"}, 403,
                                                   {"X-RateLimit-Remaining": "0", "Retry-After": "3600"}))
    with pytest.raises(SourceError, match="wait 3600s"):
        source(server).fetch(START, END)
    assert len(server.hits(f"{API}/deployments")) == 1


def test_bad_token_is_named(server: FakeServer) -> None:
    server.route(f"{API}/deployments", json_reply({"message": "Bad credentials"}, 401))
    with pytest.raises(SourceError, match="HTTP 401 .*token"):
        source(server).fetch(START, END)


def test_merged_pulls_only_when_enabled(server: FakeServer) -> None:
    install_repo(server)
    server.route(API, json_reply({"id": 1, "full_name": "acme/payments", "default_branch": "main"}))
    server.route(f"{API}/pulls", json_reply([
        {"number": 8843, "title": "Abandoned", "state": "closed", "merged_at": None, "updated_at": "2026-03-14T14:10:00Z",
         "base": {"ref": "main"}, "user": {"login": "sam"}, "html_url": "https://ghe.example.com/acme/payments/pull/8843"},
        {"number": 8842, "title": "Backport", "state": "closed", "merged_at": "2026-03-14T14:06:00Z",
         "updated_at": "2026-03-14T14:06:00Z", "base": {"ref": "release-2.30"}, "user": {"login": "sam"},
         "html_url": "https://ghe.example.com/acme/payments/pull/8842"},
        {"number": 8841, "title": "Connection pool refactor", "state": "closed", "merged_at": "2026-03-14T14:00:00Z",
         "updated_at": "2026-03-14T14:05:00Z", "base": {"ref": "main"}, "user": {"login": "dana"},
         "merge_commit_sha": SHA_NEW, "body": "max pool size from 50 to 10",
         "html_url": "https://ghe.example.com/acme/payments/pull/8841"},
        {"number": 8700, "title": "Old", "state": "closed", "merged_at": "2026-03-01T10:00:00Z",
         "updated_at": "2026-03-01T10:00:00Z", "base": {"ref": "main"}, "user": {"login": "dana"},
         "html_url": "https://ghe.example.com/acme/payments/pull/8700"},
    ]))
    server.route(f"{API}/pulls/8841/files", json_reply([
        {"sha": "d" * 40, "filename": "src/db/pool.py", "status": "modified", "additions": 10, "deletions": 2, "changes": 12},
        {"sha": "e" * 40, "filename": "config/pool.yaml", "status": "modified", "additions": 1, "deletions": 1, "changes": 2},
    ]))

    assert not [c for c in source(server).fetch(START, END) if ":pull:" in c.id]
    assert not server.hits(f"{API}/pulls")

    pulls = [c for c in source(server, include_pulls=True).fetch(START, END) if ":pull:" in c.id]
    assert [c.id for c in pulls] == ["github:acme/payments:pull:8841"]
    pr = pulls[0]
    assert pr.kind == "deploy" and pr.files == ["src/db/pool.py", "config/pool.yaml"]
    assert pr.timestamp == datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    assert pr.title == "payments #8841: Connection pool refactor" and pr.author == "dana"
    assert [r.arg("state") for r in server.hits(f"{API}/pulls")] == ["closed"]
    assert server.methods() == {"GET"}


def test_service_defaults_to_repo_name() -> None:
    assert GitHubSource("acme/payments-api").service == "payments-api"
    assert GitHubSource("acme/payments-api").name == "github:acme/payments-api"
    with pytest.raises(ValueError, match="owner/name"):
        GitHubSource("payments")


def test_web_links_follow_the_api_host() -> None:
    assert html_base("https://api.github.com") == "https://github.com"
    assert html_base("https://ghe.example.com/api/v3") == "https://ghe.example.com"
