"""Every Slack listener, registered in one place (`register`).

Each listener acknowledges first (Slack's 3-second deadline, and Bolt sends
the HTTP response as soon as ack() is called), then hands the work to the
bounded `Workers`. The work posts "Investigating..." in the thread, edits it
as the pipeline's stages finish, and ends with the answer. Every expected
failure becomes a clear message in the thread; an unexpected one becomes a
short apology with an error id that is in the log. Buttons only read: they
post more of an answer already given.
"""
from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.mask import mask_secrets
from incidentbot.core.errors import StoreTimeout, StoreUnavailable, StoreUnreachable, UsageError
from incidentbot.memory.record import Asked
from incidentbot.pipeline import investigate, what_changed
from incidentbot.core.intent import Intent
from incidentbot.render import blocks as bk
from incidentbot.slack.app import Deps, masked_respond
from incidentbot.slack.charts import upload_chart
from incidentbot.slack.dedupe import dedupe_middleware
from incidentbot.slack.progress import ProgressMessage
from incidentbot.telemetry.logs import answered
from incidentbot.telemetry.metrics import observe_failure

log = logging.getLogger(__name__)

BUSY = ":hourglass: I'm busy with other questions in this channel; try again in a minute."
NOT_AVAILABLE_TIMELINE = "The timeline is not available yet."
_QUESTION_START = re.compile(r"^\s*(why|what|when|where|which|who|how|is|are|was|were|did|does|do|can|could|"
                             r"show|list|count|any)\b", re.I)
_ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")


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


def ignore_bots(body: dict[str, Any], context: Any, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
    """Global middleware: an event from a bot is acknowledged and dropped before any listener."""
    event = body.get("event") if isinstance(body, dict) else None
    if isinstance(event, dict) and is_from_bot(event, context.get("bot_user_id")):
        return BoltResponse(status=200, body="")
    next()
    return None


# ------------------------------------------------------------------ the work

def run_question(client: WebClient, deps: Deps, channel: str, thread_ts: str | None, question: str,
                 context: Intent | None, title: str = "", respond: Callable[..., Any] | None = None,
                 user: str | None = None) -> None:
    """Investigate one question, showing progress in one message that ends as the answer."""
    pm = ProgressMessage(client, channel, thread_ts, title)
    try:
        pm.start()
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("could not post in %s: %s", channel, error)
        if respond is not None:
            respond(text=f"I could not post in this channel ({error}): invite me with `/invite @incidentbot`.",
                    response_type="ephemeral")
        return
    answer_thread = thread_ts or pm.ts or ""
    try:
        answer = investigate(question, deps.rt, progress=pm.stage, context=context)
    except UsageError as exc:
        observe_failure("slack", "not_answerable")
        pm.fail(f":grey_question: I can't answer that as asked: {bk.safe(str(exc))}")
        return
    except StoreUnreachable as exc:
        observe_failure("slack", "store_unreachable")
        pm.fail(f":rotating_light: {store_trouble(exc)}, so I have no answer: {bk.safe(str(exc))}")
        return
    except Exception:
        observe_failure("slack", "failed")
        error_id = new_error_id()
        # a question may be a pasted log with secrets in it: masked (and cut) before it reaches the logs
        log.exception("investigation failed (error id %s) for %r", error_id, mask_secrets(question)[:500])
        pm.fail(f":bow: Sorry, something went wrong on my side (error id `{error_id}`). It is logged; "
                "please try again.")
        return
    deps.threads.remember(channel, answer_thread, answer.intent)
    if deps.memory is not None:
        deps.memory.record(answer, Asked(door="slack", user=user, channel=channel, thread_ts=answer_thread))
    answered(answer, "slack")
    key = deps.answers.put(answer, channel, answer_thread)
    rendered = bk.answer_blocks(answer, key)
    try:
        pm.finish(rendered.blocks, rendered.text)
    except SlackApiError as exc:
        error_id = new_error_id()
        log.error("Slack refused the answer blocks (error id %s): %s", error_id, exc.response.get("error"))
        pm.fail(f"{bk.safe(answer.summary)}\n_(the full answer could not be shown, error id `{error_id}`)_")
        return
    chart = upload_chart(client, deps.rt, deps.charts, channel, answer_thread, answer)
    if chart and len(rendered.blocks) < bk.MAX_BLOCKS:
        ref = bk.link(chart.get("permalink"), "the error-rate chart") if chart.get("permalink") else "the error-rate chart"
        try:
            pm.finish(rendered.blocks + [bk.context(f":chart_with_upwards_trend: {ref} is in this thread")],
                      rendered.text)
        except SlackApiError as exc:
            log.info("could not reference the chart: %s", exc.response.get("error"))


def start_question(client: WebClient, deps: Deps, channel: str, thread_ts: str | None, question: str,
                   title: str = "", respond: Callable[..., Any] | None = None, user: str | None = None) -> bool:
    """Queue a question, or say the channel is busy; False when it was not queued."""
    context = deps.threads.context(channel, thread_ts)
    job = lambda: run_question(client, deps, channel, thread_ts, question, context, title, respond, user)  # noqa: E731
    if deps.workers.try_submit(channel, job) is not None:
        return True
    if respond is not None:
        respond(text=BUSY, response_type="ephemeral")
    else:
        _post(client, channel, thread_ts, bk.error_blocks(BUSY))
    return False


def _post(client: WebClient, channel: str, thread_ts: str | None, msg: bk.Rendered) -> str | None:
    try:
        resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=msg.blocks, text=msg.text)
        return str(resp["ts"])
    except SlackApiError as exc:
        log.warning("chat.postMessage to %s failed: %s", channel, exc.response.get("error"))
        return None


