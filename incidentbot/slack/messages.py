"""Reading what people (and bots) send: mentions, escapes, help, question-like follow-ups, bot senders.

Pure functions of the event text, kept apart from the listeners so they are
testable alone and shared by the channel, DM and assistant-thread paths.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt.response import BoltResponse

_QUESTION_START = re.compile(r"^\s*(why|what|when|where|which|who|how|is|are|was|were|did|does|do|can|could|"
                             r"show|list|count|any)\b", re.I)


def new_error_id() -> str:
    return uuid.uuid4().hex[:8]


def unescape(text: str) -> str:
    """Slack escapes &, < and > in message text; the pipeline wants what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the mention(s) of the bot."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return unescape(" ".join(text.split()))


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def is_help(question: str) -> bool:
    return question.strip().lower() in ("", "help", "?", "-h", "--help")


def looks_like_question(text: str) -> bool:
    """A thread follow-up worth answering: people also talk to each other in incident threads."""
    t = text.strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t))


def is_from_bot(event: dict[str, Any], bot_user_id: str | None = None) -> bool:
    """Messages by bots (ours included) are never answered: two bots must not talk each other into a loop."""
    return bool(event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile")
                or (bot_user_id and event.get("user") == bot_user_id))


def ignore_bots(body: dict[str, Any], context: Any, next: Callable[[], None]) -> BoltResponse | None:
    """Global middleware: an event from a bot is acknowledged and dropped before any listener."""
    event = body.get("event") if isinstance(body, dict) else None
    if isinstance(event, dict) and is_from_bot(event, context.get("bot_user_id")):
        return BoltResponse(status=200, body="")
    next()
    return None
