"""Collecting the log evidence for one question, in a fixed, small number of requests.

Statistics before samples, in three rounds, each a plan of named searches run
in one msearch and read by name (see plan.py):
(1) rates: the failing-rate histograms (the symptom asked about, and every
service's failing lines for the blast radius); the onset and the window
follow from them;
(2) samples: the main count, a bounded sample of failing lines in the window
and one before it, with their breakdowns (and warnings before the onset);
the miner groups the sample into templates;
(3) probes: the top templates' exact counts, first lines, cited examples and
per-bucket counts (the chart's pattern line).
However large the index, that is three requests.
"""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch.dsl import Q, Search
from elasticsearch.dsl.query import Query

from incidentbot.config import Settings
from incidentbot.core.catalog import Catalog
from incidentbot.core.deadline import answer_deadline, current_deadline
from incidentbot.core.errors import StoreTimeout
from incidentbot.core.evidence import EvidenceLine, Histogram, Latency, LogEvidence, Onset, Pattern, QueryRecord
from incidentbot.core.intent import Intent
from incidentbot.core.mask import mask_secrets
from incidentbot.core.timeutil import iso
from incidentbot.evidence import interpret as ri
from incidentbot.evidence import slowness
from incidentbot.evidence.onset import onset_in_data
from incidentbot.evidence.patterns import mine_patterns
from incidentbot.evidence.plan import Ranges, SearchPlan, plan_ranges
from incidentbot.evidence.precursors import precursor_patterns, precursor_ranges
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.query import compile as qc
from incidentbot.query.fusion import TOP_HITS_MAX
from incidentbot.query.kibana import discover_url
from incidentbot.core.fields import FieldMap

ONSET_LEAD = timedelta(minutes=15)
# A store slower than this per search (a scanning store: noida-db, a busy or under-sized cluster) gets a lean
# plan for the rest of the answer: fewer searches, each one a full pass there, so it ends within the deadline.
LEAN_PER_SEARCH_S = 1.5
LEAN_PATTERNS = 3
# Kept back from the answer's deadline for what follows the log evidence (the change records, often on the
# same busy store, and the summary): a fixed part and a pass at the store's measured pace, at most 10 s.
RESERVE_S = 2.0
RESERVE_MAX_S = 10.0
DEFAULT_WINDOW = timedelta(hours=1)
MAX_ONSET_LEAD = timedelta(hours=12)

__all__ = ["DEFAULT_WINDOW", "collect_evidence", "plan_ranges"]


@dataclass
class Job:
    """What every round needs: where to look, how, and for what."""

    gw: ReadOnlyGateway
    fm: FieldMap
    settings: Settings
    index: str
    ranges: Ranges
    catalog: Catalog | None = None
    failed: dict[str, str] = field(default_factory=dict)  # a layout's indices whose searches failed -> why
    # the store scans slowly (measured on round 1): later rounds ask for less, and the answer says what
    lean: bool = False
    skipped: list[str] = field(default_factory=list)

    @property
    def layouts(self) -> list[list[str]] | None:
        return [f.indices for f in self.fm.families] if self.fm.families else None

    @property
    def pass_s(self) -> float:
        return self.gw.pace.seconds_per_pass

    def time_left(self, reserve: bool = True) -> float | None:
        """Seconds of the answer's deadline this round may spend (None: no deadline); `reserve` keeps some
        back for the change records and the summary."""
        deadline = current_deadline()
        if deadline is None:
            return None
        return deadline.remaining() - (min(RESERVE_S + self.pass_s, RESERVE_MAX_S) if reserve else 0.0)

    def affordable(self, plan: SearchPlan, reserve: bool = True, queue: bool = True) -> bool:
        """Whether the plan should be answered within the time left, behind the work the store already holds
        from this process (unless `queue` is off), at the pace it has shown (plan.cost in passes)."""
        left = self.time_left(reserve)
        if left is None:
            return True
        cost = plan.cost(self.layouts)
        return (self.gw.pace.estimate(cost) if queue else cost * self.pass_s) <= left

    def busy(self) -> str:
        """The store's load, in words, for the answer's notes."""
        ahead = self.gw.pace.ahead()
        return (f"the log store takes {self.pass_s:.1f}s a search" +
                (f" and holds about {ahead:.0f} searches of other questions" if ahead >= 1 else ""))

    @property
    def timeout(self) -> str:
        return self.settings.search_timeout

    def run(self, plan: SearchPlan) -> dict[str, Any]:
        """Execute a round: once per field layout (on its own indices) when the pattern has several.

        The store's pace is learnt from it (gateway/pace.py), and a round given up on is still counted
        as the store's work until it should be done."""
        cost = plan.cost(self.layouts)
        pace = self.gw.pace
        ahead = pace.sent(cost)
        started = time.perf_counter()
        try:
            found = plan.execute(self.gw, self.layouts)
        except StoreTimeout:
            pace.gave_up(cost, ahead, time.perf_counter() - started)
            raise
        except Exception:
            pace.answered(cost, ahead, time.perf_counter() - started)
            raise
        pace.answered(cost, ahead, time.perf_counter() - started)
        if pace.seconds_per_pass > LEAN_PER_SEARCH_S and not self.lean:
            self.lean = True
            self.skipped.append(f"the log store took {pace.seconds_per_pass:.1f}s per search")
        for indices, reason in plan.failed.items():
            self.failed.setdefault(indices, f"its searches failed: {reason}")
        return found


