"""A one-word name the evidence does not hold ("the Kafka broker failed") is caught like an invented id.

Before this check only names with digits or joiners (deploy-1, billing-api)
were caught; "The Kafka broker failed [P1]." and "caused by PaymentGateway"
were kept. Each reply comes from the fake OpenAI endpoint through the real
langchain/openai stack; `write_summary` is what the pipeline calls.
"""
from __future__ import annotations

import pytest
from support.answerfixture import make_answer
from support.fakeopenai import FakeOpenAI, fake_openai, text_reply  # noqa: F401  (fixture)

from incidentbot.answer.claims import unknown_names, unknown_words, word_forms
from incidentbot.answer.english import COMMON_WORDS
from incidentbot.answer.llm_summary import write_summary
from incidentbot.core.catalog import Catalog, ServiceInfo

GOOD = ("Checkout has returned 5xx responses since 14:04 UTC, rising from 0.2/min to 54.7/min [Q1]. "
        "A new error, \u201cconnection pool exhausted\u201d, appeared 1204 times [P1][E1]. "
        "The likeliest cause, with high confidence, is deploy-8841 of payments 2.31.0 at 14:01 UTC [C1].")


def test_a_summary_blaming_an_invented_kafka_falls_back_to_the_template(fake_openai: FakeOpenAI) -> None:
    answer = make_answer()
    fake_openai.script = [text_reply("Checkout has returned 5xx responses since 14:04 UTC because the Kafka "
                                     "broker failed [Q1]. The connection pool of the Kafka consumer was "
                                     "exhausted 1204 times [P1][E1].")]
    text, mode, notes = write_summary(answer, fake_openai.settings())
    assert (text, mode) == (answer.summary, "deterministic") and "Kafka" not in text
    assert notes == ["LLM summary unavailable (no sentence survived verification): templated summary kept; "
                     "it named what the evidence does not hold (Kafka)"]


@pytest.mark.parametrize("invented", [
    "Errors were caused by PaymentGateway [C1].",  # CamelCase
    "The pool in payments_gateway ran dry [P1].",  # snake_case
    "The error comes from `zookeeper` [P1][E1].",  # backticks
    "Payments lost its Redis connection at 14:04 UTC [P1].",  # capitalised past the start
])
def test_an_invented_one_word_name_is_dropped_and_the_rest_kept(fake_openai: FakeOpenAI, invented: str) -> None:
    fake_openai.script = [text_reply(f"{GOOD} {invented}")]
    text, mode, notes = write_summary(make_answer(), fake_openai.settings())
    assert (text, mode) == (GOOD, "llm")
    name = invented.split("`")[1] if "`" in invented else next(
        w for w in ("PaymentGateway", "payments_gateway", "Redis") if w in invented)
    assert notes == [f"LLM summary: 1 sentence(s) dropped by the verifier; it named what the evidence does not "
                     f"hold ({name})"]


STARTS = ("Beginning", "Alongside", "Judging")  # not in the common-word list: only their place lets them pass
KEPT = {
    # the pack's services and ordinary words, capitalised mid-sentence: Checkout, Payments, 5xx Errors, UTC
    "capitalised services": (
        "Since 14:04 UTC, 5xx Errors in Checkout rose from 0.2/min to 54.7/min [Q1]. "
        "The new \u201cconnection pool exhausted\u201d error comes from Payments [P1][E1]. "
        "The likeliest cause, with high confidence, is deploy-8841 of Payments 2.31.0 [C1]."),
    "capitals at sentence starts": (
        "Beginning at 14:04 UTC, checkout has returned 5xx responses [Q1]. "
        "Alongside them, a new error appeared 1204 times [P1][E1]. "
        "Judging by timing, the likeliest cause, with high confidence, is deploy-8841 [C1]."),
}


@pytest.mark.parametrize("reply", KEPT.values(), ids=KEPT.keys())
def test_names_the_evidence_holds_and_sentence_starts_are_kept(fake_openai: FakeOpenAI, reply: str) -> None:
    assert not any(w.lower() in COMMON_WORDS for w in STARTS), "the start words must reach the check"
    fake_openai.script = [text_reply(reply)]
    assert write_summary(make_answer(), fake_openai.settings()) == (reply, "llm", [])


def test_a_catalog_name_is_known(fake_openai: FakeOpenAI) -> None:
    """The catalog is our own record: a dependency it lists may be named, however it is spelled."""
    answer = make_answer()
    reply = f"{GOOD} Checkout also calls PaymentGateway, which logged nothing new [Q1]."
    catalog = Catalog({"checkout": ServiceInfo("checkout", depends_on=["payments", "payment-gateway"])})
    fake_openai.script = [text_reply(reply)]
    assert write_summary(answer, fake_openai.settings(), catalog) == (reply, "llm", [])
    assert write_summary(answer, fake_openai.settings())[0] == GOOD, "without the catalog it is invented"


def test_which_words_read_as_names() -> None:
    forms = word_forms({"checkout", "payments", "orders-api", "payment-gateway"})
    assert unknown_words("The Kafka broker failed.", forms) == ["Kafka"]
    assert unknown_words("Kafka failed.", forms) == [], "a first word is capitalised anyway"
    assert unknown_words("Errors rose: Redis was slow.", forms) == [], "a colon may open a capitalised clause"
    assert unknown_words("The Orders API and PaymentGateway failed.", forms) == [], "parts and squashed forms"
    assert unknown_words("The AWS region and the `kafka_client` lib degraded.", forms) == ["kafka_client", "AWS"]
    assert unknown_words("The \u201cKafka Timeout\u201d error is new.", forms) == [], "quotes are checked as quotes"
    assert unknown_words("On Monday the HTTP Errors of the Service rose.", forms) == []
    assert unknown_words("The P95 latency and RSS rose to 512 MB.", forms) == [], "units, percentiles"


def test_the_templates_own_words_are_not_names() -> None:
    """Words the templated summary writes (error-level lines, a build-up): an LLM echoing them keeps them."""
    assert unknown_names("17 warn-level and 3 error-level lines, after a build-up of warnings [Q1].", set()) == []
    assert unknown_names("Deploy-1 is the culprit [C1].", set()) == ["Deploy-1"]
