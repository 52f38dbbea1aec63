"""Settings: one pydantic-settings model, read from the environment and the command line, validated once.

Every door (CLI, Slack, benchmarks) builds one `Settings` and hands it to the
pipeline, so a misconfiguration is reported the same way everywhere: one line
per problem, naming the environment variable. The model has one section per
concern (search, llm, slack, and one per change source under `changes`);
secrets are `SecretStr`, so printing or dumping the settings never shows them.

The environment variable names predate the model and are kept as they are
(README, docs/change-sources.md, docs/slack.md): each field lists its names in
`env(...)`, and `_MappingEnvSource` reads them from a mapping (the process
environment, or a test's dict). The flat attributes older code uses
(`settings.es_url`, `settings.openai_api_key`...) stay as read-only views, and
the same flat names are accepted as keyword arguments.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from incidentbot.core.errors import UsageError
from incidentbot.core.timeutil import parse_instant

DEFAULT_ES_URL = "http://localhost:9200"


def env(default: Any, *names: str, **kw: Any) -> Any:
    """A field read from these environment variables (first set one wins)."""
    return Field(default, json_schema_extra={"env": list(names)}, **kw)


def _split(value: Any) -> Any:
    """A comma list from the environment ("a, b,,c"); lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _pairs(value: Any) -> Any:
    """`name=value,name=value` from the environment; an item without `=` is an error."""
    if not isinstance(value, str):
        return value
    out: dict[str, str] = {}
    for item in _split(value):
        name, sep, val = item.partition("=")
        if not sep or not name.strip() or not val.strip():
            raise ValueError(f"{item!r} is not of the form name=value")
        out[name.strip()] = val.strip()
    return out


def _http_url(value: str | None) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, not {value!r}")
    return value.rstrip("/") if value else value


CommaList = Annotated[list[str], BeforeValidator(_split)]
CommaMap = Annotated[dict[str, str], BeforeValidator(_pairs)]
HttpUrl = Annotated[str, BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=False)


class FieldOverrides(_Section):
    """Field names that replace discovery, for indices with unusual names."""

    timestamp: str | None = env(None, "INCIDENTBOT_FIELD_TIMESTAMP")
    service: str | None = env(None, "INCIDENTBOT_FIELD_SERVICE")
    level: str | None = env(None, "INCIDENTBOT_FIELD_LEVEL")
    message: str | None = env(None, "INCIDENTBOT_FIELD_MESSAGE")
    status: str | None = env(None, "INCIDENTBOT_FIELD_STATUS")
    host: str | None = env(None, "INCIDENTBOT_FIELD_HOST")
    path: str | None = env(None, "INCIDENTBOT_FIELD_PATH")
    version: str | None = env(None, "INCIDENTBOT_FIELD_VERSION")
    trace: str | None = env(None, "INCIDENTBOT_FIELD_TRACE")
    region: str | None = env(None, "INCIDENTBOT_FIELD_REGION")
    # the request-duration field and its unit, for indices whose duration discovery cannot name
    duration: str | None = env(None, "INCIDENTBOT_FIELD_DURATION")
    duration_unit: Literal["ns", "us", "ms", "s"] | None = env(None, "INCIDENTBOT_FIELD_DURATION_UNIT")


class SearchSettings(_Section):
    """Where the logs are and how hard the bot may ask (the read-only gateway's settings)."""

    url: HttpUrl = env(DEFAULT_ES_URL, "INCIDENTBOT_ES_URL")
    api_key: SecretStr | None = env(None, "INCIDENTBOT_ES_API_KEY")
    username: str | None = env(None, "INCIDENTBOT_ES_USERNAME")
    password: SecretStr | None = env(None, "INCIDENTBOT_ES_PASSWORD")
    verify_certs: bool = env(True, "INCIDENTBOT_ES_VERIFY_CERTS")
    backend: Literal["auto", "elasticsearch", "opensearch"] = env("auto", "INCIDENTBOT_BACKEND")
    logs_index: str = env("logs-*", "INCIDENTBOT_LOGS_INDEX")
    strict_privileges: bool = env(True, "INCIDENTBOT_STRICT_PRIVILEGES")
    request_timeout_s: float = env(30.0, "INCIDENTBOT_ES_TIMEOUT_S", gt=0)
    search_timeout: str = "20s"
    sample_size: int = Field(default=500, ge=10, le=5000)
    evidence_per_pattern: int = Field(default=2, ge=1, le=10)
    max_patterns: int = Field(default=8, ge=1, le=50)
    kibana_url: str | None = env(None, "KIBANA_URL")
    fields: FieldOverrides = Field(default_factory=FieldOverrides)

    _url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))


