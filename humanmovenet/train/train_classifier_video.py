"""Train the shipped single-movement FP / EP / neither classifiers on spines RECONSTRUCTED from video.

    python -m humanmovenet.train.train_classifier_video             # defaults below
    python -m humanmovenet.train.train_classifier_video --n-train 150 --n-test 60

The classifiers of ``train_classifier`` learn from exact ground-truth spines; a spine that
``humanmovenet.analyze()`` reconstructs from a video is smoother and biased in ways those models
never saw (on rendered video they fall to chance, ``docs/classifier.md``). These models learn
from what the pipeline really produces:

1. Subjects: ``synth.subject.sample_subject(SeedSequence([seed, i]))`` with label
   ``PHENOTYPE_LABELS[i % 3]`` (balanced), training seed ``seed``, held-out seed ``seed + 1``
   (no subject shared). Each does a forward and a backward bend (``synth.motion``, ``fps``),
   posed with the body model, rendered with VTK from a random side camera (yaw ±30°, pitch,
   distance, clothes, background, light: ``synth.camera.sample_side_camera``,
   ``synth.appearance.sample_scene``), run through real MediaPipe
   (``pose2d.estimate_pose``) and reconstructed with ``reconstruct.reconstruct_spine``
   (default learned path).
2. Every render's 2D result and every reconstructed spine is cached (one NPZ per subject and
   movement, ``~/.cache/humanmovenet/bench_classify_video``; the same cache as
   ``benchmarks/bench_classify_video.py``), so a second run only fits.
3. Which scalar features survive the reconstruction: per feature, the correlation between its
   value on the reconstructed and on the ground-truth spine of the same TRAINING subjects (and
   the FP-vs-EP Cohen's d on both). Features whose correlation is below a threshold — chosen
   among ``--min-feature-correlation`` (−1 = keep all, 0.3, 0.6, 0.7) by 5-fold
   cross-validation on the training subjects only — are left out of the model
   (``hyperparameters["exclude"]``): typically the lumbar : hip ratios and the hip
   contribution, whose phenotype signal the reconstruction loses.
4. For each bend: fit the model on the training subjects' reconstructed spines of that bend,
   score it on the held-out subjects (3-class accuracy, balanced accuracy, Cohen's κ and the
   FP vs EP accuracy on FP and EP subjects, bootstrap 95 % CIs), store the scores in the
   file's metadata and save ``weights/classifier_video_<movement>.pt``; print the sha256s
   (also in ``benchmarks/results/train_classifier_video.json``) — copy them into
   ``classify.api.SHIPPED_VIDEO_SHA256``.

The shipped models are trained on SYNTHETIC phenotypes, not on patients.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from humanmovenet import classify
from humanmovenet._paths import sha256_of
from humanmovenet.classify.datasets import Sample
from humanmovenet.types import PHENOTYPE_LABELS

__all__ = [
    "MOVEMENTS",
    "DEFAULT_CACHE",
    "render_bend",
    "build",
    "video_table",
    "fp_vs_ep_score",
    "ship",
    "feature_preservation",
    "main",
]

MOVEMENTS = ("forward_bend", "backward_bend")
DEFAULT_N_TRAIN = 150
DEFAULT_N_TEST = 60
DEFAULT_SEED = 7000
DEFAULT_FPS = 8.0
DEFAULT_SIZE = 384
DEFAULT_CACHE = Path.home() / ".cache" / "humanmovenet" / "bench_classify_video"


def render_bend(body, renderer, subject, movement: str, rng, fps: float, size: int,
                camera_kwargs: dict | None = None):  # fmt: skip
    """Pose, render and run MediaPipe on one bend; returns (posed, keypoints, silhouettes).

    ``camera_kwargs`` go to ``synth.camera.sample_side_camera`` (e.g. a fixed
    ``yaw_range_deg``); the random draws happen in the same order either way.
    """
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.synth.appearance import sample_scene
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence

    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    camera = sample_side_camera(rng, posed.vertices, image_size=(size, size),
                                **(camera_kwargs or {}))  # fmt: skip
    scene = sample_scene(rng, body, subject.sliders, size, size)
    faces = body.faces.numpy()
    frames = [
        Frame(t, t / fps, renderer.render(v, faces, camera, scene.colors, scene.background,
                                          scene.lighting, with_depth=False).rgb)
        for t, v in enumerate(posed.vertices)
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
    return posed, pose.keypoints, pose.silhouettes


def build(
    split: str,
    seed: int,
    n: int,
    *,
    fps: float = DEFAULT_FPS,
    size: int = DEFAULT_SIZE,
    method: str = "learned",
    cache: Path = DEFAULT_CACHE,
    movements: tuple[str, ...] = MOVEMENTS,
    progress: bool = True,
) -> tuple[list[Sample], list[Sample], dict]:
    """Reconstructed and ground-truth samples of ``n`` balanced rendered subjects (cached).

    Subject ``i`` is ``sample_subject(SeedSequence([seed, i]), phenotype=PHENOTYPE_LABELS[i %
    3])``; its bend ``mv`` uses the stream ``SeedSequence([seed, i, 1 + len(mv)])`` (motion,
    camera, scene). A subject whose reconstruction fails is left out (listed in the stats).

    Returns:
        (reconstructed samples, ground-truth samples, stats).
    """
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
    from humanmovenet.synth.spine_truth import ground_truth_spine
    from humanmovenet.synth.subject import sample_subject

    twod = Path(cache) / f"{split}_seed{seed}_fps{fps:g}_s{size}"  # renders' 2D results
    folder = twod if method == "fit" else twod / method
    folder.mkdir(parents=True, exist_ok=True)
    body = None
    renderer = None
    recon, truth = [], []
    stats = {"frames": 0, "reconstruct_s": 0.0, "rendered": 0, "failed": []}
    items = range(n)
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc=f"{split} subjects", unit="subject")
    try:
        for i in items:
            label = PHENOTYPE_LABELS[i % len(PHENOTYPE_LABELS)]
            spines, gts = {}, {}
            subject = None
            for mv in movements:
                path, gt_path = folder / f"{i:04d}_{mv}.npz", twod / f"{i:04d}_{mv}_truth.npz"
                if path.exists() and gt_path.exists():
                    spines[mv], gts[mv] = load_dynamic_spine(path), load_dynamic_spine(gt_path)
                    continue
                if body is None:
                    body = create("anny")
                if subject is None:
                    rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
                    subject = sample_subject(rng, phenotype=label)
                mv_rng = np.random.default_rng(np.random.SeedSequence([seed, i, 1 + len(mv)]))
                kp_path, sil_path = twod / f"{i:04d}_{mv}_kp.npz", twod / f"{i:04d}_{mv}_sil.npz"
                if kp_path.exists() and sil_path.exists() and gt_path.exists():
                    kp, sil = load_keypoints(kp_path), load_silhouettes(sil_path)
                    truth_spine = load_dynamic_spine(gt_path)
                else:
                    if renderer is None:
                        renderer = Renderer(size, size).__enter__()
                    posed, kp, sil = render_bend(body, renderer, subject, mv, mv_rng, fps, size)
                    truth_spine = ground_truth_spine(posed)
                    save_keypoints(kp_path, kp)
                    save_silhouettes(sil_path, sil)
                    stats["rendered"] += 1
                t0 = time.perf_counter()
                try:
                    spine, _, _ = reconstruct_spine(kp, sil, body, method=method)
                except ValueError as err:
                    stats["failed"].append(f"{split} {i} {mv}: {err}")
                    break
                stats["reconstruct_s"] += time.perf_counter() - t0
                stats["frames"] += kp.num_frames
                save_dynamic_spine(path, spine)
                save_dynamic_spine(gt_path, truth_spine)
                spines[mv], gts[mv] = spine, truth_spine
            if len(spines) == len(movements):
                recon.append(Sample(f"{split}{i}", label, spines))
                truth.append(Sample(f"{split}{i}", label, gts))
    finally:
        if renderer is not None:
            renderer.__exit__(None, None, None)
    return recon, truth, stats


def video_table(
    split: str, seed: int, n: int, *, truth: bool = False, **kwargs
) -> tuple[classify.FeatureTable, dict] | tuple[classify.FeatureTable, dict, classify.FeatureTable]:
    """Feature table of ``n`` rendered subjects' reconstructed spines (see :func:`build`);
    with ``truth=True`` also the table of the same subjects' ground-truth spines."""
    recon, gt, stats = build(split, seed, n, **kwargs)
    if truth:
        return classify.extract_features(recon), stats, classify.extract_features(gt)
    return classify.extract_features(recon), stats


