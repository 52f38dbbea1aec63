"""`incidentbot audit list|show ID|export`: what the bot was asked and what it answered.

Reads the audit database (INCIDENTBOT_DB_URL, default a SQLite file) and
never the log store. `list` is for people, `show` is one record in full,
`export` writes every selected record (with its feedback) for other tools.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from incidentbot.core.errors import UsageError
from incidentbot.core.timeutil import iso, now_utc, parse_instant

if TYPE_CHECKING:
    from incidentbot.memory.store import AuditStore, Filter

# The memory package (sqlalchemy, alembic) is imported when an audit command runs, not when the
# command line is built: it costs about 1.4 s of start-up, which every other command would pay.

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", help="the audit trail: past questions, answers and feedback")
    verbs = p.add_subparsers(dest="audit_command", required=True, parser_class=parser_class)
    for name, helptext in (("list", "past investigations, newest first"),
                           ("export", "every selected record in full, one JSON object per line")):
        v = verbs.add_parser(name, help=helptext)
        v.add_argument("--since", help="a duration (7d, 24h, 30m) or an ISO time")
        v.add_argument("--until", help="an ISO time")
        v.add_argument("--channel", help="a Slack channel id (or name) the question came from")
        v.add_argument("--service", help="a service the investigation was about or found failing")
        v.add_argument("--limit", type=int, default=50 if name == "list" else 0, help="at most N (0: all)")
        v.add_argument("--json", action="store_true", help="one JSON object")
    v = verbs.add_parser("show", help="one investigation in full, with its feedback")
    v.add_argument("id", help="the investigation id (or a unique prefix of it)")
    v.add_argument("--json", action="store_true")


def _instant(value: str | None, what: str) -> datetime | None:
    if not value:
        return None
    m = _DURATION.match(value)
    if m:
        return now_utc() - timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
    try:
        return parse_instant(value)
    except ValueError:
        raise UsageError(f"{what} must be a duration such as 7d or 24h, or an ISO 8601 time, not {value!r}") from None


def _filter(args: argparse.Namespace) -> Filter:
    from incidentbot.memory.store import Filter

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be 0 (all) or more")
    return Filter(since=_instant(args.since, "--since"), until=_instant(args.until, "--until"),
                  channel=args.channel, service=args.service, limit=args.limit or None)


def _line(r: Any) -> str:
    where = f"#{r.channel}" if r.channel else r.door
    culprit = f"{r.culprit_change_id} ({r.culprit_confidence})" if r.culprit_change_id else "no suspect"
    return f"{r.id}  {iso(r.asked_at)}  {where:<14} {r.hits:>7} hits  {culprit:<28} {r.question[:70]}"


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from incidentbot.config import settings_from
    from incidentbot.memory import open_memory
    from incidentbot.memory.store import AuditStore, as_dict

    out = out or sys.stdout
    store = open_memory(None, settings_from().memory, required=True).store
    assert isinstance(store, AuditStore)
    try:
        if args.audit_command == "show":
            return _show(store, args, out)
        rows = store.search(_filter(args))
        if args.audit_command == "list":
            if args.json:
                out.write(json.dumps({"investigations": [_summary(r) for r in rows]}, ensure_ascii=False) + "\n")
            else:
                out.write("\n".join(_line(r) for r in rows) + ("\n" if rows else ""))
                print(f"{len(rows)} investigation(s) in {store.url.split('://')[0]} audit trail", file=sys.stderr)
            return 0
        records = [as_dict(r, store.feedback_for(r.id)) for r in reversed(rows)]
        if args.json:
            out.write(json.dumps({"investigations": records}, ensure_ascii=False, default=str) + "\n")
        else:
            for rec in records:
                out.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
        return 0
    finally:
        store.close()


def _summary(r: Any) -> dict[str, Any]:
    return {"investigation_id": r.id, "at": iso(r.asked_at), "recorded_at": iso(r.created_at), "door": r.door,
            "user": r.user, "channel": r.channel, "thread_ts": r.thread_ts, "question": r.question,
            "hits": r.hits, "mode": r.mode, "top_pattern": r.top_template, "suspect": r.culprit_change_id,
            "confidence": r.culprit_confidence, "total_ms": r.total_ms, "failed_sources": r.failed_sources}


def _show(store: AuditStore, args: argparse.Namespace, out: TextIO) -> int:
    from incidentbot.memory.store import as_dict

    row = store.find(args.id)
    if row is None:
        raise UsageError(f"no investigation {args.id!r} in the audit trail (see `incidentbot audit list`)")
    record = as_dict(row, store.feedback_for(row.id))
    if args.json:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return 0
    asked = record.get("asked") or {}
    lines = [f"Investigation {row.id}", f"  asked {iso(row.asked_at)} via {row.door}"
             + (f" by {asked.get('user')}" if asked.get("user") else "")
             + (f" in #{row.channel}" if row.channel else ""),
             f"  Q: {row.question}", f"  mode {row.mode}, {row.hits} hits, {row.total_ms:.0f} ms", "",
             "Summary", f"  {record.get('summary', '')}", ""]
    for q in [record.get("log_query") or {}] + list(record.get("queries") or []):
        if q:
            lines.append(f"Query [{q.get('id')}] on {q.get('index')}: {q.get('hits')} hits ({q.get('purpose', '')})")
    for s in record.get("suspects") or []:
        lines.append(f"Suspect [{s['id']}] {s['change_id']} {s['confidence']} ({s['score']}): "
                     + "; ".join(s.get("reasons") or []))
    lines.append("Evidence: " + ", ".join(f"{e['id']}={e['index']}/{e['doc_id']}" for e in record.get("evidence") or []))
    for f in record["feedback"]:
        verdict = {True: "helpful", False: "not helpful", None: ""}[f["helpful"]]
        cause = f"cause: {f['cause_change_id']}" if f["cause_change_id"] else ""
        lines.append(f"Feedback {f['at']} by {f['user']}: {' '.join(x for x in (verdict, cause) if x)}")
    for s in record.get("source_failures") or []:
        lines.append(f"Source {s.get('name')} FAILED: {s.get('error')}")
    out.write("\n".join(lines) + "\n")
    return 0
