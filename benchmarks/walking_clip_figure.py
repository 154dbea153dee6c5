"""The real walking clip through the whole pipeline: side-by-side figure and gait-cycle curves.

    python benchmarks/walking_clip_figure.py [--video tests/data/sports2d_walk_1280x720.mp4]

Runs ``humanmovenet.analyze`` (default settings: learned reconstruction, movement detected) on
the shipped real walking clip (``tests/data/README.md`` has its source and licence), then writes to
``benchmarks/results/``:

* ``walk_side_by_side.png`` — for three frames across the clip: the video frame | the
  reconstructed body mesh (every 6th vertex) and vertebrae projected onto it with the
  reconstruction's camera | the spine curve S1…C1 in the body's sagittal plane (standing
  lordosis/kyphosis visible), vertebrae labelled;
* ``walk_gait_curves.png`` — lumbar L1–S1 angle and pelvic tilt over time, complete gait cycles
  shaded (``SpineMetrics.gait_cycle``), and the same angles over the normalised cycle
  (0–100 %), one line per cycle with their mean;
* ``walk_figure.json`` — the numbers quoted in the docs (cycles, ranges, fps).

There is no ground truth for a real clip: this shows what the pipeline does on real video, it
does not measure accuracy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def frame_images(video: Path, indices: list[int]) -> dict[int, np.ndarray]:
    from humanmovenet.io.video import open_video

    want, out = set(indices), {}
    with open_video(video) as reader:
        for frame in reader:
            if frame.index in want:
                out[frame.index] = frame.image
            if len(out) == len(want):
                break
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=ROOT / "tests/data/sports2d_walk_1280x720.mp4")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results")
    ap.add_argument("--movement", default="auto",
                    help="movement given to biomech ('auto' = detect it)")  # fmt: skip
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from humanmovenet import analyze
    from humanmovenet.pipeline import PipelineConfig
    from humanmovenet.types import VERTEBRA_NAMES
    from humanmovenet.viz.overlay import _posed_body, overlay_camera, project_points

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = PipelineConfig()
        if args.movement != "auto":
            config = dataclasses.replace(
                config, biomech=dataclasses.replace(config.biomech, movement=args.movement)
            )
        analysis = analyze(args.video, config)
    seconds = time.perf_counter() - t0
    kp, spine, m = analysis.keypoints, analysis.spine, analysis.metrics
    joints, verts = _posed_body(analysis, vertex_step=6)
    camera = overlay_camera(analysis, joints)
    n = kp.num_frames
    picks = [int(n * f) for f in (0.2, 0.5, 0.8)]
    images = frame_images(args.video, [int(kp.frame_indices[t]) for t in picks])
    fig, axes = plt.subplots(len(picks), 3, figsize=(15, 4.2 * len(picks)),
                             gridspec_kw={"width_ratios": [1.6, 1.6, 0.8]})  # fmt: skip
    lumbar = np.degrees(m.lumbar_angle)
    for row, t in enumerate(picks):
        image = images[int(kp.frame_indices[t])]
        axes[row, 0].imshow(image)
        axes[row, 0].set_title(f"frame {int(kp.frame_indices[t])}")
        axes[row, 1].imshow(image)
        uv = project_points(verts[t], camera)
        axes[row, 1].scatter(uv[:, 0], uv[:, 1], s=0.4, c="#e0e0e0", alpha=0.5)
        sv = project_points(spine.positions[t], camera)
        axes[row, 1].plot(sv[:, 0], sv[:, 1], "-o", color="#00c8ff", ms=2.5, lw=1.2)
        axes[row, 1].set_title(f"mesh + vertebrae (lumbar {lumbar[t]:+.1f}°)")
        for ax in axes[row, :2]:
            ax.set_axis_off()
        # spine in the pelvis's sagittal plane: z forward, y up, relative to S1
        p = spine.positions[t] - spine.positions[t, 0]
        pelvis = spine.pelvis_frames[t]
        local = p @ pelvis  # pelvis axes: x left, y up, z forward
        ax = axes[row, 2]
        ax.plot(local[:, 2] * 100, local[:, 1] * 100, "-o", color="#0070c0", ms=3)
        for k, name in enumerate(VERTEBRA_NAMES):
            if name in ("S1", "L3", "L1", "T6", "T1", "C4"):
                ax.annotate(name, (local[k, 2] * 100, local[k, 1] * 100), fontsize=8,
                            xytext=(4, 0), textcoords="offset points")  # fmt: skip
        ax.set_aspect("equal")
        ax.set_xlabel("anterior (cm, pelvis frame)")
        ax.set_ylabel("cranial (cm)")
        ax.set_title("spine, side view")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{args.video.name}: humanmovenet.analyze (movement: {m.movement}, "
                 f"{'detected' if args.movement == 'auto' else 'given'})")  # fmt: skip
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    side = args.out / "walk_side_by_side.png"
    fig.savefig(side, dpi=70)
    plt.close(fig)

    # gait-cycle curves
    tsec = np.arange(n) / m.fps
    pelvis = np.degrees(m.pelvic_tilt)
    cycles = np.asarray(m.gait_cycle)
    ids = [int(c) for c in np.unique(cycles[cycles >= 0])]
    fig, axes = plt.subplots(2, 2, figsize=(13, 6.5))
    for r, (name, series) in enumerate((("lumbar L1–S1 angle", lumbar),
                                        ("pelvic tilt", pelvis))):  # fmt: skip
        ax = axes[r, 0]
        ax.plot(tsec, series, color="k", lw=1.2)
        for c in ids:
            sel = np.flatnonzero(cycles == c)
            ax.axvspan(tsec[sel[0]], tsec[sel[-1]], color=f"C{c % 10}", alpha=0.12)
        ax.set_ylabel(f"{name} (°)")
        ax.set_xlabel("s")
        ax.grid(alpha=0.3)
        ax = axes[r, 1]
        curves = []
        for c in ids:
            sel = np.flatnonzero(cycles == c)
            x = np.linspace(0, 100, len(sel))
            curve = np.interp(np.linspace(0, 100, 101), x, series[sel])
            curves.append(curve)
            ax.plot(np.linspace(0, 100, 101), curve, color=f"C{c % 10}", alpha=0.7,
                    label=f"cycle {c}")  # fmt: skip
        if curves:
            ax.plot(np.linspace(0, 100, 101), np.mean(curves, 0), "k", lw=2, label="mean")
        ax.set_xlabel("gait cycle (%)")
        ax.set_ylabel(f"{name} (°)")
        ax.grid(alpha=0.3)
        if curves:
            ax.legend(fontsize=7)
    axes[0, 0].set_title("over time (complete cycles shaded)")
    axes[0, 1].set_title("over the normalised gait cycle")
    fig.tight_layout()
    curves_png = args.out / "walk_gait_curves.png"
    fig.savefig(curves_png, dpi=80)
    plt.close(fig)
    result = {
        "video": args.video.name,
        "frames": n,
        "fps": m.fps,
        "movement": m.movement,
        "analyze_seconds": round(seconds, 1),
        "complete_gait_cycles": len(ids),
        "lumbar_range_deg": float(np.ptp(lumbar)),
        "pelvic_tilt_range_deg": float(np.ptp(pelvis)),
        "standing_lordosis_deg": float(spine.morphology.lumbar_lordosis_deg),
        "overlay_reprojection_px": camera.reprojection_px,
        "flags": list(analysis.flags),
        "figures": [side.name, curves_png.name],
    }
    (args.out / "walk_figure.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
