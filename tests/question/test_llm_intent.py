"""The LLM intent path against a local OpenAI-compatible server, through the real langchain/openai clients."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from support.fakeopenai import FakeOpenAI, Scripted, error_reply, fake_openai, tool_call  # noqa: F401  (fixture)

from incidentbot.core.catalog import Catalog
from incidentbot.question.llm import refine_intent
from incidentbot.core.fields import FieldMap
from incidentbot.core.intent import StatusFilter
from incidentbot.question.llm import LLMIntent, check_intent, llm_intent, merge_intent
from incidentbot.question.parse import parse_question

UTC = timezone.utc
AT = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)
SERVICES = ["checkout", "inventory", "payments"]
FM = FieldMap(service="service.name", level="log.level", message="message", status="http.response.status_code",
              services=SERVICES, level_values={"error": ["ERROR"], "warn": ["WARN"], "info": ["INFO"]})


def args(**over: object) -> dict[str, object]:
    base: dict[str, object] = {"services": [], "start": None, "end": None, "relative_minutes": None, "levels": [],
                               "status": [], "text": [], "exclude_text": [], "ask": "investigate"}
    base.update(over)
    return base


def parse(question: str):
    return parse_question(question, AT, SERVICES, Catalog())


def test_structured_intent_is_read_checked_and_sent_with_the_function_schema(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [tool_call("LLMIntent", args(services=["Payments"], start="2026-03-14T12:30:00Z",
                                                      levels=["ERROR", "warning"], status=["5xx", "502"]))]
    result = llm_intent("what broke in payments since lunch?", AT, FM, SERVICES, fake_openai.settings())
    assert result.error is None and result.intent is not None
    got = result.intent
    assert got.services == ["payments"]
    assert got.window is not None and (got.window.start, got.window.end) == (datetime(2026, 3, 14, 12, 30, tzinfo=UTC), AT)
    assert got.levels == ["error", "warn"]
    assert got.status == [StatusFilter(low=500, high=599), StatusFilter(low=502, high=502)]

    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-not-a-real-key"
    body = request.body
    assert body["model"] == "test-model"
    [tool] = body["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "LLMIntent"
    props = tool["function"]["parameters"]["properties"]
    assert set(props) == {"services", "start", "end", "relative_minutes", "levels", "status", "text",
                          "exclude_text", "ask"}
    assert body["tool_choice"]["function"]["name"] == "LLMIntent"
    system = body["messages"][0]["content"]
    assert "2026-03-14T14:32:00Z" in system and "checkout, inventory, payments" in system
    assert "service.name" in system  # the discovered fields
    assert body["messages"][1] == {"role": "user", "content": "what broke in payments since lunch?"}


def test_timeout_gives_an_error_within_the_deadline_and_the_parse_is_kept(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [Scripted(200, {}, delay_s=5.0)]
    settings = fake_openai.settings(timeout_s=1.0)
    parsed = parse("why is checkout throwing 500s?")
    clock = time.monotonic()
    refined, notes = refine_intent(parsed, parsed.question, AT, FM, SERVICES, settings)
    elapsed = time.monotonic() - clock
    assert refined == parsed
    assert notes == ["LLM unavailable (timeout): deterministic parse used"]
    assert elapsed < 1.5 * settings.llm_timeout_s + 0.7  # the overall deadline, retries included
    assert 1 <= len(fake_openai.requests) <= 2


def test_429_then_success_is_retried_once(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [error_reply(429, "Rate limit reached", "requests", {"retry-after": "0"}),
                          tool_call("LLMIntent", args(services=["checkout"]))]
    result = llm_intent("checkout?", AT, FM, SERVICES, fake_openai.settings())
    assert result.error is None and result.intent is not None and result.intent.services == ["checkout"]
    assert len(fake_openai.requests) == 2


def test_a_5xx_is_retried_at_most_once_and_a_400_not_at_all(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [error_reply(503, "overloaded", "server_error")]
    result = llm_intent("checkout?", AT, FM, SERVICES, fake_openai.settings())
    assert result.error == "server error (HTTP 503)" and result.intent is None
    assert len(fake_openai.requests) == 2
    fake_openai.requests.clear()
    fake_openai.script, fake_openai._served = [error_reply(400, "bad model", "invalid_request_error")], 0
    result = llm_intent("checkout?", AT, FM, SERVICES, fake_openai.settings())
    assert result.error == "request refused (HTTP 400)" and len(fake_openai.requests) == 1


def test_malformed_arguments_are_an_error_not_an_intent(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [tool_call("LLMIntent", '{"services": ["payments", ')]
    result = llm_intent("payments?", AT, FM, SERVICES, fake_openai.settings())
    assert result.error == "invalid output" and result.intent is None
    assert len(fake_openai.requests) == 1  # a bad answer is not retried
    fake_openai.script = [tool_call("LLMIntent", args(ask="delete_index"))]
    assert llm_intent("payments?", AT, FM, SERVICES, fake_openai.settings()).error == "invalid output"
    parsed = parse("payments errors")
    fake_openai.script = [tool_call("LLMIntent", "not json at all")]
    refined, notes = refine_intent(parsed, parsed.question, AT, FM, SERVICES, fake_openai.settings())
    assert refined == parsed and notes == ["LLM unavailable (invalid output): deterministic parse used"]


def test_a_service_that_does_not_exist_is_dropped_and_reported(fake_openai: FakeOpenAI) -> None:
    fake_openai.script = [tool_call("LLMIntent", args(services=["payments", "billing-ghost"]))]
    parsed = parse("why is the money side broken?")
    assert parsed.services == []
    refined, notes = refine_intent(parsed, parsed.question, AT, FM, SERVICES, fake_openai.settings())
    assert refined.services == ["payments"] and refined.unknown_services == []
    assert notes == ["LLM intent used", "LLM named unknown services, ignored: billing-ghost"]


def test_a_window_in_the_future_or_inverted_is_rejected(fake_openai: FakeOpenAI) -> None:
    parsed = parse("checkout errors")
    fake_openai.script = [tool_call("LLMIntent", args(services=["checkout"], start="2026-03-14T18:00:00Z"))]
    result = llm_intent(parsed.question, AT, FM, SERVICES, fake_openai.settings())
    assert result.intent is None and result.error and result.error.startswith("invalid window: window starts in the future")
    refined, notes = refine_intent(parsed, parsed.question, AT, FM, SERVICES, fake_openai.settings())
    assert refined == parsed and notes[0].startswith("LLM unavailable (invalid window")
    inverted = check_intent(LLMIntent(start="2026-03-14T14:00:00Z", end="2026-03-14T13:00:00Z"), AT, SERVICES)
    assert inverted.intent is None and "ends before it starts" in (inverted.error or "")


def test_absurd_windows_are_capped_at_30_days() -> None:
    for raw in (LLMIntent(relative_minutes=10**12), LLMIntent(start="2020-01-01T00:00:00Z")):
        result = check_intent(raw, AT, SERVICES)
        assert result.intent is not None and result.intent.window is not None
        window = result.intent.window
        assert window.capped and window.end == AT and window.end - window.start == timedelta(days=30)
        assert "LLM window capped at 30 days" in result.notes
    late_end = check_intent(LLMIntent(start="2026-03-14T14:00:00Z", end="2026-03-15T00:00:00Z"), AT, SERVICES)
    assert late_end.intent is not None and late_end.intent.window is not None and late_end.intent.window.end == AT


def test_query_dsl_in_the_model_answer_changes_nothing(fake_openai: FakeOpenAI) -> None:
    """The model cannot hand us a query: extra keys are ignored, message text is never read."""
    assert not {"query", "body", "index", "dsl", "script"} & set(LLMIntent.model_fields)
    plain = args(services=["checkout"], relative_minutes=60, levels=["error"])
    sneaky = dict(plain, query={"bool": {"must": [{"match_all": {}}]}}, index="*",
                  script={"source": "ctx._source.clear()"})
    content = 'Use this instead: {"query": {"match_all": {}}, "index": "*,-.security"}'
    parsed = parse("what is wrong with checkout?")
    settings = fake_openai.settings()
    fake_openai.script = [tool_call("LLMIntent", plain)]
    expected, _ = refine_intent(parsed, parsed.question, AT, FM, SERVICES, settings)
    fake_openai.script, fake_openai._served = [tool_call("LLMIntent", sneaky, content=content)], 0
    got, notes = refine_intent(parsed, parsed.question, AT, FM, SERVICES, settings)
    assert got == expected and notes == ["LLM intent used"]
    assert "match_all" not in repr(got) and "security" not in repr(got)


def test_merge_the_explicit_parse_wins_and_the_model_fills_gaps() -> None:
    parsed = parse('checkout 502s in the last 30 minutes mentioning "timeout"')
    assert parsed.window and parsed.status and parsed.text
    model = check_intent(LLMIntent(services=["payments"], relative_minutes=600, levels=["error"], status=["5xx"],
                                   text=["pool"], ask="list"), AT, SERVICES)
    merged = merge_intent(parsed, model)
    assert merged.window == parsed.window and merged.status == parsed.status and merged.text == parsed.text
    assert merged.services == ["checkout"]  # the parser matched one: the model adds none
    assert merged.levels == []  # a status was asked: "errors" are HTTP errors, not error-level lines
    assert merged.ask == "list"

    gaps = parse("how many problems with the money side?")
    assert gaps.ask == "count" and not gaps.window and not gaps.services
    model = check_intent(LLMIntent(services=["payments"], start="2026-03-14T12:00:00Z", levels=["err"],
                                   exclude_text=["/healthz"], ask="investigate"), AT, SERVICES)
    merged = merge_intent(gaps, model)
    assert merged.services == ["payments"] and merged.levels == ["error"] and merged.exclude_text == ["/healthz"]
    assert merged.window is not None and merged.window.start == datetime(2026, 3, 14, 12, tzinfo=UTC)
    assert merged.ask == "count"
    assert gaps.services == [] and gaps.window is None  # the input is not mutated


def test_without_an_api_key_nothing_is_asked(fake_openai: FakeOpenAI) -> None:
    parsed = parse("checkout errors")
    settings = fake_openai.settings().replace(openai_api_key=None)
    assert refine_intent(parsed, parsed.question, AT, FM, SERVICES, settings) == (parsed, [])
    assert fake_openai.requests == []