def fp_vs_ep_score(y: np.ndarray, proba: np.ndarray, *, n_bootstrap: int = 2000, seed: int = 0):
    """The study's two-class score: FP and EP subjects only, FP vs EP by the larger of the two
    probabilities (``classify.Scores``; its confusion is 3×3 with an empty 'neither' row).

    Shapes:
        y (N,), proba (N, 3).
    """
    y = np.asarray(y)
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape != (y.shape[0], len(PHENOTYPE_LABELS)):
        raise ValueError(f"proba: expected ({y.shape[0]}, 3), got {proba.shape}.")
    keep = y < 2
    return classify.score_predictions(y[keep], proba[keep, :2].argmax(1),
                                      n_bootstrap=n_bootstrap, seed=seed)  # fmt: skip


def ship(
    train: classify.FeatureTable,
    test: classify.FeatureTable,
    movements=MOVEMENTS,
    out: Path | None = Path("weights"),
    *,
    ship_kind: str | None = "logistic",
    seed: int = DEFAULT_SEED,
    fps: float = DEFAULT_FPS,
    size: int = DEFAULT_SIZE,
    n_bootstrap: int = 2000,
    exclude: dict[str, list[str]] | None = None,
) -> dict:
    """Fit both model kinds per movement, score them on ``test``, save the ``ship_kind`` one as
    ``out/classifier_video_<movement>.pt`` (scores in its metadata; ``ship_kind=None``: save
    nothing). ``exclude``: movement → scalar features left out (``hyperparameters["exclude"]``).
    Returns the report (movement → kind → scores, file, sha256)."""
    models: dict = {}
    for mv in movements:
        models[mv] = {}
        for kind in classify.MODEL_KINDS:
            t1 = time.time()
            hp = {"exclude": list((exclude or {}).get(mv, ()))}
            clf = classify.train(train, model=kind, inputs=(mv,), seed=0, hyperparameters=hp)
            fit_s = time.time() - t1
            x, t, y = test.select((mv,))
            proba = clf.predict_proba_features(x, t)
            scores = classify.score_predictions(y, proba.argmax(1), n_bootstrap=n_bootstrap,
                                                seed=0)  # fmt: skip
            binary = fp_vs_ep_score(y, proba, n_bootstrap=n_bootstrap, seed=0)
            entry = {
                "excluded_features": hp["exclude"],
                "parameters": clf.metadata["n_parameters"],
                "fit_seconds": round(fit_s, 2),
                "held_out": scores.as_dict(),
                "held_out_fp_vs_ep": binary.as_dict(),
            }
            print(f"{mv:14s} {kind:9s} n={scores.n}: 3-class {scores.accuracy}, kappa "
                  f"{scores.kappa}; FP vs EP (n={binary.n}) {binary.accuracy}")  # fmt: skip
            print("  confusion (rows true FP/EP/neither, cols predicted):",
                  scores.confusion.tolist())  # fmt: skip
            if kind == ship_kind and out is not None:
                clf.metadata.update(
                    trained_on="SYNTHETIC phenotypes (humanmovenet.synth) rendered to video, "
                    "MediaPipe, reconstruct_spine(method='learned'); not patients",
                    train_data=f"rendered subjects seed={seed} n={len(train)} fps={fps:g} "
                    f"size={size}",
                    test_data=f"rendered subjects seed={seed + 1} n={len(test)}",
                    held_out=scores.as_dict(),
                    held_out_fp_vs_ep=binary.as_dict(),
                )
                path = clf.save(Path(out) / f"classifier_video_{mv}.pt")
                entry.update(file=str(path), bytes=path.stat().st_size, sha256=sha256_of(path))
                print(f"  shipped {path} ({entry['bytes']} B), sha256 {entry['sha256']}")
            models[mv][kind] = entry
    return models


