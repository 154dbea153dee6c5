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
   ``benchmarks/bench_classify_video.py``), so a second run only fits. The reconstructed
   spines sit in a folder keyed on the reconstruction (:func:`reconstruction_key`: the sha256
   of ``humanmovenet/{reconstruct,spine,body}/*.py`` and of the model files it loads): after a
   change of the reconstruction the script reconstructs every spine again from the cached 2D
   results (≈ 1 s per clip) and never renders again.
3. Which scalar features survive the reconstruction: per feature, the correlation between its
   value on the reconstructed and on the ground-truth spine of the same TRAINING subjects (and
   the FP-vs-EP Cohen's d on both). Features whose correlation is below a threshold — chosen
   among ``--min-feature-correlation`` (−1 = keep all, 0.3, 0.6, 0.7) by 5-fold
   cross-validation on the training subjects only (3 fold assignments; criterion: the mean of
   the CV FP-vs-EP accuracy and the CV 3-class accuracy) — are left out of the model
   (``hyperparameters["exclude"]``): typically the lumbar : hip ratios and the hip
   contribution, whose phenotype signal the reconstruction loses. The same table is printed
   for the split / timing / morphology candidates of ``classify.features.CANDIDATE_FEATURES``
   (diagnostics, not model inputs).
4. For each bend: fit the model on the training subjects' reconstructed spines of that bend,
   score it on the held-out subjects (3-class accuracy, balanced accuracy, Cohen's κ and the
   FP vs EP accuracy on FP and EP subjects, bootstrap 95 % CIs), store the scores in the
   file's metadata and save ``weights/classifier_video_<movement>.pt``; print the sha256s
   (also in ``benchmarks/results/train_classifier_video.json``) and, when ``--out`` is the
   shipped ``weights/`` folder, write them into ``classify.api.SHIPPED_VIDEO_SHA256``
   (``--no-update-api``: don't).

Runtime on the shared 2-core machine: ≈ 1 min when the spines of the current reconstruction
are cached; 3.5–9 min (depending on the machine's load) after a change of the reconstruction
(420 clips reconstructed again from the cached 2D results); a fresh cache renders 420 bends
first (about an hour).

The shipped models are trained on SYNTHETIC phenotypes, not on patients.
"""

from __future__ import annotations

import argparse
import functools
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
    "reconstruction_key",
    "build",
    "video_table",
    "fp_vs_ep_score",
    "ship",
    "feature_preservation",
    "candidate_preservation",
    "cv_scores",
    "update_shipped_sha256",
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


#: Source folders whose code decides what ``reconstruct_spine`` returns (keyed in the cache).
RECONSTRUCTION_SOURCES = ("reconstruct", "spine", "body")
#: Model files ``reconstruct_spine`` loads: (file name in ``weights/``, environment variable).
RECONSTRUCTION_WEIGHTS = (
    ("body_anny.npz", "HUMANMOVENET_BODY_MODEL"),
    ("regressor_frame.pt", "HUMANMOVENET_REGRESSOR_FRAME"),
    ("static_morphology.pt", None),
    ("static_shape.pt", None),
    ("temporal_gcn_lstm.pt", "HUMANMOVENET_TEMPORAL"),
)


@functools.cache
def reconstruction_key(method: str) -> dict:
    """What decides a reconstructed spine, hashed: ``method``, the sha256 of every ``*.py`` of
    ``humanmovenet/{reconstruct,spine,body}`` and of every model file the reconstruction loads
    (resolved like the reconstruction resolves them, ``humanmovenet._paths.resolve_weight``).
    Computed once per process (the code a process runs is the code it imported first), so the
    training and held-out spines of one run share one key.

    Returns:
        ``{"key": hex digest, "method": ..., "files": {name: sha256}}``.
    """
    import hashlib

    from humanmovenet._paths import resolve_weight

    pkg = Path(__file__).resolve().parents[1]
    files: dict[str, str] = {}
    for sub in RECONSTRUCTION_SOURCES:
        for p in sorted((pkg / sub).glob("*.py")):
            files[f"humanmovenet/{sub}/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    for name, env in RECONSTRUCTION_WEIGHTS:
        try:
            files[f"weights/{name}"] = sha256_of(resolve_weight(name, env_var=env))
        except FileNotFoundError:
            files[f"weights/{name}"] = "missing"
    digest = hashlib.sha256(json.dumps([method, files], sort_keys=True).encode()).hexdigest()
    return {"key": digest, "method": method, "files": files}


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
    # Reconstructed spines are keyed on the reconstruction's code and model files: editing
    # ``humanmovenet/reconstruct`` (or a weight it loads) reconstructs again from the cached
    # 2D results instead of re-using spines of an older reconstruction.
    key = reconstruction_key(method)
    folder = twod / f"{method}_{key['key'][:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "reconstruction_key.json"
    if not key_file.exists():
        key_file.write_text(json.dumps(key, indent=1))
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


def _cohen_d(x: np.ndarray, y: np.ndarray) -> float:
    """FP (0) minus EP (1) mean over the pooled SD, finite values only."""
    a, b = x[(y == 0) & np.isfinite(x)], x[(y == 1) & np.isfinite(x)]
    if a.size < 2 or b.size < 2:
        return float("nan")
    sd = np.sqrt((a.var() + b.var()) / 2)
    return float((a.mean() - b.mean()) / sd) if sd > 0 else float("nan")


def candidate_preservation(recon: list[Sample], truth: list[Sample], movement: str) -> list[dict]:
    """:func:`feature_preservation` for ``classify.features.CANDIDATE_FEATURES`` (split,
    timing, morphology): FP-vs-EP Cohen's d on the ground truth and on the reconstruction of
    the same subjects, and the correlation between the two."""
    from humanmovenet.classify.features import CANDIDATE_FEATURES, candidate_features

    if [s.subject for s in recon] != [s.subject for s in truth]:
        raise ValueError("recon and truth must hold the same subjects in the same order.")
    y = np.array([PHENOTYPE_LABELS.index(s.label) for s in recon])
    rec = [candidate_features(s.spines[movement], movement) for s in recon]
    tru = [candidate_features(s.spines[movement], movement) for s in truth]
    out = []
    for f in CANDIDATE_FEATURES:
        g = np.array([t[f] for t in tru], dtype=np.float64)
        r = np.array([c[f] for c in rec], dtype=np.float64)
        ok = np.isfinite(g) & np.isfinite(r)
        corr = float(np.corrcoef(g[ok], r[ok])[0, 1]) if ok.sum() > 2 else float("nan")
        out.append({"feature": f, "d_fp_ep_truth": _cohen_d(g, y), "d_fp_ep_recon": _cohen_d(r, y),
                    "corr_recon_truth": corr, "n_undefined": int((~ok).sum())})  # fmt: skip
    return out


def cv_scores(table: classify.FeatureTable, movement: str, kind: str, hp: dict,
              seeds: int = 3, folds: int = 5) -> dict:  # fmt: skip
    """Mean over ``seeds`` fold assignments of the ``folds``-fold CV (by subject, training
    subjects only) 3-class accuracy and FP-vs-EP accuracy (FP/EP subjects, the larger of the
    two probabilities)."""
    acc, fpep = [], []
    for s in range(seeds):
        cv = classify.cross_validate(table, folds=folds, model=kind, inputs=(movement,), seed=s,
                                     n_bootstrap=0, hyperparameters=hp)  # fmt: skip
        acc.append(cv.pooled.accuracy.value)
        fpep.append(fp_vs_ep_score(cv.y_true, cv.probabilities, n_bootstrap=0).accuracy.value)
    return {"accuracy": float(np.mean(acc)), "fp_vs_ep": float(np.mean(fpep))}


def update_shipped_sha256(models: dict, out: Path) -> dict:
    """Write the sha256 of the files just saved into ``classify.api.SHIPPED_VIDEO_SHA256`` (the
    source file), when ``out`` is the shipped ``weights/`` folder; returns what changed."""
    from humanmovenet._paths import shipped_weights_dir
    from humanmovenet.classify import api

    try:
        if Path(out).resolve() != shipped_weights_dir().resolve():
            return {}
    except FileNotFoundError:
        return {}
    src = Path(api.__file__)
    text = src.read_text()
    changed = {}
    for mv, kinds in models.items():
        for kind, entry in kinds.items():
            key = (mv, kind)
            if "sha256" not in entry or key not in api.SHIPPED_VIDEO_SHA256:
                continue
            old = api.SHIPPED_VIDEO_SHA256[key]
            if old != entry["sha256"]:
                if text.count(old) != 1:
                    raise RuntimeError(f"cannot find the sha256 of {key} once in {src}.")
                text = text.replace(old, entry["sha256"])
                changed[f"{mv}/{kind}"] = entry["sha256"]
    if changed:
        src.write_text(text)
        print(f"updated SHIPPED_VIDEO_SHA256 in {src}: {changed}")
    return changed


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
    ap.add_argument("--no-update-api", dest="update_api", action="store_false",
                    help="do not write the new files' sha256 into classify/api.py "
                    "(SHIPPED_VIDEO_SHA256; only done when --out is the shipped weights/)")  # fmt: skip
    ap.add_argument("--min-feature-correlation", type=float, nargs="+",
                    default=[-1.0, 0.3, 0.6, 0.7],
                    help="leave out scalar features whose reconstruction correlates less with "
                    "the ground truth on the training subjects (-1 = keep all); several values: "
                    "the one with the best 5-fold CV accuracy on the training subjects")  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    kw = {"fps": args.fps, "size": args.size, "cache": args.cache_dir}
    train_s, train_gt_s, train_stats = build("train", args.seed, args.n_train, **kw)
    test_s, test_gt_s, test_stats = build("test", args.seed + 1, args.n_test, **kw)
    train, train_gt = classify.extract_features(train_s), classify.extract_features(train_gt_s)
    test, test_gt = classify.extract_features(test_s), classify.extract_features(test_gt_s)
    t_data = time.time() - t0
    print(f"reconstruction key {reconstruction_key('learned')['key'][:16]} (spines cached in "
          f"{args.cache_dir}/<split>/learned_<key>); data {t_data:.0f} s")  # fmt: skip
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
        "reconstruction_key": reconstruction_key("learned"),
        "models": {},
    }
    # Split / timing / morphology candidates (classify.features.CANDIDATE_FEATURES): does the
    # reconstruction preserve them, and do they separate FP from EP? Training subjects only.
    report["candidate_features_train"] = {}
    for mv in args.movements:
        rows = candidate_preservation(train_s, train_gt_s, mv)
        report["candidate_features_train"][mv] = rows
        print(f"{mv}: candidate features (not model inputs), FP-vs-EP Cohen's d truth → "
              f"reconstruction, r(recon, truth), training subjects n={len(train_s)}")  # fmt: skip
        for r in rows:
            print(f"  {r['feature']:28s} {r['d_fp_ep_truth']:+6.2f} → {r['d_fp_ep_recon']:+6.2f}"
                  f"   r = {r['corr_recon_truth']:+.2f}")  # fmt: skip
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
            cv = {}
            for th in thresholds:
                hp = {"exclude": excluded(th)}
                if len(hp["exclude"]) == len(rows):
                    continue
                cv[th] = cv_scores(train, mv, args.model, hp)
            # The mean of the two CV accuracies: the question (FP vs EP) and the
            # three-class label predict() returns; ties → the lower threshold.
            best = max(cv, key=lambda th: (round(cv[th]["fp_vs_ep"] + cv[th]["accuracy"], 6),
                                           -th))  # fmt: skip
            report["feature_selection_cv"][mv] = {"cv": cv, "threshold": best}
            print(f"{mv}: 5-fold CV on the training subjects (3 seeds) per correlation "
                  "threshold: " + "; ".join(f"{th:g}: FP vs EP {v['fp_vs_ep']:.3f}, 3-class "
                                            f"{v['accuracy']:.3f}" for th, v in cv.items())
                  + f" → {best:g}")  # fmt: skip
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
    if args.out is not None and args.update_api:
        report["api_sha256_updated"] = update_shipped_sha256(report["models"], args.out)
    report["seconds_data"] = round(t_data, 1)
    report["seconds_total"] = round(time.time() - t0, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print(f"data {t_data:.0f} s, total {report['seconds_total']:.0f} s; report: {args.json}")
    return report


if __name__ == "__main__":
    main()
