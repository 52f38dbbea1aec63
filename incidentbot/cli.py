"""The command line (docs/contract.md): load, ask, whatchanged, demo, patterns, timeline, serve, config.

Exit status: 0 answered (also "nothing found" and partial answers), 2 usage or
configuration error or a question that cannot be answered as asked, 3 the
log store cannot be reached. With --json, standard output carries one JSON
object and nothing else; notices go to standard error.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.request
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from incidentbot.audit_command import add_parser as add_audit
from incidentbot.audit_command import run as run_audit
from incidentbot.core.errors import IncidentBotError, UsageError
from incidentbot.core.mask import install_log_masking, mask_secrets
from incidentbot.render.json_out import dumps

log = logging.getLogger("incidentbot")


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; keep its message to one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"incidentbot: error: {message}\n")
        raise SystemExit(2)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("where the data is")
    g.add_argument("--es-url", help="Elasticsearch URL (env INCIDENTBOT_ES_URL; default http://localhost:9200)")
    g.add_argument("--logs-index", help="logs index pattern (env INCIDENTBOT_LOGS_INDEX; default logs-*)")
    g.add_argument("--changes-index", help="changes index pattern (env INCIDENTBOT_CHANGES_INDEX; default changes-*)")
    g.add_argument("--catalog", help="service catalog JSON (env INCIDENTBOT_CATALOG)")
    g.add_argument("--at", help="pretend the question is asked at this ISO time (env INCIDENTBOT_NOW)")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="incidentbot", description="A read-only incident assistant: ask the logs why, see what changed.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("ask", parents=[common], help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--chart", metavar="FILE.png", help="also write the error-rate chart to this PNG")

    p = sub.add_parser("whatchanged", parents=[common], help="list the changes in a window, newest first")
    p.add_argument("text", nargs="?", default="", help='what you would type after /whatchanged: "payments 2h"')
    p.add_argument("--service")
    p.add_argument("--since", help="a duration such as 2h or 30m")
    p.add_argument("--start")
    p.add_argument("--end")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("load", parents=[common], help="index a scenario folder (a demo and test tool: it WRITES)")
    p.add_argument("scenario")
    p.add_argument("--force", action="store_true",
                   help="write even into indices the configured --logs-index / --changes-index patterns read")

    p = sub.add_parser("demo", parents=[common], help="start an embedded search server, load the demo, answer")
    p.add_argument("question", nargs="?")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("timeline", parents=[common], help="the incident timeline from a channel's history")
    p.add_argument("--history", required=True, help="a conversations.history response (JSON file)")
    p.add_argument("--channel", help="the channel id (for permalinks)")
    p.add_argument("--markdown", action="store_true", help="print the retrospective Markdown export")
    p.add_argument("--limit", type=int, default=1000, help="read at most N messages (phase markers always kept)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("serve", parents=[common], help="run the Slack bot")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--socket", action="store_true", help="Socket Mode (SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="serve Slack's HTTP requests at POST /slack/events")
    p.add_argument("--port", type=int, help="HTTP port (env PORT; default 3000)")
    p.add_argument("--host", default="0.0.0.0")

    p = sub.add_parser("config", parents=[common], help="print the effective settings (secrets redacted)")
    p.add_argument("--check", action="store_true",
                   help="also say whether the log store, each change source and the LLM answer (read-only requests)")
    p.add_argument("--json", action="store_true")

    add_audit(sub, _Parser)

    p = sub.add_parser("patterns", help="mine the error patterns of raw log lines (file or stdin)")
    p.add_argument("file", nargs="?")
    p.add_argument("--json", action="store_true")
    return parser


def _settings(args: argparse.Namespace, **extra: object):
    # lazy: parsing and --help need none of the search stack (elasticsearch, pydantic: over a second)
    from incidentbot.config import settings_from

    return settings_from(es_url=getattr(args, "es_url", None), logs_index=getattr(args, "logs_index", None),
                         changes_index=getattr(args, "changes_index", None), catalog_path=getattr(args, "catalog", None),
                         at=getattr(args, "at", None), **extra)


def _emit_json(obj: dict) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def _emit(args: argparse.Namespace, result: Any, render: Callable[[Any], str]) -> int:
    """A command's result on stdout: the contract's JSON with --json, else `render`'s text for a terminal."""
    if args.json:
        _emit_json(result.to_json())
    else:
        print(render(result))
    return 0


