"""Block Kit renderings of an Answer and a ChangeReport, inside Slack's limits.

Slack rejects a whole message when one block breaks a limit (50 blocks,
3,000 characters per section text, 150 per header), and an incident is the
worst moment for a silent failure; so every rendering goes through `fit()`,
and what cannot fit is reachable behind a read-only button that posts the
rest in the thread (or a snippet, for the full query JSON).

Every text that may come from a log line, a change feed or a person passes
`safe()`: secrets masked, then mentions neutralised, then Slack's control
characters escaped, so a log line can neither leak a credential, page a
channel nor forge a link.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from incidentbot.core.mask import mask_secrets, neutralise_mentions
from incidentbot.core.answer import Answer
from incidentbot.core.change import Change, ChangeReport
from incidentbot.core.timeutil import hhmm, iso
from incidentbot.render.unranked import HEADING as UNRANKED_HEADING
from incidentbot.render.unranked import store_failed, unranked_changes

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_SUSPECTS_SHOWN = 5
MAX_PATTERNS_SHOWN = 5
MAX_UNRANKED_SHOWN = 10  # the changes listed when the log store failed (the terminal lists 20: Slack is read in a thread)
EVIDENCE_PREVIEW = 3

# /whatchanged risk flag: the pipeline's risk (ranking/history.py: rolled back
# before, behaviour-changing and recent, schema or infra), shown as a warning.
RISK_FLAG = ":warning:"

ACTION_SHOW_EVIDENCE = "show_evidence"
ACTION_SHOW_QUERY = "show_query"
ACTION_SHOW_MORE = "show_more"
ACTION_OPEN_KIBANA = "open_kibana"
READ_ONLY_ACTIONS = (ACTION_SHOW_EVIDENCE, ACTION_SHOW_QUERY, ACTION_SHOW_MORE, ACTION_OPEN_KIBANA)
# Feedback: the buttons' value is the answer's investigation_id; the picker's "<investigation_id>|<change id>".
ACTION_FEEDBACK_HELPFUL = "feedback_helpful"
ACTION_FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
ACTION_FEEDBACK_CAUSE = "feedback_cause"
FEEDBACK_ACTIONS = (ACTION_FEEDBACK_HELPFUL, ACTION_FEEDBACK_NOT_HELPFUL, ACTION_FEEDBACK_CAUSE)
NONE_OF_THESE_VALUE = "none"
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_STREAM_TEXT = 12_000

_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")


def escape(text: str) -> str:
    """Slack's three control characters, so text can never become a link or a mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe(text: str | None) -> str:
    """Untrusted text (logs, change titles, questions) made fit for mrkdwn."""
    return escape(neutralise_mentions(mask_secrets(text or "")))


def link(url: str | None, label: str) -> str:
    """A mrkdwn link when the URL is a plain http(s) URL, else the bare label (never a forged link)."""
    if url and _SAFE_URL.match(url):
        return f"<{url}|{label}>"
    return label


def truncate(text: str, limit: int, tail: str = "…") -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(tail))] + tail


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts if t]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER), "emoji": True}}


def button(text: str, action_id: str, value: str | None = None, url: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}
    if value is not None:
        b["value"] = value
    if url:
        b["url"] = url
    return b


@dataclass
class Rendered:
    """A message: its blocks, the notification text, and whether anything was cut to fit."""

    blocks: list[dict[str, Any]]
    text: str
    truncated: list[str] = field(default_factory=list)


def fit(blocks: list[dict[str, Any]], truncated: list[str] | None = None) -> list[dict[str, Any]]:
    """Enforce Slack's per-block and per-message limits, noting what was cut."""
    cut = truncated if truncated is not None else []
    out: list[dict[str, Any]] = []
    for b in blocks:
        b = json.loads(json.dumps(b))
        if b["type"] == "header":
            b["text"]["text"] = truncate(b["text"]["text"], MAX_HEADER)
        elif b["type"] == "section" and "text" in b:
            if len(b["text"]["text"]) > MAX_SECTION:
                cut.append("section")
                b["text"]["text"] = truncate(b["text"]["text"], MAX_SECTION - 20, "… _(cut)_")
        elif b["type"] == "context":
            if len(b["elements"]) > MAX_CONTEXT_ELEMENTS:
                cut.append("context")
                b["elements"] = b["elements"][:MAX_CONTEXT_ELEMENTS]
            for el in b["elements"]:
                if len(el.get("text", "")) > MAX_SECTION:
                    cut.append("context")
                    el["text"] = truncate(el["text"], MAX_SECTION - 20, "… _(cut)_")
        out.append(b)
    if len(out) > MAX_BLOCKS:
        cut.append("blocks")
        # keep the actions (the way to the rest) and the footer, cut the middle
        tail = [b for b in out[-3:] if b["type"] in ("actions", "context")]
        head = out[: MAX_BLOCKS - len(tail) - 1]
        out = head + [context(f"_{len(out) - len(head) - len(tail)} more blocks did not fit; "
                              "the buttons post the rest in the thread._")] + tail
    return out


