"""The runnable examples in examples/ run as a user would run them (real code path, real files)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, *args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_synthetic_bend_metrics_example(tmp_path):
    out = _run("synthetic_bend_metrics.py", "--out", "o", cwd=tmp_path)
    assert "lumbar_rom" in out and "built with" in out
    with open(tmp_path / "o" / "metrics.csv", newline="") as f:
        rows = {r["metric"]: r for r in csv.DictReader(f)}
    assert float(rows["lumbar_rom"]["value"]) > 10.0
    assert (tmp_path / "o" / "spine.png").stat().st_size > 10_000


def test_analyze_video_example_on_the_shipped_clip(tmp_path):
    pytest.importorskip("mediapipe")
    out = _run("analyze_video.py", "--out", "o", cwd=tmp_path)
    assert "lumbar" in out
    for name in ("analysis/analysis.json", "analysis/metrics.csv", "metrics.csv", "report.html"):
        assert (tmp_path / "o" / name).is_file(), name
