"""The change sources contain no write verb: read-only by construction, not by promise."""
from __future__ import annotations

import re
from pathlib import Path

import incidentbot.changes.sources as sources_pkg

WRITE_CALLS = re.compile(
    r"\.(post|put|patch|delete|request|send|stream)\s*\("          # httpx / requests verbs
    r"|\.(create|replace|patch|delete|connect)_\w+\s*\("            # kubernetes client write verbs
    r"|method\s*=\s*['\"](POST|PUT|PATCH|DELETE)",
    re.IGNORECASE,
)


def test_no_write_verbs_in_source_code() -> None:
    folder = Path(sources_pkg.__file__).parent
    files = sorted(folder.glob("*.py"))
    assert len(files) >= 7
    offenders = [f"{f.name}:{n}: {text.strip()}" for f in files
                 for n, text in enumerate(f.read_text().splitlines(), 1) if WRITE_CALLS.search(text)]
    assert offenders == []
