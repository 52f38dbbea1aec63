"""The one HTTP door the REST change sources use: GET only, bounded, retried.

The bot is read-only by design, so this client has a `get` and nothing else:
no code path here can create, edit or delete anything in GitHub, Argo CD or
LaunchDarkly even if a token had the rights. Vendors throttle (429, or
GitHub's 403 with an exhausted rate limit) and blip (5xx, dropped
connections), so each GET is retried a bounded number of times, waiting what
`Retry-After` asks when it is reasonable and failing at once when it is not:
an incident answer cannot wait ten minutes for a rate limit to reset.
"""
from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from urllib.parse import urljoin, urlsplit

from incidentbot.changes.sources.base import SourceError, remaining_s

log = logging.getLogger(__name__)

USER_AGENT = "incidentbot (read-only change reader)"


class _Transient(Exception):
    """A response worth another try; carries how long the server asked us to wait."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"HTTP {response.status_code}")


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), else None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _rate_limited(response: httpx.Response) -> bool:
    """429, or GitHub's way of saying the same: 403 with no requests left."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0"


class ReadOnlyHttp:
    """A GET-only JSON client for one source; open it with `with`.

    One instance serves one `fetch`, so sources running in parallel threads
    never share a connection pool.
    """

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        *,
        timeout_s: float = 10.0,
        attempts: int = 3,
        max_wait_s: float = 20.0,
        verify: bool | str = True,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **dict(headers or {})}
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self.max_wait_s = max_wait_s
        self._verify = verify
        self._client: httpx.Client | None = None
        self.cut: str | None = None

    def __enter__(self) -> ReadOnlyHttp:
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=self._headers,
            timeout=self._timeout,
            follow_redirects=True,
            verify=self._verify,
        )
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def same_origin(self, url: str) -> bool:
        """A relative path, or an absolute URL on the configured scheme, host and port.

        Vendors put absolute URLs in pagination links; a forged or misconfigured one pointing at
        another host must not receive our token, so the sources follow next links only here.
        """
        target = urlsplit(urljoin(self.base_url + "/", url))
        base = urlsplit(self.base_url)
        return (target.scheme, target.hostname, target.port) == (base.scheme, base.hostname, base.port)

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else a short exponential backoff."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait_s)
        return min(0.25 * 2 ** (state.attempt_number - 1), 4.0)

    def _check(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if _rate_limited(response) or status >= 500:
            wait = retry_after_seconds(response.headers)
            left = remaining_s(self.max_wait_s)
            if wait is not None and wait > min(self.max_wait_s, left):
                raise SourceError(self.source, f"GET {url} answered HTTP {status}; the server asks to wait "
                                               f"{wait:.0f}s, more than the {min(self.max_wait_s, left):.0f}s left")
            raise _Transient(response, wait)
        hint = " (check the token and its read scopes)" if status in (401, 403) else ""
        body = response.text[:200].replace("\n", " ")
        raise SourceError(self.source, f"GET {url} returned HTTP {status}{hint}: {body}")

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET a path (relative to the base URL) or an absolute URL, retrying what is transient."""
        if self._client is None:
            raise RuntimeError("ReadOnlyHttp must be used inside `with`")
        client = self._client
        if not self.same_origin(url):
            raise SourceError(self.source, f"refused to send our credentials to {urlsplit(url).netloc} "
                                           f"(not the configured {urlsplit(self.base_url).netloc})")
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type((_Transient, httpx.TransportError)),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    timeout = remaining_s(self.timeout_s)
                    response = client.get(url, params=dict(params) if params else None,
                                          timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
                    self._check(url, response)
                    return response
        except _Transient as exc:
            raise SourceError(
                self.source, f"GET {url} failed with HTTP {exc.response.status_code} after {self.attempts} attempts"
            ) from exc
        except httpx.TimeoutException as exc:
            raise SourceError(self.source, f"GET {url} timed out after {self.timeout_s:.1f}s") from exc
        except httpx.TransportError as exc:
            raise SourceError(self.source, f"cannot reach {self.base_url}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and decode JSON; a body that is not JSON is the source's failure, named as such."""
        return self.decode(url, self.get(url, params))

    def decode(self, url: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise SourceError(self.source, f"GET {url} did not return JSON") from exc

    def pages(self, url: str, params: Mapping[str, Any] | None = None, *, max_pages: int = 10) -> Iterator[Any]:
        """Follow RFC 8288 `Link: <...>; rel="next"` headers (GitHub's pagination), bounded.

        `self.cut` says why the listing stopped early: the page bound, or a next link to another origin.
        """
        next_url: str | None = url
        next_params = params
        self.cut = None
        for page in range(max_pages):
            if not next_url:
                return
            response = self.get(next_url, next_params)
            yield self.decode(next_url, response)
            next_url = response.links.get("next", {}).get("url")
            next_params = None  # the next link carries its own query
            if next_url and not self.same_origin(next_url):
                log.warning("%s: not following a next link to another host (%s)", self.source, urlsplit(next_url).netloc)
                self.cut = f"stopped at a next link to another host ({urlsplit(next_url).netloc})"
                return
        if next_url:
            self.cut = f"read the first {max_pages} pages only"
