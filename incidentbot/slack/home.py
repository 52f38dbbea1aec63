"""The App Home tab: how to ask, whether each source is healthy, and the last investigations the viewer may see.

Opened before an incident ("does this thing work, what do I type?") or
during one ("what has it already looked at?"). Examples use the real
service names of the configured data, so they can be asked as they are; the
health of each source is probed when the tab opens (bounded, read-only) and
completed with what the last answers saw; investigations are filtered to
the channels the viewer is in (users.conversations), and a DM's to its
asker, so the tab never shows a question from a channel the viewer cannot read.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from elasticsearch.dsl import Search
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incidentbot.core.timeutil import hhmm
from incidentbot.memory.store import Filter
from incidentbot.pipeline import read_changes, recent_failing_services
from incidentbot.render import blocks as bk
from incidentbot.slack.deps import Deps
from incidentbot.slack.recent import LLM, LOG_STORE, Investigation, SourceState

log = logging.getLogger(__name__)

SHOWN = 10
MAX_CANDIDATES = 200  # newest investigations read to find the viewer's ten
MAX_CHANNEL_PAGES = 5
PROBE_WINDOW = timedelta(minutes=15)


def examples(services: list[str], failing: list[str]) -> list[str]:
    """Three questions in the words people use, on services that exist (the failing ones first)."""
    names = list(dict.fromkeys(failing + services))
    if not names:  # nothing known yet (store down, empty index): questions that need no name
        return ["why are errors up since 30 minutes ago?", "what changed in the last 2 hours?",
                "how many errors per minute since 1 hour ago?"]
    a, b, c = (names * 3)[:3]
    return [f"why is {a} failing since 30 minutes ago?", f"what changed for {b} in the last 2 hours?",
            f"how many errors in {c} per minute since 1 hour ago?"]


def probe(deps: Deps) -> list[SourceState]:
    """Each source's state now: the log store counted, the change sources read over a short window."""
    rt = deps.rt
    try:
        rt.gateway.count(rt.settings.logs_index, Search().query("match_all").to_dict())
        deps.health.report(LOG_STORE, True)
    except Exception as exc:  # any failure is what the tab must show
        deps.health.report(LOG_STORE, False, str(exc))
    at = rt.at()
    try:
        _, statuses = read_changes(rt, at - PROBE_WINDOW, at)
        for status in statuses:
            deps.health.report(f"changes: {status.name}", status.ok, status.error)
    except Exception as exc:
        deps.health.report("changes", False, str(exc))
    states = deps.health.snapshot()
    if rt.settings.llm_enabled and not any(s.name == LLM for s in states):
        states.append(SourceState(LLM))
    return states


def health_line(state: SourceState) -> str:
    if state.ok is None:
        return f":white_circle: *{bk.safe(state.name)}*: configured, not used yet"
    mark = ":large_green_circle:" if state.ok else ":red_circle:"
    text = f"{mark} *{bk.safe(state.name)}*: {'reachable' if state.ok else 'failing'}"
    if state.last_error:
        when = f" at {hhmm(state.last_error_at)} UTC" if state.last_error_at else ""
        text += f" · last error{when}: {bk.safe(bk.truncate(state.last_error, 200))}"
    return text


def viewer_channels(client: WebClient, user: str) -> set[str]:
    """The public and private channels `user` is in (and the bot can see), a few pages at most."""
    channels: set[str] = set()
    cursor = None
    for _ in range(MAX_CHANNEL_PAGES):
        resp = client.users_conversations(user=user, types="public_channel,private_channel", limit=200,
                                          exclude_archived=True, cursor=cursor)
        channels.update(c["id"] for c in resp.get("channels") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return channels


def recent_items(deps: Deps) -> list[Investigation]:
    """The newest investigations: from the audit trail when there is one (every replica's, across restarts),
    else the ones this process answered."""
    store = getattr(deps.memory, "store", None)
    if store is None:
        return deps.recent.latest(limit=MAX_CANDIDATES)
    try:
        rows = store.search(Filter(limit=MAX_CANDIDATES))
    except Exception as exc:  # the audit database is optional: fall back to this process's memory
        log.warning("audit trail unreadable for the Home tab: %s", exc)
        return deps.recent.latest(limit=MAX_CANDIDATES)
    return [Investigation(r.id, r.question, r.channel, r.thread_ts, r.asked_at,
                          str((r.record or {}).get("summary") or "").split("\n", 1)[0][:200], r.user)
            for r in rows if r.channel and r.thread_ts]


def visible(client: WebClient, deps: Deps, user: str) -> list[Investigation]:
    try:
        channels = viewer_channels(client, user)
    except SlackApiError as exc:  # without the list, show nothing rather than too much
        log.warning("users.conversations failed: %s", exc.response.get("error"))
        channels = set()
    items = recent_items(deps)
    return [i for i in items if i.channel in channels or (i.channel.startswith("D") and i.user == user)][:SHOWN]


def investigation_line(client: WebClient, item: Investigation) -> str:
    try:
        url = client.chat_getPermalink(channel=item.channel, message_ts=item.thread_ts).get("permalink")
    except SlackApiError:
        url = None
    question = bk.safe(bk.truncate(item.question, 120))
    shown = bk.link(url, question) if url else question
    return f"• {shown} · <#{item.channel}> · {hhmm(item.at)} UTC\n   _{bk.safe(bk.truncate(item.headline, 200))}_"


def home_view(asks: list[str], health: list[str], recent: list[str]) -> dict[str, Any]:
    blocks = [bk.header("incidentbot: read-only incident answers"),
              bk.section("*How to ask*: mention me in a channel, DM me, open me in the assistant pane, or use "
                         "`/investigate`. For example:\n" + "\n".join(f"• `{bk.safe(a)}`" for a in asks)),
              {"type": "divider"}, bk.section("*Sources*\n" + "\n".join(health)), {"type": "divider"},
              bk.section("*Recent investigations* in your channels\n"
                         + ("\n".join(recent) if recent else "_none yet that you can see_"))]
    return {"type": "home", "blocks": bk.fit(blocks)}


def publish_home(client: WebClient, deps: Deps, user: str) -> None:
    """Build the tab for `user` and publish it (views.publish); a source that fails is shown, not raised."""
    rt = deps.rt
    try:
        services, failing = rt.fields().services, recent_failing_services(rt)
    except Exception as exc:
        log.info("no services for the Home examples: %s", exc)
        services, failing = sorted(rt.catalog.names()), []
    health = [health_line(s) for s in probe(deps)]
    if not rt.settings.llm_enabled:
        health.append(":white_circle: *LLM*: not configured (answers are deterministic)")
    recent = [investigation_line(client, i) for i in visible(client, deps, user)]
    client.views_publish(user_id=user, view=home_view(examples(services, failing), health, recent))
