"""The work behind the listeners: investigate a question, list changes, each ending as a message in Slack.

A question is answered on one surface: streamed into its thread where Slack
allows it (`stream.StreamedAnswer`), else the "Investigating..." message
edited in place (`progress.ProgressMessage`). Either way there is exactly one
reply, every expected failure becomes a clear message where the question
was, and an unexpected one a short apology with an error id that is in the
log.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.answer import Answer
from incidentbot.core.deadline import Deadline, use_deadline
from incidentbot.core.errors import StoreTimeout, StoreUnavailable, StoreUnreachable, UsageError
from incidentbot.core.mask import mask_secrets
from incidentbot.core.progress import ProgressEvent
from incidentbot.memory.record import Asked
from incidentbot.pipeline import investigate, what_changed
from incidentbot.render import blocks as bk
from incidentbot.render.terminal import render_changes
from incidentbot.slack.charts import upload_chart
from incidentbot.slack.deps import Deps
from incidentbot.slack.messages import new_error_id
from incidentbot.slack.progress import ProgressMessage
from incidentbot.slack.stream import StreamedAnswer, StreamErrors, error_of
from incidentbot.telemetry.logs import answered
from incidentbot.telemetry.metrics import observe_failure

log = logging.getLogger(__name__)

BUSY = ":hourglass: I'm busy with other questions in this channel; try again in a minute."
Surface = StreamedAnswer | ProgressMessage


@dataclass
class Ask:
    """One question and where it was asked: what the answer needs to find its way back."""

    channel: str
    thread_ts: str | None
    question: str
    user: str | None = None
    team: str | None = None
    title: str = ""
    respond: Callable[..., Any] | None = None  # a slash command's response_url
    set_status: Callable[..., Any] | None = None  # an assistant thread's assistant.threads.setStatus
    # the answer's deadline, started when the question arrived (start_question): the wait for a worker counts
    deadline: Deadline | None = None


def post(client: WebClient, channel: str, thread_ts: str | None, msg: bk.Rendered) -> str | None:
    try:
        resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=msg.blocks, text=msg.text)
        return str(resp["ts"])
    except SlackApiError as exc:
        log.warning("chat.postMessage to %s failed: %s", channel, exc.response.get("error"))
        return None


def open_surface(client: WebClient, deps: Deps, ask: Ask) -> Surface | None:
    """The stream when Slack takes one here, else the progress message; None when the bot cannot post at all."""
    if deps.streaming and ask.thread_ts:
        streamed = StreamedAnswer(client, ask.channel, ask.thread_ts, ask.question, ask.user, ask.team)
        try:
            streamed.start()
            return streamed
        except StreamErrors as exc:  # nothing was posted: the progress message is the only reply
            log.info("no stream in %s (%s): progress message instead", ask.channel, error_of(exc))
    pm = ProgressMessage(client, ask.channel, ask.thread_ts, ask.title, deps.pacing)
    try:
        pm.start()
        return pm
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("could not post in %s: %s", ask.channel, error)
        if ask.respond is not None:
            ask.respond(text=f"I could not post in this channel ({error}): invite me with `/invite @incidentbot`.",
                        response_type="ephemeral")
        return None


def observer(surface: Surface, set_status: Callable[..., Any] | None) -> Callable[[ProgressEvent], None]:
    """Each event goes to the surface, and a starting step names the assistant thread's status."""

    def see(event: ProgressEvent) -> None:
        if set_status is not None and event.status == "started" and event.doing:
            try:
                set_status(status="is investigating…", loading_messages=[bk.safe(event.doing)[:150]])
            except SlackApiError as exc:
                log.info("setStatus failed: %s", exc.response.get("error"))
        surface.event(event)

    return see


def store_trouble(exc: StoreUnreachable) -> str:
    """One line naming the store's condition: failing (errors, unreadable answers), too slow, or unreachable."""
    if isinstance(exc, StoreUnavailable):
        return "The log store is failing"
    if isinstance(exc, StoreTimeout):
        return "The log store is too slow"
    return "I cannot reach the log store"


def explained(exc: BaseException, usage_lead: str = "", store_tail: str = "") -> str | None:
    """The words for a failure people can act on (a question to rephrase, a store in trouble); None for a bug.

    Every door's failure message says these two alike; only a bug gets an
    error id, and each caller words that one itself.
    """
    if isinstance(exc, UsageError):
        return f":grey_question: {usage_lead}{bk.safe(str(exc))}"
    if isinstance(exc, StoreUnreachable):
        return f":rotating_light: {store_trouble(exc)}{store_tail}: {bk.safe(str(exc))}"
    return None


def failure_text(exc: BaseException, question: str) -> str:
    if (text := explained(exc, "I can't answer that as asked: ", ", so I have no answer")) is not None:
        return text
    error_id = new_error_id()
    # a question may be a pasted log with secrets in it: masked (and cut) before it reaches the logs
    log.error("investigation failed (error id %s) for %r", error_id, mask_secrets(question)[:500], exc_info=exc)
    return (f":bow: Sorry, something went wrong on my side (error id `{error_id}`). It is logged; "
            "please try again.")


