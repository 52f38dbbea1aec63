"""Slack HTTP mode answers hostile bodies with 400/401 and one log line (issue 13, item 12).

Before: an unsigned `[1,2,3]` or bare string reached Bolt's parser before
any signature check and came back as a 500 with a logged traceback. The real
Bolt app runs behind the real WSGI endpoint under waitress, over HTTP.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from slack_bolt import App
from support.fakeslack import SECRET, post
from support.httpserve import WaitressLoop

from incidentbot.slack.serve import EVENTS_PATH, make_http_server, make_wsgi_app


@pytest.fixture
def url() -> Iterator[str]:
    app = App(signing_secret=SECRET, token_verification_enabled=False, token="xoxb-test")
    server = make_http_server(make_wsgi_app(app), "127.0.0.1", 0, threads=2)
    loop = WaitressLoop(server).start()
    yield f"http://127.0.0.1:{server.effective_port}{EVENTS_PATH}"
    loop.stop()


@pytest.mark.parametrize("body,ctype", [(b"[1,2,3]", "application/json"), (b'"just a string"', "application/json"),
                                        (b"\xff\xfe", "application/x-www-form-urlencoded"), (b"", "application/json")])
def test_unsigned_garbage_is_401_with_one_log_line(url: str, body: bytes, ctype: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    resp = post(url, body, ctype, sign=False)
    assert resp.status == 401
    mine = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(mine) == 1 and "signature" in mine[0].getMessage() and not mine[0].exc_info


@pytest.mark.parametrize("body,ctype", [(b"[1,2,3]", "application/json"), (b'"just a string"', "application/json"),
                                        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
                                        (b"payload=not-json", "application/x-www-form-urlencoded")])
def test_signed_but_malformed_is_400_with_one_log_line(url: str, body: bytes, ctype: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    resp = post(url, body, ctype)
    assert resp.status == 400
    mine = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(mine) == 1 and "not a Slack payload" in mine[0].getMessage() and not mine[0].exc_info


def test_a_signed_well_formed_request_still_reaches_bolt(url: str) -> None:
    challenge = {"type": "url_verification", "challenge": "abc123", "token": "t"}
    resp = post(url, json.dumps(challenge).encode(), "application/json")
    assert resp.status == 200 and b"abc123" in resp.body
