"""An answer streamed into its thread, one task per pipeline step, then the summary and the suspects.

Watching the answer being built (fields found, 297 failing lines [Q1],
onset at 14:05 [Q2], 43 changes read, the first suspect [C1]) is what lets a
responder trust it, and shows them something within a second or two. It
goes through slack_sdk's `chat_stream` helper (chat.startStream /
appendStream / stopStream). Slack refuses a stream in some places (an older
workspace, a channel without a recipient): `start` then raises and the
caller uses the edited progress message instead, having posted nothing. A
stream that breaks midway still ends with the whole answer and a note: the
message is stopped with what is known, or, when Slack will not take even
that, edited (chat.update) into the complete answer.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.messages.chunk import PlanUpdateChunk, TaskUpdateChunk
from slack_sdk.web.chat_stream import ChatStream

from incidentbot.core.progress import STEP_TITLES, STEPS, ProgressEvent
from incidentbot.render.blocks import Rendered, context, safe, section, truncate

log = logging.getLogger(__name__)

TASK_STATUS = {"started": "in_progress", "done": "complete", "failed": "error"}
MAX_TASK_TEXT = 256
BUFFER = 1  # flush every append: a step's result is shown as soon as it is known
StreamErrors = (SlackApiError, SlackRequestError)


def error_of(exc: BaseException) -> str:
    """Slack's error code of a failed call (or the exception's text when there was no response)."""
    response = getattr(exc, "response", None)
    return str(response.get("error")) if response is not None else str(exc)


class StreamedAnswer:
    """One streamed reply in a thread; same life as `ProgressMessage`: start, event..., finish or fail."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, question: str,
                 user: str | None = None, team: str | None = None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.question = question
        self.user = user
        self.team = team
        self.ts: str | None = None
        self.broken: str | None = None  # why the stream stopped taking appends
        self.known: list[str] = []  # each finished step's line, for an answer that must end early
        self._done: set[str] = set()
        self._stream: ChatStream | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        """Open the stream with the plan (every step pending); raises when Slack refuses to stream here."""
        self._stream = self.client.chat_stream(channel=self.channel, thread_ts=self.thread_ts, buffer_size=BUFFER,
                                               recipient_user_id=self.user, recipient_team_id=self.team,
                                               task_display_mode="timeline")
        plan: list[Any] = [PlanUpdateChunk(title=truncate(f"Investigating: {safe(self.question)}", MAX_TASK_TEXT))]
        plan += [TaskUpdateChunk(id=step, title=STEP_TITLES[step], status="pending") for step in STEPS]
        self._stream.append(chunks=plan)
        self.ts = self._stream.ts
        return self.ts or ""

    def event(self, event: ProgressEvent) -> None:
        """The pipeline's progress observer: the step's task moves on, with its result and citation."""
        line = safe(event.line())
        with self._lock:
            if event.status == "done":
                self._done.add(event.step)
                self.known.append(f"{STEP_TITLES.get(event.step, event.step)}: {line}")
            if self.broken or self._stream is None:
                return
            chunk = TaskUpdateChunk(id=event.step, title=event.title, status=TASK_STATUS[event.status],
                                    details=truncate(safe(event.doing), MAX_TASK_TEXT) if event.doing else None,
                                    output=truncate(line, MAX_TASK_TEXT) if event.status != "started" else None)
            try:
                self._stream.append(chunks=[chunk])
            except StreamErrors as exc:
                self.broken = error_of(exc)
                log.warning("stream in %s broke off: %s", self.channel, self.broken)

    def finish(self, markdown: str, tail: Rendered, full: Rendered) -> None:
        """End the stream with the summary, the suspects and the buttons; when it broke, the full answer instead."""
        with self._lock:
            if not self.broken and self._stream is not None:
                try:
                    self._stream.stop(markdown_text=markdown, blocks=tail.blocks)
                    return
                except StreamErrors as exc:
                    self.broken = error_of(exc)
                    log.warning("could not end the stream in %s: %s", self.channel, self.broken)
            note = context(f"_note: the live answer broke off ({safe(self.broken or 'unknown')}); "
                           "this is the complete answer._")
            self._replace(full.blocks[:49] + [note], full.text)

    def fail(self, text: str) -> None:
        """End with what is known and why the rest is missing; never raises."""
        with self._lock:
            pending = [s for s in STEPS if s not in self._done]
            known = "\n".join(f"• {k}" for k in self.known)
            body = (f"What I found before stopping:\n{known}\n\n{text}" if known else text)
            if not self.broken and self._stream is not None:
                chunks: list[Any] = [TaskUpdateChunk(id=s, title=STEP_TITLES[s], status="error") for s in pending]
                try:
                    self._stream.stop(markdown_text=truncate(body, 11_000), chunks=chunks)
                    return
                except StreamErrors as exc:
                    self.broken = error_of(exc)
            try:
                self._replace([section(truncate(body, 2_900))], truncate(text, 300))
            except SlackApiError as exc:
                log.error("could not tell %s about a failure: %s", self.channel, exc.response.get("error"))

    def _replace(self, blocks: list[dict[str, Any]], text: str) -> None:
        """The streamed message edited into `blocks`, or a new reply when the stream never produced one."""
        if self.ts:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)
        else:
            self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=text, blocks=blocks)
