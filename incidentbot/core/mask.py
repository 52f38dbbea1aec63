"""The one masking step: secrets and personal data out of every string that leaves the process.

Log lines, change titles, authors, hosts and paths are untrusted input: they
carry tokens, passwords, connection strings, emails, card numbers, and
sometimes text written to steer a bot. `mask_secrets` replaces each with a
placeholder naming what was there; `mask_tree` applies it to every string in
a JSON-like value. Both are applied at the boundaries, so nothing can bypass
them: the JSON renderer, the terminal renderer, the Slack Web API client
(every request's body), the LLM's evidence pack, the `patterns` command, and
the log handler (`install_log_masking`); the audit trail calls the same
function. `neutralise_mentions` is the Slack-only second step, so a line can
neither leak a credential nor page a channel.

Rules are ordered: whole tokens with a known shape first (JWT, PEM, vendor
keys), then key=value and "key": "value" pairs whose key names a secret
(whatever its prefix: `db_password`, `aws_secret_access_key`, `?access_token`),
then personal data. Placeholders are never re-masked into something else,
so masking twice gives the same text.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

# a pattern miner's placeholder inside a token (`xoxb-<*>-<NUM>-tail`): the tail must still go
_PH = r"(?:<[^<>\s]{1,12}>|&lt;[^<>\s&]{1,12}&gt;)"
_SECRET_KEYS = (r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
                r"client[_-]?secret|account[_-]?key|auth[_-]?key|signing[_-]?key|encryption[_-]?key|"
                r"session[_-]?(?:id|key|token)|sessionid|x-api-key|dsn")
# a quoted value, also inside JSON that was itself quoted (\"value\")
_QUOTED = r"\\\"(?:[^\"\\]|\\[^\"])*?\\\"|\"(?:[^\"\\]|\\.)*\"|'[^']*'"


def _kv(match: re.Match[str]) -> str:
    """Keep the key, the separator and the value's quotes (so JSON stays JSON); hide the value."""
    value = match.group("val")
    quote = '\\"' if value.startswith('\\"') else (value[0] if value[:1] in ("\"", "'") else "")
    return f"{match.group('key')}{match.group('sep')}{quote}<secret>{quote}"


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "<card-number>" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


Rule = tuple[re.Pattern[str], "str | Callable[[re.Match[str]], str]"]

_RULES: list[Rule] = [
    # JSON Web Tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b"), "<jwt>"),
    # PEM private keys (also cut off at the end of a line)
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), "<private-key>"),
    # connection strings with credentials: scheme://user:password@host
    (re.compile(r"((?:\b[a-z][a-z0-9+.-]{1,20}:)?//)[^\s:/@]*:[^\s@/]+@", re.I), r"\1<credentials>@"),
    # webhooks whose URL is the secret
    (re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[^\s\"'<>|)]+"), "<slack-webhook>"),
    (re.compile(r"https://(?:discord(?:app)?\.com)/api/webhooks/[^\s\"'<>|)]+"), "<webhook>"),
    # vendor tokens, also with a miner's placeholders inside
    (re.compile(rf"\b(?:xox[abposre]|xapp)-(?:[A-Za-z0-9-]|{_PH})+"), "<slack-token>"),
    (re.compile(rf"\bgh[pousr]_(?:[A-Za-z0-9]|{_PH}){{8,}}"), "<github-token>"),
    (re.compile(rf"\bgithub_pat_(?:[A-Za-z0-9_]|{_PH}){{8,}}"), "<github-token>"),
    (re.compile(rf"\bglpat-(?:[A-Za-z0-9_-]|{_PH}){{8,}}"), "<gitlab-token>"),
    (re.compile(rf"\bnpm_(?:[A-Za-z0-9]|{_PH}){{16,}}"), "<npm-token>"),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{40,}"), "<pypi-token>"),
    (re.compile(r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{20,}"), "<shopify-token>"),
    (re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"), "<sendgrid-key>"),
    (re.compile(r"\bhv[sb]\.[A-Za-z0-9_-]{20,}"), "<vault-token>"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "<aws-key>"),
    (re.compile(rf"\bsk-(?:proj-|live-|test-|ant-)?(?:[A-Za-z0-9_-]|{_PH}){{16,}}"), "<api-key>"),
    (re.compile(rf"\b(?:sk|pk|rk)_(?:live|test)_(?:[A-Za-z0-9]|{_PH}){{6,}}"), "<api-key>"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"), "<api-key>"),
    # Authorization headers
    (re.compile(r"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1 <secret>"),
    # Azure connection strings and SAS signatures
    (re.compile(r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s\"']+"), r"\1=<secret>"),
    (re.compile(r"(?i)((?:[?&;]|&amp;)sig=)[^&\s\"']+"), r"\1<secret>"),
    # key=value, key: value, "key": "value" where the key names a secret, whatever its prefix
    (re.compile(rf"(?i)(?P<key>\b[\w.-]*?(?:{_SECRET_KEYS})[\w.-]*)(?P<sep>(?:\\?[\"'])?\s*[=:]\s*)"
                rf"(?P<val>{_QUOTED}|(?!<secret>)[^\s,;&}}\]\"'<>\u201c\u201d]+)"), _kv),
    # weaker keys ("credentials: vault login failed" is prose): only key=value, or a value that looks like a secret
    (re.compile(rf"(?i)(?P<key>\b(?:auth|authorization|credentials?|cookie|sid))(?P<sep>(?:\\?[\"'])?\s*=\s*)"
                rf"(?P<val>{_QUOTED}|[^\s,;&}}\]\"'<>\u201c\u201d]+)"), _kv),
    (re.compile(r"(?i)\b((?:auth|authorization|credentials?|cookie|sid)\s*:\s*)"
                r"(?=[^\s,;&]*\d)(?=[^\s,;&]*[a-z])([^\s,;&]{8,})"), r"\1<secret>"),
    # personal data: emails, card numbers (Luhn-checked), US social security numbers, IBANs, phone numbers
    (re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"), "<email>"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), _card),
    (re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"), "<ssn>"),
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"), "<iban>"),
    (re.compile(r"(?<![\w+])\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b"), "<phone>"),
]


def mask_secrets(text: str) -> str:
    """Replace credentials and personal data with a placeholder naming what was there."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def mask_tree(value: Any) -> Any:
    """Every string in a JSON-like value masked (dict keys kept); other values untouched."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: mask_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_tree(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_tree(v) for v in value)
    return value


class MaskingFilter(logging.Filter):
    """Masks a log record's final message: a logged exception or request can quote a secret too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Put the masking filter on every handler of the root logger (once each)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


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
