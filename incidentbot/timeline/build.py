"""The incident timeline: the channel's phase markers, the changes, the log onset and peak, the bot's findings.

`assemble` is pure (messages, changes and log findings in, a Timeline out), so
it is tested without a search server; `build_timeline` does the reading: it
asks the logs about the services the channel names, from an hour before the
channel's first message, and reads the change sources for the same window. A
log store that cannot be reached costs the onset, never the timeline: the
channel and the changes still tell most of the story, and `sources` says what
failed.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.answer import Answer
from incidentbot.core.catalog import Catalog
from incidentbot.core.change import Change, SourceStatus
from incidentbot.core.errors import StoreUnreachable
from incidentbot.core.intent import Intent
from incidentbot.core.mask import mask_secrets
from incidentbot.core.names import any_of, mentions
from incidentbot.pipeline import Runtime, answer_intent, read_changes, summarise_timeline, verify_summary
from incidentbot.timeline.messages import History, Message
from incidentbot.timeline.phases import (
    PHASES, Phases, alert_state, durations, find_phases, is_finding, markers,
)
from incidentbot.core.timeutil import hhmm, human_duration, iso

log = logging.getLogger(__name__)
LOG_LEAD = timedelta(hours=1)
MAX_WINDOW = timedelta(hours=24)
MAX_MESSAGE_ENTRIES = 200
MAX_CHANGE_ENTRIES = 50
DETECTION_GAP = timedelta(minutes=5)
_INCIDENT_WORDS = re.compile(r"\b(?:5\d\d|5xx|errors?|failing|failures?|timeouts?|latency|deploy(?:ed)?|roll(?:ed)?[- ]?back|"
                             r"revert(?:ed)?|restart(?:ed)?|rollout|customers?|impact|incident|alert|paged|paging|pager|"
                             r"dashboard|graph|logs?|canary|flag|config|outage|down|degraded|sev-?\d)\b", re.I)
_CAUSE = re.compile(r"(?:likeliest|possible|probable) cause is\s+([\w.:/-]+)|top suspect(?: is)?:?\s+([\w.:/-]+)", re.I)


@dataclass
class Entry:
    """One line of the timeline, citable as [T3], with the contract's `source`."""

    time: datetime
    kind: str
    text: str
    source: str
    id: str = ""
    ref: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "time": iso(self.time), "kind": self.kind, "text": self.text,
                               "source": self.source}
        if self.ref:
            out["ref"] = self.ref
        return out


@dataclass
class LogFindings:
    """What the logs said, reduced to what a timeline shows (or why they said nothing)."""

    services: list[str]
    onset: datetime | None = None
    rate_before: float | None = None
    rate_after: float | None = None
    peak: tuple[datetime, int, int] | None = None  # bucket start, failing lines, bucket seconds
    suspect: str | None = None
    suspect_confidence: str | None = None
    queries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Timeline:
    """Everything the exports show, with ids a narrative can cite."""

    channel: str
    at: datetime
    window: tuple[datetime, datetime]
    services: list[str]
    entries: list[Entry]
    phases: Phases
    durations: dict[str, dict[str, Any]]
    open_questions: list[str]
    summary: str
    sources: list[SourceStatus]
    queries: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: str = "deterministic"

    def ids(self) -> set[str]:
        return {e.id for e in self.entries}

    def phase_entry(self, phase: str) -> Entry | None:
        return next((e for e in self.entries if e.kind == phase), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "at": iso(self.at),
            "window": {"start": iso(self.window[0]), "end": iso(self.window[1])},
            "services": self.services,
            "entries": [e.to_json() for e in self.entries],
            "phases": self.phases.to_json(),
            "phase_entries": {p: (e.id if (e := self.phase_entry(p)) else None) for p in PHASES},
            "durations": self.durations,
            "open_questions": self.open_questions,
            "summary": self.summary,
            "mode": self.mode,
            "queries": self.queries,
            "sources": [s.model_dump(exclude_none=True) for s in self.sources],
            "notes": self.notes,
        }


# -- reading ---------------------------------------------------------------------------------
def named_services(messages: list[Message], known: list[str], catalog: Catalog) -> list[str]:
    """The known services (names or catalog aliases) the channel's text names, whole words only.

    Exact names only, unlike a question's fuzzy matching: hundreds of chat
    lines would otherwise match half the catalog by typo.
    """
    vocabulary = {name.lower(): name for name in known}
    for name in catalog.names():
        vocabulary.setdefault(name.lower(), name)
    for alias, name in catalog.aliases().items():
        vocabulary.setdefault(alias, name)
    text = "\n".join(m.text for m in messages).lower()
    found: list[str] = []
    for key in sorted(vocabulary, key=len, reverse=True):
        if mentions(text, key) and vocabulary[key] not in found:
            found.append(vocabulary[key])
    return sorted(found)


