"""The Slack `/timeline` command's work: read the channel, build the timeline, post it.

Read-only on Slack except for the two posts that are the answer: a short
Block Kit message and the Markdown export as a snippet. The channel is read
with `conversations.history` and `conversations.replies`, paginated and
bounded, from `LOOKBACK` before the moment asked about.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.deadline import Deadline, answer_deadline, use_deadline
from incidentbot.core.mask import neutralise_mentions
from incidentbot.timeline.build import Timeline, build_timeline
from incidentbot.timeline.history import DEFAULT_LIMIT, History, bound, parse_messages, read_channel
from incidentbot.timeline.markdown import render_markdown
from incidentbot.core.timeutil import hhmm

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=3)
MAX_BLOCK_TEXT = 2900


def workspace_url(client: Any, configured: str | None = None) -> str | None:
    """SLACK_WORKSPACE_URL (settings.slack.workspace_url), else what `auth.test` says; None if neither answers."""
    url = configured
    if url:
        return url
    try:
        resp = client.auth_test()
        data = getattr(resp, "data", resp)
        return (data or {}).get("url") or None
    except Exception as exc:  # permalinks degrade to slack:<channel>/<ts>, the timeline still posts
        log.warning("auth.test failed, sources will be slack:<channel>/<ts>: %s", exc)
        return None


def _mrkdwn(text: str) -> str:
    return neutralise_mentions(text)[:MAX_BLOCK_TEXT]


def timeline_blocks(tl: Timeline) -> list[dict[str, Any]]:
    """A short message: phases with durations, open questions, the narrative; the detail is in the snippet."""
    t = tl.phases.times
    phase_lines = [f"*{p}* {hhmm(v) + ' UTC' if v else '_not reached_'}" for p, v in t.items()]
    durs = [f"{name.replace('_', ' ')}: {d['text']}" for name, d in tl.durations.items() if d["text"]]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Incident timeline"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn("\n".join(phase_lines))}},
    ]
    if durs:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(" \u00b7 ".join(durs))}]})
    if tl.summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(tl.summary)}})
    if tl.open_questions:
        text = "*Open questions*\n" + "\n".join(f"\u2022 {q}" for q in tl.open_questions)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(text)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(
        f"{len(tl.entries)} entries with sources in timeline.md" + (f" \u00b7 {'; '.join(tl.notes)}" if tl.notes else ""))}]})
    return blocks


def read_history(client: Any, channel_id: str, at: datetime | None, url: str | None,
                 limit: int = DEFAULT_LIMIT) -> History:
    """The channel up to `at`, threads included, as a bounded History."""
    oldest = (at - LOOKBACK) if at else None
    raws, notes = read_channel(client, channel_id, oldest=oldest, latest=at)
    history = bound(History(channel_id, parse_messages(raws, channel_id, url)), limit)
    history.notes[:0] = notes
    return history


def channel_timeline(client: Any, channel_id: str, rt: Any, at: datetime, url: str | None,
                     deadline: Deadline | None = None) -> Timeline:
    """The channel's timeline within one answer deadline: reading the channel, the store's checks, the log read
    and the change sources all share it, so a silent store cannot hold the reply past
    INCIDENTBOT_ANSWER_DEADLINE_S. `deadline` is the one started when the request arrived (the wait for a
    worker counts), else one starts here; the sooner wins."""
    with use_deadline(deadline), answer_deadline(rt.settings.answer_deadline_s):
        return build_timeline(rt, read_history(client, channel_id, at, url), at=at, settings=rt.settings)


def post_timeline(client: Any, channel_id: str, rt: Any, thread_ts: str | None = None,
                  at: datetime | None = None, deadline: Deadline | None = None) -> None:
    """Read the channel, build the timeline, post the summary and upload the Markdown export."""
    at = rt.at(at)
    url = workspace_url(client, rt.settings.slack.workspace_url)
    tl = channel_timeline(client, channel_id, rt, at, url, deadline)
    md = render_markdown(tl)
    fallback = neutralise_mentions(tl.summary or "Incident timeline")[:3000]
    client.chat_postMessage(channel=channel_id, thread_ts=thread_ts, text=fallback, blocks=timeline_blocks(tl),
                            unfurl_links=False, unfurl_media=False)
    upload: dict[str, Any] = {"channel": channel_id, "content": md, "filename": "timeline.md",
                              "title": f"Incident timeline ({hhmm(at)} UTC)"}
    if thread_ts:
        upload["thread_ts"] = thread_ts
    client.files_upload_v2(**upload)
