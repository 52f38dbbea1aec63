"""The onset is cited by one id everywhere: the summary, the JSON, Block Kit and the evidence pack say [Q1]."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta

from support.answerfixture import make_answer

from incidentbot.answer.pack import evidence_pack
from incidentbot.answer.summary import template_summary
from incidentbot.core.evidence import Histogram
from incidentbot.render.blocks import answer_blocks


def _with_histogram():
    answer = make_answer()
    ev = answer.evidence
    start = answer.at - timedelta(hours=1)
    times = [start + timedelta(minutes=i) for i in range(60)]
    failing = [0] * 32 + [55] * 28
    hist = Histogram(start, 60, times, [100] * 60, failing, {}, "Q2")
    answer.evidence = dataclasses.replace(ev, histogram=hist)
    answer.summary = template_summary(answer.intent, answer.evidence, answer.suspects, answer.changes)
    return answer


def test_summary_json_blocks_and_pack_cite_the_onset_alike() -> None:
    answer = _with_histogram()
    onset_sentence = next(s for s in answer.summary.split(". ") if "rose" in s and "UTC" in s)
    cited = re.findall(r"\[([A-Z]\d+)\]", onset_sentence)
    doc = answer.to_json()
    assert cited == ["Q1"] == [doc["onset_detail"]["source"]] == [doc["log_query"]["id"]]
    facts = json.dumps(answer_blocks(answer).blocks)
    assert re.search(r"\*Onset\* [^\"]*\[Q1\]", facts) and "[Q2]" not in facts
    pack = evidence_pack(answer)
    assert pack["onset"]["cite"] == "Q1"


def test_the_contract_can_resolve_the_onset_citation() -> None:
    # the contract resolves a summary's Q citation against log_query.id only
    answer = _with_histogram()
    doc = answer.to_json()
    ids = {doc["log_query"]["id"]} | {x["id"] for k in ("patterns", "evidence", "suspects") for x in doc[k]}
    assert set(re.findall(r"\[([A-Z]\d+)\]", doc["summary"])) <= ids
