"""The onset is cited by one id everywhere: the summary, the JSON and Block Kit name the query it came from."""
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
    assert cited == ["Q2"] == [doc["onset_detail"]["source"]]
    facts = json.dumps(answer_blocks(answer).blocks)
    assert re.search(r"\*Onset\* [^\"]*\[Q2\]", facts)
    pack = evidence_pack(answer)
    assert pack["onset"]["cite"] == "Q2"
    assert "Q2" in answer.ids()  # the id resolves in the same answer


def test_without_a_histogram_the_onset_cites_the_main_query() -> None:
    answer = make_answer()
    assert answer.evidence.onset_source == "Q1" == answer.to_json()["onset_detail"]["source"]
