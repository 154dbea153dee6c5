"""Contact sheet of synthetic renders with the ground-truth spine overlaid.

Eight panels from the real dataset code path (subject → motion → posed body and spine →
side camera → appearance → VTK render): FP and EP forward bends, FP and EP backward bends, two
gait frames, a lateral bend seen by a dataset side camera and the same kind of bend seen from
behind (a check view that datasets do not contain). Vertebral centres are projected with the
panel's camera: S1–L1 red, T12–T1 orange, C7–C1 cyan.

    python benchmarks/contact_sheet.py --out docs/img/synth_contact_sheet.png
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from humanmovenet.synth.appearance import (
    assign_body_regions,
    region_vertex_colors,
    sample_appearance,
    sample_background,
    sample_lighting,
)
from humanmovenet.synth.camera import look_at, sample_side_camera
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.render import Renderer
from humanmovenet.synth.sequence import default_body, pose_sequence
from humanmovenet.synth.subject import sample_subject
from humanmovenet.types import VERTEBRA_NAMES


@dataclass(frozen=True)
class Panel:
    title: str
    phenotype: str
    movement: str
    sex: str
    bmi: tuple[float, float]
    frame: str  # "peak", "peak_left", "peak_right", or a fraction of the sequence
    background: str
    back_view: bool = False


PANELS = (
    Panel("FP forward bend", "FP", "forward_bend", "female", (18, 22), "peak", "gradient"),
    Panel("EP forward bend", "EP", "forward_bend", "male", (28, 34), "peak", "photo"),
    Panel("FP backward bend", "FP", "backward_bend", "male", (22, 26), "peak", "texture"),
    Panel("EP backward bend", "EP", "backward_bend", "female", (26, 32), "peak", "plain"),
    Panel("gait (FP)", "FP", "gait", "female", (22, 28), "0.3", "photo"),
    Panel("gait (EP)", "EP", "gait", "male", (18, 22), "0.55", "noise"),
    Panel("lateral bend, left", "neither", "lateral_bend", "male", (24, 30), "peak_left",
          "gradient"),
    Panel("lateral bend, right (back view)", "neither", "lateral_bend", "female", (30, 35),
          "peak_right", "texture", back_view=True),
)  # fmt: skip

_COLOURS = {"S": (230, 30, 30), "L": (230, 30, 30), "T": (255, 160, 0), "C": (0, 200, 230)}


def _frame_index(panel: Panel, seq) -> int:
    a = seq.angles
    if panel.frame == "peak":
        return int(np.argmax(np.abs(a.lumbar_flexion)))
    if panel.frame == "peak_left":
        return int(np.argmax(a.lumbar_lateral))
    if panel.frame == "peak_right":
        return int(np.argmin(a.lumbar_lateral))
    return int(float(panel.frame) * (seq.num_frames - 1))


def _back_camera(vertices: np.ndarray, size: int):
    lo, hi = vertices.min(0), vertices.max(0)
    centre = 0.5 * (lo + hi)
    eye = centre + np.array([0.0, 0.2, -3.5])  # behind the person (−z), slightly above
    fx = 0.8 * size * 3.5 / (hi[1] - lo[1])
    return look_at(eye, centre, fx=fx, width=size, height=size)


def _draw_spine(image: Image.Image, uv: np.ndarray) -> None:
    draw = ImageDraw.Draw(image)
    points = [tuple(map(float, p)) for p in uv]
    draw.line(points, fill=(255, 255, 255), width=2)
    for name, (u, v) in zip(VERTEBRA_NAMES, uv, strict=True):
        draw.ellipse((u - 3, v - 3, u + 3, v + 3), fill=_COLOURS[name[0]], outline=(0, 0, 0))


def render_panel(panel: Panel, seed: int, size: int, body, renderer) -> tuple[Image.Image, dict]:
    """Render one panel; returns the image and the numbers shown on it."""
    rng = np.random.default_rng([seed, PANELS.index(panel)])
    subject = sample_subject(rng, phenotype=panel.phenotype, sex=panel.sex, bmi_range=panel.bmi)
    kwargs = {"n_cycles": 1.0} if panel.movement == "gait" else {}
    motion = generate_motion(subject, panel.movement, rng, fps=15.0, **kwargs)
    seq = pose_sequence(subject, motion, body, keep_vertices=True)
    t = _frame_index(panel, seq)
    if panel.back_view:
        camera = _back_camera(seq.vertices[t], size)
    else:
        camera = sample_side_camera(rng, seq.vertices, image_size=(size, size))
    appearance = sample_appearance(rng)
    rest = body.rest_vertices(body.shape_from_sliders(subject.sliders))[0].numpy()
    regions = assign_body_regions(body.lbs_weights.numpy(), body.joint_names,
                                  long_sleeves=appearance.long_sleeves, shorts=appearance.shorts,
                                  rest_vertices=rest)  # fmt: skip
    colours = region_vertex_colors(regions, appearance)
    background = sample_background(rng, size, size, kinds=(panel.background,))
    out = renderer.render(seq.vertices[t], body.faces.numpy(), camera, colours, background,
                          sample_lighting(rng), with_depth=False)  # fmt: skip
    image = Image.fromarray(out.rgb)
    uv = camera.project(seq.vertebra_positions[t])
    _draw_spine(image, uv)
    a = seq.angles
    info = {
        "title": panel.title,
        "frame": t,
        "age": round(subject.age_years),
        "bmi": round(subject.bmi, 1),
        "lumbar_flexion_deg": float(np.degrees(a.lumbar_flexion[t])),
        "lumbar_lateral_deg": float(np.degrees(a.lumbar_lateral[t])),
        "hip_flexion_deg": float(
            np.degrees(0.5 * (a.hip_flexion_left[t] + a.hip_flexion_right[t]))
        ),
        "pelvic_tilt_deg": float(np.degrees(a.pelvic_tilt[t])),
        "standing_lordosis_deg": float(-np.degrees(a.lumbar_angle[0])),
        "vertebrae_on_silhouette": float(
            out.silhouette[np.round(uv[:, 1]).astype(int), np.round(uv[:, 0]).astype(int)].mean()
        ),
    }
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size, 34), fill=(0, 0, 0))
    draw.text((4, 2), f"{panel.title}  ({subject.sex}, {info['age']} y, BMI {info['bmi']})",
              fill=(255, 255, 255))  # fmt: skip
    lat = f", lateral {info['lumbar_lateral_deg']:+.0f}" if panel.movement == "lateral_bend" else ""
    draw.text((4, 18), f"L1-S1 {info['lumbar_flexion_deg']:+.0f}{lat}, hip "
              f"{info['hip_flexion_deg']:+.0f}, pelvic tilt {info['pelvic_tilt_deg']:.0f} deg",
              fill=(255, 255, 255))  # fmt: skip
    return image, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/img/synth_contact_sheet.png")
    parser.add_argument("--size", type=int, default=384, help="panel size in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="benchmarks/results/contact_sheet.json")
    args = parser.parse_args()
    body = default_body()
    start = time.perf_counter()
    with Renderer(args.size, args.size) as renderer:
        panels = [render_panel(p, args.seed, args.size, body, renderer) for p in PANELS]
    cols = 4
    rows = (len(panels) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * args.size, rows * args.size), (255, 255, 255))
    for k, (image, _) in enumerate(panels):
        sheet.paste(image, ((k % cols) * args.size, (k // cols) * args.size))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    result = {"panels": [info for _, info in panels], "seconds": time.perf_counter() - start,
              "command": "python benchmarks/contact_sheet.py " + " ".join(
                  f"--{k} {v}" for k, v in vars(args).items())}  # fmt: skip
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    for info in result["panels"]:
        print(info)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