def feature_preservation(
    recon: classify.FeatureTable, truth: classify.FeatureTable, movement: str
) -> list[dict]:
    """Per scalar feature of ``movement``: FP-vs-EP separation (Cohen's d, pooled SD) on the
    ground-truth spines and on the reconstructed spines of the same subjects, and the Pearson
    correlation between the two measurements — which signs the reconstruction keeps."""
    from humanmovenet.classify.features import SCALAR_FEATURES

    if not np.array_equal(recon.subjects, truth.subjects):
        raise ValueError("recon and truth must hold the same subjects in the same order.")
    y = recon.labels
    out = []
    for j, f in enumerate(SCALAR_FEATURES[movement]):
        g, r = truth.scalars[movement][:, j], recon.scalars[movement][:, j]

        def d(x):
            a, b = x[(y == 0) & np.isfinite(x)], x[(y == 1) & np.isfinite(x)]
            sd = np.sqrt((a.var() + b.var()) / 2)
            return float((a.mean() - b.mean()) / sd) if sd > 0 else float("nan")

        ok = np.isfinite(g) & np.isfinite(r)
        corr = float(np.corrcoef(g[ok], r[ok])[0, 1]) if ok.sum() > 2 else float("nan")
        out.append({"feature": f.key, "d_fp_ep_truth": d(g), "d_fp_ep_recon": d(r),
                    "corr_recon_truth": corr})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN, help="training subjects")
    ap.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="held-out subjects")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="training seed (test: +1)")
    ap.add_argument("--fps", type=float, default=DEFAULT_FPS)
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE, help="render size (pixels)")
    ap.add_argument("--model", choices=classify.MODEL_KINDS, default="logistic",
                    help="which kind to ship (both are scored)")  # fmt: skip
    ap.add_argument("--movements", nargs="+", choices=MOVEMENTS, default=list(MOVEMENTS))
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=Path("weights"), help="where to save the .pt files")
    ap.add_argument("--json", type=Path,
                    default=Path("benchmarks/results/train_classifier_video.json"))  # fmt: skip
    ap.add_argument("--n-bootstrap", type=int, default=2000)
    ap.add_argument("--min-feature-correlation", type=float, nargs="+",
                    default=[-1.0, 0.3, 0.6, 0.7],
                    help="leave out scalar features whose reconstruction correlates less with "
                    "the ground truth on the training subjects (-1 = keep all); several values: "
                    "the one with the best 5-fold CV accuracy on the training subjects")  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    kw = {"fps": args.fps, "size": args.size, "cache": args.cache_dir}
    train, train_stats, train_gt = video_table("train", args.seed, args.n_train, truth=True, **kw)
    test, test_stats, test_gt = video_table("test", args.seed + 1, args.n_test, truth=True, **kw)
    t_data = time.time() - t0
    report: dict = {
        "trained_on": "SYNTHETIC FP/EP/neither subjects rendered to video, MediaPipe, "
        "reconstruct_spine (learned); not patients",
        "n_train": len(train),
        "n_test": len(test),
        "seed": args.seed,
        "fps": args.fps,
        "size": args.size,
        "shipped_kind": args.model,
        "stats": {"train": train_stats, "test": test_stats},
        "models": {},
    }
    # Features the reconstruction does not preserve (correlation with the ground truth of the
    # same TRAINING subjects below --min-feature-correlation) are left out; the held-out
    # subjects play no part in this choice.
    exclude = {}
    report["feature_preservation_train"] = {}
    report["feature_selection_cv"] = {}
    for mv in args.movements:
        rows = feature_preservation(train, train_gt, mv)
        report["feature_preservation_train"][mv] = rows

        def excluded(threshold: float, rows=rows) -> list[str]:
            return [r["feature"] for r in rows if not r["corr_recon_truth"] >= threshold]

        thresholds = args.min_feature_correlation
        if len(thresholds) > 1:  # choose by cross-validation on the training subjects
            cv_acc = {}
            for th in thresholds:
                hp = {"exclude": excluded(th)}
                if len(hp["exclude"]) == len(rows):
                    continue
                cv_acc[th] = float(np.mean([
                    classify.cross_validate(train, folds=5, inputs=(mv,), seed=s, n_bootstrap=0,
                                            hyperparameters=hp).pooled.accuracy.value
                    for s in range(3)
                ]))  # fmt: skip
            best = max(cv_acc, key=lambda th: (round(cv_acc[th], 6), -th))
            report["feature_selection_cv"][mv] = {"cv_accuracy": cv_acc, "threshold": best}
            print(f"{mv}: 5-fold CV accuracy (3 seeds) on the training subjects per correlation "
                  f"threshold: {cv_acc} → {best}")  # fmt: skip
        else:
            best = thresholds[0]
        exclude[mv] = excluded(best)
        print(f"{mv}: FP-vs-EP Cohen's d (truth → reconstruction) and correlation, training "
              f"subjects n={len(train)}")  # fmt: skip
        for r in rows:
            mark = "  (left out)" if r["feature"] in exclude[mv] else ""
            print(f"  {r['feature']:26s} {r['d_fp_ep_truth']:+6.2f} → {r['d_fp_ep_recon']:+6.2f}"
                  f"   r = {r['corr_recon_truth']:.2f}{mark}")  # fmt: skip
    report["excluded_features"] = exclude
    report["models"] = ship(train, test, args.movements, args.out, ship_kind=args.model,
                            seed=args.seed, fps=args.fps, size=args.size,
                            n_bootstrap=args.n_bootstrap, exclude=exclude)  # fmt: skip
    print("for comparison: every feature")
    report["models_all_features"] = ship(train, test, args.movements, None, ship_kind=None,
                                         n_bootstrap=args.n_bootstrap)  # fmt: skip
    # Reference: the same subjects' exact ground-truth spines (what the features could give
    # if the reconstruction were perfect); nothing is saved.
    print("reference: trained and tested on the same subjects' ground-truth spines")
    report["reference_ground_truth"] = ship(train_gt, test_gt, args.movements, None,
                                            ship_kind=None, n_bootstrap=args.n_bootstrap)  # fmt: skip
    report["seconds_data"] = round(t_data, 1)
    report["seconds_total"] = round(time.time() - t0, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print(f"data {t_data:.0f} s, total {report['seconds_total']:.0f} s; report: {args.json}")
    return report


if __name__ == "__main__":
    main()
