"""Rollouts and ConfigMap edits read straight from the Kubernetes API.

Uses the official client with list verbs only (AppsV1Api, CoreV1Api), on the
configured namespaces, so an RBAC role with `get, list` on replicasets,
controllerrevisions and configmaps is all it needs.

What it reports, and the limits of what the API keeps:
- Deployments: each ReplicaSet is one rollout revision (annotation
  `deployment.kubernetes.io/revision`), timed at its creationTimestamp, with
  the container images as the version. A ReplicaSet that was re-used for a
  later revision (it carries `deployment.kubernetes.io/revision-history`, or
  is older than a lower revision) is what `kubectl rollout undo` or re-applying
  an old template leaves: kind `rollback`, timed at the last non-status write
  in its managedFields (the closest the API keeps; can be a later scale).
  Only revisions still kept (`revisionHistoryLimit`, default 10) are seen.
- StatefulSets and DaemonSets: the same from ControllerRevisions (their
  `revision` field and the pod template in `data`).
- ConfigMaps: the API keeps no history, only the time each writer last wrote
  (`metadata.managedFields[].time`); so one change per ConfigMap whose latest
  write is in the window, with the keys that writer owns as `config_keys`.
  An earlier edit overwritten by a later one is lost; a ConfigMap without
  managedFields counts only by creationTimestamp; resourceVersion is opaque
  (not a clock) and only makes the id unique. Leader-election ConfigMaps and
  `kube-root-ca.crt` are ignored as noise.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from incidentbot.config import KubernetesSettings
from incidentbot.core.change import Change
from incidentbot.changes.sources._http import retry_after_seconds
from incidentbot.changes.sources.base import (
    ChangeSource,
    SourceError,
    as_utc,
    check_window,
    in_window,
    remaining_s,
)

if TYPE_CHECKING:
    from kubernetes.client import Configuration

log = logging.getLogger(__name__)

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
IGNORED_CONFIGMAPS = frozenset({"kube-root-ca.crt"})
DEFAULT_SERVICE_LABELS = ("app.kubernetes.io/name", "app")
T = TypeVar("T")


def _images(containers: Any) -> list[tuple[str, str]]:
    """(container name, image) pairs from a pod spec's containers, model objects or dicts."""
    pairs: list[tuple[str, str]] = []
    for container in containers or []:
        name = container.get("name") if isinstance(container, dict) else getattr(container, "name", None)
        image = container.get("image") if isinstance(container, dict) else getattr(container, "image", None)
        if image:
            pairs.append((str(name or "?"), str(image)))
    return pairs


def image_version(image: str) -> str:
    """The tag of an image reference (or a short digest); `latest` when it has neither."""
    if "@" in image:
        return image.split("@", 1)[1].replace("sha256:", "")[:12]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def version_of(images: list[tuple[str, str]]) -> str | None:
    """One container: its tag; several: `name=tag` pairs, so the version still says what ran."""
    if not images:
        return None
    if len(images) == 1:
        return image_version(images[0][1])
    return ",".join(f"{name}={image_version(image)}" for name, image in images)


def _last_write(meta: Any) -> datetime | None:
    """The newest managedFields time outside the status subresource (None without managedFields)."""
    times = [
        as_utc(entry.time)
        for entry in getattr(meta, "managed_fields", None) or []
        if entry.time is not None and getattr(entry, "subresource", None) != "status"
    ]
    return max(times) if times else None


def _owned_keys(fields_v1: Any) -> list[str]:
    """Keys under `f:data` / `f:binaryData` in a managedFields entry's fieldsV1."""
    keys: list[str] = []
    if isinstance(fields_v1, dict):
        for section in ("f:data", "f:binaryData"):
            for key in fields_v1.get(section) or {}:
                if key.startswith("f:"):
                    keys.append(key[2:])
    return sorted(keys)


