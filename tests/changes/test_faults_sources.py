"""Change sources under hostile or broken vendor APIs (issue 13, items 6, 10, 11 and the Retry-After bug).

Before the fixes: a `Link: <http://other/...>; rel="next"` sent the GitHub and
LaunchDarkly tokens to another host; `{"items": "nope"}` was "ok, 0 changes";
the Kubernetes source waited out a 3,600 s Retry-After; and every item of
every source reached the answer, however many.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kubernetes.client import Configuration
from support.fakehttp import FakeServer, fake_env, json_reply, server  # noqa: F401  (pytest fixtures)

from incidentbot.changes.gather import gather_changes
from incidentbot.changes.sources.argocd import ArgoCDSource
from incidentbot.changes.sources.base import MAX_CHANGES_PER_SOURCE, SourceError
from incidentbot.changes.sources.github import GitHubSource
from incidentbot.changes.sources.kubernetes import KubernetesSource
from incidentbot.changes.sources.launchdarkly import LaunchDarklySource
from incidentbot.changes.sources.ndjson_file import NdjsonFileSource

START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)
API = "/api/v3/repos/acme/payments"


@pytest.fixture
def other() -> FakeServer:
    """A second host: it must never see a request carrying our token."""
    fake = FakeServer().start()
    yield fake
    fake.stop()


def _deployment(i: int, when: str) -> dict:
    return {"id": i, "sha": f"{i:040d}", "ref": "main", "environment": "production", "created_at": when,
            "creator": {"login": "bot"}, "payload": {}}


def test_github_does_not_follow_a_next_link_to_another_host(server: FakeServer, other: FakeServer) -> None:
    link = f'<{other.url}{API}/deployments?page=2>; rel="next"'
    server.route(f"{API}/deployments", json_reply([_deployment(1, "2026-03-14T14:00:00Z")], headers={"Link": link}))
    server.route(f"{API}/deployments/1/statuses",
                 json_reply([{"id": 1, "state": "success", "created_at": "2026-03-14T14:01:00Z"}]))
    server.route(f"{API}/releases", json_reply([]))
    other.route(f"{API}/deployments", json_reply([_deployment(2, "2026-03-14T14:10:00Z")]))
    src = GitHubSource("acme/payments", token="ghp_secret", base_url=f"{server.url}/api/v3")
    changes, statuses = gather_changes([src], START, END)
    assert other.requests == []  # the token never left for the other host
    assert [c.id for c in changes] == ["github:acme/payments:deployment:1"]
    assert statuses[0].ok and "another host" in (statuses[0].truncated or "")


def test_launchdarkly_does_not_follow_a_next_link_to_another_host(server: FakeServer, other: FakeServer) -> None:
    entry = {"_id": "a1", "date": int(datetime(2026, 3, 14, 14, 3, tzinfo=UTC).timestamp() * 1000), "kind": "flag",
             "name": "f", "target": {"resources": ["proj/p:env/production:flag/f"]}}
    server.route("/api/v2/auditlog", json_reply({"items": [entry], "_links": {
        "next": {"href": f"{other.url}/api/v2/auditlog?after=1"}}}))
    other.route("/api/v2/auditlog", json_reply({"items": [], "_links": {}}))
    changes, statuses = gather_changes([LaunchDarklySource("api-secret", base_url=server.url)], START, END)
    assert other.requests == []
    assert [c.id for c in changes] == ["launchdarkly:a1"]
    assert "another host" in (statuses[0].truncated or "")


def test_an_absolute_url_to_another_host_is_refused_outright(server: FakeServer, other: FakeServer) -> None:
    from incidentbot.changes.sources._http import ReadOnlyHttp

    with ReadOnlyHttp("github:x", server.url, {"Authorization": "Bearer t"}) as http, \
            pytest.raises(SourceError, match="refused to send our credentials"):
        http.get(f"{other.url}/anything")
    assert other.requests == []


@pytest.mark.parametrize("make,route,body", [
    (lambda url: ArgoCDSource(url, "t"), "/api/v1/applications", {"items": "nope"}),
    (lambda url: ArgoCDSource(url, "t"), "/api/v1/applications", {"items": [{"status": {}}]}),
    (lambda url: LaunchDarklySource("k", base_url=url), "/api/v2/auditlog", {"items": "nope"}),
    (lambda url: LaunchDarklySource("k", base_url=url), "/api/v2/auditlog", {"items": [{"kind": "flag"}]}),
    (lambda url: GitHubSource("acme/payments", base_url=f"{url}/api/v3"), f"{API}/deployments", {"items": "nope"}),
    (lambda url: GitHubSource("acme/payments", base_url=f"{url}/api/v3"), f"{API}/deployments", [{"id": "x"}]),
])
def test_wrong_shaped_payloads_are_source_failures(server: FakeServer, make, route: str, body: object) -> None:
    server.route(route, json_reply(body))
    server.route(f"{API}/releases", json_reply([]))
    changes, statuses = gather_changes([make(server.url)], START, END)
    assert changes == []
    assert not statuses[0].ok and "not the documented shape" in (statuses[0].error or ""), statuses[0]


def test_argocd_null_items_is_the_documented_empty_list(server: FakeServer) -> None:
    server.route("/api/v1/applications", json_reply({"metadata": {}, "items": None}))
    changes, statuses = gather_changes([ArgoCDSource(server.url, "t")], START, END)
    assert changes == [] and statuses[0].ok


def test_kubernetes_wrong_shape_is_a_source_failure(server: FakeServer) -> None:
    server.route("/apis/apps/v1/namespaces/prod/replicasets", json_reply({"kind": "ReplicaSetList", "items": "nope"}))
    src = KubernetesSource(["prod"], configuration=Configuration(host=server.url))
    with pytest.raises(SourceError, match="documented"):
        src.fetch(START, END)


def test_kubernetes_fails_fast_on_a_retry_after_longer_than_the_deadline(server: FakeServer) -> None:
    server.route("/apis/apps/v1/namespaces/prod/replicasets",
                 json_reply({"kind": "Status", "code": 429}, status=429, headers={"Retry-After": "3600"}))
    src = KubernetesSource(["prod"], configuration=Configuration(host=server.url), max_wait_s=60)
    changes, statuses = gather_changes([src], START, END, timeout_s=30)
    assert not statuses[0].ok and "3600s" in (statuses[0].error or "")
    assert len(server.requests) == 1  # no second try after being told to wait an hour


def test_a_source_with_more_changes_than_allowed_is_cut_newest_first_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "changes.ndjson"
    n = MAX_CHANGES_PER_SOURCE + 500
    with path.open("w") as fh:
        for i in range(n):
            when = START + timedelta(seconds=i)
            fh.write(json.dumps({"id": f"c{i}", "@timestamp": when.isoformat().replace("+00:00", "Z"),
                                 "kind": "deploy", "service": "s", "title": "t"}) + "\n")
    changes, statuses = gather_changes([NdjsonFileSource(path)], START, END)
    assert len(changes) == MAX_CHANGES_PER_SOURCE
    assert changes[0].id == f"c{n - 1}" and changes[-1].id == f"c{n - MAX_CHANGES_PER_SOURCE}"
    assert statuses[0].truncated == f"kept the newest {MAX_CHANGES_PER_SOURCE} of {n} changes in the window"
