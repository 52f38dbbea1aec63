"""Structured logs: one JSON object per line, with the investigation id, masked.

`serve` switches to this format when INCIDENTBOT_LOG_FORMAT=json (the
container image sets it), so a log pipeline can join every line of one
answer by `investigation_id`. Messages are masked: a log line quoted in an
error must not leak a credential into the log store.
"""
from __future__ import annotations

import logging
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from incidentbot.core.mask import mask_secrets
from incidentbot.telemetry.context import INVESTIGATION


class InvestigationFilter(logging.Filter):
    """Adds `investigation_id` (when one is running in this context) and masks the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "investigation_id", None) is None:
            record.investigation_id = INVESTIGATION.get()
        try:
            record.msg, record.args = mask_secrets(record.getMessage()), None
        except (TypeError, ValueError):
            pass
        return True


def json_handler(stream: IO[str]) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    fmt: Any = JsonFormatter("{asctime}{levelname}{name}{message}{investigation_id}", style="{",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             timestamp=False)
    handler.setFormatter(fmt)
    handler.addFilter(InvestigationFilter())
    return handler


def use_json_logs(stream: IO[str], level: int = logging.INFO) -> None:
    """Replace the root handlers with one JSON handler."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(json_handler(stream))
    root.setLevel(level)


def answered(answer: Any, door: str, log: logging.Logger | None = None) -> None:
    """One event line per answer (joined to the audit record by its id) and the metrics."""
    from incidentbot.telemetry.metrics import observe_answer

    observe_answer(answer, door)
    (log or logging.getLogger("incidentbot.answers")).info(
        "answered", extra={"investigation_id": answer.investigation_id, "door": door, "mode": answer.mode,
                           "hits": answer.evidence.main.hits, "total_ms": round(answer.timing_ms.get("total", 0.0)),
                           "suspect": answer.suspects[0].change.id if answer.suspects else None,
                           "history": [h.investigation_id for h in answer.history],
                           "failed_sources": [s.name for s in answer.sources if not s.ok]})
