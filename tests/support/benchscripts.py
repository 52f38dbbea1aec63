"""The benchmark scripts in bench/ as modules, for the few tests that check a benchmark's own logic.

bench/ is not a package (its scripts run as `python bench/x.py`), so it is put
on the path here, once, instead of in each test.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

from support.servers import ROOT


def bench_module(name: str) -> ModuleType:
    """`bench/<name>.py`, imported."""
    path = str(ROOT / "bench")
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(name)
