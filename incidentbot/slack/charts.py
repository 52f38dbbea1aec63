"""The incident chart in the answer's thread: uploaded once per thread, replaced when the answer is.

A thread that is answered again (a follow-up, a new question in the same
thread) gets the new chart in place of the old one, so the thread never
fills with stale pictures: the bot deletes only files it uploaded itself.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.answer import Answer
from incidentbot.core.cache import BoundedCache
from incidentbot.pipeline import Runtime
from incidentbot.render.chart import chart_data, render_png

log = logging.getLogger(__name__)
MAX_THREADS = 2000


class ChartFiles:
    """(channel, thread) -> the id of the chart file the bot uploaded there (the most recent threads)."""

    def __init__(self) -> None:
        self._files: BoundedCache[tuple[str, str], str] = BoundedCache(MAX_THREADS)
        self._lock = threading.Lock()

    def swap(self, channel: str, thread_ts: str, file_id: str | None) -> str | None:
        with self._lock:
            old = self._files.pop((channel, thread_ts))
            if file_id:
                self._files.put((channel, thread_ts), file_id)
            return old


def upload_chart(client: WebClient, rt: Runtime, files: ChartFiles, channel: str, thread_ts: str,
                 answer: Answer) -> dict[str, Any] | None:
    """Render and upload the chart into the thread, removing this thread's previous chart; never raises."""
    if answer.evidence.histogram is None or not answer.evidence.histogram.times:
        return None
    try:
        png = render_png(chart_data(answer))
        resp = client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=png,
                                      filename="incident-chart.png",
                                      title=f"Failing lines over time: {answer.question[:120]}")
    except (SlackApiError, Exception) as exc:  # a chart is a courtesy: the answer is already posted
        log.warning("chart upload failed: %s", getattr(exc, "response", {}) or exc)
        return None
    uploaded = (resp.get("files") or [resp.get("file") or {}])[0]
    old = files.swap(channel, thread_ts, uploaded.get("id"))
    if old and old != uploaded.get("id"):
        try:
            client.files_delete(file=old)
        except SlackApiError as exc:
            log.info("could not remove the previous chart %s: %s", old, exc.response.get("error"))
    return uploaded