class OverBudget(StoreTimeout):
    """A round not sent: at the store's measured pace it would end past the answer's deadline."""


@dataclass
class Rates:
    """Round 1's findings."""

    histogram: Histogram
    onset: Onset | None
    risen: list[str]
    rates: dict[str, tuple[float, float]]
    asked_body: dict[str, Any]
    all_body: dict[str, Any]
    latency: slowness.Series | None = None
    # the question's own count, asked with the rates when the window is named (so a store too busy for round 2
    # still gives the exact count): the response and the body it answers
    main: tuple[dict[str, Any], dict[str, Any]] | None = None


@dataclass
class Samples:
    """Round 2's findings."""

    main: QueryRecord
    groups: list[tuple[str, int]]
    scope: Query
    window_hits: list[dict[str, Any]]
    base_hits: list[dict[str, Any]]
    window_total: int
    first_body: dict[str, Any]
    concentrations: list[Any]
    warn_recent: list[dict[str, Any]] | None = None
    warn_before: list[dict[str, Any]] | None = None
    main_resp: dict[str, Any] = field(default_factory=dict)
    slow_services: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class Cited:
    """The patterns and the cited lines, numbered as they are added (P1.., E1..)."""

    patterns: list[Pattern] = field(default_factory=list)
    lines: list[EvidenceLine] = field(default_factory=list)

    def cite(self, hits: list[dict[str, Any]], fm: FieldMap, pattern_id: str | None) -> list[str]:
        ids = []
        for hit in hits:
            ev_id = f"E{len(self.lines) + 1}"
            self.lines.append(ri.evidence_line(hit, fm, ev_id, pattern_id))
            ids.append(ev_id)
        return ids


# -- round 1: rates ----------------------------------------------------------------------------

def plan_rates(job: Job, intent: Intent) -> SearchPlan:
    """The symptom per bucket (failing lines, or for a latency question the durations), its totals, and
    every service's failing lines (the blast radius)."""
    fm, r = job.fm, job.ranges
    signal = qc.symptom_query(intent, fm, services=[], default_to_errors=True)
    scope = qc.services_filter(fm, intent.services) or Q("match_all")
    plan = SearchPlan()
    if slowness.wanted(intent, fm):
        plan.add("rates", job.index, qc.latency_histogram_search(scope, fm, r.range_start, r.range_end, r.bucket_s,
                                                                 job.timeout), "the latency histogram",
                 lambda resp: slowness.read_series_round(resp, intent, r.bucket_s))
    else:
        if not _rates_from_services(intent):
            plan.add("rates", job.index, qc.histogram_search(scope, fm, signal, r.range_start, r.range_end,
                                                             r.bucket_s, job.timeout), "the rate histogram",
                     ri.read_rates)
        plan.add("totals", job.index, qc.totals_search(scope, fm, r.range_start, r.range_end, r.bucket_s,
                                                       job.timeout), "the totals histogram", ri.read_totals)
    plan.add("service_rates", job.index,
             qc.histogram_search(Q("match_all"), fm, qc.error_signal(fm), r.range_start, r.range_end, r.bucket_s,
                                 job.timeout), "the per-service histogram",
             lambda resp: ri.read_rates(resp, per_service=True))
    if intent.window_named:  # the count asked, in the same pass: a folded filter aggregation costs little
        plan.add("main", job.index, qc.main_search(intent, fm, job.index, job.timeout), "the main query",
                 lambda resp: resp, required=False)
    return plan


