"""The answer for a person at a terminal: summary first, then suspects, patterns, lines, the query."""
from __future__ import annotations

import json
import textwrap

from incidentbot.core.answer import Answer
from incidentbot.core.change import ChangeReport
from incidentbot.core.mask import mask_secrets
from incidentbot.core.timeutil import iso
from incidentbot.core.evidence import human_ms
from incidentbot.render.sparkline import sparkline
from incidentbot.render.unranked import HEADING as UNRANKED_HEADING
from incidentbot.render.unranked import unranked_changes

WIDTH = 100


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def render_answer(answer: Answer) -> str:
    ev = answer.evidence
    out = [f"Q: {answer.question}", f"   as of {iso(answer.at)}, {answer.mode} mode, "
           f"{ev.main.hits} hits, {answer.timing_ms.get('total', 0):.0f} ms", "", "Summary", _wrap(answer.summary), ""]
    if ev.onset:
        out.append(f"Onset: {iso(ev.onset.at)} ({ev.onset.describe()})")
    else:
        out.append("Onset: none found (the rate did not step up)")
    if answer.intent.group_by and ev.breakdown:
        out.append(f"By {answer.intent.group_by}:")
        for key, n in ev.breakdown[:20]:
            out.append(f"  {n:>7}  {key}")
    if ev.histogram and ev.histogram.failing:
        out.append(f"Rate:  {sparkline(ev.histogram.failing, ev.onset.index if ev.onset else None)}  "
                   f"(failing lines per {ev.histogram.bucket_s // 60 or 1} min, | = onset)")
    if ev.latency:
        lat = ev.latency
        def pct(values: dict[str, float | None] | None) -> str:
            return ", ".join(f"{k} {human_ms(v)}" for k, v in (values or {}).items()) or "n/a"
        out.append(f"Latency ({lat.field_name}, {lat.unit}; {lat.method}; [{lat.source}]): window {pct(lat.window)}")
        if lat.before is not None or lat.after is not None:
            out.append(f"  before the onset {pct(lat.before)}; after {pct(lat.after)}")
        for key, values, n in lat.by_group[:10]:
            out.append(f"  {key}: {pct(values)} ({n} requests)")
    if ev.affected_services:
        out.append("Failing services: " + ", ".join(ev.affected_services))
    for c in ev.concentrations:
        out.append("Concentration: " + c.describe())
    out.append("")
    if answer.suspects:
        out.append("Suspects")
        for s in answer.suspects:
            c = s.change
            out.append(f"  {s.rank}. [{s.id}] {c.id}  {c.kind}  {c.service}  {iso(c.timestamp)}  "
                       f"confidence {s.confidence} ({s.score:.2f})")
            out.append(_wrap(c.title, "       "))
            for r in s.reasons:
                out.append(_wrap("- " + r, "       "))
            if c.url:
                out.append("       " + c.url)
        out.append("")
    if unranked := unranked_changes(answer):
        # the log store failed: nothing to rank against, so the changes are what is still known
        out.append(UNRANKED_HEADING)
        for change in unranked:
            out.append(f"  {iso(change.timestamp)}  {change.kind:<10} {change.id}  {change.service}")
            out.append(_wrap(change.title, "       "))
        out.append("")
    if ev.patterns:
        out.append("Error patterns (ranked by how much of the rise they explain)")
        for p in ev.patterns:
            tag = "NEW" if p.new else "old"
            since = f" since {p.first_seen}" if p.first_seen else ""
            out.append(f"  [{p.id}] {p.count:>6}x  {tag}{since}  (before: {p.baseline_count})")
            out.append(_wrap(p.template, "         "))
        out.append("")
    if answer.history:
        out.append("Seen before")
        out.append(_wrap(answer.history[0].sentence(), "  "))
        for h in answer.history:
            cause = f", cause marked: {h.cause}" if h.cause else ""
            out.append(f"  [{h.id}] {iso(h.at)} {h.where()}: suspected {h.suspected or 'nothing'}{cause} "
                       f"({h.matched_on} match {h.similarity:.2f}, investigation {h.investigation_id})")
            out.append(_wrap(f"Q: {h.question}", "         "))
        out.append("")
    if ev.lines:
        out.append("Evidence")
        for e in ev.lines:
            out.append(f"  [{e.id}] {e.timestamp}  {e.service or '-'}  {e.message[:160]}")
            out.append(f"         {e.index}/{e.doc_id}")
        out.append("")
    out.append(f"Query [{ev.main.id}] on {ev.main.index}: {ev.main.hits} hits")
    out.append(textwrap.indent(json.dumps(ev.main.body, indent=2), "  "))
    out.append("")
    out.append("Sources: " + ", ".join(f"{s.name} {'ok' if s.ok else 'FAILED: ' + (s.error or '')}" for s in answer.sources))
    for note in answer.notes:
        out.append("Note: " + note)
    return mask_secrets("\n".join(out))  # the one masking step, on everything printed


def render_changes(report: ChangeReport) -> str:
    scope = ", ".join(report.services) if report.services else "all services"
    out = [f"Changes to {scope} between {iso(report.start)} and {iso(report.end)}: {len(report.changes)}"]
    by_service: dict[str, list] = {}
    for c in report.changes:
        by_service.setdefault(c.service, []).append(c)
    for service in sorted(by_service, key=lambda s: -max(c.timestamp.timestamp() for c in by_service[s])):
        out.append("")
        out.append(service)
        for c in by_service[service]:
            author = f" by {c.author}" if c.author else ""
            risk, reason = report.risks.get(c.id, ("low", ""))
            flag = {"high": "!!", "medium": "! "}.get(risk, "  ")
            out.append(f"  {flag} {iso(c.timestamp)}  {c.kind:<12} {c.id:<16} {c.title}{author}")
            if risk == "high" and reason:
                out.append(f"  {'':23}  risk: {reason}")
            if c.url:
                out.append(f"  {'':20}  {c.url}")
    for s in report.sources:
        if not s.ok:
            out.append(f"\nSource {s.name} FAILED: {s.error}")
    for note in report.notes:
        out.append("Note: " + note)
    return mask_secrets("\n".join(out))
