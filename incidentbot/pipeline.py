"""investigate(): the one entry point every door calls (CLI, Slack, benchmarks).

question -> intent -> query -> evidence -> changes -> ranking -> answer.
Each stage is a function of typed values; I/O happens only in the gateway and
the change sources. A failing change source or LLM never sinks the answer:
it is listed in `sources` and the rest is answered.
"""
from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.answer import Answer
from incidentbot.answer.summary import template_summary
from incidentbot.answer.verify import verify_summary
from incidentbot.core.catalog import Catalog
from incidentbot.changes.gather import gather_changes
from incidentbot.core.change import Change, SourceStatus
from incidentbot.changes.sources import sources_from_env
from incidentbot.changes.sources.es_index import ElasticsearchChanges
from incidentbot.changes.window import parse_change_query
from incidentbot.config import Settings
from incidentbot.core.deadline import answer_deadline, current_deadline
from incidentbot.core.errors import StoreTimeout, UsageError
from incidentbot.core.evidence import LogEvidence, QueryRecord
from incidentbot.evidence.collect import DEFAULT_WINDOW, collect_evidence
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.llm.wiring import refine_intent, write_summary
from incidentbot.question.fields import FIELD_CACHE, FieldMap
from incidentbot.core.intent import Intent
from incidentbot.question.parse import parse_question
from incidentbot.question.services import match_services
from incidentbot.question.timewords import unread_time_phrase
from incidentbot.ranking.factors import Context
from incidentbot.ranking.history import risk_flag, risk_priors
from incidentbot.ranking.score import rank_changes
from incidentbot.core.timeutil import iso, now_utc, parse_instant

log = logging.getLogger(__name__)
CHANGE_LOOKBACK = timedelta(hours=6)
HISTORY = timedelta(days=14)
Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class Runtime:
    """What the pipeline needs between questions: settings, the gateway, the catalog, the change sources."""

    settings: Settings
    gateway: ReadOnlyGateway
    catalog: Catalog
    change_sources: list[Any] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings, env: dict[str, str] | None = None, check: bool = True) -> "Runtime":
        gateway = ReadOnlyGateway(settings)
        if check:
            gateway.check_privileges()
        catalog = Catalog.load(settings.catalog_path)
        sources: list[Any] = [ElasticsearchChanges(gateway, settings.changes_index)]
        try:
            sources.extend(sources_from_env(os.environ if env is None else env))
        except ValueError as exc:
            raise UsageError(f"change sources: {exc}") from None
        return cls(settings, gateway, catalog, sources)

    def at(self, at: datetime | None = None) -> datetime:
        return at or self.settings.at or now_utc()

    def fields(self) -> FieldMap:
        return FIELD_CACHE.get(self.gateway, self.settings.es_url, self.settings.logs_index, self.settings.fields)


def _no_progress(stage: str, info: dict[str, Any]) -> None:
    return None