def store_trouble(exc: StoreUnreachable) -> str:
    """One line naming the store's condition: failing (errors, unreadable answers), too slow, or unreachable."""
    if isinstance(exc, StoreUnavailable):
        return "The log store is failing"
    if isinstance(exc, StoreTimeout):
        return "The log store is too slow"
    return "I cannot reach the log store"


def _apology(exc: BaseException, what: str) -> str:
    if isinstance(exc, UsageError):
        return f":grey_question: {bk.safe(str(exc))}"
    if isinstance(exc, StoreUnreachable):
        return f":rotating_light: {store_trouble(exc)}: {bk.safe(str(exc))}"
    error_id = new_error_id()
    log.error("%s failed (error id %s)", what, error_id, exc_info=exc)
    return f":bow: Sorry, {what} failed on my side (error id `{error_id}`)."


def run_whatchanged(client: WebClient, deps: Deps, channel: str, text: str, respond: Callable[..., Any]) -> None:
    """The changes of the window, grouped by service; the full list as a snippet when it does not fit."""
    try:
        report = what_changed(deps.rt, text)
    except Exception as exc:
        respond(text=_apology(exc, "/whatchanged"), response_type="ephemeral")
        return
    rendered = bk.changes_blocks(report)
    ts = _post(client, channel, None, rendered)
    if ts is None:  # not in the channel: the response_url still works
        respond(blocks=rendered.blocks, text=rendered.text, response_type="in_channel")
        return
    if rendered.truncated:
        from incidentbot.render.terminal import render_changes

        try:
            client.files_upload_v2(channel=channel, thread_ts=ts, content=mask_secrets(render_changes(report)),
                                   filename="whatchanged.txt", title="All the changes of the window")
        except SlackApiError as exc:
            log.warning("snippet upload failed: %s", exc.response.get("error"))


def _accepted(func: Callable[..., Any], **candidates: Any) -> dict[str, Any]:
    """The keyword arguments `func` accepts, so an optional module's signature can grow freely."""
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return candidates
    return {k: v for k, v in candidates.items() if k in params}


# ------------------------------------------------------------------ registration

