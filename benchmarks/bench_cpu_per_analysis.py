"""How many cores one ``analyze`` uses with one torch thread (CPU time / wall time).

Run: ``python benchmarks/bench_cpu_per_analysis.py VIDEO`` (e.g. a rendered clip made by
``benchmarks/bench_batch.py``). One warm-up analysis (imports, model loading), then three timed
ones; prints wall time, CPU time of this process and their ratio. A ratio near 1 means
MediaPipe / OpenCV add no hidden parallelism, so a one-worker batch is one core (docs/batch.md).
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from humanmovenet.pipeline import BiomechConfig, PipelineConfig, analyze


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    config = PipelineConfig(biomech=BiomechConfig(n_bootstrap=0))
    analyze(args.video, config, cache=False)  # warm-up
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(args.repeats):
        analyze(args.video, config, cache=False)
    r1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s -> {cpu / wall:.2f} cores")


if __name__ == "__main__":
    main()
