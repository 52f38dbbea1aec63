"""`incidentbot config [--check]`: effective settings with secrets redacted, and each source asked read-only."""
from __future__ import annotations

import pytest
from support.servers import parse_json, scenario_args
from support.fakehttp import FakeServer, json_reply, refused_url
from support.fakeopenai import FakeOpenAI

NAME = "orders-inventory-deploy"


def test_config_prints_settings_with_secrets_redacted(run_cli, monkeypatch) -> None:
    monkeypatch.setenv("INCIDENTBOT_ES_API_KEY", "es-secret-key-1")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_2")
    monkeypatch.setenv("INCIDENTBOT_GITHUB_REPOS", "acme/pay=payments")
    code, out, err = run_cli("config", "--es-url", "http://127.0.0.1:9", "--logs-index", "logs-x")
    assert code == 0, err
    assert "es-secret-key-1" not in out and "ghp_secret_2" not in out
    assert 'search.url = "http://127.0.0.1:9"' in out and 'search.logs_index = "logs-x"' in out
    assert 'search.api_key = "**********"' in out and 'changes.github.token = "**********"' in out
    assert "github:acme/pay=payments: configured" in out and "argocd: not configured" in out


def test_config_rejects_bad_settings_one_line_each(run_cli, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("INCIDENTBOT_BACKEND", "solr")
    code, out, err = run_cli("config")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("incidentbot: ") for line in lines)
    assert any("PORT" in line for line in lines) and any("INCIDENTBOT_BACKEND" in line for line in lines)


@pytest.fixture
def vendors():
    argo, llm = FakeServer().start(), FakeOpenAI().start()
    argo.route("/api/v1/applications", json_reply({"items": []}))
    try:
        yield argo, llm
    finally:
        argo.stop()
        llm.stop()


def test_config_check_asks_each_source_read_only(run_cli, monkeypatch, scenarios, es_url, vendors) -> None:
    argo, llm = vendors
    sc = scenarios[NAME]
    monkeypatch.setenv("ARGOCD_URL", argo.url)
    monkeypatch.setenv("ARGOCD_TOKEN", "argo-secret-3")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-4")
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("INCIDENTBOT_LLM_MODEL", "test-model")
    monkeypatch.setenv("LAUNCHDARKLY_API_TOKEN", "ld-secret-5")
    monkeypatch.setenv("LAUNCHDARKLY_API_URL", refused_url())
    code, out, err = run_cli("config", "--check", "--json", *scenario_args(sc, es_url), "--at", sc.now)
    assert code == 3, err  # LaunchDarkly is configured and does not answer
    doc = parse_json(out)
    for secret in ("argo-secret-3", "sk-secret-4", "ld-secret-5"):
        assert secret not in out
    by_name = {s["name"]: s for s in doc["sources"]}
    store = by_name[es_url]
    assert store["reachable"] is True and f"documents in {sc.logs_index}" in store["detail"]
    assert by_name[f"elasticsearch:{sc.changes_index}"]["reachable"] is True
    assert by_name["argocd"]["reachable"] is True and by_name["launchdarkly"]["reachable"] is False
    assert by_name["kubernetes"]["configured"] is False
    [model] = [s for s in doc["sources"] if s["kind"] == "llm"]
    assert model["reachable"] is True and "test-model listed" in model["detail"]
    assert argo.methods() == {"GET"} and {r.path.rsplit("/", 1)[-1] for r in llm.requests} == {"models"}
    assert doc["settings"]["llm"]["api_key"] == "**********"


def test_config_check_says_the_log_store_is_down(run_cli) -> None:
    code, out, err = run_cli("config", "--check", "--es-url", refused_url())
    assert code == 3
    assert "log store" in out and "NOT REACHABLE" in out and "cannot reach the log store" in out
