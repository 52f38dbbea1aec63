"""The two calls the pipeline makes into the LLM layer, each falling back to the deterministic value.

Both are no-ops without an API key, and neither raises: a failure becomes a
note that the answer carries ("LLM unavailable (timeout): deterministic
parse used"), as the contract asks for a partial answer.
"""
from __future__ import annotations

from datetime import datetime

from incidentbot.core.answer import Answer
from incidentbot.config import Settings
from incidentbot.question.fields import FieldMap
from incidentbot.question.parse import ParsedQuestion


def refine_intent(parsed: ParsedQuestion, question: str, at: datetime, fm: FieldMap, known_services: list[str],
                  settings: Settings) -> tuple[ParsedQuestion, list[str]]:
    """The deterministic parse, with the model filling what it missed; plus notes saying which was used."""
    if not settings.llm_enabled:
        return parsed, []
    from incidentbot.question.llm import llm_intent, merge_intent

    result = llm_intent(question, at, fm, known_services, settings)
    if result.error or result.intent is None:
        return parsed, [f"LLM unavailable ({result.error}): deterministic parse used"] + result.notes
    return merge_intent(parsed, result), ["LLM intent used"] + result.notes


def write_summary(answer: Answer, settings: Settings) -> tuple[str, str, list[str]]:
    """(summary, mode, notes): the verified LLM summary, or the templated one already in `answer.summary`."""
    if not settings.llm_enabled:
        return answer.summary, "deterministic", []
    from incidentbot.answer.llm_summary import llm_summary

    result = llm_summary(answer, settings)
    if result.error or not result.text:
        return answer.summary, "deterministic", [f"LLM summary unavailable ({result.error}): templated summary kept"]
    notes = [f"LLM summary: {len(result.dropped)} sentence(s) dropped by the verifier"] if result.dropped else []
    return result.text, "llm", notes
