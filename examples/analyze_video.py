"""Analyse one side-view video and save everything: the library's main use in a few lines.

    python examples/analyze_video.py [VIDEO] [--out DIR]

Without VIDEO it analyses the shipped real walking clip. Prints the metrics with units and
uncertainties and the quality flags, saves the analysis folder (re-loadable with
``Analysis.load``), the metrics as CSV, and the HTML report.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=None, help="a side-view video (default: demo clip)")
    ap.add_argument("--out", type=Path, default=Path("example_analysis"))
    args = ap.parse_args(argv)

    import humanmovenet
    from humanmovenet._paths import resolve_weight
    from humanmovenet.io import save_metrics_csv  # (Analysis.save writes it too)
    from humanmovenet.viz import write_report

    video = args.video or resolve_weight("demo_walk_1280x720.mp4", what="demo walking clip")
    analysis = humanmovenet.analyze(video)  # MediaPipe → reconstruction → spine → metrics
    print(analysis.summary())  # metrics with units, ± uncertainty, normal ranges, flags

    analysis.save(args.out / "analysis")  # humanmovenet.Analysis.load(...) reads it back
    save_metrics_csv(args.out / "metrics.csv", analysis.metrics)
    write_report(analysis, args.out / "report.html")  # one self-contained offline page
    back = humanmovenet.Analysis.load(args.out / "analysis")
    assert back.metrics.movement == analysis.metrics.movement
    print(f"wrote {args.out}/analysis, metrics.csv, report.html")


if __name__ == "__main__":
    main()
