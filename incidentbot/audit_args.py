"""The arguments of `incidentbot audit`: built on every start of the command line, so nothing heavy here.

The command itself (audit_command.py) reads the audit database and loads
only when `audit` runs; `--help` of any command does not pay for it.
"""
from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """The `audit list|export|show` subcommands on the command line's parser."""
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
