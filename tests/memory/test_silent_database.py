"""An audit database that accepts connections and never answers costs `ask` neither the answer nor the deadline.

The memory is opened within the answer's deadline: against a silent
PostgreSQL (a real TCP server that accepts and says nothing) the connection
gives up after a share of it, the answer is given in full, and its notes say
the audit trail is unavailable. The bound on the time is generous (the
deadline plus 10 s): the assertion is that the answer comes back.
"""
from __future__ import annotations

import json
import time

from support.memoryhelp import first_question, one_server
from support.silentserver import SilentServer

import pytest

pytestmark = pytest.mark.parametrize("es_url", one_server(), indirect=True)

DEADLINE_S = 12
PASSWORD = "pg-silent-pw-3c"


def test_a_silent_audit_database_leaves_the_answer_whole(run_cli, monkeypatch, es_url, memory_scenarios) -> None:
    sc = memory_scenarios["coredns-forward-zone"]
    monkeypatch.setenv("INCIDENTBOT_ANSWER_DEADLINE_S", str(DEADLINE_S))
    with SilentServer() as silent:
        monkeypatch.setenv("INCIDENTBOT_DB_URL", f"postgresql://audit:{PASSWORD}@127.0.0.1:{silent.port}/audit")
        started = time.monotonic()
        code, out, err = run_cli("ask", first_question(sc)["ask"], "--json", "--es-url", es_url,
                                 "--logs-index", sc.logs_index, "--changes-index", sc.changes_index, "--at", sc.now)
        took = time.monotonic() - started
        asked = len(silent.accepted)
    assert took < DEADLINE_S + 10, f"the answer took {took:.1f}s against a {DEADLINE_S}s deadline"
    assert asked >= 1, "the database was never asked"
    assert code == 0, err
    answer = json.loads(out)
    assert answer["suspects"], "the answer is whole"
    assert any("audit trail unavailable" in n and "timeout" in n.lower() for n in answer["notes"]), answer["notes"]
    assert PASSWORD not in out + err
