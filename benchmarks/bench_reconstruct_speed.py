"""Speed and memory of everything after 2D pose (``reconstruct_spine``, default learned path).

    python benchmarks/bench_reconstruct_speed.py [--repeat 10] [--threads 1 2]
    python benchmarks/bench_reconstruct_speed.py --memory-frames 18000   # a 10-minute clip

One rendered forward bend (``bench_reconstruct.make_sequence``, seed 300, 10 fps, 384 px) goes
through real MediaPipe once; its keypoints and masks are then tiled ``--repeat`` times (a long
clip) and reconstructed: back contour → regressor → GCN+LSTM → learned static model → fusion.
Reported per torch thread count: total frames/s on the single clip and on the long clip, and the
marginal frames/s (extra frames / extra time), which excludes the per-clip set-up (spine
embedding, body layer, model loading). Timings depend on the machine's load; the JSON records
the load average.

``--memory-frames N`` instead tiles the clip to N frames with the masks in a disk-backed array
(as ``pose2d`` leaves a long video's masks), reconstructs it once and reports the time and the
process's peak RSS (``ru_maxrss``, imports and inputs included).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def tile(kp, sil, n: int):
    k = dataclasses.replace(
        kp,
        data=np.tile(kp.data, (n, 1, 1)),
        frame_indices=np.arange(kp.num_frames * n),
        detected=np.tile(kp.detected, n),
        interpolated=np.tile(kp.interpolated, n),
        world=None if kp.world is None else np.tile(kp.world, (n, 1, 1)),
    )
    valid = None if sil.valid is None else np.tile(sil.valid, n)
    return k, dataclasses.replace(sil, masks=np.tile(sil.masks, (n, 1, 1)), valid=valid)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--memory-frames", type=int, default=0,
                    help="reconstruct one tiled clip of this many frames and report peak RSS")  # fmt: skip
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks/results/bench_reconstruct_speed.json")  # fmt: skip
    args = ap.parse_args(argv)
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_reconstruct import make_sequence

    from humanmovenet.body import create
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.synth.render import Renderer

    body = create("anny")
    with Renderer(384, 384) as renderer:
        _, _, rgb = make_sequence(body, 300, "forward_bend", 10.0, 384, renderer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pose = estimate_pose([Frame(t, t / 10, im) for t, im in enumerate(rgb)],
                             PoseConfig(mask_scale=0.5))  # fmt: skip
    kp, sil = pose.keypoints, pose.silhouettes
    if args.memory_frames > 0:
        return memory_run(kp, sil, body, args)
    reconstruct_spine(kp, sil, body)  # load models and caches once
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        times = {}
        for n in (1, args.repeat):
            k, s = tile(kp, sil, n)
            t0 = time.perf_counter()
            reconstruct_spine(k, s, body, config=None)
            times[n] = (k.num_frames, time.perf_counter() - t0)
        (f1, t1), (f2, t2) = times[1], times[args.repeat]
        row = {
            "threads": threads,
            "clip_frames": f1,
            "clip_fps": f1 / t1,
            "long_frames": f2,
            "long_fps": f2 / t2,
            "marginal_fps": (f2 - f1) / (t2 - t1),
            "load_average": os.getloadavg()[0],
        }
        rows.append(row)
        print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"rows": rows, "note": "fit num_threads defaults to 1 inside the fit/regressor; "
              "torch.set_num_threads affects the rest"}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2))
    return result


def memory_run(kp, sil, body, args) -> dict:
    """One reconstruction of a ``--memory-frames`` clip with disk-backed masks; peak RSS."""
    import resource
    import tempfile

    from numpy.lib.format import open_memmap

    from humanmovenet.reconstruct import reconstruct_spine

    n = -(-args.memory_frames // kp.num_frames)
    k = dataclasses.replace(  # keypoints tiled in memory, masks only on disk (below)
        kp, data=np.tile(kp.data, (n, 1, 1)), frame_indices=np.arange(kp.num_frames * n),
        detected=np.tile(kp.detected, n), interpolated=np.tile(kp.interpolated, n), world=None)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "masks.npy"
        mm = open_memmap(path, mode="w+", dtype=bool, shape=(k.num_frames, *sil.masks.shape[1:]))
        for i in range(n):
            mm[i * kp.num_frames : (i + 1) * kp.num_frames] = sil.masks
        mm.flush()
        del mm
        masks = np.load(path, mmap_mode="r")
        valid = None if sil.valid is None else np.tile(sil.valid, n)
        s = dataclasses.replace(sil, masks=masks, valid=valid)
        t0 = time.perf_counter()
        reconstruct_spine(k, s, body)
        seconds = time.perf_counter() - t0
        del masks, s
    result = {
        "frames": k.num_frames,
        "seconds": seconds,
        "fps": k.num_frames / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps({key: round(v, 1) if isinstance(v, float) else v
                      for key, v in result.items()}))  # fmt: skip
    out = args.out.with_name(args.out.stem + "_memory.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
