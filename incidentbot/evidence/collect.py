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

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch.dsl import Q
from elasticsearch.dsl.query import Query

from incidentbot.config import Settings
from incidentbot.core.catalog import Catalog
from incidentbot.core.errors import StoreTimeout
from incidentbot.core.evidence import EvidenceLine, Histogram, LogEvidence, Onset, Pattern, QueryRecord
from incidentbot.core.intent import Intent
from incidentbot.core.mask import mask_secrets
from incidentbot.core.timeutil import iso
from incidentbot.evidence import interpret as ri
from incidentbot.evidence.onset import onset_in_data
from incidentbot.evidence.patterns import mine_patterns
from incidentbot.evidence.plan import Ranges, SearchPlan, plan_ranges
from incidentbot.evidence.precursors import precursor_patterns, precursor_ranges
from incidentbot.gateway import ReadOnlyGateway
from incidentbot.query import compile as qc
from incidentbot.query.kibana import discover_url
from incidentbot.core.fields import FieldMap

ONSET_LEAD = timedelta(minutes=15)
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

    @property
    def timeout(self) -> str:
        return self.settings.search_timeout


@dataclass
class Rates:
    """Round 1's findings."""

    histogram: Histogram
    onset: Onset | None
    risen: list[str]
    rates: dict[str, tuple[float, float]]
    asked_body: dict[str, Any]
    all_body: dict[str, Any]


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
    fm, r = job.fm, job.ranges
    signal = qc.symptom_query(intent, fm, services=[], default_to_errors=True)
    scope = qc.services_filter(fm, intent.services) or Q("match_all")
    plan = SearchPlan()
    plan.add("rates", job.index, qc.histogram_search(scope, fm, signal, r.range_start, r.range_end, r.bucket_s,
                                                     job.timeout), "the rate histogram", ri.read_rates)
    plan.add("service_rates", job.index,
             qc.histogram_search(Q("match_all"), fm, qc.error_signal(fm), r.range_start, r.range_end, r.bucket_s,
                                 job.timeout), "the per-service histogram",
             lambda resp: ri.read_rates(resp, per_service=True))
    return plan


def read_rates_round(job: Job, intent: Intent) -> Rates:
    plan = plan_rates(job, intent)
    found = plan.execute(job.gw)
    asked: ri.RateSeries = found["rates"]
    per_service = found["service_rates"].per_service
    r = job.ranges
    onset = onset_in_data(asked.failing, asked.totals, asked.times, r.bucket_s)
    if onset is not None and onset.at < intent.start - MAX_ONSET_LEAD:
        onset = None
    histogram = Histogram(r.range_start, r.bucket_s, asked.times, asked.totals, asked.failing, per_service, "Q2")
    risen, rates = ri.affected_services(per_service, onset, r.bucket_s)
    return Rates(histogram, onset, risen, rates, plan.body("rates"), plan.body("service_rates"))


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

def sample_scope(intent: Intent, fm: FieldMap) -> Query:
    """The lines worth sampling: the symptom, and for an investigation the failing lines nearby."""
    if intent.ask != "investigate":
        return qc.symptom_query(intent, fm)
    asked = intent.services
    asked_symptom = qc.symptom_query(intent, fm, services=asked, default_to_errors=True)
    wide = qc.services_filter(fm, asked + intent.related_services) if asked else None
    wide_errors = Q("bool", filter=[c for c in (wide,) if c is not None] + [qc.error_signal(fm)])
    return Q("bool", should=[asked_symptom, wide_errors], minimum_should_match=1)


def breakdown_fields(fm: FieldMap) -> dict[str, str]:
    return {k: v for k, v in (("service", fm.service), ("version", fm.version), ("host", fm.host),
                              ("path", fm.path)) if v}


