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


class BackendBadResponse(BackendConnectionError):
    """The cluster's answer could not be read: cut short, or not the JSON it should be."""


class BackendApiError(Exception):
    """The cluster answered with an error status."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class Backend(Protocol):
    """Each call takes its own request timeout: the gateway computes it from the answer's remaining deadline."""

    flavour: str

    def info(self, timeout: float) -> dict[str, Any]: ...
    def search(self, index: str, body: dict[str, Any], timeout: float) -> dict[str, Any]: ...
    def count(self, index: str, body: dict[str, Any], timeout: float) -> dict[str, Any]: ...
    def msearch(self, lines: Sequence[dict[str, Any]], timeout: float) -> dict[str, Any]: ...
    def field_caps(self, index: str, fields: str, timeout: float) -> dict[str, Any]: ...
    def get_mapping(self, index: str, timeout: float) -> dict[str, Any]: ...
    def get(self, index: str, doc_id: str, timeout: float) -> dict[str, Any]: ...
    def privileges(self, names: list[str], index_privileges: list[str], cluster_privileges: list[str],
                   timeout: float) -> dict[str, Any]: ...
    def close(self) -> None: ...


def _body(resp: Any) -> Any:
    return getattr(resp, "body", resp)


class _ClientBackend:
    """The read calls both client libraries spell alike; subclasses make the client and map its errors.

    `_c(timeout)` is (client, extra kwargs) for one call with that request timeout: elasticsearch-py
    takes it through `.options()`, opensearch-py as a `request_timeout` parameter.
    """

    flavour = ""
    _client: Any

    def _run(self, fn: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _c(self, timeout: float) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def _do(self, timeout: float, fn: Any) -> dict[str, Any]:
        client, kw = self._c(timeout)
        return self._run(lambda: fn(client, kw))

    def info(self, timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.info(**kw))

    def search(self, index: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.search(index=index, body=body, **kw))

    def count(self, index: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.count(index=index, body=body, **kw))

    def msearch(self, lines: Sequence[dict[str, Any]], timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: self._msearch(c, list(lines), kw))

    def _msearch(self, client: Any, lines: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
        raise NotImplementedError

    def field_caps(self, index: str, fields: str, timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.field_caps(index=index, fields=fields, ignore_unavailable=True, **kw))

    def get_mapping(self, index: str, timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.indices.get_mapping(index=index, **kw))

    def get(self, index: str, doc_id: str, timeout: float) -> dict[str, Any]:
        return self._do(timeout, lambda c, kw: c.get(index=index, id=doc_id, **kw))

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
        from elastic_transport import SerializationError
        from elasticsearch import ApiError, ConnectionTimeout, TransportError
        from elasticsearch import ConnectionError as ESConnectionError

        try:
            out: dict[str, Any] = _body(fn())
            return out
        except SerializationError as exc:
            raise BackendBadResponse(f"unreadable response: {_first_line(exc)}") from None
        except ApiError as exc:
            raise BackendApiError(int(exc.status_code), _reason(exc)) from None
        except ConnectionTimeout as exc:
            raise BackendTimeout(_first_line(exc)) from None
        except (ESConnectionError, TransportError) as exc:
            if _cut_short(exc):
                raise BackendBadResponse(f"the response was cut short ({_first_line(exc)})") from None
            raise BackendConnectionError(_first_line(exc)) from None

    def _c(self, timeout: float) -> tuple[Any, dict[str, Any]]:
        return self._client.options(request_timeout=timeout), {}

    def _msearch(self, client: Any, lines: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
        return client.msearch(searches=lines, **kw)

    def privileges(self, names: list[str], index_privileges: list[str], cluster_privileges: list[str],
                   timeout: float) -> dict[str, Any]:
        """Elasticsearch's own answer: `_security/user/_has_privileges` for the indices and the cluster."""
        return self._do(timeout, lambda c, kw: c.security.has_privileges(
            cluster=cluster_privileges, index=[{"names": names, "privileges": index_privileges}]))


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
        from opensearchpy.exceptions import ConnectionTimeout, SerializationError, TransportError

        try:
            out: dict[str, Any] = fn()
            return out
        except SerializationError as exc:
            raise BackendBadResponse(f"unreadable response: {_first_line(exc)}") from None
        except ConnectionTimeout as exc:
            raise BackendTimeout(_first_line(exc)) from None
        except OSConnectionError as exc:
            if _cut_short(exc):
                raise BackendBadResponse(f"the response was cut short ({_first_line(exc)})") from None
            raise BackendConnectionError(_first_line(exc)) from None
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 500
            raise BackendApiError(status, str(exc.error)) from None

    def _c(self, timeout: float) -> tuple[Any, dict[str, Any]]:
        return self._client, {"request_timeout": timeout}

    def _msearch(self, client: Any, lines: list[dict[str, Any]], kw: dict[str, Any]) -> Any:
        return client.msearch(body=lines, **kw)

    def privileges(self, names: list[str], index_privileges: list[str], cluster_privileges: list[str],
                   timeout: float) -> dict[str, Any]:
        """OpenSearch has no has_privileges: the security plugin's own account API names our roles,
        and each role's definition (when we may read it) says what it allows; see gateway/privileges.py."""
        account = self._do(timeout, lambda c, kw: c.transport.perform_request(
            "GET", "/_plugins/_security/api/account", params=dict(kw)))
        names_of_roles = account.get("roles") if isinstance(account, dict) else None
        roles: dict[str, Any] = {}
        for role in names_of_roles or []:
            try:
                body = self._do(timeout, lambda c, kw, r=role: c.transport.perform_request(
                    "GET", f"/_plugins/_security/api/roles/{r}", params=dict(kw)))
            except BackendApiError:
                body = None  # not allowed to read role definitions: judged by name
            roles[str(role)] = body.get(role) if isinstance(body, dict) else None
        return {"account": account, "roles": roles}


def _reason(exc: Any) -> str:
    info = getattr(exc, "body", None) or getattr(exc, "info", None)
    if isinstance(info, dict):
        err = info.get("error")
        if isinstance(err, dict):
            return str(err.get("reason") or err.get("type") or err)
        if err:
            return str(err)
    return _first_line(exc)


_CUT_SHORT = ("IncompleteRead", "Connection broken", "ProtocolError", "Response ended prematurely")


def _cut_short(exc: BaseException) -> bool:
    """A connection error that is really a response cut off mid-body (a proxy, a crashed node)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if any(mark in f"{type(cur).__name__}: {cur!r}" for mark in _CUT_SHORT):
            return True
        todo.extend([cur.__cause__, cur.__context__, *[e for e in getattr(cur, "errors", ()) or ()
                                                       if isinstance(e, BaseException)]])
        info = getattr(cur, "info", None)
        if isinstance(info, BaseException):
            todo.append(info)
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def detect_flavour(settings: Settings, timeout: float | None = None) -> str:
    """Ask the root endpoint which server this is: OpenSearch says so in version.distribution.

    `timeout` is what the answer's deadline leaves for it (else the request timeout, at most 10 s);
    a server that accepts and never answers raises BackendTimeout, not a connection error, so it is
    not retried into a longer wait.
    """
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
    wait = min(settings.request_timeout_s, 10) if timeout is None else timeout
    try:
        with urllib.request.urlopen(request, timeout=wait, context=context) as resp:
            root = json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return "elasticsearch"
        raise BackendApiError(exc.code, f"the root endpoint answered {exc.code}") from None
    except TimeoutError:
        raise BackendTimeout(f"no answer within {wait:g}s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise BackendTimeout(f"no answer within {wait:g}s") from None
        raise BackendConnectionError(_first_line(exc)) from None
    except (OSError, ValueError) as exc:
        raise BackendConnectionError(_first_line(exc)) from None
    version = root.get("version") or {}
    return "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"


def make_backend(settings: Settings, timeout: float | None = None) -> Backend:
    flavour = detect_flavour(settings, timeout)
    return OpenSearchBackend(settings) if flavour == "opensearch" else ElasticsearchBackend(settings)