def _rates_from_services(intent: Intent) -> bool:
    """The symptom is the default failing signal on whole services: its rate is the per-service histogram's
    (summed over the services asked, or its total), so it costs no search of its own (one pass fewer on a
    store that scans)."""
    return intent.symptom == "errors" and not (
        intent.levels or intent.status or intent.text or intent.exclude_text or intent.hosts or intent.versions
        or intent.traces or intent.regions)


def _summed(all_failing: ri.RateSeries, services: list[str]) -> ri.RateSeries:
    if not services:
        return ri.RateSeries(all_failing.times, list(all_failing.failing), list(all_failing.failing))
    failing = [sum(all_failing.per_service.get(s, [0] * len(all_failing.times))[i] for s in services)
               for i in range(len(all_failing.times))]
    return ri.RateSeries(all_failing.times, list(failing), list(failing))


def read_rates_round(job: Job, intent: Intent) -> Rates:
    plan = plan_rates(job, intent)
    # the round every answer stands on: sent unless by itself it would end past the deadline (the queue
    # ahead of it is a guess; an answer with no round 1 has nothing of the logs)
    if not job.affordable(plan, reserve=False, queue=False):
        raise OverBudget(f"{job.busy()}: they would end past the answer deadline")
    found = job.run(plan)
    if "rates" not in found:
        found["rates"] = _summed(found["service_rates"], intent.services)
    per_service = found["service_rates"].per_service
    r = job.ranges
    lat: slowness.Series | None = None
    if isinstance(found["rates"], slowness.Series):
        # a latency question: the onset is a step in requests slower than the baseline's p99 (Q5)
        lat = found["rates"]
        asked = ri.RateSeries(lat.times, [d.total for d in lat.dists],
                              list(lat.found.slow_counts) if lat.found else [0] * len(lat.times))
        onset = lat.found.onset if lat.found else None
    else:
        asked = ri.with_totals(found["rates"], found.get("totals"))
        onset = onset_in_data(asked.failing, asked.totals, asked.times, r.bucket_s)
    if onset is not None and onset.at < intent.start - MAX_ONSET_LEAD:
        onset = None
    histogram = Histogram(r.range_start, r.bucket_s, asked.times, asked.totals, asked.failing, per_service,
                          "Q5" if lat else "Q2")
    risen, rates = ri.affected_services(per_service, onset, r.bucket_s)
    if lat is not None:
        risen = []  # a latency question widens to the services that got slow (round 2), not to failing ones
    asked_body = plan.body("rates") if "rates" in plan else plan.body("service_rates")
    main = (found["main"], plan.body("main")) if found.get("main") is not None else None
    return Rates(histogram, onset, risen, rates, asked_body, plan.body("service_rates"), lat, main)


def settle_intent(intent: Intent, rates: Rates, catalog: Catalog) -> Intent:
    """The window (as asked, else from shortly before the onset, else the last hour) and the widened services."""
    onset = rates.onset
    if not intent.window_named:
        start = (onset.at - ONSET_LEAD) if onset else intent.end - DEFAULT_WINDOW
        note = (f"no window named: searched from 15 minutes before the onset ({iso(onset.at)})" if onset
                else "no window named: searched the last hour")
        intent = intent.model_copy(update={"start": max(start, intent.end - timedelta(days=7)),
                                           "notes": [*intent.notes, note]})
    if intent.ask != "investigate":
        return intent
    asked = intent.services
    related: set[str] = set()
    for name in asked:
        related.update(catalog.dependencies(name, depth=2))
        related.update(catalog.dependents(name))
    widened = list(asked)
    for name in rates.risen:
        if name not in widened and (not asked or name in related or len(rates.risen) <= 6):
            widened.append(name)
    if widened != asked:
        intent = intent.model_copy(update={"related_services": [s for s in widened if s not in asked]})
    return intent


