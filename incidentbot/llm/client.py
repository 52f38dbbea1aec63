"""The chat model, our bounded retries, and the prompt files.

The OpenAI client's own retries are switched off (`max_retries=0`) so there is
exactly one retry policy, ours: at most two attempts, only for failures a
second try can fix (timeouts, dropped connections, 429, 5xx), and all of it
inside one overall deadline. An incident responder waiting on Slack must get
the deterministic answer quickly rather than a polished one late.

Prompts are files in `prompts/` at the repository root (the team's rule: no
prompt text in code); an installed package falls back to the copies shipped
as `incidentbot/prompts/`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt

from incidentbot.config import Settings

T = TypeVar("T")

MAX_ATTEMPTS = 2
# The whole exchange (both attempts and the pause between them) ends by this
# multiple of llm_timeout_s: a retry gets only what is left of the budget.
DEADLINE_FACTOR = 1.5
MIN_ATTEMPT_S = 0.2  # below this there is no point starting another attempt
BACKOFF_S = 0.25
MAX_BACKOFF_S = 2.0

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

REPO_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


class LLMError(Exception):
    """The model could not be used; `reason` is short and safe to show a responder."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def chat_model(settings: Settings, timeout_s: float | None = None) -> "ChatOpenAI":
    """A chat-completions client for the configured OpenAI-compatible endpoint, without its own retries.

    The Chat Completions API (not the Responses API) is forced, since that is
    what Azure OpenAI, vLLM, Ollama and LM Studio all serve.
    """
    if not settings.openai_api_key:
        raise LLMError("not configured", "OPENAI_API_KEY is not set")
    # lazy: the LLM stack (langchain, openai) costs about a second to import; answers without a model never load it
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout_s if timeout_s is None else timeout_s,
        max_retries=0,
        use_responses_api=False,
    )


def _openai() -> Any:
    """The openai module, for its error types; only reached after a model call, when it is loaded already."""
    import openai  # lazy, like the client above: the LLM stack is not imported unless a model is used

    return openai


def _retryable(exc: BaseException) -> bool:
    """Only failures a second attempt can fix: not a 400, 401 or 404, which would fail the same way."""
    openai = _openai()
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _reason(exc: BaseException) -> LLMError:
    """Name a failure the way a responder reads it in the answer's notes."""
    if isinstance(exc, LLMError):
        return exc
    openai = _openai()
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("connection error", str(exc))
    if isinstance(exc, openai.RateLimitError):
        return LLMError("rate limited (HTTP 429)")
    if isinstance(exc, openai.APIStatusError):
        kind = "server error" if exc.status_code >= 500 else "request refused"
        return LLMError(f"{kind} (HTTP {exc.status_code})")
    return LLMError("error", f"{type(exc).__name__}: {exc}"[:300])


def call_llm(settings: Settings, call: Callable[["ChatOpenAI"], T], deadline_s: float | None = None) -> T:
    """Run `call(model)` with our retry policy; raise LLMError on anything that stops it.

    Each attempt gets a client whose timeout is the smaller of llm_timeout_s
    and what remains of the deadline, so the deadline holds even when the
    server hangs on the second attempt.
    """
    budget = settings.llm_timeout_s * DEADLINE_FACTOR if deadline_s is None else deadline_s
    deadline = time.monotonic() + budget

    def attempt() -> T:
        remaining = deadline - time.monotonic()
        if remaining < MIN_ATTEMPT_S:
            raise LLMError("timeout", "overall deadline reached")
        return call(chat_model(settings, timeout_s=min(settings.llm_timeout_s, remaining)))

    def wait(state: object) -> float:
        number = getattr(state, "attempt_number", 1)
        pause = min(BACKOFF_S * 2 ** (number - 1), MAX_BACKOFF_S)
        return max(0.0, min(pause, deadline - time.monotonic() - MIN_ATTEMPT_S))

    retrying = Retrying(stop=stop_after_attempt(MAX_ATTEMPTS), wait=wait,
                        retry=retry_if_exception(_retryable), reraise=True)
    try:
        return retrying(attempt)
    except Exception as exc:  # every failure becomes one typed error the caller can report
        raise _reason(exc) from exc


def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.md`: the repository's copy, else the one shipped in the package."""
    filename = f"{name}.md"
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad prompt name {name!r}")
    path = REPO_PROMPTS / filename
    if path.is_file():
        return path.read_text(encoding="utf-8")
    shipped = resources.files("incidentbot") / "prompts" / filename
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    raise FileNotFoundError(f"prompt {filename} not found in {REPO_PROMPTS} nor in the incidentbot package")


def render_prompt(name: str, **values: str) -> str:
    """Fill `{{key}}` placeholders; plain replacement, so JSON braces in a prompt need no escaping."""
    text = load_prompt(name)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text
