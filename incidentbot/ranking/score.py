"""Combining the factors into a score, a rank and a confidence, and abstaining.

score = 0.30 timing + 0.25 service + 0.30 evidence + 0.10 blast radius + 0.05 kind
        + 0.05 history (the share of such changes rolled back in the last two weeks),
multiplied by (0.5 + 0.5 coverage), the share of the failing services the
change can explain (itself, its dependents, services whose new errors name
it), with two rules: a change after the onset (beyond a short grace) or a rollback
scores at most 0.1, since it cannot have started the symptom; and without an
onset every score is halved, since there is no step for a change to explain.

Confidence: high needs a score of at least 0.6, timing that fits, evidence
tying the change to the symptom (an error that names what it touched, or a
concentration on its version), and a lead of 0.1 over the next suspect; only
the first can be high. Medium needs 0.35 and timing that fits (a change hours
before the onset may relate to the service, but is seldom why it broke now),
and behind the first suspect also a score within 0.1 of it (a near-tie); the
rest are low. So when no change
explains the symptom, none is high: the bot abstains instead of guessing.
The labels are calibrated on the fixtures (bench/ranking.py prints the table).
"""
from __future__ import annotations

from incidentbot.core.change import Change
from incidentbot.core.suspect import Suspect
from incidentbot.ranking.factors import (
    FACTORS,
    Context,
    FactorResult,
    skew_allowed,
    version_tied,
)

WEIGHTS = {"timing": 0.30, "service": 0.25, "evidence": 0.30, "blast_radius": 0.10, "kind": 0.05, "history": 0.05}
HIGH = 0.6
MEDIUM = 0.35
HIGH_MARGIN = 0.1
MAX_SUSPECTS = 5


def score_change(change: Change, ctx: Context) -> tuple[float, list[FactorResult]]:
    results = [f(change, ctx) for f in FACTORS]
    by = {r.name: r for r in results}
    score = sum(WEIGHTS[r.name] * r.value for r in results if r.name in WEIGHTS)
    score *= 0.5 + 0.5 * by["coverage"].value
    if (ctx.onset is not None and by["timing"].value == 0.0) or change.kind == "rollback":
        score = min(score, 0.1)
    if ctx.onset is None:
        score *= 0.5
    return score, results


def confidence(score: float, results: list[FactorResult], ctx: Context, change: Change | None = None) -> str:
    by = {r.name: r.value for r in results}
    skewed = change is not None and skew_allowed(change, ctx)
    tied = change is not None and version_tied(change, ctx)
    if ctx.onset is not None and score >= HIGH and by["timing"] >= 0.2 and (by["evidence"] >= 0.35 or by["blast_radius"] >= 0.8) \
            and (not skewed or tied):
        return "high"
    if score >= MEDIUM and (ctx.onset is None or by["timing"] >= 0.2):
        return "medium"
    return "low"


def rank_changes(changes: list[Change], ctx: Context, limit: int = MAX_SUSPECTS) -> list[Suspect]:
    """Every change scored; the best few returned with their reasons, ties broken by nearness in time."""
    scored = []
    for change in changes:
        score, results = score_change(change, ctx)
        scored.append((score, change, results))
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp.timestamp(), s[1].id))
    out = []
    for rank, (score, change, results) in enumerate(scored[:limit], 1):
        reasons = [r.reason for r in sorted(results, key=lambda r: -WEIGHTS.get(r.name, 0.1) * r.value) if r.reason]
        if change.service_match:
            reasons.insert(min(1, len(reasons)), change.service_match)
        if change.kind == "rollback":
            reasons.insert(0, "a rollback: a mitigation, not a cause")
        out.append(Suspect(f"C{rank}", rank, change, score, confidence(score, results, ctx, change),
                           {r.name: r.value for r in results}, reasons))
    # one high at most, and only with a clear lead: two near-equal suspects are a guess
    for i, suspect in enumerate(out):
        runner_up = scored[i + 1][0] if i + 1 < len(scored) else 0.0
        if suspect.confidence == "high" and (i > 0 or suspect.score - runner_up < HIGH_MARGIN):
            suspect.confidence = "medium"
        # behind the first, medium only in a near-tie with it: a runner-up of a clear leader is rarely the cause
        if i > 0 and suspect.confidence == "medium" and out[0].score - suspect.score >= HIGH_MARGIN:
            suspect.confidence = "low"
    return out