def baseline_of(intent: Intent, onset: Onset | None, ranges: Ranges) -> tuple[datetime, datetime]:
    """Before the window (and before the onset): what "normal" looked like."""
    end = min(intent.start, onset.at) if onset else intent.start
    return min(ranges.range_start, end - timedelta(minutes=30)), end


# -- round 2: samples --------------------------------------------------------------------------

def sample_scope(intent: Intent, fm: FieldMap, slow_ms: float | None = None) -> Query:
    """The lines worth sampling: the symptom, and for an investigation the failing lines nearby.

    For a latency question the symptom is a slow request: slower than asked,
    or than the baseline's p99 (`slow_ms`)."""
    if slowness.wanted(intent, fm):
        return qc.symptom_query(intent, fm, services=intent.services, slow_ms=slow_ms)
    if intent.ask != "investigate":
        return qc.symptom_query(intent, fm)
    asked = intent.services
    asked_symptom = qc.symptom_query(intent, fm, services=asked, default_to_errors=True)
    wide = qc.services_filter(fm, asked + intent.related_services) if asked else None
    wide_errors = Q("bool", filter=[c for c in (wide,) if c is not None] + [qc.error_signal(fm)])
    return Q("bool", should=[asked_symptom, wide_errors], minimum_should_match=1)


def breakdown_fields(fm: FieldMap) -> dict[str, list[str]]:
    """Each breakdown role's field names (one per index family)."""
    return {k: qc.role_fields(fm, k) for k in ("service", "version", "host", "path") if qc.role_fields(fm, k)}


def slow_threshold(intent: Intent, lat: slowness.Series | None) -> float | None:
    """For a latency investigation, a slow request is one slower than the baseline's p99 (round 1)."""
    return lat.threshold_ms if lat is not None and intent.ask == "investigate" else None


def main_search(job: Job, intent: Intent, onset: Onset | None, lat: slowness.Series | None) -> Search:
    """The question's own query (Q1); for a latency question split at the onset when the window spans it."""
    split = onset.at if lat is not None and onset is not None and intent.start < onset.at else None
    return qc.main_search(intent, job.fm, job.index, job.timeout, split, slow_threshold(intent, lat))


