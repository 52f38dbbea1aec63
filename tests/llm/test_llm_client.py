"""The chat model's settings, the prompt files, and the retry policy's bounds."""
from __future__ import annotations

import pytest

from incidentbot.config import Settings, settings_from
from incidentbot.llm import client
from incidentbot.llm.client import LLMError, chat_model, load_prompt, render_prompt


def test_chat_model_uses_the_settings_and_no_client_retries() -> None:
    settings = Settings(openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1", llm_model="m-1",
                        llm_timeout_s=7.0)
    model = chat_model(settings)
    assert (model.model_name, model.openai_api_base, model.request_timeout, model.max_retries) == (
        "m-1", "http://127.0.0.1:9/v1", 7.0, 0)
    assert chat_model(settings, timeout_s=0.5).request_timeout == 0.5
    with pytest.raises(LLMError):
        chat_model(settings_from(env={}))  # not the machine's OPENAI_API_KEY


def test_prompts_are_files_read_from_the_repository() -> None:
    assert "LLMIntent" in load_prompt("intent") and "{{now}}" in load_prompt("intent")
    assert "{{now}}" not in render_prompt("intent", now="2026-03-14T14:32:00Z")
    assert "[Q1][P1][E1][C1]" in load_prompt("summary")
    for bad in ("../pyproject", "a/b", ".hidden"):
        with pytest.raises(ValueError):
            load_prompt(bad)


def test_a_missing_prompt_says_where_it_looked(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(client, "REPO_PROMPTS", tmp_path)
    with pytest.raises(FileNotFoundError, match="no_such_prompt.md"):
        load_prompt("no_such_prompt")


def test_an_unreachable_endpoint_is_a_connection_error_quickly() -> None:
    settings = Settings(openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0)
    with pytest.raises(LLMError) as info:
        client.call_llm(settings, lambda model: model.invoke("hi"))
    assert info.value.reason == "connection error"
