"""Prometheus metrics served at GET /metrics by `serve --http` (prometheus-client).

Each replica exposes its own counters; Prometheus sums them across pods.
"""
from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)

QUESTIONS = Counter("incidentbot_questions", "Questions answered, by door and outcome",
                    ["door", "outcome"], registry=REGISTRY)
ANSWER_SECONDS = Histogram("incidentbot_answer_seconds", "Time to answer one question (pipeline total)",
                           ["door"], registry=REGISTRY,
                           buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120))
SEARCH_REQUESTS = Counter("incidentbot_search_requests", "Requests the read-only gateway made, by verb",
                          ["verb"], registry=REGISTRY)
SEARCH_BYTES = Counter("incidentbot_search_bytes", "Bytes of JSON sent to / received from the log store",
                       ["direction"], registry=REGISTRY)
SOURCE_FAILURES = Counter("incidentbot_source_failures", "Change sources that failed during an answer",
                          ["source"], registry=REGISTRY)
LLM_ANSWERS = Counter("incidentbot_answers_by_mode", "Answers by summary mode (llm or deterministic)",
                      ["mode"], registry=REGISTRY)
SEEN_BEFORE = Counter("incidentbot_seen_before", "Answers that cited a past investigation", registry=REGISTRY)


def observe_request(verb: str, bytes_out: int, bytes_in: int) -> None:
    SEARCH_REQUESTS.labels(verb).inc()
    if bytes_out:
        SEARCH_BYTES.labels("out").inc(bytes_out)
    if bytes_in:
        SEARCH_BYTES.labels("in").inc(bytes_in)


def observe_answer(answer: Any, door: str) -> None:
    """Count one answered question (an incidentbot.core.answer.Answer)."""
    QUESTIONS.labels(door, "answered").inc()
    ANSWER_SECONDS.labels(door).observe(float(answer.timing_ms.get("total", 0.0)) / 1000)
    LLM_ANSWERS.labels(answer.mode).inc()
    for s in answer.sources:
        if not s.ok:
            SOURCE_FAILURES.labels(s.name).inc()
    if answer.history:
        SEEN_BEFORE.inc()


def observe_failure(door: str, outcome: str) -> None:
    QUESTIONS.labels(door, outcome).inc()


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
