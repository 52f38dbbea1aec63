"""The audit tables: investigations, the services they touched, and feedback.

The full masked answer is kept as JSON (queries, hits, evidence ids,
suspects with scores and reasons, summary, timings, source failures); the
columns beside it are what `audit list` filters on and what "seen before"
matches, so neither has to parse every record.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {"ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s"}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Investigation(Base):
    __tablename__ = "investigations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    question: Mapped[str] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(128), index=True)
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    door: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(32))
    hits: Mapped[int] = mapped_column(Integer)
    top_template: Mapped[str | None] = mapped_column(Text)
    culprit_change_id: Mapped[str | None] = mapped_column(String(256))
    culprit_service: Mapped[str | None] = mapped_column(String(256))
    culprit_kind: Mapped[str | None] = mapped_column(String(32))
    culprit_confidence: Mapped[str | None] = mapped_column(String(16))
    total_ms: Mapped[float] = mapped_column(Float)
    llm_used: Mapped[bool] = mapped_column(Boolean)
    failed_sources: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class InvestigationService(Base):
    __tablename__ = "investigation_services"

    investigation_id: Mapped[str] = mapped_column(ForeignKey("investigations.id", ondelete="CASCADE"),
                                                  primary_key=True)
    service: Mapped[str] = mapped_column(String(256), primary_key=True, index=True)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    investigation_id: Mapped[str] = mapped_column(String(64), index=True)
    user: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(128))
    thread_ts: Mapped[str | None] = mapped_column(String(64))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    cause_change_id: Mapped[str | None] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