# ---------------------------------------------------------------- answers

def _cite_links(summary: str, answer: Answer) -> str:
    """The summary's [Q1] citation becomes a Kibana link when one exists; others stay plain brackets."""
    url = answer.evidence.main.kibana_url
    if not url or not _SAFE_URL.match(url):
        return summary
    qid = re.escape(answer.evidence.main.id)
    return re.sub(rf"\[{qid}\]", lambda m: link(url, m.group(0)), summary)


def _breakdown_text(answer: Answer, limit: int = 15) -> str | None:
    """A "per host / per version" question's counts (read defensively: older answers have none)."""
    by = getattr(answer.intent, "group_by", None)
    buckets = list(getattr(answer.evidence, "breakdown", None) or [])
    if not by or not buckets:
        return None
    lines = [f"• {safe(str(key))}: {count}" for key, count in buckets[:limit]]
    if len(buckets) > limit:
        lines.append(f"_and {len(buckets) - limit} more_")
    return f"*By {safe(str(by))}* [{answer.evidence.main.id}]\n" + "\n".join(lines)


def _suspect_block(answer: Answer, i: int) -> dict[str, Any]:
    s = answer.suspects[i]
    c = s.change
    author = f" by {safe(c.author)}" if c.author else ""
    lines = [f"*{s.rank}. [{s.id}] {link(c.url, safe(c.id))}* · {safe(c.kind)} · {safe(c.service)} · "
             f"{hhmm(c.timestamp)} UTC{author}",
             f"confidence *{s.confidence}* ({s.score:.2f}) · {safe(c.title)}"]
    lines += [f"• {safe(r)}" for r in s.reasons]
    return section("\n".join(lines))


def _unranked_lines(answer: Answer, markdown: bool = False) -> list[str]:
    """The changes read when the log store failed, newest first and bounded, with how many more there are.

    Masked before the title is cut, so a cut can never leave half a secret the mask no longer sees.
    """
    every = unranked_changes(answer, limit=len(answer.changes))
    lines = []
    for c in every[:MAX_UNRANKED_SHOWN]:
        title = safe(truncate(mask_secrets(c.title), 150))
        if markdown:
            lines.append(f"- `{hhmm(c.timestamp)}` {safe(c.kind)} **{safe(c.id)}** of {safe(c.service)} · {title}")
        else:
            lines.append(f"`{hhmm(c.timestamp)}` *{safe(c.kind)}* {link(c.url, safe(c.id))} · {safe(c.service)}: "
                         f"{title}")
    if len(every) > MAX_UNRANKED_SHOWN:
        lines.append(f"_and {len(every) - MAX_UNRANKED_SHOWN} more (`/whatchanged` lists them all)_")
    return lines


def _pattern_lines(answer: Answer, limit: int) -> list[str]:
    out = []
    for p in answer.evidence.patterns[:limit]:
        tag = "*new*" if p.new else "seen before"
        since = f" since {safe(p.first_seen)}" if p.first_seen else ""
        out.append(f"[{p.id}] {p.count}× {tag}{since}: `{safe(truncate(p.template, 300))}`")
    return out


def evidence_line(e: Any) -> str:
    """One cited log line: time, service, message, and where to fetch it."""
    return (f"[{e.id}] `{safe(e.timestamp)}` {safe(e.service or '-')}: {safe(truncate(e.message, 400))}"
            f"  _({safe(e.index)}/{safe(e.doc_id)})_")


def query_text(answer: Answer, limit: int = MAX_SECTION - 200) -> tuple[str, bool]:
    """The exact main query as a code block; (text, whether it was cut)."""
    q = answer.evidence.main
    body = json.dumps(q.body, indent=1)
    if len(body) > limit:
        body = json.dumps(q.body, separators=(",", ":"))
    cut = len(body) > limit
    if cut:
        body = truncate(body, limit, " …")
    return f"*Query [{q.id}]* on `{safe(q.index)}`: {q.hits} hits\n```{escape(neutralise_mentions(mask_secrets(body)))}```", cut


