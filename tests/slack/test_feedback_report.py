"""bench/feedback_report.py on an export written from real Feedback objects: the figures a team would read."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from incidentbot.core.feedback import NONE_OF_THESE, Feedback, MemoryFeedbackSink

ROOT = Path(__file__).resolve().parents[2]


def test_feedback_report_counts_votes_causes_and_ranking_hits(tmp_path):
    sink = MemoryFeedbackSink()
    mon = datetime(2026, 3, 16, 10, tzinfo=timezone.utc)  # ISO week 12
    nxt = datetime(2026, 3, 23, 10, tzinfo=timezone.utc)  # ISO week 13
    sink.record_feedback(Feedback("inv1", "U1", helpful=False, at=mon))
    sink.record_feedback(Feedback("inv1", "U1", helpful=True, at=mon.replace(minute=5)))  # changed their mind
    sink.record_feedback(Feedback("inv1", "U2", helpful=False, at=mon))
    sink.record_feedback(Feedback("inv1", "U1", cause_change_id="deploy-2", at=mon))
    sink.record_feedback(Feedback("inv2", "U1", cause_change_id="cfg-9", at=mon))
    sink.record_feedback(Feedback("inv3", "U3", cause_change_id=NONE_OF_THESE, helpful=None, at=nxt))
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text("\n".join(json.dumps(f.to_json()) for f in sink.all()) + "\nnot json\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("\n".join(json.dumps(a) for a in [
        {"investigation_id": "inv1", "suspects": [{"change_id": "deploy-2"}, {"change_id": "x"}]},
        {"investigation_id": "inv2", "suspects": [{"change_id": "a"}, {"change_id": "b"}, {"change_id": "cfg-9"}]},
        {"investigation_id": "inv3", "suspects": []}]))
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "feedback_report.py"), str(feedback),
                          "--answers", str(answers)], capture_output=True, text=True, check=True)
    rows = {line.split()[0]: line.split() for line in run.stdout.splitlines()[1:]}
    # week 12: 2 answers, 2 votes (U1's last is helpful), 2 causes, 0 none, top-1 1 of 2, top-3 2 of 2
    assert rows["2026-W12"] == ["2026-W12", "2", "2", "50.0%", "2", "0.0%", "50.0%", "100.0%"]
    assert rows["2026-W13"] == ["2026-W13", "1", "0", "-", "1", "100.0%", "0.0%", "0.0%"]
    assert "skipped, not JSON" in run.stderr
