"""A local Slack for the tests and the benchmark: a fake Web API that records every call, signed requests, and the bot.

The fake Web API answers in the shapes of Slack's documentation
(`{"ok": true, ...}`) for the methods the bot uses, and records each call
with its arrival time, so a test can assert the exact sequence of posts and
updates. `BotServer` runs the real Bolt app behind the real WSGI endpoint
(`incidentbot.slack.serve`), on 127.0.0.1 and a free port.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from support.httpserve import LocalHTTPServer, WaitressLoop, as_bytes, send

from incidentbot.pipeline import Runtime
from incidentbot.slack.app import build_app
from incidentbot.slack.deps import Deps, Workers
from incidentbot.slack.serve import make_http_server, make_wsgi_app

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
BOT_ID = "BBOT"

# The incident the Slack tests answer from, and a question about it: the Slack layer needs one, not all.
SCENARIO = "coredns-forward-zone"
QUESTION = "why is shipping-api returning 503s?"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    headers: dict[str, str] = field(default_factory=dict)
    reply: Any = None


class FakeSlackAPI(LocalHTTPServer):
    """Plays the Slack Web API at http://127.0.0.1:PORT/api/ and records every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.delays: dict[str, float] = {}
        self.errors: dict[str, str] = {}
        self.rate_limited: dict[str, int] = {}  # method -> how many more calls get a 429
        self.retry_after = "0"  # the Retry-After of those 429s (seconds, as Slack sends it)
        self.stream_refusal: str | None = None  # set: chat.startStream answers this error (refuse_streaming)
        self.break_stream_after: int | None = None  # set: appends beyond this many per stream fail
        self.streams: dict[str, dict[str, Any]] = {}  # ts -> {"channel", "appends", "open"}
        self.members: dict[str, list[str]] = {}  # user -> channel ids (users.conversations)
        self.channel_names: dict[str, str] = {}  # channel id -> name (conversations.info)
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        super().__init__(self._serve)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT: uploads and response_urls live beside the Web API."""
        return super().url

    @property
    def url(self) -> str:
        return self.base + "/api/"

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        """One Web API call: its method from the path, its arguments from the query and the body; recorded."""
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("Content-Type") or ""
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        if "json" in ctype and raw:
            params.update(json.loads(raw))
        elif "x-www-form-urlencoded" in ctype and raw and not parts.path.startswith("/upload/"):
            params.update(dict(parse_qsl(raw.decode())))
        elif raw:
            params["_raw"] = raw
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/"):]
        elif parts.path.startswith("/upload/"):
            method = "upload"
        elif parts.path.startswith("/respond/"):
            method = "response_url"
            params["_path"] = parts.path
        else:
            method = parts.path
        delay = self.delays.get(method, 0.0)
        if delay:
            time.sleep(delay)
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            self.record(Call(method, params, time.monotonic(), dict(h.headers.items()), 429))
            send(h, 429, b'{"ok": false, "error": "ratelimited"}', {"Retry-After": self.retry_after})
            return
        status, body = self.reply(method, params)
        self.record(Call(method, params, time.monotonic(), dict(h.headers.items()), body))
        send(h, status, as_bytes(body), content_type="text/plain" if isinstance(body, bytes) else "application/json")

    def record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def next_ts(self) -> str:
        return f"1773000000.{next(self._ts):06d}"

    def refuse_streaming(self, error: str | None = "not_allowed_token_type") -> None:
        """Play a workspace or channel where chat.startStream is refused (None: streaming allowed again)."""
        self.stream_refusal = error

    def reply(self, method: str, p: dict[str, Any]) -> tuple[int, Any]:
        """Responses as Slack documents them (the fields the bot and slack_sdk read)."""
        if method in self.errors:
            return 200, {"ok": False, "error": self.errors[method]}
        if method.startswith("chat.") and method.endswith("Stream"):
            return 200, self._stream(method, p)
        if method.startswith("assistant.threads."):
            return 200, {"ok": True}
        if method == "views.publish":
            return 200, {"ok": True, "view": {"id": f"V{next(self._ts)}", "type": "home", **(p.get("view") or {})}}
        if method == "users.conversations":
            return 200, {"ok": True, "channels": [{"id": c} for c in self.members.get(p.get("user") or "", [])],
                         "response_metadata": {"next_cursor": ""}}
        if method == "chat.getPermalink":
            ts = str(p.get("message_ts") or "")
            return 200, {"ok": True, "channel": p.get("channel"),
                         "permalink": f"https://example.slack.com/archives/{p.get('channel')}/p{ts.replace('.', '')}"}
        if method == "conversations.info":
            cid = p.get("channel") or ""
            return 200, {"ok": True, "channel": {"id": cid, "name": self.channel_names.get(cid, "general")}}
        if method == "auth.test":
            return 200, {"ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "incidentbot",
                         "team_id": "T1", "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = self.next_ts()
            return 200, {"ok": True, "channel": p.get("channel"), "ts": ts,
                         "message": {"type": "message", "bot_id": BOT_ID, "text": p.get("text"), "ts": ts}}
        if method == "chat.update":
            return 200, {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text"),
                         "message": {"text": p.get("text")}}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": self.next_ts()}
        if method == "files.getUploadURLExternal":
            fid = f"F{next(self._ts)}"
            return 200, {"ok": True, "upload_url": f"{self.base}/upload/{fid}", "file_id": fid}
        if method == "upload":
            return 200, b"OK"
        if method == "files.completeUploadExternal":
            files = json.loads(p.get("files") or "[]")
            return 200, {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method in ("conversations.replies", "conversations.history"):
            return 200, {"ok": True, "messages": [], "has_more": False}
        if method == "response_url":
            return 200, b"ok"
        return 200, {"ok": True}

    def _stream(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """chat.startStream / appendStream / stopStream, with Slack's rules: a recipient in channels, one life."""
        channel = str(p.get("channel") or "")
        if method == "chat.startStream":
            if self.stream_refusal:
                return {"ok": False, "error": self.stream_refusal}
            if not p.get("thread_ts"):
                return {"ok": False, "error": "invalid_arguments"}
            if channel[:1] in "CG" and not (p.get("recipient_user_id") and p.get("recipient_team_id")):
                return {"ok": False, "error": "invalid_arguments"}
            ts = self.next_ts()
            self.streams[ts] = {"channel": channel, "appends": 0, "open": True}
            return {"ok": True, "channel": channel, "ts": ts}
        stream = self.streams.get(str(p.get("ts") or ""))
        if stream is None:
            return {"ok": False, "error": "message_not_found"}
        if not stream["open"]:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        if method == "chat.appendStream":
            stream["appends"] += 1
            if self.break_stream_after is not None and stream["appends"] > self.break_stream_after:
                stream["open"] = False  # Slack ended it (expired): every later call is refused
                return {"ok": False, "error": "message_not_in_streaming_state"}
        else:
            stream["open"] = False
        return {"ok": True, "channel": channel, "ts": p.get("ts")}

    # ------------------------------------------------------------ reading the record

    def of(self, method: str, channel: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method
                    and (channel is None or channel in (c.params.get("channel"), c.params.get("channel_id"),
                                                        c.params.get("_path", "").rsplit("/", 1)[-1]))]

    def wait_for(self, predicate: Callable[["FakeSlackAPI"], Any], timeout: float = 30.0) -> Any:
        """Block until `predicate(self)` is truthy (returns it), or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; calls so far: {[(c.method, c.params.get('channel')) for c in self.calls]}")
                self._cond.wait(min(left, 0.2))


def limits_ok(blocks: list[dict[str, Any]]) -> bool:
    """Slack's limits: at most 50 blocks, 3,000 chars per section/context text, 150 per header."""
    if len(blocks) > 50:
        return False
    for b in blocks:
        if b["type"] == "header" and len(b["text"]["text"]) > 150:
            return False
        if b["type"] == "section" and len(b["text"]["text"]) > 3000:
            return False
        if b["type"] == "context" and (len(b["elements"]) > 10 or any(len(e.get("text", "")) > 3000 for e in b["elements"])):
            return False
    return True


