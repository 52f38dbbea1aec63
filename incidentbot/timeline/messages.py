"""The timeline's types: one message of a channel, and a channel's (possibly bounded) history.

Reading a channel (history.py) and classifying its messages (phases.py) both
use these, so they sit below both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Message:
    """One thing said in the channel, with the link a reader follows to check it."""

    ts: str
    time: datetime
    author: str
    text: str
    is_bot: bool
    channel: str
    source: str
    thread_ts: str | None = None
    subtype: str | None = None
    bot_name: str | None = None
    reply_count: int = 0

    @property
    def is_reply(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts


@dataclass
class History:
    """A channel's messages in time order, plus what was left out of a bounded read."""

    channel: str
    messages: list[Message]
    omitted: int = 0
    omitted_authors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def first(self) -> Message | None:
        return self.messages[0] if self.messages else None

    @property
    def last(self) -> Message | None:
        return self.messages[-1] if self.messages else None
