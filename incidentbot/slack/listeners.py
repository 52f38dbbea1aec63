"""Every Slack listener, registered in one place (`register`), one small function per kind.

Each listener acknowledges first (Slack's 3-second deadline; Bolt sends the
HTTP response as soon as ack() is called, and acknowledges events before
their listener runs), then hands the work to the bounded `Workers`
(`work.py`). Buttons only read (they post more of an answer already given)
or record feedback; nothing here writes anywhere else.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.answer import Answer
from incidentbot.core.deadline import Deadline
from incidentbot.render import blocks as bk
from incidentbot.slack.assistant import build_assistant
from incidentbot.slack.dedupe import dedupe_middleware
from incidentbot.slack.deps import Deps, masked_respond
from incidentbot.slack.feedback import take_feedback
from incidentbot.slack.home import publish_home
from incidentbot.slack.messages import (
    ignore_bots,
    is_from_bot,
    is_help,
    looks_like_question,
    mentions,
    new_error_id,
    strip_mention,
    unescape,
)
from incidentbot.slack.threads import StoredAnswer
from incidentbot.slack.work import (
    BUSY,
    Ask,
    apology,
    post,
    run_whatchanged,
    start_question,
)
from incidentbot.timeline.slack import post_timeline

log = logging.getLogger(__name__)

_ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app: App, deps: Deps) -> None:
    """Register every middleware and listener of the bot on `app` (bots are dropped first, then retries)."""
    app.middleware(ignore_bots)
    app.middleware(dedupe_middleware(deps.seen))
    app.use(build_assistant(deps))
    register_messages(app, deps)
    register_commands(app, deps)
    register_buttons(app, deps)
    register_feedback(app, deps)
    register_home(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        kind = body.get("type") if isinstance(body, dict) else None
        log.error("unhandled error in a listener (error id %s, request %s)", new_error_id(), kind, exc_info=error)


def answer_message(client: WebClient, deps: Deps, event: dict[str, Any], thread_ts: str, question: str,
                   team: str | None) -> None:
    """Answer one person's message once (a mention also arrives as a message event)."""
    channel, ts = event["channel"], event["ts"]
    if not deps.seen.add(f"msg:{channel}:{ts}"):
        return
    if is_help(question):
        post(client, channel, thread_ts, bk.help_blocks())
        return
    start_question(client, deps, Ask(channel, thread_ts, question, user=event.get("user"), team=team))


def register_messages(app: App, deps: Deps) -> None:
    """Mentions, direct messages, and question-like follow-ups in threads the bot answered."""

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: Any, client: WebClient) -> None:
        """A mention is answered in its thread (a new thread under the mention when it was top-level)."""
        answer_message(client, deps, event, event.get("thread_ts") or event["ts"],
                       strip_mention(event.get("text") or "", context.get("bot_user_id")), context.get("team_id"))

    @app.event("message")
    def on_message(event: dict[str, Any], context: Any, client: WebClient) -> None:
        if event.get("subtype") not in _ANSWERED_SUBTYPES or is_from_bot(event, context.get("bot_user_id")):
            return
        channel, ts, text = event.get("channel"), event.get("ts"), event.get("text") or ""
        if not channel or not ts:
            return
        bot, team = context.get("bot_user_id"), context.get("team_id")
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            answer_message(client, deps, event, thread_ts or ts, strip_mention(text, bot), team)
        elif thread_ts and thread_ts != ts and deps.threads.answered(channel, thread_ts):
            if mentions(text, bot) or not looks_like_question(text):
                return  # a mention is answered by on_mention; chatter between people is left alone
            answer_message(client, deps, event, thread_ts, strip_mention(text, bot), team)