def plan_samples(job: Job, intent: Intent, scope: Query, baseline: tuple[datetime, datetime],
                 onset: Onset | None, lat: slowness.Series | None = None) -> SearchPlan:
    fm, timeout, index = job.fm, job.timeout, job.index
    by = [name for names in breakdown_fields(fm).values() for name in names]
    half = max(job.settings.sample_size // 2, 5)
    start, end = intent.start, intent.end
    plan = SearchPlan()
    plan.add("main", index, main_search(job, intent, onset, lat), "the main query", lambda r: r)
    plan.add("first", index, qc.sample_search(scope, fm, start, end, half, timeout, False, by),
             "the window sample", lambda r: r)
    if not job.lean:  # the newest lines too (a lean plan samples the first ones only)
        plan.add("last", index, qc.sample_search(scope, fm, start, end, half, timeout, True), "the window sample",
                 ri.read_hits)
    # a lean plan samples fewer baseline lines: few enough to ride along with the window's sample in one pass
    base_n = min(half, TOP_HITS_MAX) if job.lean else half
    plan.add("baseline", index, qc.sample_search(scope, fm, baseline[0], baseline[1], base_n, timeout, True, by),
             "the baseline sample", lambda r: r)
    scope_services = intent.services + intent.related_services if intent.services else []
    traffic_scope = qc.services_filter(fm, scope_services) or Q("match_all")
    plan.add("traffic", index, qc.sample_search(traffic_scope, fm, start, end, 0, timeout, False, by),
             "the traffic breakdown", ri.read_breakdown)
    if lat is not None and onset is not None and intent.ask == "investigate":
        slowness.plan_services(plan, job.index, fm, intent, job.catalog, job.ranges.range_start, onset.at,
                               job.ranges.range_end, timeout)
    pre = precursor_ranges(onset, job.ranges.range_start) if intent.ask == "investigate" and fm.level else None
    if pre is not None and job.lean:
        pre = None
        job.skipped.append("the warnings before the onset (precursors) were not searched")
    if pre is not None:
        warn_scope = Q("bool", filter=[c for c in (qc.services_filter(fm, scope_services),
                                                   qc.levels_filter(fm, ["warn"])) if c is not None])
        plan.add("warn_recent", index, qc.sample_search(warn_scope, fm, pre[0], pre[1], half, timeout, False),
                 "the warnings before the onset", ri.read_hits, required=False)
        plan.add("warn_before", index, qc.sample_search(warn_scope, fm, pre[2], pre[0], half, timeout, True),
                 "the warnings before those", ri.read_hits, required=False)
    return plan


def read_samples_round(job: Job, intent: Intent, baseline: tuple[datetime, datetime],
                       onset: Onset | None, lat: slowness.Series | None = None) -> Samples:
    scope = sample_scope(intent, job.fm, slow_threshold(intent, lat))
    plan = plan_samples(job, intent, scope, baseline, onset, lat)
    if not job.lean and not job.affordable(plan):
        job.lean = True
        job.skipped.append(f"{job.busy()}, so only the first lines of the window were sampled")
        plan = plan_samples(job, intent, scope, baseline, onset, lat)
    if not job.affordable(plan):
        raise OverBudget(f"{job.busy()}: they would end past the answer deadline")
    found = job.run(plan)
    main = QueryRecord("Q1", job.index, plan.body("main"), ri.read_total(found["main"]),
                       "the question's filters in its window",
                       kibana_url=discover_url(job.settings.kibana_url, intent, job.fm, job.index))
    first, base = found["first"], found["baseline"]
    window_bd, base_bd = ri.read_breakdown(first), ri.read_breakdown(base)
    return Samples(main=main, groups=ri.read_groups(found["main"]), scope=scope,
                   window_hits=ri.unique_hits(ri.read_hits(first), found.get("last") or []),
                   base_hits=ri.read_hits(base), window_total=window_bd.total, first_body=plan.body("first"),
                   concentrations=ri.concentrations(window_bd, found["traffic"], base_bd,
                                                    breakdown_fields(job.fm)),
                   warn_recent=found.get("warn_recent"), warn_before=found.get("warn_before"),
                   main_resp=found["main"], slow_services=slowness.found_services(found))


# -- round 3: pattern probes -------------------------------------------------------------------

@dataclass
class Mined:
    """The sample's templates, the top ones by lines in the window."""

    templates: list[str]
    assignment: list[int | None]
    top: list[int]


def mine_sample(samples: Samples, job: Job) -> Mined:
    hits = samples.window_hits + samples.base_hits
    messages = [ri.mined_text(h, job.fm) for h in hits]
    mined, assignment = mine_patterns(messages) if messages else ([], [])
    in_window = [0] * len(mined)
    for a in assignment[:len(samples.window_hits)]:
        if a is not None:
            in_window[a] += 1
    order = sorted((i for i in range(len(mined)) if in_window[i] > 0), key=lambda i: -in_window[i])
    most = min(job.settings.max_patterns, LEAN_PATTERNS) if job.lean else job.settings.max_patterns
    if job.lean and len(order) > most:
        job.skipped.append(f"exact counts for the top {most} of {len(order)} patterns only")
    if job.lean and order:
        job.skipped.append("pattern lines counted by their words in any order, not as phrases")
    return Mined([p.template for p in mined], list(assignment), order[:most])


def plan_probes(job: Job, intent: Intent, samples: Samples, mined: Mined,
                window: tuple[datetime, datetime], baseline: tuple[datetime, datetime],
                top: list[int] | None = None) -> SearchPlan:
    probe_scope = samples.scope if intent.ask == "investigate" else \
        qc.symptom_query(intent, job.fm, services=intent.services, default_to_errors=False)
    r = job.ranges
    plan = SearchPlan()
    for i in mined.top if top is None else top:
        plan.add(f"probe:{i}", job.index,
                 qc.probe_search(probe_scope, job.fm, mined.templates[i], window, baseline,
                                 job.settings.evidence_per_pattern, job.timeout,
                                 series=(r.range_start, r.range_end, r.bucket_s), by_words=job.lean),
                 "a pattern probe", ri.read_probe, required=False)
    return plan


def estimate_probe(mined: Mined, samples: Samples, fm: FieldMap, index: int) -> ri.ProbeCounts:
    """A probe's answer built from the sample alone (when the exact probe timed out)."""
    n = len(samples.window_hits)
    members_w = [samples.window_hits[i] for i, a in enumerate(mined.assignment[:n]) if a == index]
    members_b = [samples.base_hits[i] for i, a in enumerate(mined.assignment[n:]) if a == index]
    members_w.sort(key=lambda h: str(ri.field_of(h, fm, "timestamp")))
    return ri.ProbeCounts(len(members_w), len(members_b), members_w[:5], members_w[-1:], [])


def read_probes_round(job: Job, intent: Intent, samples: Samples, mined: Mined, window: tuple[datetime, datetime],
                      baseline: tuple[datetime, datetime], notes: list[str]) -> dict[int, ri.ProbeCounts | None]:
    # on a slow store a count question's patterns are a side note: the sample's estimates leave the store's
    # time to the questions that need exact patterns (investigations)
    top = list(mined.top) if not job.lean or intent.ask == "investigate" else []
    plan = plan_probes(job, intent, samples, mined, window, baseline, top)
    while top and not job.affordable(plan):  # the most common patterns first, as many as the time left allows
        top.pop()
        plan = plan_probes(job, intent, samples, mined, window, baseline, top)
    sample = f"estimates from a sample of {len(samples.window_hits)} lines"
    out: dict[int, ri.ProbeCounts | None] = {i: estimate_probe(mined, samples, job.fm, i) for i in mined.top}
    if not top and job.lean and intent.ask != "investigate":
        notes.append(f"pattern counts are {sample}: the log store is slow ({job.busy()}) and the count is the "
                     "answer asked")
    elif len(top) < len(mined.top):
        notes.append(f"pattern counts for {len(mined.top) - len(top)} of {len(mined.top)} patterns are {sample}: "
                     f"exact counts would end past the answer deadline ({job.busy()})")
    if not top:
        return out
    left = job.time_left()
    try:
        with answer_deadline(max(left, 0.5)) if left is not None else nullcontext():
            found = job.run(plan)
    except StoreTimeout as exc:
        # the exact counts are a refinement: answer with the sample's estimates and say so
        notes.append(f"pattern counts are {sample}: the exact counts did not finish in the time left ({exc})")
        return out
    out.update({i: found[f"probe:{i}"] for i in top})
    return out


def probed_patterns(job: Job, mined: Mined, probes: dict[int, ri.ProbeCounts | None], onset: Onset | None,
                    window: tuple[datetime, datetime], baseline: tuple[datetime, datetime],
                    times: list[datetime], cited: Cited) -> None:
    """Patterns with lines in the window, most in excess of their earlier rate first, each with cited lines."""
    window_min = max((window[1] - window[0]).total_seconds() / 60, 1.0)
    base_min = max((baseline[1] - baseline[0]).total_seconds() / 60, 1.0)
    staged = []
    for i in mined.top:
        probe = probes.get(i)
        if probe is None or probe.count == 0:
            continue
        excess = probe.count - probe.baseline_count / base_min * window_min
        staged.append((i, probe, excess))
    staged.sort(key=lambda s: (-s[2], -s[1].count))
    for i, probe, excess in staged:
        pid = f"P{len(cited.patterns) + 1}"
        first_seen = ri.hit_time(probe.examples[0], job.fm) if probe.examples else None
        last_seen = ri.hit_time(probe.last[0], job.fm) if probe.last else None
        new = ri.is_new(probe.count, probe.baseline_count, window_min, base_min)
        ev_ids = cited.cite(probe.examples[: job.settings.evidence_per_pattern], job.fm, pid)
        cited.patterns.append(Pattern(
            pid, mask_secrets(mined.templates[i]), probe.count, probe.baseline_count, new, first_seen, last_seen,
            probe.services, round(excess, 1), ev_ids, new and ri.began_before(first_seen, onset),
            series=ri.align_series(probe.series, times)))


def add_precursors(job: Job, samples: Samples, cited: Cited) -> None:
    """Warning patterns that began before the onset: the slow build-up, cited like the others."""
    for template, members in precursor_patterns(samples.warn_recent or [], samples.warn_before or [], job.fm):
        pid = f"P{len(cited.patterns) + 1}"
        ev_ids = cited.cite(members[: job.settings.evidence_per_pattern], job.fm, pid)
        services = sorted({str(ri.field_of(h, job.fm, "service")) for h in members})
        cited.patterns.append(Pattern(pid, mask_secrets(template), len(members), 0, True,
                                      ri.hit_time(members[0], job.fm), ri.hit_time(members[-1], job.fm),
                                      services, 0.0, ev_ids, precursor=True))


# -- when a round times out ---------------------------------------------------------------------

def rates_or_nothing(job: Job, intent: Intent) -> Rates:
    """Round 1, or, when the store does not answer it in time, no histogram and no onset (said in the answer)."""
    try:
        return read_rates_round(job, intent)
    except StoreTimeout as exc:
        job.lean = True
        verb = "were not searched" if isinstance(exc, OverBudget) else "timed out"
        job.skipped.append(f"the rate histograms {verb}, so no onset or blast radius ({exc})")
        r = job.ranges
        return Rates(Histogram(r.range_start, r.bucket_s, [], [], [], {}, "Q2"), None, [], {}, {}, {})


def samples_or_count(job: Job, intent: Intent, baseline: tuple[datetime, datetime], rates: Rates) -> Samples:
    """Round 2, or, when it times out, the main count alone (one search): the count still answers."""
    try:
        return read_samples_round(job, intent, baseline, rates.onset, rates.latency)
    except StoreTimeout as exc:
        job.lean = True
        verb = "were not searched" if isinstance(exc, OverBudget) else "timed out"
        job.skipped.append(f"the sampled lines {verb}, so no patterns or cited lines ({exc})")
    scope = sample_scope(intent, job.fm, slow_threshold(intent, rates.latency))
    if rates.main is not None:  # counted with the rates: nothing more to ask
        resp, body = rates.main
        return count_only(job, intent, scope, body, resp)
    plan = SearchPlan()
    plan.add("main", job.index, main_search(job, intent, rates.onset, rates.latency), "the main query",
             lambda r: r)
    if job.affordable(plan, reserve=False):
        return count_only(job, intent, scope, plan.body("main"), job.run(plan)["main"])
    counted = histogram_count(rates, intent)  # not even the count: send nothing more to a store this busy
    if counted is None:
        raise OverBudget(f"{job.busy()}: even the count would end past the answer deadline, so nothing more "
                         "was asked of it")
    job.skipped.append("the count was read from the per-minute histogram (Q2), to the minute, not run on its own")
    return count_only(job, intent, scope, plan.body("main"), None, counted)


def count_only(job: Job, intent: Intent, scope: Query, body: dict[str, Any], resp: dict[str, Any] | None,
               counted: int | None = None) -> Samples:
    """Round 2's findings when it was not run: the count alone (from its response, or `counted` from the
    histogram), no lines."""
    how = "" if counted is None else " (summed from the histogram's buckets)"
    main = QueryRecord("Q1", job.index, body, ri.read_total(resp) if resp is not None else counted or 0,
                       f"the question's filters in its window{how}",
                       kibana_url=discover_url(job.settings.kibana_url, intent, job.fm, job.index))
    return Samples(main=main, groups=ri.read_groups(resp) if resp is not None else [], scope=scope,
                   window_hits=[], base_hits=[], window_total=0, first_body={}, concentrations=[],
                   main_resp=resp or {})


def histogram_count(rates: Rates, intent: Intent) -> int | None:
    """The question's count from round 1's histogram of the same filters: its buckets inside the window
    (None for a latency question, whose histogram holds durations, or when round 1 did not answer)."""
    h = rates.histogram
    if rates.latency is not None or not h.times:
        return None
    # the histogram counts failing lines unless the question names its own filter; a count of every line
    # (no level, status or text asked) is the totals' series
    every_line = intent.ask != "investigate" and not (intent.levels or intent.status or intent.text)
    series = h.totals if every_line else h.failing
    if len(series) != len(h.times):
        return None
    return sum(n for t, n in zip(h.times, series) if intent.start <= t < intent.end)


# -- the whole -----------------------------------------------------------------------------------

def schema_notes(intent: Intent, fm: FieldMap, index: str, latency: Latency | None,
                 failed: dict[str, str] | None = None) -> list[str]:
    """What the answer must say about how it read the logs: durations, levels from text, layouts, unreadable."""
    notes = []
    if latency is not None:
        notes.append(f"request durations from {latency.field_name} ({latency.unit}); percentiles by {latency.method}")
    if any(f.level_in_text for f in fm.layouts()) and (intent.levels or intent.ask == "investigate"):
        notes.append("no level field in the logs: levels were read from the message text (lines that say "
                     "ERROR, level=error or \"level\":\"error\"); a line that only mentions the word counts too")
    if fm.families:
        notes.append(f"{len(fm.families)} field layouts behind {index}, each searched with its own names: "
                     + "; ".join(f"{', '.join(f.indices[:3])} (service {f.service or '-'}, level "
                                 f"{f.level or 'in the text'}, message {f.message or '-'})" for f in fm.families))
    for name, reason in sorted({**fm.unreadable, **(failed or {})}.items()):
        notes.append(f"index {name} could not be read: {reason}")
    return notes


def collect_evidence(gw: ReadOnlyGateway, fm: FieldMap, intent: Intent, settings: Settings,
                     catalog: Catalog, index: str) -> tuple[Intent, LogEvidence]:
    """Run the three rounds and turn their answers into typed findings (and the final intent)."""
    job = Job(gw, fm, settings, index, plan_ranges(intent), catalog)
    rates = rates_or_nothing(job, intent)
    intent = settle_intent(intent, rates, catalog)
    window = (intent.start, intent.end)
    baseline = baseline_of(intent, rates.onset, job.ranges)
    samples = samples_or_count(job, intent, baseline, rates)
    mined = mine_sample(samples, job)
    notes: list[str] = []
    cited = Cited()
    if mined.top:
        probes = read_probes_round(job, intent, samples, mined, window, baseline, notes)
        probed_patterns(job, mined, probes, rates.onset, window, baseline, rates.histogram.times, cited)
    if samples.warn_recent is not None and rates.onset is not None:
        add_precursors(job, samples, cited)
    if not cited.lines and samples.window_hits:
        cited.cite(samples.window_hits[: settings.evidence_per_pattern * 2], fm, None)
    h = rates.histogram
    queries = [samples.main,
               QueryRecord("Q2", index, rates.asked_body, sum(h.failing), "failing lines per bucket, asked services"),
               QueryRecord("Q3", index, rates.all_body, sum(sum(s) for s in h.per_service.values()),
                           "failing lines per service"),
               QueryRecord("Q4", index, samples.first_body, samples.window_total, "sample of the window's lines")]
    risen, service_rates, latency = rates.risen, rates.rates, None
    if slowness.wanted(intent, fm):  # without round 1 (timed out), the main query's own figures still stand
        latency = slowness.assemble(intent, fm, samples.main_resp, rates.latency, samples.main.id, "Q5",
                                    samples.slow_services)
        if rates.latency is not None:
            queries[1] = QueryRecord("Q5", index, rates.asked_body, sum(h.totals),
                                     "request durations per bucket, asked services")
        risen = sorted(samples.slow_services, key=lambda s: (s not in intent.services, s))
        service_rates = dict(samples.slow_services)
    notes.extend(schema_notes(intent, fm, index, latency, job.failed))
    if job.skipped:
        notes.append("a lean answer: " + "; ".join(job.skipped))
    evidence = LogEvidence(samples.main, h, rates.onset, risen, service_rates, cited.patterns, cited.lines,
                           samples.concentrations, queries, baseline, breakdown=samples.groups, latency=latency)
    if notes:
        intent = intent.model_copy(update={"notes": [*intent.notes, *notes]})
    return intent, evidence
