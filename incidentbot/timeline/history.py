"""A Slack channel's history as typed messages: what was said, by whom, when, and where to read it.

Input is what Slack's Web API returns, so the same code serves the CLI (a saved
`conversations.history` response) and the bot (live, paginated reads):

    {"ok": true, "messages": [...newest first...], "has_more": false,
     "response_metadata": {"next_cursor": ""},
     "channel": "C123",                          # optional, ours: the channel id
     "replies": {"1710425352.000100": [...]}}    # optional, ours: conversations.replies per thread

Thread replies may also be inline in `messages` (with `thread_ts` != `ts`). A
`replies` list may start with the parent, as `conversations.replies` returns it;
duplicates (a parent, a `thread_broadcast` reply seen twice) are merged by `ts`.

Edited messages count with their current text (a `message_changed` event
replaces the original); deleted ones (`message_deleted`, tombstones) are
dropped, so a retracted "resolved!" never closes an incident. Joins, leaves and
topic changes are not things people said, and are skipped.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from incidentbot.core.errors import UsageError
from incidentbot.timeline.messages import History, Message
from incidentbot.timeline.phases import is_significant

DEFAULT_LIMIT = 1000
__all__ = ["DEFAULT_LIMIT", "History", "Message", "bound", "load_history", "parse_messages", "permalink",
           "read_channel"]
SKIPPED_SUBTYPES = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
                    "channel_archive", "channel_unarchive", "group_join", "group_leave", "pinned_item",
                    "unpinned_item", "reminder_add", "bot_add", "bot_remove", "tombstone", "message_deleted",
                    "message_replied", "ekm_access_denied"}
DELETED_TEXT = "This message was deleted."


def ts_time(ts: str) -> datetime:
    """Slack's ts ("1710425352.000100") is epoch seconds with a per-channel sequence suffix."""
    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


def permalink(channel: str, ts: str, workspace_url: str | None) -> str:
    """`https://x.slack.com/archives/C123/p1710425352000100` when the workspace is known, else `slack:C123/ts`."""
    if workspace_url:
        return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    return f"slack:{channel}/{ts}"


