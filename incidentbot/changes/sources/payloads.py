"""The documented shapes of the vendor payloads the change sources read (pydantic models).

Each model holds only the fields a source relies on, with their types, and
allows everything else: vendors add fields all the time, and that must not
break a source. But a payload whose parts have the wrong type (`{"items":
"nope"}`, a list where an object belongs, a deployment without an id) is
not an empty answer, it is a broken source, and `validate_payload` says so.

Shapes from the vendors' API references: Argo CD `GET /api/v1/applications`
(v1alpha1.ApplicationList), GitHub REST `deployments`, `deployments/{id}/statuses`,
`releases`, `pulls` and `repos/{owner}/{repo}`, LaunchDarkly `GET /api/v2/auditlog`
(AuditLogEntryListingRepCollection).
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# -- Argo CD -------------------------------------------------------------------------------------
class ArgoMeta(_Open):
    name: str
    namespace: str | None = None
    labels: dict[str, str] | None = None


class ArgoHistory(_Open):
    id: int | None = None
    revision: str | None = None
    revisions: list[str] | None = None
    deployedAt: str | None = None
    source: dict[str, Any] | None = None
    initiatedBy: dict[str, Any] | None = None


class ArgoStatus(_Open):
    history: list[ArgoHistory] | None = None
    operationState: dict[str, Any] | None = None


class ArgoApplication(_Open):
    metadata: ArgoMeta
    status: ArgoStatus | None = None


class ArgoApplicationList(_Open):
    """`items` is null when no application is visible: Argo CD's own way of saying none.

    Each item is checked as an `ArgoApplication` one at a time while it is read, so a listing of
    100,000 applications never exists twice in memory (once parsed, once as models).
    """

    items: list[dict[str, Any]] | None


# -- GitHub --------------------------------------------------------------------------------------
class GitHubUser(_Open):
    login: str | None = None


class GitHubDeployment(_Open):
    id: int
    created_at: str
    sha: str | None = None
    ref: str | None = None
    environment: str | None = None
    task: str | None = None
    description: str | None = None
    creator: GitHubUser | None = None


class GitHubStatus(_Open):
    id: int | None = None
    state: str
    created_at: str
    description: str | None = None


class GitHubRelease(_Open):
    id: int
    tag_name: str | None = None
    name: str | None = None
    draft: bool = False
    created_at: str | None = None
    published_at: str | None = None
    body: str | None = None


class GitHubPull(_Open):
    number: int
    title: str | None = None
    merged_at: str | None = None
    updated_at: str | None = None
    base: dict[str, Any] | None = None


class GitHubFile(_Open):
    filename: str


class GitHubRepo(_Open):
    default_branch: str | None = None


# -- LaunchDarkly --------------------------------------------------------------------------------
class LaunchDarklyEntry(_Open):
    id: str = Field(alias="_id")
    date: int
    kind: str | None = None
    name: str | None = None
    title: str | None = None


class LaunchDarklyPage(_Open):
    items: list[LaunchDarklyEntry]
    links: dict[str, Any] | None = Field(default=None, alias="_links")


GitHubDeployments = list[GitHubDeployment]
GitHubStatuses = list[GitHubStatus]
GitHubReleases = list[GitHubRelease]
GitHubPulls = list[GitHubPull]
GitHubFiles = list[GitHubFile]
