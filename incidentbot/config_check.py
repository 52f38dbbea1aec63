"""`incidentbot config [--check]`: the effective settings, secrets redacted, and whether each source answers.

Misconfiguration is the commonest first-day failure, and the least welcome
one mid-incident: this command shows what the bot will actually use (after
the command line, the environment and the defaults are merged) and, with
`--check`, asks each configured system one read-only question: the log
store (root endpoint, privileges, a count), every change source (a fetch of
the last hour, under the change-source deadline), the LLM endpoint (the
model list), the audit database (reachable, and at the schema this version
expects, or empty: then it will be created) and Redis (PING). Nothing is
written anywhere: not to the log store, not to the database (a SQLite file
that does not exist yet is not created). Exit 0 when everything configured
answers, 3 when something configured does not.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, TextIO

import openai

from incidentbot.changes.gather import gather_changes
from incidentbot.config import Settings
from incidentbot.core.deadline import answer_deadline
from incidentbot.core.errors import IncidentBotError
from incidentbot.core.mask import mask_secrets
from incidentbot.memory.config import plain
from incidentbot.memory.health import check_database, check_redis
from incidentbot.pipeline import Runtime

CHECK_WINDOW = timedelta(hours=1)
MEMORY_TIMEOUT_S = 10.0


@dataclass
class SourceCheck:
    """One system the bot reads: configured or not, and (with --check) whether it answered."""

    kind: str
    name: str
    configured: bool
    reachable: bool | None = None
    detail: str = ""


def flatten(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as `section.key` pairs, in the model's order."""
    out: list[tuple[str, Any]] = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value) and key != "flag_services":
            out.extend(flatten(value, name + "."))
        else:
            out.append((name, value))
    return out


def configured(settings: Settings) -> list[SourceCheck]:
    """What is set up, without asking anything over the network."""
    ch = settings.changes
    slack_tokens = [n for n, v in (("bot token", settings.slack.bot_token), ("signing secret", settings.slack.signing_secret),
                                   ("app token", settings.slack.app_token)) if v is not None]
    return [
        SourceCheck("log store", settings.es_url, True),
        SourceCheck("change source", f"elasticsearch:{settings.changes_index}", True),
        SourceCheck("change source", f"file:{ch.file.path}" if ch.file.path else "file", bool(ch.file.path)),
        SourceCheck("change source", "github:" + ",".join(ch.github.repos) if ch.github.repos else "github",
                    bool(ch.github.repos)),
        SourceCheck("change source", "argocd", bool(ch.argocd.url)),
        SourceCheck("change source", "kubernetes", bool(ch.kubernetes.namespaces)),
        SourceCheck("change source", "launchdarkly", ch.launchdarkly.token is not None),
        SourceCheck("llm", settings.llm.base_url or "https://api.openai.com/v1", settings.llm_enabled,
                    detail="" if settings.llm_enabled else "not configured: deterministic mode"),
        SourceCheck("slack", settings.slack.api_url or "https://slack.com/api/", bool(slack_tokens),
                    detail=", ".join(slack_tokens) if slack_tokens else "not configured: terminal only"),
        *memory_parts(settings),
    ]


def memory_parts(settings: Settings) -> list[SourceCheck]:
    """The audit database and Redis, named by their URLs with any password masked."""
    db, cache = plain(settings.memory.db_url), plain(settings.memory.redis_url)
    return [
        SourceCheck("audit database", mask_secrets(db) if db else "none", db is not None,
                    detail="" if db else "not configured: no audit trail, no \"seen before\""),
        SourceCheck("redis", mask_secrets(cache) if cache else "none", cache is not None,
                    detail="" if cache else "not configured: state kept in each process"),
    ]


def check_memory(settings: Settings) -> list[SourceCheck]:
    """The database read (its schema revision) and Redis's PING, each bounded; nothing created or written."""
    timeout = min(settings.request_timeout_s, MEMORY_TIMEOUT_S)
    db, cache = memory_parts(settings)
    for check, url, probe in ((db, settings.memory.db_url, check_database), (cache, settings.memory.redis_url, check_redis)):
        if url is not None:
            health = probe(url.get_secret_value(), timeout)
            check.reachable, check.detail = health.ok, health.detail
    return [db, cache]


