"""Agreement of humanmovenet.biomech metrics with synthetic ground truth, and their speed.

Run from the repository root:

    python benchmarks/bench_biomech.py --subjects 40 --noise 0 0.5 1 2

For each of ``--subjects`` random synthetic subjects (FP / EP / neither drawn with equal
probability, ages 20–80) it generates a forward bend, a backward bend, a two-sided lateral bend
(asymmetry U(−30, 30) %) and 4 strides of gait (asymmetry U(−30, 30) %) at ``--fps``, poses
the subject's body and vertebral spine with each motion, and runs
``biomech.compute_metrics`` (movement and phases detected automatically). Ground truth is the
motion's own ``summarize_motion``; the generator's phase labels are the phase truth.

Builders (``--builder``):

* ``fk`` (default): the anny body's own forward kinematics (root, spine chain, hips) and
  ``spine.embed.pose_spine`` — the vertebrae exactly as the spine stage poses them, without
  skinning the mesh (fast);
* ``posed``: ``synth.sequence.pose_sequence`` (the full posed, skinned, floor-placed body);
  slower, checks that the mapping of the dataset generator gives the same numbers.

Noise (``--noise``, degrees): independent Gaussian noise per frame on every commanded joint
angle (pelvis, hips, lumbar, thoracic) before posing — a stand-in for reconstruction jitter.

Reports per noise level and movement: mean / max absolute error of each metric, movement
detection accuracy, phase frame agreement, gait cycle length error, mean uncertainty, mean
removed noise bias, coverage of the 95 % interval, and the time of ``compute_metrics`` with and
without the bootstrap. Writes ``benchmarks/results/bench_biomech.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
try:
    import humanmovenet  # noqa: F401
except ModuleNotFoundError:  # running from a source checkout without installation
    sys.path.insert(0, str(REPO))

from humanmovenet.biomech import compute_metrics  # noqa: E402
from humanmovenet.body import create  # noqa: E402
from humanmovenet.synth.motion import generate_motion, summarize_motion  # noqa: E402
from humanmovenet.synth.sequence import subject_embedding  # noqa: E402
from humanmovenet.synth.spine_truth import (  # noqa: E402
    ground_truth_spine,
    perturb_motion,
    skeleton_spine,
)
from humanmovenet.synth.subject import sample_subject  # noqa: E402
from humanmovenet.types import DynamicSpine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
MOVEMENTS = ("forward_bend", "backward_bend", "lateral_bend", "gait")
# metric name -> MotionSummary field
TRUTH = {
    "lumbar_rom": "lumbar_rom_deg",
    "pelvic_tilt_range": "pelvic_tilt_range_deg",
    "lumbar_hip_ratio": "lumbar_hip_ratio",
    "symmetry_index": "symmetry_index",
    "peak_lumbar_flexion": "peak_lumbar_flexion_deg",
    "peak_lumbar_extension": "peak_lumbar_extension_deg",
    "peak_hip_flexion": "peak_hip_flexion_deg",
    "peak_trunk_inclination": "peak_trunk_inclination_deg",
}


def spine_fk(body, emb, subject, motion) -> DynamicSpine:
    """Vertebrae posed from the body's own forward kinematics (no skinning)."""
    return skeleton_spine(subject, motion, body, emb)


def spine_posed(body, emb, subject, motion) -> DynamicSpine:
    """Vertebrae of the full posed body of ``synth.sequence.pose_sequence``."""
    from humanmovenet.synth.sequence import pose_sequence

    return ground_truth_spine(pose_sequence(subject, motion, body, embedding=emb))


def motions(subject, seed: int, fps: float):
    gen = np.random.default_rng(seed)
    for movement in MOVEMENTS:
        kwargs = {}
        if movement in ("lateral_bend", "gait"):
            kwargs["asymmetry_pct"] = float(gen.uniform(-30.0, 30.0))
        if movement == "gait":
            kwargs["n_cycles"] = 4.0
        yield movement, generate_motion(subject, movement, seed, fps=fps, **kwargs)


def evaluate_one(spine, motion, movement, n_bootstrap, seed) -> dict:
    truth = summarize_motion(motion)
    t0 = time.perf_counter()
    m = compute_metrics(spine, n_bootstrap=n_bootstrap, seed=seed)
    t_boot = time.perf_counter() - t0
    t0 = time.perf_counter()
    compute_metrics(spine, n_bootstrap=0)
    t_plain = time.perf_counter() - t0
    row = {"movement": movement, "detected": m.movement, "frames": spine.num_frames,
           "time_s": t_boot, "time_no_bootstrap_s": t_plain, "metrics": {}}  # fmt: skip
    for name, field in TRUTH.items():
        gt, mv = float(getattr(truth, field)), getattr(m, name)
        if not np.isfinite(gt) or mv is None:
            continue
        row["metrics"][name] = {"error": mv.value - gt, "uncertainty": mv.uncertainty,
                                "bias": mv.bias, "covered": bool(mv.ci_low <= gt <= mv.ci_high)}  # fmt: skip
    if movement != "gait":
        row["phase_agreement"] = float(np.mean(m.phase == motion.phase))
    else:
        detected = np.bincount(m.gait_cycle[m.gait_cycle >= 0])
        strides = np.bincount(motion.gait_cycle)[:-1]
        row["cycle_length_error"] = (
            float(detected.mean() / strides.mean() - 1.0) if len(detected) else float("nan")
        )
    return row


