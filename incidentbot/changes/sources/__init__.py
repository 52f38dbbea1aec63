"""The change sources, and `sources_from_env` that builds the configured ones.

Each source module has a `from_env(env) -> list[ChangeSource]`; adding a
source is one new module and one line in `_BUILDERS`. A source that is not
configured returns nothing; a source configured wrongly raises ValueError
with the variable's name, at startup, not in the middle of an incident.

Environment variables (see docs/change-sources.md):

- `INCIDENTBOT_CHANGES_FILE`: path of an NDJSON change file (SCENARIOS.md format).
- `INCIDENTBOT_GITHUB_REPOS`: comma list of `owner/name` or `owner/name=service`
  (enables GitHub; one source per repo).
  `GITHUB_TOKEN`: a token with read scopes (sent as `Authorization: Bearer`).
  `GITHUB_API_URL`: API base, default https://api.github.com
  (GitHub Enterprise: https://HOST/api/v3).
  `INCIDENTBOT_GITHUB_PULLS`: true to count PRs merged into the default branch
  as deploys (default false). `INCIDENTBOT_GITHUB_ENVIRONMENT`: only
  deployments to this environment (e.g. production).
- `ARGOCD_URL` + `ARGOCD_TOKEN`: both or neither. `ARGOCD_APPS`: comma list
  of application names (default: all the token can see).
  `INCIDENTBOT_ARGOCD_SERVICE_LABEL`: an application label naming the service
  (default: the application's name).
- `INCIDENTBOT_K8S_NAMESPACES`: comma list of namespaces (enables Kubernetes).
  Credentials: in-cluster when `KUBERNETES_SERVICE_HOST` is set (force with
  `INCIDENTBOT_K8S_IN_CLUSTER=true|false`), else `KUBECONFIG` / ~/.kube/config
  with `INCIDENTBOT_K8S_CONTEXT`. `INCIDENTBOT_K8S_SERVICE_LABEL`: comma list of
  labels naming the service (default app.kubernetes.io/name,app).
  `INCIDENTBOT_K8S_CONFIGMAPS`: false to skip ConfigMaps.
- `LAUNCHDARKLY_API_TOKEN` (enables LaunchDarkly), `LAUNCHDARKLY_PROJECT`
  (project key; only its flags), `LAUNCHDARKLY_ENVIRONMENTS` (comma list of
  environment keys), `LAUNCHDARKLY_API_URL` (default
  https://app.launchdarkly.com), `INCIDENTBOT_FLAG_SERVICES` (comma list of
  `flag-key=service`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from incidentbot.changes.sources import argocd, github, kubernetes, launchdarkly, ndjson_file
from incidentbot.changes.sources.base import ChangeSource, SourceError

Builder = Callable[[Mapping[str, str]], list[ChangeSource]]

_BUILDERS: tuple[Builder, ...] = (
    # The Elasticsearch change index (es_index.ElasticsearchChanges) plugs in here.
    # It needs the read-only gateway, which env alone cannot build, so the caller
    # puts it first: `[ElasticsearchChanges(gateway, settings.changes_index),
    # *sources_from_env(env)]`, and its copy of a change wins the de-duplication.
    ndjson_file.from_env,
    github.from_env,
    argocd.from_env,
    kubernetes.from_env,
    launchdarkly.from_env,
)


def sources_from_env(env: Mapping[str, str]) -> list[ChangeSource]:
    """Every configured change source, in a fixed order; ValueError names a misconfigured variable."""
    sources: list[ChangeSource] = []
    for build in _BUILDERS:
        sources.extend(build(env))
    return sources


__all__ = ["ChangeSource", "SourceError", "sources_from_env"]
