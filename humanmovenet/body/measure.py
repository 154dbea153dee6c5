"""Measurements on the rest body: where the spine joints sit relative to the back surface.

Run ``python -m humanmovenet.body.measure`` to print the table quoted in docs/body_model.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from humanmovenet.body.anny_body import AnnyBody, age_slider_from_years
from humanmovenet.types import ShapeSliders

__all__ = ["SpineJointDepth", "measure_spine_depths"]


@dataclass(frozen=True)
class SpineJointDepth:
    """Rest-pose position of one spine-chain joint relative to the skin, in metres.

    Attributes:
        name: backend joint name.
        height: height above the soles (lowest vertex).
        to_back: distance along -z (backwards) from the joint to the first skin hit.
        to_front: distance along +z (forwards) to the first skin hit.
    """

    name: str
    height: float
    to_back: float
    to_front: float


def _first_hit(mesh, origin: np.ndarray, direction: np.ndarray) -> float:
    locations, _, _ = mesh.ray.intersects_location(origin[None], direction[None])
    if len(locations) == 0:
        return float("nan")
    return float(np.min((locations - origin) @ direction))


def measure_spine_depths(body: AnnyBody, betas: torch.Tensor) -> list[SpineJointDepth]:
    """Distances of the spine-chain joints to the back and front skin in the rest pose.

    Args:
        body: the body model (needs ``trimesh`` with ``rtree`` for ray queries).
        betas: one shape.

    Returns:
        One :class:`SpineJointDepth` per joint of ``body.spine_chain()``.

    Shapes:
        betas: (1, S).
    """
    import trimesh

    if betas.ndim != 2 or betas.shape[0] != 1:
        raise ValueError(f"betas: expected shape (1, S), got {tuple(betas.shape)}.")
    with torch.no_grad():
        verts = body.rest_vertices(betas)[0].double().numpy()
        joints = body.rest_joints(betas)[0].double().numpy()
    mesh = trimesh.Trimesh(verts, body.faces.numpy(), process=False)
    soles = verts[:, 1].min()
    back, front = np.array([0.0, 0.0, -1.0]), np.array([0.0, 0.0, 1.0])
    rows = []
    for name in body.spine_chain():
        p = joints[body.joint_index(name)]
        rows.append(
            SpineJointDepth(
                name, float(p[1] - soles), _first_hit(mesh, p, back), _first_hit(mesh, p, front)
            )
        )
    return rows


def main() -> None:
    """Print the spine-depth table for a few representative shapes."""
    body = AnnyBody().double()
    cases = {
        "average (all sliders 0.5)": ShapeSliders(),
        "woman, 60 y": ShapeSliders(gender=0.0, age=float(age_slider_from_years(60.0))),
        "man, 40 y, weight 0.9": ShapeSliders(
            gender=1.0, age=float(age_slider_from_years(40.0)), weight=0.9
        ),
        "man, 25 y, weight 0.1": ShapeSliders(
            gender=1.0, age=float(age_slider_from_years(25.0)), weight=0.1
        ),
    }
    for label, sliders in cases.items():
        betas = body.shape_from_sliders(sliders)
        print(f"{label}: stature {float(body.stature(betas)[0]):.3f} m")
        print(f"  {'joint':<9}{'height m':>9}{'to back cm':>12}{'to front cm':>13}")
        for row in measure_spine_depths(body, betas):
            print(
                f"  {row.name:<9}{row.height:>9.3f}{100 * row.to_back:>12.1f}{100 * row.to_front:>13.1f}"
            )


if __name__ == "__main__":
    main()
