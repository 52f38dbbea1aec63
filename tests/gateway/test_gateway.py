"""The gateway is read-only by construction and keeps to the configured indices."""
from __future__ import annotations

import logging
import os

import pytest

from incidentbot.config import settings_from
from incidentbot.core.errors import UsageError
from incidentbot.gateway import ReadOnlyGateway

WRITE_VERBS = {"index", "create", "update", "delete", "bulk", "delete_by_query", "update_by_query", "put_mapping",
               "reindex", "put", "post"}


def test_no_write_verb_exists() -> None:
    public = {name for name in dir(ReadOnlyGateway) if not name.startswith("_")}
    assert not public & WRITE_VERBS
    assert public >= {"search", "count", "msearch", "field_caps", "get_mapping", "get", "check_privileges"}


def test_indices_outside_the_patterns_are_refused(es_url: str) -> None:
    gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url, logs_index="logs-*", changes_index="changes-*"))
    with pytest.raises(UsageError, match="outside the configured patterns"):
        gw.search(".security", {"size": 0})
    with pytest.raises(UsageError):
        gw.search("logs-*,secrets", {"size": 0})
    with pytest.raises(UsageError):
        gw.get("users", "1")


def test_privilege_check_goes_on_without_a_security_api(es_url: str, scenarios, caplog) -> None:
    if os.environ.get("INCIDENTBOT_TEST_ES_URL"):
        pytest.skip("a real cluster may have a security API; tests/gateway/test_privileges.py covers that case")
    gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url))
    with caplog.at_level(logging.WARNING, logger="incidentbot.gateway.readonly"):
        assert gw.check_privileges() == "no-security-api"  # neither noida-db nor osmem-server has one
    assert "has no security API" in caplog.text and "privileges not checked" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="incidentbot.gateway.readonly"):
        assert gw.check_privileges() == "no-security-api"
    assert caplog.text == ""  # checked and said once, then remembered


def test_requests_are_recorded(es_url: str, scenarios) -> None:
    sc = next(iter(scenarios.values()))
    gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index))
    assert gw.count(sc.logs_index, {"query": {"match_all": {}}}) == len(sc.logs)
    assert gw.requests.records[-1].verb == "count"


def test_the_request_log_stays_bounded(es_url: str, scenarios) -> None:
    sc = next(iter(scenarios.values()))
    gw = ReadOnlyGateway(settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index))
    gw.requests.limit = 3
    for size in range(5):
        gw.search(sc.logs_index, {"size": size, "query": {"match_all": {}}})
    assert gw.requests.total == 5 and len(gw.requests.records) == 3
    assert [r.body["size"] for r in gw.requests.records] == [2, 3, 4]  # the oldest went first