def check_log_store(rt: Runtime) -> SourceCheck:
    """Root endpoint (which server), privileges (read-only or not) and a count of the logs pattern."""
    check = SourceCheck("log store", rt.settings.es_url, True)
    try:
        flavour = rt.gateway.flavour
        privileges = rt.gateway.check_privileges()
        count = rt.gateway.count(rt.settings.logs_index, {"query": {"match_all": {}}})
    except IncidentBotError as exc:
        check.reachable, check.detail = False, str(exc)
        return check
    check.reachable = True
    check.detail = f"{flavour}, {count} documents in {rt.settings.logs_index}, credentials: {privileges}"
    return check


def check_change_sources(rt: Runtime) -> list[SourceCheck]:
    """One fetch of the last hour from every configured change source, under the usual deadline."""
    end = rt.at()
    _, statuses = gather_changes(rt.change_sources, end - CHECK_WINDOW, end, timeout_s=rt.settings.changes.deadline_s)
    return [SourceCheck("change source", s.name, True, s.ok,
                        f"{s.count} changes in the last hour" if s.ok else (s.error or "failed")) for s in statuses]


def check_llm(settings: Settings) -> SourceCheck:
    """The model list (GET /models): proves the URL and the key without spending a completion."""
    check = next(c for c in configured(settings) if c.kind == "llm")
    if not settings.llm_enabled:
        return check
    client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url,
                           timeout=settings.llm_timeout_s, max_retries=0)
    try:
        models = [m.id for m in client.models.list()]
    except openai.APIError as exc:
        check.reachable, check.detail = False, f"{type(exc).__name__}: {str(exc)[:200]}"
        return check
    check.reachable = True
    known = settings.llm_model in models
    check.detail = f"model {settings.llm_model} " + ("listed" if known else f"not among the {len(models)} listed")
    return check


def run_checks(settings: Settings) -> list[SourceCheck]:
    """Every configured system, asked one read-only question; unconfigured ones are listed as such."""
    rt = Runtime.create(settings, check=False)
    try:
        # as one answer would: a store that accepts connections and never answers costs at most the deadline
        with answer_deadline(settings.answer_deadline_s):
            checks = [check_log_store(rt), *check_change_sources(rt)]
    finally:
        rt.gateway.close()
    listed = {c.name for c in checks}
    rest = [c for c in configured(settings) if c.kind == "change source" and not c.configured and c.name not in listed]
    slack = next(c for c in configured(settings) if c.kind == "slack")
    return [*checks, *rest, check_llm(settings), slack, *check_memory(settings)]


def render(settings: Settings, checks: list[SourceCheck]) -> str:
    lines = ["Effective settings (secrets shown as **********):"]
    lines += [f"  {name} = {json.dumps(value)}" for name, value in flatten(settings.redacted())]
    lines += ["", "Sources:"]
    for c in checks:
        state = ("configured" if c.configured else "not configured") if c.reachable is None else (
            "reachable" if c.reachable else "NOT REACHABLE")
        lines.append(f"  {c.kind:<14} {c.name}: {state}" + (f" ({c.detail})" if c.detail else ""))
    return "\n".join(lines)


def run(settings: Settings, *, check: bool, as_json: bool, out: TextIO) -> int:
    """Print the settings (and the checks); 3 when something configured did not answer."""
    checks = run_checks(settings) if check else configured(settings)
    if as_json:
        out.write(json.dumps({"settings": settings.redacted(), "sources": [asdict(c) for c in checks]}, indent=2) + "\n")
    else:
        out.write(render(settings, checks) + "\n")
    return 3 if any(c.configured and c.reachable is False for c in checks) else 0


__all__ = ["SourceCheck", "configured", "run", "run_checks"]