def build_intent(question: str, rt: Runtime, fm: FieldMap, at: datetime, context: Intent | None = None) -> Intent:
    """Parse a question into an intent, or explain why it cannot be answered as asked.

    `context` is the intent of an earlier question in the same thread: a
    follow-up keeps its services and window unless it names its own.
    """
    text = (question or "").strip()
    if not text or not any(ch.isalnum() for ch in text):
        raise UsageError("the question is empty: ask something like \"why is checkout throwing 500s since 14:05?\"")
    parsed = parse_question(text, at, fm.services, rt.catalog)
    known = sorted(set(fm.services) | rt.catalog.names())
    parsed, llm_notes = refine_intent(parsed, text, at, fm, known, rt.settings)
    if context is not None and not parsed.services and not parsed.unknown_services:
        parsed.services = list(context.services)
    if parsed.unknown_services and not parsed.services:
        shown = ", ".join(known[:30]) or "none found"
        raise UsageError(f"no service named {', '.join(repr(u) for u in parsed.unknown_services)} in "
                         f"{rt.settings.logs_index}; services seen: {shown}")
    notes = list(llm_notes)
    if parsed.phrases and text.count("\n") >= 2:
        notes.append(f"pasted log text: searched for \"{parsed.phrases[0]}\"")
    if parsed.regions and not fm.region:
        notes.append("no region field found in the logs: the region was not filtered")
    for word, names in parsed.ambiguous.items():
        notes.append(f"\"{word}\" matches {', '.join(names)}: searched all of them")
    if parsed.window:
        start, end, named = parsed.window.start, parsed.window.end, True
        if parsed.window.capped:
            notes.append("window capped at 30 days")
        if start > at:
            raise UsageError(f"the window \"{parsed.window.phrase}\" lies wholly in the future (asked at {iso(at)})")
        if end < start:
            raise UsageError(f"the window \"{parsed.window.phrase}\" ends before it starts")
    elif (since := _since_change(text, parsed.services, rt, at)) is not None:
        start, end, named = since[0], at, True
        notes.append(since[1])
    elif context is not None and context.window_named:
        start, end, named = context.start, context.end, True
        notes.append("window kept from the thread's first question")
    else:
        start, end, named = at - DEFAULT_WINDOW, at, False
        if (unread := unread_time_phrase(text)) is not None:
            notes.append(f"could not read the time in \"{unread}\": searched the default window instead")
    return Intent(question=text, ask=parsed.ask, services=parsed.services,
                  start=start, end=end, window_named=named, levels=parsed.levels, text=parsed.phrases,
                  exclude_text=parsed.exclude, status=parsed.status, hosts=parsed.hosts, versions=parsed.versions,
                  traces=parsed.traces, regions=parsed.regions, group_by=parsed.group_by, notes=notes)


_SINCE_CHANGE = re.compile(
    r"\bsince (?:the |that |our |their )?(?:last |latest |recent |most recent )?"
    r"(deploy(?:ment)?|release|rollout|config(?:uration)? change|flag (?:flip|change)|feature flag|change|rollback|migration)\b",
    re.I)
_SINCE_KINDS = {"deploy": ("deploy",), "deployment": ("deploy",), "release": ("deploy",), "rollout": ("deploy",),
                "rollback": ("rollback",), "migration": ("schema",), "change": None}


def _since_change(text: str, services: list[str], rt: Runtime, at: datetime) -> tuple[datetime, str] | None:
    """"since the deploy": the latest such change (to the services named, if any) in the last day."""
    m = _SINCE_CHANGE.search(text)
    if not m:
        return None
    word = m.group(1).lower()
    kinds = _SINCE_KINDS.get(word.split()[0], ("config",) if word.startswith("config") else ("feature_flag",))
    changes, _ = read_changes(rt, at - timedelta(days=1), at)
    fitting = [c for c in changes if (kinds is None or c.kind in kinds) and (not services or c.service in services)]
    if not fitting:
        return None
    latest = max(fitting, key=lambda c: c.timestamp)
    return latest.timestamp, f"window from {latest.id} ({latest.kind} of {latest.service}) at {iso(latest.timestamp)}"


def read_changes(rt: Runtime, start: datetime, end: datetime) -> tuple[list[Change], list[SourceStatus]]:
    """Every source's changes, each source bounded by its timeout and by what the answer's deadline has left."""
    timeout = rt.settings.change_source_timeout_s
    deadline = current_deadline()
    if deadline is not None:
        timeout = max(min(timeout, deadline.remaining()), 0.05)
    return gather_changes(rt.change_sources, start, end, timeout_s=timeout)


def _no_evidence(intent: Intent, index: str) -> LogEvidence:
    """What the logs said when the store did not answer in time: nothing, and the answer says so."""
    main = QueryRecord("Q1", index, {}, 0, "not run to the end: the log store did not answer in time")
    return LogEvidence(main, None, None, [], {}, [], [], [], [main])


