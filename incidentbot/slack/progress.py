"""One Slack message that shows an investigation's progress and then becomes its answer.

A responder who asked a question needs to see at once that it was heard and
what is being searched, and later needs the answer where the question was;
posting "Investigating..." and editing that same message (chat.update) as
the pipeline's stages finish gives both without flooding the thread.
A failed update never sinks the investigation: progress is a courtesy.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.render.blocks import context, safe, section
from incidentbot.core.timeutil import hhmm

log = logging.getLogger(__name__)

STARTED = ":mag: Investigating..."


def describe_stage(stage: str, info: dict[str, Any]) -> str | None:
    """The line a person reads for one finished stage of `investigate` (None: nothing to show)."""
    if stage == "intent":
        intent = info.get("intent")
        if intent is None:
            return None
        what = ", ".join(intent.services) if intent.services else "all services"
        filters = list(intent.levels) + [s.label for s in intent.status] + [f'"{t}"' for t in intent.text]
        extra = f" ({', '.join(filters)})" if filters else ""
        return f"searching {what}{extra} from {hhmm(intent.start)} to {hhmm(intent.end)} UTC"
    if stage == "evidence":
        onset = info.get("onset")
        found = f"onset found at {hhmm(onset.at)}" if onset else "no onset found"
        return f"query ran: {info.get('hits', 0)} hits; {found}"
    if stage == "ranking":
        n = len(info.get("suspects") or [])
        return f"suspects ranked ({n})" if n else "suspects ranked (no change to rank)"
    return None


class ProgressMessage:
    """The "Investigating..." message of one question, updated in place until it holds the answer."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None, title: str = "") -> None:
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.title = title
        self.ts: str | None = None
        self.lines: list[str] = []
        self._lock = threading.Lock()

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

    def stage(self, stage: str, info: dict[str, Any]) -> None:
        """The pipeline's `progress` callback: one more line, the same message."""
        line = describe_stage(stage, info)
        if not line or self.ts is None:
            return
        with self._lock:
            self.lines.append(safe(line))
            try:
                self.client.chat_update(channel=self.channel, ts=self.ts, text=f"{STARTED} {safe(line)}",
                                        blocks=self._blocks(STARTED))
            except SlackApiError as exc:
                log.warning("progress update failed: %s", exc.response.get("error"))

    def finish(self, blocks: list[dict[str, Any]], text: str) -> None:
        """Replace the progress with the answer (raises: the caller falls back to plain text)."""
        with self._lock:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)

    def fail(self, text: str) -> None:
        """Replace the progress with an explanation; never raises."""
        with self._lock:
            try:
                if self.ts is None:
                    self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, text=text,
                                                 blocks=[section(text)])
                else:
                    self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=[section(text)])
            except SlackApiError as exc:
                log.error("could not tell the channel about a failure: %s", exc.response.get("error"))
