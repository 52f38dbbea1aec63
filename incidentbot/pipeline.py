"""The pipeline: the entry points every door calls (CLI, Slack, timeline, benchmarks).

question -> intent -> query -> evidence -> changes -> ranking -> answer.
`investigate` takes a question in words; `answer_intent` takes a typed
Intent (a door that already knows the services and the window builds one
and never writes English for us to parse back). `what_changed` lists a
window's changes. Each stage is a function of typed values; I/O happens only
in the gateway and the change sources. A failing change source or LLM never
sinks the answer: it is listed in `sources` and the rest is answered.

This module is also the doors' one way into the stages: what a door needs
from a stage (the summary verifier, the timeline narrative) is re-exported
here, so the import contract can forbid doors every stage's internals.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from incidentbot.answer.llm_summary import summarise_timeline, write_summary
from incidentbot.answer.summary import template_summary
from incidentbot.answer.verify import verify_summary
from incidentbot.changes.gather import gather_changes
from incidentbot.changes.naming import map_change_services
from incidentbot.changes.sources import sources_from_settings
from incidentbot.changes.sources.es_index import ElasticsearchChanges
from incidentbot.changes.window import parse_change_query
from incidentbot.config import Settings
from incidentbot.core.answer import Answer, Recall
from incidentbot.core.catalog import Catalog
from incidentbot.core.change import Change, ChangeReport, SourceStatus
from incidentbot.core import progress as steps
from incidentbot.core.deadline import Deadline, answer_deadline, current_deadline, use_deadline
from incidentbot.core.errors import StoreSilent, StoreTimeout, StoreUnreachable, UsageError
from incidentbot.core.evidence import LogEvidence, QueryRecord
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import Intent
from incidentbot.core.progress import ProgressEvent, ProgressObserver
from incidentbot.core.timeutil import iso, now_utc, parse_duration, parse_instant
from incidentbot.evidence.collect import DEFAULT_WINDOW, collect_evidence
from incidentbot.evidence.pasted import pasted_error
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.query.compile import recent_failures_query
from incidentbot.question.fields import FIELD_CACHE
from incidentbot.question.llm import refine_intent
from incidentbot.question.parse import MAX_QUESTION, parse_question
from incidentbot.question.services import match_services
from incidentbot.question.timewords import MAX_WINDOW, unread_time_phrase
from incidentbot.ranking.factors import Context
from incidentbot.ranking.history import risk_flag, risk_priors
from incidentbot.ranking.score import rank_changes
from incidentbot.telemetry.context import investigation

log = logging.getLogger(__name__)
CHANGE_LOOKBACK = timedelta(hours=6)
HISTORY = timedelta(days=14)


@dataclass
class Runtime:
    """What the pipeline needs between questions: settings, the gateway, the catalog, the change sources."""

    settings: Settings
    gateway: ReadOnlyGateway
    catalog: Catalog
    change_sources: list[Any] = field(default_factory=list)
    # Past investigations ("seen before"); set by a door that opened the memory, else none.
    recall: Recall | None = None

    @classmethod
    def create(cls, settings: Settings, env: dict[str, str] | None = None, check: bool = True,
               deadline: Deadline | None = None) -> Runtime:
        """The runtime for these settings; the change sources come from `settings.changes`, never the environment.

        `env` is only accepted empty (older callers pass `env={}`): change-source
        variables go through `settings_from(env=...)` so they are validated with the rest.
        `deadline` is the answer's, when a door creates the runtime for one answer
        (`ask`): the start-up checks (version, privileges) then count against it and
        may take at most half of it; a store silent that long is asked nothing more
        in that answer (StoreSilent), and the answer gives what is known without it.
        """
        if env:
            raise TypeError("Runtime.create: pass change-source variables through settings_from(env=...)")
        gateway = ReadOnlyGateway(settings)
        if check:
            with use_deadline(deadline):
                try:
                    gateway.check_privileges()
                except StoreSilent as exc:
                    if deadline is None:
                        raise
                    log.warning("%s; answering without it", exc)
        catalog = Catalog.load(settings.catalog_path)
        sources: list[Any] = [ElasticsearchChanges(gateway, settings.changes_index),
                              *sources_from_settings(settings.changes)]
        return cls(settings, gateway, catalog, sources)

    def at(self, at: datetime | None = None) -> datetime:
        return at or self.settings.at or now_utc()

    def fields(self) -> FieldMap:
        return FIELD_CACHE.get(self.gateway, self.settings.es_url, self.settings.logs_index, self.settings.fields)


def build_intent(question: str, rt: Runtime, fm: FieldMap, at: datetime, context: Intent | None = None) -> Intent:
    """Parse a question into an intent, or explain why it cannot be answered as asked.

    `context` is the intent of an earlier question in the same thread: a
    follow-up keeps its services and window unless it names its own.
    """
    text = (question or "").strip()
    if not text or not any(ch.isalnum() for ch in text):
        raise UsageError("the question is empty: ask something like \"why is checkout throwing 500s since 14:05?\"")
    parsed = parse_question(text, at, fm.services, rt.catalog, pasted=pasted_error(text[:MAX_QUESTION]))
    known = sorted(set(fm.services) | rt.catalog.names())
    parsed, llm_notes = refine_intent(parsed, text, at, fm, known, rt.settings)
    if context is not None and not parsed.services and not parsed.unknown_services:
        parsed.services = list(context.services)
    if parsed.unknown_services and not parsed.services and fm.values_unread:
        parsed.services = list(parsed.unknown_services)  # the store did not say which exist: take the words as said
    if parsed.unknown_services and not parsed.services:
        shown = ", ".join(known[:30]) or "none found"
        raise UsageError(f"no service named {', '.join(repr(u) for u in parsed.unknown_services)} in "
                         f"{rt.settings.logs_index}; services seen: {shown}")
    notes = list(llm_notes)
    if parsed.text and text.count("\n") >= 2:
        notes.append(f"pasted log text: searched for \"{parsed.text[0]}\"")
    if parsed.symptom == "latency" and not any(f.duration for f in fm.layouts()):
        notes.append("no request-duration field found in the logs (looked for event.duration, duration_ms, "
                     "response_time, latency, took, elapsed, request_time, http.server.request.duration; set "
                     "INCIDENTBOT_FIELD_DURATION and INCIDENTBOT_FIELD_DURATION_UNIT): answered about errors instead")
        parsed.symptom, parsed.percentile, parsed.slower_than_ms = "errors", None, None
        if parsed.ask == "count" and not parsed.levels and not parsed.status:
            parsed.ask = "investigate"
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
    return Intent(question=text, start=start, end=end, window_named=named, notes=notes, **parsed.parts())


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
    """Every source's changes, each named by the log service it changed where a name maps to one.

    Each source is bounded by its deadline and by what the answer's deadline has left.
    """
    timeout = rt.settings.changes.deadline_s
    deadline = current_deadline()
    if deadline is not None:
        timeout = max(min(timeout, deadline.remaining()), 0.05)
    changes, statuses = gather_changes(rt.change_sources, start, end, timeout_s=timeout)
    try:
        known = rt.fields().services
    except (UsageError, StoreUnreachable):  # an unreadable log store leaves the names unmapped, not the changes unread
        known = []
    return map_change_services(changes, [*known, *rt.catalog.names()], rt.catalog), statuses


def _no_evidence(index: str) -> LogEvidence:
    """What the logs said when the store did not answer in time: nothing, and the answer says so."""
    main = QueryRecord("Q1", index, {}, 0, "not run to the end: the log store did not answer in time")
    return LogEvidence(main, None, None, [], {}, [], [], [], [main])


def _collect(rt: Runtime, intent: Intent) -> tuple[Intent, LogEvidence, str | None]:
    """The log evidence, or (past the deadline) none with the reason, so the answer still gives what is known."""
    try:
        intent, evidence = collect_evidence(rt.gateway, rt.fields(), intent, rt.settings, rt.catalog,
                                            rt.settings.logs_index)
        return intent, evidence, None
    except StoreTimeout as exc:
        log.warning("log evidence abandoned: %s", exc)
        return intent, _no_evidence(rt.settings.logs_index), str(exc)


def investigate(question: str, rt: Runtime, at: datetime | None = None, progress: ProgressObserver | None = None,
                context: Intent | None = None) -> Answer:
    """Answer one question in words.

    `progress` observes each step as a typed `ProgressEvent` (started, done)
    so a door can show the answer being built without reaching into the
    stages; `context` is a thread's earlier intent, for follow-ups. The
    investigation id is chosen first, so every log line of this answer
    carries it. Every request of the answer shares one deadline
    (settings.answer_deadline_s): past it, the answer gives what is known and
    says what timed out.
    """
    progress = progress or steps.ignore
    investigation_id = uuid.uuid4().hex[:16]
    with investigation(investigation_id), answer_deadline(rt.settings.answer_deadline_s):
        clock = time.perf_counter()
        at = rt.at(at)
        progress(ProgressEvent("fields", "started", "discovering the log fields"))
        try:
            fm = rt.fields()
        except StoreSilent:  # silent since the start: the question's words are taken as said, the rest says why
            fm = FieldMap(values_unread=True)
        intent = build_intent(question, rt, fm, at, context)
        timing = {"intent": (time.perf_counter() - clock) * 1000}
        progress(steps.fields_done(len(fm.services), intent))
        return answer_intent(intent, rt, at=at, progress=progress, timing=timing, clock=clock,
                             investigation_id=investigation_id, recall=context is None)


def answer_intent(intent: Intent, rt: Runtime, at: datetime | None = None, progress: ProgressObserver | None = None,
                  timing: dict[str, float] | None = None, clock: float | None = None,
                  investigation_id: str | None = None, recall: bool = True) -> Answer:
    """The typed entry: an intent in, an answer out (evidence, changes, ranking, summary).

    `timing` and `clock` carry the time already spent on the question (by
    `investigate`), so `timing_ms` covers the whole answer. The answer's
    deadline is `investigate`'s when it called, else a new one.
    """
    with answer_deadline(rt.settings.answer_deadline_s):
        rt.gateway.reset_partial()
        return _answer_intent(intent, rt, at, progress or steps.ignore, timing, clock, investigation_id, recall)


def _answer_intent(intent: Intent, rt: Runtime, at: datetime | None, progress: ProgressObserver,
                   timing: dict[str, float] | None, clock: float | None, investigation_id: str | None,
                   recall: bool = True) -> Answer:
    clock = time.perf_counter() if clock is None else clock
    timing = {} if timing is None else timing

    def mark(stage: str) -> None:
        timing[stage] = (time.perf_counter() - clock) * 1000

    at = rt.at(at)
    progress(steps.counting(intent))
    intent, evidence, store_failed = _collect(rt, intent)
    mark("evidence")
    for event in steps.evidence_failed(store_failed) if store_failed else steps.evidence_done(intent, evidence):
        progress(event)
    progress(steps.reading_changes(intent))
    anchor = evidence.onset.at if evidence.onset else intent.start
    history, sources = read_changes(rt, intent.end - HISTORY, intent.end)
    since = min(anchor, intent.start) - CHANGE_LOOKBACK
    changes = [c for c in history if c.timestamp >= since]
    mark("changes")
    progress(steps.changes_done(changes, [s.name for s in sources if not s.ok]))
    progress(steps.ranking(changes))
    suspects = []
    if intent.ask == "investigate" and store_failed is None:
        ctx = Context(onset=evidence.onset.at if evidence.onset else None,
                      asked_services=intent.services,
                      failing_services=evidence.affected_services, patterns=evidence.patterns,
                      concentrations=evidence.concentrations, catalog=rt.catalog,
                      service_rates=evidence.service_rates, priors=risk_priors(history), lines=evidence.lines,
                      symptom="latency" if evidence.latency is not None else "errors")
        suspects = rank_changes(changes, ctx)
    mark("ranking")
    progress(steps.ranking_done(suspects))
    partial = list(rt.gateway.partial_reasons()) + ([store_failed] if store_failed else [])
    if store_failed:
        sources = [SourceStatus(name=LOG_STORE, ok=False, error=store_failed), *sources]
    answer = Answer(question=intent.question, at=at, mode="deterministic", intent=intent, evidence=evidence,
                    changes=[c for c in changes if intent.start - CHANGE_LOOKBACK <= c.timestamp <= intent.end],
                    suspects=suspects, summary="", sources=sources, timing_ms=timing, notes=list(intent.notes),
                    partial=partial)
    if investigation_id:
        answer.investigation_id = investigation_id
    _summarise(answer, changes, rt.settings, store_failed, rt.catalog)
    for status in sources:
        if not status.ok and status.name != LOG_STORE:
            answer.notes.append(f"change source {status.name} failed: {status.error}")
        if status.truncated:
            answer.notes.append(f"change source {status.name}: {status.truncated}")
    if recall:  # a follow-up in a thread: its first answer already said what was seen before
        _recall(answer, rt)
    mark("total")
    return answer


LOG_STORE = "log store"


def _recall(answer: Answer, rt: Runtime) -> None:
    """Cite the best earlier investigation that saw the same error, in a sentence beside the summary.

    Added after the (verified or LLM) summary so the model never phrases a
    claim about the past; a memory failure costs only this sentence.
    """
    if rt.recall is None or answer.intent.ask != "investigate":  # counts and lists are not incidents
        return
    try:
        answer.history = rt.recall.recall(answer)
    except Exception as exc:  # noqa: BLE001 - the memory is optional: the answer stands without it
        log.warning("seen-before lookup failed: %s", exc)
        answer.notes.append(f"seen-before lookup failed ({type(exc).__name__})")
        return
    # Kept out of `summary`: the contract's summary cites only the log query, patterns,
    # evidence and suspects (what a checker of the contract resolves); the terminal, the
    # JSON (`seen_before`) and Slack show this sentence with its [H1] beside the summary.


def _partial_sentence(answer: Answer, store_failed: str | None) -> str:
    main = answer.evidence.main.id
    if store_failed:
        return (f"The log store did not answer in time, so this answer has no log counts, onset or patterns; "
                f"only the changes are listed [{main}].")
    return f"The counts are partial, lower bounds: {'; '.join(answer.partial)} [{main}]."


def _summarise(answer: Answer, changes: list[Change], settings: Settings, store_failed: str | None,
               catalog: Catalog | None = None) -> None:
    """The templated summary, verified; then the model's wording when one is configured (verified too).

    A partial answer says so first, whichever wording is kept; with no evidence there is nothing to phrase.
    """
    draft = "" if store_failed else template_summary(answer.intent, answer.evidence, answer.suspects, changes)
    summary, dropped = verify_summary(draft, answer.ids())
    if dropped:
        log.warning("summary sentences dropped by the verifier: %s", dropped)
    answer.summary = summary
    if not store_failed:
        answer.summary, answer.mode, llm_notes = write_summary(answer, settings, catalog)
        answer.notes.extend(llm_notes)
    if answer.partial:
        answer.summary = " ".join(x for x in (_partial_sentence(answer, store_failed), answer.summary) if x)
        answer.notes.extend(f"partial result: {reason}" for reason in answer.partial)


def what_changed(rt: Runtime, text: str = "", service: str | None = None, since: str | None = None,
                 start: str | None = None, end: str | None = None, at: datetime | None = None) -> ChangeReport:
    """The changes in a window, newest first, optionally for some services.

    `text` is what a person types after /whatchanged; `since` (a duration such
    as 2h) and `start`/`end` (ISO times or HH:MM) are typed, and override its
    window. All sources share one deadline.
    """
    with answer_deadline(rt.settings.answer_deadline_s):
        return _what_changed(rt, text, service, since, start, end, rt.at(at))


def _what_changed(rt: Runtime, text: str, service: str | None, since: str | None, start: str | None,
                  end: str | None, at: datetime) -> ChangeReport:
    try:
        log_services = rt.fields().services
    except (UsageError, StoreSilent):
        log_services = []
    window = _typed_window(since, start, end, at)
    cq = parse_change_query(text, at, log_services, rt.catalog)
    if window is not None:
        cq.start, cq.end = window[0], window[1]
        cq.notes = [n for n in cq.notes if not n.startswith("no window named")] + window[2]
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
    return change_report(cq.start, cq.end, services, changes, sources, notes, history)


def _typed_window(since: str | None, start: str | None, end: str | None,
                  at: datetime) -> tuple[datetime, datetime, list[str]] | None:
    """The window from --since or --start/--end, read as typed values (never as a sentence)."""
    if start or end:
        if not (start and end):
            raise UsageError("--start and --end go together")
        win_start, win_end = _instant_option(start, at, "--start"), _instant_option(end, at, "--end")
        if win_end < win_start:
            raise UsageError(f"--end {end} is before --start {start}: give the earlier time as --start")
        return win_start, win_end, []
    if not since:
        return None
    span = parse_duration(since)
    if span is None or span <= timedelta(0):
        raise UsageError(f"--since {since!r} is not a duration: give one such as 30m, 2h or 1d")
    if span > MAX_WINDOW:
        return at - MAX_WINDOW, at, ["window capped at 30 days"]
    return at - span, at, []


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


def change_report(start: datetime, end: datetime, services: list[str], changes: list[Change],
                  sources: list[SourceStatus], notes: list[str], history: list[Change] | None = None) -> ChangeReport:
    """A change report with each change's risk flag (from the history's rollbacks, when given)."""
    priors = risk_priors(history or [])
    return ChangeReport(start, end, services, changes, sources, notes,
                        {c.id: risk_flag(c, priors, end) for c in changes})


def recent_failing_services(rt: Runtime, window: timedelta = timedelta(hours=2), at: datetime | None = None,
                            limit: int = 3) -> list[str]:
    """The services with failing lines in the last `window`, the most recently failing first.

    Doors use it to suggest questions that fit the moment ("Why is X
    failing?") from the data rather than from a fixed list; one bounded
    aggregation, no lines read.
    """
    at = rt.at(at)
    fm = rt.fields()
    if not fm.service:
        return []
    body = recent_failures_query(fm, at - window, at, limit, rt.settings.search_timeout)
    resp = rt.gateway.search(rt.settings.logs_index, body)
    buckets = ((resp.get("aggregations") or {}).get("services") or {}).get("buckets") or []
    return [str(b["key"]) for b in buckets][:limit]


__all__ = ["Answer", "ChangeReport", "Intent", "ProgressEvent", "ProgressObserver", "Runtime", "answer_intent",
           "build_intent", "change_report", "investigate", "read_changes", "recent_failing_services",
           "summarise_timeline", "verify_summary", "what_changed"]