def footer_text(answer: Answer) -> str:
    """Mode, sources read and failed, time taken: what a reader needs to weigh the answer."""
    ev = answer.evidence
    ok = [f"{safe(ev.main.index)} ({ev.main.hits} hits)"] + [safe(s.name) for s in answer.sources if s.ok]
    failed = [f"{safe(s.name)} ({safe(truncate(s.error or 'failed', 120))})" for s in answer.sources if not s.ok]
    total_s = answer.timing_ms.get("total", 0.0) / 1000
    parts = [f"mode: *{answer.mode}*", "read: " + ", ".join(ok)]
    if failed:
        parts.append(":x: failed: " + ", ".join(failed))
    parts.append(f"took {total_s:.1f}s")
    parts.append(f"as of {iso(answer.at)}")
    return " · ".join(parts)


def _facts(answer: Answer) -> dict[str, Any]:
    ev = answer.evidence
    facts = []
    if ev.onset:
        facts.append(f"*Onset* {hhmm(ev.onset.at)} UTC ({ev.onset.describe()}) [{ev.onset_source}]")
    else:
        facts.append("*Onset* none found (the rate did not step up)")
    facts.append(f"*Hits* {ev.main.hits} [{ev.main.id}]")
    if ev.affected_services:
        facts.append("*Failing* " + ", ".join(safe(s) for s in ev.affected_services))
    return context(" · ".join(facts))


def _body_blocks(answer: Answer) -> list[dict[str, Any]]:
    """Concentrations, breakdown, suspects, patterns, evidence preview, the query: the middle of an answer."""
    ev = answer.evidence
    blocks = [context(safe(c.describe())) for c in ev.concentrations[:3]]
    breakdown = _breakdown_text(answer)
    if breakdown:
        blocks.append(section(breakdown))
    if answer.suspects:
        blocks += [{"type": "divider"}, section("*Suspects*, most likely first")]
        blocks += [_suspect_block(answer, i) for i in range(min(len(answer.suspects), MAX_SUSPECTS_SHOWN))]
    if unranked := _unranked_lines(answer):
        blocks += [{"type": "divider"}, section(f"*{UNRANKED_HEADING}*\n" + "\n".join(unranked))]
    if ev.patterns:
        blocks.append({"type": "divider"})
        blocks.append(section("*Error patterns*\n" + "\n".join(_pattern_lines(answer, MAX_PATTERNS_SHOWN))))
    if answer.history:
        blocks.append(context(*(_history_line(h) for h in answer.history[:3])))
    if ev.lines:
        shown = [evidence_line(e) for e in ev.lines[:EVIDENCE_PREVIEW]]
        more = len(ev.lines) - len(shown)
        blocks.append(context("\n".join(shown + ([f"_and {more} more: Show evidence_"] if more > 0 else []))))
    return blocks


def feedback_elements(answer: Answer) -> list[dict[str, Any]]:
    """Helpful / not helpful, and "the cause was..." with the listed changes plus "none of these"."""
    inv = answer.investigation_id
    listed = [s.change for s in answer.suspects] + answer.changes
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in listed:
        value = f"{inv}|{c.id}"
        if c.id in seen or len(value) > MAX_OPTION_VALUE or len(options) >= MAX_OPTIONS - 1:
            continue
        seen.add(c.id)
        label = truncate(mask_secrets(f"{c.id}: {c.kind} of {c.service}"), MAX_OPTION_TEXT)
        options.append({"text": {"type": "plain_text", "text": label}, "value": value})
    options.append({"text": {"type": "plain_text", "text": "None of these"}, "value": f"{inv}|{NONE_OF_THESE_VALUE}"})
    picker = {"type": "static_select", "action_id": ACTION_FEEDBACK_CAUSE, "options": options,
              "placeholder": {"type": "plain_text", "text": "The cause was…"}}
    return [button("👍 Helpful", ACTION_FEEDBACK_HELPFUL, inv),
            button("👎 Not helpful", ACTION_FEEDBACK_NOT_HELPFUL, inv), picker]


def _actions(answer: Answer, key: str | None, query_cut: bool) -> dict[str, Any]:
    """The read-only buttons (when the answer is stored under `key`), the Kibana link, then the feedback."""
    ev = answer.evidence
    actions = []
    if key:
        if ev.lines:
            actions.append(button(f"Show evidence ({len(ev.lines)})", ACTION_SHOW_EVIDENCE, key))
        actions.append(button("Show full query" if query_cut else "Query as a file", ACTION_SHOW_QUERY, key))
        if (len(answer.suspects) > MAX_SUSPECTS_SHOWN or len(ev.patterns) > MAX_PATTERNS_SHOWN
                or len(ev.concentrations) > 3):
            actions.append(button("Show the rest", ACTION_SHOW_MORE, key))
    if ev.main.kibana_url and _SAFE_URL.match(ev.main.kibana_url):
        actions.append(button("Open in Kibana", ACTION_OPEN_KIBANA, key or "kibana", url=ev.main.kibana_url))
    return {"type": "actions", "elements": (actions + feedback_elements(answer))[:25]}