class LLMSettings(_Section):
    """An OpenAI-compatible endpoint; without a key the bot runs deterministic."""

    api_key: SecretStr | None = env(None, "OPENAI_API_KEY")
    base_url: str | None = env(None, "OPENAI_BASE_URL")
    model: str = env("gpt-4o-mini", "INCIDENTBOT_LLM_MODEL")
    timeout_s: float = env(20.0, "INCIDENTBOT_LLM_TIMEOUT_S", gt=0)

    _url = field_validator("base_url")(classmethod(lambda cls, v: _http_url(v)))


class SlackSettings(_Section):
    """The Slack app's tokens (docs/slack.md) and where `serve --http` listens."""

    bot_token: SecretStr | None = env(None, "SLACK_BOT_TOKEN")
    signing_secret: SecretStr | None = env(None, "SLACK_SIGNING_SECRET")
    app_token: SecretStr | None = env(None, "SLACK_APP_TOKEN")
    api_url: str | None = env(None, "SLACK_API_URL")
    workspace_url: str | None = env(None, "SLACK_WORKSPACE_URL")
    port: int = env(3000, "PORT", ge=0, le=65535)
    # False: never try chat.startStream, always the edited progress message (a workspace where streams misbehave)
    streaming: bool = env(True, "INCIDENTBOT_SLACK_STREAMING")
    # where Slack refuses streaming: at most one edit of a progress message per this many seconds (0: every step)
    progress_interval_s: float = env(1.0, "INCIDENTBOT_SLACK_PROGRESS_INTERVAL_S", ge=0, le=60)
    # ...and at most this many progress edits a minute for the whole app (answers are not counted)
    progress_edits_per_min: int = env(40, "INCIDENTBOT_SLACK_PROGRESS_EDITS_PER_MIN", ge=1, le=1000)

    _url = field_validator("api_url", "workspace_url")(classmethod(lambda cls, v: _http_url(v)))


class ChangesIndexSettings(_Section):
    """Changes stored in the search cluster, read through the same read-only gateway."""

    index: str = env("changes-*", "INCIDENTBOT_CHANGES_INDEX")


class NdjsonSettings(_Section):
    path: str | None = env(None, "INCIDENTBOT_CHANGES_FILE")


def parse_repos(value: list[str]) -> list[tuple[str, str | None]]:
    """`owner/name` or `owner/name=service` items; anything else is a configuration error."""
    repos: list[tuple[str, str | None]] = []
    for item in value:
        repo, sep, service = item.partition("=")
        repo = repo.strip()
        owner, slash, name = repo.partition("/")
        if not slash or not owner or not name or "/" in name:
            raise ValueError(f"{repo!r} must be owner/name (optionally owner/name=service)")
        if sep and not service.strip():
            raise ValueError(f"{item!r} has an empty service after '='")
        repos.append((repo, service.strip() or None))
    return repos


class GitHubSettings(_Section):
    repos: CommaList = env([], "INCIDENTBOT_GITHUB_REPOS")
    token: SecretStr | None = env(None, "GITHUB_TOKEN")
    api_url: str = env("https://api.github.com", "GITHUB_API_URL")
    environment: str | None = env(None, "INCIDENTBOT_GITHUB_ENVIRONMENT")
    pulls: bool = env(False, "INCIDENTBOT_GITHUB_PULLS")

    _url = field_validator("api_url")(classmethod(lambda cls, v: _http_url(v)))

    @field_validator("repos")
    @classmethod
    def _repos(cls, value: list[str]) -> list[str]:
        parse_repos(value)
        return value


class ArgoCDSettings(_Section):
    url: str | None = env(None, "ARGOCD_URL")
    token: SecretStr | None = env(None, "ARGOCD_TOKEN")
    apps: CommaList = env([], "ARGOCD_APPS")
    service_label: str | None = env(None, "INCIDENTBOT_ARGOCD_SERVICE_LABEL")

    _url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))

    @model_validator(mode="after")
    def _both(self) -> ArgoCDSettings:
        if self.token and not self.url:
            raise ValueError("ARGOCD_TOKEN is set but ARGOCD_URL is not: set the Argo CD server URL too")
        if self.url and not self.token:
            raise ValueError("ARGOCD_URL is set but ARGOCD_TOKEN is not: create a read-only Argo CD token")
        return self


