"""`incidentbot patterns`: JSON shape, ordering, continuation lines, and bad input."""
import io
import json
from pathlib import Path

from incidentbot.patterns_command import run, render_table, PatternRow

LOG = """2026-03-14 14:04:01,000 INFO [main] c.x.Svc - cache warmed in 12ms
2026-03-14 14:04:02,000 INFO [main] c.x.Svc - cache warmed in 15ms
2026-03-14 14:04:03,000 ERROR [main] c.x.Pool - connection pool exhausted after 30000ms
java.sql.SQLTransientConnectionException: timeout
\tat com.x.Pool.get(Pool.java:12)

2026-03-14 14:04:04,000 INFO [main] c.x.Svc - cache warmed in 9ms
2026-03-14 14:04:05,000 ERROR [main] c.x.Pool - connection pool exhausted after 30001ms
"""


def invoke(data: bytes, as_json: bool = True, path: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(path, as_json, io.BytesIO(data), out, err)
    return code, out.getvalue(), err.getvalue()


def test_json_shape_and_assignments() -> None:
    code, out, err = invoke(LOG.encode())
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) == {"patterns", "assignments"}
    assert doc["patterns"] == [
        {"id": "P1", "template": "connection pool exhausted after <*>ms", "count": 2, "examples": [2, 7],
         "level": "error"},
        {"id": "P2", "template": "cache warmed in <*>ms", "count": 3, "examples": [0, 1, 6], "level": "info"},
    ]
    assert doc["assignments"] == ["P2", "P2", "P1", "P1", "P1", None, "P2", "P1"]


def test_reads_a_file_and_dash_means_stdin(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(LOG.encode())
    assert invoke(b"", path=str(path)) == invoke(LOG.encode(), path="-")


def test_table_output() -> None:
    code, out, _ = invoke(LOG.encode(), as_json=False)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "COUNT", "LEVEL", "TEMPLATE"]
    assert lines[1].split()[:3] == ["P1", "2", "error"]
    assert "connection pool exhausted after <*>ms" in lines[1]
    assert "e.g. line 3: connection pool exhausted after 30000ms" in lines[2]


def test_table_is_cut_to_width_and_hides_control_characters() -> None:
    out = io.StringIO()
    render_table([PatternRow("P1", "x" * 500, 1, None, [0], "bell\x07" + "y" * 500)], out, width=60)
    assert all(len(line) <= 60 for line in out.getvalue().splitlines())
    assert "\x07" not in out.getvalue()


def test_empty_input() -> None:
    assert invoke(b"") == (0, '{"patterns": [], "assignments": []}\n', "")
    code, out, _ = invoke(b"\n\n")
    assert code == 0 and json.loads(out) == {"patterns": [], "assignments": [None, None]}
    assert invoke(b"", as_json=False)[0] == 0


def test_missing_file(tmp_path: Path) -> None:
    code, out, err = invoke(b"", path=str(tmp_path / "nope.log"))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "nope.log" in err


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke(b"", path=str(tmp_path))
    assert code == 2 and "Traceback" not in err


def test_binary_junk_and_invalid_utf8() -> None:
    junk = bytes(range(256)) * 64 + b"\n\xc3\x28 invalid \xff utf8\n\x00\x00\x00\n"
    for as_json in (True, False):
        code, out, err = invoke(junk, as_json=as_json)
        assert code == 0 and err == ""
    doc = json.loads(invoke(junk)[1])
    assert len(doc["assignments"]) == junk.count(b"\n")


def test_ten_megabyte_single_line() -> None:
    data = b"start\n" + (b"word 123 " * (10 * 1024 * 1024 // 9)) + b"\nend\n"
    code, out, err = invoke(data)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert len(doc["assignments"]) == 3
    assert all(a is not None for a in doc["assignments"])


def test_the_command_starts_without_the_heavy_libraries() -> None:
    # start-up counts in the command's throughput: the LLM, chart and database libraries load only where used
    import subprocess
    import sys

    code = ("import sys\n"
            "from incidentbot.cli import main\n"
            "sys.argv = ['incidentbot', 'patterns', '--json']\n"
            "sys.stdin = open('/dev/null')\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = {'langchain', 'langchain_core', 'langchain_openai', 'openai', 'matplotlib', 'sqlalchemy',\n"
            "         'alembic', 'elasticsearch', 'elasticsearch_dsl', 'slack_bolt', 'drain3', 'pydantic'}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
