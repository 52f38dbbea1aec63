"""ArgoCDSource against a fake Argo CD API replaying the documented ApplicationList shape."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support.changecheck import assert_fields, by_id
from support.fakehttp import FakeServer, Reply, Request, json_reply
from support.fakehttp import fake_env, server  # noqa: F401  (pytest fixtures)

from incidentbot.changes.sources.argocd import ArgoCDSource
from incidentbot.changes.sources.base import SourceError

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)
REV_A, REV_B = "a" * 40, "b" * 40

PAYMENTS = {
    "metadata": {"name": "payments-prod", "namespace": "argocd",
                 "labels": {"team.example.com/service": "payments", "environment": "production"}},
    "spec": {"project": "default",
             "source": {"repoURL": "https://git.example.com/pay/deploy.git", "path": "payments", "targetRevision": "HEAD"},
             "destination": {"server": "https://kubernetes.default.svc", "namespace": "payments"}},
    "status": {
        "sync": {"status": "Synced", "revision": REV_A},
        "health": {"status": "Healthy"},
        "history": [
            {"id": 5, "revision": REV_A, "deployStartedAt": "2026-03-14T09:59:58Z", "deployedAt": "2026-03-14T10:00:00Z",
             "source": {"repoURL": "https://git.example.com/pay/deploy.git", "path": "payments", "targetRevision": "HEAD"}},
            {"id": 6, "revision": REV_B, "deployStartedAt": "2026-03-14T13:29:50Z", "deployedAt": "2026-03-14T13:30:00Z",
             "source": {"repoURL": "https://git.example.com/pay/deploy.git", "path": "payments", "targetRevision": "HEAD"},
             "initiatedBy": {"automated": True}},
            {"id": 7, "revision": REV_A, "deployStartedAt": "2026-03-14T14:09:55Z", "deployedAt": "2026-03-14T14:10:00Z",
             "source": {"repoURL": "https://git.example.com/pay/deploy.git", "path": "payments", "targetRevision": "HEAD"},
             "initiatedBy": {"username": "oncall@example.com"}},
        ],
        "operationState": {
            "operation": {"sync": {"revision": REV_A}, "initiatedBy": {"username": "oncall@example.com"}},
            "phase": "Succeeded", "message": "successfully synced (all tasks run)",
            "startedAt": "2026-03-14T14:09:55Z", "finishedAt": "2026-03-14T14:10:00Z",
            "syncResult": {"revision": REV_A, "source": {"repoURL": "https://git.example.com/pay/deploy.git"}},
        },
    },
}

CHECKOUT = {
    "metadata": {"name": "checkout", "namespace": "argocd", "labels": {}},
    "spec": {"project": "default",
             "source": {"repoURL": "https://charts.example.com", "chart": "checkout", "targetRevision": "1.4.3"},
             "destination": {"server": "https://kubernetes.default.svc", "namespace": "checkout"}},
    "status": {
        "history": [
            {"id": 1, "revision": "1.4.2", "deployStartedAt": "2026-03-14T14:04:50Z", "deployedAt": "2026-03-14T14:05:00Z",
             "source": {"repoURL": "https://charts.example.com", "chart": "checkout", "targetRevision": "1.4.2"}},
        ],
        "operationState": {
            "operation": {"sync": {"revision": "1.4.3"}, "initiatedBy": {"username": "alice"}},
            "phase": "Failed", "message": "one or more objects failed to apply",
            "startedAt": "2026-03-14T14:20:00Z", "finishedAt": "2026-03-14T14:21:00Z",
            "syncResult": {"revision": "1.4.3"},
        },
    },
}


def applications(request: Request, fake: FakeServer) -> Reply:
    items = [PAYMENTS, CHECKOUT]
    if request.arg("name"):
        items = [a for a in items if a["metadata"]["name"] == request.arg("name")]
    return json_reply({"metadata": {"resourceVersion": "9913"}, "items": items})


def test_history_and_failed_sync_become_changes(server: FakeServer) -> None:
    server.route("/api/v1/applications", applications)
    src = ArgoCDSource(server.url, "argo-token", service_label="team.example.com/service")
    changes = by_id(src.fetch(START, END), "argocd:payments-prod:history:6", "argocd:payments-prod:history:7",
                    "argocd:checkout:history:1", "argocd:checkout:operation:2026-03-14T14:20:00Z")
    assert_fields(changes["argocd:payments-prod:history:6"], kind="deploy", service="payments",
                  timestamp=datetime(2026, 3, 14, 13, 30, tzinfo=UTC), version=REV_B[:12],
                  previous_version=REV_A[:12], environment="production",
                  url=f"{server.url}/applications/argocd/payments-prod", author="argocd (automated)")

    back = changes["argocd:payments-prod:history:7"]
    assert back.kind == "rollback"  # REV_A had run before REV_B
    assert back.title == f"payments-prod rolled back to {REV_A[:12]}"
    assert back.author == "oncall@example.com"

    chart = changes["argocd:checkout:history:1"]
    assert chart.service == "checkout" and chart.version == "1.4.2" and chart.kind == "deploy"

    failed = changes["argocd:checkout:operation:2026-03-14T14:20:00Z"]
    assert failed.kind == "deploy" and failed.version == "1.4.3" and failed.previous_version == "1.4.2"
    assert "failed" in failed.title and failed.author == "alice"

    assert server.methods() == {"GET"}
    assert all(r.headers["authorization"] == "Bearer argo-token" for r in server.requests)


def test_configured_apps_use_name_query(server: FakeServer) -> None:
    server.route("/api/v1/applications", applications)
    changes = ArgoCDSource(server.url, "t", apps=["checkout"]).fetch(START, END)
    assert {c.service for c in changes} == {"checkout"}
    assert [r.arg("name") for r in server.requests] == ["checkout"]


def test_window_filtering(server: FakeServer) -> None:
    server.route("/api/v1/applications", applications)
    changes = ArgoCDSource(server.url, "t").fetch(datetime(2026, 3, 14, 14, 0, tzinfo=UTC),
                                                  datetime(2026, 3, 14, 14, 6, tzinfo=UTC))
    assert [c.id for c in changes] == ["argocd:checkout:history:1"]


def test_retries_503_then_succeeds(server: FakeServer) -> None:
    server.route("/api/v1/applications", json_reply({"error": "unavailable"}, 503), json_reply({"error": "slow down"}, 429, {"Retry-After": "0"}), applications)
    assert len(ArgoCDSource(server.url, "t").fetch(START, END)) == 4
    assert len(server.requests) == 3


def test_forbidden_is_a_source_error(server: FakeServer) -> None:
    server.route("/api/v1/applications", json_reply({"error": "permission denied", "code": 7}, 403))
    with pytest.raises(SourceError, match="argocd: .*HTTP 403"):
        ArgoCDSource(server.url, "t").fetch(START, END)
