"""Model-based reconstruction (reconstruct.fit/static/fuse) on rendered synthetic bends, MediaPipe in the loop.

For each of N sequences: a random subject (``synth.subject.sample_subject``) does a forward or
backward bend (``synth.motion``), posed on the anny body with measured ground truth
(``synth.sequence.pose_sequence``), rendered from a random side camera with random clothes,
background and lighting (``synth.render``, ``synth.appearance``); MediaPipe (VIDEO mode, masks)
gives the landmarks and silhouettes; ``reconstruct.reconstruct_spine`` gives the dynamic spine.

Reported per sequence and overall:

* angle MAE (degrees) against the ground truth measured on the posed body, as *changes from
  the standing frames* (each estimate minus its mean over the frames the static step found
  standing; the truth is 0 when standing): lumbar L1–S1 angle, thoracic T1–T12 angle, pelvic
  tilt, mean hip flexion; and ``_abs`` values without that re-zeroing (pelvis and hips relative
  to the body's neutral, which is the subject's standing posture; lumbar: the absolute L1–S1
  angle, which also needs the static morphology);
* vertebra position error, in the camera frame (ours: the fit's camera; truth: the render
  camera): mean over frames and levels of the distance between reconstructed and true
  vertebral centres (mm), and the same after removing each frame's mean offset of the whole
  spine (``_centred``: monocular depth is only known through the assumed body size);
* speed: fit + static + fuse frames per second (MediaPipe timed separately).

Run: ``python benchmarks/bench_reconstruct.py --sequences 6 --fps 10`` (writes
``benchmarks/results/bench_reconstruct.json``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from humanmovenet.body import create
from humanmovenet.io.video import Frame
from humanmovenet.pose2d import PoseConfig, estimate_pose
from humanmovenet.reconstruct import FitConfig, reconstruct_spine
from humanmovenet.spine.morphology import lumbar_angle, thoracic_angle
from humanmovenet.synth.appearance import sample_scene
from humanmovenet.synth.camera import sample_side_camera
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.render import Renderer
from humanmovenet.synth.sequence import pose_sequence
from humanmovenet.synth.spine_truth import ground_truth_spine
from humanmovenet.synth.subject import sample_subject
from humanmovenet.types import BodyShape

ROOT = Path(__file__).resolve().parents[1]


def make_sequence(body, seed: int, movement: str, fps: float, size: int, renderer: Renderer,
                  **subject_ranges):  # fmt: skip
    """Render one synthetic sequence; returns (posed, camera, rgb frames).

    ``subject_ranges``: ``age_range`` / ``bmi_range`` of ``synth.subject.sample_subject``
    (default: its full range).
    """
    rng = np.random.default_rng(seed)
    subject = sample_subject(rng, **subject_ranges)
    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    camera = sample_side_camera(rng, posed.vertices, image_size=(size, size))
    scene = sample_scene(rng, body, subject.sliders, size, size, avoid_camouflage=False)
    faces = body.faces.numpy()
    rgb = [renderer.render(v, faces, camera, scene.colors, scene.background, scene.lighting,
                           with_depth=False).rgb for v in posed.vertices]  # fmt: skip
    return posed, camera, rgb


def evaluate(posed, spine, fit, camera) -> dict[str, float]:
    """Angle MAEs (deg) and vertebra errors (mm) against the ground truth, in camera frames."""
    gt = posed.angles
    deg = np.degrees
    frames = torch.as_tensor(spine.frames)
    lum = lumbar_angle(frames).numpy()
    tho = thoracic_angle(frames).numpy()
    standing = spine_standing(fit)
    gt_pelvis = gt.pelvic_tilt - gt.pelvic_tilt[0]  # body neutral = the subject's standing pelvis
    pelvis = fit.angle("pelvis_tilt")
    hip_gt = 0.5 * (gt.hip_flexion_left + gt.hip_flexion_right)
    lum_change = lum - lum[standing].mean()
    tho_change = tho - tho[standing].mean()
    pel_change = pelvis - pelvis[standing].mean()
    hip_change = spine.hip_flexion - spine.hip_flexion[standing].mean()
    truth = ground_truth_spine(posed)
    ours = spine.positions @ fit.camera_R.T  # the fit's camera sits at its world origin
    true = truth.positions @ camera.R.T + camera.t
    err = np.linalg.norm(ours - true, axis=-1)
    centred = (ours - ours.mean(1, keepdims=True)) - (true - true.mean(1, keepdims=True))
    return {
        "lumbar_change_mae_deg": float(np.mean(np.abs(deg(lum_change - gt.lumbar_flexion)))),
        "lumbar_abs_mae_deg": float(np.mean(np.abs(deg(lum - gt.lumbar_angle)))),
        "thoracic_change_mae_deg": float(np.mean(np.abs(deg(tho_change - gt.thoracic_flexion)))),
        "pelvis_change_mae_deg": float(np.mean(np.abs(deg(pel_change - gt_pelvis)))),
        "pelvis_abs_mae_deg": float(np.mean(np.abs(deg(pelvis - gt_pelvis)))),
        "hip_change_mae_deg": float(np.mean(np.abs(deg(hip_change - hip_gt)))),
        "hip_abs_mae_deg": float(np.mean(np.abs(deg(spine.hip_flexion - hip_gt)))),
        "lumbar_rom_error_deg": float(deg(np.ptp(lum) - np.ptp(gt.lumbar_angle))),
        "vertebra_error_mm": float(1000 * err.mean()),
        "vertebra_error_centred_mm": float(1000 * np.linalg.norm(centred, axis=-1).mean()),
        "peak_lumbar_flexion_gt_deg": float(
            deg(gt.lumbar_flexion[np.argmax(np.abs(gt.lumbar_flexion))])
        ),
    }


_STANDING: dict[int, np.ndarray] = {}


def save_example(path: Path, rgb, kp, sil, fit, spine, truth, camera) -> None:
    """RGB of the peak frame | overlay: observed back contour (red), MediaPipe landmarks
    (yellow), reconstructed vertebrae (cyan) and true vertebrae (green, render camera)."""
    from PIL import Image, ImageDraw

    from humanmovenet.reconstruct import extract_back_contour

    contour = extract_back_contour(sil, kp)
    t = int(np.argmax(np.abs(fit.angle("pelvis_tilt") + fit.angle("lumbar_flexion"))))
    image = Image.fromarray(rgb[t])
    over = image.copy()
    draw = ImageDraw.Draw(over)

    def dots(points, colour, r=2):
        for u, v in points:
            if np.isfinite(u) and np.isfinite(v):
                draw.ellipse([u - r, v - r, u + r, v + r], fill=colour)

    dots(contour.points_px[t], (255, 40, 40))
    dots(kp.xy[t, 11:29], (255, 230, 0), 3)
    cam_pts = spine.positions[t] @ fit.camera_R.T
    dots(cam_pts[:, :2] / cam_pts[:, 2:] * fit.K[0, 0] + fit.K[:2, 2], (0, 220, 255))
    dots(camera.project(truth.positions[t]), (0, 200, 0))
    both = np.concatenate([np.asarray(image), np.asarray(over)], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(both).save(path, optimize=True)
    print(f"wrote {path} (frame {t})")


def spine_standing(fit) -> np.ndarray:
    return _STANDING[id(fit)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=6)
    parser.add_argument("--fps", type=float, default=10.0, help="video frame rate of the renders")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=250)
    parser.add_argument("--known-focal", action="store_true", help="give the fit the true focal")
    parser.add_argument("--no-contour", action="store_true", help="ablation: landmarks only")
    parser.add_argument(
        "--max-station",
        type=float,
        default=1.0,
        help="last back-contour station (trunk lengths; 1 = shoulders)",
    )
    parser.add_argument(
        "--oracle-shape",
        action="store_true",
        help="give the fit the subject's true body shape (else the average)",
    )
    parser.add_argument(
        "--save-example",
        type=Path,
        default=None,
        help="write an overlay PNG of the first sequence's peak frame",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/bench_reconstruct.json"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    body = create("anny")
    rows = []
    with Renderer(args.size, args.size) as renderer:
        for i in range(args.sequences):
            movement = ("forward_bend", "backward_bend")[i % 2]
            seed = args.seed + i
            posed, camera, rgb = make_sequence(body, seed, movement, args.fps, args.size, renderer)
            frames = [Frame(t, t / args.fps, im) for t, im in enumerate(rgb)]
            t0 = time.perf_counter()
            pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
            t_mp = time.perf_counter() - t0
            kp, sil = pose.keypoints, pose.silhouettes
            if not kp.detected.all():
                print(f"seq {i}: MediaPipe missed {int((~kp.detected).sum())} frames")
            stations = tuple(np.arange(-0.15, args.max_station + 1e-9, 1.15 / 31).tolist())
            config = FitConfig(iterations=args.iterations, stations=stations,
                               focal_px=camera.fx if args.known_focal else None)  # fmt: skip
            t0 = time.perf_counter()
            shape = None
            if args.oracle_shape:
                shape = BodyShape(np.asarray(posed.betas, dtype=np.float64), "anny")
            spine, fit, static = reconstruct_spine(kp, None if args.no_contour else sil, body,
                                                   shape=shape, config=config)  # fmt: skip
            t_fit = time.perf_counter() - t0
            _STANDING[id(fit)] = static.standing
            if args.save_example is not None and i == 0:
                save_example(args.save_example, rgb, kp, sil, fit, spine,
                             ground_truth_spine(posed), camera)  # fmt: skip
            row = {"seed": seed, "movement": movement, "frames": kp.num_frames,
                   "detected": float(kp.detected.mean()), "facing": kp.view.facing if kp.view else None,
                   "mediapipe_fps": kp.num_frames / t_mp, "reconstruct_fps": kp.num_frames / t_fit,
                   "standing_frames": int(static.standing.sum()),
                   "lordosis_est_deg": static.morphology.lumbar_lordosis_deg,
                   "lordosis_gt_deg": posed.subject.morphology.lumbar_lordosis_deg,
                   **evaluate(posed, spine, fit, camera)}  # fmt: skip
            rows.append(row)
            print(
                json.dumps(
                    {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}
                )
            )
    keys = [k for k, v in rows[0].items() if isinstance(v, float)]
    summary = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    for movement in ("forward_bend", "backward_bend"):
        sel = [r for r in rows if r["movement"] == movement]
        if sel:
            summary[movement] = {k: float(np.mean([r[k] for r in sel])) for k in keys}
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "summary": summary, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
