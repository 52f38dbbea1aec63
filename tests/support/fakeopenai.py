"""A local OpenAI-compatible chat-completions server with scripted answers, recording every request.

The real `openai` and `langchain-openai` clients talk to it over HTTP, so the
tests exercise the actual request the bot would send (model, messages, tools)
and the actual parsing of OpenAI's documented response shape.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from support.httpserve import LocalHTTPServer, Reply, send, started

from incidentbot.config import Settings


Scripted = Reply  # one scripted reply: an HTTP status, a JSON body, extra headers, and how long to stall first


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str

    def messages_text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def completion(message: dict[str, Any], finish: str, model: str = "test-model") -> dict[str, Any]:
    """The documented `chat.completion` object around one assistant message."""
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def tool_call(name: str, arguments: dict[str, Any] | str, content: str | None = None) -> Scripted:
    """A function-calling answer; `arguments` as a JSON string exactly as OpenAI sends them (or raw text)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    message = {"role": "assistant", "content": content, "refusal": None,
               "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]}
    return Scripted(200, completion(message, "tool_calls"))


def text_reply(text: str) -> Scripted:
    return Scripted(200, completion({"role": "assistant", "content": text, "refusal": None}, "stop"))


def error_reply(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Scripted:
    return Scripted(status, {"error": {"message": message, "type": kind, "param": None, "code": None}},
                    dict(headers or {}))


class FakeOpenAI(LocalHTTPServer):
    """Replays `script` in order (the last reply repeats) on POST /v1/chat/completions."""

    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.requests: list[Recorded] = []
        self.models = ["test-model"]
        self._served = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        super().__init__(self._serve)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        """GET: the model list (as `config --check` asks for it); POST: the next scripted reply."""
        headers = {k.lower(): v for k, v in h.headers.items()}
        if h.command == "GET":
            self.requests.append(Recorded(h.path, headers, {}, ""))
            reply = Reply(200 if h.path.endswith("/models") else 404,
                          {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                                                      for m in self.models]})
        else:
            raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode("utf-8")
            reply = self._next(Recorded(h.path, headers, json.loads(raw or "{}"), raw))
            if reply.delay_s:
                self._stop.wait(reply.delay_s)
        send(h, reply.status, json.dumps(reply.body).encode("utf-8"), reply.headers)

    def _next(self, request: Recorded) -> Scripted:
        with self._lock:
            self.requests.append(request)
            if not self.script:
                return error_reply(500, "nothing scripted", "server_error")
            reply = self.script[min(self._served, len(self.script) - 1)]
            self._served += 1
            return reply

    @property
    def url(self) -> str:
        return super().url + "/v1"

    def settings(self, timeout_s: float = 1.0, model: str = "test-model") -> Settings:
        return Settings(openai_api_key="sk-test-not-a-real-key", openai_base_url=self.url, llm_model=model,
                        llm_timeout_s=timeout_s)

    def stop(self) -> None:
        self._stop.set()  # a stalled reply ends now: the client's own timeout was what the test watched
        super().stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started fake OpenAI, stopped after the test."""
    yield from started(FakeOpenAI())
