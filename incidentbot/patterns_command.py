"""`incidentbot patterns [FILE] [--json]`: the error patterns of raw log lines.

The same miner the answers use, on lines a person has at hand
(`kubectl logs deploy/api | incidentbot patterns`). Input is untrusted and
possibly huge or binary: it is read through `read_lines`, which bounds line
length, and streamed through `StreamMiner`, which keeps one table entry per
distinct message shape and spools the per-line assignments to a temporary
file, so a 2 GB file is read in bounded memory; the JSON assignments are
written as they are read back. Junk gives a result or one clear error line,
never a traceback. Patterns are listed error-level first (that is what an
incident responder looks for), then by count.
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from incidentbot.core.mask import mask_secrets
from incidentbot.evidence.rawlines import read_lines
from incidentbot.evidence.stream import StreamMiner, StreamPattern

_ERROR_LEVELS = ("error", "fatal")
_WRITE_BATCH = 65536


@dataclass
class PatternRow:
    """One pattern as the command prints it."""

    id: str
    template: str
    count: int
    level: str | None
    examples: list[int]
    example_text: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "template": self.template, "count": self.count,
                "examples": self.examples, "level": self.level}


def rank(mined: list[StreamPattern]) -> tuple[list[PatternRow], list[str]]:
    """The rows in print order, and the id of each mined pattern (by its index in `mined`)."""
    order = sorted(range(len(mined)), key=lambda i: (mined[i].level not in _ERROR_LEVELS, -mined[i].count,
                                                     mined[i].examples[0] if mined[i].examples else 0, i))
    names = [""] * len(mined)
    rows = []
    for n, index in enumerate(order, start=1):
        pattern = mined[index]
        names[index] = f"P{n}"
        # the only text this command prints: masked here (core.mask), for the table and the JSON alike
        rows.append(PatternRow(f"P{n}", mask_secrets(pattern.template), pattern.count, pattern.level,
                               pattern.examples, mask_secrets(pattern.example_text)))
    return rows, names


def _printable(text: str) -> str:
    """Control characters (binary junk) would drive the terminal: show them as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def render_table(rows: list[PatternRow], out: TextIO, width: int | None = None) -> None:
    """A table for a terminal: count, level, template, and one example under it, cut to the width."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    if not rows:
        out.write("no log messages found\n")
        return
    id_w = max(len(r.id) for r in rows)
    count_w = max(5, max(len(str(r.count)) for r in rows))
    out.write(_fit(f"{'ID':<{id_w}}  {'COUNT':>{count_w}}  {'LEVEL':<5}  TEMPLATE", width) + "\n")
    indent = " " * (id_w + count_w + 11)
    for r in rows:
        line = f"{r.id:<{id_w}}  {r.count:>{count_w}}  {(r.level or '-'):<5}  {_printable(r.template)}"
        out.write(_fit(line, width) + "\n")
        out.write(_fit(f"{indent}e.g. line {r.examples[0] + 1}: {_printable(r.example_text)}", width) + "\n")


def _write_json(rows: list[PatternRow], names: list[str], miner: StreamMiner, out: TextIO) -> None:
    """The contract's JSON object, with the assignments written as they stream back from the spool."""
    out.write('{"patterns": ' + json.dumps([r.to_json() for r in rows]) + ', "assignments": [')
    quoted = [json.dumps(n) for n in names]
    batch: list[str] = []
    first = True
    for name in miner.assignments(quoted):
        batch.append(name if name is not None else "null")
        if len(batch) >= _WRITE_BATCH:
            out.write(("" if first else ", ") + ", ".join(batch))
            first, batch = False, []
    if batch:
        out.write(("" if first else ", ") + ", ".join(batch))
    out.write("]}\n")


def run(path: str | None, as_json: bool, stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """Mine the patterns of FILE (or stdin) and print them; 0 on success, 2 when the file cannot be read."""
    source = path if path not in (None, "-") else None
    miner = StreamMiner()
    try:
        try:
            if source is None:
                miner.feed(read_lines(stdin, max_lines=sys.maxsize))
            else:
                with open(source, "rb") as handle:
                    miner.feed(read_lines(handle, max_lines=sys.maxsize))
        except OSError as exc:
            name = source or "standard input"
            stderr.write(f"incidentbot patterns: cannot read {name}: {exc.strerror or exc}\n")
            return 2
        if miner.overflowed:
            stderr.write(f"incidentbot patterns: more than {miner.max_distinct} distinct message shapes; "
                         f"{miner.overflowed} later messages were grouped by their length only\n")
        rows, names = rank(miner.finish())
        if as_json:
            _write_json(rows, names, miner, stdout)
        else:
            render_table(rows, stdout)
        return 0
    finally:
        miner.close()