def _remembered(rt, question: str):
    """Investigate with the memory: "seen before" from the audit trail, and the answer recorded in it."""
    # lazy, like the command handlers: parsing and --help need none of this
    from incidentbot.memory import Asked, open_memory
    from incidentbot.pipeline import investigate

    memory = open_memory(rt.gateway, rt.settings.memory)
    rt.recall = memory
    try:
        answer = investigate(question, rt)
        answer.notes.extend(memory.problems)
        memory.record(answer, Asked(door="cli", user=os.environ.get("USER") or None))
    finally:
        memory.close()
    return answer


def cmd_ask(args: argparse.Namespace) -> int:
    # lazy: parsing and --help need none of the search stack (elasticsearch, pydantic: over a second)
    from incidentbot.core.deadline import answer_deadline
    from incidentbot.pipeline import Runtime
    from incidentbot.render.terminal import render_answer

    settings = _settings(args)
    # one deadline from the first step: the start-up checks count against it, so a silent store cannot
    # make the answer later than INCIDENTBOT_ANSWER_DEADLINE_S (the pipeline keeps this one: it is sooner)
    with answer_deadline(settings.answer_deadline_s) as deadline:
        rt = Runtime.create(settings, deadline=deadline)
        answer = _remembered(rt, args.question)
    if args.chart:
        # lazy: matplotlib takes most of a second to import, and only a chart needs it
        from incidentbot.render.chart import chart_data, render_png

        try:
            Path(args.chart).write_bytes(render_png(chart_data(answer)))
            print(f"chart written to {args.chart}", file=sys.stderr)
        except OSError as exc:
            raise UsageError(f"cannot write the chart to {args.chart}: {exc.strerror}") from None
    return _emit(args, answer, render_answer)


def cmd_whatchanged(args: argparse.Namespace) -> int:
    # lazy: parsing and --help need none of the search stack (elasticsearch, pydantic: over a second)
    from incidentbot.core.deadline import answer_deadline
    from incidentbot.pipeline import Runtime, what_changed
    from incidentbot.render.terminal import render_changes

    settings = _settings(args)
    with answer_deadline(settings.answer_deadline_s) as deadline:
        rt = Runtime.create(settings, deadline=deadline)
        report = what_changed(rt, args.text, service=args.service, since=args.since, start=args.start, end=args.end)
    return _emit(args, report, render_changes)


def cmd_load(args: argparse.Namespace) -> int:
    # lazy, and only here and in `demo`: the writing tools (incidentbot.dev) stay out of every other command
    from incidentbot.dev.scenario import load_scenario, read_scenario

    settings = _settings(args)
    scenario = read_scenario(args.scenario)
    print(f"incidentbot load WRITES: it deletes and re-creates {scenario.logs_index} and {scenario.changes_index} "
          f"at {settings.es_url} (a demo and test tool; the bot itself never writes)", file=sys.stderr)
    counts = load_scenario(scenario, settings.es_url, force=args.force,
                           read_patterns=(settings.logs_index, settings.changes_index))
    for index, n in counts.items():
        print(f"loaded {n} documents into {index}", file=sys.stderr)
    return 0


def demo_scenario_path() -> Path:
    return Path(str(resources.files("incidentbot") / "data" / "demo"))


