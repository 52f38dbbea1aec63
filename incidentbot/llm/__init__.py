"""The optional LLM layer: phrasing and reading, never deciding what runs.

Everything here is advisory. The model reads a question into a typed intent
(validated, then merged under the deterministic parse) and phrases a summary
from an evidence pack (verified sentence by sentence). When no API key is set,
or the model times out, errs or answers badly, the deterministic pipeline's
values stand and the answer says so.
"""
from __future__ import annotations

from incidentbot.llm.client import LLMError, call_llm, chat_model, load_prompt, render_prompt

__all__ = ["LLMError", "call_llm", "chat_model", "load_prompt", "render_prompt"]
