"""The one masking step against a corpus of secret and personal-data shapes, through every door.

Each shape is put into the fields that reach people (a log line, a pattern
template, a change title and author, a group-by value, a host, a
concentration, a note) and rendered for the terminal, as JSON, as Slack
Block Kit posted through the bot's own Web API client to a local server,
into the LLM's evidence pack, by `incidentbot patterns`, and into the logs.
The secret part must not appear in any of them. Before the fix, 4 of 8
common password spellings, token tails in templates, group-by values,
change titles/authors and all of `patterns` leaked.
"""
from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from support.httpserve import LocalHTTPServer, send, started

from incidentbot.answer.pack import evidence_pack, render_pack
from incidentbot.core.answer import Answer
from incidentbot.core.change import Change, SourceStatus
from incidentbot.core.evidence import (
    Concentration,
    EvidenceLine,
    LogEvidence,
    Pattern,
    QueryRecord,
)
from incidentbot.core.intent import Intent
from incidentbot.core.mask import MaskingFilter, mask_secrets
from incidentbot.core.suspect import Suspect
from incidentbot.patterns_command import run as patterns_run
from incidentbot.render.blocks import answer_blocks
from incidentbot.render.json_out import dumps
from incidentbot.render.terminal import render_answer
from incidentbot.slack.app import build_client

AT = datetime(2026, 3, 14, 14, 32, tzinfo=UTC)

