"""sources_from_settings: what each variable turns on, and clear one-line errors for what is wrong."""
from __future__ import annotations

import pytest

from incidentbot.changes.sources import sources_from_settings
from incidentbot.changes.sources.argocd import ArgoCDSource
from incidentbot.changes.sources.base import ChangeSource
from incidentbot.changes.sources.github import GitHubSource
from incidentbot.changes.sources.kubernetes import KubernetesSource
from incidentbot.changes.sources.launchdarkly import LaunchDarklySource
from incidentbot.changes.sources.ndjson_file import NdjsonFileSource
from incidentbot.config import SettingsError, settings_from
from incidentbot.core.errors import UsageError


def sources_from_env(env: dict[str, str]) -> list[ChangeSource]:
    return sources_from_settings(settings_from(env=env).changes)


def test_nothing_configured() -> None:
    assert sources_from_env({}) == []
    assert sources_from_env({"GITHUB_TOKEN": "ghp_ci_token"}) == []  # CI sets it for its own use


def test_everything_configured() -> None:
    sources = sources_from_env({
        "INCIDENTBOT_CHANGES_FILE": "changes.ndjson",
        "GITHUB_TOKEN": "ghp_x", "INCIDENTBOT_GITHUB_REPOS": "acme/payments=payments-api, acme/web",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3", "INCIDENTBOT_GITHUB_PULLS": "true",
        "ARGOCD_URL": "https://argocd.example.com", "ARGOCD_TOKEN": "argo", "ARGOCD_APPS": "payments,checkout",
        "INCIDENTBOT_K8S_NAMESPACES": "prod, payments", "INCIDENTBOT_K8S_CONTEXT": "prod-eu",
        "INCIDENTBOT_K8S_IN_CLUSTER": "false",
        "LAUNCHDARKLY_API_TOKEN": "api-x", "LAUNCHDARKLY_PROJECT": "default",
        "INCIDENTBOT_FLAG_SERVICES": "new-checkout=checkout",
    })
    assert [s.name for s in sources] == ["file:changes.ndjson", "github:acme/payments", "github:acme/web",
                                         "argocd", "kubernetes", "launchdarkly"]
    assert all(isinstance(s, ChangeSource) for s in sources)
    file_src, pay, web, argo, kube, ld = sources
    assert isinstance(file_src, NdjsonFileSource)
    assert isinstance(pay, GitHubSource) and pay.service == "payments-api" and web.service == "web"
    assert pay.base_url == "https://ghe.example.com/api/v3" and pay.include_pulls and pay.token == "ghp_x"
    assert isinstance(argo, ArgoCDSource) and argo.apps == ["payments", "checkout"]
    assert isinstance(kube, KubernetesSource) and kube.namespaces == ["prod", "payments"]
    assert kube.context == "prod-eu" and kube.in_cluster is False
    assert isinstance(ld, LaunchDarklySource) and ld.project == "default"
    assert ld.flag_services == {"new-checkout": "checkout"}


@pytest.mark.parametrize(("env", "message"), [
    ({"INCIDENTBOT_GITHUB_REPOS": "payments"}, "'payments' must be owner/name"),
    ({"INCIDENTBOT_GITHUB_REPOS": "acme/pay/extra"}, "must be owner/name"),
    ({"INCIDENTBOT_GITHUB_REPOS": "acme/pay="}, "empty service"),
    ({"INCIDENTBOT_GITHUB_REPOS": "acme/pay", "GITHUB_API_URL": "ghe.local"}, "GITHUB_API_URL"),
    ({"INCIDENTBOT_GITHUB_REPOS": "acme/pay", "INCIDENTBOT_GITHUB_PULLS": "maybe"}, "INCIDENTBOT_GITHUB_PULLS"),
    ({"ARGOCD_URL": "https://argocd.example.com"}, "ARGOCD_TOKEN"),
    ({"ARGOCD_TOKEN": "t"}, "ARGOCD_URL"),
    ({"LAUNCHDARKLY_PROJECT": "default"}, "LAUNCHDARKLY_API_TOKEN"),
    ({"LAUNCHDARKLY_API_TOKEN": "k", "INCIDENTBOT_FLAG_SERVICES": "new-checkout"}, "INCIDENTBOT_FLAG_SERVICES"),
])
def test_misconfiguration_is_a_clear_usage_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        sources_from_env(env)
    assert err.value.exit_code == 2 and "\n" not in str(err.value)


def test_every_problem_is_reported_on_its_own_line_without_secrets() -> None:
    with pytest.raises(SettingsError) as err:
        settings_from(env={"ARGOCD_TOKEN": "argo-secret-token", "PORT": "eighty", "INCIDENTBOT_ES_URL": "es:9200",
                           "INCIDENTBOT_ES_VERIFY_CERTS": "perhaps"})
    lines = str(err.value).splitlines()
    assert len(lines) == 4 and len(err.value.problems) == 4
    assert any("PORT" in line and "'eighty'" in line for line in lines)
    assert any("INCIDENTBOT_ES_URL" in line and "http://" in line for line in lines)
    assert any("INCIDENTBOT_ES_VERIFY_CERTS" in line for line in lines)
    assert any("ARGOCD_URL" in line for line in lines)
    assert "argo-secret-token" not in str(err.value)


def test_kubernetes_in_cluster_detected_from_env() -> None:
    [kube] = sources_from_env({"INCIDENTBOT_K8S_NAMESPACES": "prod", "KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert kube.in_cluster is True
