"""Is the FP / EP lumbar : hip split observable from the rendered side view? (training subjects)

Issue #6 asks for ≥ 95 % FP vs EP from a reconstructed backward bend. On ground-truth spines
the strongest sign is how the bend is shared between lumbar spine and hips; on reconstructed
spines every measure of that split correlates with the truth at |r| ≲ 0.3
(``train_classifier_video``'s feature and candidate tables). This benchmark asks two further
questions on the TRAINING subjects of ``train_classifier_video`` only (seed 7000; the held-out
subjects are not touched):

1. **Ceiling without the split.** 5-fold CV (3 fold assignments, ``cv_scores``) of the
   logistic model on the ground-truth spines with every scalar, on the ground-truth spines
   without the split features (lumbar : hip ratios, hip contribution; forward bend: also
   thoracic ROM, as the video model leaves it out), and on the reconstructed spines without
   them. The second row is what perfectly measured non-split features could give.
2. **Is the split in the 2D inputs at all?** Image-space measures straight from the cached
   MediaPipe landmarks and silhouettes, change from standing to the peak of the bend (the
   ground truth's standing frames and peak frame, ±1 frame — an optimistic timing): the back
   contour's lumbar hollow and lower / upper back tangent angles and their difference
   (``reconstruct.contour.contour_features``), and the lean of trunk (hip → shoulder), thigh
   (knee → hip), shank (ankle → knee) and the trunk–thigh angle. Per measure: correlation with
   the true Δlumbar, Δhip and lumbar share Δlumbar / (Δlumbar + Δhip), FP-vs-EP Cohen's d;
   and a ridge regression of the true lumbar share on all eight measures (5-fold CV R²).
3. **Do the candidates or the trajectories add anything?** On the reconstructed spines: the
   sequence model (trajectories + preserved scalars) in the same CV as the logistic model; the
   logistic model with the standing lordosis taken from ``DynamicSpine.morphology`` instead of
   the metric; and each ``classify.features.CANDIDATE_FEATURES`` added, one at a time and all together, to the
   preserved scalars of a binary FP-vs-EP logistic regression (standardised, L2 penalty 1,
   Newton; FP and EP subjects; 5-fold CV, 3 fold assignments; undefined values → the mean).

    python benchmarks/bench_classify_observability.py          # ≈ 2–3 min once spines are cached

Writes ``benchmarks/results/bench_classify_observability.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from humanmovenet import classify
from humanmovenet.types import PHENOTYPE_LABELS

MEASURES = ("lumbar_hollow", "lower_back_angle", "upper_back_angle", "back_angle_difference",
            "trunk_lean", "thigh_lean", "shank_lean", "trunk_thigh_angle")  # fmt: skip
SPLIT = ("lumbar_hip_ratio", "lumbar_hip_ratio_early", "hip_contribution")


def _d(x: np.ndarray, y: np.ndarray) -> float:
    a, b = x[(y == 0) & np.isfinite(x)], x[(y == 1) & np.isfinite(x)]
    sd = np.sqrt((a.var() + b.var()) / 2)
    return float((a.mean() - b.mean()) / sd) if sd > 0 else float("nan")


def _r(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 else float("nan")


def image_measures(kp, sil, truth_spine, movement: str) -> tuple[np.ndarray, float, float]:
    """Change (standing → peak ±1 frame) of the eight image measures, and the true Δlumbar,
    Δhip (degrees) at the peak. Shapes: → (8,), float, float."""
    from humanmovenet.biomech import compute_metrics
    from humanmovenet.reconstruct.contour import (
        contour_features,
        extract_back_contour,
        facing_sign,
    )

    m = compute_metrics(truth_spine, movement=movement, n_bootstrap=0)
    standing = np.asarray(m.phase) == 0
    trunk = np.asarray(m.trunk_inclination)
    peak = int(np.argmax(np.abs(trunk - np.median(trunk[standing]))))
    cf = contour_features(extract_back_contour(sil, kp))[:, -4:]
    sign = facing_sign(kp)
    xy = kp.xy.astype(np.float64)

    def mid(a: str, b: str) -> np.ndarray:
        return (xy[:, kp.index(a)] + xy[:, kp.index(b)]) / 2

    sh, hp = mid("left_shoulder", "right_shoulder"), mid("left_hip", "right_hip")
    kn, an = mid("left_knee", "right_knee"), mid("left_ankle", "right_ankle")

    def lean(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:  # from vertical, + = facing way
        v = hi - lo
        return np.arctan2(sign * v[:, 0], -v[:, 1])

    tr, th, sk = lean(hp, sh), lean(kn, hp), lean(an, kn)
    feats = np.column_stack([cf, tr, th, sk, tr - th])
    lo, hi = max(peak - 1, 0), min(peak + 2, feats.shape[0])
    with warnings.catch_warnings():  # a contour hidden in every frame of a window → NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        delta = np.nanmedian(feats[lo:hi], axis=0) - np.nanmedian(feats[standing], axis=0)

    def dtrue(x: np.ndarray) -> float:
        x = np.asarray(x)
        return float(np.degrees(x[peak] - np.median(x[standing])))

    return delta, dtrue(m.lumbar_angle), dtrue(m.hip_flexion)


def _ridge_cv_r2(x: np.ndarray, t: np.ndarray, lam: float = 10.0, folds: int = 5) -> float:
    ok = np.isfinite(x).all(1) & np.isfinite(t)
    x, t = x[ok], t[ok]
    fold = np.random.default_rng(0).permutation(len(t)) % folds
    pred = np.empty_like(t)
    for f in range(folds):
        tr, te = fold != f, fold == f
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-12
        z = (x[tr] - mu) / sd
        w = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ (t[tr] - t[tr].mean()))
        pred[te] = t[tr].mean() + ((x[te] - mu) / sd) @ w
    return float(1 - np.sum((t - pred) ** 2) / np.sum((t - t.mean()) ** 2))


def _binary_logistic_cv(x: np.ndarray, y: np.ndarray, lam: float = 1.0, folds: int = 5,
                        seeds: int = 3) -> float:  # fmt: skip
    """Mean CV accuracy of an L2 logistic regression (Newton) of y ∈ {0, 1} on x."""
    x = np.where(np.isfinite(x), x, np.nanmean(x, axis=0))
    accs = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        fold = np.empty(len(y), dtype=int)
        for c in (0, 1):
            idx = rng.permutation(np.flatnonzero(y == c))
            fold[idx] = np.arange(idx.size) % folds
        correct = 0
        for f in range(folds):
            tr, te = fold != f, fold == f
            mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-12
            z = np.column_stack([np.ones(tr.sum()), (x[tr] - mu) / sd])
            w = np.zeros(z.shape[1])
            pen = lam * np.eye(z.shape[1])
            pen[0, 0] = 0.0
            for _ in range(50):
                p = 1 / (1 + np.exp(-z @ w))
                step = np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]) + pen,
                                       z.T @ (p - y[tr]) + pen @ w)  # fmt: skip
                w -= step
                if np.abs(step).max() < 1e-8:
                    break
            zt = np.column_stack([np.ones(te.sum()), (x[te] - mu) / sd])
            correct += int(((zt @ w > 0).astype(int) == y[te]).sum())
        accs.append(correct / len(y))
    return float(np.mean(accs))


def main(argv: list[str] | None = None) -> dict:
    from humanmovenet.classify.features import (
        CANDIDATE_FEATURES,
        SCALAR_FEATURES,
        candidate_features,
    )
    from humanmovenet.io.arrays import load_keypoints, load_silhouettes
    from humanmovenet.train.train_classifier_video import (
        DEFAULT_CACHE,
        MOVEMENTS,
        build,
        cv_scores,
        reconstruction_key,
    )

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=150)
    ap.add_argument("--seed", type=int, default=7000, help="train_classifier_video's training seed")
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--json", type=Path,
                    default=Path("benchmarks/results/bench_classify_observability.json"))  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    recon, truth, _ = build("train", args.seed, args.n_train, fps=args.fps, size=args.size,
                            cache=args.cache_dir, progress=False)  # fmt: skip
    twod = args.cache_dir / f"train_seed{args.seed}_fps{args.fps:g}_s{args.size}"
    y = np.array([PHENOTYPE_LABELS.index(s.label) for s in recon])
    rec_t, tru_t = classify.extract_features(recon), classify.extract_features(truth)
    report: dict = {"n_train": len(recon), "seed": args.seed,
                    "reconstruction_key": reconstruction_key("learned")["key"],
                    "ceiling_cv": {}, "image_measures": {}}  # fmt: skip
    for mv in MOVEMENTS:
        split = list(SPLIT) + (["thoracic_rom"] if mv == "forward_bend" else [])
        rows = {
            "truth, every scalar": cv_scores(tru_t, mv, "logistic", {}),
            "truth, without the split features": cv_scores(tru_t, mv, "logistic",
                                                           {"exclude": split}),
            "reconstruction, without the split features": cv_scores(rec_t, mv, "logistic",
                                                                    {"exclude": split}),
        }  # fmt: skip
        rows["reconstruction, sequence model, without the split features"] = cv_scores(
            rec_t, mv, "sequence", {"exclude": split}
        )
        # Standing lordosis from the spine's morphology (the static estimate) instead of the
        # metric on the posed standing frames (the two agree on exact spines).
        j = [f.key for f in SCALAR_FEATURES[mv]].index("standing_lumbar_lordosis")
        swapped = rec_t.scalars[mv].copy()
        swapped[:, j] = [s.spines[mv].morphology.lumbar_lordosis_deg for s in recon]
        rec_m = dataclasses.replace(rec_t, scalars={**rec_t.scalars, mv: swapped})
        rows["reconstruction, without the split, lordosis from the morphology"] = cv_scores(
            rec_m, mv, "logistic", {"exclude": split}
        )
        report["ceiling_cv"][mv] = rows
        print(f"{mv}: 5-fold CV (3 seeds), training subjects n={len(recon)}")
        for k, v in rows.items():
            print(f"  {k:64s} FP vs EP {v['fp_vs_ep']:.3f}   3-class {v['accuracy']:.3f}")
        keys = [f.key for f in SCALAR_FEATURES[mv]]
        base = rec_t.scalars[mv][:, [j for j, k in enumerate(keys) if k not in split]]
        cand = np.array([[c[k] for k in CANDIDATE_FEATURES]
                         for c in (candidate_features(s.spines[mv], mv) for s in recon)])  # fmt: skip
        fpep = y < 2
        added = {"(preserved scalars only)": _binary_logistic_cv(base[fpep], y[fpep])}
        for j, k in enumerate(CANDIDATE_FEATURES):
            added[k] = _binary_logistic_cv(np.column_stack([base, cand[:, j]])[fpep], y[fpep])
        added["(all candidates)"] = _binary_logistic_cv(np.column_stack([base, cand])[fpep],
                                                        y[fpep])  # fmt: skip
        report.setdefault("candidates_added_cv_fp_vs_ep", {})[mv] = added
        print("  binary FP-vs-EP logistic CV on the reconstruction, preserved scalars + candidate:")
        for k, v in added.items():
            print(f"    {k:30s} {v:.3f}")
        deltas, dl, dh = [], [], []
        for s_rec, s_tru in zip(recon, truth, strict=True):
            i = int(s_rec.subject.removeprefix("train"))
            kp = load_keypoints(twod / f"{i:04d}_{mv}_kp.npz")
            sil = load_silhouettes(twod / f"{i:04d}_{mv}_sil.npz")
            delta, a, b = image_measures(kp, sil, s_tru.spines[mv], mv)
            deltas.append(delta)
            dl.append(a)
            dh.append(b)
        x, dl, dh = np.array(deltas), np.array(dl), np.array(dh)
        share = dl / (dl + dh)
        table = []
        for j, name in enumerate(MEASURES):
            table.append({"measure": name, "r_dlumbar": _r(x[:, j], dl), "r_dhip": _r(x[:, j], dh),
                          "r_lumbar_share": _r(x[:, j], share), "d_fp_ep": _d(x[:, j], y)})  # fmt: skip
        r2 = _ridge_cv_r2(x, share)
        report["image_measures"][mv] = {"measures": table, "lumbar_share_d_fp_ep_truth":
                                        _d(share, y), "ridge_cv_r2_lumbar_share": r2}  # fmt: skip
        print(f"  image measures (change standing → peak) vs the truth; true lumbar share "
              f"FP-vs-EP d {_d(share, y):+.2f}")  # fmt: skip
        for row in table:
            print(f"    {row['measure']:22s} r(Δlumbar) {row['r_dlumbar']:+.2f}  r(Δhip) "
                  f"{row['r_dhip']:+.2f}  r(lumbar share) {row['r_lumbar_share']:+.2f}  "
                  f"d {row['d_fp_ep']:+.2f}")  # fmt: skip
        print(f"    ridge (penalty 10, standardised) on all eight → true lumbar share: 5-fold CV "
              f"R² {r2:+.2f} on {int(np.isfinite(x).all(1).sum())} subjects")  # fmt: skip
    report["seconds"] = round(time.time() - t0, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"{report['seconds']:.0f} s; report: {args.json}")
    return report


if __name__ == "__main__":
    main()