class KubernetesSettings(_Section):
    namespaces: CommaList = env([], "INCIDENTBOT_K8S_NAMESPACES")
    in_cluster: bool | None = env(None, "INCIDENTBOT_K8S_IN_CLUSTER")
    service_host: str | None = env(None, "KUBERNETES_SERVICE_HOST")
    kubeconfig: str | None = env(None, "KUBECONFIG")
    context: str | None = env(None, "INCIDENTBOT_K8S_CONTEXT")
    service_labels: CommaList = env(["app.kubernetes.io/name", "app"], "INCIDENTBOT_K8S_SERVICE_LABEL")
    configmaps: bool = env(True, "INCIDENTBOT_K8S_CONFIGMAPS")

    @property
    def use_in_cluster(self) -> bool:
        """Forced by INCIDENTBOT_K8S_IN_CLUSTER, else in-cluster when Kubernetes set KUBERNETES_SERVICE_HOST."""
        return self.in_cluster if self.in_cluster is not None else bool(self.service_host)


class LaunchDarklySettings(_Section):
    token: SecretStr | None = env(None, "LAUNCHDARKLY_API_TOKEN")
    project: str | None = env(None, "LAUNCHDARKLY_PROJECT")
    environments: CommaList = env([], "LAUNCHDARKLY_ENVIRONMENTS")
    api_url: str = env("https://app.launchdarkly.com", "LAUNCHDARKLY_API_URL")
    flag_services: CommaMap = env({}, "INCIDENTBOT_FLAG_SERVICES")

    _url = field_validator("api_url")(classmethod(lambda cls, v: _http_url(v)))

    @model_validator(mode="after")
    def _token(self) -> LaunchDarklySettings:
        if self.project and not self.token:
            raise ValueError("LAUNCHDARKLY_PROJECT is set but LAUNCHDARKLY_API_TOKEN is not: add a reader API token")
        return self


