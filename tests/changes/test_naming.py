"""Change records name the changed thing their own way; the namer maps it to the log's service."""
from __future__ import annotations

from datetime import UTC, datetime

from incidentbot.changes.naming import ServiceNamer, map_change_services, strip_image
from incidentbot.core.catalog import Catalog, ServiceInfo
from incidentbot.core.change import Change

KNOWN = ["checkout", "payments-api", "search-gateway", "search-indexer", "billing-worker"]
CATALOG = Catalog({
    "checkout": ServiceInfo("checkout", depends_on=["payments-api"], aliases=["shop-web"], owner="team-buy"),
    "payments-api": ServiceInfo("payments-api", owner="team-pay"),
    "billing-worker": ServiceInfo("billing-worker", owner="team-pay"),
    "search-gateway": ServiceInfo("search-gateway", owner="team-find"),
})


def namer() -> ServiceNamer:
    return ServiceNamer(KNOWN, CATALOG)


def test_repository_image_deployment_and_app_names_map_with_a_reason() -> None:
    n = namer()
    repo = n.match("shop/checkout")
    assert repo and repo.service == "checkout" and repo.reason == "repository shop/checkout is service checkout"
    image = n.match("registry.example.com:5000/shop/checkout:4.2.0")
    assert image and image.service == "checkout" and image.reason.startswith("image registry.example.com:5000/")
    assert n.match("ghcr.io/acme/payments-api@sha256:abc123").service == "payments-api"
    assert n.match("checkout-v2").service == "checkout"
    app = n.match("checkout-prod", source="argocd")
    assert app and app.reason == "Argo CD application checkout-prod is service checkout"
    # a role suffix the logs leave out, and one they keep
    assert n.match("acme/payments").service == "payments-api"
    assert n.match("search-indexer-7d9f8c6b5d").service == "search-indexer"


def test_catalog_alias_and_a_team_that_owns_one_service() -> None:
    n = namer()
    alias = n.match("shop-web")
    assert alias and alias.service == "checkout" and "catalog alias" in alias.reason
    team = n.match("team-find")
    assert team and team.service == "search-gateway" and team.reason == "team team-find owns only service search-gateway"
    assert n.match("team-pay") is None  # owns two services: no guess


def test_ambiguous_known_and_unknown_names_are_left_alone() -> None:
    n = namer()
    assert n.match("checkout") is None  # already the log's name
    assert n.match("acme/search") is None  # search-gateway or search-indexer: better unmatched than wrong
    assert n.match("edge-lb-eu1") is None


def test_strip_image_drops_registry_tag_and_digest() -> None:
    assert strip_image("registry.internal:5000/shop/checkout:4.2.0") == "shop/checkout"
    assert strip_image("docker.io/library/nginx@sha256:deadbeef") == "library/nginx"
    assert strip_image("shop/checkout") == "shop/checkout"


def test_mapping_keeps_every_change_and_the_recorded_name() -> None:
    at = datetime(2026, 3, 14, 14, 0, tzinfo=UTC)
    changes = [Change.model_validate({"id": i, "@timestamp": at, "kind": "deploy", "service": s, "title": "t"})
               for i, s in (("a", "shop/checkout"), ("b", "mystery-box"), ("c", "payments-api"))]
    out = map_change_services(changes, KNOWN, CATALOG)
    assert [c.id for c in out] == ["a", "b", "c"]
    assert out[0].service == "checkout" and out[0].recorded_service == "shop/checkout"
    assert out[0].to_json()["service_match"] == "repository shop/checkout is service checkout"
    assert out[1].service == "mystery-box" and out[1].recorded_service is None
    assert out[2] is changes[2]


def test_a_start_time_is_read_under_its_common_names() -> None:
    base = {"id": "x", "@timestamp": "2026-03-14T14:10:00Z", "kind": "deploy", "service": "checkout", "title": "t"}
    for key in ("started_at", "start_time", "startedAt"):
        c = Change.model_validate({**base, key: "2026-03-14T14:01:00Z"})
        assert c.began == datetime(2026, 3, 14, 14, 1, tzinfo=UTC)
        assert c.to_json()["started_at"] == "2026-03-14T14:01:00Z"
    assert Change.model_validate(base).began == datetime(2026, 3, 14, 14, 10, tzinfo=UTC)
