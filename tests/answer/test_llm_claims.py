"""The LLM summary may name only what the pack holds and never tell people to act (issue 13, item 1).

Each hostile reply comes from the fake OpenAI endpoint over HTTP, as a
model's would. Before the fix these sentences were kept: "Deploy-1 is the
culprit [C1]." (no change deploy-1 in the pack), "Roll back deploy-1 now
[Q1].", "Delete the logs index and restart the cluster [Q1].", "Nine
thousand requests failed [Q1]."
"""
from __future__ import annotations

import pytest
from support.answerfixture import make_answer
from support.fakeopenai import FakeOpenAI, fake_openai, text_reply  # noqa: F401  (fixture)

from incidentbot.answer.claims import tells_to_act, words_to_numbers
from incidentbot.answer.llm_summary import llm_summary, write_summary
from incidentbot.core.change import Change
from incidentbot.core.mask import mask_secrets

GOOD = ("Checkout has returned 5xx responses since 14:04 UTC, rising from 0.2/min to 54.7/min [Q1]. "
        "A new error, \u201cconnection pool exhausted\u201d, appeared 1204 times [P1][E1]. "
        "The likeliest cause, with high confidence, is deploy-8841 of payments 2.31.0 at 14:01 UTC [C1].")

BAD = [
    ("Deploy-1 is the culprit [C1].", "names what the evidence does not hold"),
    ("Roll back deploy-8841 now [C1].", "tells people to act"),
    ("Delete the logs index and restart the cluster [Q1].", "tells people to act"),
    ("Nine thousand requests failed [Q1].", "number in words"),
    ("You should scale payments to ten replicas [C1].", "tells people to act"),
    ("The error \u201cdisk quota exceeded on volume\u201d is new [P1].", "quotes text"),
    ("Billing-api also failed [Q1].", "names what the evidence does not hold"),
    ("Please run the migration again [C1].", "tells people to act"),
]


def _answer_without_deploy_1():
    """The fixture's answer with only deploy-8841: a sentence naming deploy-1 names nothing real."""
    answer = make_answer()
    answer.suspects = answer.suspects[:1]
    answer.changes = [c for c in answer.changes if c.id != "deploy-1"]
    return answer


@pytest.mark.parametrize("bad,reason", BAD, ids=[b[0][:30] for b in BAD])
def test_each_hostile_sentence_is_dropped_and_the_rest_kept(fake_openai: FakeOpenAI, bad: str, reason: str) -> None:
    fake_openai.script = [text_reply(f"{bad} {GOOD}")]
    result = llm_summary(_answer_without_deploy_1(), fake_openai.settings())
    assert result.text == GOOD, result.dropped
    assert len(result.dropped) == 1 and reason in result.dropped[0]


def test_mostly_invented_replies_fall_back_to_the_template_with_a_note(fake_openai: FakeOpenAI) -> None:
    answer = _answer_without_deploy_1()
    first_good = GOOD.split(" [Q1]. ")[0] + " [Q1]."
    fake_openai.script = [text_reply(" ".join(b for b, _ in BAD[:4]) + " " + first_good)]
    text, mode, notes = write_summary(answer, fake_openai.settings())
    assert (text, mode) == (answer.summary, "deterministic")
    assert notes == ["LLM summary unavailable (too little survived verification (1 of 5 sentences)): "
                     "templated summary kept; it named what the evidence does not hold (Deploy-1)"]


def test_the_templated_summaries_pass_the_claims_check(fake_openai: FakeOpenAI) -> None:
    """The template obeys the rules the model is held to: it survives when the model echoes it."""
    answer = _answer_without_deploy_1()
    fake_openai.script = [text_reply(answer.summary)]
    result = llm_summary(answer, fake_openai.settings())
    assert result.dropped == [] and result.text == mask_secrets(answer.summary)


def test_numbers_in_words() -> None:
    assert words_to_numbers("Nine thousand requests") == ["9000"]
    assert words_to_numbers("twenty-one hosts and three hundred and five lines") == ["21", "305"]
    assert words_to_numbers("a new error in one of the services") == []


def test_what_counts_as_telling_people_to_act() -> None:
    for order in ("Roll back deploy-1 now [Q1].", "Consider reverting the flag [C1].", "We need to restart it.",
                  "It is best to drain the node [Q1].", "Immediately kill the job."):
        assert tells_to_act(order), order
    for fact in ("A rollback of payments at 14:01 is the nearest change [C1].", "Errors rose after the deploy [Q1].",
                 "The restart loop began at 14:04 [P1].", "No change clearly explains it [Q1]."):
        assert tells_to_act(fact) is None, fact


def test_a_real_change_named_in_the_pack_is_kept(fake_openai: FakeOpenAI) -> None:
    answer = make_answer()
    extra = Change.model_validate({"id": "flag-77", "@timestamp": "2026-03-14T14:00:00Z", "kind": "feature_flag",
                                   "service": "checkout", "title": "new checkout flow"})
    answer.changes.append(extra)
    fake_openai.script = [text_reply(GOOD)]
    assert llm_summary(answer, fake_openai.settings()).text == GOOD
