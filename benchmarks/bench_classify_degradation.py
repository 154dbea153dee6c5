"""How the shipped video-trained backward-bend classifier degrades with camera yaw and 2D noise.

Held-out rendered subjects (balanced FP / EP / neither; seed 7001 = the held-out subjects of
``train_classifier_video``, never seen in training) each do one backward bend, rendered (VTK,
clothes, background, light) from a side camera whose yaw off the pure side view is FIXED per
cell (sign random per subject, pitch / roll / distance / framing drawn as in
``synth.camera.sample_side_camera``), run through real MediaPipe and
``reconstruct.reconstruct_spine`` (learned path), and classified by
``classify.load_shipped(movement="backward_bend")``.

Two sweeps (one factor at a time):

* **yaw**: 0, 15, 30, 45° (the classifier was trained on yaw uniform in ±30°);
* **landmark noise** at yaw 0: Gaussian noise with standard deviation 0, 1, 2, 4 % of the
  person's body height in the image (vertical extent of the landmarks in the first, standing
  frame) added independently to x and y of every MediaPipe keypoint of every frame before the
  reconstruction (the silhouettes are left as they are).

Per cell: 3-class accuracy and the study's FP vs EP accuracy (FP and EP subjects only, larger
of the two probabilities), each with a bootstrap 95 % CI (subjects resampled). The same subjects,
motions and scenes are used in every cell (paired). Renders, 2D results and reconstructed
spines are cached per subject and cell, so an interrupted run resumes; the spines are keyed on
the reconstruction (``train_classifier_video.reconstruction_key``), so a changed reconstruction
is re-run from the cached 2D results.

    python benchmarks/bench_classify_degradation.py --n 30

Writes ``benchmarks/results/bench_classify_degradation.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

from humanmovenet import classify
from humanmovenet.types import PHENOTYPE_LABELS

MOVEMENT = "backward_bend"


def body_height_px(kp) -> float:
    """Vertical extent (pixels) of the finite landmarks in the first frame that has ≥ 20."""
    y = np.asarray(kp.data[..., 1], dtype=np.float64)
    for t in range(y.shape[0]):
        ok = np.isfinite(y[t])
        if ok.sum() >= 20:
            return float(y[t, ok].max() - y[t, ok].min())
    raise ValueError("no frame with at least 20 detected landmarks.")


def add_noise(kp, fraction: float, rng: np.random.Generator):
    """Keypoints with N(0, (fraction · body height)²) pixel noise on x and y of every landmark."""
    if fraction == 0:
        return kp
    sd = fraction * body_height_px(kp)
    data = np.array(kp.data, dtype=np.float64, copy=True)
    data[..., :2] += rng.normal(0.0, sd, size=data[..., :2].shape)
    return dataclasses.replace(kp, data=data)


def cell_spines(args, yaw: float, noise: float) -> tuple[list, np.ndarray, dict]:
    """Reconstructed backward bends of the ``args.n`` subjects for one (yaw, noise) cell."""
    from tqdm import tqdm

    from humanmovenet.body import create
    from humanmovenet.io.arrays import (
        load_keypoints,
        load_silhouettes,
        save_keypoints,
        save_silhouettes,
    )
    from humanmovenet.io.export_npz import load_dynamic_spine, save_dynamic_spine
    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.synth.render import Renderer
    from humanmovenet.synth.subject import sample_subject
    from humanmovenet.train.train_classifier_video import reconstruction_key, render_bend

    twod = args.cache_dir / f"seed{args.seed}_fps{args.fps:g}_s{args.size}_yaw{yaw:g}"
    # Spines keyed on the reconstruction's code and model files (as train_classifier_video):
    # a changed reconstruction re-runs on the cached 2D results.
    out = twod / f"noise{noise:g}_learned_{reconstruction_key('learned')['key'][:16]}"
    out.mkdir(parents=True, exist_ok=True)
    body, renderer = None, None
    spines, labels = [], []
    stats = {"rendered": 0, "failed": []}
    try:
        for i in tqdm(range(args.n), desc=f"yaw {yaw:g}° noise {noise:g}", unit="subject"):
            label = PHENOTYPE_LABELS[i % len(PHENOTYPE_LABELS)]
            path = out / f"{i:04d}_{MOVEMENT}.npz"
            if not path.exists():
                if body is None:
                    body = create("anny")
                kp_path, sil_path = twod / f"{i:04d}_kp.npz", twod / f"{i:04d}_sil.npz"
                if kp_path.exists() and sil_path.exists():
                    kp, sil = load_keypoints(kp_path), load_silhouettes(sil_path)
                else:
                    if renderer is None:
                        renderer = Renderer(args.size, args.size).__enter__()
                    rng = np.random.default_rng(np.random.SeedSequence([args.seed, i]))
                    subject = sample_subject(rng, phenotype=label)
                    mv_rng = np.random.default_rng(
                        np.random.SeedSequence([args.seed, i, 1 + len(MOVEMENT)])
                    )
                    sign = np.random.default_rng(np.random.SeedSequence([args.seed, i, 99])).choice(
                        [-1.0, 1.0]
                    )
                    cam = {"yaw_range_deg": (sign * yaw, sign * yaw)}
                    _, kp, sil = render_bend(body, renderer, subject, MOVEMENT, mv_rng, args.fps,
                                             args.size, camera_kwargs=cam)  # fmt: skip
                    save_keypoints(kp_path, kp)
                    save_silhouettes(sil_path, sil)
                    stats["rendered"] += 1
                noise_rng = np.random.default_rng(
                    np.random.SeedSequence([args.seed, i, 7, int(round(noise * 1e4))])
                )
                try:
                    spine, _, _ = reconstruct_spine(add_noise(kp, noise, noise_rng), sil, body,
                                                    method="learned")  # fmt: skip
                except ValueError as err:
                    stats["failed"].append(f"{i}: {err}")
                    continue
                save_dynamic_spine(path, spine)
            spines.append(load_dynamic_spine(path))
            labels.append(PHENOTYPE_LABELS.index(label))
    finally:
        if renderer is not None:
            renderer.__exit__(None, None, None)
    return spines, np.asarray(labels), stats


def score_cell(clf, spines, y, args) -> dict:
    from humanmovenet.train.train_classifier_video import fp_vs_ep_score

    table = classify.extract_features(
        [
            classify.Sample(f"s{i}", PHENOTYPE_LABELS[int(lab)], {MOVEMENT: s})
            for i, (s, lab) in enumerate(zip(spines, y, strict=True))
        ]  # fmt: skip
    )
    x, t, yy = table.select(clf.inputs)
    proba = clf.predict_proba_features(x, t)
    s = classify.score_predictions(yy, proba.argmax(1), n_bootstrap=args.n_bootstrap, seed=0)
    b = fp_vs_ep_score(yy, proba, n_bootstrap=args.n_bootstrap, seed=0)
    return {"n": s.n, "accuracy": s.accuracy.as_dict(), "kappa": s.kappa.as_dict(),
            "confusion": s.confusion.tolist(), "fp_vs_ep_n": b.n,
            "fp_vs_ep": b.accuracy.as_dict()}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=30, help="held-out subjects per cell (balanced)")
    ap.add_argument("--seed", type=int, default=7001, help="subject seed (7001: held out)")
    ap.add_argument("--yaws", type=float, nargs="+", default=[0.0, 15.0, 30.0, 45.0])
    ap.add_argument("--noises", type=float, nargs="+", default=[0.0, 0.01, 0.02, 0.04],
                    help="landmark noise SD as a fraction of body height (at yaw 0)")  # fmt: skip
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--classifier", type=Path, default=None,
                    help="classifier file (default: the shipped video backward-bend model)")  # fmt: skip
    ap.add_argument("--n-bootstrap", type=int, default=2000)
    ap.add_argument("--cache-dir", type=Path,
                    default=Path.home() / ".cache" / "humanmovenet" / "bench_classify_degradation")  # fmt: skip
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/bench_classify_degradation.json"))  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    cells = [("yaw", y, 0.0) for y in args.yaws]
    cells += [("noise", args.yaws[0], n) for n in args.noises if n != 0.0]
    built = [cell_spines(args, yaw, noise) for _, yaw, noise in cells]  # renders first
    clf = classify.load_shipped("logistic", path=args.classifier, movement=MOVEMENT)
    rows = []
    for (sweep, yaw, noise), (spines, y, stats) in zip(cells, built, strict=True):
        r = {"sweep": sweep, "yaw_deg": yaw, "noise_fraction": noise, **score_cell(clf, spines, y, args),
             "stats": stats}  # fmt: skip
        rows.append(r)
        print(f"yaw {yaw:4.0f}°  noise {100 * noise:3.0f} %  n={r['n']}  3-class "
              f"{r['accuracy']['value']:.2f}  FP vs EP {r['fp_vs_ep']['value']:.2f}", flush=True)  # fmt: skip

    def fmt(d: dict) -> str:
        return f"{d['value']:.2f} [{d['ci_low']:.2f}, {d['ci_high']:.2f}]"

    lines = [
        "| camera yaw off side view | landmark noise (SD, % body height) | n | 3-class accuracy "
        "[95 % CI] | FP vs EP accuracy [95 % CI] (n) |",
        "|---|---|---|---|---|",
    ]
    # the yaw-0, noise-0 cell is shared by both sweeps
    for r in [
        *[r for r in rows if r["sweep"] == "yaw"],
        *[r for r in rows if r["sweep"] == "noise"],
    ]:
        lines.append(f"| {r['yaw_deg']:g}° | {100 * r['noise_fraction']:g} % | {r['n']} | "
                     f"{fmt(r['accuracy'])} | {fmt(r['fp_vs_ep'])} ({r['fp_vs_ep_n']}) |")  # fmt: skip
    table = "\n".join(lines)
    print(table)
    result = {
        "classifier": str(args.classifier or classify.shipped_path("logistic", MOVEMENT)),
        "classifier_metadata": {k: v for k, v in clf.metadata.items() if k != "hyperparameters"},
        "n": args.n,
        "seed": args.seed,
        "fps": args.fps,
        "size": args.size,
        "rows": rows,
        "markdown": table,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    args.out.with_suffix(".md").write_text(table + "\n")
    print(f"wrote {args.out} in {result['seconds']:.0f} s")
    return result


if __name__ == "__main__":
    main()
