"""The retrospective export: Markdown a person pastes into the postmortem document as it is.

Tables keep the entry ids (T1, T2, ...) so the narrative's citations can be
followed by eye, and every source is a link where one exists, so each line
can be checked against the channel or the change.
"""
from __future__ import annotations

from incidentbot.timeline.build import Entry, Timeline
from incidentbot.timeline.phases import DURATIONS, PHASES
from incidentbot.core.timeutil import iso


def _cell(text: str) -> str:
    """Table-safe text: no pipes or newlines to break the row, no HTML."""
    return " ".join(str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").split())


def source_link(entry: Entry) -> str:
    """A link for URLs (Slack permalinks, change URLs), the id as code otherwise."""
    src = entry.source
    if src.startswith(("http://", "https://")):
        label = "slack" if "/archives/" in src else (entry.ref or "link")
        return f"[{_cell(label)}]({src})"
    return f"`{_cell(src)}`"


def _time(entry_time: object) -> str:
    text = iso(entry_time) if entry_time else None  # type: ignore[arg-type]
    return text.replace("T", " ").replace("Z", "") if text else "-"


def render_markdown(tl: Timeline, title: str | None = None) -> str:
    """Title, phases with durations, the timeline table, open questions, the narrative."""
    scope = ", ".join(tl.services) or "all services"
    day = iso(tl.phases.times.get("detected") or tl.at)[:10]  # type: ignore[index]
    out = [f"# {title or f'Incident timeline: {scope} ({day})'}", "",
           f"Channel `{tl.channel}`, as of {_time(tl.at)} UTC. All times UTC.", "", "## Phases", "",
           "| phase | time | entry |", "|---|---|---|"]
    for phase in PHASES:
        entry = tl.phase_entry(phase)
        out.append(f"| {phase} | {_time(tl.phases.times.get(phase))} | "
                   f"{f'{entry.id} ' + source_link(entry) if entry else 'not reached'} |")
    out += ["", "| duration | from | to | time |", "|---|---|---|---|"]
    for name in DURATIONS:
        d = tl.durations[name]
        out.append(f"| {name.replace('_', ' ')} | {d['from']} | {d['to']} | {d['text'] or '-'} |")
    out += ["", "## Timeline", "", "| id | time | kind | what | source |", "|---|---|---|---|---|"]
    for e in tl.entries:
        out.append(f"| {e.id} | {_time(e.time)} | {e.kind} | {_cell(e.text)} | {source_link(e)} |")
    out += ["", "## Open questions", ""]
    out += [f"- {q}" for q in tl.open_questions] or ["- none"]
    out += ["", "## Narrative", "", tl.summary or "_no narrative: nothing could be cited_"]
    if tl.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in tl.notes]
    return "\n".join(out) + "\n"
