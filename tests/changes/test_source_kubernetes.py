"""KubernetesSource: the official client pointed at a fake API server replaying documented list shapes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support.changecheck import assert_fields, by_id
from support.fakehttp import FakeServer, Reply, Request, json_reply, refused_url
from support.fakehttp import fake_env, server  # noqa: F401  (pytest fixtures)
from kubernetes.client import Configuration

from incidentbot.changes.sources.base import SourceError
from incidentbot.changes.sources.kubernetes import KubernetesSource, image_version

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)
RS_PATH = "/apis/apps/v1/namespaces/prod/replicasets"
CR_PATH = "/apis/apps/v1/namespaces/prod/controllerrevisions"
CM_PATH = "/api/v1/namespaces/prod/configmaps"


def owner(kind: str, name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": f"uid-{name}", "controller": True,
            "blockOwnerDeletion": True}


def replica_set(name: str, revision: int, created: str, image: str, *, history: str | None = None,
                managed: list[dict] | None = None, owned: bool = True) -> dict:
    annotations = {"deployment.kubernetes.io/revision": str(revision), "deployment.kubernetes.io/desired-replicas": "3"}
    if history:
        annotations["deployment.kubernetes.io/revision-history"] = history
    labels = {"app.kubernetes.io/name": "payments", "pod-template-hash": name.rsplit("-", 1)[-1]}
    return {
        "metadata": {
            "name": name, "namespace": "prod", "uid": f"uid-{name}", "resourceVersion": "1000",
            "creationTimestamp": created, "labels": labels, "annotations": annotations,
            "ownerReferences": [owner("Deployment", "payments")] if owned else [],
            "managedFields": managed or [],
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "payments", "image": image}]}},
        },
        "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "observedGeneration": 2},
    }


RS_PAGE1 = {
    "kind": "ReplicaSetList", "apiVersion": "apps/v1",
    "metadata": {"resourceVersion": "5000", "continue": "page-2-token", "remainingItemCount": 2},
    "items": [
        replica_set("payments-6c8e", 2, "2026-03-10T08:00:00Z", "registry.example.com/acme/payments:2.30.4"),
        replica_set("payments-7d9f", 3, "2026-03-14T14:01:00Z", "registry.example.com/acme/payments:2.31.0"),
    ],
}
RS_PAGE2 = {
    "kind": "ReplicaSetList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "5000"},
    "items": [
        replica_set("payments-5b7d", 4, "2026-03-01T08:00:00Z", "registry.example.com/acme/payments:2.30.0", history="1",
                    managed=[
                        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                         "time": "2026-03-14T14:20:00Z", "fieldsType": "FieldsV1",
                         "fieldsV1": {"f:metadata": {"f:annotations": {"f:deployment.kubernetes.io/revision": {}}}}},
                        {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                         "time": "2026-03-14T14:25:00Z", "fieldsType": "FieldsV1", "subresource": "status",
                         "fieldsV1": {"f:status": {"f:replicas": {}}}},
                    ]),
        replica_set("orphan-1a2b", 1, "2026-03-14T14:00:00Z", "busybox:1.36", owned=False),
    ],
}

CR_LIST = {
    "kind": "ControllerRevisionList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "5001"},
    "items": [
        {"metadata": {"name": "postgres-main-4a3b", "namespace": "prod", "creationTimestamp": "2026-02-01T00:00:00Z",
                      "labels": {"app": "postgres-main", "controller-revision-hash": "4a3b"},
                      "ownerReferences": [owner("StatefulSet", "postgres-main")]},
         "data": {"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"app": "postgres-main"}},
                                        "spec": {"containers": [{"name": "postgres", "image": "postgres:16.1"}]}}}},
         "revision": 1},
        {"metadata": {"name": "postgres-main-5f6d", "namespace": "prod", "creationTimestamp": "2026-03-14T14:10:00Z",
                      "labels": {"app": "postgres-main", "controller-revision-hash": "5f6d"},
                      "ownerReferences": [owner("StatefulSet", "postgres-main")]},
         "data": {"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"app": "postgres-main"}},
                                        "spec": {"containers": [{"name": "postgres", "image": "postgres:16.2"}]}}}},
         "revision": 2},
    ],
}

CM_LIST = {
    "kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": "5002"},
    "items": [
        {"metadata": {"name": "payments-config", "namespace": "prod", "resourceVersion": "123456",
                      "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app.kubernetes.io/name": "payments"},
                      "managedFields": [
                          {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1",
                           "time": "2026-02-01T00:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:data": {"f:log.level": {}}}},
                          {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "v1",
                           "time": "2026-03-14T14:03:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:data": {"f:db.pool.max_size": {}, "f:db.pool.timeout": {}}}},
                      ]},
         "data": {"db.pool.max_size": "10", "db.pool.timeout": "30s", "log.level": "info"}},
        {"metadata": {"name": "kube-root-ca.crt", "namespace": "prod", "resourceVersion": "7",
                      "creationTimestamp": "2026-03-14T14:05:00Z"}, "data": {"ca.crt": "..."}},
        {"metadata": {"name": "payments-leader", "namespace": "prod", "resourceVersion": "8",
                      "creationTimestamp": "2026-03-14T14:06:00Z",
                      "annotations": {"control-plane.alpha.kubernetes.io/leader": "{\"holderIdentity\":\"x\"}"}}},
        {"metadata": {"name": "old-config", "namespace": "prod", "resourceVersion": "9",
                      "creationTimestamp": "2026-03-01T00:00:00Z"}, "data": {"a": "b"}},
    ],
}


def replica_sets(request: Request, fake: FakeServer) -> Reply:
    return json_reply(RS_PAGE2 if request.arg("continue") == "page-2-token" else RS_PAGE1)


def install(server: FakeServer) -> None:
    server.route(RS_PATH, json_reply({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "TooManyRequests",
                                      "code": 429}, 429, {"Retry-After": "0"}), replica_sets)
    server.route(CR_PATH, json_reply(CR_LIST))
    server.route(CM_PATH, json_reply({"kind": "Status", "status": "Failure", "code": 503}, 503), json_reply(CM_LIST))


def source(url: str, **kwargs: object) -> KubernetesSource:
    return KubernetesSource(["prod"], configuration=Configuration(host=url), **kwargs)


def test_rollouts_and_configmaps(server: FakeServer) -> None:
    install(server)
    changes = by_id(source(server.url).fetch(START, END), "kubernetes:prod/deployment/payments:3",
                    "kubernetes:prod/deployment/payments:4", "kubernetes:prod/statefulset/postgres-main:2",
                    "kubernetes:prod/configmap/payments-config:123456")
    rollout = changes["kubernetes:prod/deployment/payments:3"]
    assert_fields(rollout, kind="deploy", service="payments", timestamp=datetime(2026, 3, 14, 14, 1, tzinfo=UTC),
                  version="2.31.0", previous_version="2.30.4")
    assert "was registry.example.com/acme/payments:2.30.4" in rollout.description

    undo = changes["kubernetes:prod/deployment/payments:4"]
    assert undo.kind == "rollback"
    assert undo.timestamp == datetime(2026, 3, 14, 14, 20, tzinfo=UTC)  # not the status write at 14:25
    assert (undo.version, undo.previous_version) == ("2.30.0", "2.31.0")

    sts = changes["kubernetes:prod/statefulset/postgres-main:2"]
    assert (sts.kind, sts.service, sts.version, sts.previous_version) == ("deploy", "postgres-main", "16.2", "16.1")

    cm = changes["kubernetes:prod/configmap/payments-config:123456"]
    assert cm.kind == "config" and cm.service == "payments"
    assert cm.timestamp == datetime(2026, 3, 14, 14, 3, tzinfo=UTC)
    assert cm.config_keys == ["db.pool.max_size", "db.pool.timeout"]
    assert cm.author == "argocd-controller"


def test_pagination_retries_and_get_only(server: FakeServer) -> None:
    install(server)
    source(server.url).fetch(START, END)
    rs = server.hits(RS_PATH)
    assert [r.arg("continue") for r in rs] == [None, None, "page-2-token"]  # 429 retried, then page 2
    assert all(r.arg("limit") == "500" for r in rs)
    assert len(server.hits(CM_PATH)) == 2  # 503 retried
    assert server.methods() == {"GET"}


def test_window_and_configmaps_off(server: FakeServer) -> None:
    install(server)
    changes = source(server.url, include_configmaps=False).fetch(
        datetime(2026, 3, 14, 14, 5, tzinfo=UTC), datetime(2026, 3, 14, 14, 15, tzinfo=UTC))
    assert [c.id for c in changes] == ["kubernetes:prod/statefulset/postgres-main:2"]
    assert not server.hits(CM_PATH)


def test_forbidden_names_namespace(server: FakeServer) -> None:
    server.route(RS_PATH, json_reply({"kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403}, 403))
    with pytest.raises(SourceError, match="kubernetes: listing replicasets in namespace prod failed: HTTP 403"):
        source(server.url).fetch(START, END)


def test_unreachable_api() -> None:
    with pytest.raises(SourceError, match="cannot reach the Kubernetes API"):
        source(refused_url(), attempts=2).fetch(START, END)


def test_image_versions() -> None:
    assert image_version("registry.example.com:5000/acme/pay:2.31.0") == "2.31.0"
    assert image_version("registry.example.com:5000/acme/pay") == "latest"
    assert image_version("acme/pay@sha256:0123456789abcdef0123") == "0123456789ab"
