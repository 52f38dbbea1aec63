"""Reading a cluster's answer about our privileges, failing closed.

The bot must be read-only by construction, so the start-up check is only
passed by a clear answer: the privileges reported are read-only, or the
cluster says plainly that it runs without security. Everything else (401,
403, 429, 5xx, an empty object, a body of the wrong shape, no answer in
time) is "unknown", which strict mode refuses: a bot that cannot tell
whether it may write must not assume that it cannot.

Elasticsearch answers `_security/user/_has_privileges` for the indices and
the cluster. OpenSearch has no such API: its security plugin's account API
(`_plugins/_security/api/account`) names our roles, and each role's
definition (readable when the role may read the security API) lists its
cluster and index actions. A role we cannot read is judged by name, known
read-only built-ins only. A server without the security plugin (OpenSearch
built without it, osmem-server) answers the account API with 400/404 and a
body that says no handler/route exists for that path: that, and only that,
is "security not enabled" there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

# Elasticsearch says so in words when security is off; a missing handler means no security plugin at all.
_NO_SECURITY = re.compile(r"security must be explicitly enabled|security is (?:not enabled|disabled)"
                          r"|no handler found for uri \[[^\]]*_security", re.IGNORECASE)
# OpenSearch action prefixes that change data, indices or the cluster
_OS_WRITE_ACTIONS = re.compile(r"^(?:\*|indices:data/write|indices:admin/(?!mappings/get|get|aliases/get|resolve|"
                               r"exists|types/exists|settings/get|data_stream/get)|cluster:admin|cluster:\*|"
                               r"cluster_all|indices_all|crud|write|manage|create_index|delete|index|"
                               r"cluster_manage|manage_)", re.IGNORECASE)
_OS_READ_ONLY_ROLES = frozenset({"readall", "readall_and_monitor", "kibana_user", "opensearch_dashboards_user",
                                 "opensearch_dashboards_read_only", "anomaly_read_access", "alerting_read_access"})


@dataclass(frozen=True)
class Verdict:
    """`read-only`, `may-write`, `no-security-api` or `unknown`, with the detail a person needs."""

    state: str
    detail: str


class _EsPrivileges(BaseModel):
    username: str | None = None
    cluster: dict[str, bool]
    index: dict[str, dict[str, bool]]


class _OsRole(BaseModel):
    cluster_permissions: list[str] = []
    index_permissions: list[dict[str, Any]] = []


def _error_verdict(error: BaseException) -> Verdict:
    status = getattr(error, "status_code", None)
    text = str(error)
    if status in (400, 404, 405, 500) and _NO_SECURITY.search(text):
        return Verdict("no-security-api", f"{status}: {text[:120]}")
    if status in (401, 403):
        return Verdict("unknown", f"the cluster refused the privilege check ({status}); give the role the "
                                  "right to ask about its own privileges")
    label = f"HTTP {status}" if status else type(error).__name__
    return Verdict("unknown", f"the privilege check failed ({label}: {text[:120]})")


def _judge_elasticsearch(body: Any) -> Verdict:
    try:
        parsed = _EsPrivileges.model_validate(body)
    except ValidationError:
        return Verdict("unknown", "the cluster's _has_privileges answer was empty or not of the documented shape")
    if not parsed.index:
        return Verdict("unknown", "the cluster's _has_privileges answer named no index")
    granted = sorted({f"{idx}:{priv}" for idx, privs in parsed.index.items() for priv, ok in privs.items() if ok})
    granted += sorted(f"cluster:{priv}" for priv, ok in parsed.cluster.items() if ok)
    if granted:
        return Verdict("may-write", ", ".join(granted))
    return Verdict("read-only", "no write privilege on the indices or the cluster")


def _role_writes(name: str, definition: Any) -> list[str] | None:
    """The writing actions a role allows; None when its definition cannot be read or parsed."""
    if definition is None:
        return None
    try:
        role = _OsRole.model_validate(definition)
    except ValidationError:
        return None
    actions = list(role.cluster_permissions)
    for entry in role.index_permissions:
        actions.extend(str(a) for a in entry.get("allowed_actions") or [])
    return [f"{name}:{a}" for a in actions if _OS_WRITE_ACTIONS.match(a)]


def _judge_opensearch(body: Any) -> Verdict:
    account = body.get("account") if isinstance(body, dict) else None
    if not isinstance(account, dict) or not isinstance(account.get("roles"), list):
        return Verdict("unknown", "the security plugin's account API answered without a list of roles")
    roles: dict[str, Any] = body.get("roles") or {}
    writes: list[str] = []
    unreadable: list[str] = []
    for name in account["roles"]:
        found = _role_writes(str(name), roles.get(str(name)))
        if found is None:
            if str(name) not in _OS_READ_ONLY_ROLES:
                unreadable.append(str(name))
        else:
            writes.extend(found)
    if writes:
        return Verdict("may-write", ", ".join(sorted(writes)[:12]))
    if unreadable:
        return Verdict("unknown", "cannot read the definition of role(s) " + ", ".join(sorted(unreadable))
                       + " (let the bot read its own roles, or map it to readall)")
    if not account["roles"]:
        return Verdict("unknown", "the account has no roles the security plugin reports")
    return Verdict("read-only", "roles " + ", ".join(str(r) for r in account["roles"]) + " only read")


def judge_privileges(flavour: str, body: Any, error: BaseException | None) -> Verdict:
    """The verdict on a privilege answer (or on the error that came instead of one)."""
    if error is not None:
        return _error_verdict(error)
    if flavour == "opensearch":
        return _judge_opensearch(body)
    return _judge_elasticsearch(body)
