"""Raw lines become messages: prefixes stripped, levels canonical, continuations attached."""
import io
import json

import pytest

from incidentbot.evidence.rawlines import canonical_level, read_lines, split_messages


def one(line: str) -> tuple[str, str | None]:
    messages, _ = split_messages([line])
    assert len(messages) == 1
    return messages[0].text, messages[0].level


@pytest.mark.parametrize("line, text, level", [
    ("connection pool exhausted", "connection pool exhausted", None),
    ("2026-03-14 14:04:07,112 ERROR [main] com.x.Y - pool exhausted", "pool exhausted", "error"),
    ("2026-03-14T14:04:07.112Z  WARN 1 --- [  main] o.s.b.Foo  : slow start", "slow start", "warn"),
    ("E0314 14:04:07.112    1234 file.go:12] failed to sync pod", "failed to sync pod", "error"),
    ("W0314 14:04:07.112 1 x.go:1] throttled", "throttled", "warn"),
    ("Mar 14 14:04:07 bastion sshd[1234]: Failed password for root", "Failed password for root", None),
    ("2026/03/14 14:04:07 [crit] 12#12: *5 connect() failed", "*5 connect() failed", "fatal"),
    ("2026-03-14 14:04:07.112 UTC [1234] app@orders ERROR:  deadlock detected", "deadlock detected", "error"),
    ("<11>1 2026-03-14T14:04:07Z host app 12 ID47 - disk failed", "disk failed", "error"),
    ("[Warning] low disk", "low disk", "warn"),
    ("ERROR: boom", "boom", "error"),
    ("error connecting to db", "error connecting to db", None),
    ('ts=2026-03-14T14:04:07Z level=err msg="payment failed" id=3', "payment failed", "error"),
])
def test_prefixes(line: str, text: str, level: str | None) -> None:
    assert one(line) == (text, level)


def test_access_line_message_is_request_and_status_with_level_from_status() -> None:
    line = '10.0.0.1 - - [14/Mar/2026:14:04:07 +0000] "GET /x/12 HTTP/1.1" 503 12 "-" "curl/8"'
    assert one(line) == ("GET /x/12 503", "error")
    line = '10.0.0.2 - bob [14/Mar/2026:14:04:08 +0000] "-" 400 0 "-" "-"'
    assert one(line) == ("- 400", "warn")


@pytest.mark.parametrize("doc, text, level", [
    ({"@timestamp": "x", "log.level": "ERROR", "message": "db down"}, "db down", "error"),
    ({"log": {"level": "warning", "message": "nested"}}, "nested", "warn"),
    ({"msg": "pino", "level": 50}, "pino", "error"),
    ({"event": "evt", "severity": "CRITICAL"}, "evt", "fatal"),
    ({"@message": "cw", "loglevel": "Err"}, "cw", "error"),
    ({"log": "2026-03-14T14:04:07Z ERROR docker line\n", "stream": "stderr"}, "docker line", "error"),
])
def test_json_lines(doc: dict, text: str, level: str) -> None:
    assert one(json.dumps(doc)) == (text, level)


@pytest.mark.parametrize("raw, canonical", [
    ("err", "error"), ("ERROR", "error"), ("Error", "error"), ("warning", "warn"), ("WARN", "warn"),
    ("critical", "fatal"), ("crit", "fatal"), ("panic", "fatal"), ("emerg", "fatal"), ("info", "info"),
    ("DEBUG", "debug"), ("nonsense", None), (None, None),
])
def test_canonical_level(raw: str | None, canonical: str | None) -> None:
    assert canonical_level(raw) == canonical


def test_java_stack_trace_belongs_to_its_message() -> None:
    lines = [
        "2026-03-14 14:04:07,112 ERROR [main] c.x.Svc - payment failed",
        "java.lang.IllegalStateException: boom",
        "\tat com.x.Svc.pay(Svc.java:12)",
        "\t... 5 more",
        "Caused by: java.io.IOException: reset",
        "",
        "2026-03-14 14:04:08,000 INFO [main] c.x.Svc - recovered",
    ]
    messages, line_map = split_messages(lines)
    assert [m.text for m in messages] == ["payment failed", "recovered"]
    assert line_map == [0, 0, 0, 0, 0, None, 1]
    assert messages[1].line_index == 6


def test_python_traceback_belongs_to_its_message() -> None:
    lines = ["ERROR:app:request failed", "Traceback (most recent call last):",
             '  File "app.py", line 3, in <module>', "    main()", "ValueError: bad value", "next message"]
    messages, line_map = split_messages(lines)
    assert [m.text for m in messages] == ["request failed", "next message"]
    assert line_map == [0, 0, 0, 0, 0, 1]


def test_plain_exception_line_without_prefix_context_is_a_message() -> None:
    messages, line_map = split_messages(["hello", "java.lang.IllegalStateException: boom"])
    assert len(messages) == 2 and line_map == [0, 1]


def test_postgres_detail_lines_belong_to_the_statement() -> None:
    lines = ["2026-03-14 14:04:07.112 UTC [1] a@b ERROR:  duplicate key value violates unique constraint \"k\"",
             "2026-03-14 14:04:07.112 UTC [1] a@b DETAIL:  Key (id)=(5) already exists."]
    assert split_messages(lines)[1] == [0, 0]


def test_blank_and_leading_indented_lines() -> None:
    messages, line_map = split_messages(["", "   ", "  indented first", "x"])
    assert line_map == [None, None, 0, 1]
    assert messages[0].text == "indented first"


def test_bytes_binary_and_caps() -> None:
    lines = [b"\xff\xfe\x00junk", b"ok line", "é" * 100_000]
    messages, line_map = split_messages(lines, max_line_bytes=1024, max_lines=10)
    assert line_map == [0, 1, 2]
    assert "\ufffd" in messages[0].text
    assert len(messages[2].text.encode()) <= 1024
    assert len(split_messages(["a"] * 50, max_lines=7)[1]) == 7


def test_read_lines_bounds_a_huge_line() -> None:
    data = b"first\n" + b"x" * (10 * 1024 * 1024) + b"\nlast\r\n"
    lines = list(read_lines(io.BytesIO(data), max_line_bytes=65536))
    assert lines[0] == "first" and lines[2] == "last"
    assert len(lines) == 3 and len(lines[1]) == 65536
    assert list(read_lines(io.BytesIO(b"a\nb\nc\n"), max_lines=2)) == ["a", "b"]