def default_db_path() -> Path:
    """A file in the user's data folder, so `incidentbot demo` keeps an audit trail with no set-up."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "incidentbot" / "audit.sqlite3"


DB_SCHEMES = ("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
OFF = ("none", "off", "false", "0")


def _scheme(url: str) -> str:
    """What a message may show of a URL that may carry a password: its scheme only."""
    head, sep, _ = url.partition("://")
    return f"{head}://..." if sep else repr(url[:12] + ("..." if len(url) > 12 else ""))


class MemorySettings(_Section):
    """The bot's memory (docs/operations.md): the audit database, how long it keeps answers, the shared Redis.

    The URLs are secrets (they usually carry a password), so they print as
    '**********'; `incidentbot config` names the database and Redis in its
    source list with the password masked. `db_url` is None when the trail is
    off (INCIDENTBOT_DB_URL=none).
    """

    db_url: SecretStr | None = env(None, "INCIDENTBOT_DB_URL")
    retention_days: int = env(90, "INCIDENTBOT_AUDIT_RETENTION_DAYS")
    redis_url: SecretStr | None = env(None, "INCIDENTBOT_REDIS_URL")

    def __init__(self, **data: Any) -> None:
        data.setdefault("db_url", f"sqlite:///{default_db_path()}")
        super().__init__(**data)

    @field_validator("db_url", mode="before")
    @classmethod
    def _db_url(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        raw = raw.strip()
        if raw.lower() in OFF:
            return None
        if not raw.startswith(DB_SCHEMES):
            raise ValueError("must be sqlite:///PATH or postgresql://USER:PASSWORD@HOST:5432/DB "
                             f"(or 'none' to keep no audit trail), not {_scheme(raw)}")
        return raw

    @field_validator("retention_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        try:
            days = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number of days") from None
        if days < 1:
            raise ValueError("must be at least 1 day (answers are kept this many days)")
        return days

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        if raw.strip() and not raw.strip().startswith(REDIS_SCHEMES):
            raise ValueError(f"must start with redis://, rediss:// or unix://, not {_scheme(raw.strip())}")
        return raw.strip() or None


class ChangesSettings(_Section):
    """Every change source's settings, and how long the answer waits for them."""

    deadline_s: float = env(10.0, "INCIDENTBOT_CHANGES_DEADLINE_S", gt=0)
    es_index: ChangesIndexSettings = Field(default_factory=ChangesIndexSettings)
    file: NdjsonSettings = Field(default_factory=NdjsonSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    argocd: ArgoCDSettings = Field(default_factory=ArgoCDSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    launchdarkly: LaunchDarklySettings = Field(default_factory=LaunchDarklySettings)


# Flat names older code and the command line use -> their place in the sections.
LEGACY: dict[str, tuple[str, ...]] = {
    "es_url": ("search", "url"), "es_api_key": ("search", "api_key"), "es_username": ("search", "username"),
    "es_password": ("search", "password"), "es_verify_certs": ("search", "verify_certs"),
    "backend": ("search", "backend"), "logs_index": ("search", "logs_index"),
    "strict_privileges": ("search", "strict_privileges"), "request_timeout_s": ("search", "request_timeout_s"),
    "search_timeout": ("search", "search_timeout"), "sample_size": ("search", "sample_size"),
    "evidence_per_pattern": ("search", "evidence_per_pattern"), "max_patterns": ("search", "max_patterns"),
    "kibana_url": ("search", "kibana_url"), "fields": ("search", "fields"),
    "changes_index": ("changes", "es_index", "index"),
    "openai_api_key": ("llm", "api_key"), "openai_base_url": ("llm", "base_url"),
    "llm_model": ("llm", "model"), "llm_timeout_s": ("llm", "timeout_s"), "port": ("slack", "port"),
}

# Command-line options that set a value, named in error lines next to the variable.
OPTIONS: dict[tuple[str, ...], list[str]] = {
    ("search", "url"): ["--es-url"], ("search", "logs_index"): ["--logs-index"],
    ("changes", "es_index", "index"): ["--changes-index"], ("catalog_path",): ["--catalog"], ("at",): ["--at"],
    ("slack", "port"): ["--port"],
}

_ENV: ContextVar[Mapping[str, str] | None] = ContextVar("incidentbot_settings_env", default=None)


class _MappingEnvSource(PydanticBaseSettingsSource):
    """Reads each field's `env(...)` names from a mapping: the process environment, or a test's dict."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads the whole tree at once

    def __call__(self) -> dict[str, Any]:
        return _read_env(self.settings_cls, self._environ)


def _env_names(info: FieldInfo) -> list[str]:
    extra = info.json_schema_extra
    return list(extra.get("env", [])) if isinstance(extra, dict) else []  # type: ignore[arg-type]


def _read_env(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            nested = _read_env(sub, environ)
            if nested:
                out[name] = nested
            continue
        for var in _env_names(info):
            raw = environ.get(var)
            if raw is not None and raw.strip():
                out[name] = raw.strip()
                break
    return out


def _place(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        inner = values.get(part)
        if not isinstance(inner, dict):
            inner = dict(inner.model_dump()) if isinstance(inner, BaseModel) else {}
            values[part] = inner
        values = inner
    values[path[-1]] = value


def _view(*path: str, secret: bool = False) -> Any:
    """A flat attribute (`settings.es_url`) that reads and writes its place in a section."""
    def get(self: Any) -> Any:
        for part in path:
            self = getattr(self, part)
        return _plain(self) if secret else self

    def put(self: Any, value: Any) -> None:
        for part in path[:-1]:
            self = getattr(self, part)
        setattr(self, path[-1], SecretStr(value) if secret and isinstance(value, str) else value)

    return property(get, put)


class Settings(BaseSettings):
    """Everything the bot needs to know about where data is and how to behave."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=False)

    search: SearchSettings = Field(default_factory=SearchSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    changes: ChangesSettings = Field(default_factory=ChangesSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    answer_deadline_s: float = env(45.0, "INCIDENTBOT_ANSWER_DEADLINE_S", gt=0)
    catalog_path: Path | None = env(None, "INCIDENTBOT_CATALOG")
    at: datetime | None = env(None, "INCIDENTBOT_NOW")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then our variable names from the environment (or the mapping settings_from was given)."""
        environ = _ENV.get()
        return init_settings, _MappingEnvSource(settings_cls, os.environ if environ is None else environ)

    @model_validator(mode="before")
    @classmethod
    def _flat_names(cls, data: Any) -> Any:
        """Accept the flat names (es_url=..., openai_api_key=...) by moving them into their section."""
        if not isinstance(data, dict) or not any(k in LEGACY for k in data):
            return data
        values = dict(data)
        for key in [k for k in values if k in LEGACY]:
            value = values.pop(key)
            if value is not None:
                _place(values, LEGACY[key], value)
        return values

    @field_validator("at", mode="before")
    @classmethod
    def _instant(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = parse_instant(value)
            except ValueError:
                raise ValueError(f"must be an ISO 8601 time, not {value!r}") from None
        if isinstance(value, datetime) and not 1971 <= value.year <= 9998:
            # the pipeline reaches 14 days back and forward from it: year 1 overflowed
            raise ValueError(f"must lie between the years 1971 and 9998, not {value.isoformat()}")
        return value

    @field_validator("catalog_path")
    @classmethod
    def _catalog_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file {value}")
        return value

    # -- the flat views older code reads (and may set, as before the sections) --------------------
    es_url = _view("search", "url")
    es_api_key = _view("search", "api_key", secret=True)
    es_username = _view("search", "username")
    es_password = _view("search", "password", secret=True)
    es_verify_certs = _view("search", "verify_certs")
    backend = _view("search", "backend")
    logs_index = _view("search", "logs_index")
    changes_index = _view("changes", "es_index", "index")
    strict_privileges = _view("search", "strict_privileges")
    request_timeout_s = _view("search", "request_timeout_s")
    search_timeout = _view("search", "search_timeout")
    sample_size = _view("search", "sample_size")
    evidence_per_pattern = _view("search", "evidence_per_pattern")
    max_patterns = _view("search", "max_patterns")
    kibana_url = _view("search", "kibana_url")
    fields = _view("search", "fields")
    openai_api_key = _view("llm", "api_key", secret=True)
    openai_base_url = _view("llm", "base_url")
    llm_model = _view("llm", "model")
    llm_timeout_s = _view("llm", "timeout_s")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm.api_key and self.llm.api_key.get_secret_value())

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (flat or section names), validated again, without re-reading the environment."""
        values = self.model_dump()
        for key, value in changes.items():
            _place(values, LEGACY.get(key, (key,)), value)
        with _environment({}):
            return Settings(**values)

    def redacted(self) -> dict[str, Any]:
        """The effective settings as JSON-ready values, secrets shown as '**********' (set) or null."""
        return self.model_dump(mode="json")


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


@contextmanager
def _environment(environ: Mapping[str, str] | None) -> Iterator[None]:
    token = _ENV.set(environ)
    try:
        yield
    finally:
        _ENV.reset(token)


class SettingsError(UsageError):
    """Invalid settings: one line per problem, each naming the variable or option to fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _field_info(path: tuple[str | int, ...]) -> FieldInfo | None:
    model: Any = Settings
    info: FieldInfo | None = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or not fields or part not in fields:
            return info
        info = fields[part]
        model = info.annotation
    return info


def describe_errors(exc: ValidationError) -> list[str]:
    """One line per problem: the environment variable (and the setting's path), what is wrong, the value if not secret."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        info = _field_info(loc)
        names = [*OPTIONS.get(tuple(str(p) for p in loc), []), *(_env_names(info) if info is not None else [])]
        path = ".".join(str(p) for p in loc)
        where = f"{' / '.join(names)} ({path})" if names else (path or "settings")
        message = str(err["msg"]).removeprefix("Value error, ")
        secret = info is not None and "SecretStr" in str(info.annotation)
        shown = err.get("input")
        if not secret and isinstance(shown, str | int | float) and repr(shown) not in message and names:
            message += f" (got {shown!r})"
        lines.append(f"{where}: {message}")
    return lines


def settings_from(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings: command-line overrides first, then the environment, then defaults.

    Raises SettingsError (a UsageError, exit 2) listing every problem, one per line.
    """
    values: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
    if isinstance(values.get("catalog_path"), str):
        values["catalog_path"] = Path(str(values["catalog_path"]))
    with _environment(env):
        try:
            return Settings(**values)
        except ValidationError as exc:
            raise SettingsError(describe_errors(exc)) from None
