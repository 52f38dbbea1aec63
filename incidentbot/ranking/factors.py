"""The ranking factors: each a small named function of one change and the evidence.

A factor returns a value in [0, 1] and the reason a responder would read
("deployed 2m 20s before the onset"). The score is a documented combination
of them (see score.py), so every suspect's place can be explained and checked.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentbot.core.catalog import Catalog
from incidentbot.core.change import Change
from incidentbot.core.evidence import Concentration, EvidenceLine, Pattern, human_ms
from incidentbot.core.names import mentions
from incidentbot.core.timeutil import human_duration, parse_instant
from incidentbot.ranking.history import NEUTRAL, Prior

TIME_HALF_LIFE = timedelta(minutes=20)
AFTER_ONSET_GRACE = timedelta(seconds=90)
PRECURSOR_LINK = timedelta(minutes=30)
MAX_SKEW = timedelta(minutes=7)
MAX_ROLLOUT = timedelta(hours=1)
SKEW_VALUE = 0.35
ROLLOUT_KINDS = frozenset({"deploy"})
KIND_PRIOR = {"deploy": 1.0, "config": 0.95, "feature_flag": 0.9, "infra": 0.9, "schema": 0.85, "manual": 0.8,
              "dependency": 0.75, "rollback": 0.2}
_GENERIC = {
    "the", "and", "for", "from", "with", "into", "onto", "after", "before", "when", "while", "this", "that", "to",
    "of", "in", "on", "at", "by", "an", "a", "is", "are", "was", "be", "not", "no", "new", "old", "all", "per",
    "error", "errors", "failed", "fail", "failure", "exception", "service", "request", "requests", "response",
    "production", "prod", "staging", "release", "version", "update", "updated", "bump", "change", "changes",
    "fix", "fixes", "add", "adds", "added", "remove", "removes", "use", "uses", "move", "moves", "get", "post",
    "put", "delete", "patch", "http", "https", "api", "status", "code", "returned", "return", "returns", "ms",
    "users", "user", "enable", "enabled", "disable", "disabled", "flag", "config", "deploy", "rollout", "rolled",
    "true", "false", "null", "none", "value", "values", "default", "max", "min", "size", "set", "via",
}


@dataclass
class Context:
    """What every factor may look at."""

    onset: datetime | None
    asked_services: list[str]
    failing_services: list[str]
    patterns: list[Pattern]
    concentrations: list[Concentration]
    catalog: Catalog
    service_rates: dict[str, tuple[float, float]] = field(default_factory=dict)
    priors: dict[tuple[str, str], Prior] = field(default_factory=dict)
    lines: list[EvidenceLine] = field(default_factory=list)
    # "latency": failing_services are the services that got slow, service_rates their p95 before/after (ms)
    symptom: str = "errors"


@dataclass
class FactorResult:
    name: str
    value: float
    reason: str | None = None


def words(text: str) -> set[str]:
    """Distinctive lower-case words of a text (no numbers, no generic words)."""
    return {w for w in re.findall(r"[a-z][a-z0-9]{2,}", text.lower()) if w not in _GENERIC and not w.isdigit()}


def change_words(change: Change) -> dict[str, str]:
    """word -> where in the change it came from."""
    out: dict[str, str] = {}
    for key in change.config_keys:
        for w in words(key.replace(".", " ").replace("_", " ")):
            out.setdefault(w, f"config key {key}")
    for path in change.files:
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        for w in words(stem.replace("_", " ").replace("-", " ")):
            out.setdefault(w, f"file {path}")
    for w in words(change.title):
        out.setdefault(w, "its title")
    for w in words(change.description or ""):
        out.setdefault(w, "its description")
    return out


def timing(change: Change, ctx: Context) -> FactorResult:
    """Nearer before the onset is likelier; after the onset it cannot be the cause.

    Measured from when the change began (its start time when the source gives
    one). A rollout recorded without a start time may be stamped when it
    finished, minutes after its first pods took traffic, so a deploy-like change
    recorded up to MAX_SKEW after the onset keeps a reduced timing, and the
    reason says the skew was allowed.
    """
    if ctx.onset is None:
        return FactorResult("timing", 0.3, None)
    began = change.began
    gap = ctx.onset - began
    if gap < -AFTER_ONSET_GRACE:
        proof = running_before(change, ctx)
        if proof is not None:
            return FactorResult("timing", SKEW_VALUE, (
                f"recorded {human_duration(-gap)} after the onset, but the first failing line [{proof.id}] already "
                f"ran its version {change.version}: the record marks the rollout's end"))
        if skew_allowed(change, ctx):
            return FactorResult("timing", SKEW_VALUE, (
                f"recorded {human_duration(-gap)} after the onset with no start time; a rollout's record may "
                f"mark its end, so up to {human_duration(MAX_SKEW)} of skew is allowed"))
        return FactorResult("timing", 0.0, f"came {human_duration(-gap)} after the onset, so it did not start it")
    gap = max(gap, timedelta(0))
    value = math.exp(-math.log(2) * gap / TIME_HALF_LIFE)
    reason = f"{_verb(change)} {human_duration(gap)} before the onset"
    if change.started_at is not None and change.started_at < change.timestamp:
        reason = f"began {human_duration(gap)} before the onset (recorded at its end, {_hhmm(change.timestamp)})"
    pre = _first_precursor(ctx)
    if pre is not None:
        pre_gap = parse_instant(pre.first_seen or "") - began
        if timedelta(0) <= pre_gap < min(gap, PRECURSOR_LINK):
            pre_value = math.exp(-math.log(2) * pre_gap / TIME_HALF_LIFE)
            if pre_value > value:
                value = pre_value
                reason = (f"{_verb(change)} {human_duration(gap)} before the onset; the precursor warnings "
                          f"[{pre.id}] began {human_duration(pre_gap)} after it")
    return FactorResult("timing", value, reason)


def skew_allowed(change: Change, ctx: Context) -> bool:
    """A rollout with no start time, recorded after the onset, that may have begun before it: recorded
    within MAX_SKEW and not contradicted by the version of the first failures, or proved live by it."""
    if running_before(change, ctx) is not None:
        return True
    if ctx.onset is None or change.started_at is not None or change.kind not in ROLLOUT_KINDS:
        return False
    if not timedelta(0) <= change.timestamp - ctx.onset <= MAX_SKEW:
        return False
    first = first_failing_line(change.service, ctx)
    return not (change.version and first is not None and first.version and first.version != change.version)


def running_before(change: Change, ctx: Context) -> EvidenceLine | None:
    """The first failing line of the change's service, when it already ran the version the change shipped.

    Then the version was live when the failures began, whatever the record's time says (a long
    rollout recorded at its end, up to MAX_ROLLOUT after the onset).
    """
    if ctx.onset is None or change.kind not in ROLLOUT_KINDS or not change.version:
        return None
    if not timedelta(0) <= change.timestamp - ctx.onset <= MAX_ROLLOUT:
        return None
    first = first_failing_line(change.service, ctx)
    if first is None or first.version != change.version or parse_instant(first.timestamp) > change.timestamp:
        return None
    return first


def first_failing_line(service: str, ctx: Context) -> EvidenceLine | None:
    """The earliest cited line of a new (not precursor) error pattern in `service`."""
    new = {p.id for p in ctx.patterns if p.new and not p.precursor}
    cand = [ln for ln in ctx.lines if ln.pattern_id in new and ln.service == service and ln.timestamp]
    return min(cand, key=lambda ln: ln.timestamp) if cand else None


def version_tied(change: Change, ctx: Context) -> bool:
    """The failing lines concentrate on the version this change shipped, and the first of them ran it."""
    if not change.version or not any(c.field == "version" and c.value == change.version for c in ctx.concentrations):
        return False
    first = first_failing_line(change.service, ctx)
    return first is None or not first.version or first.version == change.version


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _first_precursor(ctx: Context) -> Pattern | None:
    pres = [p for p in ctx.patterns if p.precursor and p.first_seen]
    return min(pres, key=lambda p: p.first_seen or "") if pres else None


def _verb(change: Change) -> str:
    return {"deploy": "deployed", "config": "changed", "feature_flag": "flipped", "infra": "changed",
            "schema": "migrated", "rollback": "rolled back", "manual": "run", "dependency": "changed"}.get(change.kind, "made")


def service_relation(change: Change, ctx: Context) -> FactorResult:
    """The changed service is failing, is asked about, or is something they depend on."""
    svc = change.service
    failing = set(ctx.failing_services)
    slow = ctx.symptom == "latency"
    if svc in failing and svc in ctx.asked_services:
        what = "which got slow" if slow else "whose errors rose"
        return FactorResult("service", 1.0, f"changed {svc}, the service asked about, {what}")
    if svc in failing:
        b, a = ctx.service_rates.get(svc, (0.0, 0.0))
        if slow:
            return FactorResult("service", 1.0, f"p95 latency of {svc} rose from {human_ms(b)} to {human_ms(a)}")
        return FactorResult("service", 1.0, f"errors in {svc} rose from {b:.1f}/min to {a:.1f}/min")
    dependents = [s for s in (ctx.asked_services + ctx.failing_services) if ctx.catalog.distance(s, svc)]
    if dependents:
        nearest = min(dependents, key=lambda s: ctx.catalog.distance(s, svc) or 9)
        dist = ctx.catalog.distance(nearest, svc) or 1
        return FactorResult("service", 0.8 ** dist, f"{nearest} depends on {svc}" + ("" if dist == 1 else f" ({dist} hops)"))
    if svc in ctx.asked_services:
        return FactorResult("service", 0.7, f"changed {svc}, the service asked about")
    return FactorResult("service", 0.1, None)


def blast_radius(change: Change, ctx: Context) -> FactorResult:
    """Several services failing at once points at what they share."""
    failing = ctx.failing_services
    if len(failing) < 2:
        return FactorResult("blast_radius", 0.0, None)
    users = [s for s in failing if ctx.catalog.distance(s, change.service)]
    mentioned = [p for p in ctx.patterns if p.new and change.service.lower() in p.template.lower()]
    if len(users) >= 2:
        return FactorResult("blast_radius", 1.0, f"{len(users)} failing services ({', '.join(sorted(users)[:4])}) depend on {change.service}")
    if change.kind == "infra" and change.service not in failing:
        spread = {s for p in ctx.patterns if p.new for s in p.services}
        if len(spread) >= 2 or mentioned:
            return FactorResult("blast_radius", 0.8, f"{len(failing)} services began failing at once, as a shared-infrastructure change would cause")
    return FactorResult("blast_radius", 0.0, None)


MIN_TIE_COUNT = 3
ONSET_SLACK = timedelta(minutes=2)


def rose_with_onset(p: Pattern, ctx: Context) -> bool:
    """A new pattern that began with the symptom (not before it) and is more than a line or two.

    Only such a pattern is an effect; a line that merely mentions a change (a deploy log quoting its
    title, a precursor warning) must not vouch for that change.
    """
    if not p.new or p.precursor or p.count < MIN_TIE_COUNT:
        return False
    if ctx.onset is None or not p.first_seen:
        return True  # no onset or no first time to compare: the other conditions decide
    try:
        return parse_instant(p.first_seen) >= ctx.onset - ONSET_SLACK
    except ValueError:
        return False


def _quotes_title(template: str, change: Change) -> bool:
    """The pattern is the change announcing itself: its title verbatim, or nearly all its distinctive words."""
    title_text = " ".join(re.findall(r"[a-z0-9]+", change.title.lower()))
    tpl_text = " ".join(re.findall(r"[a-z0-9]+", template.lower()))
    if len(title_text.split()) >= 3 and f" {title_text} " in f" {tpl_text} ":
        return True
    title = words(change.title)
    return len(title) >= 4 and len(title & words(template)) >= 0.8 * len(title)


def evidence_tie(change: Change, ctx: Context) -> FactorResult:
    """New error patterns that rose with the onset, or concentrations, that mention what the change touched."""
    vocab = change_words(change)
    best = 0.0
    reason = None
    for p in ctx.patterns:
        if not rose_with_onset(p, ctx) or _quotes_title(p.template, change):
            continue
        tpl = " ".join(t for t in p.template.lower().split() if "/" not in t)  # API paths are not mentions
        tpl_words = words(tpl)
        own = {s.lower() for s in p.services} | set(re.split(r"[-_.]", change.service.lower()))
        hits = sorted(w for w in vocab if w in tpl_words and w not in own)
        svc_named = mentions(tpl, change.service) \
            and change.service not in p.services
        score = min(1.0, 0.35 * len(hits) + (0.5 if svc_named else 0.0))
        if score > best:
            best = score
            bits = []
            if svc_named:
                bits.append(f"names {change.service}")
            if hits:
                where = vocab[hits[0]]
                bits.append(f"shares {', '.join(repr(h) for h in hits[:3])} with {where}")
            reason = f"new error [{p.id}] {' and '.join(bits)}"
    for c in ctx.concentrations:
        if c.field == "version" and change.version and c.value == change.version:
            return FactorResult("evidence", 1.0, f"{c.share:.0%} of failing lines run version {c.value}, which it shipped")
        if c.field == "service" and c.value == change.service and best < 0.2:
            best, reason = 0.2, f"{c.share:.0%} of failing lines come from {c.value}"
    return FactorResult("evidence", best, reason)


def _names(template: str, service: str) -> bool:
    text = " ".join(t for t in template.lower().split() if "/" not in t)
    return mentions(text, service)


def coverage(change: Change, ctx: Context) -> FactorResult:
    """How many of the failing services the change can explain: itself, what depends on it, what names it.

    A deploy to one of three services failing at once explains a third of the
    incident; a shared-infrastructure change can explain all of it.
    """
    failing = set(ctx.failing_services)
    if len(failing) < 2:
        return FactorResult("coverage", 1.0, None)
    explained = {s for s in failing if s == change.service or ctx.catalog.distance(s, change.service)}
    for p in ctx.patterns:
        if p.new and _names(p.template, change.service):
            explained |= set(p.services) & failing
    if change.kind in ("infra", "dependency") and change.service not in failing and len(explained) < len(failing):
        return FactorResult("coverage", 1.0, f"a shared change can reach all {len(failing)} failing services")
    value = len(explained) / len(failing)
    reason = None if value == 1.0 else f"explains {len(explained)} of the {len(failing)} failing services"
    return FactorResult("coverage", value, reason)


def kind_prior(change: Change, ctx: Context) -> FactorResult:
    """Deploys and config changes break things more often than, say, a rollback."""
    return FactorResult("kind", KIND_PRIOR.get(change.kind, 0.5), None)


def history(change: Change, ctx: Context) -> FactorResult:
    """Services and kinds whose past changes were rolled back weigh more (the deployment-risk prior)."""
    prior = ctx.priors.get((change.service, change.kind))
    if prior is None:
        return FactorResult("history", NEUTRAL, None)
    return FactorResult("history", prior.value, prior.describe(change.service, change.kind))


FACTORS = (timing, service_relation, blast_radius, evidence_tie, kind_prior, history, coverage)