def final_update(api: FakeSlackAPI, channel: str) -> Call | None:
    """The chat.update that carries an answer (or a failure) rather than progress."""
    for c in api.of("chat.update", channel):
        if "Investigating" not in str(c.params.get("text")):
            return c
    return None


def stopped(api: FakeSlackAPI, channel: str) -> Call | None:
    """The chat.stopStream that ended an answer streamed in `channel` (accepted by the fake)."""
    for c in api.of("chat.stopStream", channel):
        if isinstance(c.reply, dict) and c.reply.get("ok"):
            return c
    return None


def chunks_of(api: FakeSlackAPI, channel: str) -> list[dict[str, Any]]:
    """Every chunk streamed into `channel`, in order (start, appends, stop)."""
    out: list[dict[str, Any]] = []
    for c in api.calls:
        if c.method in ("chat.startStream", "chat.appendStream", "chat.stopStream") and c.params.get("channel") == channel:
            out.extend(c.params.get("chunks") or [])
    return out


# ---------------------------------------------------------------- signed requests

def signature(secret: str, ts: str, body: bytes) -> str:
    """Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret."""
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, body: bytes, content_type: str, secret: str = SECRET, ts: int | None = None,
         headers: dict[str, str] | None = None, sign: bool = True) -> Response:
    """POST a request as Slack sends it, signed unless told otherwise."""
    stamp = str(int(time.time()) if ts is None else ts)
    h = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
    if sign:
        h["X-Slack-Signature"] = signature(secret, stamp, body)
    h.update(headers or {})
    req = urllib.request.Request(url, data=body, headers=h, method="POST")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
            return Response(resp.status, data, {k.lower(): v for k, v in resp.headers.items()},
                            time.monotonic() - start)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}, time.monotonic() - start)


