"""`incidentbot serve`: the Slack bot over Socket Mode or HTTP.

Socket Mode needs no public URL (good behind a firewall); HTTP mode serves
`POST /slack/events` (events, slash commands, interactivity) and
`GET /healthz` under waitress, a production WSGI server in pure Python, so
the same package runs on a laptop, a VM or a PaaS with a Procfile.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from redis.exceptions import RedisError
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from waitress.server import create_server

from incidentbot.config import Settings, SlackSettings
from incidentbot.core.errors import UsageError
from incidentbot.core.mask import install_log_masking, mask_secrets
from incidentbot.core.timeutil import iso
from incidentbot.memory import MemoryConfig, open_memory, plain
from incidentbot.pipeline import Runtime
from incidentbot.slack.app import build_app
from incidentbot.slack.deps import Deps, Workers
from incidentbot.slack.pacing import EditPacing
from incidentbot.slack.shared_state import shared_state
from incidentbot.telemetry.logs import use_json_logs
from incidentbot.telemetry.metrics import exposition, observe_request

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
HTTP_THREADS = 8

TOKENS = {"SLACK_BOT_TOKEN": "bot_token", "SLACK_APP_TOKEN": "app_token", "SLACK_SIGNING_SECRET": "signing_secret"}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def require(slack: SlackSettings, *names: str) -> dict[str, str]:
    """The named tokens (SLACK_BOT_TOKEN...), or a one-line UsageError naming the first one missing."""
    values = {}
    for name in names:
        secret = getattr(slack, TOKENS[name])
        value = secret.get_secret_value().strip() if secret is not None else ""
        if not value:
            raise UsageError(f"{name} is not set: see docs/slack.md for where to find it")
        values[name] = value
    return values


MAX_BODY = 1_000_000  # Slack's payloads are a few KB; a bigger body is not Slack


def _reply(start_response: Callable[..., Any], status: str, text: str) -> Iterable[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _well_formed(body: bytes, content_type: str) -> bool:
    """A Slack body: a JSON object (events), or a form (commands) whose `payload`, if any, is a JSON object."""
    try:
        if "json" in content_type:
            return isinstance(json.loads(body or b"null"), dict)
        form = parse_qs(body.decode("utf-8"), strict_parsing=bool(body))
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0]), dict)
        return bool(form)
    except (ValueError, UnicodeDecodeError):
        return False


def signed(body: bytes, stamp: str, signature: str, secret: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes (any bytes: slack_sdk's verifier decodes them as UTF-8 first),
    from the last five minutes."""
    try:
        age = abs((time.time() if now is None else now) - int(stamp))
    except ValueError:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return age <= 300 and hmac.compare_digest(expected, signature)


def guard_events(bolt: WSGIApp, signing_secret: str) -> WSGIApp:
    """Verify Slack's signature before anything parses the body, then check its shape.

    Bolt parses a body before its own signature check, so an unsigned `[1,2,3]` or a bare
    string once became a 500 and a logged traceback. Now: bad or missing signature -> 401,
    signed but malformed -> 400, each with one log line; only signed, well-formed bodies reach Bolt.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        peer = environ.get("REMOTE_ADDR", "?")
        if not 0 <= length <= MAX_BODY:
            log.warning("refused a Slack request from %s: bad length %s", peer, environ.get("CONTENT_LENGTH"))
            return _reply(start_response, "400 Bad Request", "bad request")
        body = environ["wsgi.input"].read(length) if length else b""
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        if signing_secret and not signed(body, stamp, environ.get("HTTP_X_SLACK_SIGNATURE", ""), signing_secret):
            log.warning("refused a Slack request from %s: missing, stale or wrong signature", peer)
            return _reply(start_response, "401 Unauthorized", "invalid signature")
        if not _well_formed(body, environ.get("CONTENT_TYPE", "")):
            log.warning("refused a signed Slack request from %s: the body is not a Slack payload", peer)
            return _reply(start_response, "400 Bad Request", "bad request")
        environ["wsgi.input"] = io.BytesIO(body)
        return bolt(environ, start_response)

    return wsgi


def make_wsgi_app(app: App, deps: Deps | None = None, signing_secret: str | None = None) -> WSGIApp:
    """Bolt's WSGI handler at POST /slack/events (behind the signature guard), plus GET /healthz."""
    # the app's own secret when none is given (Bolt keeps it; it is what Bolt itself would check)
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "") or ""
    bolt = guard_events(SlackRequestHandler(app, path=EVENTS_PATH), secret)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = json.dumps({"ok": True, "in_flight": deps.workers.in_flight() if deps else 0}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body] if method == "GET" else [b""]
        if path == METRICS_PATH and method == "GET":
            data, ctype = exposition()
            start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(data)))])
            return [data]
        if path == EVENTS_PATH and method == "POST":
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]

    return wsgi