def _collect(rt: Runtime, fm: FieldMap, intent: Intent) -> tuple[Intent, LogEvidence, str | None]:
    """The log evidence, or (past the deadline) none with the reason, so the answer still gives what is known."""
    try:
        intent, evidence = collect_evidence(rt.gateway, fm, intent, rt.settings, rt.catalog, rt.settings.logs_index)
        return intent, evidence, None
    except StoreTimeout as exc:
        log.warning("log evidence abandoned: %s", exc)
        return intent, _no_evidence(intent, rt.settings.logs_index), str(exc)


def investigate(question: str, rt: Runtime, at: datetime | None = None, progress: Progress | None = None,
                context: Intent | None = None) -> Answer:
    """Answer one question: the only entry point the doors call.

    `progress(stage, info)` is called as stages finish ("intent", "evidence",
    "ranking"), so a door can show progress; `context` is a thread's earlier
    intent, for follow-ups. Every request of the answer shares one deadline
    (settings.answer_deadline_s): past it, the answer gives what is known and
    says what timed out.
    """
    with answer_deadline(rt.settings.answer_deadline_s):
        rt.gateway.reset_partial()
        return _investigate(question, rt, at, progress or _no_progress, context)


def _investigate(question: str, rt: Runtime, at: datetime | None, progress: Progress,
                 context: Intent | None) -> Answer:
    clock = time.perf_counter()
    timing: dict[str, float] = {}

    def mark(stage: str) -> None:
        timing[stage] = (time.perf_counter() - clock) * 1000

    at = rt.at(at)
    fm = rt.fields()
    intent = build_intent(question, rt, fm, at, context)
    mark("intent")
    progress("intent", {"intent": intent})
    intent, evidence, store_failed = _collect(rt, fm, intent)
    mark("evidence")
    progress("evidence", {"hits": evidence.main.hits, "onset": evidence.onset})
    anchor = evidence.onset.at if evidence.onset else intent.start
    history, sources = read_changes(rt, intent.end - HISTORY, intent.end)
    since = min(anchor, intent.start) - CHANGE_LOOKBACK
    changes = [c for c in history if c.timestamp >= since]
    mark("changes")
    suspects = []
    if intent.ask == "investigate" and store_failed is None:
        ctx = Context(onset=evidence.onset.at if evidence.onset else None,
                      asked_services=intent.services,
                      failing_services=evidence.affected_services, patterns=evidence.patterns,
                      concentrations=evidence.concentrations, catalog=rt.catalog,
                      service_rates=evidence.service_rates, priors=risk_priors(history))
        suspects = rank_changes(changes, ctx)
    mark("ranking")
    progress("ranking", {"suspects": suspects})
    partial = list(rt.gateway.partial_reasons()) + ([store_failed] if store_failed else [])
    if store_failed:
        sources = [SourceStatus(name="log store", ok=False, error=store_failed), *sources]
    answer = Answer(question=intent.question, at=at, mode="deterministic", intent=intent, evidence=evidence,
                    changes=[c for c in changes if intent.start - CHANGE_LOOKBACK <= c.timestamp <= intent.end],
                    suspects=suspects, summary="", sources=sources, timing_ms=timing, notes=list(intent.notes),
                    partial=partial)
    _summarise(answer, rt.settings, store_failed)
    mark("total")
    return answer


def _partial_sentence(answer: Answer, store_failed: str | None) -> str:
    main = answer.evidence.main.id
    if store_failed:
        return (f"The log store did not answer in time, so this answer has no log counts, onset or patterns; "
                f"only the changes are listed [{main}].")
    return f"The counts are partial, lower bounds: {'; '.join(answer.partial)} [{main}]."


def _summarise(answer: Answer, settings: Settings, store_failed: str | None) -> None:
    """The verified summary (LLM or template), saying first when the counts are partial; notes for what failed."""
    if store_failed:
        draft = ""
    else:
        draft = template_summary(answer.intent, answer.evidence, answer.suspects, answer.changes)
    summary, dropped = verify_summary(draft, answer.ids())
    if dropped:
        log.warning("summary sentences dropped by the verifier: %s", dropped)
    answer.summary = summary
    if not store_failed:
        answer.summary, answer.mode, llm_notes = write_summary(answer, settings)
        answer.notes.extend(llm_notes)
    if answer.partial:
        answer.summary = " ".join(x for x in (_partial_sentence(answer, store_failed), answer.summary) if x)
        answer.notes.extend(f"partial result: {reason}" for reason in answer.partial)
    for status in answer.sources:
        if not status.ok and status.name != "log store":
            answer.notes.append(f"change source {status.name} failed: {status.error}")
        if status.truncated:
            answer.notes.append(f"change source {status.name}: {status.truncated}")


