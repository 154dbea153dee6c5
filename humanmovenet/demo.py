"""The body + vertebral spine demo: neutral, forward-flexed and extended, as a side/back PNG.

This is the foundation demo (issue #2): it builds the shipped open body, embeds a vertebra-level
spine with population-mean morphology, poses a forward bend and a backward bend through the
body's spine bones and hips, and writes ``spine_demo.png`` (and the numbers it measured) to the
output folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .body import create
from .spine.body import embed_in_body, pose_from_body_output, spine_joint_rotations
from .spine.morphology import lumbar_angle, thoracic_angle
from .types import ShapeSliders, SpineMorphology
from .viz.spine_plot import SpinePanel, plot_spine_panels

__all__ = [
    "DemoPose",
    "DEMO_POSES",
    "DEMO_CLIP",
    "DEMO_CLIP_SHA256",
    "run_body_demo",
    "run_analysis_demo",
    "run_real_clip_demo",
    "run_pattern_pair_demo",
    "DEMO_COMPARED",
    "PAIR_COMPARED",
]

#: The shipped real walking clip (``weights/README.md``: source, cut, BSD-3-Clause licence).
DEMO_CLIP = "demo_walk_1280x720.mp4"
DEMO_CLIP_SHA256 = "59d312facade543fbd4cfdcd7b8a872058c17e6ef5cd2a6bf14c0c4990514d04"


@dataclass(frozen=True)
class DemoPose:
    """A named posture, angles in degrees relative to upright standing."""

    name: str
    pelvis_tilt_deg: float  # anterior (forward) rotation of the pelvis about the hips
    lumbar_flexion_deg: float
    thoracic_flexion_deg: float


DEMO_POSES = (
    DemoPose("neutral", 0.0, 0.0, 0.0),
    DemoPose("forward bend", 45.0, 40.0, 15.0),
    DemoPose("backward bend", -10.0, -20.0, -6.0),
)


def _pose_inputs(body, betas: torch.Tensor, emb, poses: tuple[DemoPose, ...]) -> dict:
    n = len(poses)
    deg = np.radians
    rots = spine_joint_rotations(
        emb,
        torch.tensor(deg([p.lumbar_flexion_deg for p in poses])),
        torch.tensor(deg([p.thoracic_flexion_deg for p in poses])),
    )
    inputs = body.zero_inputs(n, dtype=torch.float64)
    inputs["betas"] = betas.reshape(1, -1).expand(n, -1)
    pose = inputs["body_pose"].clone()
    for j, name in enumerate(body.spine_chain()[1:]):
        pose[:, body.joint_index(name) - 1] = rots[:, j]
    tilt = torch.tensor(deg([p.pelvis_tilt_deg for p in poses]))
    # the pelvis rotates forward about the hips while the thighs stay vertical
    for hip in ("hip_left", "hip_right"):
        pose[:, body.joint_index(hip) - 1, 0] = -tilt
    inputs["body_pose"] = pose
    inputs["root_orient"] = torch.stack([tilt, torch.zeros(n), torch.zeros(n)], dim=1).double()
    return inputs


def run_body_demo(out_dir: str | Path, sliders: ShapeSliders | None = None) -> Path:
    """Build the body, pose neutral / forward bend / backward bend, write the spine picture.

    Args:
        out_dir: output folder (created).
        sliders: body shape; default: the model's average adult.

    Returns:
        Path of the written PNG (``spine_demo.json`` beside it holds the measured angles).
    """
    out_dir = Path(out_dir)
    body = create("anny")
    betas = body.shape_from_sliders(sliders or ShapeSliders())[0]
    emb = embed_in_body(body, betas, SpineMorphology())
    with torch.no_grad():
        out = body(**_pose_inputs(body, betas, emb, DEMO_POSES))
        positions, frames = pose_from_body_output(emb, body, out)
    # put the feet on the floor in every panel
    verts = out.vertices.numpy()
    lift = np.zeros((len(verts), 1, 3))
    lift[:, 0, 1] = verts[..., 1].min(axis=1)
    verts = verts - lift
    spine = positions.numpy() - lift
    lumbar = np.degrees((lumbar_angle(frames) - lumbar_angle(frames[0])).numpy())
    thoracic = np.degrees((thoracic_angle(frames) - thoracic_angle(frames[0])).numpy())
    faces = body.faces.numpy()
    panels = [
        SpinePanel(
            f"{p.name}\nL1–S1 {lumbar[i]:+.1f}°, T1–T12 {thoracic[i]:+.1f}°",
            spine[i],
            verts[i],
            faces,
        )  # fmt: skip
        for i, p in enumerate(DEMO_POSES)
    ]
    png = plot_spine_panels(panels, out_dir / "spine_demo.png")
    summary = {
        "standing_morphology": asdict(emb.morphology),
        "poses": [
            {
                **asdict(p),
                "measured_lumbar_flexion_deg": float(lumbar[i]),
                "measured_thoracic_flexion_deg": float(thoracic[i]),
            }  # fmt: skip
            for i, p in enumerate(DEMO_POSES)
        ],
        "units": "degrees",
    }
    (out_dir / "spine_demo.json").write_text(json.dumps(summary, indent=2))
    return png


#: Metrics the analysis demo compares with the synthetic ground truth: (metric, ground-truth key).
DEMO_COMPARED: tuple[tuple[str, str], ...] = (
    ("lumbar_rom", "lumbar_rom_deg"),
    ("pelvic_tilt_range", "pelvic_tilt_range_deg"),
    ("peak_hip_flexion", "peak_hip_flexion_deg"),
    ("lumbar_hip_ratio", "lumbar_hip_ratio"),
    ("standing_lumbar_lordosis", "standing_lumbar_lordosis_deg"),
)


def run_analysis_demo(out_dir: str | Path, *, seed: int = 3, progress: bool = False) -> dict:
    """The whole pipeline on a video whose truth is known, with the truth printed beside it.

    Renders one synthetic person bending forward (``humanmovenet.synth``, 10 frames/s,
    512 × 512), analyses the frames with :func:`humanmovenet.analyze` exactly as a user's video
    (MediaPipe → body fit → spine → metrics), and writes into ``out_dir``: the frames
    (``video/``), the analysis folder (``analysis/``), the HTML report (``report.html``) and
    ``comparison.json`` — each compared metric estimated vs ground truth.

    Returns:
        The comparison as a dict (also written to ``comparison.json``).
    """
    from .pipeline import BiomechConfig, PipelineConfig, VideoConfig, analyze
    from .synth.dataset import SynthConfig, write_dataset
    from .viz import write_report

    out_dir = Path(out_dir)
    data = write_dataset(out_dir / "synthetic", SynthConfig(
        n_subjects=1, movements=("forward_bend",), fps=10.0, image_size=(512, 512), seed=seed,
        phenotypes=("neither",)), progress=progress)  # fmt: skip
    sequence = next(p for p in sorted(data.iterdir()) if p.is_dir())
    meta = json.loads((sequence / "meta.json").read_text())
    video = out_dir / "video"
    (sequence / "rgb").rename(video)
    config = PipelineConfig(video=VideoConfig(folder_fps=meta["fps"]),
                            biomech=BiomechConfig(n_bootstrap=50))  # fmt: skip
    analysis = analyze(video, config, cache=False)
    analysis.save(out_dir / "analysis")
    write_report(analysis, out_dir / "report.html")
    truth = meta["measured_summary"]
    rows = []
    for name, key in DEMO_COMPARED:
        mv = getattr(analysis.metrics, name)
        est = None if mv is None else float(mv.value)
        true = truth.get(key)
        rows.append({"metric": name, "unit": "1" if "ratio" in name else "deg",
                     "estimated": est, "uncertainty": None if mv is None else mv.total_uncertainty,
                     "ground_truth": true,
                     "error": None if est is None or true is None else est - true})  # fmt: skip
    comparison = {
        "video": str(video),
        "subject": {k: meta["subject"][k] for k in ("sex", "age_years", "bmi", "stature_m")},
        "movement_detected": analysis.metrics.movement,
        "flags": list(analysis.flags),
        "metrics": rows,
        "note": "ground truth = angles measured on the rendered synthetic body (exact); the "
        "estimate comes from the frames alone. One subject, one seed: an illustration, not "
        "an accuracy study (see docs/reconstruction.md and benchmarks/README.md).",
    }
    (out_dir / "comparison.json").write_text(json.dumps(comparison, indent=2))
    return comparison


def run_real_clip_demo(out_dir: str | Path) -> dict:
    """The pipeline on the shipped real walking clip (no ground truth: what it does on video).

    Analyses ``weights/demo_walk_1280x720.mp4`` (a woman walking across a lawn in side view,
    another person in the background) as gait and writes ``analysis/``, ``report.html`` and
    ``summary.json`` (metrics with units, quality flags) into ``out_dir``.
    """
    import dataclasses

    from ._paths import resolve_weight
    from .pipeline import PipelineConfig, analyze
    from .viz import write_report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clip = resolve_weight(DEMO_CLIP, sha256=DEMO_CLIP_SHA256, what="demo walking clip")
    config = PipelineConfig()  # the movement is detected (gait: the legs alternate)
    config = dataclasses.replace(config, biomech=dataclasses.replace(config.biomech,
                                                                     n_bootstrap=50))  # fmt: skip
    analysis = analyze(clip, config, cache=False)
    analysis.save(out_dir / "analysis")
    write_report(analysis, out_dir / "report.html")
    m = analysis.metrics
    summary = {
        "video": clip.name,
        "frames": analysis.keypoints.num_frames,
        "movement": m.movement,
        "gait_cycles": int(len(set(np.asarray(m.gait_cycle).tolist()) - {-1})),
        "metrics": {
            name: None
            if getattr(m, name) is None
            else {"value": float(getattr(m, name).value), "unit": getattr(m, name).unit}
            for name in ("lumbar_rom", "pelvic_tilt_range", "symmetry_index")
        },  # fmt: skip
        "standing_lumbar_lordosis_deg": float(analysis.spine.morphology.lumbar_lordosis_deg),
        "flags": list(analysis.flags),
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


#: Metrics shown side by side for the FP / EP pair (name in SpineMetrics, key in the truth).
PAIR_COMPARED: tuple[tuple[str, str], ...] = (
    ("lumbar_rom", "lumbar_rom_deg"),
    ("pelvic_tilt_range", "pelvic_tilt_range_deg"),
    ("lumbar_hip_ratio", "lumbar_hip_ratio"),
    ("standing_lumbar_lordosis", "standing_lumbar_lordosis_deg"),
)


def run_pattern_pair_demo(out_dir: str | Path, *, seed: int = 11) -> dict:
    """A flexion-pattern and an extension-pattern person bending backward, side by side.

    Renders one synthetic FP and one synthetic EP subject doing a backward bend (10 frames/s,
    512 × 512), analyses both videos, writes their reports and ``pair.json``: each compared
    metric estimated and true for both people, and the phenotype ``analyze`` gave each (the
    shipped backward-bend classifier, trained on spines reconstructed from rendered synthetic
    videos; its held-out accuracy is in ``docs/classifier.md``) beside the true label.
    """
    from .pipeline import BiomechConfig, PipelineConfig, VideoConfig, analyze
    from .synth.dataset import SynthConfig, write_dataset
    from .viz import write_report

    out_dir = Path(out_dir)
    people = {}
    for label in ("FP", "EP"):
        data = write_dataset(out_dir / f"synthetic_{label}", SynthConfig(
            n_subjects=1, movements=("backward_bend",), fps=10.0, image_size=(512, 512),
            seed=seed, phenotypes=(label,)), progress=False)  # fmt: skip
        sequence = next(p for p in sorted(data.iterdir()) if p.is_dir())
        meta = json.loads((sequence / "meta.json").read_text())
        config = PipelineConfig(video=VideoConfig(folder_fps=meta["fps"]),
                                biomech=BiomechConfig(n_bootstrap=50))  # fmt: skip
        analysis = analyze(sequence / "rgb", config, cache=False)
        analysis.save(out_dir / f"analysis_{label}")
        write_report(analysis, out_dir / f"report_{label}.html")
        truth = meta["measured_summary"]
        rows = []
        for name, key in PAIR_COMPARED:
            mv = getattr(analysis.metrics, name)
            rows.append({"metric": name, "unit": "1" if "ratio" in name else "deg",
                         "estimated": None if mv is None else float(mv.value),
                         "ground_truth": truth.get(key)})  # fmt: skip
        ph = analysis.phenotype
        people[label] = {"movement_detected": analysis.metrics.movement, "metrics": rows,
                         "phenotype_true": label,
                         "phenotype_estimated": None if ph is None else ph.label,
                         "phenotype_probability": None if ph is None else ph.probability,
                         "phenotype_unavailable": analysis.phenotype_unavailable,
                         "flags": list(analysis.flags)}  # fmt: skip
    pair = {
        "people": people,
        "note": "synthetic FP and EP subjects (humanmovenet.synth), backward bend; phenotype "
        "from the shipped backward-bend classifier (trained on synthetic phenotypes, spines "
        "reconstructed from rendered videos; one pair is an example, not an accuracy — see "
        "docs/classifier.md; retrain on your own labelled videos for real patients).",
    }
    (out_dir / "pair.json").write_text(json.dumps(pair, indent=2))
    return pair


if __name__ == "__main__":  # pragma: no cover
    print(run_body_demo(Path("humanmovenet_demo")))
