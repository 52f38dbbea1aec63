"""Bring the audit database to the newest schema at start, whatever the backend.

Alembic runs programmatically on our own connection (no alembic.ini to ship
or find); on PostgreSQL an advisory lock makes replicas that start together
take turns, so two of them never race to create the same table.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_ID = 1_717_170_017  # any constant: the advisory lock all replicas agree on


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (a no-op on an up-to-date database)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
