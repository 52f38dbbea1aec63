"""`incidentbot timeline --history FILE [--channel ID] [--at ISO] [--json] [--markdown]`.

The file is a saved `conversations.history` response (see history.py for the
accepted shape). The moment is `--at` / INCIDENTBOT_NOW, else the last
message's time, so a saved channel replays as it stood when it was saved.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from incidentbot.core.deadline import answer_deadline
from incidentbot.core.mask import mask_secrets
from incidentbot.config import Settings
from incidentbot.pipeline import Runtime
from incidentbot.render.json_out import dumps
from incidentbot.timeline.build import Timeline, build_timeline
from incidentbot.timeline.history import DEFAULT_LIMIT, load_history
from incidentbot.timeline.markdown import render_markdown
from incidentbot.core.timeutil import iso


def render_text(tl: Timeline) -> str:
    """The terminal view: phases, entries, open questions, narrative."""
    lines = [f"Timeline of {tl.channel} as of {iso(tl.at)}"]
    lines += [f"  {p:<10} {iso(t) or '-'}" for p, t in tl.phases.times.items()]
    lines.append("")
    for e in tl.entries:
        lines.append(f"{e.id:>4} {iso(e.time)} {e.kind:<9} {e.text[:140]}  ({e.source})")
    if tl.open_questions:
        lines += ["", "Open questions:"] + [f"  - {q}" for q in tl.open_questions]
    lines += ["", tl.summary]
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Build and print the timeline; 0 also when the logs could not be read (the JSON says so)."""
    workspace = settings.slack.workspace_url
    limit = int(getattr(args, "limit", None) or DEFAULT_LIMIT)
    # one deadline from the first step, as `ask` has: reading the history, the store's start-up checks, the
    # log read and the change sources all count against it, so a silent store cannot make the timeline
    # later than INCIDENTBOT_ANSWER_DEADLINE_S (the log read's answer keeps this one: it is sooner)
    with answer_deadline(settings.answer_deadline_s) as deadline:
        history = load_history(args.history, channel=getattr(args, "channel", None), workspace_url=workspace,
                               limit=limit)
        at = settings.at or (history.last.time if history.last else None)
        # the privilege check runs with the log read (read_logs), where an unreachable store is survivable
        rt = Runtime.create(settings, check=False, deadline=deadline)
        tl = build_timeline(rt, history, at=at, settings=settings)  # catches StoreUnreachable from the log read only
    for note in tl.notes:
        print(f"incidentbot: note: {note}", file=sys.stderr)
    md = render_markdown(tl)
    if args.json:
        out: dict[str, Any] = tl.to_json()
        out["markdown"] = md
        sys.stdout.write(dumps(out) + "\n")
    elif getattr(args, "markdown", False):
        sys.stdout.write(mask_secrets(md))
    else:
        print(mask_secrets(render_text(tl)))
    return 0