def cmd_demo(args: argparse.Namespace) -> int:
    # lazy, as in `load`: the writing tools (incidentbot.dev) stay out of every other command
    from incidentbot.config import settings_from
    from incidentbot.core.deadline import answer_deadline
    from incidentbot.dev.embedded import EmbeddedSearchServer, cache_dir
    from incidentbot.dev.scenario import load_scenario, read_scenario
    from incidentbot.pipeline import Runtime
    from incidentbot.render.terminal import render_answer

    scenario = read_scenario(demo_scenario_path())
    question = args.question or scenario.questions[0]["ask"]
    print(f"starting the embedded search server (data in {cache_dir() / 'noida'}) ...", file=sys.stderr)
    with EmbeddedSearchServer(cache_dir() / "noida") as server:
        try:
            with urllib.request.urlopen(f"{server.url}/{scenario.logs_index}/_count", timeout=30) as resp:
                loaded = json.loads(resp.read()).get("count") == len(scenario.logs)
        except OSError:
            loaded = False
        if not loaded:
            print(f"loading the demo scenario {scenario.name!r} ({len(scenario.logs)} log lines) ...", file=sys.stderr)
            load_scenario(scenario, server.url, force=True)  # the demo's own server: nothing else to protect
        catalog = str(scenario.catalog_path) if scenario.catalog_path else None
        settings = settings_from(es_url=server.url, logs_index=scenario.logs_index,
                                 changes_index=scenario.changes_index, catalog_path=catalog,
                                 at=args.at or scenario.now)
        # the demo reads only its own changes, whatever change sources the environment configures
        settings = settings.replace(changes={"es_index": {"index": scenario.changes_index}})
        print(f"asking as of {scenario.now}: {question}\n", file=sys.stderr)
        # the answer's deadline starts here, as in `ask`: the start-up checks count against it (starting the
        # embedded server and loading the demo above are the demo's set-up, not the answer)
        with answer_deadline(settings.answer_deadline_s) as deadline:
            rt = Runtime.create(settings, deadline=deadline)
            answer = _remembered(rt, question)
        return _emit(args, answer, render_answer)


def cmd_patterns(args: argparse.Namespace) -> int:
    # lazy: parsing and --help need none of the search stack (elasticsearch, pydantic: over a second)
    from incidentbot.patterns_command import run

    return run(args.file, args.json, sys.stdin.buffer, sys.stdout, sys.stderr)


def cmd_timeline(args: argparse.Namespace) -> int:
    # lazy: parsing and --help need none of the search stack (elasticsearch, pydantic: over a second)
    from incidentbot.timeline.command import run

    return run(args, _settings(args))


def cmd_audit(args: argparse.Namespace) -> int:
    return run_audit(args)


def cmd_serve(args: argparse.Namespace) -> int:
    # lazy: the Slack stack (slack-bolt, its adapters, waitress) loads only for `serve`
    from incidentbot.slack.serve import run

    return run(args, _settings(args, port=args.port))


def cmd_config(args: argparse.Namespace) -> int:
    from incidentbot.config_check import run

    return run(_settings(args), check=args.check, as_json=args.json, out=sys.stdout)


COMMANDS = {"ask": cmd_ask, "whatchanged": cmd_whatchanged, "load": cmd_load, "demo": cmd_demo,
            "patterns": cmd_patterns, "timeline": cmd_timeline, "serve": cmd_serve, "config": cmd_config,
            "audit": cmd_audit}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="incidentbot: %(levelname)s: %(message)s", stream=sys.stderr)
    install_log_masking()
    for noisy in ("elastic_transport", "elasticsearch", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except IncidentBotError as exc:
        for line in mask_secrets(str(exc)).splitlines() or [""]:  # settings errors: one line per problem
            sys.stderr.write(f"incidentbot: {line}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("incidentbot: interrupted\n")
        return 130
    except Exception as exc:  # a bug of ours: one line, the traceback only on request
        if os.environ.get("INCIDENTBOT_DEBUG"):
            raise
        sys.stderr.write(f"incidentbot: internal error: {type(exc).__name__}: {mask_secrets(str(exc))} "
                         "(set INCIDENTBOT_DEBUG=1 for the traceback)\n")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