# (shape, text as it appears in the wild, the part that must never leave the process)
CORPUS: list[tuple[str, str, str]] = [
    ("password=", "login failed password=Hunter2xyz for app", "Hunter2xyz"),
    ("db_password=", "config db_password=Pg$ecret99 loaded", "Pg$ecret99"),
    ("json password", 'payload {"password": "js0nSecret!"} rejected', "js0nSecret!"),
    ("json passwd single quotes", "dict {'passwd': 'sq1Secret'} bad", "sq1Secret"),
    ("PASSWORD upper", "PASSWORD: UpperPass77 invalid", "UpperPass77"),
    ("password in yaml", "  mysql_root_password: 'yamlPass55'", "yamlPass55"),
    ("access_token query", "GET /v1/me?access_token=qtok123456789&x=1", "qtok123456789"),
    ("api_key query", "GET /search?q=a&api_key=akq98765432", "akq98765432"),
    ("aws_secret_access_key", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("aws json secret", '{"AWS_SECRET_ACCESS_KEY": "awsJsonSecret123"}', "awsJsonSecret123"),
    ("aws access key id", "key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
    ("client_secret", "oauth client_secret=cs_9f8e7d6c5b4a", "cs_9f8e7d6c5b4a"),
    ("x-api-key header", "X-Api-Key: xak_5544332211", "xak_5544332211"),
    ("private_key value", 'private_key="pk-inline-0099"', "pk-inline-0099"),
    ("session id", "session_id=sess8f7a6b5c4d3e", "sess8f7a6b5c4d3e"),
    ("cookie", "Cookie: sessionid=ck77aa88bb99", "ck77aa88bb99"),
    ("auth=", "auth=authval123abc", "authval123abc"),
    ("bearer header", "Authorization: Bearer bearerTok.abc.def123", "bearerTok"),
    ("basic header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz seen", "eyJzdWIiOiIxMjM0In0"),
    ("pem key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7s3cr3t\n-----END RSA PRIVATE KEY-----", "MIIEpAIBAAKCAQEA7s3cr3t"),
    ("postgres url", "connect postgres://app:pgUrlPass1@db:5432/x", "pgUrlPass1"),
    ("mongodb srv url", "mongodb+srv://root:mongoPass2@cluster0.example.net/db", "mongoPass2"),
    ("redis url", "redis://:redisPass3@cache:6379/0", "redisPass3"),
    ("slack bot token", "using xoxb-1234567890-0987654321-AbCdEfGhIjKl", "AbCdEfGhIjKl"),
    ("slack user token", "xoxp-1111111111-2222222222-3333333333-abcdef123456", "abcdef123456"),
    ("slack app token", "xapp-1-A0123456789-1234567890123-deadbeefcafe", "deadbeefcafe"),
    ("slack token tail in template", "auth with xoxb-<*>-<*>-TailSecretXyz failed", "TailSecretXyz"),
    ("slack webhook", "post to https://hooks.slack.com/services/T000/B000/WebhookSecret123", "WebhookSecret123"),
    ("github classic token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnop"),
    ("github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz"),
    ("gitlab token", "glpat-x1y2z3w4v5u6t7s8r9q0", "x1y2z3w4v5u6t7s8r9q0"),
    ("npm token", "npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdefghijklmnop"),
    ("openai key", "sk-proj-abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890"),
    ("stripe live key", "sk_live_51HxYzAbCdEfGhIjKl", "51HxYzAbCdEfGhIjKl"),
    ("google api key", "AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA1234567890abcdef"),
    ("sendgrid key", "SG.abcdefghijklmnopqrst.uvwxyzABCDEFGHIJKLMNOP", "uvwxyzABCDEFGHIJKLMNOP"),
    ("vault token", "hvs.CAESIJ1234567890abcdefghijkl", "CAESIJ1234567890abcdefghijkl"),
    ("azure account key", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=azKey+/123==;EndpointSuffix=x", "azKey+/123=="),
    ("azure sas sig", "https://a.blob.core.windows.net/c/b?sv=2020&sig=sasSig%2Babc123", "sasSig%2Babc123"),
    ("email", "user jane.doe@example.com not found", "jane.doe@example.com"),
    ("card number", "charge 4111 1111 1111 1111 declined", "4111 1111 1111 1111"),
    ("card number dashes", "card 5500-0000-0000-0004 expired", "5500-0000-0000-0004"),
    ("us ssn", "ssn 123-45-6789 on file", "123-45-6789"),
    ("iban", "refund to DE89 3704 0044 0532 0130 00 failed", "3704 0044 0532 0130"),
    ("phone", "sms to +1 415 555 0134 failed", "415 555 0134"),
    ("dsn", "sentry dsn=https://abc123def456@o1.ingest.sentry.io/1", "abc123def456"),
]


def _answer(text: str) -> Answer:
    """One answer with the text in every field that can reach a person."""
    intent = Intent(question="why is checkout failing?", services=["checkout"], start=AT - timedelta(hours=1), end=AT,
                    group_by="path", notes=[f"note: {text}"])
    main = QueryRecord("Q1", "logs-demo", {"query": {"match_phrase": {"message": text}}}, 12, "main")
    line = EvidenceLine("E1", "logs-demo", "doc-1", "2026-03-14T14:04:07Z", "checkout", text, level="error",
                        host=text, version="1.0", pattern_id="P1")
    pattern = Pattern("P1", text, 12, 0, True, "2026-03-14T14:04:07Z", "2026-03-14T14:30:00Z", ["checkout"], 12.0,
                      ["E1"])
    evidence = LogEvidence(main, None, None, ["checkout"], {}, [pattern], [line],
                           [Concentration("host", text, 0.9, 0.0, 0.1)], [main], breakdown=[(text, 12)])
    change = Change.model_validate({"id": "deploy-7", "@timestamp": "2026-03-14T14:00:00Z", "kind": "deploy",
                                    "service": "checkout", "title": f"deploy: {text}", "author": text,
                                    "description": text, "url": "https://ci.example.com/run/7"})
    suspect = Suspect("C1", 1, change, 0.8, "high", {"timing": 1.0}, [f"title says {text}"])
    return Answer(question=intent.question, at=AT, mode="deterministic", intent=intent, evidence=evidence,
                  changes=[change], suspects=[suspect], summary=f"Summary quoting {text} [Q1].",
                  sources=[SourceStatus(name="github:acme/x", ok=False, error=f"GET failed: {text}")],
                  timing_ms={"total": 1.0}, notes=[text])


class _Recorder(LocalHTTPServer):
    """A local Slack Web API that keeps every request body as bytes."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        super().__init__(self._serve)

    @property
    def url(self) -> str:
        return super().url + "/api/"

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        self.bodies.append(h.rfile.read(int(h.headers.get("Content-Length") or 0)))
        send(h, 200, b'{"ok": true, "ts": "1.0", "channel": "C1"}')


@pytest.fixture(scope="module")
def slack() -> Any:
    yield from started(_Recorder())


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40 and len({name for name, _, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("shape,text,secret", CORPUS, ids=[c[0] for c in CORPUS])
def test_no_secret_leaks_through_terminal_json_slack_or_the_llm_pack(shape: str, text: str, secret: str,
                                                                      slack: Any) -> None:
    assert secret in text
    answer = _answer(text)
    terminal = render_answer(answer)
    as_json = dumps(answer.to_json())
    json.loads(as_json)  # still valid JSON after masking
    rendered = answer_blocks(answer)
    client = build_client("xoxb-test", slack.url)
    client.chat_postMessage(channel="C1", blocks=rendered.blocks, text=rendered.text)
    posted = slack.bodies[-1].decode()
    pack = render_pack(evidence_pack(answer))
    for door, out in (("terminal", terminal), ("json", as_json), ("slack", posted), ("llm pack", pack)):
        assert secret not in out, f"{shape} leaked through {door}"
        assert secret.replace("/", "\\/") not in out


def test_no_secret_leaks_through_the_patterns_command() -> None:
    raw = "\n".join(f"2026-03-14T14:0{i % 10}:00Z ERROR {text.splitlines()[0]}" for i, (_, text, _) in
                    enumerate(CORPUS) if "\n" not in text).encode()
    for as_json in (False, True):
        out, err = io.StringIO(), io.StringIO()
        assert patterns_run(None, as_json, io.BytesIO(raw), out, err) == 0
        for shape, text, secret in CORPUS:
            if "\n" not in text:
                assert secret not in out.getvalue(), f"{shape} leaked through patterns (json={as_json})"


def test_no_secret_leaks_into_the_logs() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("incidentbot.test.mask")
    logger.addHandler(handler)
    try:
        for _, text, _ in CORPUS:
            logger.warning("change source failed: %s", text)
    finally:
        logger.removeHandler(handler)
    for shape, _, secret in CORPUS:
        assert secret not in stream.getvalue(), f"{shape} leaked into the logs"


def test_masking_keeps_what_responders_need() -> None:
    kept = ["connection pool exhausted after 30000ms", "GET /api/orders/12345 500", "deploy-8841 at 14:01:40Z",
            "fetching bank credentials: vault login failed", "timeout after 2026-03-14T14:04:07.112Z",
            "host ip-10-0-3-17.ec2.internal", "version 2.31.0 on payments-7d9f", "slack ts 1710425352.000100"]
    for text in kept:
        assert mask_secrets(text) == text
    assert mask_secrets(mask_secrets(CORPUS[2][1])) == mask_secrets(CORPUS[2][1])  # idempotent
