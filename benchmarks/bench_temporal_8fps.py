"""The GCN+LSTM at 8 fps: per-frame regressor output vs the temporal model on held-out clips.

Run: ``python benchmarks/bench_temporal_8fps.py`` after
``python -m humanmovenet.train.train_temporal --build-real-pairs`` (which writes
``benchmarks/results/temporal_real_pairs.npz``: the shipped regressor's per-frame angles on the
8 fps renders of the classifier's training subjects, with their true angles). Only the 30 clips
of subjects i % 10 = 9 are scored: ``train_temporal`` holds them out of training (its
validation loss). Change-from-standing MAE over the moving frames (each series' mean error over
the true standing frames removed), and the paired per-clip difference with a bootstrap CI. This
measurement set ``reconstruct.fuse.MIN_TEMPORAL_FPS`` to 8.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from humanmovenet.reconstruct.fit import ANGLE_NAMES
from humanmovenet.reconstruct.temporal import smooth_angles

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("pelvis", "lumbar", "hip")


def clip_errors(estimate, truth, standing) -> list[float]:
    """Pelvis, lumbar and mean hip change-from-standing MAE (degrees) over the moving frames."""
    err = estimate - truth
    ok = standing & np.isfinite(err).all(1)
    err = err - err[ok].mean(0)
    e = np.degrees(np.abs(err[~standing & np.isfinite(err).all(1)]))
    hips = [ANGLE_NAMES.index("hip_flexion_left"), ANGLE_NAMES.index("hip_flexion_right")]
    return [float(e[:, ANGLE_NAMES.index("pelvis_tilt")].mean()),
            float(e[:, ANGLE_NAMES.index("lumbar_flexion")].mean()), float(e[:, hips].mean())]  # fmt: skip


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--pairs", type=Path, default=ROOT / "benchmarks/results/temporal_real_pairs.npz"
    )
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/bench_temporal_8fps.json"
    )
    args = ap.parse_args()
    z = np.load(args.pairs, allow_pickle=False)
    keys = sorted({k.split("/")[0] for k in z.keys()}, key=int)
    rows: dict[str, list] = {"per_frame": [], "gcn_lstm": []}
    for k in keys:
        if int(z[f"{k}/index"]) % 10 != 9:  # train_temporal's held-out subjects only
            continue
        est, truth, standing = z[f"{k}/estimate"], z[f"{k}/truth"], z[f"{k}/standing"]
        smooth = smooth_angles(est, z[f"{k}/confidence"], float(z[f"{k}/fps"]))
        rows["per_frame"].append(clip_errors(est, truth, standing))
        rows["gcn_lstm"].append(clip_errors(smooth, truth, standing))
    d = np.array(rows["gcn_lstm"]) - np.array(rows["per_frame"])
    rng = np.random.default_rng(0)
    boot = np.array([d[rng.integers(0, len(d), len(d))].mean(0) for _ in range(2000)])
    lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
    mae = {n: dict(zip(COLUMNS, np.mean(r, 0).round(3).tolist(), strict=True))
           for n, r in rows.items()}  # fmt: skip
    paired = {c: [round(float(m), 3), round(float(a), 3), round(float(b), 3)]
              for c, m, a, b in zip(COLUMNS, d.mean(0), lo, hi, strict=True)}  # fmt: skip
    report = {"clips": len(d), "fps": 8, "mae_deg": mae, "paired_gcn_minus_per_frame": paired}
    print(json.dumps(report, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
