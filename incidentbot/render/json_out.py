"""The --json renderers: one object on standard output, exactly the contract's keys and more."""
from __future__ import annotations

import json
from typing import Any


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