def plan_samples(job: Job, intent: Intent, scope: Query, baseline: tuple[datetime, datetime],
                 onset: Onset | None) -> SearchPlan:
    fm, timeout, index = job.fm, job.timeout, job.index
    by = list(breakdown_fields(fm).values())
    half = max(job.settings.sample_size // 2, 5)
    start, end = intent.start, intent.end
    plan = SearchPlan()
    plan.add("main", index, qc.main_search(intent, fm, index, timeout), "the main query", lambda r: r)
    plan.add("first", index, qc.sample_search(scope, fm, start, end, half, timeout, False, by),
             "the window sample", lambda r: r)
    plan.add("last", index, qc.sample_search(scope, fm, start, end, half, timeout, True), "the window sample",
             ri.read_hits)
    plan.add("baseline", index, qc.sample_search(scope, fm, baseline[0], baseline[1], half, timeout, True, by),
             "the baseline sample", lambda r: r)
    scope_services = intent.services + intent.related_services if intent.services else []
    traffic_scope = qc.services_filter(fm, scope_services) or Q("match_all")
    plan.add("traffic", index, qc.sample_search(traffic_scope, fm, start, end, 0, timeout, False, by),
             "the traffic breakdown", ri.read_breakdown)
    pre = precursor_ranges(onset, job.ranges.range_start) if intent.ask == "investigate" and fm.level else None
    if pre is not None:
        warn_scope = Q("bool", filter=[c for c in (qc.services_filter(fm, scope_services),
                                                   qc.levels_filter(fm, ["warn"])) if c is not None])
        plan.add("warn_recent", index, qc.sample_search(warn_scope, fm, pre[0], pre[1], half, timeout, False),
                 "the warnings before the onset", ri.read_hits, required=False)
        plan.add("warn_before", index, qc.sample_search(warn_scope, fm, pre[2], pre[0], half, timeout, True),
                 "the warnings before those", ri.read_hits, required=False)
    return plan


def read_samples_round(job: Job, intent: Intent, baseline: tuple[datetime, datetime],
                       onset: Onset | None) -> Samples:
    scope = sample_scope(intent, job.fm)
    plan = plan_samples(job, intent, scope, baseline, onset)
    found = plan.execute(job.gw)
    main = QueryRecord("Q1", job.index, plan.body("main"), ri.read_total(found["main"]),
                       "the question's filters in its window",
                       kibana_url=discover_url(job.settings.kibana_url, intent, job.fm, job.index))
    first, base = found["first"], found["baseline"]
    window_bd, base_bd = ri.read_breakdown(first), ri.read_breakdown(base)
    return Samples(main=main, groups=ri.read_groups(found["main"]), scope=scope,
                   window_hits=ri.unique_hits(ri.read_hits(first), found["last"]),
                   base_hits=ri.read_hits(base), window_total=window_bd.total, first_body=plan.body("first"),
                   concentrations=ri.concentrations(window_bd, found["traffic"], base_bd,
                                                    breakdown_fields(job.fm)),
                   warn_recent=found.get("warn_recent"), warn_before=found.get("warn_before"))


# -- round 3: pattern probes -------------------------------------------------------------------

@dataclass
class Mined:
    """The sample's templates, the top ones by lines in the window."""

    templates: list[str]
    assignment: list[int | None]
    top: list[int]


def mine_sample(samples: Samples, job: Job) -> Mined:
    hits = samples.window_hits + samples.base_hits
    messages = [ri.message_of(h, job.fm) for h in hits]
    mined, assignment = mine_patterns(messages) if messages else ([], [])
    in_window = [0] * len(mined)
    for a in assignment[:len(samples.window_hits)]:
        if a is not None:
            in_window[a] += 1
    order = sorted((i for i in range(len(mined)) if in_window[i] > 0), key=lambda i: -in_window[i])
    return Mined([p.template for p in mined], list(assignment), order[: job.settings.max_patterns])


def plan_probes(job: Job, intent: Intent, samples: Samples, mined: Mined,
                window: tuple[datetime, datetime], baseline: tuple[datetime, datetime]) -> SearchPlan:
    probe_scope = samples.scope if intent.ask == "investigate" else \
        qc.symptom_query(intent, job.fm, services=intent.services, default_to_errors=False)
    r = job.ranges
    plan = SearchPlan()
    for i in mined.top:
        plan.add(f"probe:{i}", job.index,
                 qc.probe_search(probe_scope, job.fm, mined.templates[i], window, baseline,
                                 job.settings.evidence_per_pattern, job.timeout,
                                 series=(r.range_start, r.range_end, r.bucket_s)),
                 "a pattern probe", ri.read_probe, required=False)
    return plan


def estimate_probe(mined: Mined, samples: Samples, fm: FieldMap, index: int) -> ri.ProbeCounts:
    """A probe's answer built from the sample alone (when the exact probe timed out)."""
    n = len(samples.window_hits)
    members_w = [samples.window_hits[i] for i, a in enumerate(mined.assignment[:n]) if a == index]
    members_b = [samples.base_hits[i] for i, a in enumerate(mined.assignment[n:]) if a == index]
    members_w.sort(key=lambda h: str(ri.source_get(h.get("_source", {}), fm.timestamp)))
    return ri.ProbeCounts(len(members_w), len(members_b), members_w[:5], members_w[-1:], [])


def read_probes_round(job: Job, intent: Intent, samples: Samples, mined: Mined, window: tuple[datetime, datetime],
                      baseline: tuple[datetime, datetime], notes: list[str]) -> dict[int, ri.ProbeCounts | None]:
    plan = plan_probes(job, intent, samples, mined, window, baseline)
    try:
        found = plan.execute(job.gw)
    except StoreTimeout as exc:
        # the exact counts are a refinement: answer with the sample's estimates and say so
        notes.append(f"pattern counts are estimates from a sample of {len(samples.window_hits)} lines: {exc}")
        return {i: estimate_probe(mined, samples, job.fm, i) for i in mined.top}
    return {i: found[f"probe:{i}"] for i in mined.top}


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
        services = sorted({str(ri.source_get(h.get("_source", {}), job.fm.service)) for h in members})
        cited.patterns.append(Pattern(pid, mask_secrets(template), len(members), 0, True,
                                      ri.hit_time(members[0], job.fm), ri.hit_time(members[-1], job.fm),
                                      services, 0.0, ev_ids, precursor=True))


# -- the whole -----------------------------------------------------------------------------------

def collect_evidence(gw: ReadOnlyGateway, fm: FieldMap, intent: Intent, settings: Settings,
                     catalog: Catalog, index: str) -> tuple[Intent, LogEvidence]:
    """Run the three rounds and turn their answers into typed findings (and the final intent)."""
    job = Job(gw, fm, settings, index, plan_ranges(intent))
    rates = read_rates_round(job, intent)
    intent = settle_intent(intent, rates, catalog)
    window = (intent.start, intent.end)
    baseline = baseline_of(intent, rates.onset, job.ranges)
    samples = read_samples_round(job, intent, baseline, rates.onset)
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
    evidence = LogEvidence(samples.main, h, rates.onset, rates.risen, rates.rates, cited.patterns, cited.lines,
                           samples.concentrations, queries, baseline, breakdown=samples.groups)
    if notes:
        intent = intent.model_copy(update={"notes": [*intent.notes, *notes]})
    return intent, evidence