@dataclass
class ChangeReport:
    start: datetime
    end: datetime
    services: list[str]
    changes: list[Change]
    sources: list[SourceStatus]
    notes: list[str]
    risks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def one(c: Change) -> dict[str, Any]:
            risk, reason = self.risks.get(c.id, ("low", ""))
            return {**c.to_json(), "risk": risk, "risk_reason": reason}

        return {"start": iso(self.start), "end": iso(self.end), "services": self.services,
                "changes": [one(c) for c in self.changes],
                "sources": [s.model_dump(exclude_none=True) for s in self.sources], "notes": self.notes}


def what_changed(rt: Runtime, text: str = "", service: str | None = None, since: str | None = None,
                 start: str | None = None, end: str | None = None, at: datetime | None = None) -> ChangeReport:
    """The changes in a window, newest first, optionally for some services (one deadline for all sources)."""
    with answer_deadline(rt.settings.answer_deadline_s):
        return _what_changed(rt, text, service, since, start, end, rt.at(at))


_CLOCK_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _instant_option(value: str, at: datetime, name: str) -> datetime:
    """--start / --end: an ISO 8601 instant, or a bare HH:MM on the day asked about (UTC)."""
    m = _CLOCK_TIME.match(value)
    try:
        if m:
            return at.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
        return parse_instant(value)
    except ValueError:
        raise UsageError(f"{name} must be an ISO 8601 time or HH:MM, not {value!r}") from None


def _what_changed(rt: Runtime, text: str, service: str | None, since: str | None, start: str | None,
                  end: str | None, at: datetime) -> ChangeReport:
    try:
        log_services = rt.fields().services
    except UsageError:
        log_services = []
    if start or end:
        if not (start and end):
            raise UsageError("--start and --end go together")
        win_start, win_end = _instant_option(start, at, "--start"), _instant_option(end, at, "--end")
        if win_end < win_start:
            raise UsageError(f"--end {end} is before --start {start}: give the earlier time as --start")
        query_text = text
    else:
        query_text = " ".join(x for x in (text, f"last {since}" if since else "") if x)
        win_start = win_end = None
    cq = parse_change_query(query_text, at, log_services, rt.catalog)
    if win_start is not None and win_end is not None:
        cq.start, cq.end = win_start, win_end
    if cq.start > at:
        raise UsageError("the window lies wholly in the future")
    history, sources = read_changes(rt, min(cq.start, cq.end - HISTORY), cq.end)
    changes = [c for c in history if cq.start <= c.timestamp <= cq.end]
    services = list(cq.services)
    if cq.unknown and not services:
        sm = match_services(" ".join(cq.unknown), sorted({c.service for c in changes}), rt.catalog)
        services = sm.services
        if not services:
            known = sorted(set(log_services) | rt.catalog.names() | {c.service for c in changes})
            raise UsageError(f"no service named {', '.join(repr(u) for u in cq.unknown)}; services known: "
                             + (", ".join(known[:30]) or "none"))
    if service:
        services.append(service)
    if services:
        changes = [c for c in changes if c.service in services]
    changes.sort(key=lambda c: c.timestamp, reverse=True)
    notes = cq.notes + [f"change source {s.name} failed: {s.error}" for s in sources if not s.ok]
    notes += [f"change source {s.name}: {s.truncated}" for s in sources if s.truncated]
    priors = risk_priors(history)
    return ChangeReport(cq.start, cq.end, services, changes, sources, notes,
                        {c.id: risk_flag(c, priors, cq.end) for c in changes})
