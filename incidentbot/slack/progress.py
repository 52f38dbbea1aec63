"""One Slack message that shows an investigation's progress and then becomes its answer.

A responder who asked a question needs to see at once that it was heard and
what is being searched, and later needs the answer where the question was;
posting "Investigating..." and editing that same message (chat.update) as
the pipeline's stages finish gives both without flooding the thread.
A failed update never sinks the investigation: progress is a courtesy, so
its edits are paced (`pacing`: one per interval, the latest state winning,
a 429 waited out instead of retried) while the answer always goes out.
This is the fallback where Slack refuses streaming (see `stream`).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from incidentbot.core.progress import ProgressEvent
from incidentbot.render.blocks import context, safe, section
from incidentbot.slack.pacing import EditPacing, PacedEdits

log = logging.getLogger(__name__)

STARTED = ":mag: Investigating..."


class ProgressMessage:
    """The "Investigating..." message of one question, updated in place until it holds the answer."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None, title: str = "",
                 pacing: EditPacing | None = None) -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.title = title
        self.ts: str | None = None
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.edits: PacedEdits[tuple[str, list[dict[str, Any]]]] = PacedEdits(self._edit, pacing or EditPacing())

    def _blocks(self, status: str) -> list[dict[str, Any]]:
        blocks = []
        if self.title:
            blocks.append(section(self.title))
        blocks.append(section(status))
        if self.lines:
            blocks.append(context(*(f":white_check_mark: {line}" for line in self.lines[-9:])))
        return blocks

    def start(self) -> str:
        """Post the message (in the thread when there is one); returns its ts, the thread of what follows."""
        resp = self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=STARTED,
                                            blocks=self._blocks(STARTED))
        self.ts = str(resp["ts"])
        return self.ts

    def event(self, event: ProgressEvent) -> None:
        """The pipeline's progress observer: each finished step is one more line in the same message."""
        line = event.line() if event.status != "started" else ""
        if not line or self.ts is None:
            return
        with self._lock:
            self.lines.append(safe(line))
            state = (f"{STARTED} {safe(line)}", self._blocks(STARTED))
        self.edits.offer(state)

    def _edit(self, state: tuple[str, list[dict[str, Any]]]) -> None:
        """One progress edit (PacedEdits calls it; a SlackApiError goes back to it)."""
        text, blocks = state
        self.client.chat_update(channel=self.channel, ts=self.ts or "", text=text, blocks=blocks)

    def finish(self, blocks: list[dict[str, Any]], text: str) -> None:
        """Replace the progress with the answer (raises: the caller falls back to plain text)."""
        if self.ts is None:
            raise RuntimeError("finish() before start()")
        self.edits.close()  # no progress edit can land after (and so hide) the answer
        with self._lock:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)

    def fail(self, text: str) -> None:
        """Replace the progress with an explanation; never raises."""
        self.edits.close()
        with self._lock:
            try:
                if self.ts is None:
                    self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=text,
                                                 blocks=[section(text)])
                else:
                    self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=[section(text)])
            except SlackApiError as exc:
                log.error("could not tell the channel about a failure: %s", exc.response.get("error"))
            except (SlackRequestError, OSError) as exc:  # Slack unreachable: logged, and the worker goes on
                log.error("could not tell the channel about a failure: %s", exc)
