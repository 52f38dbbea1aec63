""""Seen before" on a replay of the fixtures: how often the right past investigation is cited, how often a wrong one.

Pass 1 asks every fixture's first investigative question in sequence into
an empty audit trail (each in its own channel) and marks the expected
culprit as the cause ("none of these" where no change caused it), as a responder would with the feedback buttons. Any
citation in pass 1 is a claim about a *different* incident. Pass 2 asks each
fixture again, re-phrased ("<services> is failing, what broke?"), and checks
that [H1] is pass 1's investigation of the same incident.

    python bench/seen_before.py [--server noida|osmem] [--db-url URL]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import fixture_scenarios, load_all, runtime_for, server

from incidentbot.config import settings_from
from incidentbot.core.feedback import NONE_OF_THESE, Feedback
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.memory import Asked, open_memory
from incidentbot.pipeline import investigate


def rephrase(question: dict) -> str:
    services = question["expect"].get("services") or []
    return f"{' and '.join(services)} {'is' if len(services) == 1 else 'are'} failing, what broke?" if services \
        else "what is failing right now and why?"


def cause(question: dict) -> str:
    """What the responder marks: the expected culprit, or "none of these" for an incident no change caused."""
    return question["expect"]["culprit"] or NONE_OF_THESE


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", default="noida", choices=["noida", "osmem"])
    ap.add_argument("--db-url", help="an empty audit database (default: a temporary SQLite file)")
    args = ap.parse_args()
    db_url = args.db_url or f"sqlite:///{tempfile.mkdtemp(prefix='seen-before-')}/audit.sqlite3"
    scenarios = fixture_scenarios()
    with server(args.server) as url:
        load_all(url, scenarios)
        # the recall may read every fixture's logs, so a wrong match is possible and counted
        reader = ReadOnlyGateway(settings_from(env={}, es_url=url), patterns=("logs-*",))
        memory = open_memory(reader, settings_from(env={"INCIDENTBOT_DB_URL": db_url}).memory)
        first: dict[str, str] = {}
        wrong_first = 0
        asked = [(sc, next((q for q in sc.questions if "culprit" in q["expect"]), None)) for sc in scenarios]
        asked = [(sc, q) for sc, q in asked if q is not None]
        for i, (sc, q) in enumerate(asked):
            rt = runtime_for(sc, url)
            rt.recall = memory
            answer = investigate(q["ask"], rt)
            memory.record(answer, Asked(door="bench", user="U1", channel=f"inc-{i + 1}"))
            memory.record_feedback(Feedback(investigation_id=answer.investigation_id, user="U2",
                                            cause_change_id=cause(q)))
            first[sc.name] = answer.investigation_id
            if answer.history:
                wrong_first += 1
                print(f"  pass 1 {sc.name}: claimed {answer.history[0].question!r} ({answer.history[0].matched_on})")
        right = wrong = missed = right_anywhere = cause_right = 0
        by_id = {v: k for k, v in first.items()}
        for sc, q in asked:
            rt = runtime_for(sc, url)
            rt.recall = memory
            answer = investigate(rephrase(q), rt)
            cited = [h.investigation_id for h in answer.history]
            if not cited:
                missed += 1
                print(f"  pass 2 {sc.name}: nothing recalled for {rephrase(q)!r}")
            elif cited[0] == first[sc.name]:
                right += 1
                cause_right += answer.history[0].cause == cause(q)
            else:
                wrong += 1
                print(f"  pass 2 {sc.name}: [H1] is {by_id.get(cited[0], '?')} ({answer.history[0].matched_on})")
            right_anywhere += first[sc.name] in cited
        memory.close()
    n = len(asked)
    print(f"{n} incidents replayed twice ({args.server}); audit trail {db_url.split(':')[0]}")
    print(f"pass 1 (all different incidents): a past investigation claimed in {wrong_first}/{n}")
    print(f"pass 2 (re-phrased): right [H1] {right}/{n} ({right / n:.0%}), right among the cited {right_anywhere}/{n}, "
          f"wrong [H1] {wrong}/{n}, nothing recalled {missed}/{n}; marked cause quoted {cause_right}/{right or 1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
