"""Recognising the incident's phases in what people and alerting tools wrote.

Two kinds of evidence: alert posts (PagerDuty, Opsgenie, Datadog, Grafana,
Alertmanager, Nagios-style "is CRITICAL"), whose words are fixed by the
vendor, and people's words ("seeing 500s", "declaring SEV2", "rolled back",
"all clear"). Rules are general phrases, checked clause by clause; a clause
that asks ("is it mitigated?"), denies ("not resolved yet", "hasn't been rolled
back") or looks ahead ("once it's mitigated", "going to roll back") marks
nothing, since a timeline that closes an incident on a question is worse than
one that misses a phase.

The phases are then read in order: detected is the first alert or report
(a declaration is also a report); declared, mitigated and resolved count only
at or after the phase before them, so yesterday's "resolved" in the same
channel does not finish today's incident. A person's resolution wins over an
alert clearing; the alert clearing is the fallback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidentbot.core.timeutil import human_duration, iso
from incidentbot.timeline.messages import Message

PHASES = ("onset", "detected", "declared", "mitigated", "resolved")
ALERT_VENDORS = re.compile(r"pagerduty|opsgenie|datadog|grafana|alertmanager|prometheus|nagios|icinga|sentry|"
                           r"new ?relic|statuspage|victorops|splunk|zabbix|cloudwatch", re.I)

# -- alert posts: vendor words ---------------------------------------------------------------
ALERT_FIRING = re.compile(
    r"\[FIRING(?::\d+)?\]|(?-i:\bTriggered\b)|\bAlert:|\bAlert (?:created|opened|triggered)\b|(?-i:\bis (?:CRITICAL|DOWN)\b)"
    r"|(?-i:\bPROBLEM\b)|\[(?:P[1-5]|SEV-?\d)\]\s*(?:Triggered|Alert)|\bstatus:\s*(?:alerting|firing|triggered)\b"
    r"|\bRe-?Triggered\b|\bIncident #?\d+ (?:triggered|opened)\b", re.I)
ALERT_CLEARED = re.compile(
    r"\[RESOLVED(?::\d+)?\]|\bResolved:|(?-i:\bRecovered\b|\bRECOVERY\b)|\bAlert (?:closed|resolved|recovered)\b"
    r"|(?-i:\bis (?:OK|UP)\b)|\bstatus:\s*(?:ok|resolved)\b|\bIncident #?\d+ resolved\b|^Resolved\b", re.I | re.M)
# a vendor title that says firing even when it starts with a case-sensitive word
_TRIGGER_WORD = re.compile(r"^\s*(?:\*|_)?(?:Triggered|Re-?triggered)\b", re.M)

# -- people's words --------------------------------------------------------------------------
DETECTED = re.compile(
    r"\b(?:seeing|seen|getting|noticing|noticed|spotted|observing|reports? of|customers? (?:report|are reporting|say))\b"
    r".{0,40}\b(?:5\d\d|5xx|errors?|failures?|timeouts?|exceptions?|latency|spike|alerts?|outage|complaints?)"
    r"|\b(?:is|are|went|seems?|looks?) (?:down|broken|failing|erroring|timing out|throwing|returning 5\d\d|on fire)\b"
    r"|\banyone else seeing\b|\bpaged (?:for|about|me)\b|\bgot paged\b|\bi'?m paged\b|\bpager (?:went off|fired)\b"
    r"|\berror rate (?:is )?(?:up|spiking|climbing|elevated)\b|\b(?:5xx|500s|502s|503s|errors?) (?:are )?(?:spiking|climbing|up)\b",
    re.I)
DECLARED = re.compile(
    r"\bdeclar(?:e|ed|ing)\b.{0,30}\b(?:sev-?\s?\d|incident|p[0-4])\b|/incident (?:declare|new|open)\b"
    r"|\b(?:this|it) is (?:a|an) (?:sev-?\s?\d|p[0-4]|incident)\b|\bopen(?:ed|ing) (?:a |an )?(?:sev-?\s?\d|p[0-4]|incident)\b"
    r"|\b(?:sev-?\s?\d|p[0-4]) (?:declared|incident (?:declared|opened))\b|\bincident (?:declared|opened)\b"
    r"|\b(?:upgrad|escalat|bump)(?:e|ed|ing) (?:this |it )?to (?:a )?(?:sev-?\s?\d|p[0-4])\b",
    re.I)
MITIGATED = re.compile(
    r"\bmitigated\b|\bmitigation (?:is )?(?:in place|complete|done|worked|applied)\b|\brolled back\b"
    r"|\broll-?back (?:is )?(?:complete|completed|done|finished|succeeded)\b|\breverted\b|\brevert (?:is )?(?:out|done|deployed)\b"
    r"|\berror rates? (?:is |are )?(?:back )?(?:to|at) (?:normal|baseline)\b|\berrors? (?:have |has )?(?:stopped|dropped to (?:zero|0|baseline))\b"
    r"|\bimpact (?:has )?(?:stopped|ended|is over)\b|\b(?:recovered|recovering fully)\b|\bback to normal\b"
    r"|\bno longer (?:seeing|getting|throwing|returning) (?:any )?(?:errors?|5\d\d|5xx|failures?)\b|\bfailed over\b",
    re.I)
RESOLVED = re.compile(
    r"\bresolved\b(?!\s+(?:to|into|fine|correctly|properly|the|a|an|it|hostnames?|names?|addresses)\b)|\ball[- ]clear\b|\bclos(?:e|ed|ing) (?:the |this )?(?:incident|sev-?\s?\d|p[0-4])\b"
    r"|/incident (?:resolve|close)\b|\bincident (?:is )?(?:over|closed)\b|\bstanding down\b",
    re.I)
PEOPLE = {"detected": DETECTED, "declared": DECLARED, "mitigated": MITIGATED, "resolved": RESOLVED}

# -- what makes a clause not a statement of fact ---------------------------------------------
_CLAUSE = re.compile(r"(?<=[.!?;,])\s+|\n+|\s+[-\u2013\u2014]\s+|\s+(?:but|however|although|though)\s+", re.I)
_NEGATION = re.compile(
    r"\b(?:not|never|no|nothing|none|nobody|without|yet to|cannot|can't|cant|isn'?t|aren'?t|wasn'?t|weren'?t"
    r"|hasn'?t|haven'?t|hadn'?t|didn'?t|doesn'?t|don'?t|won'?t|wouldn'?t|shouldn'?t|couldn'?t|unable|failed to|"
    r"far from)\b", re.I)
_HYPOTHETICAL = re.compile(
    r"\b(?:if|once|until|unless|whenever|whether|before|should|would|could|shall we|can we|could we|do we|did we|"
    r"have we|has it|is it|are we|are they|is this|was it|let'?s|let us|going to|gonna|about to|will|plan(?:ning)? to|"
    r"want to|need to|needs to|try(?:ing)? to|we'?ll|i'?ll|might|may|maybe|hopefully|expect(?:ing)? to|wait(?:ing)? for"
    r"|pending)\b", re.I)
_STALE = re.compile(r"\b(?:yesterday|last (?:week|night|month|time)|previous(?:ly)?|earlier incident|postmortem of)\b", re.I)
# phrases whose own words contain a "negation" that is the positive statement
_POSITIVE_NO = re.compile(r"\bno longer (?:seeing|getting|throwing|returning)\b|\bno (?:more )?(?:errors?|5xx|impact)\b", re.I)


@dataclass(frozen=True)
class Marker:
    """One message that marks a phase, and why."""

    phase: str
    message: Message
    by_alert: bool
    phrase: str

    @property
    def time(self) -> datetime:
        return self.message.time


def clauses(text: str) -> list[str]:
    """Clauses of a message: sentences, lines, and the parts either side of "but"."""
    return [c.strip() for c in _CLAUSE.split(text or "") if c and c.strip()]


def _window(clause: str, start: int, words: int = 6) -> str:
    """The few words before a match, where a negation or a condition would sit."""
    before = clause[:start].split()
    return " ".join(before[-words:])


_REPORT_QUESTION = re.compile(r"\b(?:anyone|anybody|is anyone|are others|others) (?:else )?(?:seeing|getting|noticing)\b", re.I)


def _asserted(clause: str, match: re.Match[str], phase: str) -> bool:
    """A statement of fact: not a question, not negated, not conditional or future, not about another time.

    "anyone else seeing 500s?" is the exception: the question is itself a report.
    """
    asks = clause.rstrip().endswith("?") or "?" in clause[match.end():match.end() + 40]
    if asks and not (phase == "detected" and _REPORT_QUESTION.search(clause)):
        return False
    before = _window(clause, match.start())
    span = before + " " + match.group(0)
    after = clause[match.end():match.end() + 20]
    positive_no = phase == "mitigated" and _POSITIVE_NO.search(span)
    if _NEGATION.search(span) and not positive_no:
        return False
    if re.match(r"\s*yet\b", after, re.I):
        return False
    if _HYPOTHETICAL.search(before):
        return False
    if _STALE.search(clause):
        return False
    return True


def is_alert_post(msg: Message) -> bool:
    """A post by an alerting integration (bot message with a vendor name or vendor wording)."""
    if not msg.is_bot:
        return False
    name = msg.bot_name or msg.author
    return bool(ALERT_VENDORS.search(name or "")) or bool(ALERT_FIRING.search(msg.text) or ALERT_CLEARED.search(msg.text))


def alert_state(msg: Message) -> str | None:
    """'firing' or 'cleared' for an alert post, None otherwise."""
    if not msg.is_bot:
        return None
    head = msg.text[:300]
    cleared = ALERT_CLEARED.search(head)
    firing = ALERT_FIRING.search(head) or _TRIGGER_WORD.search(head)
    if cleared and firing:
        return "cleared" if cleared.start() < firing.start() else "firing"
    if cleared:
        return "cleared"
    if firing:
        return "firing"
    return None


def people_markers(msg: Message) -> list[Marker]:
    """The phases a person's (or a non-alert bot's) message asserts."""
    found: list[Marker] = []
    for phase, rx in PEOPLE.items():
        for clause in clauses(msg.text):
            m = next((m for m in rx.finditer(clause) if _asserted(clause, m, phase)), None)
            if m:
                found.append(Marker(phase, msg, False, m.group(0)))
                break
    return found


def markers(msg: Message) -> list[Marker]:
    """Every phase marker in one message."""
    if msg.is_bot:
        state = alert_state(msg)
        if state == "firing":
            return [Marker("detected", msg, True, "alert firing")]
        if state == "cleared":
            return [Marker("resolved", msg, True, "alert cleared")]
        if is_finding(msg):
            return []
    return people_markers(msg)


FINDING = re.compile(r"\blikeliest cause is\b|\bpossible cause is\b|\btop suspect\b|\bsuspects?:|\bonset\b"
                     r"|\bthe rate in .* rose\b|\bno change in the window clearly explains\b", re.I)


def is_finding(msg: Message) -> bool:
    """A bot's own earlier finding: a cause, suspects, or an onset, posted in the channel."""
    return msg.is_bot and not is_alert_post(msg) and bool(FINDING.search(msg.text))


