"""What the memory reads of the settings: the audit database, its retention, and the shared Redis.

The values live in the one settings model (`incidentbot.config.MemorySettings`:
INCIDENTBOT_DB_URL, INCIDENTBOT_AUDIT_RETENTION_DAYS, INCIDENTBOT_REDIS_URL),
validated there with everything else, so `incidentbot config` shows and
checks them. This layer sits below the settings, so it names only the shape
it reads (`MemoryConfig`); a door hands it `settings.memory`.
"""
from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr


class MemoryConfig(Protocol):
    """The memory section of the settings; the URLs are secrets (they carry passwords)."""

    @property
    def db_url(self) -> SecretStr | None: ...  # None: no audit trail (INCIDENTBOT_DB_URL=none)

    @property
    def retention_days(self) -> int: ...

    @property
    def redis_url(self) -> SecretStr | None: ...


def plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy's default driver would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
