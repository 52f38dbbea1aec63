"""LaunchDarklySource against a fake audit log replaying the documented AuditLogEntryListingRep shape."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support.fakehttp import FakeServer, Reply, Request, json_reply
from support.fakehttp import fake_env, server  # noqa: F401  (pytest fixtures)

from incidentbot.changes.sources.base import SourceError
from incidentbot.changes.sources.launchdarkly import LaunchDarklySource, parse_resource, plain

UTC = timezone.utc
START = datetime(2026, 3, 14, 13, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def entry(eid: str, when: str, resource: str, *, kind: str = "flag", title: str = "", name: str = "", **extra: object) -> dict:
    """An audit log entry with the documented fields (`_id`, `date` in ms, `accesses`, `target`, ...)."""
    return {
        "_links": {"canonical": {"href": f"/api/v2/auditlog/{eid}", "type": "application/json"},
                   "self": {"href": f"/api/v2/auditlog/{eid}", "type": "application/json"}},
        "_id": eid, "_accountId": "acct1", "date": ms(when),
        "accesses": [{"action": "updateOn", "resource": resource.split(";")[0]}],
        "kind": kind, "name": name, "description": "- Turned on the flag", "shortDescription": "",
        "member": {"_links": {}, "_id": "m1", "email": "jane@example.com", "firstName": "Jane", "lastName": "Doe"},
        "titleVerb": "turned on the flag", "title": title,
        "target": {"_links": {}, "name": name, "resources": [resource]},
        **extra,
    }


PAGE1 = [
    entry("6a1", "2026-03-14T14:03:00Z", "proj/default:env/production:flag/new-checkout;service-checkout",
          name="New checkout",
          title="[Jane Doe](mailto:jane@example.com) turned on the flag [New checkout](https://app.launchdarkly.com/default/production/features/new-checkout) in `Production`",
          target={"_links": {"site": {"href": "/default/production/features/new-checkout", "type": "text/html"}},
                  "name": "New checkout", "resources": ["proj/default:env/production:flag/new-checkout;service-checkout"]}),
    entry("6b0", "2026-03-14T14:01:00Z", "member/m2", kind="member", name="Bob", title="Jane invited Bob"),
]
PAGE2 = [
    entry("6a0", "2026-03-14T13:10:00Z", "proj/default:env/production:flag/pool-size-override",
          name="Pool size override", title="", comment="bump for the pool refactor"),
    entry("6a2", "2026-03-14T13:20:00Z", "proj/default:env/test:flag/pool-size-override", name="Pool size override",
          title="Jane Doe turned on the flag Pool size override in Test"),
    entry("5ff", "2026-03-14T12:59:59Z", "proj/default:env/production:flag/old-flag", name="Old", title="old"),
]


def auditlog(request: Request, fake: FakeServer) -> Reply:
    if request.arg("page") == "2":
        return json_reply({"items": PAGE2, "_links": {"self": {"href": "/api/v2/auditlog?page=2"}}})
    return json_reply({"items": PAGE1, "_links": {"next": {"href": "/api/v2/auditlog?limit=20&page=2", "type": "application/json"},
                                                  "self": {"href": "/api/v2/auditlog", "type": "application/json"}}})


def source(server: FakeServer, **kwargs: object) -> LaunchDarklySource:
    return LaunchDarklySource("api-key-123", project="default", environments=["production"],
                              flag_services={"pool-size-override": "payments"}, base_url=server.url, **kwargs)


def test_flag_entries_become_changes(server: FakeServer) -> None:
    server.route("/api/v2/auditlog", auditlog)
    changes = {c.id: c for c in source(server).fetch(START, END)}

    assert set(changes) == {"launchdarkly:6a1", "launchdarkly:6a0"}
    on = changes["launchdarkly:6a1"]
    assert on.kind == "feature_flag" and on.service == "checkout"  # from the service- tag
    assert on.timestamp == datetime(2026, 3, 14, 14, 3, tzinfo=UTC)
    assert on.title == "Jane Doe turned on the flag New checkout in Production"
    assert on.url == f"{server.url}/default/production/features/new-checkout"
    assert on.environment == "production" and on.config_keys == ["new-checkout"]
    assert on.author == "jane@example.com"

    mapped = changes["launchdarkly:6a0"]
    assert mapped.service == "payments"  # from the flag->service map
    assert mapped.title == "jane@example.com turned on the flag Pool size override"
    assert mapped.description == "bump for the pool refactor"


def test_query_pagination_and_auth_header(server: FakeServer) -> None:
    server.route("/api/v2/auditlog", auditlog)
    source(server).fetch(START, END)
    first, second = server.requests
    assert first.arg("after") == str(ms("2026-03-14T13:00:00Z") - 1)
    assert first.arg("before") == str(ms("2026-03-14T14:32:00Z") + 1)
    assert first.arg("limit") == "20"
    assert first.arg("spec") == "proj/default:env/production:flag/*"
    assert second.arg("page") == "2"
    assert {r.headers["authorization"] for r in server.requests} == {"api-key-123"}
    assert server.methods() == {"GET"}


def test_service_falls_back_to_project(server: FakeServer) -> None:
    server.route("/api/v2/auditlog", auditlog)
    changes = LaunchDarklySource("k", base_url=server.url).fetch(START, END)
    services = {c.id: c.service for c in changes}
    assert services == {"launchdarkly:6a1": "checkout", "launchdarkly:6a0": "default", "launchdarkly:6a2": "default"}


def test_retry_on_429_then_success(server: FakeServer) -> None:
    server.route("/api/v2/auditlog", json_reply({"code": "rate_limited"}, 429, {"Retry-After": "0"}), auditlog)
    assert len(source(server).fetch(START, END)) == 2
    assert len(server.requests) == 3


def test_unauthorized(server: FakeServer) -> None:
    server.route("/api/v2/auditlog", json_reply({"code": "unauthorized", "message": "Invalid account ID header"}, 401))
    with pytest.raises(SourceError, match="launchdarkly: .*HTTP 401"):
        source(server).fetch(START, END)


def test_helpers() -> None:
    assert parse_resource("proj/p:env/e:flag/k;a,service-x").tags == ("a", "service-x")
    assert parse_resource("proj/p:env/e:flag/k").flag == "k"
    assert plain("[A](mailto:a) did `x`") == "A did x"