def _closing(answer: Answer) -> list[dict[str, Any]]:
    notes = [safe(truncate(n, 300)) for n in answer.notes[:5]]
    return ([context(*("_note:_ " + n for n in notes))] if notes else []) + [context(footer_text(answer))]


def _notification(answer: Answer) -> str:
    return escape(truncate(f"{answer.question}: {mask_secrets(neutralise_mentions(answer.summary))}", 300))


def answer_blocks(answer: Answer, key: str | None = None) -> Rendered:
    """The whole answer as one message; `key` names it for the read-only buttons."""
    summary = _cite_links(safe(answer.summary), answer) or "_no summary_"
    blocks: list[dict[str, Any]] = [header(f"🔎 {answer.question}"), section(summary), _facts(answer)]
    blocks += _body_blocks(answer)
    qtext, qcut = query_text(answer)
    blocks.append(section(qtext))
    blocks.append(_actions(answer, key, qcut))
    blocks += _closing(answer)
    truncated: list[str] = ["query"] if qcut else []
    return Rendered(fit(blocks, truncated), _notification(answer), truncated)


def answer_tail_blocks(answer: Answer, key: str | None = None) -> Rendered:
    """What goes under a streamed answer (whose text already holds the summary and suspects): facts, buttons, footer.

    The query itself stays behind "Query as a file": a streamed message is
    read as it grows, and a JSON block in the middle of it is noise.
    """
    blocks = [_facts(answer), _actions(answer, key, True)] + _closing(answer)
    return Rendered(fit(blocks), _notification(answer))


def answer_markdown(answer: Answer) -> str:
    """The summary and the suspects as markdown, for a streamed answer (inert: masked, mentions neutralised)."""
    parts = [safe(answer.summary) or "_no summary_"]
    if answer.suspects:
        parts.append("**Suspects**, most likely first")
        for s in answer.suspects[:MAX_SUSPECTS_SHOWN]:
            c = s.change
            parts.append(f"{s.rank}. [{s.id}] **{safe(c.id)}** · {safe(c.kind)} of {safe(c.service)} at "
                         f"{hhmm(c.timestamp)} UTC · confidence **{s.confidence}** · {safe(truncate(c.title, 200))}")
    elif unranked := _unranked_lines(answer, markdown=True):
        parts.append(f"**{UNRANKED_HEADING}**\n" + "\n".join(unranked))
    elif answer.intent.ask == "investigate" and not store_failed(answer):
        parts.append("No change in the window explains it.")
    return truncate("\n\n".join(parts), MAX_STREAM_TEXT - 100)


def _history_line(h: Any) -> str:
    """A past investigation cited as [H1]: when, where (a channel link), what was suspected and marked."""
    where = f"<#{h.channel}>" if h.channel and re.fullmatch(r"[CGD][A-Z0-9]+", h.channel) else safe(h.where())
    then = f"suspected {safe(h.suspected)}" if h.suspected else "no suspect"
    cause = f", cause marked: {safe(h.cause)}" if h.cause else ""
    return f"*[{h.id}]* seen before {h.at.date().isoformat()} {where}: {then}{cause} · _{safe(truncate(h.question, 120))}_"


def evidence_messages(answer: Answer) -> list[Rendered]:
    """Every evidence line, in as many messages as Slack's limits need (the "Show evidence" button)."""
    lines = [evidence_line(e) for e in answer.evidence.lines]
    if answer.evidence.main.kibana_url:
        lines.append(link(answer.evidence.main.kibana_url, "Open these in Kibana"))
    return _chunked("Evidence", lines)


def more_messages(answer: Answer) -> list[Rendered]:
    """The suspects, patterns and concentrations the answer message had no room for."""
    ev = answer.evidence
    lines: list[str] = []
    for i in range(MAX_SUSPECTS_SHOWN, len(answer.suspects)):
        lines.append(_suspect_block(answer, i)["text"]["text"])
    lines += _pattern_lines(answer, len(ev.patterns))[MAX_PATTERNS_SHOWN:]
    lines += [safe(c.describe()) for c in ev.concentrations[3:]]
    return _chunked("The rest of the answer", lines or ["_nothing more_"])


