"""Messy incidents through the CLI's public entry point (`ask --json`, `whatchanged --json`).

Change records named as repositories, images and Argo CD applications, a record stamped after the onset,
a provider outage with a deploy after it began, two incidents in one hour, and questions with time zones.
The expectations of each fixture are checked by test_scenarios.py; these check what a responder reads.
"""
from __future__ import annotations

import pytest
from support.servers import parse_json, scenario_args, server_params

pytestmark = pytest.mark.parametrize("es_url", server_params()[:1], indirect=True)


def ask(run_cli, scenarios, es_url, name: str, question: str, command: str = "ask") -> dict:
    sc = scenarios[name]
    code, out, err = run_cli(command, question, "--at", sc.now, "--json", *scenario_args(sc, es_url))
    assert code == 0, err
    return parse_json(out)


def test_an_argo_app_recorded_after_the_onset_is_the_culprit_with_its_mapping_and_skew_said(run_cli, scenarios, es_url):
    ans = ask(run_cli, scenarios, es_url, "parcel-argo-skew", "why is parcel-router failing route requests?")
    top = ans["suspects"][0]
    assert top["service"] == "parcel-router" and top["confidence"] == "high"
    assert "Argo CD application parcel-router-prod is service parcel-router" in top["reasons"]
    assert any("after the onset" in r and "ran its version 3.11.0" in r for r in top["reasons"]), top["reasons"]
    mapped = {c["id"]: c for c in ans["changes"]}
    assert mapped["cfg-3390"]["service"] == "rate-shopper" and mapped["cfg-3390"]["recorded_service"] == "logistics/rate-shopper"


def test_whatchanged_keeps_unmatched_changes_and_filters_by_the_mapped_service(run_cli, scenarios, es_url):
    every = ask(run_cli, scenarios, es_url, "parcel-argo-skew", "3 hours", "whatchanged")
    by_id = {c["id"]: c for c in every["changes"]}
    assert by_id["infra-951"]["service"] == "edge-lb-eu1" and "recorded_service" not in by_id["infra-951"]
    assert by_id["manual-88"]["service"] == "manifest-worker"  # a team that owns one service
    image = by_id["gh-deploy-7731"]
    assert image["service"] == "address-validator" and image["started_at"] == "2026-10-06T10:24:00Z"
    one = ask(run_cli, scenarios, es_url, "parcel-argo-skew", "rate-shopper 3h", "whatchanged")
    assert sorted(c["id"] for c in one["changes"]) == ["argocd-rate-shopper-production-77", "cfg-3390"]


def test_a_deploy_after_a_provider_outage_began_is_not_blamed(run_cli, scenarios, es_url):
    ans = ask(run_cli, scenarios, es_url, "geo-provider-outage-late-deploy", "why is geo-lookup returning 503s?")
    assert not any(s["confidence"] == "high" for s in ans["suspects"])
    late = next(s for s in ans["suspects"] if s["change_id"] == "deploy-3344")
    assert late["score"] <= 0.1 and any("after the onset" in r for r in late["reasons"])


def test_two_incidents_in_one_hour_each_get_their_own_onset_and_blast_radius(run_cli, scenarios, es_url):
    mail = ask(run_cli, scenarios, es_url, "mail-and-reports-overlap", "why is mail-relay failing to deliver?")
    reports = ask(run_cli, scenarios, es_url, "mail-and-reports-overlap", "why are report-builder renders failing?")
    assert mail["onset"].startswith("2026-11-03T10:05") and reports["onset"].startswith("2026-11-03T10:31")
    assert "report-builder" not in mail["intent"]["related_services"]
    assert "mail-relay" not in reports["intent"]["related_services"]
    assert mail["suspects"][0]["change_id"] == "cfg-9017" and reports["suspects"][0]["change_id"] == "deploy-5510"


@pytest.mark.parametrize("name,question,start", [
    ("ledger-canary-deploy", "ledger-api errors since 6:00 PT", "2026-04-07T13:00:00Z"),          # PDT
    ("geo-provider-outage-late-deploy", "geo-lookup 503s since 5:15 PT", "2026-11-09T13:15:00Z"),  # PST
    ("mail-and-reports-overlap", "mail-relay errors since 5 ET", "2026-11-03T10:00:00Z"),          # EST
    ("fare-runtime-upgrade", "fare-calculator errors since 8:45 BST", "2026-10-23T07:45:00Z"),
])
def test_time_zones_with_daylight_time(run_cli, scenarios, es_url, name, question, start):
    ans = ask(run_cli, scenarios, es_url, name, question)
    assert ans["intent"]["start"] == start


def test_whatchanged_reads_a_zone_too(run_cli, scenarios, es_url):
    ans = ask(run_cli, scenarios, es_url, "parcel-argo-skew", "since 12:50 CEST", "whatchanged")
    assert ans["start"] == "2026-10-06T10:50:00Z"
    assert sorted(c["id"] for c in ans["changes"]) == ["argocd-parcel-router-prod-1412", "cfg-3390"]
