"""Mining the patterns of a stream of raw lines in bounded memory.

`incidentbot patterns` may be handed a 2 GB file. Nothing here holds the
lines: they are read in batches, each batch is split into messages, masked
in one pass, and counted into a table of distinct masked texts
(`DistinctTexts`); per line only the id of its text is kept, and those ids
go to a temporary file (4 bytes a line, on disk), to be read back when the
assignments are written. What stays in memory is the table, which grows
with the number of distinct message shapes, and is capped: past
`MAX_DISTINCT` shapes, a new one is counted under its
length only (and the caller is told).
"""
from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

from incidentbot.core.levels import severity
from incidentbot.evidence.masking import WILDCARD, mask_many
from incidentbot.evidence.patterns import DistinctTexts, group_texts
from incidentbot.evidence.rawlines import BLANK, CONTINUATION, MessageSplitter

BATCH_LINES = 8192
MAX_DISTINCT = 300_000
MAX_EXAMPLES = 3
_EXAMPLE_CHARS = 500
_NO_PATTERN = -1
_OVERFLOW_SHAPES = 32


@dataclass
class StreamPattern:
    """One pattern of the stream: its template, how many messages, the most severe level, the first lines."""

    template: str
    count: int
    level: str | None
    examples: list[int]
    example_text: str


class StreamMiner:
    """Feed lines in any number of calls, then `finish()`; `assignments()` reads the per-line ids back."""

    def __init__(self, *, max_distinct: int = MAX_DISTINCT) -> None:
        self.table = DistinctTexts()
        self.max_distinct = max_distinct
        self._reserve = min(_OVERFLOW_SHAPES, max_distinct // 4)  # room kept for the overflow shapes
        self.overflowed = 0
        self.levels: list[str | None] = []
        self.examples: list[list[int]] = []
        self.example_text: list[str] = []
        self.lines = 0
        self._splitter = MessageSplitter()
        self._current = _NO_PATTERN
        self._spool: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._template_of: list[int] = []
        self._ids: dict[int, int] = {}

    def feed(self, lines: Iterable[str]) -> None:
        """Read lines, batch by batch (the batching keeps the per-line Python work small)."""
        iterator = iter(lines)
        while True:
            batch = list(islice(iterator, BATCH_LINES))
            if not batch:
                return
            self._feed_batch(batch)

    def _feed_batch(self, batch: list[str]) -> None:
        feed = self._splitter.feed
        kinds: list[int] = []
        texts: list[str] = []
        levels: list[str | None] = []
        for line in batch:
            kind, text, level = feed(line)
            kinds.append(kind)
            if kind > CONTINUATION:
                texts.append(text)
                levels.append(level)
        text_ids = self._count(mask_many(texts), texts, levels)
        line_ids = array("i")
        next_text = iter(text_ids).__next__
        current = self._current
        for offset, kind in enumerate(kinds):
            if kind == BLANK:
                line_ids.append(_NO_PATTERN)
                continue
            if kind != CONTINUATION:
                current = next_text()
                self._note_example(current, self.lines + offset)
            line_ids.append(current)
        self._current = current
        self.lines += len(batch)
        line_ids.tofile(self._spool)

    def _count(self, masked: list[str], raw: list[str], levels: list[str | None]) -> list[int]:
        """The table id of each masked text, adding new ones (or their overflow shape past the cap)."""
        table = self.table
        before = len(table.texts)
        if before + len(masked) <= self.max_distinct:
            ids = table.add_many(m.strip() for m in masked)
        else:
            ids = [table.add_many([self._bounded(m.strip())])[0] for m in masked]
        for _ in range(before, len(table.texts)):
            self.levels.append(None)
            self.examples.append([])
            self.example_text.append("")
        for i, text, level in zip(ids, raw, levels):
            if not self.example_text[i]:
                self.example_text[i] = text[:_EXAMPLE_CHARS]
            if level is not None and severity(level) > severity(self.levels[i]):
                self.levels[i] = level
        return ids

    def _bounded(self, masked: str) -> str:
        """The text itself while there is room (or it is known), else its overflow shape: its length only
        (at most `_OVERFLOW_SHAPES` shapes, so the table stays within its cap)."""
        if masked in self.table.index or len(self.table.texts) < self.max_distinct - self._reserve:
            return masked
        self.overflowed += 1
        return " ".join([WILDCARD] * min(len(masked.split()), _OVERFLOW_SHAPES))

    def _note_example(self, text_id: int, line: int) -> None:
        examples = self.examples[text_id]
        if len(examples) < MAX_EXAMPLES:
            examples.append(line)

    def finish(self) -> list[StreamPattern]:
        """Group the distinct texts; the patterns in first-seen order (the caller ranks them)."""
        templates, template_of = group_texts(self.table.texts, self.table.counts)
        self._template_of = template_of
        patterns = [StreamPattern(t, 0, None, [], "") for t in templates]
        for i, t in enumerate(template_of):
            if t < 0:
                continue
            pattern = patterns[t]
            pattern.count += self.table.counts[i]
            if severity(self.levels[i]) > severity(pattern.level):
                pattern.level = self.levels[i]
            mine = self.examples[i]
            if mine and (not pattern.examples or mine[0] < pattern.examples[0]):
                pattern.example_text = self.example_text[i]
            pattern.examples = sorted(pattern.examples + mine)[:MAX_EXAMPLES]
        return patterns

    def assignments(self, names: list[str]) -> Iterator[str | None]:
        """The pattern name of each line, in order (names[i] names pattern i of `finish()`), from the spool."""
        self._spool.seek(0)
        template_of = self._template_of
        while True:
            data = self._spool.read(4 * 65536)
            if not data:
                return
            chunk = array("i")
            chunk.frombytes(data)
            for text_id in chunk:
                t = template_of[text_id] if text_id >= 0 else -1
                yield names[t] if t >= 0 else None

    def close(self) -> None:
        self._spool.close()
