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
from incidentbot.core.evidence import LogEvidence, human_ms
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


def _pcts(values: dict[str, float | None] | None, keys: tuple[str, ...] = ("p50", "p95", "p99")) -> str:
    return ", ".join(f"{k} {human_ms((values or {}).get(k))}" for k in keys)


def latency_sentences(intent: Intent, ev: LogEvidence) -> list[str]:
    """What a latency question is told: the count asked for, the percentiles, and the rise if there was one."""
    lat = ev.latency
    window = f"between {iso(intent.start)} and {iso(intent.end)}"
    scope = _scope(intent)
    q = ev.main.id
    if lat is None:
        return [f"No request durations were found for {scope} {window}, so latency cannot be measured [{q}]."]
    out = []
    if intent.slower_than_ms is not None:
        out.append(f"{ev.main.hits} requests in {scope} were slower than {human_ms(intent.slower_than_ms)} {window} [{q}].")
    elif intent.ask == "count" or lat.onset is None:
        asked = f"p{intent.percentile:g}" if intent.percentile else None
        value = lat.window.get(asked) if asked and asked in lat.window else None
        lead = f"The {asked} of {scope} {window} was {human_ms(value)}" if value is not None else \
            f"Requests in {scope} {window}"
        out.append(f"{lead} over {ev.main.hits} measured requests ({_pcts(lat.window)}) [{q}].")
    else:
        out.append(f"Of {ev.main.hits} requests in {scope} {window}, {lat.slow_requests} were slower than "
                   f"{human_ms(lat.threshold_ms)}, the p{lat.threshold_percentile:g} before the onset [{q}].")
    if lat.onset is not None:
        out.append(f"Latency in {scope} rose at {hhmm(lat.onset.at)} UTC: p95 from {human_ms((lat.before or {}).get('p95'))} "
                   f"to {human_ms((lat.after or {}).get('p95'))}, p99 from {human_ms((lat.before or {}).get('p99'))} "
                   f"to {human_ms((lat.after or {}).get('p99'))}, p50 from {human_ms((lat.before or {}).get('p50'))} "
                   f"to {human_ms((lat.after or {}).get('p50'))} [{q}].")
    elif intent.ask == "investigate":
        out.append(f"Latency in {scope} shows no clear step in the analysed range [{q}].")
    if lat.by_group:
        listed = ", ".join(f"{k} (p95 {human_ms(v.get('p95'))}, {n} requests)" for k, v, n in lat.by_group[:5])
        out.append(f"Slowest by {intent.group_by or 'endpoint'}: {listed} [{q}].")
    for c in ev.concentrations[:2]:
        out.append(f"{c.share:.0%} of the slow requests have {c.field} {c.value}, against {c.traffic_share:.0%} "
                   f"of all requests [{q}].")
    return out


def template_summary(intent: Intent, ev: LogEvidence, suspects: list[Suspect], changes: list[Change]) -> str:
    sentences: list[str] = []
    window = f"between {iso(intent.start)} and {iso(intent.end)}"
    if intent.symptom == "latency":
        sentences.extend(latency_sentences(intent, ev))
        if intent.ask == "investigate":
            sentences.extend(_cause(intent, ev, suspects))
        return " ".join(sentences)
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
        sentences.extend(_cause(intent, ev, suspects))
    return " ".join(sentences)


def _cause(intent: Intent, ev: LogEvidence, suspects: list[Suspect]) -> list[str]:
    top = suspects[0] if suspects else None
    if top and top.confidence in ("high", "medium"):
        c = top.change
        why = "; ".join(top.reasons[:2])
        lead = "The likeliest cause is" if top.confidence == "high" else "A possible cause is"
        return [f"{lead} {c.id}, a {c.kind.replace('_', ' ')} of {c.service} at {hhmm(c.timestamp)} UTC ({why}) [{top.id}]."]
    if suspects:
        return [f"No change in the window clearly explains it; the nearest candidate, {suspects[0].change.id}, is only a weak match [{suspects[0].id}]."]
    if ev.onset:
        return [f"No change was recorded before the onset; look at dependencies and third parties [{ev.main.id}]."]
    return []


def hhmm_iso(text: str) -> str:
    try:
        return hhmm(parse_instant(text)) + " UTC"
    except ValueError:
        return text