def _chunked(title: str, lines: list[str]) -> list[Rendered]:
    """A titled list packed into sections of at most MAX_SECTION chars, messages of at most MAX_BLOCKS blocks."""
    sections: list[str] = []
    cur = f"*{title}*"
    for line in lines:
        line = truncate(line, MAX_SECTION - 10)
        if len(cur) + 1 + len(line) > MAX_SECTION - 10:
            sections.append(cur)
            cur = ""
        cur = f"{cur}\n{line}" if cur else line
    if cur:
        sections.append(cur)
    return [Rendered(fit([section(s) for s in sections[i:i + MAX_BLOCKS]]), title)
            for i in range(0, len(sections), MAX_BLOCKS)]


def query_snippet(answer: Answer) -> str:
    """Every query the answer ran, exactly, for a snippet file (no Slack escaping: files are not mrkdwn)."""
    ev = answer.evidence
    return json.dumps([q.to_json() for q in ev.queries] or [ev.main.to_json()], indent=2)


def error_blocks(text: str) -> Rendered:
    return Rendered([section(text)], text)


# ---------------------------------------------------------------- changes

def _risk(c: Change, report: ChangeReport) -> tuple[str, str]:
    return report.risk(c)


def _change_line(c: Change, report: ChangeReport) -> str:
    risk, reason = _risk(c, report)
    flag = f"{RISK_FLAG} " if risk == "high" else ""
    why = f" _({safe(reason)})_" if risk == "high" and reason else ""
    author = f" by {safe(c.author)}" if c.author else ""
    return (f"{flag}`{hhmm(c.timestamp)}` *{safe(c.kind)}* {link(c.url, safe(c.id))}: "
            f"{safe(truncate(c.title, 300))}{author}{why}")


def changes_blocks(report: ChangeReport) -> Rendered:
    """/whatchanged: the changes grouped by service, newest service first, risky ones flagged."""
    scope = ", ".join(report.services) if report.services else "all services"
    blocks: list[dict[str, Any]] = [header(f"What changed: {scope}")]
    blocks.append(context(f"{len(report.changes)} changes between {iso(report.start)} and {iso(report.end)}; "
                          f"{RISK_FLAG} = look here first: rolled back before, a schema or infra change, "
                          f"or a behaviour change in the last 30 minutes"))
    by_service: dict[str, list[Change]] = {}
    for c in report.changes:
        by_service.setdefault(c.service, []).append(c)
    order = sorted(by_service, key=lambda s: -max(c.timestamp.timestamp() for c in by_service[s]))
    room = MAX_BLOCKS - 4
    used = 0
    services_shown = 0
    truncated: list[str] = []
    for service in order:
        lines = [_change_line(c, report) for c in by_service[service]]
        chunks = _chunked(safe(service), lines)[0].blocks
        if used + len(chunks) > room:
            truncated.append("services")
            break
        blocks += chunks
        used += len(chunks)
        services_shown += 1
    if not report.changes:
        blocks.append(section("_No changes recorded in this window._"))
    if truncated:
        left = len(order) - services_shown
        blocks.append(context(f"_{left} more services did not fit: the full list is in the file below._"))
    failed = [f"{safe(s.name)} ({safe(truncate(s.error or 'failed', 120))})" for s in report.sources if not s.ok]
    foot = ["read: " + (", ".join(safe(s.name) for s in report.sources if s.ok) or "nothing")]
    if failed:
        foot.append(":x: failed: " + ", ".join(failed))
    foot += [safe(n) for n in report.notes[:3]]
    blocks.append(context(" · ".join(foot)))
    text = f"What changed ({scope}): {len(report.changes)} changes"
    return Rendered(fit(blocks, truncated), escape(text), truncated)


# ---------------------------------------------------------------- help

HELP = (
    "*incidentbot* answers questions about the logs and the changes, and never acts.\n"
    "• Mention me in a channel: `@incidentbot why is checkout throwing 500s since 14:05?` "
    "(I answer in the thread; ask follow-ups there and I keep its services and window)\n"
    "• Or DM me the question.\n"
    "• `/investigate QUESTION`: the same, as a command.\n"
    "• `/whatchanged [TEXT]`: the changes of a window, e.g. `/whatchanged payments 2h`, "
    "`/whatchanged checkout since 13:00`.\n"
    "• `/timeline`: the incident timeline of this channel.\n"
    "Answers cite everything: [Q] queries, [P] error patterns, [E] log lines, [C] suspect changes."
)


def help_blocks() -> Rendered:
    return Rendered([section(HELP)], "incidentbot help")