def summarize(rows: list[dict]) -> dict:
    out = {"n": len(rows),
           "movement_detected": float(np.mean([r["detected"] == r["movement"] for r in rows]))}  # fmt: skip
    names = sorted({k for r in rows for k in r["metrics"]})
    for name in names:
        vals = [r["metrics"][name] for r in rows if name in r["metrics"]]
        err = np.abs([v["error"] for v in vals])
        out[name] = {
            "n": len(vals),
            "mean_abs_error": float(err.mean()),
            "max_abs_error": float(err.max()),
            "mean_signed_error": float(np.mean([v["error"] for v in vals])),
            "mean_uncertainty": float(np.nanmean([v["uncertainty"] for v in vals])),
            "mean_bias_removed": float(np.nanmean([v["bias"] for v in vals])),
            "coverage_95": float(np.mean([v["covered"] for v in vals])),
        }
    if any("phase_agreement" in r for r in rows):
        pa = [r["phase_agreement"] for r in rows if "phase_agreement" in r]
        out["phase_agreement"] = {"mean": float(np.mean(pa)), "min": float(np.min(pa))}
    if any("cycle_length_error" in r for r in rows):
        ce = np.abs([r["cycle_length_error"] for r in rows if "cycle_length_error" in r])
        out["cycle_length_abs_rel_error"] = {"mean": float(np.nanmean(ce)),
                                             "max": float(np.nanmax(ce))}  # fmt: skip
    frames = np.array([r["frames"] for r in rows])
    out["time_ms_per_sequence"] = float(1e3 * np.mean([r["time_s"] for r in rows]))
    out["time_ms_per_sequence_no_bootstrap"] = float(
        1e3 * np.mean([r["time_no_bootstrap_s"] for r in rows])
    )
    out["frames_per_s_no_bootstrap"] = float(
        frames.sum() / np.sum([r["time_no_bootstrap_s"] for r in rows])
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=40)
    parser.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0])
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--n-bootstrap", type=int, default=200)
    parser.add_argument("--builder", choices=("fk", "posed"), default="fk")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_biomech.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    body = create("anny")
    build = spine_fk if args.builder == "fk" else spine_posed
    rows: dict[float, list[dict]] = {noise: [] for noise in args.noise}
    t_start = time.perf_counter()
    for i in range(args.subjects):
        seed = args.seed + i
        subject = sample_subject(seed, age_range=(20.0, 80.0))
        emb = subject_embedding(body, body.shape_from_sliders(subject.sliders)[0], subject)
        for movement, motion in motions(subject, seed, args.fps):
            for noise in args.noise:
                noisy = perturb_motion(motion, noise, np.random.default_rng(seed))
                spine = build(body, emb, subject, noisy)
                row = evaluate_one(spine, motion, movement, args.n_bootstrap, seed)
                row.update(subject=seed, phenotype=subject.phenotype, noise_deg=noise)
                rows[noise].append(row)
        print(f"subject {i + 1}/{args.subjects} done ({time.perf_counter() - t_start:.0f} s)",
              flush=True)  # fmt: skip
    report = {
        "command": " ".join(sys.argv),
        "builder": args.builder,
        "fps": args.fps,
        "n_bootstrap": args.n_bootstrap,
        "machine": {
            "python": platform.python_version(),
            "torch_threads": 2,
            "processor": platform.processor() or platform.machine(),
        },  # fmt: skip
        "results": {
            str(noise): {mv: summarize([r for r in rs if r["movement"] == mv]) for mv in MOVEMENTS}
            for noise, rs in rows.items()
        },
        "rows": {str(k): v for k, v in rows.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print_table(report)
    print(f"wrote {args.out}")


def print_table(report: dict) -> None:
    keys = ("lumbar_rom", "pelvic_tilt_range", "lumbar_hip_ratio", "symmetry_index")
    for noise, per_mv in report["results"].items():
        print(f"\nnoise {noise}° per joint angle per frame")
        for mv, res in per_mv.items():
            parts = [f"{mv:13s} detected {res['movement_detected']:.2f}"]
            for k in keys:
                if k in res:
                    r = res[k]
                    parts.append(f"{k} |err| {r['mean_abs_error']:.2f}/{r['max_abs_error']:.2f} "
                                 f"±{r['mean_uncertainty']:.2f} cov {r['coverage_95']:.2f}")  # fmt: skip
            if "phase_agreement" in res:
                parts.append(f"phases {res['phase_agreement']['mean']:.3f} "
                             f"(min {res['phase_agreement']['min']:.3f})")  # fmt: skip
            if "cycle_length_abs_rel_error" in res:
                parts.append(f"cycle len err {res['cycle_length_abs_rel_error']['mean']:.3f}")
            parts.append(f"{res['time_ms_per_sequence']:.0f} ms "
                         f"({res['time_ms_per_sequence_no_bootstrap']:.0f} ms w/o bootstrap)")  # fmt: skip
            print("  " + " | ".join(parts))


if __name__ == "__main__":
    main()