def register(app: App, deps: Deps) -> None:
    """Register every listener and middleware of the bot on `app`."""
    app.middleware(ignore_bots)
    app.middleware(dedupe_middleware(deps.seen))

    def answer_message(client: WebClient, channel: str, ts: str, thread_ts: str, question: str,
                       user: str | None = None) -> None:
        if not deps.seen.add(f"msg:{channel}:{ts}"):  # one user message, two events (mention + message)
            return
        if is_help(question):
            _post(client, channel, thread_ts, bk.help_blocks())
            return
        start_question(client, deps, channel, thread_ts, question, user=user)

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: Any, client: WebClient) -> None:
        """A mention is answered in its thread (a new thread under the mention when it was top-level)."""
        channel, ts = event["channel"], event["ts"]
        answer_message(client, channel, ts, event.get("thread_ts") or ts,
                       strip_mention(event.get("text") or "", context.get("bot_user_id")), event.get("user"))

    @app.event("message")
    def on_message(event: dict[str, Any], context: Any, client: WebClient) -> None:
        """Direct messages, and question-like follow-ups in a thread the bot already answered."""
        if event.get("subtype") not in _ANSWERED_SUBTYPES or is_from_bot(event, context.get("bot_user_id")):
            return
        channel, ts, text = event.get("channel"), event.get("ts"), event.get("text") or ""
        if not channel or not ts:
            return
        bot = context.get("bot_user_id")
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            answer_message(client, channel, ts, thread_ts or ts, strip_mention(text, bot), event.get("user"))
        elif thread_ts and thread_ts != ts and deps.threads.answered(channel, thread_ts):
            if mentions(text, bot) or not looks_like_question(text):
                return  # a mention is answered by on_mention; chatter between people is left alone
            answer_message(client, channel, ts, thread_ts, strip_mention(text, bot), event.get("user"))

    @app.command("/investigate")
    def on_investigate(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        question = unescape((command.get("text") or "").strip())
        if is_help(question):
            h = bk.help_blocks()
            ack(text=h.text, blocks=h.blocks, response_type="ephemeral")
            return
        ack()
        title = f"<@{command.get('user_id')}> asked: {bk.safe(question)}"
        start_question(client, deps, command["channel_id"], None, question, title=title, respond=respond,
                       user=command.get("user_id"))

    @app.command("/whatchanged")
    def on_whatchanged(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        ack()
        channel, text = command["channel_id"], unescape((command.get("text") or "").strip())
        if deps.workers.try_submit(channel, lambda: run_whatchanged(client, deps, channel, text, respond)) is None:
            respond(text=BUSY, response_type="ephemeral")

    @app.command("/timeline")
    def on_timeline(ack: Any, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        respond = masked_respond(respond)
        try:
            from incidentbot.timeline.slack import post_timeline
        except ImportError as exc:
            log.info("/timeline: incidentbot.timeline.slack not importable (%s)", exc)
            ack(text=NOT_AVAILABLE_TIMELINE, response_type="ephemeral")
            return
        ack()
        channel = command["channel_id"]
        kwargs = _accepted(post_timeline, user_id=command.get("user_id"), text=command.get("text") or "",
                           respond=respond, at=deps.rt.settings.at)

        def job() -> None:
            try:
                post_timeline(client, channel, deps.rt, **kwargs)
            except Exception as exc:
                respond(text=_apology(exc, "/timeline"), response_type="ephemeral")

        if deps.workers.try_submit(channel, job) is None:
            respond(text=BUSY, response_type="ephemeral")

    def stored_or_tell(body: dict[str, Any], client: WebClient, key: str | None) -> Any:
        stored = deps.answers.get(key)
        if stored is None:
            try:
                client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                          text="That answer is no longer in my memory: ask the question again.")
            except (SlackApiError, KeyError) as exc:
                log.warning("could not say an answer expired: %s", exc)
        return stored

    @app.action(bk.ACTION_SHOW_EVIDENCE)
    def on_show_evidence(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        stored = stored_or_tell(body, client, action.get("value"))
        if stored is not None:
            for msg in bk.evidence_messages(stored.answer):
                _post(client, stored.channel, stored.thread_ts, msg)

    @app.action(bk.ACTION_SHOW_MORE)
    def on_show_more(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        stored = stored_or_tell(body, client, action.get("value"))
        if stored is not None:
            for msg in bk.more_messages(stored.answer):
                _post(client, stored.channel, stored.thread_ts, msg)

    @app.action(bk.ACTION_SHOW_QUERY)
    def on_show_query(ack: Any, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        stored = stored_or_tell(body, client, action.get("value"))
        if stored is not None:
            try:
                client.files_upload_v2(channel=stored.channel, thread_ts=stored.thread_ts,
                                       content=bk.query_snippet(stored.answer), filename="queries.json",
                                       title="The exact queries of this answer")
            except SlackApiError as exc:
                log.warning("query snippet upload failed: %s", exc.response.get("error"))

    @app.action(bk.ACTION_OPEN_KIBANA)
    def on_open_kibana(ack: Any) -> None:
        ack()  # a link button: Slack opens the URL; the action only needs acknowledging

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        error_id = new_error_id()
        kind = body.get("type") if isinstance(body, dict) else None
        log.error("unhandled error in a listener (error id %s, request %s)", error_id, kind, exc_info=error)
