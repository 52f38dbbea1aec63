"""The deployment files: Kubernetes manifests parsed with PyYAML, the Dockerfile read line by line.

The RBAC role must be read-only (get, list, watch) on exactly what the
Kubernetes change source lists, which is read from its code, so a new
resource there without a rule here (or a rule too many) fails.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
READ_ONLY = {"get", "list", "watch"}


def documents() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def of_kind(kind: str) -> list[dict]:
    return [d for d in documents() if d["kind"] == kind]


def resources_the_source_lists() -> set[tuple[str, str]]:
    """(apiGroup, plural) of every list_namespaced_* call of the Kubernetes change source."""
    code = (ROOT / "incidentbot" / "changes" / "sources" / "kubernetes.py").read_text()
    found = set()
    for api, what in re.findall(r"\b(apps|core)\.list_namespaced_(\w+)", code):
        found.add(("apps" if api == "apps" else "", what.replace("_", "") + "s"))
    return found


def test_rbac_is_read_only_on_exactly_what_the_change_source_reads():
    roles = of_kind("ClusterRole") + of_kind("Role")
    assert roles, "a role for the Kubernetes change source"
    granted = set()
    for role in roles:
        for rule in role["rules"]:
            assert set(rule["verbs"]) <= READ_ONLY, f"{role['metadata']['name']}: {rule['verbs']} is not read-only"
            assert "*" not in rule["verbs"] + rule["resources"] + rule.get("apiGroups", [])
            assert not rule.get("nonResourceURLs")
            granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    wanted = resources_the_source_lists()
    assert wanted == {("apps", "replicasets"), ("apps", "controllerrevisions"), ("", "configmaps")}
    assert granted == wanted, "nothing more and nothing less than the source reads"
    assert not of_kind("ClusterRoleBinding"), "granted per watched namespace, never cluster-wide"
    for binding in of_kind("RoleBinding"):
        assert binding["roleRef"]["name"] in {r["metadata"]["name"] for r in roles}
        assert [s["name"] for s in binding["subjects"]] == ["incidentbot"]


def test_two_replicas_with_redis_secrets_probes_and_a_non_root_user():
    bot = next(d for d in of_kind("Deployment") if d["metadata"]["name"] == "incidentbot")
    spec = bot["spec"]["template"]["spec"]
    assert bot["spec"]["replicas"] == 2
    container = spec["containers"][0]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    secret_names = {s["metadata"]["name"] for s in of_kind("Secret")}
    from_secrets = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= from_secrets
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]} <= secret_names
    settings = next(c for c in of_kind("ConfigMap") if c["metadata"]["name"] == "incidentbot-settings")["data"]
    redis_service = next(s for s in of_kind("Service") if s["metadata"]["name"] == "incidentbot-redis")
    assert redis_service["metadata"]["name"] in settings["INCIDENTBOT_REDIS_URL"]
    assert any(d["metadata"]["name"] == "incidentbot-redis" for d in of_kind("Deployment"))
    service = next(s for s in of_kind("Service") if s["metadata"]["name"] == "incidentbot")
    assert service["spec"]["selector"] == bot["spec"]["selector"]["matchLabels"]
    assert not any(k.startswith(("SLACK_", "OPENAI_")) or "PASSWORD" in k for k in settings), "secrets in a ConfigMap"


def test_dockerfile_is_non_root_with_a_health_check_and_the_serve_entry_point():
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    user = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert any(ln.startswith("HEALTHCHECK") for ln in lines)
    assert any(ln.startswith("ENTRYPOINT") and '"incidentbot", "serve"' in ln for ln in lines)
    assert any("pip install" in ln and " ." in ln for ln in lines), "the package is installed from the repository"
