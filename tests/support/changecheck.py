"""Checks shared by the change-source tests: the exact set of changes a source made, and one change's fields.

Why: every source test (Argo CD, Kubernetes, ...) asserts the same two things
about what `fetch` returned; one helper each keeps the assertions exact and
makes a failure name the ids or the fields that differ, not just `False`.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from incidentbot.core.change import Change


def by_id(changes: Iterable[Change], *ids: str) -> dict[str, Change]:
    """The changes keyed by id, after checking they are exactly `ids` (a missing or an extra one is named)."""
    got = {c.id: c for c in changes}
    assert set(got) == set(ids), f"missing {sorted(set(ids) - set(got))}, extra {sorted(set(got) - set(ids))}"
    return got


def assert_fields(change: Change, **expected: Any) -> None:
    """Each named field of `change` equals its expected value; a failure lists every field that differs."""
    wrong = {name: (getattr(change, name), want) for name, want in expected.items() if getattr(change, name) != want}
    assert not wrong, f"{change.id}: (got, want) by field: {wrong}"
