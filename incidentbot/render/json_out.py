"""The --json renderers: one object on standard output, exactly the contract's keys and more.

Every string is masked here (core.mask.mask_tree), at the last step before
output, so no field (a change's author, a group-by value, a host) can leak a secret.
"""
from __future__ import annotations

import json
from typing import Any

from incidentbot.core.mask import mask_tree


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(mask_tree(json.loads(json.dumps(obj, default=str))), ensure_ascii=False)
