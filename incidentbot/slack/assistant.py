"""The assistant pane (Slack's agent view): Bolt's `Assistant` middleware wired to the same pipeline.

A new thread gets a one-line greeting and up to four prompts that fit the
moment: what changed lately, why the service failing most recently fails
(from the data, not a fixed list), and, when the pane was opened from an
incident channel, that channel's timeline. A question sets the thread's
title, then the status names the running step ("counting checkout errors
since 14:05") while the answer streams into the thread with one task per
step. Channel mentions, DMs and slash commands keep working as before: this
only adds a door.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Assistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import (
    AssistantThreadContextStore,
)
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.pipeline import recent_failing_services
from incidentbot.render import blocks as bk
from incidentbot.slack.deps import Deps
from incidentbot.slack.messages import is_help, strip_mention
from incidentbot.core.cache import BoundedCache
from incidentbot.slack.work import Ask, apology, post, start_question
from incidentbot.core.deadline import Deadline
from incidentbot.timeline.slack import channel_timeline, timeline_blocks, workspace_url

log = logging.getLogger(__name__)

GREETING = ("Hi! I read your logs and change feeds (never write to them) and tell you what is failing, "
            "since when, and which change most likely caused it, citing everything.")
PROMPTS_TITLE = "Try one of these:"
MAX_PROMPTS = 4
MAX_TITLE = 80
_INCIDENT_NAME = re.compile(r"(^|[-_.])(inc|incident|incidents|sev\d?|outage|war-?room)([-_.\d]|$)", re.I)
_TIMELINE = re.compile(r"^\s*(the\s+)?timeline\b", re.I)
_CHANNEL_REF = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>")


class MemoryThreadContexts(AssistantThreadContextStore):
    """Which channel each assistant thread was opened from, in memory and bounded.

    Bolt's default store rewrites the greeting's metadata with chat.update
    and reads it back with conversations.replies on every message; keeping
    it here costs two Web API calls less per question, and a restart only
    loses the "opened from" channel of older threads.
    """

    def __init__(self, max_threads: int = 2000) -> None:
        self._contexts: BoundedCache[tuple[str, str], dict[str, str]] = BoundedCache(max_threads)

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self._contexts.put((channel_id, thread_ts), dict(context))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = self._contexts.get((channel_id, thread_ts))
        return AssistantThreadContext(found) if found else None


def is_incident_channel(client: WebClient, deps: Deps, channel: str) -> bool:
    """An incident channel: the bot already investigated there, or its name says so (inc-, incident-, sev1-...)."""
    if deps.recent.latest({channel}, limit=1):
        return True
    try:
        name = str((client.conversations_info(channel=channel).get("channel") or {}).get("name") or "")
    except SlackApiError as exc:
        log.info("conversations.info %s: %s", channel, exc.response.get("error"))
        return False
    return bool(_INCIDENT_NAME.search(name))


def suggested_prompts(client: WebClient, deps: Deps, from_channel: str | None) -> list[dict[str, str]]:
    """Up to four prompts from the data and the thread's context, as assistant.threads.setSuggestedPrompts wants."""
    prompts = [{"title": "What changed lately?", "message": "What changed in the last 2 hours?"}]
    try:
        failing = recent_failing_services(deps.rt)
    except Exception as exc:  # the log store may be down: the pane still opens
        log.info("no failing services for the prompts: %s", exc)
        failing = []
    prompts += [{"title": f"Why is {name} failing?"[:75], "message": f"Why is {name} failing?"} for name in failing[:2]]
    if from_channel and is_incident_channel(client, deps, from_channel):
        prompts.insert(1, {"title": "Timeline of this channel's incident",
                           "message": f"Timeline of the incident in <#{from_channel}>"})
    return prompts[:MAX_PROMPTS]


def timeline_source(question: str, thread_context: AssistantThreadContext | None) -> str | None:
    """The channel whose timeline is asked for ("timeline of <#C1>", or "timeline" in a pane opened from it)."""
    if not _TIMELINE.match(question):
        return None
    ref = _CHANNEL_REF.search(question)
    if ref:
        return ref.group(1)
    return thread_context.channel_id if thread_context is not None else None


def post_timeline_here(client: WebClient, deps: Deps, source: str, channel: str, thread_ts: str,
                       deadline: Deadline | None = None) -> None:
    """Build the timeline of `source` and post it into the assistant thread (not into the incident channel)."""
    try:
        rt = deps.rt
        tl = channel_timeline(client, source, rt, rt.at(), workspace_url(client), deadline)
        post(client, channel, thread_ts, bk.Rendered(timeline_blocks(tl), bk.truncate(bk.safe(tl.summary), 300)
                                                     or "Incident timeline"))
    except Exception as exc:
        post(client, channel, thread_ts, bk.error_blocks(apology(exc, "the timeline")))


def quietly(call: Any, *args: Any, **kwargs: Any) -> None:
    """A courtesy call (title, status): a DM thread that is not an assistant thread refuses it; answer anyway."""
    try:
        call(*args, **kwargs)
    except SlackApiError as exc:
        log.info("assistant call refused: %s", exc.response.get("error"))


def build_assistant(deps: Deps) -> Assistant:
    """The Assistant middleware with its three listeners (the context change is Bolt's default: saved here)."""
    assistant = Assistant(thread_context_store=MemoryThreadContexts())

    @assistant.thread_started
    def on_thread_started(payload: dict[str, Any], say: Any, set_suggested_prompts: Any, client: WebClient) -> None:
        from_channel = ((payload.get("assistant_thread") or {}).get("context") or {}).get("channel_id")
        say(text=GREETING)
        quietly(set_suggested_prompts, prompts=suggested_prompts(client, deps, from_channel), title=PROMPTS_TITLE)

    @assistant.user_message
    def on_user_message(payload: dict[str, Any], context: Any, client: WebClient, set_title: Any,
                        set_status: Any, get_thread_context: Any, say: Any) -> None:
        channel, thread_ts = payload["channel"], payload["thread_ts"]
        if not deps.seen.add(f"msg:{channel}:{payload.get('ts')}"):
            return
        question = strip_mention(payload.get("text") or "", context.get("bot_user_id"))
        if is_help(question):
            help_msg = bk.help_blocks()
            say(text=help_msg.text, blocks=help_msg.blocks)
            return
        quietly(set_title, bk.truncate(question, MAX_TITLE))
        source = timeline_source(question, get_thread_context())
        if source:
            deadline = Deadline(deps.rt.settings.answer_deadline_s)  # from arrival: the wait for a worker counts
            if deps.workers.try_submit(channel, lambda: post_timeline_here(client, deps, source, channel, thread_ts,
                                                                           deadline)):
                quietly(set_status, status="is reading the channel…", loading_messages=[f"reading <#{source}>"])
            return
        quietly(set_status, status="is investigating…", loading_messages=["reading the question"])
        start_question(client, deps, Ask(channel, thread_ts, question, user=payload.get("user"),
                                         team=context.get("team_id"), set_status=set_status))

    return assistant
