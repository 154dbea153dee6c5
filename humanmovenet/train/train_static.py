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
   lordosis, kyphosis, sacral slope and standing anterior pelvic tilt (degrees).
4. Ridge penalty by 5-fold cross-validation on the training subjects; fit on all of them.
5. Held-out scores (MAE and correlation per target, and the same for predicting the training
   mean) go into the file's metadata and ``benchmarks/results/train_static.json``; the model
   is written to ``weights/static_morphology.pt``; copy its sha256 into
   ``reconstruct.static_model.SHIPPED_SHA256``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from humanmovenet.reconstruct.static_model import (
    FEATURE_VERSION,
    TARGETS,
    StaticModel,
    feature_names,
    standing_features,
)

DEFAULTS = dict(n_train=200, n_test=60, seed=0, frames=2, size=384, fps=5.0)
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

    folder = cache / f"{name}_v{FEATURE_VERSION}_seed{seed}_f{args.frames}_s{args.size}"
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
    }


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=DEFAULTS["n_train"])
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
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    train = build_split("train", args.seed, args.n_train, TRAIN_RANGES, args, args.cache_dir)
    test = build_split("test", args.seed + 1, args.n_test, TEST_RANGES, args, args.cache_dir)
    t_data = time.perf_counter() - t0
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