def register_commands(app: App, deps: Deps) -> None:
    """/investigate, /whatchanged and /timeline: acknowledged at once, answered by the workers."""

    @app.command("/investigate")
    def on_investigate(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        respond = masked_respond(respond)
        question = unescape((command.get("text") or "").strip())
        if is_help(question):
            h = bk.help_blocks()
            ack(text=h.text, blocks=h.blocks, response_type="ephemeral")
            return
        ack()
        title = f"<@{command.get('user_id')}> asked: {bk.safe(question)}"
        start_question(client, deps, Ask(command["channel_id"], None, question, user=command.get("user_id"),
                                         team=command.get("team_id"), title=title, respond=respond))

    @app.command("/whatchanged")
    def on_whatchanged(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        respond = masked_respond(respond)
        ack()
        channel, text = command["channel_id"], unescape((command.get("text") or "").strip())
        if deps.workers.try_submit(channel, lambda: run_whatchanged(client, deps, channel, text, respond)) is None:
            respond(text=BUSY, response_type="ephemeral")

    @app.command("/timeline")
    def on_timeline(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        ack()
        channel = command["channel_id"]
        deadline = Deadline(deps.rt.settings.answer_deadline_s)  # from arrival: the wait for a worker counts

        def job() -> None:
            try:
                post_timeline(client, channel, deps.rt, at=deps.rt.settings.at, deadline=deadline)
            except Exception as exc:
                respond(text=apology(exc, "/timeline"), response_type="ephemeral")

        if deps.workers.try_submit(channel, job) is None:
            respond(text=BUSY, response_type="ephemeral")


def stored_or_tell(deps: Deps, body: dict[str, Any], client: WebClient, key: str | None) -> StoredAnswer | None:
    """The answer behind a button, or an ephemeral "ask again" when it is no longer in memory."""
    stored = deps.answers.get(key)
    if stored is None:
        try:
            client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                      text="That answer is no longer in my memory: ask the question again.")
        except (SlackApiError, KeyError) as exc:
            log.warning("could not say an answer expired: %s", exc)
    return stored


def more_of_answer(deps: Deps, messages_of: Callable[[Answer], list[bk.Rendered]]) -> Callable[..., None]:
    """A button listener posting more of a stored answer (`messages_of` it) into the answer's thread.

    One listener shape for every "show more" button, so a new button is one
    line in `register_buttons`, not a copy of this body.
    """

    def on_more(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        stored = stored_or_tell(deps, body, client, action.get("value"))
        if stored is not None:
            for msg in messages_of(stored.answer):
                post(client, stored.channel, stored.thread_ts, msg)

    return on_more


def register_buttons(app: App, deps: Deps) -> None:
    """The read-only buttons: more of the same answer, in the same thread."""

    app.action(bk.ACTION_SHOW_EVIDENCE)(more_of_answer(deps, bk.evidence_messages))
    app.action(bk.ACTION_SHOW_MORE)(more_of_answer(deps, bk.more_messages))

    @app.action(bk.ACTION_SHOW_QUERY)
    def on_show_query(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        stored = stored_or_tell(deps, body, client, action.get("value"))
        if stored is None:
            return
        try:
            client.files_upload_v2(channel=stored.channel, thread_ts=stored.thread_ts,
                                   content=bk.query_snippet(stored.answer), filename="queries.json",
                                   title="The exact queries of this answer")
        except SlackApiError as exc:
            log.warning("query snippet upload failed: %s", exc.response.get("error"))

    @app.action(bk.ACTION_OPEN_KIBANA)
    def on_open_kibana(ack: Any) -> None:
        ack()  # a link button: Slack opens the URL; the action only needs acknowledging


def register_feedback(app: App, deps: Deps) -> None:
    """Helpful / not helpful and "the cause was...": stored through the feedback sink, thanked ephemerally."""

    for action_id in bk.FEEDBACK_ACTIONS:
        @app.action(action_id)
        def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            ack()
            take_feedback(client, deps.feedback, body, action)


def register_home(app: App, deps: Deps) -> None:
    """The Home tab, built when it is opened (app_home_opened is acknowledged before this runs)."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        try:
            publish_home(client, deps, event["user"])
        except SlackApiError as exc:
            log.warning("views.publish for %s failed: %s", event.get("user"), exc.response.get("error"))
