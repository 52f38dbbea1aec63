"""Masking secrets and personal data in log text before it reaches an LLM or Slack.

Log lines are untrusted input: they carry tokens, passwords, connection
strings, emails, and sometimes text written to steer a bot. Everything quoted
from a log passes through `mask_secrets` first, and `neutralise_mentions`
before Slack, so a line can neither leak a credential nor page a channel.
"""
from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    # JSON Web Tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b"), "<jwt>"),
    # PEM private keys
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), "<private-key>"),
    # connection strings with credentials: scheme://user:password@host
    (re.compile(r"\b([a-z][a-z0-9+.-]{1,20}://)[^\s:/@]+:[^\s@/]+@", re.I), r"\1<credentials>@"),
    # vendor tokens
    (re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]{8,}\b"), "<slack-token>"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"), "<github-token>"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"), "<github-token>"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "<aws-key>"),
    (re.compile(r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{16,}\b"), "<api-key>"),
    (re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b"), "<api-key>"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}\b"), "<api-key>"),
    # Authorization headers
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1 <secret>"),
    # key=value / key: value where the key names a secret
    (re.compile(r"(?i)\b((?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
                r"client[_-]?secret)\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"), r"\1<secret>"),
    # weaker keys ("credentials: vault login failed" is prose): only key=value, or a value that looks like a secret
    (re.compile(r"(?i)\b((?:auth|authorization|credentials?|session[_-]?id|cookie|sid)\s*=\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"), r"\1<secret>"),
    (re.compile(r"(?i)\b((?:auth|authorization|credentials?|session[_-]?id|cookie|sid)\s*:\s*)"
                r"(?=[^\s,;&]*\d)(?=[^\s,;&]*[a-z])([^\s,;&]{8,})"), r"\1<secret>"),
    # email addresses
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), "<email>"),
    # card numbers (13-19 digits, optionally grouped)
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "<number>"),
]


def mask_secrets(text: str) -> str:
    """Replace credentials and personal data with a placeholder naming what was there."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


_MENTIONS = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>|<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"
                       r"|(?<![\w<])@(channel|here|everyone)\b", re.I)


def neutralise_mentions(text: str) -> str:
    """Make @channel, @here and user mentions from log text inert in Slack (shown, never notifying)."""
    def repl(m: re.Match[str]) -> str:
        word = m.group(1) or m.group(3)
        if word:
            return f"@\u200b{word.lower()}"
        if m.group(2):
            return f"@\u200b{m.group(2)}"
        return "@\u200bgroup"

    return _MENTIONS.sub(repl, text)
