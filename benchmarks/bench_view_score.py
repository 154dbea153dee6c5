"""The view check's sagittal score against the true camera yaw (renders + real MediaPipe).

Reads the 2D results that ``benchmarks/bench_classify_degradation.py`` caches for its yaw grid
(rendered backward bends of held-out synthetic subjects, side camera at a FIXED yaw off the pure
side view, MediaPipe on every frame; one ``*_yaw<deg>/NNNN_kp.npz`` per subject) and prints,
per yaw, the distribution of ``estimate_view``'s score recomputed from the stored landmarks and
how often each cut of ``humanmovenet.pose2d.view`` fires.

    python benchmarks/bench_classify_degradation.py   # renders the yaw grid (once, cached)
    python benchmarks/bench_view_score.py

Writes ``benchmarks/results/bench_view_score.json``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from humanmovenet.io.arrays import load_keypoints
from humanmovenet.pose2d.view import OBLIQUE_VIEW_SCORE, SIDE_VIEW_MIN_SCORE, estimate_view

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", type=Path,
                    default=Path.home() / ".cache" / "humanmovenet" / "bench_classify_degradation")  # fmt: skip
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_view_score.json"
    )
    args = ap.parse_args()
    folders = sorted(
        args.cache_dir.glob("*_yaw*"), key=lambda p: float(re.sub(r".*_yaw", "", p.name))
    )
    if not folders:
        raise SystemExit(f"no *_yaw<deg> folders under {args.cache_dir}: run "
                         "benchmarks/bench_classify_degradation.py first.")  # fmt: skip
    rows = []
    print(f"{'yaw':>5} {'n':>3} {'median':>7} {'min':>6} {'max':>6} "
          f"{'<' + str(OBLIQUE_VIEW_SCORE):>7} {'<' + str(SIDE_VIEW_MIN_SCORE):>7}")  # fmt: skip
    for folder in folders:
        yaw = float(re.sub(r".*_yaw", "", folder.name))
        scores = []
        for path in sorted(folder.glob("*_kp.npz")):
            kp = load_keypoints(path)
            scores.append(estimate_view(kp.data[kp.detected]).sagittal_score)
        s = np.asarray(scores)
        if s.size == 0:
            continue
        row = {"yaw_deg": yaw, "n": int(s.size), "median": float(np.median(s)),
               "min": float(s.min()), "max": float(s.max()),
               "frac_oblique_or_worse": float(np.mean(s < OBLIQUE_VIEW_SCORE)),
               "frac_not_side": float(np.mean(s < SIDE_VIEW_MIN_SCORE))}  # fmt: skip
        rows.append(row)
        print(f"{yaw:5.0f} {row['n']:3d} {row['median']:7.2f} {row['min']:6.2f} {row['max']:6.2f} "
              f"{row['frac_oblique_or_worse']:7.0%} {row['frac_not_side']:7.0%}")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cuts": {"oblique_below": OBLIQUE_VIEW_SCORE,
                                             "not_side_below": SIDE_VIEW_MIN_SCORE},
                                    "rows": rows}, indent=2))  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
