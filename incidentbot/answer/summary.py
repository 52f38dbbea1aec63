"""The templated cited summary: the answer in a few sentences, each carrying the ids it rests on.

Citations use the ids a reader can resolve in the same answer: the main query
[Q1] (whose filters the rate and onset were computed with; `onset_source`, the
same id the JSON and Block Kit show), patterns [P],
evidence lines [E] and suspects [C].

It is what the bot says when no LLM is configured, and what it falls back to
when the LLM fails. Every sentence cites ([Q1] [P1] [E1] [C1]), and every
number in it comes from the evidence.
"""
from __future__ import annotations

from incidentbot.core.change import Change
from incidentbot.core.evidence import LogEvidence
from incidentbot.core.intent import Intent
from incidentbot.core.suspect import Suspect
from incidentbot.core.timeutil import hhmm, iso, parse_instant


def _scope(intent: Intent) -> str:
    names = intent.services
    return ", ".join(names) if names else "all services"


def _what(intent: Intent) -> str:
    bits = []
    if intent.levels:
        bits.append("/".join(intent.levels) + "-level")
    if intent.status:
        bits.append("status " + "/".join(s.label for s in intent.status))
    if intent.text:
        bits.append("mentioning " + " and ".join(f'"{t}"' for t in intent.text))
    return " ".join(bits) if bits else ("failing" if intent.ask == "investigate" else "")


def template_summary(intent: Intent, ev: LogEvidence, suspects: list[Suspect], changes: list[Change]) -> str:
    sentences: list[str] = []
    window = f"between {iso(intent.start)} and {iso(intent.end)}"
    what = _what(intent)
    lines_word = f"{what} log lines" if what else "log lines"
    if intent.ask == "count":
        sentences.append(f"{ev.main.hits} {lines_word} from {', '.join(intent.services) or 'all services'} {window} [{ev.main.id}].")
    else:
        sentences.append(f"{ev.main.hits} {lines_word} in {', '.join(intent.services) or 'all services'} {window} [{ev.main.id}].")
    if intent.group_by and ev.breakdown:
        top = sorted(ev.breakdown, key=lambda kv: -kv[1])[:5] if intent.group_by != "minute" else ev.breakdown
        if intent.group_by == "minute":
            peak = max(ev.breakdown, key=lambda kv: kv[1])
            sentences.append(f"Per minute, the peak was {peak[1]} at {hhmm_iso(peak[0])} [{ev.main.id}].")
        else:
            listed = ", ".join(f"{k} ({n})" for k, n in top if n)
            sentences.append(f"By {intent.group_by}: {listed} [{ev.main.id}].")
    if ev.onset:
        rise = ev.onset.describe()
        sentences.append(f"The rate in {_scope(intent)} rose {rise} at {hhmm(ev.onset.at)} UTC [{ev.onset_source}].")
        others = [s for s in ev.affected_services if s not in (intent.services)]
        if others:
            related = [p.id for p in ev.patterns if set(p.services) & set(others)][:3]
            cites = "".join(f"[{pid}]" for pid in related) or f"[{ev.main.id}]"
            sentences.append(f"Failing lines rose at the same time in {', '.join(others[:4])} {cites}.")
    else:
        sentences.append(f"The rate of {what or 'matching'} lines in {_scope(intent)} shows no clear step in the analysed range [{ev.onset_source}].")
    new = [p for p in ev.patterns if p.new]
    if new:
        p = new[0]
        cite = "".join(f"[{e}]" for e in p.evidence_ids[:1])
        since = f" since {hhmm_iso(p.first_seen)}" if p.first_seen else ""
        sentences.append(f"The top new error is \u201c{p.template}\u201d, {p.count} times{since} [{p.id}]{cite}.")
        if p.precursor:
            sentences.append(f"It began before the onset, a precursor [{p.id}].")
        pre = [x for x in ev.patterns if x.precursor and x is not p and x.first_seen]
        if pre and ev.onset:
            q = min(pre, key=lambda x: x.first_seen or "")
            cite = "".join(f"[{e}]" for e in q.evidence_ids[:1])
            sentences.append(f"Warnings \u201c{q.template}\u201d began at {hhmm_iso(q.first_seen or '')}, "
                             f"before the onset, as a build-up would [{q.id}]{cite}.")
    elif ev.patterns:
        p = ev.patterns[0]
        cite = "".join(f"[{e}]" for e in p.evidence_ids[:1])
        sentences.append(f"The commonest pattern, \u201c{p.template}\u201d ({p.count} times), was already there before [{p.id}]{cite}.")
    if intent.ask == "investigate":
        top = suspects[0] if suspects else None
        if top and top.confidence in ("high", "medium"):
            c = top.change
            why = "; ".join(top.reasons[:2])
            lead = "The likeliest cause is" if top.confidence == "high" else "A possible cause is"
            sentences.append(f"{lead} {c.id}, a {c.kind.replace('_', ' ')} of {c.service} at {hhmm(c.timestamp)} UTC ({why}) [{top.id}].")
        elif suspects:
            sentences.append(f"No change in the window clearly explains it; the nearest candidate, {suspects[0].change.id}, is only a weak match [{suspects[0].id}].")
        elif ev.onset:
            sentences.append(f"No change was recorded before the onset; look at dependencies and third parties [{ev.main.id}].")
    return " ".join(sentences)


def hhmm_iso(text: str) -> str:
    try:
        return hhmm(parse_instant(text)) + " UTC"
    except ValueError:
        return text

