"""An answer as an audit record: the answer's JSON, masked, plus who asked and where.

Everything stored passes through `mask_secrets`, like everything a person
sees: the audit database is read by more people than the incident channel.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from incidentbot.core.answer import Answer
from incidentbot.core.mask import mask_secrets

_PLACEHOLDER = re.compile(r"<[^<>\s]*>")
_TOKEN = re.compile(r"[a-z][a-z0-9_]+")


@dataclass
class Asked:
    """Who asked, where, and through which door."""

    door: str = "cli"
    user: str | None = None
    channel: str | None = None
    thread_ts: str | None = None


def mask_tree(value: Any) -> Any:
    """Mask every string in a JSON-like value (keys included, they may echo log fields)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {mask_tree(k) if isinstance(k, str) else k: mask_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_tree(v) for v in value]
    return value


def template_tokens(template: str | None) -> frozenset[str]:
    """The words of a pattern template, placeholders and numbers dropped, order ignored.

    Two runs of the miner can word the variable parts differently; the
    constant words are what identify an error across incidents.
    """
    if not template:
        return frozenset()
    text = _PLACEHOLDER.sub(" ", mask_secrets(template).lower())
    return frozenset(t for t in _TOKEN.findall(text) if not t.isdigit())


def top_template(answer: Answer) -> str | None:
    """The answer's top new error pattern (the first new one in rank order), else its top pattern."""
    patterns = [p for p in answer.evidence.patterns if not p.precursor]
    new = [p for p in patterns if p.new]
    chosen = new[0] if new else (patterns[0] if patterns else None)
    return mask_secrets(chosen.template) if chosen else None


def audit_record(answer: Answer, asked: Asked) -> dict[str, Any]:
    """The masked JSON kept for one investigation (what `audit show` prints)."""
    body = answer.to_json()
    body["asked"] = {"door": asked.door, "user": asked.user, "channel": asked.channel, "thread_ts": asked.thread_ts}
    body["llm_used"] = answer.mode == "llm"
    body["source_failures"] = [s.model_dump(exclude_none=True) for s in answer.sources if not s.ok]
    return mask_tree(body)
