"""Changes from an NDJSON file in the SCENARIOS.md `changes.ndjson` format.

The smallest possible change feed: a team without a deploy API can append a
line per change from CI, and scenarios replay incidents from the same shape.
A bad line is reported with file and line number rather than skipped, because
a silently dropped change could be the very one that broke things.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from incidentbot.config import NdjsonSettings
from incidentbot.core.change import Change
from incidentbot.changes.sources.base import (
    ChangeSource, SourceError, as_utc, check_window, in_window, keep_newest,
)

ENV_FILE = "INCIDENTBOT_CHANGES_FILE"


class NdjsonFileSource:
    """Reads the whole file on every fetch, so edits show up without a restart."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"file:{path}"

    def read_all(self) -> list[Change]:
        """Every change in the file, validated; raises SourceError naming file and line."""
        return list(self._changes())

    def _changes(self) -> Iterator[Change]:
        """The file's changes one line at a time, so a 100,000-line file never sits in memory whole."""
        try:
            with self.path.open(encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield self._parse(line, number)
        except OSError as exc:
            raise SourceError(self.name, f"cannot read {self.path}: {exc.strerror or exc}") from exc

    def _parse(self, line: str, number: int) -> Change:
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                raise ValueError("a line must be a JSON object")
            change = Change.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "document"
            raise SourceError(self.name, f"{self.path} line {number}: {where}: {first.get('msg')}") from exc
        except ValueError as exc:
            raise SourceError(self.name, f"{self.path} line {number}: {exc}") from exc
        change.timestamp = as_utc(change.timestamp)
        return change

    def fetch(self, start: datetime, end: datetime) -> list[Change]:
        start, end = check_window(start, end)
        return keep_newest(change for change in self._changes() if in_window(change.timestamp, start, end))


def from_settings(settings: NdjsonSettings) -> list[ChangeSource]:
    """INCIDENTBOT_CHANGES_FILE=path: one file source (a missing file fails at fetch, visibly)."""
    path = (settings.path or "").strip()
    return [NdjsonFileSource(path)] if path else []