def run_question(client: WebClient, deps: Deps, ask: Ask) -> None:
    """Investigate one question on one surface that ends as the answer (or says why it cannot)."""
    surface = open_surface(client, deps, ask)
    if surface is None:
        return
    answer_thread = ask.thread_ts or surface.ts or ""
    try:
        with use_deadline(ask.deadline):  # the pipeline keeps it: it started sooner than its own would
            answer = investigate(ask.question, deps.rt, progress=observer(surface, ask.set_status),
                                 context=deps.threads.context(ask.channel, ask.thread_ts))
    except Exception as exc:
        if isinstance(exc, StoreUnreachable):
            deps.health.report("log store", False, str(exc))
        observe_failure("slack", "not_answerable" if isinstance(exc, UsageError) else
                        "store_unreachable" if isinstance(exc, StoreUnreachable) else "failed")
        surface.fail(failure_text(exc, ask.question))
        return
    deps.threads.remember(ask.channel, answer_thread, answer.intent)
    if deps.memory is not None:
        deps.memory.record(answer, Asked(door="slack", user=ask.user, channel=ask.channel, thread_ts=answer_thread))
    answered(answer, "slack")
    key = deps.answers.put(answer, ask.channel, answer_thread)
    deps.recent.add(answer, ask.channel, answer_thread, ask.user)
    deps.health.from_answer(answer, deps.rt.settings.llm_enabled)
    rendered = bk.answer_blocks(answer, key)
    try:
        if isinstance(surface, StreamedAnswer):
            surface.finish(bk.answer_markdown(answer), bk.answer_tail_blocks(answer, key), rendered)
        else:
            surface.finish(rendered.blocks, rendered.text)
    except SlackApiError as exc:
        error_id = new_error_id()
        log.error("Slack refused the answer (error id %s): %s", error_id, exc.response.get("error"))
        surface.fail(f"{bk.safe(answer.summary)}\n_(the full answer could not be shown, error id `{error_id}`)_")
        return
    attach_chart(client, deps, ask.channel, answer_thread, answer, surface, rendered)


def attach_chart(client: WebClient, deps: Deps, channel: str, thread_ts: str, answer: Answer, surface: Surface,
                 rendered: bk.Rendered) -> None:
    """Upload the chart into the thread; an edited answer also says where it is (a streamed one is final)."""
    chart = upload_chart(client, deps.rt, deps.charts, channel, thread_ts, answer)
    if not chart or isinstance(surface, StreamedAnswer) or len(rendered.blocks) >= bk.MAX_BLOCKS:
        return
    ref = bk.link(chart.get("permalink"), "the error-rate chart") if chart.get("permalink") else "the error-rate chart"
    try:
        surface.finish(rendered.blocks + [bk.context(f":chart_with_upwards_trend: {ref} is in this thread")],
                       rendered.text)
    except SlackApiError as exc:
        log.info("could not reference the chart: %s", exc.response.get("error"))


def start_question(client: WebClient, deps: Deps, ask: Ask) -> bool:
    """Queue a question, or say the channel is busy; False when it was not queued."""
    if ask.deadline is None and deps.rt is not None:
        ask.deadline = Deadline(deps.rt.settings.answer_deadline_s)
    if deps.workers.try_submit(ask.channel, lambda: run_question(client, deps, ask)) is not None:
        return True
    if ask.respond is not None:
        ask.respond(text=BUSY, response_type="ephemeral")
    else:
        post(client, ask.channel, ask.thread_ts, bk.error_blocks(BUSY))
    return False


def apology(exc: BaseException, what: str) -> str:
    if (text := explained(exc)) is not None:
        return text
    error_id = new_error_id()
    log.error("%s failed (error id %s)", what, error_id, exc_info=exc)
    return f":bow: Sorry, {what} failed on my side (error id `{error_id}`)."


def run_whatchanged(client: WebClient, deps: Deps, channel: str, text: str, respond: Callable[..., Any]) -> None:
    """The changes of the window, grouped by service; the full list as a snippet when it does not fit."""
    try:
        report = what_changed(deps.rt, text)
    except Exception as exc:
        respond(text=apology(exc, "/whatchanged"), response_type="ephemeral")
        return
    rendered = bk.changes_blocks(report)
    ts = post(client, channel, None, rendered)
    if ts is None:  # not in the channel: the response_url still works
        respond(blocks=rendered.blocks, text=rendered.text, response_type="in_channel")
        return
    if rendered.truncated:
        try:
            client.files_upload_v2(channel=channel, thread_ts=ts, content=mask_secrets(render_changes(report)),
                                   filename="whatchanged.txt", title="All the changes of the window")
        except SlackApiError as exc:
            log.warning("snippet upload failed: %s", exc.response.get("error"))
