"""A picture of the incident: the failing-line rate with the onset and the suspect changes marked.

Responders read a graph faster than a paragraph. The chart is drawn from the
evidence alone (the answer's histogram and the top new pattern's per-bucket
counts, which the pattern probe already fetched): rendering does no I/O.
Colours are the Okabe-Ito palette (colour-blind safe); times are UTC; the
size fits Slack's preview (800x320).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from incidentbot.core.answer import Answer  # noqa: E402
from incidentbot.core.evidence import human_ms  # noqa: E402

ORANGE, SKY, GREEN, VERMILLION, BLUE, GREY = "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#999999"
SIZE_IN = (8.0, 3.2)
DPI = 100


@dataclass
class ChartData:
    """What the chart draws, in plain values (tests read these, not pixels)."""

    title: str
    times: list[datetime]
    failing: list[int]
    totals: list[int]
    bucket_s: int
    onset: datetime | None = None
    pattern_label: str | None = None
    pattern_counts: list[int] | None = None
    changes: list[tuple[datetime, str]] = field(default_factory=list)
    # a latency question: p95 per bucket (ms) drawn as the line, the bars are requests slower than the line
    p95_ms: list[float | None] | None = None
    slow_label: str | None = None


def chart_data(answer: Answer) -> ChartData:
    """The chart's values, all from the answer's evidence."""
    ev = answer.evidence
    h = ev.histogram
    intent = answer.intent
    scope = ", ".join(intent.services) or "all services"
    what = "failing lines" if intent.ask == "investigate" else "matching lines"
    title = f"{what} per {h.bucket_s // 60 or 1} min in {scope} (UTC)" if h else what
    data = ChartData(title, list(h.times) if h else [], list(h.failing) if h else [], list(h.totals) if h else [],
                     h.bucket_s if h else 60, ev.onset.at if ev.onset else None)
    data.changes = [(s.change.timestamp, f"{s.change.id} ({s.change.kind})") for s in answer.suspects[:3]]
    lat = ev.latency
    if lat is not None and lat.p95 and h is not None:
        data.p95_ms = list(lat.p95)[: len(data.times)]
        data.title = f"p95 latency and slow requests per {h.bucket_s // 60 or 1} min in {scope} (UTC)"
        data.slow_label = f"slower than {human_ms(lat.threshold_ms)}" if lat.threshold_ms else "slow"
    top = next((p for p in ev.patterns if p.new), None)
    counts = (top.series or [])[: len(data.times)] if top is not None else []
    if top is not None and counts and counts != data.failing[: len(counts)]:
        data.pattern_counts = counts + [0] * (len(data.times) - len(counts))
        data.pattern_label = f"[{top.id}] {top.template[:50]}"
    return data


def build_figure(data: ChartData) -> Figure:
    """The figure object (not yet rendered): failing rate, total rate on a second scale, markers."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    width = data.bucket_s / 86400 * 0.9
    ax.bar(data.times, data.failing, width=width, color=VERMILLION, label=data.slow_label or "failing",
           align="edge", gid="failing")
    if data.pattern_counts is not None:
        ax.plot(data.times, data.pattern_counts, color=BLUE, linewidth=1.5, label=data.pattern_label, gid="pattern")
    ax.set_ylabel("slow requests / bucket" if data.p95_ms is not None else "failing / bucket", fontsize=8)
    twin = ax.twinx()
    if data.p95_ms is not None:  # the symptom is latency: its p95 is the line to read
        points = [(t, v) for t, v in zip(data.times, data.p95_ms) if v is not None]
        twin.plot([t for t, _ in points], [v for _, v in points], color=BLUE, linewidth=1.5, label="p95 (ms)",
                  gid="p95")
        twin.set_ylabel("p95 ms", fontsize=8, color=BLUE)
        twin.tick_params(axis="y", labelsize=7, colors=BLUE)
    else:
        twin.plot(data.times, data.totals, color=GREY, linewidth=1, label="all lines", gid="totals")
        twin.set_ylabel("all lines / bucket", fontsize=8, color=GREY)
        twin.tick_params(axis="y", labelsize=7, colors=GREY)
    ax.set_zorder(twin.get_zorder() + 1)  # failing bars and markers above the total line
    ax.patch.set_visible(False)
    if data.onset is not None:
        ax.axvline(data.onset, color=ORANGE, linewidth=2, linestyle="-", gid="onset")
        ax.text(data.onset, 0.98, " onset " + data.onset.strftime("%H:%M"), transform=ax.get_xaxis_transform(),
                rotation=90, va="top", ha="left", fontsize=7, color=ORANGE)
    for i, (when, label) in enumerate(data.changes):
        ax.axvline(when, color=GREEN if i == 0 else SKY, linewidth=1.5, linestyle="--", gid=f"change:{label}")
        ax.text(when, 0.98, label + " ", transform=ax.get_xaxis_transform(), rotation=90, va="top", ha="right",
                fontsize=7, color=GREEN if i == 0 else BLUE)
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.tick_params(axis="both", labelsize=7)
    ax.set_title(data.title, fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    if handles:
        ax.legend(handles + h2, labels + l2, fontsize=7, loc="upper left", frameon=True, framealpha=0.8)
    fig.tight_layout()
    return fig


def render_png(data: ChartData) -> bytes:
    buf = io.BytesIO()
    build_figure(data).savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
