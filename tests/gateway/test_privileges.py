"""The start-up privilege check, against a local server that answers like a secured cluster."""
from __future__ import annotations

import json

import pytest
from support.faultproxy import ES_ROOT, FakeCluster, Seen

from incidentbot.config import settings_from
from incidentbot.core.errors import UnsafeCredentials
from incidentbot.gateway import ReadOnlyGateway

HAS_PRIVILEGES = "/_security/user/_has_privileges"


def _server(grants: dict[str, bool]) -> FakeCluster:
    """A secured cluster that grants exactly `grants` on whatever indices the request names."""

    def has_privileges(req: Seen) -> tuple[int, dict]:
        asked = json.loads(req.body or b"{}")["index"][0]
        return 200, {"username": "bot", "has_all_requested": False, "cluster": {},
                     "index": {n: {p: grants.get(p, False) for p in asked["privileges"]} for n in asked["names"]}}

    return FakeCluster(ES_ROOT, {HAS_PRIVILEGES: has_privileges})


def test_write_privileges_refuse_to_start() -> None:
    srv = _server({"write": True, "delete_index": True})
    try:
        gw = ReadOnlyGateway(settings_from(env={}, es_url=srv.url))
        with pytest.raises(UnsafeCredentials, match="write"):
            gw.check_privileges()
        post = [s for s in srv.seen if s.method == "POST"][0]
        assert post.path.startswith(HAS_PRIVILEGES)
        assert set(json.loads(post.body)["index"][0]["names"]) == {"logs-*", "changes-*"}
    finally:
        srv.stop()


def test_write_privileges_only_warn_when_not_strict(caplog: pytest.LogCaptureFixture) -> None:
    srv = _server({"manage": True})
    try:
        settings = settings_from(env={"INCIDENTBOT_STRICT_PRIVILEGES": "false"}, es_url=srv.url)
        assert ReadOnlyGateway(settings).check_privileges() == "may-write"
        assert any("manage" in r.getMessage() for r in caplog.records)
    finally:
        srv.stop()


def test_read_only_credentials_pass() -> None:
    srv = _server({})
    try:
        gw = ReadOnlyGateway(settings_from(env={}, es_url=srv.url))
        assert gw.check_privileges() == "read-only"
    finally:
        srv.stop()