def investigation_intent(services: list[str], start: datetime, at: datetime) -> Intent:
    """What the timeline asks the logs, typed: an investigation of these services over whole minutes to `at`."""
    minutes = max(int((at - start).total_seconds() // 60) + 1, 30)
    subject = f"why is {' and '.join(services)} failing" if services else "why are services failing"
    return Intent(question=f"{subject} in the last {minutes} minutes?", ask="investigate", services=list(services),
                  start=at - timedelta(minutes=minutes), end=at, window_named=True)


def read_logs(rt: Runtime, messages: list[Message], at: datetime) -> tuple[LogFindings, SourceStatus]:
    """Ask the logs for the onset and peak of the services the channel names (else all)."""
    first = messages[0].time if messages else at
    start = max(first - LOG_LEAD, at - MAX_WINDOW)
    try:
        rt.gateway.check_privileges()
        known = rt.fields().services
        services = [s for s in named_services(messages, known, rt.catalog) if s in known]
        answer = answer_intent(investigation_intent(services, start, at), rt, at=at)
    except StoreUnreachable as exc:
        return LogFindings([], error=str(exc)), SourceStatus(name="logs", ok=False, error=str(exc))
    return findings_from_answer(answer, services), SourceStatus(name="logs", ok=True,
                                                                  count=answer.evidence.main.hits)


def findings_from_answer(answer: Answer, services: list[str]) -> LogFindings:
    """The onset, the peak after it, the top suspect, and the two queries that show them."""
    ev = answer.evidence
    out = LogFindings(services=list(services))
    out.queries = [q.to_json() for q in ev.queries[:2]]
    if ev.onset:
        out.onset, out.rate_before, out.rate_after = ev.onset.at, ev.onset.rate_before, ev.onset.rate_after
        h = ev.histogram
        if h and h.failing:
            after = [(c, t) for c, t in zip(h.failing, h.times) if t >= ev.onset.at]
            if after:
                count, when = max(after, key=lambda x: (x[0], -x[1].timestamp()))
                out.peak = (when, count, h.bucket_s)
    top = answer.suspects[0] if answer.suspects else None
    if top and top.confidence in ("high", "medium"):
        out.suspect, out.suspect_confidence = top.change.id, top.confidence
    return out


def build_timeline(rt: Runtime, history: History, at: datetime | None = None, settings: Any = None) -> Timeline:
    """Read the logs and the change sources for the channel's incident, then assemble."""
    msgs = history.messages
    at = at or rt.settings.at or (msgs[-1].time if msgs else None) or rt.at()
    first = msgs[0].time if msgs else at
    start = max(first - LOG_LEAD, at - MAX_WINDOW)
    logs, log_status = read_logs(rt, [m for m in msgs if m.time <= at], at)
    changes, statuses = read_changes(rt, start, at)
    changes = [c for c in changes if start <= c.timestamp <= at]
    return assemble(history, changes, logs, at, [log_status, *statuses], settings or rt.settings)


# -- assembling ------------------------------------------------------------------------------
def _line(text: str, limit: int = 300) -> str:
    one = " ".join(mask_secrets(text).split())
    return one if len(one) <= limit else one[:limit - 1].rstrip() + "\u2026"


def _change_text(c: Change) -> str:
    kind = c.kind.replace("_", " ")
    version = f" ({c.previous_version} -> {c.version})" if c.version and c.previous_version else ""
    return f"{kind} {c.id} on {c.service}: {c.title}{version}"


def _notable(msg: Message, words: re.Pattern[str] | None) -> bool:
    """Worth a line: incident vocabulary, or a service or change the incident is about."""
    return bool(_INCIDENT_WORDS.search(msg.text) or (words and words.search(msg.text)))


def assemble(history: History, changes: list[Change], logs: LogFindings, at: datetime,
             sources: list[SourceStatus], settings: Any = None) -> Timeline:
    """Merge everything into entries in time order, phases, durations, open questions and a cited narrative."""
    msgs = [m for m in history.messages if m.time <= at]
    first = msgs[0].time if msgs else at
    window = (max(first - LOG_LEAD, at - MAX_WINDOW), at)
    phases = find_phases(msgs, logs.onset)
    chosen = {p: mk.message.ts for p, mk in phases.markers.items() if mk is not None}
    entries: list[Entry] = []
    if logs.onset:
        rise = (f" from {logs.rate_before:.1f}/min to {logs.rate_after:.1f}/min"
                if logs.rate_before is not None and logs.rate_after is not None else "")
        entries.append(Entry(logs.onset, "onset", f"failing lines in {', '.join(logs.services) or 'all services'} rose{rise}",
                             "Q1"))
    if logs.peak:
        when, count, bucket_s = logs.peak
        per = "minute" if bucket_s == 60 else human_duration(timedelta(seconds=bucket_s))
        entries.append(Entry(when, "peak", f"failing lines peaked at {count} per {per}", "Q2"))
    changes = sorted(changes, key=lambda c: c.timestamp)
    if len(changes) > MAX_CHANGE_ENTRIES:
        history.notes.append(f"{len(changes) - MAX_CHANGE_ENTRIES} earlier changes in the window not listed")
        changes = changes[-MAX_CHANGE_ENTRIES:]
    for c in changes:
        entries.append(Entry(c.timestamp, "change", _change_text(c), c.url or c.id, ref=c.id))
    names = [*logs.services, *(c.id for c in changes)]
    words = any_of(names)
    shown_messages = 0
    skipped = 0
    for msg in msgs:
        text = _line(msg.text)
        who = msg.bot_name or msg.author
        marked = [p for p, ts in chosen.items() if ts == msg.ts]
        for phase in marked:
            entries.append(Entry(msg.time, phase, f"{who}: {text}", msg.source, ref=msg.ts))
        if marked:
            continue
        if msg.is_bot and alert_state(msg):
            entries.append(Entry(msg.time, "alert", f"{who}: {text}", msg.source, ref=msg.ts))
        elif is_finding(msg):
            entries.append(Entry(msg.time, "finding", f"{who}: {_line(msg.text, 400)}", msg.source, ref=msg.ts))
        elif markers(msg) or _notable(msg, words):
            if shown_messages < MAX_MESSAGE_ENTRIES:
                entries.append(Entry(msg.time, "message", f"{who}: {text}", msg.source, ref=msg.ts))
                shown_messages += 1
            else:
                skipped += 1
    notes = list(history.notes)
    if skipped:
        notes.append(f"{skipped} more messages not listed (limit {MAX_MESSAGE_ENTRIES} message entries)")
    order = {k: i for i, k in enumerate(("onset", "change", "peak", "alert", "detected", "declared", "finding",
                                         "message", "mitigated", "resolved"))}
    entries.sort(key=lambda e: (e.time, order.get(e.kind, 99)))
    for i, e in enumerate(entries, 1):
        e.id = f"T{i}"
    if logs.error:
        notes.append(f"the logs could not be read ({logs.error}): no onset or peak")
    notes += [f"change source {s.name} failed: {s.error}" for s in sources if not s.ok and s.name != "logs"]
    tl = Timeline(channel=history.channel, at=at, window=window, services=logs.services, entries=entries,
                  phases=phases, durations=durations(phases.times), open_questions=[], summary="",
                  sources=sources, queries=logs.queries, notes=notes)
    tl.open_questions = open_questions(tl, msgs, changes, logs)
    tl.summary, tl.mode = narrative(tl, logs, settings)
    return tl


def top_suspect(msgs: list[Message], logs: LogFindings) -> tuple[str | None, Message | None]:
    """The cause the bot named in the channel (its latest finding), else the logs' top suspect."""
    for msg in reversed(msgs):
        if is_finding(msg):
            m = _CAUSE.search(msg.text)
            if m:
                return (m.group(1) or m.group(2)).rstrip(".,;:"), msg
    return logs.suspect, None


def rolled_back(suspect: str, changes: list[Change], msgs: list[Message]) -> bool:
    """Whether a rollback of the suspect was recorded: a rollback change naming it or its service, or a person saying so."""
    target = next((c for c in changes if c.id == suspect), None)
    for c in changes:
        if c.kind != "rollback" and not re.search(r"\b(?:roll(?:ed)?[- ]?back|revert)", c.title, re.I):
            continue
        blob = f"{c.title} {c.description or ''}"
        if suspect in blob or (target is not None and c.service == target.service and c.timestamp >= target.timestamp):
            return True
    for msg in msgs:
        if msg.is_bot:
            continue
        if any(mk.phase == "mitigated" for mk in markers(msg)) and (
                suspect in msg.text or (target is not None and target.service in msg.text)) and re.search(
                r"roll(?:ed)?[- ]?back|revert", msg.text, re.I):
            return True
    return False


def open_questions(tl: Timeline, msgs: list[Message], changes: list[Change], logs: LogFindings) -> list[str]:
    """What a retrospective must still answer, from what the timeline lacks."""
    t = tl.phases.times
    out: list[str] = []
    if t["detected"] is None:
        out.append("no alert or report of the incident found in the channel")
    if t["onset"] and t["detected"] and t["detected"] - t["onset"] >= DETECTION_GAP:
        mk = tl.phases.markers["detected"]
        what = "the first alert" if mk and mk.by_alert else "the first report"
        out.append(f"the onset ({hhmm(t['onset'])} UTC) precedes {what} by "
                   f"{human_duration(t['detected'] - t['onset'])}: why was it not caught sooner?")
    if t["detected"] and t["declared"] is None:
        out.append("no incident was declared in the channel")
    if t["mitigated"] is None:
        out.append("no mitigation recorded yet" if t["resolved"] is None else "resolved without a recorded mitigation")
    if t["resolved"] is None:
        out.append("not resolved yet")
    suspect, _ = top_suspect(msgs, logs)
    if suspect and not rolled_back(suspect, changes, msgs):
        out.append(f"the top suspect {suspect} was not rolled back (no rollback recorded)")
    if logs.error:
        out.append("the log store could not be read: the onset is unknown")
    return out


def template_narrative(tl: Timeline, logs: LogFindings) -> str:
    """A few sentences, each citing the entries it rests on, so the verifier keeps every one."""
    e = {p: tl.phase_entry(p) for p in PHASES}
    t = tl.phases.times
    parts: list[str] = []
    if e["onset"]:
        scope = ", ".join(tl.services) or "all services"
        parts.append(f"Failing lines in {scope} rose at {hhmm(e['onset'].time)} UTC [{e['onset'].id}].")
    if e["detected"]:
        mk = tl.phases.markers["detected"]
        how = "an alert fired" if mk and mk.by_alert else "it was first reported in the channel"
        gap = (f", {human_duration(t['detected'] - t['onset'])} after the onset"
               if t["onset"] and t["detected"] and t["detected"] >= t["onset"] else "")
        parts.append(f"At {hhmm(e['detected'].time)} UTC {how}{gap} [{e['detected'].id}].")
    if e["declared"]:
        parts.append(f"The incident was declared at {hhmm(e['declared'].time)} UTC "
                     f"({tl.durations['to_declare']['text']} after detection) [{e['declared'].id}].")
    suspect = logs.suspect
    findings = [x for x in tl.entries if x.kind == "finding"]
    named = None
    for f in reversed(findings):
        m = _CAUSE.search(f.text)
        if m:
            named = ((m.group(1) or m.group(2)).rstrip(".,;:"), f)
            break
    cause = named[0] if named else suspect
    if cause:
        change = next((x for x in tl.entries if x.kind == "change" and x.ref == cause), None)
        cites = "".join(f"[{x.id}]" for x in (named[1] if named else None, change) if x)
        if cites:
            parts.append(f"The likeliest cause named is {cause} {cites}.")
    if e["mitigated"]:
        parts.append(f"Impact was mitigated at {hhmm(e['mitigated'].time)} UTC "
                     f"({tl.durations['to_mitigate']['text']} after detection) [{e['mitigated'].id}].")
    if e["resolved"]:
        parts.append(f"It was resolved at {hhmm(e['resolved'].time)} UTC "
                     f"({tl.durations['to_resolve']['text']} after detection) [{e['resolved'].id}].")
    elif tl.entries:
        last = tl.entries[-1]
        state = "mitigated but not resolved" if e["mitigated"] else "neither mitigated nor resolved"
        parts.append(f"As of the last entry at {hhmm(last.time)} UTC it is {state} [{last.id}].")
    return " ".join(parts)


def narrative(tl: Timeline, logs: LogFindings, settings: Any = None) -> tuple[str, str]:
    """The LLM's wording when configured and available, else the template; the verifier checks either."""
    draft, mode = "", "deterministic"
    if settings is not None and getattr(settings, "llm_enabled", False):
        try:
            draft, mode = summarise_timeline(tl.to_json(), settings), "llm"
        except Exception as exc:  # the LLM failing never costs the timeline
            log.warning("timeline narrative from the LLM failed, using the template: %s", exc)
            tl.notes.append(f"LLM narrative failed: {exc}")
            draft = ""
    if not draft:
        draft, mode = template_narrative(tl, logs), "deterministic"
    text, dropped = verify_summary(draft, tl.ids())
    if dropped:
        log.warning("timeline narrative sentences dropped by the verifier: %s", dropped)
        if mode == "llm" and not text:
            text, _ = verify_summary(template_narrative(tl, logs), tl.ids())
            mode = "deterministic"
    return text, mode


__all__ = ["Entry", "LogFindings", "Timeline", "assemble", "build_timeline", "findings_from_answer",
           "investigation_intent", "named_services", "read_logs"]
