"""The audit trail: investigations, their services, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from incidentbot.memory.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investigations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("user", sa.String(128)),
        sa.Column("channel", sa.String(128)),
        sa.Column("thread_ts", sa.String(64)),
        sa.Column("door", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("top_template", sa.Text()),
        sa.Column("culprit_change_id", sa.String(256)),
        sa.Column("culprit_service", sa.String(256)),
        sa.Column("culprit_kind", sa.String(32)),
        sa.Column("culprit_confidence", sa.String(16)),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("llm_used", sa.Boolean(), nullable=False),
        sa.Column("failed_sources", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
    )
    op.create_index("ix_investigations_created_at", "investigations", ["created_at"])
    op.create_index("ix_investigations_asked_at", "investigations", ["asked_at"])
    op.create_index("ix_investigations_channel", "investigations", ["channel"])
    op.create_table(
        "investigation_services",
        sa.Column("investigation_id", sa.String(64),
                  sa.ForeignKey("investigations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("service", sa.String(256), primary_key=True),
    )
    op.create_index("ix_investigation_services_service", "investigation_services", ["service"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("investigation_id", sa.String(64), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(128)),
        sa.Column("thread_ts", sa.String(64)),
        sa.Column("helpful", sa.Boolean()),
        sa.Column("cause_change_id", sa.String(256)),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_feedback_investigation_id", "feedback", ["investigation_id"])
    op.create_index("ix_feedback_at", "feedback", ["at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("investigation_services")
    op.drop_table("investigations")
