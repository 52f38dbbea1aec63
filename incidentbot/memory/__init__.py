"""The bot's memory: the audit trail, "seen before", and the shared state of several replicas.

A store layer below the doors: the CLI and the Slack bot open a `Memory`,
hand it to the pipeline as its `Recall`, and record each answer after it is
given. The stages never see it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from incidentbot.core.answer import Answer
from incidentbot.core.deadline import current_deadline
from incidentbot.core.errors import UsageError
from incidentbot.core.feedback import Feedback
from incidentbot.core.history import HistoryHit
from incidentbot.memory.config import MemoryConfig, normalise_url, plain
from incidentbot.memory.recall import DocumentReader, Recaller
from incidentbot.memory.record import Asked
from incidentbot.memory.store import CONNECT_TIMEOUT_S, AuditStore

log = logging.getLogger(__name__)

__all__ = ["Asked", "AuditStore", "Memory", "MemoryConfig", "open_memory"]


@dataclass
class Memory:
    """The audit store and the recaller together; every failure is a note, never a lost answer."""

    store: AuditStore | None
    reader: DocumentReader | None = None
    problems: list[str] = field(default_factory=list)

    def recall(self, answer: Answer) -> list[HistoryHit]:
        if self.store is None or self.reader is None:
            return []
        return Recaller(self.store, self.reader).recall(answer)

    def record(self, answer: Answer, asked: Asked) -> bool:
        """Store the answer; False (and a note on the answer) when the database refused it."""
        if self.store is None:
            return False
        try:
            self.store.record_investigation(answer, asked)
            return True
        except Exception as exc:  # noqa: BLE001 - the audit trail must never cost the asker the answer
            log.warning("audit trail: could not record %s: %s", answer.investigation_id, exc)
            answer.notes.append(f"audit trail: not recorded ({type(exc).__name__})")
            return False

    def record_feedback(self, feedback: Feedback) -> None:
        if self.store is not None:
            self.store.record_feedback(feedback)

    def feedback_for(self, investigation_id: str) -> list[Feedback]:
        return self.store.feedback_for(investigation_id) if self.store is not None else []

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def open_memory(reader: DocumentReader | None, config: MemoryConfig, required: bool = False) -> Memory:
    """The configured memory (`settings.memory`). A database that cannot be opened is a usage error when
    `required` (the `audit` command), else a warning: answering matters more than remembering."""
    url = plain(config.db_url)
    if url is None:
        if required:
            raise UsageError("INCIDENTBOT_DB_URL is 'none': no audit trail is kept")
        return Memory(None)
    deadline = current_deadline()  # opened within an answer (`ask`): a silent database may take a quarter of it
    timeout = CONNECT_TIMEOUT_S if deadline is None else min(CONNECT_TIMEOUT_S, deadline.remaining() / 4)
    try:
        store = AuditStore(normalise_url(url), config.retention_days, connect_timeout_s=timeout)
    except UsageError as exc:
        if required:
            raise
        log.warning("%s; answering without the audit trail", exc)
        return Memory(None, problems=[f"audit trail unavailable: {exc}"])
    return Memory(store, reader)
