"""The two client libraries behind the gateway: elasticsearch-py and opensearch-py.

Many teams run OpenSearch, and real OpenSearch (like osmem-server) refuses
elasticsearch-py's `compatible-with` media type, so each cluster gets its own
client. A backend exposes the same few read calls and turns the library's
errors into two of ours, so the gateway above handles both alike.
"""
from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, Protocol

from incidentbot.config import Settings


class BackendConnectionError(Exception):
    """The cluster could not be reached (refused, timed out, DNS...)."""


class BackendTimeout(BackendConnectionError):
    """The cluster took longer than the request timeout to answer."""


class BackendApiError(Exception):
    """The cluster answered with an error status."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class Backend(Protocol):
    flavour: str

    def info(self) -> dict[str, Any]: ...
    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def count(self, index: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def msearch(self, lines: Sequence[dict[str, Any]]) -> dict[str, Any]: ...
    def field_caps(self, index: str, fields: str) -> dict[str, Any]: ...
    def get_mapping(self, index: str) -> dict[str, Any]: ...
    def get(self, index: str, doc_id: str) -> dict[str, Any]: ...
    def has_privileges(self, names: list[str], privileges: list[str]) -> dict[str, Any]: ...
    def close(self) -> None: ...


def _body(resp: Any) -> Any:
    return getattr(resp, "body", resp)


class _ClientBackend:
    """The read calls both client libraries spell alike; subclasses make the client and map its errors."""

    flavour = ""
    _client: Any

    def _run(self, fn: Any) -> dict[str, Any]:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        return self._run(lambda: self._client.info())

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._run(lambda: self._client.search(index=index, body=body))

    def count(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._run(lambda: self._client.count(index=index, body=body))

    def msearch(self, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return self._run(lambda: self._msearch(list(lines)))

    def _msearch(self, lines: list[dict[str, Any]]) -> Any:
        raise NotImplementedError

    def field_caps(self, index: str, fields: str) -> dict[str, Any]:
        return self._run(lambda: self._client.field_caps(index=index, fields=fields, ignore_unavailable=True))

    def get_mapping(self, index: str) -> dict[str, Any]:
        return self._run(lambda: self._client.indices.get_mapping(index=index))

    def get(self, index: str, doc_id: str) -> dict[str, Any]:
        return self._run(lambda: self._client.get(index=index, id=doc_id))

    def close(self) -> None:
        self._client.close()


class ElasticsearchBackend(_ClientBackend):
    flavour = "elasticsearch"

    def __init__(self, settings: Settings) -> None:
        # lazy, per backend: only the client of the cluster in use is loaded (each stack is heavy)
        from elasticsearch import Elasticsearch

        auth: dict[str, Any] = {}
        if settings.es_api_key:
            auth["api_key"] = settings.es_api_key
        elif settings.es_username:
            auth["basic_auth"] = (settings.es_username, settings.es_password or "")
        self._client = Elasticsearch(settings.es_url, request_timeout=settings.request_timeout_s, max_retries=0,
                                     retry_on_timeout=False, verify_certs=settings.es_verify_certs, **auth)

    def _run(self, fn: Any) -> dict[str, Any]:
        # lazy, per backend, as in __init__ (loaded by then: this costs a dictionary lookup)
        from elasticsearch import ApiError, ConnectionTimeout, TransportError
        from elasticsearch import ConnectionError as ESConnectionError

        try:
            out: dict[str, Any] = _body(fn())
            return out
        except ApiError as exc:
            raise BackendApiError(int(exc.status_code), _reason(exc)) from None
        except ConnectionTimeout as exc:
            raise BackendTimeout(_first_line(exc)) from None
        except (ESConnectionError, TransportError) as exc:
            raise BackendConnectionError(_first_line(exc)) from None

    def _msearch(self, lines: list[dict[str, Any]]) -> Any:
        return self._client.msearch(searches=lines)

    def has_privileges(self, names: list[str], privileges: list[str]) -> dict[str, Any]:
        return self._run(lambda: self._client.security.has_privileges(
            index=[{"names": names, "privileges": privileges}]))


class OpenSearchBackend(_ClientBackend):
    flavour = "opensearch"

    def __init__(self, settings: Settings) -> None:
        # lazy, per backend: opensearch-py loads only when the cluster is OpenSearch
        from opensearchpy import OpenSearch

        auth: dict[str, Any] = {}
        if settings.es_username:
            auth["http_auth"] = (settings.es_username, settings.es_password or "")
        elif settings.es_api_key:
            auth["headers"] = {"Authorization": f"ApiKey {settings.es_api_key}"}
        self._client = OpenSearch(hosts=[settings.es_url], timeout=settings.request_timeout_s, max_retries=0,
                                  retry_on_timeout=False, verify_certs=settings.es_verify_certs, **auth)

    def _run(self, fn: Any) -> dict[str, Any]:
        # lazy, per backend, as in __init__
        from opensearchpy.exceptions import ConnectionError as OSConnectionError
        from opensearchpy.exceptions import ConnectionTimeout, TransportError

        try:
            out: dict[str, Any] = fn()
            return out
        except ConnectionTimeout as exc:
            raise BackendTimeout(_first_line(exc)) from None
        except OSConnectionError as exc:
            raise BackendConnectionError(_first_line(exc)) from None
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 500
            raise BackendApiError(status, str(exc.error)) from None

    def _msearch(self, lines: list[dict[str, Any]]) -> Any:
        return self._client.msearch(body=lines)

    def has_privileges(self, names: list[str], privileges: list[str]) -> dict[str, Any]:
        # OpenSearch's security plugin has no has_privileges API.
        raise BackendApiError(404, "OpenSearch has no _has_privileges API")


def _reason(exc: Any) -> str:
    info = getattr(exc, "body", None) or getattr(exc, "info", None)
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            return str(err.get("reason") or err.get("type") or err)
        if err:
            return str(err)
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def detect_flavour(settings: Settings) -> str:
    """Ask the root endpoint which server this is: OpenSearch says so in version.distribution."""
    if settings.backend in ("elasticsearch", "opensearch"):
        return str(settings.backend)
    headers = {"Accept": "application/json"}
    request = urllib.request.Request(settings.es_url.rstrip("/") + "/", headers=headers)
    if settings.es_username:
        token = base64.b64encode(f"{settings.es_username}:{settings.es_password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    elif settings.es_api_key:
        request.add_header("Authorization", f"ApiKey {settings.es_api_key}")
    # The same certificate policy as the client libraries: INCIDENTBOT_ES_VERIFY_CERTS=false must hold here too.
    context = None
    if request.type == "https" and not settings.es_verify_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=min(settings.request_timeout_s, 10), context=context) as resp:
            root = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return "elasticsearch"
        raise BackendApiError(exc.code, f"the root endpoint answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise BackendConnectionError(_first_line(exc)) from None
    version = root.get("version") or {}
    return "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"


def make_backend(settings: Settings) -> Backend:
    flavour = detect_flavour(settings)
    return OpenSearchBackend(settings) if flavour == "opensearch" else ElasticsearchBackend(settings)
