"""Progress of an investigation as typed events, so a door can show each step as it runs.

A responder trusts an answer more when they watch it being built: which
fields were found, how many failing lines, when it started, which patterns,
how many changes were read, which one ranks first. The pipeline reports each
step through a `ProgressObserver` (a plain callable taking a `ProgressEvent`)
instead of letting a door reach into the stages; the Slack layer turns the
events into streamed tasks or an edited progress message, the CLI ignores
them. The wording lives here, next to the types it reads, so every door
says the same thing; it is built from core types only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from incidentbot.core.change import Change
from incidentbot.core.evidence import LogEvidence
from incidentbot.core.intent import Intent
from incidentbot.core.suspect import Suspect
from incidentbot.core.timeutil import hhmm

# The steps of `investigate`, in the order they run (a door may show them as a plan).
STEPS: tuple[str, ...] = ("fields", "count", "onset", "patterns", "changes", "ranking")
STEP_TITLES = {"fields": "Field discovery", "count": "Count", "onset": "Onset", "patterns": "Error patterns",
               "changes": "Changes", "ranking": "Ranking"}

Status = Literal["started", "done", "failed"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step started, finished or failed.

    `doing` names the running work the way a person would ("counting
    checkout errors since 14:05"), `result` what came out ("297 failing
    lines in orders-api"), `citation` the id a reader can check ("Q1").
    """

    step: str
    status: Status
    doing: str = ""
    result: str = ""
    citation: str | None = None

    @property
    def title(self) -> str:
        return STEP_TITLES.get(self.step, self.step)

    def line(self) -> str:
        """The result with its citation, as one line: "297 failing lines in orders-api [Q1]"."""
        text = self.result or self.doing
        return f"{text} [{self.citation}]" if self.citation and text else text


ProgressObserver = Callable[[ProgressEvent], None]


def ignore(event: ProgressEvent) -> None:
    """The observer of a door that shows no progress."""
    return None


def _what(intent: Intent) -> str:
    names = ", ".join(intent.services[:3]) + (" and more" if len(intent.services) > 3 else "")
    return names or "all services"


def _symptom(intent: Intent) -> str:
    if intent.status:
        return "status " + ", ".join(s.label for s in intent.status) + " lines"
    if intent.levels:
        return "/".join(intent.levels) + " lines"
    if intent.text:
        return f'"{intent.text[0][:40]}" lines'
    return "failing lines" if intent.ask == "investigate" else "lines"


def fields_done(services_seen: int, intent: Intent) -> ProgressEvent:
    return ProgressEvent("fields", "done", "discovering fields",
                         f"{services_seen} services in the logs; asking about {_what(intent)}")


def counting(intent: Intent) -> ProgressEvent:
    symptom = _symptom(intent).replace(" lines", "")
    return ProgressEvent("count", "started", f"counting {_what(intent)} {symptom} since {hhmm(intent.start)}")


def evidence_done(intent: Intent, evidence: LogEvidence) -> list[ProgressEvent]:
    """The count, the onset and the patterns, each with the query or pattern ids it rests on."""
    main, onset = evidence.main, evidence.onset
    where = ", ".join(evidence.affected_services[:3]) or _what(intent)
    events = [ProgressEvent("count", "done", "", f"{main.hits} {_symptom(intent)} in {where}", main.id)]
    hist = evidence.onset_source
    if onset:
        events.append(ProgressEvent("onset", "done", "", f"onset at {hhmm(onset.at)} UTC ({onset.describe()})", hist))
    else:
        events.append(ProgressEvent("onset", "done", "", "no onset: the rate did not step up", hist))
    pats = evidence.patterns
    if pats:
        first = pats[0]
        events.append(ProgressEvent("patterns", "done", "",
                                    f"{len(pats)} error patterns; top: {first.template[:80]}", first.id))
    else:
        events.append(ProgressEvent("patterns", "done", "", "no error pattern stands out"))
    return events


def evidence_failed(reason: str) -> list[ProgressEvent]:
    """The log steps when the store did not answer in time: each says so (the changes are still read)."""
    short = reason.split(";", 1)[0][:160]
    return [ProgressEvent(step, "failed", "", short) for step in ("count", "onset", "patterns")]


def reading_changes(intent: Intent) -> ProgressEvent:
    return ProgressEvent("changes", "started", f"reading changes before {hhmm(intent.end)}")


def changes_done(changes: list[Change], failed_sources: list[str]) -> ProgressEvent:
    note = f" ({', '.join(failed_sources)} failed)" if failed_sources else ""
    return ProgressEvent("changes", "done", "", f"{len(changes)} changes in the window{note}")


def ranking(changes: list[Change]) -> ProgressEvent:
    return ProgressEvent("ranking", "started", f"ranking {len(changes)} changes")


def ranking_done(suspects: list[Suspect]) -> ProgressEvent:
    if not suspects:
        return ProgressEvent("ranking", "done", "", "no change to rank")
    top = suspects[0]
    return ProgressEvent("ranking", "done", "",
                         f"{len(suspects)} suspects; first: {top.change.kind} of {top.change.service}", top.id)
