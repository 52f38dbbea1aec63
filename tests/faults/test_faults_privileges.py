"""The start-up privilege check fails closed (issue 13, item 7).

Before: any error from `_has_privileges` (401, 403, 429, 5xx, an empty object)
read as "no security API" and the bot answered; OpenSearch was never checked;
cluster privileges were never asked for. Now only a clear "security is not
enabled" passes unchecked.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.faultproxy import ES_ROOT, OS_ROOT, FakeCluster

from incidentbot.config import settings_from
from incidentbot.core.errors import UnsafeCredentials
from incidentbot.dev.embedded import EmbeddedOpenSearch
from incidentbot.gateway import ReadOnlyGateway

HAS_PRIVILEGES = "/_security/user/_has_privileges"
ACCOUNT = "/_plugins/_security/api/account"


def _check(cluster: FakeCluster, strict: bool = True) -> str:
    env = {"INCIDENTBOT_STRICT_PRIVILEGES": "true" if strict else "false"}
    return ReadOnlyGateway(settings_from(env=env, es_url=cluster.url)).check_privileges()


@pytest.fixture
def cluster() -> Iterator[Any]:
    made: list[FakeCluster] = []

    def make(root: dict[str, Any], routes: dict[str, tuple[int, Any]]) -> FakeCluster:
        made.append(FakeCluster(root, routes))
        return made[-1]

    yield make
    for c in made:
        c.stop()


@pytest.mark.parametrize("status,body", [
    (401, {"error": {"type": "security_exception", "reason": "missing authentication credentials"}, "status": 401}),
    (403, {"error": {"type": "security_exception", "reason": "action is unauthorized"}, "status": 403}),
    (429, {"error": {"type": "es_rejected_execution_exception", "reason": "rejected"}, "status": 429}),
    (500, {"error": {"type": "exception", "reason": "boom"}, "status": 500}),
    (503, {"error": {"type": "exception", "reason": "unavailable"}, "status": 503}),
    (200, {}),
    (200, {"username": "bot", "cluster": "nope", "index": []}),
])
def test_anything_but_a_clear_answer_refuses_in_strict_mode(cluster: Any, status: int, body: Any) -> None:
    c = cluster(ES_ROOT, {HAS_PRIVILEGES: (status, body)})
    with pytest.raises(UnsafeCredentials, match="cannot confirm"):
        _check(c)
    assert _check(c, strict=False) == "unknown"


@pytest.mark.parametrize("status,body", [
    (500, {"error": {"type": "exception", "reason": "Security must be explicitly enabled when using a [basic] "
                                                   "license. Enable security by setting [xpack.security.enabled]"}}),
    (400, {"error": "no handler found for uri [/_security/user/_has_privileges] and method [POST]"}),
])
def test_a_clear_security_not_enabled_passes_with_a_warning(cluster: Any, status: int, body: Any) -> None:
    assert _check(cluster(ES_ROOT, {HAS_PRIVILEGES: (status, body)})) == "no-security-api"


def test_cluster_write_privileges_refuse_and_monitor_is_fine(cluster: Any) -> None:
    index = {"logs-*": {"write": False, "delete": False}, "changes-*": {"write": False}}
    manage = cluster(ES_ROOT, {HAS_PRIVILEGES: (200, {"username": "bot", "cluster": {"manage": True, "all": False},
                                                      "index": index})})
    with pytest.raises(UnsafeCredentials, match="cluster:manage"):
        _check(manage)
    monitor_only = cluster(ES_ROOT, {HAS_PRIVILEGES: (200, {"username": "bot", "cluster": {"manage": False},
                                                            "index": index})})
    assert _check(monitor_only) == "read-only"


def test_opensearch_is_checked_through_its_account_api(cluster: Any) -> None:
    writer = cluster(OS_ROOT, {ACCOUNT: (200, {"user_name": "bot", "roles": ["logs_writer"]}),
                               "/_plugins/_security/api/roles/logs_writer": (200, {"logs_writer": {
                                   "cluster_permissions": ["cluster_monitor"],
                                   "index_permissions": [{"index_patterns": ["logs-*"],
                                                          "allowed_actions": ["read", "indices:data/write/index"]}]}})})
    with pytest.raises(UnsafeCredentials, match="logs_writer:indices:data/write/index"):
        _check(writer)
    assert any(s.path == ACCOUNT for s in writer.seen)
    reader = cluster(OS_ROOT, {ACCOUNT: (200, {"user_name": "bot", "roles": ["logs_reader", "readall"]}),
                               "/_plugins/_security/api/roles/logs_reader": (200, {"logs_reader": {
                                   "cluster_permissions": ["cluster_monitor"],
                                   "index_permissions": [{"index_patterns": ["logs-*"],
                                                          "allowed_actions": ["read", "indices:admin/mappings/get"]}]}})})
    assert _check(reader) == "read-only"


def test_opensearch_roles_we_cannot_read_or_errors_refuse(cluster: Any) -> None:
    hidden = cluster(OS_ROOT, {ACCOUNT: (200, {"user_name": "bot", "roles": ["mystery"]})})
    with pytest.raises(UnsafeCredentials, match="mystery"):
        _check(hidden)
    forbidden = cluster(OS_ROOT, {ACCOUNT: (403, {"status": "FORBIDDEN", "message": "no permissions"})})
    with pytest.raises(UnsafeCredentials, match="403"):
        _check(forbidden)


@pytest.mark.integration
def test_osmem_server_without_the_security_plugin_is_recognised() -> None:
    """osmem-server answers the account API with 400 'no handler found for uri [...]': no security plugin."""
    with EmbeddedOpenSearch() as server:
        gw = ReadOnlyGateway(settings_from(env={"INCIDENTBOT_STRICT_PRIVILEGES": "true"}, es_url=server.url))
        assert gw.flavour == "opensearch"
        assert gw.check_privileges() == "no-security-api"
