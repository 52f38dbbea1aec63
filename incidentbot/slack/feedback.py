"""Feedback on an answer: helpful / not helpful, and which change was the cause, stored through a `FeedbackSink`.

Responders know the cause long before any dataset does; one click under the
answer ("the cause was C2", "none of these") is the cheapest label there
is, and the bench's feedback report reads them back. The buttons carry the
answer's investigation_id, so feedback joins its audit record without the
Slack layer keeping anything. It is acknowledged to the clicker only
(ephemeral, in the thread), so a thread is not filled with thank-yous.
"""
from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.feedback import NONE_OF_THESE, Feedback, FeedbackSink
from incidentbot.render import blocks as bk
from incidentbot.slack.messages import new_error_id

log = logging.getLogger(__name__)


def feedback_from(body: dict[str, Any], action: dict[str, Any]) -> Feedback | None:
    """The Feedback a block_actions click means, or None when the payload is not one of ours."""
    action_id = action.get("action_id")
    user = (body.get("user") or {}).get("id") or ""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread = message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts")
    if action_id == bk.ACTION_FEEDBACK_CAUSE:
        value = str((action.get("selected_option") or {}).get("value") or "")
        investigation, _, cause = value.partition("|")
        if not investigation or not cause:
            return None
        cause = NONE_OF_THESE if cause == bk.NONE_OF_THESE_VALUE else cause
        return Feedback(investigation, user, channel, thread, cause_change_id=cause)
    if action_id in (bk.ACTION_FEEDBACK_HELPFUL, bk.ACTION_FEEDBACK_NOT_HELPFUL) and action.get("value"):
        return Feedback(str(action["value"]), user, channel, thread,
                        helpful=action_id == bk.ACTION_FEEDBACK_HELPFUL)
    return None


def thanks(fb: Feedback) -> str:
    if fb.cause_change_id == NONE_OF_THESE:
        return ":memo: Noted: none of the listed changes was the cause. Thank you; it teaches the ranking."
    if fb.cause_change_id:
        return f":memo: Noted: the cause was `{bk.safe(fb.cause_change_id)}`. Thank you; it teaches the ranking."
    return ":memo: Noted as helpful. Thank you." if fb.helpful else \
        ":memo: Noted as not helpful. Thank you; saying what was missing in the thread helps too."


def take_feedback(client: WebClient, sink: FeedbackSink, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Store the click, then tell the clicker (only them) that it was kept, or that it was not."""
    fb = feedback_from(body, action)
    if fb is None:
        log.info("ignored a feedback action without an investigation id: %s", action.get("action_id"))
        return
    try:
        sink.record_feedback(fb)
        text = thanks(fb)
    except Exception:  # a database sink may fail; the person must not think it was kept
        error_id = new_error_id()
        log.exception("feedback not stored (error id %s)", error_id)
        text = f":bow: Sorry, your feedback could not be stored (error id `{error_id}`)."
    if not fb.channel or not fb.user:
        return
    try:
        client.chat_postEphemeral(channel=fb.channel, user=fb.user, thread_ts=fb.thread_ts, text=text)
    except SlackApiError as exc:
        log.warning("could not acknowledge feedback: %s", exc.response.get("error"))
