"""`incidentbot patterns [FILE] [--json]`: the error patterns of raw log lines.

The same miner the answers use, on lines a person has at hand
(`kubectl logs deploy/api | incidentbot patterns`). Input is untrusted and
possibly huge or binary: it is read through `read_lines`, which bounds line
length and line count, so junk gives a result or one clear error line, never
a traceback. Patterns are listed error-level first (that is what an incident
responder looks for), then by count.
"""
from __future__ import annotations

import io
import json
import shutil
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from incidentbot.core.mask import mask_secrets, mask_tree
from incidentbot.evidence.patterns import mine_patterns
from incidentbot.core.levels import severity
from incidentbot.evidence.rawlines import MAX_LINES, RawMessage, read_lines, split_messages

MAX_EXAMPLES = 3
_ERROR_LEVELS = ("error", "fatal")


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


def analyse(messages: list[RawMessage], line_map: list[int | None]) -> tuple[list[PatternRow], list[str | None]]:
    """Mine the messages and return the ordered patterns and one pattern id (or None) per line."""
    mined, assignments = mine_patterns([m.text for m in messages])
    ranked = []
    for index, pattern in enumerate(mined):
        # the most severe level seen: a template logged once as an error is an error pattern
        level = max((messages[i].level for i in pattern.members), key=severity, default=None)
        ranked.append((level not in _ERROR_LEVELS, -pattern.count, pattern.members[0], index, level))
    ranked.sort()
    ids: dict[int, str] = {}
    rows: list[PatternRow] = []
    for n, (_, _, _, index, level) in enumerate(ranked, start=1):
        pattern = mined[index]
        ids[index] = f"P{n}"
        examples = [messages[i].line_index for i in pattern.members[:MAX_EXAMPLES]]
        rows.append(PatternRow(f"P{n}", pattern.template, pattern.count, level, examples,
                               messages[pattern.members[0]].text))
    per_line: list[str | None] = []
    for message_index in line_map:
        pattern_index = assignments[message_index] if message_index is not None else None
        per_line.append(ids[pattern_index] if pattern_index is not None else None)
    return rows, per_line


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


def run(path: str | None, as_json: bool, stdin: BinaryIO, stdout: TextIO, stderr: TextIO) -> int:
    """Mine the patterns of FILE (or stdin) and print them; 0 on success, 2 when the file cannot be read."""
    source = path if path not in (None, "-") else None
    try:
        if source is None:
            lines = list(read_lines(stdin))
        else:
            with open(source, "rb") as handle:
                lines = list(read_lines(handle))
    except OSError as exc:
        name = source or "standard input"
        stderr.write(f"incidentbot patterns: cannot read {name}: {exc.strerror or exc}\n")
        return 2
    if len(lines) >= MAX_LINES:
        stderr.write(f"incidentbot patterns: only the first {MAX_LINES} lines were read\n")
    messages, line_map = split_messages(lines)
    rows, assignments = analyse(messages, line_map)
    if as_json:  # masked whole (core.mask), never in chunks a secret could straddle
        stdout.write(json.dumps(mask_tree({"patterns": [r.to_json() for r in rows], "assignments": assignments})))
        stdout.write("\n")
    else:
        table = io.StringIO()
        render_table(rows, table)
        stdout.write(mask_secrets(table.getvalue()))
    return 0
