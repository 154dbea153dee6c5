"""Train the learned static reconstructor (``reconstruct.static_model``) on rendered subjects.

    python -m humanmovenet.train.train_static                 # defaults below
    python -m humanmovenet.train.train_static --resume        # continue an interrupted run

Steps (fixed seeds; every subject is cached, so an interrupted run resumes where it stopped):

1. Subjects: training ``sample_subject(SeedSequence([seed, i]))`` with age 20–70 and BMI 18–32;
   held-out subjects from another seed (``seed + 1``) and a shifted shape range (age 30–80,
   BMI 21–35), so no subject and not all shapes are shared.
2. Each subject stands (``synth.motion`` ``standing``: natural sway) for ``--frames`` frames on
   the shipped body with its own lordosis and kyphosis posed on the skin
   (``synth.sequence.pose_sequence``), rendered by the VTK renderer from a random side camera
   (yaw ±30°, pitch −8…12°) with random clothing, background and lighting
   (``synth.appearance``); real MediaPipe (``pose2d.estimate_pose``, masks at half
   resolution) gives the landmarks and the silhouettes — the training inputs are MediaPipe's
   real output on renders, not projections.
3. ``reconstruct.static_model.standing_features`` over the frames; targets: the subject's
   lordosis, kyphosis, sacral slope and standing anterior pelvic tilt (degrees). The cache
   also keeps MediaPipe's landmarks and masks, from which ``shape_features`` (silhouette
   width profile, segment lengths, all in body heights) are recomputed at every run.
4. Ridge penalty by 5-fold cross-validation on the training subjects; fit on all of them.
5. Held-out scores (MAE and correlation per target, and the same for predicting the training
   mean) go into the file's metadata and ``benchmarks/results/train_static.json``; the model
   is written to ``weights/static_morphology.pt``; copy its sha256 into
   ``reconstruct.static_model.SHIPPED_SHA256``.
6. Body shape (``--n-train-shape`` subjects, 600: the morphology model's 200 and 400 more of the
   same seed): ``ShapeModel`` from ``body_shape_features`` (both feature sets) to the six anny
   sliders, the ridge of each slider by 5-fold cross-validation, the gender slider then set to
   the training mean of the female or the male class; held-out per-slider MAE against the
   training mean, stature error, and rest-pose vertex error (raw, centred, scale-aligned)
   against the average body and the mean predictor go into the file's metadata and
   ``benchmarks/results/train_static_shape.json``; the model is written to
   ``weights/static_shape.pt``; copy its sha256 into ``reconstruct.static_model.SHAPE_SHA256``.
   ``--only shape`` fits this model alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from humanmovenet.reconstruct.static_model import (
    FEATURE_VERSION,
    SHAPE_TARGETS,
    TARGETS,
    ShapeModel,
    StaticModel,
    feature_names,
    shape_feature_names,
    shape_features,
    standing_features,
)

DEFAULTS = dict(n_train=200, n_train_shape=600, n_test=60, seed=0, frames=2, size=384, fps=5.0)
TRAIN_RANGES = dict(age_range=(20.0, 70.0), bmi_range=(18.0, 32.0))
TEST_RANGES = dict(age_range=(30.0, 80.0), bmi_range=(21.0, 35.0))
RIDGES = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)


def render_subject(seed: int, index: int, ranges: dict, args, body, renderer, subject=None) -> dict:
    """Render one standing subject, run MediaPipe, return features and targets.

    ``subject`` overrides the drawn subject (the camera, clothes and scene are drawn anyway).
    """
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.reconstruct.contour import extract_back_contour
    from humanmovenet.synth.appearance import sample_scene
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence
    from humanmovenet.synth.subject import sample_subject

    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    drawn = sample_subject(rng, **ranges)
    subject = drawn if subject is None else subject
    motion = generate_motion(subject, "standing", rng, fps=args.fps,
                             duration_s=args.frames / args.fps)  # fmt: skip
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    size = (args.size, args.size)
    camera = sample_side_camera(rng, posed.vertices, image_size=size)
    scene = sample_scene(rng, body, subject.sliders, *size)
    faces = body.faces.numpy()
    frames = [
        Frame(t, t / args.fps, renderer.render(v, faces, camera, scene.colors, scene.background,
                                               scene.lighting, with_depth=False).rgb)
        for t, v in enumerate(posed.vertices)
    ]  # fmt: skip
    pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
    kp, sil = pose.keypoints, pose.silhouettes
    out = {
        "targets": np.array([
            subject.morphology.lumbar_lordosis_deg,
            subject.morphology.thoracic_kyphosis_deg,
            subject.morphology.sacral_slope_deg,
            subject.standing_pelvic_tilt_deg,
        ]),
        "detected": float(kp.detected.mean()),
        "yaw_deg": float(np.degrees(camera_yaw(camera))),
        "phenotype": subject.pattern.label,
        "bmi": subject.bmi,
        "sliders": subject.sliders.as_array(),
        # raw MediaPipe output, so shape features can be recomputed without re-rendering
        "kp_data": kp.data.astype(np.float32),
        "kp_detected": kp.detected,
        "mask_bits": np.packbits(np.asarray(sil.masks, bool), axis=-1),
        "mask_shape": np.array(np.asarray(sil.masks).shape),
        "mask_scale": np.array(sil.scale),
        "mask_valid": np.asarray(sil.valid if sil.valid is not None else kp.detected, bool),
        "image_size": np.array(kp.image_size),
    }  # fmt: skip
    if kp.detected.sum() == 0:
        out["features"] = np.full(len(feature_names()), np.nan)
        return out
    contour = extract_back_contour(sil, kp)
    out["features"] = standing_features(kp, contour, kp.detected.copy())
    return out


def camera_yaw(camera) -> float:
    """Yaw of the optical axis away from the pure side view (radians)."""
    axis = np.asarray(camera.R)[2]  # camera z in world coordinates
    return float(np.arctan2(axis[2], abs(axis[0])))


def build_split(name: str, seed: int, n: int, ranges: dict, args, cache: Path) -> dict:
    """Features and targets of ``n`` subjects, cached one file per subject."""
    from tqdm import tqdm

    from humanmovenet.body import create
    from humanmovenet.synth.render import Renderer

    folder = cache / f"{name}_v{FEATURE_VERSION}r_seed{seed}_f{args.frames}_s{args.size}"
    folder.mkdir(parents=True, exist_ok=True)
    body = create("anny")
    rows = []
    with Renderer(args.size, args.size) as renderer:
        for i in tqdm(range(n), desc=f"{name} subjects", unit="subject"):
            path = folder / f"{i:05d}.npz"
            if path.exists():
                z = np.load(path, allow_pickle=False)
                row = {k: z[k] for k in z.files}
            else:
                row = render_subject(seed, i, ranges, args, body, renderer)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, **{k: np.asarray(v) for k, v in row.items()})
                tmp.replace(path)
            rows.append(row)
    keep = [r for r in rows if np.isfinite(np.asarray(r["features"], float)).any()]
    return {
        "features": np.stack([np.asarray(r["features"], float) for r in keep]),
        "targets": np.stack([np.asarray(r["targets"], float) for r in keep]),
        "yaw_deg": np.array([float(r["yaw_deg"]) for r in keep]),
        "missed": len(rows) - len(keep),
        "index": np.array([i for i, r in enumerate(rows) if any(r is k for k in keep)]),
        "num_subjects": len(rows),
        "shape_features": np.stack([row_shape_features(r) for r in keep]),
        "sliders": np.stack([np.asarray(r["sliders"], float) for r in keep]),
    }


def subset(split: dict, n: int) -> dict:
    """The first ``n`` subjects of a :func:`build_split` result (those MediaPipe found)."""
    keep = split["index"] < n
    out = {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in split.items()}
    out["missed"] = min(n, split["num_subjects"]) - int(keep.sum())
    return out


def row_inputs(row: dict):
    """The cached MediaPipe output of one subject as (Keypoints2D, Silhouettes)."""
    from humanmovenet.types import Keypoints2D, Silhouettes

    data = np.asarray(row["kp_data"], np.float64)
    t = len(data)
    size = tuple(int(v) for v in row["image_size"])
    shape = tuple(int(v) for v in row["mask_shape"])
    masks = np.unpackbits(row["mask_bits"], axis=-1, count=shape[-1]).astype(bool)
    detected = np.asarray(row["kp_detected"], bool)
    kp = Keypoints2D(data, DEFAULTS["fps"], size, np.arange(t), detected, np.zeros(t, bool))
    sil = Silhouettes(masks, DEFAULTS["fps"], size, float(row["mask_scale"]),
                      np.asarray(row["mask_valid"], bool))  # fmt: skip
    return kp, sil


def row_shape_features(row: dict) -> np.ndarray:
    """``body_shape_features`` of one cached subject (the standing features are cached)."""
    kp, sil = row_inputs(row)
    shape = shape_features(kp, sil, kp.detected.copy())
    return np.concatenate([np.asarray(row["features"], float), shape])


def cross_validate(x: np.ndarray, y: np.ndarray, ridge: float, folds: int = 5) -> float:
    """Mean absolute error (degrees, averaged over targets) of k-fold cross-validation."""
    idx = np.arange(len(x))
    errors = []
    for k in range(folds):
        test = idx % folds == k
        model = StaticModel.fit(x[~test], y[~test], ridge)
        errors.append(np.abs(model.predict(x[test]) - y[test]))
    return float(np.concatenate(errors).mean())


def scores(pred: np.ndarray, y: np.ndarray) -> dict:
    out = {}
    for j, name in enumerate(TARGETS):
        e = pred[:, j] - y[:, j]
        out[name] = {
            "mae": float(np.abs(e).mean()),
            "rmse": float(np.sqrt((e**2).mean())),
            "bias": float(e.mean()),
            "r": float(np.corrcoef(pred[:, j], y[:, j])[0, 1]) if pred[:, j].std() > 0 else 0.0,
            "truth_sd": float(y[:, j].std()),
        }
    return out


SHAPE_RIDGES = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)


def shape_cross_validate(x: np.ndarray, s: np.ndarray, ridge: float, folds: int = 5):
    """Per-slider mean absolute error of k-fold cross-validation (predictions clipped to [0, 1])."""
    idx = np.arange(len(x))
    errors = []
    for k in range(folds):
        test = idx % folds == k
        model = ShapeModel.fit(x[~test], s[~test], ridge)
        errors.append(np.abs(np.clip(model.predict(x[test]), 0, 1) - s[test]))
    return np.concatenate(errors).mean(0)


def rest_vertices(body, sliders: np.ndarray):
    """(B, V, 3) rest-pose vertices of (B, 6) sliders (clipped to [0, 1]), float64."""
    import torch

    with torch.no_grad():
        return body.rest_vertices(body.shape_from_sliders(np.clip(sliders, 0.0, 1.0))).numpy()


def mesh_errors(pred: np.ndarray, true: np.ndarray) -> dict:
    """Per-vertex error (mm) of (B, V, 3) rest-pose meshes, mean over vertices then subjects:
    raw (placed as the body model puts them), centred (centroids removed) and scale-aligned
    (centroids and the best isotropic scale removed: the size one view cannot give); and the
    stature error (m) and correlation."""
    raw, centred, aligned = [], [], []
    for a, b in zip(pred, true, strict=True):
        raw.append(np.linalg.norm(a - b, axis=-1).mean())
        a0, b0 = a - a.mean(0), b - b.mean(0)
        centred.append(np.linalg.norm(a0 - b0, axis=-1).mean())
        a0 = a0 * (a0 * b0).sum() / (a0 * a0).sum()
        aligned.append(np.linalg.norm(a0 - b0, axis=-1).mean())
    stature_p = np.ptp(pred[..., 1], axis=1)
    stature_t = np.ptp(true[..., 1], axis=1)
    return {
        "vertex_error_mm": 1000 * float(np.mean(raw)),
        "vertex_error_centred_mm": 1000 * float(np.mean(centred)),
        "vertex_error_scale_aligned_mm": 1000 * float(np.mean(aligned)),
        "stature_mae_m": float(np.abs(stature_p - stature_t).mean()),
        "stature_r": float(np.corrcoef(stature_p, stature_t)[0, 1]) if stature_p.std() > 0 else 0.0,
    }


def shape_scores(pred: np.ndarray, true: np.ndarray, train_mean: np.ndarray, body) -> dict:
    """Held-out scores of predicted sliders: per slider vs the mean predictor; meshes vs the
    average body (all sliders 0.5 = betas 0, what ``shape=None`` used) and the mean predictor."""
    pred = np.clip(pred, 0.0, 1.0)
    mean = np.broadcast_to(train_mean, true.shape)
    out = {"sliders": {}}
    for j, name in enumerate(SHAPE_TARGETS):
        e = pred[:, j] - true[:, j]
        r = np.corrcoef(pred[:, j], true[:, j])[0, 1] if pred[:, j].std() > 0 else 0.0
        out["sliders"][name] = {
            "mae": float(np.abs(e).mean()),
            "bias": float(e.mean()),
            "r": float(r),
            "mean_predictor_mae": float(np.abs(mean[:, j] - true[:, j]).mean()),
            "truth_sd": float(true[:, j].std()),
        }
    v_true = rest_vertices(body, true)
    out["estimated"] = mesh_errors(rest_vertices(body, pred), v_true)
    out["average_body"] = mesh_errors(rest_vertices(body, np.full_like(true, 0.5)), v_true)
    out["mean_predictor"] = mesh_errors(rest_vertices(body, mean), v_true)
    return out


def train_shape(train: dict, test: dict, args) -> dict:
    """Fit the shape model (ridge per slider by cross-validation), score it held out, save it."""
    from humanmovenet.body import create

    x, s = train["shape_features"], train["sliders"]
    cv = {r: shape_cross_validate(x, s, r) for r in SHAPE_RIDGES}
    ridges = tuple(min(SHAPE_RIDGES, key=lambda r, j=j: cv[r][j]) for j in range(s.shape[1]))
    g = SHAPE_TARGETS.index("gender")
    levels = (float(s[s[:, g] < 0.5, g].mean()), float(s[s[:, g] >= 0.5, g].mean()))
    model = dataclasses.replace(ShapeModel.fit(x, s, ridges), gender_levels=levels)
    body = create("anny")
    held = shape_scores(model.sliders(test["shape_features"]), test["sliders"], s.mean(0), body)
    regression_only = shape_scores(
        dataclasses.replace(model, gender_levels=None).sliders(test["shape_features"]),
        test["sliders"], s.mean(0), body)  # fmt: skip
    meta = {
        "trained_on": "renders of synthetic subjects (humanmovenet.synth) with MediaPipe on them",
        "what": "anny shape sliders; absolute size is not observable (features in body heights)",
        "seed": args.seed,
        "n_train": len(x),
        "n_test": len(test["shape_features"]),
        "train_ranges": TRAIN_RANGES,
        "test_ranges": TEST_RANGES,
        "ridge_per_slider": dict(zip(SHAPE_TARGETS, ridges, strict=True)),
        "cv_mae": {
            str(r): dict(zip(SHAPE_TARGETS, map(float, v), strict=True)) for r, v in cv.items()
        },  # fmt: skip
        "gender_levels": levels,
        "held_out": held,
        "held_out_without_gender_levels": {
            "gender_mae": regression_only["sliders"]["gender"]["mae"],
            "estimated": regression_only["estimated"],
        },
        "feature_names": list(feature_names()) + list(shape_feature_names()),
    }
    model = dataclasses.replace(model, metadata=meta)
    args.shape_out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.shape_out)
    from humanmovenet._paths import sha256_of

    meta = {**meta, "file": str(args.shape_out), "bytes": args.shape_out.stat().st_size,
            "sha256": sha256_of(args.shape_out)}  # fmt: skip
    for name, row in held["sliders"].items():
        print(f"{name:12s} held-out MAE {row['mae']:.3f} (r {row['r']:.2f}); "
              f"mean predictor {row['mean_predictor_mae']:.3f}")  # fmt: skip
    print(f"gender without the two levels: MAE {regression_only['sliders']['gender']['mae']:.3f}")
    for name in ("estimated", "mean_predictor", "average_body"):
        m = held[name]
        print(f"{name:15s} vertex error {m['vertex_error_mm']:.1f} mm, scale-aligned "
              f"{m['vertex_error_scale_aligned_mm']:.1f} mm, stature MAE "
              f"{100 * m['stature_mae_m']:.1f} cm")  # fmt: skip
    print(f"wrote {args.shape_out} ({meta['bytes']} bytes, sha256 {meta['sha256']})")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=DEFAULTS["n_train"],
                    help="training subjects of the morphology model")  # fmt: skip
    ap.add_argument(
        "--n-train-shape",
        type=int,
        default=DEFAULTS["n_train_shape"],
        help="training subjects of the shape model (the first --n-train are shared)",
    )
    ap.add_argument("--n-test", type=int, default=DEFAULTS["n_test"])
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    ap.add_argument("--frames", type=int, default=DEFAULTS["frames"], help="standing frames")
    ap.add_argument("--size", type=int, default=DEFAULTS["size"], help="render size (pixels)")
    ap.add_argument("--fps", type=float, default=DEFAULTS["fps"])
    ap.add_argument("--cache-dir", type=Path,
                    default=Path.home() / ".cache" / "humanmovenet" / "train_static")  # fmt: skip
    ap.add_argument("--resume", action="store_true",
                    help="reuse cached subjects (always on; kept for clarity)")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("weights/static_morphology.pt"))
    ap.add_argument("--json", type=Path, default=Path("benchmarks/results/train_static.json"))
    ap.add_argument("--shape-out", type=Path, default=Path("weights/static_shape.pt"))
    ap.add_argument("--shape-json", type=Path,
                    default=Path("benchmarks/results/train_static_shape.json"))  # fmt: skip
    ap.add_argument("--only", choices=("both", "morphology", "shape"), default="both",
                    help="which model(s) to fit and write")  # fmt: skip
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    n_build = args.n_train if args.only == "morphology" else max(args.n_train, args.n_train_shape)
    if args.only == "shape":
        n_build = args.n_train_shape
    train_all = build_split("train", args.seed, n_build, TRAIN_RANGES, args, args.cache_dir)
    train = subset(train_all, args.n_train)
    train_shape_split = subset(train_all, args.n_train_shape)
    test = build_split("test", args.seed + 1, args.n_test, TEST_RANGES, args, args.cache_dir)
    t_data = time.perf_counter() - t0
    if args.only in ("both", "shape"):
        t1 = time.perf_counter()
        shape_meta = train_shape(train_shape_split, test, args)
        shape_meta["data_seconds"] = round(t_data, 1)
        shape_meta["fit_seconds"] = round(time.perf_counter() - t1, 1)
        args.shape_json.parent.mkdir(parents=True, exist_ok=True)
        args.shape_json.write_text(json.dumps(shape_meta, indent=2))
    if args.only == "shape":
        return 0
    x, y = train["features"], train["targets"]
    cv = {r: cross_validate(x, y, r) for r in RIDGES}
    ridge = min(cv, key=cv.get)
    model = StaticModel.fit(x, y, ridge)
    held = scores(model.predict(test["features"]), test["targets"])
    baseline = scores(np.broadcast_to(y.mean(0), test["targets"].shape), test["targets"])
    small_yaw = np.abs(test["yaw_deg"]) <= 15.0
    held_small_yaw = scores(model.predict(test["features"][small_yaw]),
                            test["targets"][small_yaw])  # fmt: skip
    meta = {
        "trained_on": "renders of synthetic subjects (humanmovenet.synth) with MediaPipe on them",
        "seed": args.seed,
        "n_train": len(x),
        "n_test": len(test["features"]),
        "missed_by_mediapipe": {"train": train["missed"], "test": test["missed"]},
        "frames_per_subject": args.frames,
        "render_size": args.size,
        "train_ranges": TRAIN_RANGES,
        "test_ranges": TEST_RANGES,
        "ridge": ridge,
        "cv_mae_deg": {str(k): v for k, v in cv.items()},
        "held_out": held,
        "held_out_yaw_le_15deg": {"n": int(small_yaw.sum()), **held_small_yaw},
        "mean_predictor_held_out": baseline,
        "feature_names": list(feature_names()),
    }
    model = StaticModel(model.mean, model.scale, model.weights, model.bias, ridge,
                        metadata=meta)  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    from humanmovenet._paths import sha256_of

    meta["file"] = str(args.out)
    meta["bytes"] = args.out.stat().st_size
    meta["sha256"] = sha256_of(args.out)
    meta["data_seconds"] = round(t_data, 1)
    meta["total_seconds"] = round(time.perf_counter() - t0, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(meta, indent=2))
    for name in TARGETS:
        print(f"{name:28s} held-out MAE {held[name]['mae']:5.2f}° (r {held[name]['r']:.2f}); "
              f"mean predictor {baseline[name]['mae']:5.2f}°")  # fmt: skip
    print(f"ridge {ridge}, wrote {args.out} ({meta['bytes']} bytes, sha256 {meta['sha256']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