def is_significant(msg: Message) -> bool:
    """Kept whatever the bound: a phase marker, an alert or a finding."""
    return bool(markers(msg)) or is_finding(msg) or (msg.is_bot and alert_state(msg) is not None)


@dataclass
class Phases:
    """The phase times and the marker message behind each (the onset comes from the logs)."""

    times: dict[str, datetime | None]
    markers: dict[str, Marker | None]

    def to_json(self) -> dict[str, str | None]:
        return {p: iso(self.times.get(p)) for p in PHASES}


def find_phases(messages: list[Message], onset: datetime | None = None) -> Phases:
    """Read the phases in order from every message's markers."""
    all_markers = [mk for msg in messages for mk in markers(msg)]
    all_markers.sort(key=lambda mk: (mk.time, mk.message.ts))
    chosen: dict[str, Marker | None] = {p: None for p in PHASES[1:]}

    def first(phase: str, after: datetime | None, people_only: bool = False) -> Marker | None:
        for mk in all_markers:
            if mk.phase == phase and (after is None or mk.time >= after) and not (people_only and mk.by_alert):
                return mk
        return None

    detect = [mk for mk in all_markers if mk.phase in ("detected", "declared")]
    chosen["detected"] = detect[0] if detect else None
    floor = chosen["detected"].time if chosen["detected"] else None
    chosen["declared"] = first("declared", floor)
    floor = chosen["declared"].time if chosen["declared"] else floor
    chosen["mitigated"] = first("mitigated", floor)
    floor = chosen["mitigated"].time if chosen["mitigated"] else floor
    resolved = first("resolved", floor, people_only=True)
    if resolved is None:
        resolved = _alerts_cleared(all_markers, floor)
    chosen["resolved"] = resolved
    times: dict[str, datetime | None] = {"onset": onset}
    times.update({p: (mk.time if mk else None) for p, mk in chosen.items()})
    return Phases(times, {"onset": None, **chosen})


