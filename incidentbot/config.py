"""Settings, from the environment and the command line, validated once.

Every door (CLI, Slack, benchmarks) builds one `Settings` and hands it to the
pipeline, so a misconfiguration is reported the same way everywhere: one line
that names the setting.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from incidentbot.core.errors import UsageError
from incidentbot.core.timeutil import parse_instant

DEFAULT_ES_URL = "http://localhost:9200"


class FieldOverrides(BaseModel):
    """Field names that replace discovery, for indices with unusual names."""

    timestamp: str | None = None
    service: str | None = None
    level: str | None = None
    message: str | None = None
    status: str | None = None
    host: str | None = None
    path: str | None = None
    version: str | None = None
    trace: str | None = None
    region: str | None = None


class Settings(BaseModel):
    """Everything the pipeline needs to know about where data is and how to behave."""

    es_url: str = DEFAULT_ES_URL
    es_api_key: str | None = None
    es_username: str | None = None
    es_password: str | None = None
    es_verify_certs: bool = True
    backend: str = "auto"
    logs_index: str = "logs-*"
    changes_index: str = "changes-*"
    catalog_path: Path | None = None
    at: datetime | None = None
    strict_privileges: bool = True
    request_timeout_s: float = 30.0
    # one budget for every request of an answer (store and change sources): past it, answer with what is known
    answer_deadline_s: float = Field(default=45.0, gt=0, le=3600)
    # each change source's share of that budget (docs/change-sources.md)
    change_source_timeout_s: float = Field(default=10.0, gt=0, le=600)
    search_timeout: str = "20s"
    sample_size: int = Field(default=500, ge=10, le=5000)
    evidence_per_pattern: int = Field(default=2, ge=1, le=10)
    max_patterns: int = Field(default=8, ge=1, le=50)
    kibana_url: str | None = None
    fields: FieldOverrides = Field(default_factory=FieldOverrides)
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 20.0

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)


def _bool(value: str, name: str) -> bool:
    low = value.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise UsageError(f"{name} must be true or false, not {value!r}")


def _seconds(value: str, name: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 < seconds <= 3600:
        raise UsageError(f"{name} must be between 0 and 3600 seconds, not {value!r}")
    return seconds


def settings_from(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings: command-line overrides first, then the environment, then defaults."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    mapping = {
        "es_url": "INCIDENTBOT_ES_URL",
        "es_api_key": "INCIDENTBOT_ES_API_KEY",
        "es_username": "INCIDENTBOT_ES_USERNAME",
        "es_password": "INCIDENTBOT_ES_PASSWORD",
        "logs_index": "INCIDENTBOT_LOGS_INDEX",
        "changes_index": "INCIDENTBOT_CHANGES_INDEX",
        "catalog_path": "INCIDENTBOT_CATALOG",
        "kibana_url": "KIBANA_URL",
        "backend": "INCIDENTBOT_BACKEND",
        "openai_api_key": "OPENAI_API_KEY",
        "openai_base_url": "OPENAI_BASE_URL",
        "llm_model": "INCIDENTBOT_LLM_MODEL",
    }
    for key, var in mapping.items():
        if env.get(var):
            values[key] = env[var]
    if env.get("INCIDENTBOT_NOW"):
        values["at"] = env["INCIDENTBOT_NOW"]
    if env.get("INCIDENTBOT_STRICT_PRIVILEGES"):
        values["strict_privileges"] = _bool(env["INCIDENTBOT_STRICT_PRIVILEGES"], "INCIDENTBOT_STRICT_PRIVILEGES")
    if env.get("INCIDENTBOT_ES_VERIFY_CERTS"):
        values["es_verify_certs"] = _bool(env["INCIDENTBOT_ES_VERIFY_CERTS"], "INCIDENTBOT_ES_VERIFY_CERTS")
    for key, var in (("answer_deadline_s", "INCIDENTBOT_ANSWER_DEADLINE_S"),
                     ("change_source_timeout_s", "INCIDENTBOT_CHANGE_SOURCE_TIMEOUT_S"),
                     ("request_timeout_s", "INCIDENTBOT_REQUEST_TIMEOUT_S")):
        if env.get(var):
            values[key] = _seconds(env[var], var)
    field_env = {f: env[f"INCIDENTBOT_FIELD_{f.upper()}"] for f in FieldOverrides.model_fields
                 if env.get(f"INCIDENTBOT_FIELD_{f.upper()}")}
    if field_env:
        values["fields"] = FieldOverrides(**field_env)
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    if isinstance(values.get("at"), str):
        try:
            values["at"] = parse_instant(str(values["at"]))
        except ValueError:
            raise UsageError(f"--at / INCIDENTBOT_NOW must be an ISO 8601 time, not {values['at']!r}") from None
    if isinstance(values.get("at"), datetime) and not 1971 <= values["at"].year <= 9998:  # type: ignore[union-attr]
        raise UsageError(f"--at / INCIDENTBOT_NOW must lie between the years 1971 and 9998, not {values['at']}")
    if values.get("backend", "auto") not in ("auto", "elasticsearch", "opensearch"):
        raise UsageError(f"INCIDENTBOT_BACKEND must be auto, elasticsearch or opensearch, not {values['backend']!r}")
    url = str(values.get("es_url", DEFAULT_ES_URL))
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--es-url / INCIDENTBOT_ES_URL must start with http:// or https://, not {url!r}")
    if values.get("catalog_path") is not None:
        path = Path(str(values["catalog_path"]))
        if not path.is_file():
            raise UsageError(f"--catalog / INCIDENTBOT_CATALOG: no such file {path}")
        values["catalog_path"] = path
    return Settings(**values)
