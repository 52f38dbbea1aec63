"""The audit store: write an investigation or a feedback event, read them back, forget old ones.

One class over SQLAlchemy, so SQLite (a file, zero set-up) and PostgreSQL (a
database shared by replicas) run the same code; it also is the `FeedbackSink`
the Slack buttons write to.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from incidentbot.core.answer import Answer
from incidentbot.core.errors import UsageError
from incidentbot.core.feedback import Feedback
from incidentbot.core.mask import mask_secrets
from incidentbot.core.timeutil import now_utc
from incidentbot.memory.config import normalise_url
from incidentbot.memory.migrate import upgrade
from incidentbot.memory.record import Asked, audit_record, top_template
from incidentbot.memory.schema import FeedbackRow, Investigation, InvestigationService

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)
CONNECT_TIMEOUT_S = 10.0  # libpq waits forever by default: a database that accepts and never answers would too


@dataclass
class Filter:
    """What `audit list` and `export` select: a time range on when it was asked, a channel, a service."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    service: str | None = None
    limit: int | None = 50


def _engine(url: str, connect_timeout_s: float) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # libpq takes whole seconds and treats less than 2 as 2
    connect_args = {"connect_timeout": max(int(connect_timeout_s), 2)} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, future=True, connect_args=connect_args)


class AuditStore:
    """Investigations and feedback in one SQL database, migrated at open, purged by age."""

    def __init__(self, url: str, retention_days: int = 90, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.url = url
        self.retention = timedelta(days=retention_days)
        try:
            self.engine = _engine(url, connect_timeout_s)
            upgrade(self.engine)
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise UsageError(f"the audit database ({safe_url(url)}) cannot be opened: "
                             f"{type(cause).__name__}: {str(cause).splitlines()[0]}") from None
        except OSError as exc:  # the SQLite file's folder cannot be created
            raise UsageError(f"the audit database ({safe_url(url)}) cannot be opened: {exc}") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._purge_lock = threading.Lock()
        self._last_purge: datetime | None = None
        self.purge()

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ----------------------------------------------------------------------------
    def record_investigation(self, answer: Answer, asked: Asked) -> None:
        top = answer.suspects[0] if answer.suspects else None
        services = sorted(set(answer.intent.services) | set(answer.evidence.affected_services))
        row = Investigation(
            id=answer.investigation_id, created_at=now_utc(), asked_at=answer.at,
            question=mask_secrets(answer.question), user=asked.user, channel=asked.channel,
            thread_ts=asked.thread_ts, door=asked.door, mode=answer.mode, hits=answer.evidence.main.hits,
            top_template=top_template(answer),
            culprit_change_id=top.change.id if top else None, culprit_service=top.change.service if top else None,
            culprit_kind=top.change.kind if top else None, culprit_confidence=top.confidence if top else None,
            total_ms=float(answer.timing_ms.get("total", 0.0)), llm_used=answer.mode == "llm",
            failed_sources=sum(1 for s in answer.sources if not s.ok), record=audit_record(answer, asked))
        with self._session.begin() as s:
            s.merge(row)
            s.execute(delete(InvestigationService).where(InvestigationService.investigation_id == row.id))
            s.add_all(InvestigationService(investigation_id=row.id, service=svc) for svc in services)
        self._maybe_purge()

    def record_feedback(self, feedback: Feedback) -> None:
        with self._session.begin() as s:
            s.add(FeedbackRow(investigation_id=feedback.investigation_id, user=feedback.user,
                              channel=feedback.channel, thread_ts=feedback.thread_ts, helpful=feedback.helpful,
                              cause_change_id=mask_secrets(feedback.cause_change_id)
                              if feedback.cause_change_id else None, at=feedback.at))

    # -- reading ----------------------------------------------------------------------------
    def feedback_for(self, investigation_id: str) -> list[Feedback]:
        with self._session() as s:
            rows = s.scalars(select(FeedbackRow).where(FeedbackRow.investigation_id == investigation_id)
                             .order_by(FeedbackRow.at, FeedbackRow.id)).all()
        return [Feedback(investigation_id=r.investigation_id, user=r.user, channel=r.channel,
                         thread_ts=r.thread_ts, helpful=r.helpful, cause_change_id=r.cause_change_id, at=r.at)
                for r in rows]

    def get(self, investigation_id: str) -> Investigation | None:
        with self._session() as s:
            return s.get(Investigation, investigation_id)

    def find(self, prefix: str) -> Investigation | None:
        """By full id or an unambiguous prefix (people copy the first few characters)."""
        row = self.get(prefix)
        if row is not None or len(prefix) < 4:
            return row
        with self._session() as s:
            rows = s.scalars(select(Investigation).where(Investigation.id.like(f"{prefix}%")).limit(2)).all()
        return rows[0] if len(rows) == 1 else None

    def search(self, flt: Filter) -> list[Investigation]:
        """Newest first by when the question was asked."""
        q = select(Investigation)
        if flt.since:
            q = q.where(Investigation.asked_at >= flt.since)
        if flt.until:
            q = q.where(Investigation.asked_at <= flt.until)
        if flt.channel:
            q = q.where(Investigation.channel == flt.channel.lstrip("#"))
        if flt.service:
            q = q.where(Investigation.id.in_(select(InvestigationService.investigation_id)
                                             .where(InvestigationService.service == flt.service)))
        q = q.order_by(Investigation.asked_at.desc(), Investigation.created_at.desc())
        if flt.limit:
            q = q.limit(flt.limit)
        with self._session() as s:
            return list(s.scalars(q).all())

    def candidates(self, exclude: str, limit: int = 5000) -> list[Investigation]:
        """Earlier investigations that could have seen the same thing (for "seen before"), newest first.

        Without their JSON record (read with `get` for the few that match), so
        scanning thousands of past investigations stays cheap.
        """
        q = (select(Investigation).options(defer(Investigation.record))
             .where(Investigation.id != exclude,
                    or_(Investigation.top_template.is_not(None), Investigation.culprit_change_id.is_not(None)))
             .order_by(Investigation.created_at.desc()).limit(limit))
        with self._session() as s:
            return list(s.scalars(q).all())

    def count(self) -> int:
        with self._session() as s:
            return int(s.scalar(select(func.count()).select_from(Investigation)) or 0)

    # -- retention --------------------------------------------------------------------------
    def purge(self, now: datetime | None = None) -> int:
        """Forget investigations (and their feedback) stored longer ago than the retention."""
        cutoff = (now or now_utc()) - self.retention
        with self._session.begin() as s:
            old = select(Investigation.id).where(Investigation.created_at < cutoff)
            s.execute(delete(FeedbackRow).where(FeedbackRow.investigation_id.in_(old)))
            s.execute(delete(InvestigationService).where(InvestigationService.investigation_id.in_(old)))
            gone = getattr(s.execute(delete(Investigation).where(Investigation.created_at < cutoff)), "rowcount", 0) or 0
            s.execute(delete(FeedbackRow).where(FeedbackRow.at < cutoff))
        self._last_purge = now_utc()
        if gone:
            log.info("audit retention: forgot %d investigations older than %s", gone, cutoff.date())
        return int(gone)

    def _maybe_purge(self) -> None:
        with self._purge_lock:
            due = self._last_purge is None or now_utc() - self._last_purge > PURGE_EVERY
        if due:
            self.purge()

    def session(self) -> Session:
        return self._session()


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return mask_secrets(url)


def as_dict(row: Investigation, feedback: list[Feedback] | None = None) -> dict[str, Any]:
    """The stored record with its feedback (what `audit show --json` and `export` print)."""
    out = dict(row.record)
    out["recorded_at"] = row.created_at.isoformat().replace("+00:00", "Z")
    out["feedback"] = [{"user": f.user, "channel": f.channel, "helpful": f.helpful,
                        "cause_change_id": f.cause_change_id,
                        "at": f.at.isoformat().replace("+00:00", "Z")} for f in (feedback or [])]
    return out