def _alerts_cleared(all_markers: list[Marker], floor: datetime | None) -> Marker | None:
    """The alert clearing after the last alert fired: the fallback when no person said it was over."""
    last_fire = max((mk.time for mk in all_markers if mk.by_alert and mk.phase == "detected"), default=None)
    if last_fire is None:
        return None
    for mk in all_markers:
        if mk.by_alert and mk.phase == "resolved" and mk.time >= last_fire and (floor is None or mk.time >= floor):
            return mk
    return None


DURATIONS: dict[str, tuple[str, str]] = {
    "to_detect": ("onset", "detected"),
    "to_declare": ("detected", "declared"),
    "to_mitigate": ("detected", "mitigated"),
    "to_resolve": ("detected", "resolved"),
}


def durations(times: dict[str, datetime | None]) -> dict[str, dict[str, Any]]:
    """Time to detect (from the onset), and to declare, mitigate and resolve (from detection), in seconds.

    Measured from detection, not the onset, because the onset is only known
    when the logs answer; the phases from the channel always are.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, (a, b) in DURATIONS.items():
        start, end = times.get(a), times.get(b)
        seconds = int((end - start).total_seconds()) if start and end else None
        out[name] = {"from": a, "to": b, "seconds": seconds,
                     "text": (("-" if seconds < 0 else "") + human_duration(timedelta(seconds=seconds)))
                     if seconds is not None else None}
    return out
