"""The incident chart: size, and the drawn data puts the onset and each suspect at the right times."""
from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone

from matplotlib.dates import date2num

from incidentbot.config import settings_from
from incidentbot.pipeline import Runtime, investigate
from incidentbot.render.chart import ChartData, build_figure, chart_data, render_png
from incidentbot.render.sparkline import sparkline


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def _vlines(fig) -> dict[str, float]:
    ax = fig.axes[0]
    out = {}
    for line in ax.get_lines():
        gid = line.get_gid()
        if gid and (gid == "onset" or gid.startswith("change:")):
            x = line.get_xdata()[0]
            out[gid] = x if isinstance(x, float) else date2num(x)
    return out


def test_fixture_chart_marks_onset_and_suspects(scenarios, es_url) -> None:
    sc = scenarios["orders-inventory-deploy"]
    settings = settings_from(env={}, es_url=es_url, logs_index=sc.logs_index, changes_index=sc.changes_index,
                             catalog_path=str(sc.catalog_path), at=sc.now)
    rt = Runtime.create(settings, env={})
    answer = investigate(sc.questions[0]["ask"], rt)
    before = len(rt.gateway.requests.records)
    data = chart_data(answer)
    assert len(rt.gateway.requests.records) == before, "the chart is drawn from the evidence: no request"
    fig = build_figure(data)
    lines = _vlines(fig)
    assert abs(lines["onset"] - date2num(answer.evidence.onset.at)) < 1e-9
    for s in answer.suspects[:3]:
        key = f"change:{s.change.id} ({s.change.kind})"
        assert abs(lines[key] - date2num(s.change.timestamp)) < 1e-9
    assert sum(data.failing) == sum(answer.evidence.histogram.failing)
    top = next(p for p in answer.evidence.patterns if p.new)
    assert top.series is not None and len(top.series) == len(data.times)
    # the probe's per-bucket counts hold the pattern's lines (the window's, and any before it) from its first one
    assert sum(top.series) >= 0.95 * (top.count + top.baseline_count)
    if top.baseline_count == 0:  # nothing before the window: the first counted bucket holds its first line
        first = next(i for i, n in enumerate(top.series) if n)
        seen = datetime.fromisoformat(top.first_seen.replace("Z", "+00:00"))
        assert data.times[first] <= seen < data.times[first] + timedelta(seconds=data.bucket_s)
    assert data.pattern_counts == top.series
    assert _png_size(render_png(data)) == (800, 320)


def test_chart_without_onset_or_suspects() -> None:
    t0 = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    data = ChartData("quiet", [t0 + timedelta(minutes=i) for i in range(60)], [1] * 60, [10] * 60, 60)
    fig = build_figure(data)
    assert _vlines(fig) == {}
    bars = [p.get_height() for p in fig.axes[0].patches]
    assert bars == [1] * 60
    assert _png_size(render_png(data)) == (800, 320)


def test_sparkline_marks_the_onset() -> None:
    line = sparkline([0, 0, 0, 0, 8, 8, 8, 8], mark=4)
    assert line == "    |████"
