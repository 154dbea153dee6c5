"""Regenerate the example pictures of docs/visualisation.md.

Usage::

    python -m humanmovenet.viz.examples --out docs/img [--report /tmp/report.html]
        [--analysis ANALYSIS_DIR] [--screenshot]

Without ``--analysis`` the data is a synthetic forward bend and a synthetic backward bend
(exact ground-truth spine of the shipped body, ``synth``), 10 frames/s. With ``--analysis`` the
report is written for that saved :class:`~humanmovenet.pipeline.Analysis`. ``--screenshot``
opens the report in headless Chromium and saves ``report_example.png``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..biomech import compute_metrics


def synthetic_bend(movement: str, seed: int = 3):
    """(spine, metrics) of a synthetic bend of the shipped body (ground truth, no noise)."""
    from ..synth.motion import generate_motion
    from ..synth.sequence import pose_sequence
    from ..synth.spine_truth import ground_truth_spine
    from ..synth.subject import sample_subject

    subject = sample_subject(seed, phenotype="neither")
    motion = generate_motion(subject, movement, seed, fps=10.0, duration_s=2.0, hold_s=0.5)
    spine = ground_truth_spine(pose_sequence(subject, motion))
    return spine, compute_metrics(spine, n_bootstrap=50)


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 1500) -> Path:
    """Screenshot of a page in headless Chromium (offline flags)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium).")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
               f"--window-size={width},{height}", "--virtual-time-budget=3000",
               f"--screenshot={png}", Path(html).absolute().as_uri()]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return png


def main(argv: list[str] | None = None) -> None:
    from . import plot_angles, plot_spine_phases, write_report

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/img", help="folder for the PNGs")
    ap.add_argument("--report", default=None, help="also write the HTML report here")
    ap.add_argument("--analysis", default=None, help="saved Analysis folder for the report")
    ap.add_argument("--screenshot", action="store_true", help="screenshot the report")
    args = ap.parse_args(argv)
    out = Path(args.out)
    fwd = synthetic_bend("forward_bend")
    bwd = synthetic_bend("backward_bend")
    for name, (spine, metrics) in (("forward_bend", fwd), ("backward_bend", bwd)):
        print(plot_angles((spine, metrics), out / f"angles_{name}.png"))
        print(plot_spine_phases(spine, metrics, out / f"spine_phases_{name}.png"))
    if args.report:
        if args.analysis:
            from ..pipeline import Analysis

            data = Analysis.load(args.analysis)
        else:
            data = fwd
        html = write_report(data, args.report)
        print(html, html.stat().st_size, "bytes")
        if args.screenshot:
            print(screenshot(html, out / "report_example.png"))


if __name__ == "__main__":
    main()
