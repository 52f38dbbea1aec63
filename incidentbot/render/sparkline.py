"""A one-line picture of a rate, for terminals (no plotting library needed)."""
from __future__ import annotations

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int], mark: int | None = None, width: int = 60) -> str:
    """A one-line picture of the rate; `|` marks the onset bucket."""
    if not values:
        return ""
    step = max(1, -(-len(values) // width))
    cells = [max(values[i:i + step]) for i in range(0, len(values), step)]
    top = max(cells) or 1
    chars = [SPARK[min(len(SPARK) - 1, int(c / top * (len(SPARK) - 1) + 0.5))] if c else " " for c in cells]
    if mark is not None:
        pos = min(mark // step, len(chars) - 1)
        chars.insert(pos, "|")
    return "".join(chars)
