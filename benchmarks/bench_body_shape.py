"""What estimating the body shape buys: reconstruction with the average body vs the estimated one.

Held-out rendered clips (seeds ``--seed`` … ``--seed + N − 1``, 71000… by default, which no
training script uses; subjects from the static model's held-out shape range, age 30–80 and BMI
21–35, i.e. partly outside the training range) of a forward or backward bend that starts and
ends standing, rendered with random camera, clothes, background and light, real MediaPipe
(masks at half resolution). Each clip is reconstructed twice by ``reconstruct_spine`` on the
same MediaPipe output:

* ``average``: ``estimate_shape=False`` (the average body, what ``shape=None`` gave before);
* ``estimated``: the default (the shape model's sliders from the standing frames);
* ``true``: the subject's true shape passed as ``shape`` (an oracle: what a perfect shape
  estimate could buy at most in this pipeline).

Scores per clip and mean over clips:

* the estimated sliders against the subject's true sliders (and the stature of both bodies);
* rest-pose mesh error (mm per vertex, raw and after centroid + isotropic scale alignment) of
  each body against the subject's true body;
* silhouette IoU of the reconstructed mesh vs the true mesh, both rendered with the render
  camera (``benchmarks.run.mesh_scores``: ``silhouette_iou`` with the reconstruction placed by
  its own camera frame; ``silhouette_iou_image`` stretched so it projects where the fit's own
  intrinsics put it — the overlay on the video), on ``--render-frames`` frames;
* angle MAE (deg, change from standing; ``benchmarks.run.angle_maes``) of lumbar, pelvis, hip
  and thoracic, to check the joint angles do not move; and the largest per-frame difference of
  the fitted angles between the two runs;
* vertebra MPJPE (raw, centred, PA; ``benchmarks.run.vertebra_scores``, camera frame) and the
  Hausdorff distance of the meshes (raw and centred, nearest vertices).

Run: ``python benchmarks/bench_body_shape.py --clips 8`` → ``benchmarks/results/
bench_body_shape.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.run import (  # noqa: E402
    angle_maes,
    mesh_scores,
    spine_angle_series,
    truth_angle_series,
    vertebra_scores,
)
from humanmovenet.body import create  # noqa: E402
from humanmovenet.io.video import Frame  # noqa: E402
from humanmovenet.pose2d import PoseConfig, estimate_pose  # noqa: E402
from humanmovenet.reconstruct import FitConfig, reconstruct_spine  # noqa: E402
from humanmovenet.synth.appearance import sample_scene  # noqa: E402
from humanmovenet.synth.camera import sample_side_camera  # noqa: E402
from humanmovenet.synth.motion import generate_motion  # noqa: E402
from humanmovenet.synth.render import Renderer  # noqa: E402
from humanmovenet.synth.sequence import pose_sequence  # noqa: E402
from humanmovenet.synth.spine_truth import ground_truth_spine  # noqa: E402
from humanmovenet.synth.subject import sample_subject  # noqa: E402
from humanmovenet.train.train_static import (  # noqa: E402
    TEST_RANGES,
    TRAIN_RANGES,
    mesh_errors,
    rest_vertices,
)
from humanmovenet.types import BodyShape  # noqa: E402

SLIDERS = ("gender", "age", "muscle", "weight", "height", "proportions")
RUNS = {"average": {"estimate_shape": False}, "estimated": {}, "true": None}


def make_clip(body, seed: int, movement: str, fps: float, size: int, renderer):
    """Render one held-out clip; returns (subject, posed, camera, rgb frames)."""
    rng = np.random.default_rng(seed)
    subject = sample_subject(rng, **TEST_RANGES)
    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    camera = sample_side_camera(rng, posed.vertices, image_size=(size, size))
    scene = sample_scene(rng, body, subject.sliders, size, size)
    faces = body.faces.numpy()
    rgb = [renderer.render(v, faces, camera, scene.colors, scene.background, scene.lighting,
                           with_depth=False).rgb for v in posed.vertices]  # fmt: skip
    return subject, posed, camera, rgb


def run_clip(i: int, args, body, renderer) -> dict:
    movement = ("forward_bend", "backward_bend")[i % 2]
    seed = args.seed + i
    subject, posed, camera, rgb = make_clip(body, seed, movement, args.fps, args.size, renderer)
    frames = [Frame(t, t / args.fps, im) for t, im in enumerate(rgb)]
    pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
    kp, sil = pose.keypoints, pose.silhouettes
    truth = truth_angle_series(posed)
    true_cam = ground_truth_spine(posed).positions @ camera.R.T + camera.t
    true_sliders = subject.sliders.as_array()
    out = {"seed": seed, "movement": movement, "frames": kp.num_frames, "bmi": subject.bmi,
           "age_years": subject.age_years, "sex": subject.sex,
           "true_sliders": dict(zip(SLIDERS, true_sliders.tolist(), strict=True)),
           "runs": {}}  # fmt: skip
    results = {}
    true_shape = BodyShape(body.shape_from_sliders(subject.sliders)[0].numpy(), "anny",
                           subject.sliders)  # fmt: skip
    for name, kwargs in RUNS.items():
        kwargs = {"shape": true_shape} if kwargs is None else kwargs
        t0 = time.perf_counter()
        spine, fit, static = reconstruct_spine(kp, sil, body, config=FitConfig(), **kwargs)
        seconds = time.perf_counter() - t0
        results[name] = (spine, fit, static)
        series = spine_angle_series(spine, fit)
        scores = angle_maes(series, truth, results["average"][2].standing)
        ours_cam = spine.positions @ np.asarray(fit.camera_R).T
        scores.update(vertebra_scores(ours_cam, true_cam, args.fps))
        scores.update(mesh_scores(spine, fit, posed, camera, body, renderer,
                                  args.render_frames, 1))  # fmt: skip
        sliders = (np.full(6, 0.5) if static.shape.sliders is None
                   else static.shape.sliders.as_array())  # fmt: skip
        scores["shape_method"] = static.shape_method
        scores["sliders"] = dict(zip(SLIDERS, sliders.tolist(), strict=True))
        scores["rest_mesh"] = mesh_errors(rest_vertices(body, sliders[None]),
                                          rest_vertices(body, true_sliders[None]))  # fmt: skip
        scores["seconds"] = seconds
        out["runs"][name] = scores
    a, e = results["average"][1].angles, results["estimated"][1].angles
    out["max_angle_difference_deg"] = float(np.degrees(np.abs(a - e).max()))
    return out


def summarise(clips: list[dict]) -> dict:
    summary = {}
    for name in RUNS:
        rows = [c["runs"][name] for c in clips]
        keys = [k for k, v in rows[0].items() if isinstance(v, float)]
        summary[name] = {k: float(np.nanmean([r[k] for r in rows])) for k in keys}
        for k in ("vertex_error_mm", "vertex_error_scale_aligned_mm", "stature_mae_m"):
            summary[name][f"rest_{k}"] = float(np.mean([r["rest_mesh"][k] for r in rows]))
    pred = np.array([[c["runs"]["estimated"]["sliders"][s] for s in SLIDERS] for c in clips])
    true = np.array([[c["true_sliders"][s] for s in SLIDERS] for c in clips])
    summary["slider_mae"] = dict(zip(SLIDERS, np.abs(pred - true).mean(0).tolist(), strict=True))
    summary["slider_mae_average_body"] = dict(
        zip(SLIDERS, np.abs(0.5 - true).mean(0).tolist(), strict=True)
    )
    diffs = [c["max_angle_difference_deg"] for c in clips]
    summary["max_angle_difference_deg"] = float(np.max(diffs))
    for run in ("estimated", "true"):
        for key in ("silhouette_iou", "silhouette_iou_image"):
            gain = np.array([c["runs"][run][key] - c["runs"]["average"][key] for c in clips])
            summary[f"{key}_gain_{run}_vs_average"] = {
                "mean": float(gain.mean()), "min": float(gain.min()), "max": float(gain.max()),
                "clips_improved": int((gain > 0).sum()), "clips": len(gain)}  # fmt: skip
    return summary


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=384, help="render size (the training size)")
    ap.add_argument("--seed", type=int, default=71000, help="first seed of the held-out clips")
    ap.add_argument("--render-frames", type=int, default=6)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/bench_body_shape.json")
    args = ap.parse_args(argv)
    if args.clips < 1 or args.fps <= 0 or args.size < 64:
        ap.error("need --clips >= 1, --fps > 0 and --size >= 64")
    torch.set_num_threads(1)
    body = create("anny")
    clips = []
    t0 = time.perf_counter()
    with Renderer(args.size, args.size) as renderer:
        for i in range(args.clips):
            clips.append(run_clip(i, args, body, renderer))
            c = clips[-1]["runs"]
            print(f"clip {i}: IoU img-aligned average {c['average']['silhouette_iou_image']:.3f} "
                  f"estimated {c['estimated']['silhouette_iou_image']:.3f}; rest mesh "
                  f"(scale-aligned) {c['average']['rest_mesh']['vertex_error_scale_aligned_mm']:.1f}"
                  f" → {c['estimated']['rest_mesh']['vertex_error_scale_aligned_mm']:.1f} mm; "
                  f"lumbar MAE {c['average']['lumbar_mae_deg']:.2f} → "
                  f"{c['estimated']['lumbar_mae_deg']:.2f}°", flush=True)  # fmt: skip
    summary = summarise(clips)
    result = {"command": "python benchmarks/bench_body_shape.py " + " ".join(
                  sys.argv[1:] if argv is None else argv),
              "args": {k: str(v) for k, v in vars(args).items()},
              "test_ranges": TEST_RANGES, "train_ranges": TRAIN_RANGES,
              "wall_time_s": time.perf_counter() - t0, "summary": summary,
              "clips": clips}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=float))
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