class KubernetesSource:
    """Rollout revisions and ConfigMap writes in the configured namespaces."""

    def __init__(
        self,
        namespaces: Sequence[str],
        *,
        configuration: Configuration | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        in_cluster: bool | None = None,
        service_labels: Sequence[str] = DEFAULT_SERVICE_LABELS,
        include_configmaps: bool = True,
        timeout_s: float = 10.0,
        attempts: int = 3,
        max_wait_s: float = 20.0,
        page_size: int = 500,
        max_pages: int = 10,
    ) -> None:
        if not namespaces:
            raise ValueError("KubernetesSource needs at least one namespace")
        self.name = "kubernetes"
        self.namespaces = list(namespaces)
        self.configuration = configuration
        self.kubeconfig = kubeconfig
        self.context = context
        self.in_cluster = in_cluster
        self.service_labels = list(service_labels)
        self.include_configmaps = include_configmaps
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self.max_wait_s = max_wait_s
        self.page_size = page_size
        self.max_pages = max_pages

    # -- connection --------------------------------------------------------

    def _config(self) -> Configuration:
        """A fresh client configuration per fetch, so rotated tokens and certs are picked up."""
        # lazy, here and below: the kubernetes client is heavy and loads only when this source is configured
        from kubernetes import config as kube_config
        from kubernetes.client import Configuration

        if self.configuration is not None:
            cfg = copy.deepcopy(self.configuration)
        else:
            cfg = Configuration()
            in_cluster = bool(self.in_cluster)  # decided by the settings (KubernetesSettings.use_in_cluster)
            try:
                if in_cluster:
                    kube_config.load_incluster_config(client_configuration=cfg)
                else:
                    kube_config.load_kube_config(config_file=self.kubeconfig, context=self.context,
                                                 client_configuration=cfg, persist_config=False)
            except Exception as exc:  # the loaders raise several unrelated types
                raise SourceError(self.name, f"cannot load cluster credentials: {exc}") from exc
        cfg.retries = 0  # tenacity below does the retrying, with Retry-After
        return cfg

    def _transient(self, exc: BaseException) -> bool:
        """429/5xx and connection trouble, unless the server asks for a wait longer than we have."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        if isinstance(exc, ApiException):
            wait = self._retry_after(exc)
            if wait is not None and wait > remaining_s(self.max_wait_s):
                return False  # fail fast: an answer cannot wait out an hour-long Retry-After
            return exc.status == 429 or (exc.status or 0) >= 500
        return isinstance(exc, HTTPError)

    @staticmethod
    def _retry_after(exc: BaseException) -> float | None:
        headers = getattr(exc, "headers", None)
        return retry_after_seconds({k.lower(): v for k, v in headers.items()}) if headers else None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        headers = getattr(exc, "headers", None)
        if headers:
            wait = retry_after_seconds({k.lower(): v for k, v in headers.items()})
            if wait is not None:
                return min(wait, self.max_wait_s)
        return min(0.25 * 2 ** (state.attempt_number - 1), 4.0)

    def _call(self, what: str, namespace: str, call: Callable[..., T], **kwargs: Any) -> T:
        """One list call, bounded by the timeout and retried on 429/5xx/connection errors."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self._wait,
                            retry=retry_if_exception(self._transient), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    timeout = remaining_s(self.timeout_s)
                    result = call(namespace, _request_timeout=(min(timeout, 5.0), timeout), **kwargs)
                    if not isinstance(getattr(result, "items", None), list):
                        raise SourceError(self.name, f"listing {what} in namespace {namespace}: the answer is not "
                                                     "the documented list shape (items is not a list)")
                    return result
        except ApiException as exc:
            wait = self._retry_after(exc)
            if wait is not None and wait > remaining_s(self.max_wait_s):
                raise SourceError(self.name, f"listing {what} in namespace {namespace}: HTTP {exc.status}, and the API "
                                             f"asks to wait {wait:.0f}s, more than the time left") from exc
            hint = f" (the role needs get/list on {what})" if exc.status in (401, 403) else ""
            raise SourceError(
                self.name, f"listing {what} in namespace {namespace} failed: HTTP {exc.status} {exc.reason}{hint}"
            ) from exc
        except HTTPError as exc:
            raise SourceError(self.name, f"cannot reach the Kubernetes API listing {what} in {namespace}: {exc}") from exc
        except (ValueError, TypeError, AttributeError) as exc:  # the client could not deserialize the payload
            raise SourceError(self.name, f"listing {what} in namespace {namespace}: the answer is not the documented "
                                         f"shape ({type(exc).__name__}: {str(exc)[:120]})") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _list(self, what: str, namespace: str, call: Callable[..., Any]) -> list[Any]:
        """All items of a list call, following `metadata.continue`, bounded by max_pages."""
        items: list[Any] = []
        token: str | None = None
        for _ in range(self.max_pages):
            kwargs: dict[str, Any] = {"limit": self.page_size}
            if token:
                kwargs["_continue"] = token
            result = self._call(what, namespace, call, **kwargs)
            items.extend(result.items or [])
            token = getattr(result.metadata, "_continue", None) if result.metadata else None
            if not token:
                break
        return items

    # -- fetch -------------------------------------------------------------

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        start, end = check_window(start, end)
        try:
            from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise SourceError(self.name, "the `kubernetes` package is not installed") from exc
        changes: list[Change] = []
        with ApiClient(self._config()) as api:
            apps, core = AppsV1Api(api), CoreV1Api(api)
            for namespace in self.namespaces:
                replica_sets = self._list("replicasets", namespace, apps.list_namespaced_replica_set)
                changes += self._rollouts(namespace, "deployment", replica_sets, start, end)
                revisions = self._list("controllerrevisions", namespace, apps.list_namespaced_controller_revision)
                changes += self._rollouts(namespace, None, revisions, start, end)
                if self.include_configmaps:
                    configmaps = self._list("configmaps", namespace, core.list_namespaced_config_map)
                    changes += self._configmaps(namespace, configmaps, start, end)
        return changes

    def _service(self, meta: Any, fallback: str) -> str:
        labels = getattr(meta, "labels", None) or {}
        return next((str(labels[key]) for key in self.service_labels if labels.get(key)), fallback)

    def _rollouts(
        self, namespace: str, owner_kind: str | None, objects: list[Any], start: datetime, end: datetime
    ) -> list[Change]:
        """Revisions of each owner; ReplicaSets (owner_kind 'deployment') or ControllerRevisions (None)."""
        by_owner: dict[tuple[str, str], list[tuple[int, Any, list[tuple[str, str]]]]] = {}
        for obj in objects:
            meta = obj.metadata
            owner = next((ref for ref in meta.owner_references or [] if ref.controller is not False), None)
            if owner is None:
                continue
            if owner_kind == "deployment":
                if owner.kind != "Deployment":
                    continue
                try:
                    revision = int((meta.annotations or {}).get(REVISION, ""))
                except ValueError:
                    continue
                template = obj.spec.template if obj.spec else None
                images = _images(template.spec.containers if template and template.spec else [])
            else:
                if owner.kind not in ("StatefulSet", "DaemonSet") or obj.revision is None:
                    continue
                revision = int(obj.revision)
                data = obj.data if isinstance(obj.data, dict) else {}
                template_spec = ((data.get("spec") or {}).get("template") or {}).get("spec") or {}
                images = _images(template_spec.get("containers"))
            by_owner.setdefault((owner.kind, owner.name), []).append((revision, obj, images))

        changes: list[Change] = []
        for (kind, owner_name), revisions in by_owner.items():
            revisions.sort(key=lambda item: item[0])
            for index, (revision, obj, images) in enumerate(revisions):
                meta = obj.metadata
                created = as_utc(meta.creation_timestamp) if meta.creation_timestamp else None
                reused = bool((meta.annotations or {}).get(REVISION_HISTORY)) or any(
                    created is not None and other.metadata.creation_timestamp is not None
                    and as_utc(other.metadata.creation_timestamp) > created
                    for _, other, _ in revisions[:index]
                )
                when = (_last_write(meta) or created) if reused else created
                if not in_window(when, start, end):
                    continue
                previous_images = revisions[index - 1][2] if index > 0 else []
                version = version_of(images) or f"revision {revision}"
                previous = version_of(previous_images) if index > 0 else None
                was = dict(previous_images)
                image_lines = [
                    f"{name}: {image}" + (f" (was {was[name]})" if name in was and was[name] != image else "")
                    for name, image in images
                ]
                verb = "rolled back to" if reused else "rolled out"
                changes.append(Change(
                    id=f"kubernetes:{namespace}/{kind.lower()}/{owner_name}:{revision}",
                    timestamp=when,
                    kind="rollback" if reused else "deploy",
                    service=self._service(meta, owner_name),
                    title=f"{kind} {namespace}/{owner_name} {verb} {version} (revision {revision})",
                    description="; ".join(image_lines) or None,
                    source="kubernetes",
                    version=version,
                    previous_version=previous,
                ))
        return changes

    def _configmaps(self, namespace: str, configmaps: list[Any], start: datetime, end: datetime) -> list[Change]:
        changes: list[Change] = []
        for cm in configmaps:
            meta = cm.metadata
            if meta.name in IGNORED_CONFIGMAPS or LEADER_ANNOTATION in (meta.annotations or {}):
                continue
            entries = [e for e in meta.managed_fields or [] if e.time is not None and getattr(e, "subresource", None) != "status"]
            latest = max(entries, key=lambda e: as_utc(e.time)) if entries else None
            when = as_utc(latest.time) if latest else (as_utc(meta.creation_timestamp) if meta.creation_timestamp else None)
            if not in_window(when, start, end):
                continue
            keys = _owned_keys(latest.fields_v1) if latest else sorted((cm.data or {}).keys())
            created = meta.creation_timestamp is not None and as_utc(meta.creation_timestamp) == when
            writer = latest.manager if latest else None
            changes.append(Change(
                id=f"kubernetes:{namespace}/configmap/{meta.name}:{meta.resource_version}",
                timestamp=when,
                kind="config",
                service=self._service(meta, str(meta.name)),
                title=f"ConfigMap {namespace}/{meta.name} {'created' if created else 'changed'}"
                + (f" by {writer}" if writer else ""),
                description=("keys written: " + ", ".join(keys)) if keys else None,
                author=writer,
                source="kubernetes",
                version=f"resourceVersion {meta.resource_version}" if meta.resource_version else None,
                config_keys=keys,
            ))
        return changes


def from_settings(settings: KubernetesSettings) -> list[ChangeSource]:
    """INCIDENTBOT_K8S_NAMESPACES (+ INCIDENTBOT_K8S_CONTEXT, KUBECONFIG, INCIDENTBOT_K8S_IN_CLUSTER, ...)."""
    if not settings.namespaces:
        return []
    return [KubernetesSource(
        settings.namespaces,
        kubeconfig=settings.kubeconfig,
        context=settings.context,
        in_cluster=settings.use_in_cluster,
        service_labels=settings.service_labels or list(DEFAULT_SERVICE_LABELS),
        include_configmaps=settings.configmaps,
    )]