def make_http_server(wsgi: WSGIApp, host: str, port: int, threads: int = HTTP_THREADS) -> Any:
    """A waitress server (not yet running); port 0 picks a free port (`.effective_port`)."""
    return create_server(wsgi, host=host, port=port, threads=threads, ident="incidentbot")


def build(settings: Settings, socket_mode: bool, rt: Runtime | None = None) -> tuple[App, Deps]:
    """The app and its dependencies from the settings (tokens in `settings.slack`, data in `settings.search`)."""
    names = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN") if socket_mode else ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    tokens = require(settings.slack, *names)
    signing = settings.slack.signing_secret
    deps = build_deps(rt or Runtime.create(settings), None,
                      signing.get_secret_value() if signing else tokens["SLACK_BOT_TOKEN"])
    deps.streaming = settings.slack.streaming
    deps.pacing = EditPacing(interval=settings.slack.progress_interval_s,
                             per_minute=settings.slack.progress_edits_per_min)
    api_url = settings.slack.api_url
    try:  # Bolt checks the token with auth.test now: a bad token fails here, not at the first question
        app = build_app(tokens["SLACK_BOT_TOKEN"], signing.get_secret_value() if signing else "",
                        deps, api_url=api_url, socket_mode=socket_mode)
    except BoltError as exc:
        found = re.search(r"'error': '([^']+)'", str(exc))
        raise UsageError(f"SLACK_BOT_TOKEN was refused by Slack's auth.test ({found.group(1) if found else exc})") from None
    except OSError as exc:
        raise UsageError(f"cannot reach the Slack API at {api_url or 'https://slack.com/api/'}: {exc}") from None
    return app, deps


def _count_request(record: Any) -> None:
    """A gateway observer: every request (verb, bytes) counted for /metrics."""
    observe_request(record.verb, record.bytes_out, record.bytes_in)


def build_deps(rt: Runtime, config: MemoryConfig | None, secret: str) -> Deps:
    """The listeners' dependencies: the audit memory, and Redis-backed state when INCIDENTBOT_REDIS_URL is set.

    `config` is the memory section to use (None: the runtime's own settings).
    """
    config = config if config is not None else rt.settings.memory
    memory = open_memory(rt.gateway, config)
    rt.recall = memory
    rt.gateway.observers.append(_count_request)
    rt.gateway.measure_bytes = True
    redis_url = plain(config.redis_url)
    shared: dict[str, Any] = {}
    if redis_url:
        shared = shared_state(redis_url, secret)
        try:
            shared["seen"].client.ping()
        except RedisError as exc:
            raise UsageError(f"cannot reach Redis at {mask_secrets(redis_url)} (INCIDENTBOT_REDIS_URL): {exc}") from None
        log.info("shared state (dedupe, threads, answers, channel limits) in Redis")
    slots = shared.pop("slots", None)
    deps = Deps(rt=rt, workers=Workers(slots=slots), memory=memory if memory.store else None, **shared)
    if memory.store is not None:
        deps.feedback = memory  # the feedback buttons write to the audit trail
    return deps


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run until interrupted; 0 on a clean stop (errors raise, and the CLI maps them to exit codes)."""
    logging.getLogger("incidentbot").setLevel(logging.INFO)
    if (os.environ.get("INCIDENTBOT_LOG_FORMAT") or "").lower() == "json":
        use_json_logs(sys.stderr)
    elif not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    install_log_masking()
    socket_mode = bool(getattr(args, "socket", False))
    app, deps = build(settings, socket_mode)
    if settings.at:
        log.info("replaying as of %s (INCIDENTBOT_NOW / --at)", iso(settings.at))
    try:
        if socket_mode:
            log.info("serving Slack over Socket Mode")
            SocketModeHandler(app, require(settings.slack, "SLACK_APP_TOKEN")["SLACK_APP_TOKEN"]).start()
        else:
            server = make_http_server(make_wsgi_app(app, deps), args.host, settings.slack.port)
            log.info("serving Slack at http://%s:%s%s (health: %s)", args.host, server.effective_port,
                     EVENTS_PATH, HEALTH_PATH)
            try:
                server.run()
            finally:
                server.close()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        deps.workers.shutdown(wait=False)
        if deps.memory is not None:
            deps.memory.close()
    return 0