_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>|<(https?://[^>]+)>")
_MENTION = re.compile(r"<([@#!])([^|>]+)(?:\|([^>]+))?>")


def plain_text(text: str) -> str:
    """Slack mrkdwn to readable text: link labels, mention names, entities decoded."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(3), text or "")

    def mention(m: re.Match[str]) -> str:
        kind, ident, label = m.group(1), m.group(2), m.group(3)
        if kind == "!":
            return "@" + (label or ident.split("^")[0])
        return ("@" if kind == "@" else "#") + (label or ident)

    return html.unescape(_MENTION.sub(mention, text))


def _block_text(blocks: Iterable[Any]) -> Iterator[str]:
    """The words of Block Kit blocks (section text and fields, rich text, context)."""
    for block in blocks or []:
        if not isinstance(block, dict):
            continue
        for key in ("text",):
            value = block.get(key)
            if isinstance(value, dict) and value.get("text"):
                yield str(value["text"])
            elif isinstance(value, str):
                yield value
        for f in block.get("fields") or []:
            if isinstance(f, dict) and f.get("text"):
                yield str(f["text"])
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                if element.get("type") in ("rich_text_section", "rich_text_quote", "rich_text_preformatted",
                                           "rich_text_list"):
                    parts = [str(e.get("text") or e.get("url") or "") for e in element.get("elements") or []
                             if isinstance(e, dict)]
                    yield "".join(parts)
                elif element.get("text"):
                    t = element["text"]
                    yield str(t.get("text") if isinstance(t, dict) else t)


def message_text(raw: dict[str, Any]) -> str:
    """The text a reader sees: the message, its attachments (alert posts live there), or its blocks."""
    parts = [str(raw.get("text") or "")]
    for att in raw.get("attachments") or []:
        if not isinstance(att, dict):
            continue
        pieces = [str(att[k]) for k in ("pretext", "title", "text") if att.get(k)]
        pieces += [f"{f.get('title', '')}: {f.get('value', '')}" for f in att.get("fields") or [] if isinstance(f, dict)]
        if not pieces and att.get("fallback"):
            pieces = [str(att["fallback"])]
        parts.extend(pieces)
    if not parts[0].strip() and raw.get("blocks"):
        parts[0] = " ".join(_block_text(raw["blocks"]))
    text = "\n".join(p for p in parts if p and p.strip())
    return plain_text(text).strip()


def parse_message(raw: dict[str, Any], channel: str, workspace_url: str | None) -> Message | None:
    """One raw message as Slack returns it; None for what nobody said (joins, deletions)."""
    if not isinstance(raw, dict) or not raw.get("ts"):
        return None
    subtype = raw.get("subtype")
    if subtype == "message_changed" and isinstance(raw.get("message"), dict):
        inner = dict(raw["message"])
        inner.setdefault("ts", raw.get("ts"))
        return parse_message(inner, channel, workspace_url)
    if subtype in SKIPPED_SUBTYPES or raw.get("hidden") and subtype != "thread_broadcast":
        return None
    text = message_text(raw)
    if not text or text == DELETED_TEXT:
        return None
    profile = raw.get("bot_profile") if isinstance(raw.get("bot_profile"), dict) else {}
    is_bot = subtype == "bot_message" or bool(raw.get("bot_id")) or bool(profile)
    bot_name = (raw.get("username") or profile.get("name")) if is_bot else None
    author = str(raw.get("user") or bot_name or raw.get("bot_id") or "unknown")
    ts = str(raw["ts"])
    try:
        when = ts_time(ts)
    except ValueError:
        return None
    thread_ts = str(raw["thread_ts"]) if raw.get("thread_ts") else None
    return Message(ts=ts, time=when, author=author, text=text, is_bot=is_bot, channel=channel,
                   source=permalink(channel, ts, workspace_url), thread_ts=thread_ts, subtype=subtype,
                   bot_name=bot_name, reply_count=int(raw.get("reply_count") or 0))


def deleted_ts(raws: Iterable[dict[str, Any]]) -> set[str]:
    """The ts of every message a `message_deleted` event (or a changed-to-tombstone) removed."""
    out: set[str] = set()
    for raw in raws:
        if not isinstance(raw, dict):
            continue
        if raw.get("subtype") == "message_deleted" and raw.get("deleted_ts"):
            out.add(str(raw["deleted_ts"]))
        inner = raw.get("message")
        if raw.get("subtype") == "message_changed" and isinstance(inner, dict) and inner.get("subtype") == "tombstone":
            out.add(str(inner.get("ts") or ""))
    return out


def parse_messages(raws: list[dict[str, Any]], channel: str, workspace_url: str | None) -> list[Message]:
    """Raw messages (any order, replies included, duplicates allowed) -> unique messages in time order.

    A later `message_changed` for a ts wins over the original, so the current text is what counts.
    """
    gone = deleted_ts(raws)
    by_ts: dict[str, Message] = {}
    changed: set[str] = set()
    for raw in raws:
        msg = parse_message(raw, channel, workspace_url)
        if msg is None or msg.ts in gone:
            continue
        is_change = isinstance(raw, dict) and raw.get("subtype") == "message_changed"
        if msg.ts in changed and not is_change:
            continue
        if msg.ts in by_ts and not is_change:
            old = by_ts[msg.ts]
            if old.reply_count >= msg.reply_count:
                continue
        by_ts[msg.ts] = msg
        if is_change:
            changed.add(msg.ts)
    return sorted(by_ts.values(), key=lambda m: (m.time, m.ts))


def raw_messages(doc: Any) -> tuple[list[dict[str, Any]], str | None]:
    """The messages of a saved response (history, replies, or a bare list), and its channel if it says."""
    if isinstance(doc, list):
        return [m for m in doc if isinstance(m, dict)], None
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise ValueError("expected a conversations.history response: {\"messages\": [...]}")
    if doc.get("ok") is False:
        raise ValueError(f"the saved response is a Slack error: {doc.get('error', 'unknown')}")
    raws = [m for m in doc["messages"] if isinstance(m, dict)]
    replies = doc.get("replies") or {}
    if not isinstance(replies, dict):
        raise ValueError("\"replies\" must map a thread ts to its messages")
    for thread in replies.values():
        items = thread.get("messages") if isinstance(thread, dict) else thread
        raws.extend(m for m in items or [] if isinstance(m, dict))
    channel = doc.get("channel")
    if isinstance(channel, dict):
        channel = channel.get("id")
    return raws, (str(channel) if channel else None)


def load_history(path: str | Path, channel: str | None = None, workspace_url: str | None = None,
                 limit: int = DEFAULT_LIMIT) -> History:
    """Read a saved history file; a missing or malformed file is a usage error that names it."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--history: no such file {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--history: cannot read {p} ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--history: {p} is not JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        raws, file_channel = raw_messages(doc)
    except ValueError as exc:
        raise UsageError(f"--history: {p}: {exc}") from None
    chan = channel or file_channel or "unknown"
    return bound(History(chan, parse_messages(raws, chan, workspace_url)), limit)


def bound(history: History, limit: int = DEFAULT_LIMIT) -> History:
    """At most `limit` messages, never losing a phase marker, an alert or a finding.

    Every message is scanned; the significant ones are kept whatever their
    number, then the earliest of the rest up to the limit, and what is left is
    counted in a note, so a chatty channel cannot push "rollback complete" out.
    """
    msgs = history.messages
    if len(msgs) <= limit:
        return history
    keep = {m.ts for m in msgs if is_significant(m)}
    for m in msgs:
        if len(keep) >= limit:
            break
        keep.add(m.ts)
    kept = [m for m in msgs if m.ts in keep]
    dropped = [m for m in msgs if m.ts not in keep]
    note = (f"{len(dropped)} other messages from {len({m.author for m in dropped})} authors are summarised, "
            f"not listed (limit {limit})")
    return History(history.channel, kept, history.omitted + len(dropped),
                   len({m.author for m in dropped}), [*history.notes, note])


def read_channel(client: Any, channel: str, oldest: datetime | None = None, latest: datetime | None = None,
                 max_read: int = 10_000, page_size: int = 200) -> tuple[list[dict[str, Any]], list[str]]:
    """Read a channel and its threads with `conversations.history` / `conversations.replies` (read-only).

    Follows `response_metadata.next_cursor` while `has_more`, stopping after
    `max_read` messages so one huge channel cannot stall the bot; says so in a note.
    """
    notes: list[str] = []
    raws: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"channel": channel, "limit": page_size}
    if oldest is not None:
        kwargs["oldest"] = f"{oldest.timestamp():.6f}"
    if latest is not None:
        kwargs["latest"] = f"{latest.timestamp():.6f}"
        kwargs["inclusive"] = True
    cursor = None
    while True:
        resp = client.conversations_history(**kwargs, **({"cursor": cursor} if cursor else {}))
        page = _data(resp)
        raws.extend(m for m in page.get("messages") or [] if isinstance(m, dict))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if len(raws) >= max_read:
            if page.get("has_more"):
                notes.append(f"read the newest {len(raws)} messages only")
            break
        if not page.get("has_more") or not cursor:
            break
    parents = [m for m in raws if int(m.get("reply_count") or 0) > 0 and m.get("ts")]
    for parent in parents:
        cursor = None
        while len(raws) < max_read:
            resp = client.conversations_replies(channel=channel, ts=parent["ts"], limit=page_size,
                                                **({"cursor": cursor} if cursor else {}))
            page = _data(resp)
            raws.extend(m for m in page.get("messages") or [] if isinstance(m, dict))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
    return raws, notes


def _data(resp: Any) -> dict[str, Any]:
    """A SlackResponse or a plain dict, as a dict."""
    data = getattr(resp, "data", resp)
    return data if isinstance(data, dict) else {}
