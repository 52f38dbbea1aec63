"""Where the memory lives: the audit database, its retention, and the shared Redis.

Read from the environment only (INCIDENTBOT_DB_URL, INCIDENTBOT_AUDIT_RETENTION_DAYS,
INCIDENTBOT_REDIS_URL), so every door finds the same memory without new options.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from incidentbot.core.errors import UsageError

DEFAULT_RETENTION_DAYS = 90
OFF = ("none", "off", "false", "0")


def default_db_path() -> Path:
    """A file in the user's data folder, so `incidentbot demo` keeps an audit trail with no set-up."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "incidentbot" / "audit.sqlite3"


@dataclass(frozen=True)
class MemorySettings:
    db_url: str | None
    retention_days: int
    redis_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MemorySettings:
        env = os.environ if env is None else env
        raw = (env.get("INCIDENTBOT_DB_URL") or "").strip()
        if raw.lower() in OFF:
            db_url: str | None = None
        elif raw:
            db_url = normalise_url(raw)
        else:
            db_url = f"sqlite:///{default_db_path()}"
        days_raw = (env.get("INCIDENTBOT_AUDIT_RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)).strip()
        try:
            days = int(days_raw)
        except ValueError:
            raise UsageError(f"INCIDENTBOT_AUDIT_RETENTION_DAYS must be a whole number of days, not {days_raw!r}") from None
        if days < 1:
            raise UsageError("INCIDENTBOT_AUDIT_RETENTION_DAYS must be at least 1")
        redis_url = (env.get("INCIDENTBOT_REDIS_URL") or "").strip() or None
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise UsageError(f"INCIDENTBOT_REDIS_URL must start with redis://, rediss:// or unix://, not {redis_url!r}")
        return cls(db_url, days, redis_url)


def normalise_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy's default driver would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise UsageError("INCIDENTBOT_DB_URL must be sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB "
                     f"(or 'none' to keep no audit trail), not {url.split('://')[0]}://...")