_ids = itertools.count(1)


def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API event_callback envelope."""
    return {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
            "is_ext_shared_channel": False, "event_context": "4-abc"}


def mention(channel: str, text: str, ts: str | None = None, thread_ts: str | None = None,
            user: str = "U1", **extra: Any) -> dict[str, Any]:
    ev = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts or new_ts(),
          "channel": channel, "event_ts": ts or new_ts()}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    ev.update(extra)
    return ev


def message(channel: str, text: str, channel_type: str = "channel", thread_ts: str | None = None,
            user: str = "U1", **extra: Any) -> dict[str, Any]:
    ts = new_ts()
    ev = {"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts,
          "channel_type": channel_type}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    ev.update(extra)
    return ev


_user_ts = itertools.count(1)


def new_ts() -> str:
    return f"1772000000.{next(_user_ts):06d}"


def thread_started(dm: str, thread_ts: str, user: str = "U1", from_channel: str | None = None,
                   kind: str = "assistant_thread_started") -> dict[str, Any]:
    """assistant_thread_started (or _context_changed) as Slack sends it: the DM, the thread, where it was opened."""
    context: dict[str, Any] = {"team_id": "T1"}
    if from_channel:
        context["channel_id"] = from_channel
    return {"type": kind, "assistant_thread": {"user_id": user, "context": context, "channel_id": dm,
                                               "thread_ts": thread_ts}, "event_ts": new_ts()}


def home_opened(user: str = "U1", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "DHOME", "tab": tab, "event_ts": new_ts()}


def command_form(command: str, text: str, channel: str, response_url: str, user: str = "U1") -> bytes:
    """A slash command as Slack POSTs it (application/x-www-form-urlencoded)."""
    return urlencode({"token": "legacy", "team_id": "T1", "team_domain": "example", "channel_id": channel,
                      "channel_name": "incident", "user_id": user, "user_name": "oncall", "command": command,
                      "text": text, "api_app_id": "A1", "response_url": response_url,
                      "trigger_id": "1.2.3"}).encode()


def action_form(action_id: str, value: str, channel: str, message_ts: str, response_url: str,
                thread_ts: str | None = None, select: bool = False, user: str = "U1") -> bytes:
    """A block_actions interaction (form field `payload` holding JSON): a button, or a static_select choice."""
    if select:
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b1", "type": "static_select",
                                  "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
                                  "action_ts": str(time.time())}
    else:
        action = {"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                  "text": {"type": "plain_text", "text": "x"}, "action_ts": str(time.time())}
    message = {"type": "message", "ts": message_ts, "bot_id": BOT_ID, "text": "..."}
    container = {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False}
    if thread_ts:
        message["thread_ts"] = container["thread_ts"] = thread_ts
    payload = {"type": "block_actions", "user": {"id": user, "username": "oncall", "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "team": {"id": "T1", "domain": "example"},
               "container": container, "trigger_id": "1.2.3", "channel": {"id": channel, "name": "incident"},
               "message": message, "response_url": response_url, "actions": [action]}
    return urlencode({"payload": json.dumps(payload)}).encode()


# ---------------------------------------------------------------- the bot

class BotServer:
    """The real app behind the real WSGI endpoint, talking to a FakeSlackAPI."""

    def __init__(self, rt: Runtime, api: FakeSlackAPI, workers: Workers | None = None, **deps: Any) -> None:
        self.api = api
        self.deps = Deps(rt=rt, workers=workers or Workers(), **deps)
        self.app = build_app(BOT_TOKEN, SECRET, self.deps, api_url=api.url)
        self.server = make_http_server(make_wsgi_app(self.app, self.deps), "127.0.0.1", 0, threads=16)
        self.base = f"http://127.0.0.1:{self.server.effective_port}"
        self.url = self.base + "/slack/events"
        self._loop = WaitressLoop(self.server)

    def start(self) -> "BotServer":
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop()
        self.deps.workers.shutdown(wait=True)

    def event(self, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> Response:
        return post(self.url, json.dumps(event_body(event, event_id)).encode(), "application/json", **kw)

    def command(self, command: str, text: str, channel: str) -> Response:
        return post(self.url, command_form(command, text, channel, f"{self.api.base}/respond/{channel}"),
                    "application/x-www-form-urlencoded")

    def action(self, action_id: str, value: str, channel: str, message_ts: str, **kw: Any) -> Response:
        return post(self.url, action_form(action_id, value, channel, message_ts, f"{self.api.base}/respond/{channel}",
                                          **kw), "application/x-www-form-urlencoded")


@contextmanager
def running_bot(rt: Runtime, streaming: bool = True, **deps: Any) -> Iterator[BotServer]:
    """A started fake Slack and the real bot talking to it; both stopped however the tests ended.

    Why: every module that drives the bot end to end needs this pair; `streaming=False`
    plays a workspace where Slack refuses chat.startStream (the edited-message path).
    """
    api = FakeSlackAPI().start()
    if not streaming:
        api.refuse_streaming()
    server = BotServer(rt, api, **deps).start()
    try:
        yield server
    finally:
        server.stop()  # the bot first: its workers may still post to the fake
        api.stop()


def bot_fixture(scenario: str = SCENARIO, streaming: bool = True, **deps: Any) -> Any:
    """A module-scoped `bot` fixture: `bot = bot_fixture(...)` in a test module (the bot on `scenario`'s store).

    Why a factory: the end-to-end Slack modules differ only in the scenario, streaming
    and the bot's extras (a feedback sink); the fixture body is the same.
    """

    @pytest.fixture(scope="module", name="bot")
    def _bot(es_url: str, scenarios: dict[str, Any]) -> Iterator[BotServer]:
        with running_bot(runtime_for(scenarios[scenario], es_url), streaming, **deps) as server:
            yield server

    return _bot


def runtime_for(sc: Any, es_url: str) -> Runtime:
    """The real pipeline's runtime on one loaded scenario, replayed at its `now`."""
    from incidentbot.config import settings_from

    settings = settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index,
                             catalog_path=str(sc.catalog_path) if sc.catalog_path else None, at=sc.now)
    return Runtime.create(settings, env={})
