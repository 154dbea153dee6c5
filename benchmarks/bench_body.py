"""Speed of the body forward pass (humanmovenet.body.AnnyBody) on 2 CPU threads.

Run from the repository root:  python benchmarks/bench_body.py [--batch 64] [--repeats 7]

Cases: float32 and float64 forward of a batch of random poses and shapes (no grad), and float32
forward + backward of a scalar loss (what fitting does). Prints a table (median of
``--repeats`` timed runs after one warm-up) and writes ``benchmarks/results/bench_body.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
try:
    from humanmovenet.body import AnnyBody
except ModuleNotFoundError:  # running from a source checkout without installation
    sys.path.insert(0, str(REPO))
    from humanmovenet.body import AnnyBody

RESULTS = REPO / "benchmarks" / "results"


def random_inputs(
    body: AnnyBody, batch: int, dtype: torch.dtype, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Random betas (N(0,1)), poses (0.3 rad std), root orientations and translations."""
    g = torch.Generator().manual_seed(seed)
    return {
        "betas": torch.randn(batch, body.num_betas, generator=g).to(dtype),
        "body_pose": (0.3 * torch.randn(batch, body.num_body_joints, 3, generator=g)).to(dtype),
        "root_orient": (0.3 * torch.randn(batch, 3, generator=g)).to(dtype),
        "transl": torch.randn(batch, 3, generator=g).to(dtype),
    }


def time_call(fn, repeats: int) -> float:
    """Median wall time (s) of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_cases(batch: int, repeats: int) -> list[dict]:
    """Time every case; returns one row per case."""
    rows = []
    for dtype in (torch.float32, torch.float64):
        body = AnnyBody().to(dtype)
        inputs = random_inputs(body, batch, dtype)

        def forward(body=body, inputs=inputs):
            with torch.no_grad():
                body(**inputs)

        rows.append({"case": f"forward {str(dtype)[6:]}", "seconds": time_call(forward, repeats)})
    body = AnnyBody()
    inputs = {k: v.requires_grad_() for k, v in random_inputs(body, batch, torch.float32).items()}

    def forward_backward():
        body(**inputs).vertices.square().mean().backward()

    rows.append(
        {"case": "forward+backward float32", "seconds": time_call(forward_backward, repeats)}
    )
    for row in rows:
        row.update(batch=batch, ms=1e3 * row["seconds"], poses_per_s=batch / row["seconds"])
    return rows


def main() -> None:
    """Run the benchmark, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = bench_cases(args.batch, args.repeats)
    print(f"AnnyBody, batch {args.batch}, {args.threads} threads, median of {args.repeats}")
    print(f"{'case':<28}{'ms':>10}{'poses/s':>12}")
    for row in rows:
        print(f"{row['case']:<28}{row['ms']:>10.1f}{row['poses_per_s']:>12.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_body.json"
    meta = {
        "threads": args.threads,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "machine": platform.machine(),
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
