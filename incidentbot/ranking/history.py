"""A risk prior from history, the deployment-risk idea: what broke before is likelier to break again.

From the change feed of the last two weeks, each (service, kind) gets the
share of its changes that were followed by a rollback of the same service
within a day. Laplace smoothing keeps a single bad deploy from dominating,
and a service with no history gets the neutral prior.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidentbot.core.change import Change

ROLLBACK_WINDOW = timedelta(hours=24)
NEUTRAL = 0.1


@dataclass
class Prior:
    value: float
    changes: int
    rolled_back: int

    def describe(self, service: str, kind: str) -> str | None:
        if self.rolled_back == 0:
            return None
        return (f"{self.rolled_back} of the last {self.changes} {service} {kind.replace('_', ' ')} changes "
                "were rolled back")


def risk_priors(history: list[Change]) -> dict[tuple[str, str], Prior]:
    """(service, kind) -> how often such changes were rolled back within a day."""
    rollbacks = defaultdict(list)
    for change in history:
        if change.kind == "rollback":
            rollbacks[change.service].append(change.timestamp)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for change in history:
        if change.kind == "rollback":
            continue
        key = (change.service, change.kind)
        counts[key][0] += 1
        if any(change.timestamp < t <= change.timestamp + ROLLBACK_WINDOW for t in rollbacks[change.service]):
            counts[key][1] += 1
    return {key: Prior((bad + NEUTRAL * 2) / (total + 2), total, bad) for key, (total, bad) in counts.items()}


RECENT = timedelta(minutes=30)
BEHAVIOUR_KINDS = frozenset({"deploy", "config", "infra", "schema", "feature_flag"})


def risk_flag(change: Change, priors: dict[tuple[str, str], Prior],
              end: datetime | None = None) -> tuple[str, str]:
    """A flag for /whatchanged: high, medium or low, with the reason a responder would read.

    High: such changes were rolled back before; or it changes running behaviour and
    landed in the last 30 minutes of the window (the first thing to look at); or it is
    a schema or infra change. A rollback is a mitigation, never flagged.
    """
    prior = priors.get((change.service, change.kind))
    if change.kind == "rollback":
        return "low", "a rollback"
    if prior and prior.rolled_back and prior.value >= 0.3:
        return "high", prior.describe(change.service, change.kind) or "rolled back before"
    if end is not None and change.kind in BEHAVIOUR_KINDS and timedelta(0) <= end - change.timestamp <= RECENT:
        minutes = int((end - change.timestamp).total_seconds() // 60)
        return "high", f"landed {minutes} min before the window's end"
    if change.kind in ("schema", "infra"):
        return "high", f"{change.kind} changes reach many services"
    if change.kind in ("deploy", "config", "feature_flag", "dependency", "manual"):
        return "medium", f"a {change.kind.replace('_', ' ')} change"
    return "low", ""
