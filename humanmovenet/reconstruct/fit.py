"""Per-frame fitting of the body model to 2D landmarks and the back contour of a side view.

The body is posed by a small set of sagittal angles (:data:`ANGLE_NAMES`): pelvic tilt (the
root), lumbar and thoracic flexion (spread over the body's spine bones exactly as the vertebral
spine shares them, via ``spine.body.spine_joint_rotations``), hips, knees, shoulders, elbows and
one arm adduction. The camera is a pinhole with a known or assumed focal length, level (no
roll: a camera roll is indistinguishable from a whole-body sagittal tilt), looking at the
person's side; its yaw and pitch are fitted once for the whole sequence; the body translation
is fitted per frame.

Losses (all in trunk lengths ``L`` of the frame, so scale-free):

1. 2D reprojection of 12 landmarks (shoulders, elbows, wrists, hips, knees, ankles) onto named
   body joints, weighted by MediaPipe's visibility, pseudo-Huber;
2. back contour: for each contour station, the most posterior projected trunk vertex near that
   station, against the observed contour (:mod:`.contour`), pseudo-Huber;
3. priors: soft anatomical angle ranges, left/right similarity, a weak pull of the thoracic
   angle to zero;
4. temporal smoothness: squared second differences of angles and translation.

All T frames are optimised together (Adam, a few hundred steps), so a 100-frame clip fits in a
few seconds on CPU.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from ..body._lbs import forward_kinematics, make_levels, rotvec_to_rotmat, skin_vertices
from ..spine.body import embed_in_body, spine_joint_rotations
from ..spine.embed import SpineEmbedding
from ..types import Keypoints2D, Silhouettes
from .contour import DEFAULT_STATIONS, BackContour, extract_back_contour, trunk_frames

__all__ = [
    "ANGLE_NAMES",
    "ANGLE_LIMITS_DEG",
    "LANDMARK_JOINTS",
    "FitConfig",
    "FrameFit",
    "SagittalBody",
    "sagittal_body_pose",
    "side_camera_rotation",
    "fit_frames",
]

#: The fitted angles (radians), flexion/anterior positive.
ANGLE_NAMES: tuple[str, ...] = (
    "pelvis_tilt",
    "lumbar_flexion",
    "thoracic_flexion",
    "hip_flexion_left",
    "hip_flexion_right",
    "knee_flexion_left",
    "knee_flexion_right",
    "shoulder_flexion_left",
    "shoulder_flexion_right",
    "elbow_flexion_left",
    "elbow_flexion_right",
    "arm_adduction",
)

#: Soft limits of each angle in degrees (outside them a quadratic penalty applies).
ANGLE_LIMITS_DEG: tuple[tuple[float, float], ...] = (
    (-35.0, 110.0),  # pelvis tilt from the body's neutral pelvis
    (-45.0, 85.0),  # lumbar flexion from the template posture
    (-30.0, 45.0),  # thoracic
    (-35.0, 130.0),
    (-35.0, 130.0),
    (-5.0, 140.0),
    (-5.0, 140.0),
    (-80.0, 180.0),
    (-80.0, 180.0),
    (0.0, 150.0),
    (0.0, 150.0),
    (-10.0, 55.0),
)

#: MediaPipe landmark → anny joint used in the reprojection loss.
LANDMARK_JOINTS: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "shoulder01.L"),
    ("right_shoulder", "shoulder01.R"),
    ("left_elbow", "lowerarm01.L"),
    ("right_elbow", "lowerarm01.R"),
    ("left_wrist", "wrist.L"),
    ("right_wrist", "wrist.R"),
    ("left_hip", "upperleg01.L"),
    ("right_hip", "upperleg01.R"),
    ("left_knee", "lowerleg01.L"),
    ("right_knee", "lowerleg01.R"),
    ("left_ankle", "foot.L"),
    ("right_ankle", "foot.R"),
)

# Bones whose skin forms the back outline between buttocks and shoulders (arms excluded).
_TRUNK_BONES = ("root", "pelvis.L", "pelvis.R", "spine05", "spine04", "spine03", "spine02",
                "spine01", "clavicle.L", "clavicle.R", "shoulder01.L", "shoulder01.R", "neck01",
                "upperleg01.L", "upperleg01.R", "upperleg02.L", "upperleg02.R")  # fmt: skip
_A = {name: i for i, name in enumerate(ANGLE_NAMES)}


@dataclass(frozen=True)
class FitConfig:
    """Settings of :func:`fit_frames`.

    Attributes:
        iterations: Adam steps.
        learning_rate: Adam step size (radians / metres).
        focal_px: focal length in pixels; None = ``focal_factor`` × the larger image side.
        focal_factor: default focal length relative to the image's larger side (a typical
            phone/camcorder field of view of ~50° gives ~1.1).
        contour_weight, keypoint_weight, prior_weight: loss weights.
        smooth_weight: weight of the squared accelerations (angles in rad/s², translation in
            (m/s²)·3); 1e-7 leaves a 1 rad/s² bend almost free and damps 1°-per-frame jitter
            at 30 fps (≈ 60 rad/s²).
        contour_start: fraction of the iterations done before the contour term is switched on
            (the landmarks first bring the body into place).
        stations: contour stations (trunk lengths along the chord).
        max_vertices: trunk vertices used for the model's back outline (subsampled).
        fit_camera: also fit the camera yaw and pitch (else pure side view, level).
        adam_fraction: fraction of ``iterations`` done by Adam (the rest by L-BFGS, which
            converges much further on this smooth least-squares problem).
        num_threads: torch threads during the fit (restored afterwards); None = leave as is.
            On a busy 2-core machine 1 thread is several times faster than 2.
        method: how the per-frame pose is estimated: "learned" (regressor + GCN+LSTM,
            default) or "fit" (the model-based fit, slower).
        temporal: learned method: smooth the per-frame angles with the GCN+LSTM (at 10 fps
            and more).
        refine_iterations: learned method: reprojection-fit iterations after the regressor
            (0 = none).
        static_refine_iterations: static step on the learned path: fit iterations that refine
            the learned spine morphology against the standing frames' back contour and
            landmarks (:func:`.static.refine_static`; default 60; 0 = off, the learned estimate
            as is).
        static_prior_weight: weight of the Gaussian prior that pulls the refined standing
            lumbar, thoracic and pelvis angles toward the learned estimate (1 = a 3° deviation
            costs as much as a 0.01 trunk-length RMS back-contour residual).
    """

    iterations: int = 250
    learning_rate: float = 0.03
    focal_px: float | None = None
    focal_factor: float = 1.1
    contour_weight: float = 2.0
    keypoint_weight: float = 1.0
    prior_weight: float = 1.0
    smooth_weight: float = 1e-7
    contour_start: float = 0.3
    stations: tuple[float, ...] = tuple(DEFAULT_STATIONS.tolist())
    max_vertices: int = 1500
    fit_camera: bool = True
    adam_fraction: float = 0.4
    num_threads: int | None = 1
    method: str = "learned"
    temporal: bool = True
    refine_iterations: int = 0
    static_refine_iterations: int = 60
    static_prior_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.method not in ("learned", "fit"):
            raise ValueError(f"FitConfig.method must be 'learned' or 'fit', got {self.method!r}.")
        if self.refine_iterations < 0:
            raise ValueError(
                f"FitConfig.refine_iterations must be >= 0, got {self.refine_iterations}."
            )
        if self.iterations < 1:
            raise ValueError(f"FitConfig.iterations must be >= 1, got {self.iterations}.")
        if self.static_refine_iterations < 0:
            raise ValueError(
                "FitConfig.static_refine_iterations must be >= 0 (0 = off), got "
                f"{self.static_refine_iterations}."
            )
        if not self.static_prior_weight >= 0:
            raise ValueError(
                f"FitConfig.static_prior_weight must be >= 0, got {self.static_prior_weight}."
            )
        if not 0.0 <= self.contour_start < 1.0:
            raise ValueError(
                f"FitConfig.contour_start must be in [0, 1), got {self.contour_start}."
            )
        if self.focal_px is not None and not self.focal_px > 0:
            raise ValueError(f"FitConfig.focal_px must be > 0 pixels, got {self.focal_px}.")


@dataclass(frozen=True)
class FrameFit:
    """Result of :func:`fit_frames`.

    Attributes:
        angles: fitted angles in :data:`ANGLE_NAMES` order, radians.
        transl: body translation per frame (world frame, metres).
        betas: the body shape used.
        body_pose: the body model's pose (axis-angle per non-root joint).
        root_orient: root orientation (axis-angle).
        camera_R: world → camera rotation (OpenCV axes), camera at the origin.
        K: camera intrinsics.
        keypoint_error: per-frame visibility-weighted mean landmark distance, trunk lengths.
        contour_error: per-frame mean |model − observed| back depth, trunk lengths (NaN when no
            contour was available).
        contour_coverage: fraction of contour stations observed per frame.
        visibility: per-frame mean visibility of the 12 fitted landmarks.
        fps: frames per second.
        loss_history: total loss every 10 iterations.

    Shapes:
        angles: (T, A); transl: (T, 3); betas: (S,); body_pose: (T, J, 3); root_orient: (T, 3);
        camera_R, K: (3, 3); keypoint_error, contour_error, contour_coverage, visibility: (T,).
    """

    angles: np.ndarray
    transl: np.ndarray
    betas: np.ndarray
    body_pose: np.ndarray
    root_orient: np.ndarray
    camera_R: np.ndarray
    K: np.ndarray
    keypoint_error: np.ndarray
    contour_error: np.ndarray
    contour_coverage: np.ndarray
    visibility: np.ndarray
    fps: float
    angle_names: tuple[str, ...] = ANGLE_NAMES
    loss_history: tuple[float, ...] = field(default=(), repr=False)

    @property
    def num_frames(self) -> int:
        return int(self.angles.shape[0])

    def angle(self, name: str) -> np.ndarray:
        """(T,) radians of one angle by name (see :data:`ANGLE_NAMES`)."""
        if name not in self.angle_names:
            raise ValueError(f"unknown angle {name!r}; known: {', '.join(self.angle_names)}.")
        return self.angles[:, self.angle_names.index(name)]


def side_camera_rotation(
    facing: Literal["left", "right"] | int, yaw: torch.Tensor, pitch: torch.Tensor
) -> torch.Tensor:
    """World → camera rotation of a level camera looking at the person's side.

    ``facing`` is where the person's front points in the image (+1 or ``"right"``: the camera
    is on the person's right, looking along +x). The body is first turned by ``yaw`` about the
    vertical (+y) and by ``pitch`` about the forward axis (+z), which for a side view is the
    camera looking down or up. There is no roll (see the module docstring).

    Shapes:
        yaw, pitch: () → (3, 3).
    """
    sign = facing if isinstance(facing, int) else (1 if facing == "right" else -1)
    dtype = yaw.dtype
    base = torch.tensor(
        [[0.0, 0.0, float(sign)], [0.0, -1.0, 0.0], [float(sign), 0.0, 0.0]], dtype=dtype
    )
    cy, sy = torch.cos(yaw), torch.sin(yaw)
    cp, sp = torch.cos(pitch), torch.sin(pitch)
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy]).reshape(3, 3)
    rz = torch.stack([cp, -sp, zero, sp, cp, zero, zero, zero, one]).reshape(3, 3)
    return base @ ry @ rz


class SagittalBody(torch.nn.Module):
    """The anny body posed by :data:`ANGLE_NAMES`, returning joints and the trunk's skin.

    Only the vertices that form the back outline are skinned (a subsample of the trunk), so a
    batch of frames costs little more than the joints.

    Args:
        body: an anny :class:`~humanmovenet.body.AnnyBody`.
        betas: the body shape.
        embedding: the spine embedding of that shape (computed if None).
        max_vertices: trunk vertices kept for the outline.

    Shapes:
        forward: angles (T, A), transl (T, 3) → joints (T, J+1, 3), trunk vertices (T, V, 3),
        global joint rotations (T, J+1, 3, 3).
    """

    def __init__(
        self,
        body,
        betas: torch.Tensor | np.ndarray | None = None,
        embedding: SpineEmbedding | None = None,
        max_vertices: int = 1500,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        if getattr(body, "backend", None) != "anny":
            raise ValueError(
                "SagittalBody supports the anny body (humanmovenet.body.create('anny')) only, "
                f"got backend {getattr(body, 'backend', None)!r}."
            )
        self.body = body
        self.dtype = dtype
        if betas is None:
            betas = torch.zeros(1, body.num_betas, dtype=torch.float64)
        betas = torch.as_tensor(betas, dtype=torch.float64).reshape(1, -1)
        self.betas = betas
        self.embedding = embedding if embedding is not None else embed_in_body(body, betas)
        with torch.no_grad():
            self.rest_joints = body.rest_joints(betas).to(dtype)
            rest_verts = body.rest_vertices(betas)[0]
        # 1. Trunk vertices: dominant bone in the trunk list, subsampled evenly.
        weights = body.lbs_weights
        dominant = weights.argmax(1)
        trunk_idx = torch.tensor([body.joint_names.index(n) for n in _TRUNK_BONES])
        keep = torch.isin(dominant, trunk_idx)
        hip_y = float(self.rest_joints[0, body.joint_index("hip_left"), 1])
        keep &= rest_verts[:, 1] > hip_y - 0.2  # thighs below the buttocks are not the back
        keep &= _vertex_normals(rest_verts, body.faces)[:, 2] < 0.3  # back and flanks only
        idx = torch.nonzero(keep).reshape(-1)
        if len(idx) > max_vertices:
            idx = idx[torch.linspace(0, len(idx) - 1, max_vertices).round().long()]
        self.vertex_index = idx
        # 2. Sub-skeleton: the joints that move these vertices or the landmarks, and ancestors.
        weights = weights[idx]
        needed = set(torch.nonzero(weights.amax(0) > 0).reshape(-1).tolist())
        needed |= {body.joint_index(j) for _, j in LANDMARK_JOINTS}
        needed |= set(body.spine_chain_indices())
        for j in list(needed):
            while j > 0:
                j = body.parents[j]
                needed.add(j)
        sub = sorted(needed)
        self.sub_joints = torch.tensor(sub)
        self.levels = make_levels([-1] + [sub.index(body.parents[j]) for j in sub[1:]])
        self.rest_joints = self.rest_joints[:, self.sub_joints]
        weights = weights[:, self.sub_joints]
        self.rest_vertices = rest_verts[idx].to(dtype).unsqueeze(0)
        self.weights = (weights / weights.sum(1, keepdim=True)).to(dtype)
        # 3. Spine shares: chain joint x-rotation per radian of lumbar / thoracic flexion.
        lum = spine_joint_rotations(self.embedding, 1.0, 0.0)[0, :, 0]
        tho = spine_joint_rotations(self.embedding, 0.0, 1.0)[0, :, 0]
        self.spine_rows = torch.tensor([body.joint_index(n) - 1 for n in
                                         self.embedding.chain_names[1:]])  # fmt: skip
        self.spine_shares = torch.stack([lum, tho], dim=-1).to(dtype)  # (C-1, 2)
        row = {n: body.joint_index(n) - 1 for n in ("upperleg01.L", "upperleg01.R",
               "lowerleg01.L", "lowerleg01.R", "upperarm01.L", "upperarm01.R",
               "lowerarm01.L", "lowerarm01.R")}  # fmt: skip
        self.rows = row
        self.landmark_joints = torch.tensor([sub.index(body.joint_index(j)) for _, j in
                                             LANDMARK_JOINTS])  # fmt: skip

    def pose(self, angles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Body pose (T, J, 3) and root orientation (T, 3) of the angles (T, A)."""
        return sagittal_body_pose(self, angles)

    def forward(
        self, angles: torch.Tensor, transl: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        body_pose, root = self.pose(angles)
        t = angles.shape[0]
        full = torch.cat([root.unsqueeze(1), body_pose], 1)
        local = rotvec_to_rotmat(full[:, self.sub_joints])
        rest_j = self.rest_joints.expand(t, -1, -1)
        rots, joints = forward_kinematics(local, rest_j, self.levels)
        verts = skin_vertices(self.rest_vertices.expand(t, -1, -1), self.weights, rots,
                              rest_j, joints)  # fmt: skip
        offset = transl.unsqueeze(1)
        return joints + offset, verts + offset, rots


def _vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    tri = vertices[faces]
    n = torch.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], dim=-1)
    out = torch.zeros_like(vertices).index_add(0, faces.reshape(-1), n.repeat_interleave(3, 0))
    return out / out.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def sagittal_body_pose(
    layer: SagittalBody, angles: torch.Tensor | np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """Body-model pose of sagittal angles (differentiable).

    Conventions: pelvic tilt = root rotation about +x (anterior +); lumbar/thoracic flexion via
    the spine embedding's joint shares; hip flexion = femur forward (a −x local rotation of
    ``upperleg01``); knee flexion = shank backward (+x on ``lowerleg01``); shoulder flexion =
    arm forward, elbow flexion = forearm forward (−x); arm adduction turns both upper arms from
    anny's A-pose towards the body (about ∓z).

    Returns:
        (body_pose (T, J, 3), root_orient (T, 3)).

    Shapes:
        angles: (T, A) with A = len(ANGLE_NAMES).
    """
    angles = torch.as_tensor(angles, dtype=layer.dtype)
    if angles.ndim != 2 or angles.shape[1] != len(ANGLE_NAMES):
        raise ValueError(
            f"angles: expected shape (T, {len(ANGLE_NAMES)}) in ANGLE_NAMES order, got "
            f"{tuple(angles.shape)}."
        )
    t = angles.shape[0]
    zero = torch.zeros(t, dtype=angles.dtype)
    root = torch.stack([angles[:, _A["pelvis_tilt"]], zero, zero], -1)
    pose = torch.zeros(t, layer.body.num_body_joints, 3, dtype=angles.dtype)
    spine_x = angles[:, [_A["lumbar_flexion"], _A["thoracic_flexion"]]] @ layer.spine_shares.T
    pose[:, layer.spine_rows, 0] = spine_x
    r = layer.rows
    add = angles[:, _A["arm_adduction"]]
    entries = (
        ("upperleg01.L", -angles[:, _A["hip_flexion_left"]], zero),
        ("upperleg01.R", -angles[:, _A["hip_flexion_right"]], zero),
        ("lowerleg01.L", angles[:, _A["knee_flexion_left"]], zero),
        ("lowerleg01.R", angles[:, _A["knee_flexion_right"]], zero),
        ("upperarm01.L", -angles[:, _A["shoulder_flexion_left"]], -add),
        ("upperarm01.R", -angles[:, _A["shoulder_flexion_right"]], add),
        ("lowerarm01.L", -angles[:, _A["elbow_flexion_left"]], zero),
        ("lowerarm01.R", -angles[:, _A["elbow_flexion_right"]], zero),
    )
    rows = torch.tensor([r[name] for name, _, _ in entries])
    values = torch.stack([torch.stack([x, zero, z], -1) for _, x, z in entries], 1)
    pose[:, rows] = values
    return pose, root


# --------------------------------------------------------------------------- observations


@dataclass(frozen=True)
class _Observations:
    xy: torch.Tensor  # (T, 12, 2) pixels (NaN → 0)
    weight: torch.Tensor  # (T, 12) visibility weights
    length: torch.Tensor  # (T,) trunk length in pixels
    origin: torch.Tensor  # (T, 2)
    axis: torch.Tensor  # (T, 2)
    normal: torch.Tensor  # (T, 2)
    depth: torch.Tensor  # (T, N) observed back depth (NaN → 0)
    depth_ok: torch.Tensor  # (T, N) bool
    stations: torch.Tensor  # (N,)
    facing: int
    fps: float


def _nearest_valid(ok: np.ndarray) -> np.ndarray:
    """Index of the nearest True frame for every frame (ties: the earlier), O(T) memory."""
    good = np.flatnonzero(ok)
    idx = np.arange(len(ok))
    right = np.clip(np.searchsorted(good, idx), 0, len(good) - 1)
    left = np.clip(right - 1, 0, len(good) - 1)
    take_left = np.abs(idx - good[left]) <= np.abs(good[right] - idx)
    return np.where(take_left, good[left], good[right])


def _observations(
    keypoints: Keypoints2D,
    contour: BackContour | None,
    facing: str | None,
    stations: np.ndarray,
    dtype: torch.dtype,
) -> _Observations:
    idx = [keypoints.index(name) for name, _ in LANDMARK_JOINTS]
    data = np.asarray(keypoints.data, dtype=np.float64)[:, idx]
    ok = np.isfinite(data[..., :2]).all(-1)
    weight = np.where(ok, np.clip(data[..., 2], 0.05, 1.0), 0.0)
    origin, axis, normal, length, sign = trunk_frames(keypoints, facing)
    good = np.isfinite(length) & (length > 1.0)
    if not good.any():
        raise ValueError("no frame has both hips and both shoulders detected; cannot fit the body.")
    nearest = _nearest_valid(good)
    origin, axis, normal, length = (a[nearest] for a in (origin, axis, normal, length))
    if contour is None:
        depth = np.full((len(length), len(stations)), np.nan)
    else:
        depth = np.where(good[:, None], contour.depth, np.nan)
    as_t = lambda a: torch.as_tensor(np.nan_to_num(a), dtype=dtype)  # noqa: E731
    return _Observations(
        xy=as_t(data[..., :2]), weight=as_t(weight), length=as_t(length), origin=as_t(origin),
        axis=as_t(axis), normal=as_t(normal), depth=as_t(depth),
        depth_ok=torch.as_tensor(np.isfinite(depth)), stations=as_t(stations), facing=sign,
        fps=float(keypoints.fps),
    )  # fmt: skip


# --------------------------------------------------------------------------- losses


def _pseudo_huber(r: torch.Tensor, delta: float) -> torch.Tensor:
    return delta**2 * (torch.sqrt(1.0 + (r / delta) ** 2) - 1.0)


def _project(points: torch.Tensor, R: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    cam = points @ R.T
    z = cam[..., 2:3].clamp_min(1e-3)
    return cam[..., :2] / z * torch.stack([K[0, 0], K[1, 1]]) + torch.stack([K[0, 2], K[1, 2]])


def _model_profile(uv: torch.Tensor, obs: _Observations) -> tuple[torch.Tensor, torch.Tensor]:
    """Back depth of projected trunk vertices at the stations, in the observed frame.

    Shapes:
        uv: (T, V, 2) → depth (T, N), defined (T, N).
    """
    rel = uv - obs.origin[:, None]
    s = (rel * obs.axis[:, None]).sum(-1) / obs.length[:, None]  # (T, V)
    d = (rel * obs.normal[:, None]).sum(-1) / obs.length[:, None]
    st = obs.stations
    n = st.shape[0]
    step = float(st[1] - st[0]) if n > 1 else 0.04
    # Each vertex goes to its nearest station (bins n and n+1 collect those outside the range).
    idx = torch.round((s - st[0]) / step).long()
    idx = torch.where((idx < 0) | (idx >= n), torch.full_like(idx, n), idx).detach()
    init = torch.full((d.shape[0], n + 1), -1e3, dtype=d.dtype)
    depth = init.scatter_reduce(1, idx, d, reduce="amax", include_self=True)[:, :n]
    return depth, depth > -1e2


def _angle_limits(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    lim = torch.tensor(ANGLE_LIMITS_DEG, dtype=dtype) * (math.pi / 180.0)
    return lim[:, 0], lim[:, 1]


def _prior(angles: torch.Tensor) -> torch.Tensor:
    lo, hi = _angle_limits(angles.dtype)
    box = (torch.relu(lo - angles) ** 2 + torch.relu(angles - hi) ** 2).sum(-1)
    pairs = ((3, 4), (5, 6))
    sym = sum((angles[:, a] - angles[:, b]) ** 2 for a, b in pairs)
    thoracic = angles[:, _A["thoracic_flexion"]] ** 2
    return (10.0 * box + 0.02 * sym + 0.02 * thoracic).mean()


def _smooth(x: torch.Tensor) -> torch.Tensor:
    if x.shape[0] < 3:
        return x.new_zeros(())
    return ((x[2:] - 2 * x[1:-1] + x[:-2]) ** 2).sum(-1).mean()


# --------------------------------------------------------------------------- initialisation


def _inclination(a: np.ndarray, b: np.ndarray, sign: int) -> np.ndarray:
    """Angle of a→b to image-up, positive towards the facing direction (radians)."""
    v = b - a
    return np.arctan2(sign * v[..., 0], -v[..., 1])


def _initial_angles(keypoints: Keypoints2D, sign: int) -> np.ndarray:
    xy = keypoints.xy

    def mid(n: str) -> np.ndarray:
        return 0.5 * (xy[:, keypoints.index(f"left_{n}")] + xy[:, keypoints.index(f"right_{n}")])

    trunk = _inclination(mid("hip"), mid("shoulder"), sign)
    thigh = _inclination(mid("knee"), mid("hip"), sign)  # lean of the thigh (knee → hip)
    shank = _inclination(mid("ankle"), mid("knee"), sign)
    arm = -_inclination(mid("shoulder"), mid("elbow"), sign) + np.pi  # arm down = 0
    arm = np.angle(np.exp(1j * arm))
    out = np.zeros((len(trunk), len(ANGLE_NAMES)))
    for arr in (trunk, thigh, shank, arm):
        arr[~np.isfinite(arr)] = 0.0
    pelvis = 0.55 * trunk
    out[:, _A["pelvis_tilt"]] = pelvis
    out[:, _A["lumbar_flexion"]] = 0.35 * trunk
    out[:, _A["thoracic_flexion"]] = 0.1 * trunk
    hip = pelvis - thigh
    knee = np.clip(thigh - shank, 0.0, None)
    out[:, [_A["hip_flexion_left"], _A["hip_flexion_right"]]] = hip[:, None]
    out[:, [_A["knee_flexion_left"], _A["knee_flexion_right"]]] = knee[:, None]
    shoulder = arm + trunk  # arm relative to the thorax (hanging arm in a bend: = trunk)
    out[:, [_A["shoulder_flexion_left"], _A["shoulder_flexion_right"]]] = shoulder[:, None]
    out[:, [_A["elbow_flexion_left"], _A["elbow_flexion_right"]]] = 0.2
    out[:, _A["arm_adduction"]] = math.radians(35.0)
    return out


def _initial_translation(
    layer: SagittalBody, angles: torch.Tensor, obs: _Observations, R: torch.Tensor, K: torch.Tensor
) -> torch.Tensor:
    with torch.no_grad():
        joints, _, _ = layer(angles, torch.zeros(angles.shape[0], 3, dtype=angles.dtype))
        hips = joints[:, layer.landmark_joints[6:8]].mean(1)
        shoulders = joints[:, layer.landmark_joints[0:2]].mean(1)
        trunk_m = (shoulders - hips).norm(dim=-1)
        # depth from the trunk's length in pixels (its projection is foreshortened only a bit)
        z = K[0, 0] * trunk_m / obs.length
        uv = obs.origin
        ray = torch.stack([(uv[:, 0] - K[0, 2]) / K[0, 0], (uv[:, 1] - K[1, 2]) / K[1, 1],
                           torch.ones_like(z)], -1)  # fmt: skip
        cam = ray * z[:, None]
        world = cam @ R  # R is world→camera; camera centre at the origin
        return world - hips


def _initial_camera(
    layer: SagittalBody, angles: torch.Tensor, obs: _Observations, K: torch.Tensor, config
) -> torch.Tensor:
    """Yaw and pitch with the lowest landmark loss on a grid (≤ 16 frames, no gradients).

    Gradient descent alone stays near the pure side view: the left/right landmark spread that
    reveals the yaw is small next to the other residuals at the start.
    """
    frames = torch.linspace(0, angles.shape[0] - 1, min(16, angles.shape[0])).round().long()
    sub = _Observations(
        xy=obs.xy[frames], weight=obs.weight[frames], length=obs.length[frames],
        origin=obs.origin[frames], axis=obs.axis[frames], normal=obs.normal[frames],
        depth=obs.depth[frames], depth_ok=obs.depth_ok[frames], stations=obs.stations,
        facing=obs.facing, fps=obs.fps,
    )  # fmt: skip
    best, best_loss = torch.zeros(2), float("inf")
    with torch.no_grad():
        for yaw in np.radians(np.arange(-40.0, 40.1, 8.0)):
            for pitch in np.radians((-10.0, 0.0, 10.0)):
                cam = torch.tensor([yaw, pitch], dtype=angles.dtype)
                R = side_camera_rotation(obs.facing, cam[0], cam[1])
                transl = _initial_translation(layer, angles[frames], sub, R, K)
                loss, _ = _losses(layer, angles[frames], transl, cam, sub, K, config, False)
                if float(loss) < best_loss:
                    best, best_loss = cam, float(loss)
    return best


# --------------------------------------------------------------------------- the fit


def fit_frames(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes | None,
    body,
    betas: np.ndarray | torch.Tensor | None = None,
    config: FitConfig | None = None,
    *,
    facing: Literal["left", "right"] | None = None,
    layer: SagittalBody | None = None,
    contour: BackContour | None = None,
    init_angles: np.ndarray | None = None,
    init_transl: np.ndarray | None = None,
    init_camera: np.ndarray | None = None,
    angle_prior: tuple[np.ndarray, np.ndarray] | None = None,
) -> FrameFit:
    """Fit the body's sagittal pose to every frame of a side-view video (batched over frames).

    Args:
        keypoints: MediaPipe landmarks (hips and shoulders needed in at least one frame).
        silhouettes: person masks of the same frames, or None to fit landmarks only.
        body: the anny body (``humanmovenet.body.create("anny")``).
        betas: body shape (default: the average body).
        config: settings (default :class:`FitConfig`).
        facing: ``"left"``/``"right"`` if known, else read from the keypoints.
        layer: a prebuilt :class:`SagittalBody` for this body and shape (saves ~1 s).
        contour: a precomputed back contour (else extracted from ``silhouettes``).
        init_angles: starting angles (radians, :data:`ANGLE_NAMES` order), e.g. from the
            learned regressor (:mod:`.regress`); default: from the 2D geometry.
        init_transl: starting translation (metres); default: closed form from the angles.
        init_camera: starting camera (yaw, pitch) in radians; default: a grid search (or
            zero without ``config.fit_camera``). With a good start, a few L-BFGS iterations
            (``FitConfig(iterations=20, adam_fraction=0, contour_start=0)``) suffice.
        angle_prior: ``(mean, precision)``: a Gaussian prior on the angles, adding
            ``sum(precision * (angle - mean)²)`` (radians; mean over frames) to the loss — the
            MAP term of :func:`.static.refine_static`. A zero precision leaves an angle free.

    Returns:
        The :class:`FrameFit`.

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, H, W) → angles (T, A);
        init_angles: (T, A); init_transl: (T, 3); init_camera: (2,); angle_prior: (A,), (A,).
    """
    config = config or FitConfig()
    t = keypoints.num_frames if isinstance(keypoints, Keypoints2D) else None
    inits = {"init_angles": (init_angles, (t, len(ANGLE_NAMES))),
             "init_transl": (init_transl, (t, 3)), "init_camera": (init_camera, (2,))}  # fmt: skip
    for name, (value, shape) in inits.items():
        if value is not None and (np.shape(value) != shape or not np.isfinite(value).all()):
            raise ValueError(
                f"{name}: expected finite values of shape {shape}, got shape {np.shape(value)}."
            )
    if angle_prior is not None:
        a = len(ANGLE_NAMES)
        mean, precision = (np.asarray(v, dtype=np.float64) for v in angle_prior)
        if mean.shape != (a,) or precision.shape != (a,) or not np.isfinite(mean).all():
            raise ValueError(
                f"angle_prior: expected (mean, precision) of shapes ({a},), ({a},) in "
                f"ANGLE_NAMES order, got {mean.shape}, {precision.shape}."
            )
        if not (np.isfinite(precision).all() and (precision >= 0).all()):
            raise ValueError("angle_prior: the precisions must be finite and >= 0.")
        angle_prior = (mean, precision)
    with _torch_threads(config.num_threads):
        return _fit_frames(keypoints, silhouettes, body, betas, config, facing, layer, contour,
                           init_angles, init_transl, init_camera, angle_prior)  # fmt: skip


@contextmanager
def _torch_threads(n: int | None):
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit_frames(keypoints, silhouettes, body, betas, config, facing, layer, contour,
                init_angles=None, init_transl=None, init_camera=None,
                angle_prior=None) -> FrameFit:  # fmt: skip
    if not isinstance(keypoints, Keypoints2D):
        raise ValueError(f"keypoints must be a Keypoints2D, got {type(keypoints).__name__}.")
    stations = np.asarray(config.stations, dtype=np.float64)
    if contour is None and silhouettes is not None:
        contour = extract_back_contour(silhouettes, keypoints, stations, facing=facing)
    if contour is not None and contour.depth.shape != (keypoints.num_frames, len(stations)):
        raise ValueError(
            f"contour: expected depth of shape ({keypoints.num_frames}, {len(stations)}) "
            f"matching the keypoints and config.stations, got {contour.depth.shape}."
        )
    dtype = torch.float32
    layer = (
        layer if layer is not None else SagittalBody(body, betas, max_vertices=config.max_vertices)
    )
    obs = _observations(keypoints, contour, facing, stations, dtype)
    width, height = keypoints.image_size
    focal = config.focal_px or config.focal_factor * max(width, height)
    K = torch.tensor([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]],
                     dtype=dtype)  # fmt: skip

    # 1. Initial values from the 2D geometry.
    if init_angles is None:
        init_angles = _initial_angles(keypoints, obs.facing)
    angles = torch.tensor(np.ascontiguousarray(init_angles), dtype=dtype).contiguous()
    if init_camera is not None:
        cam = torch.tensor(np.ascontiguousarray(init_camera), dtype=dtype).contiguous()
    elif config.fit_camera:
        cam = _initial_camera(layer, angles, obs, K, config)
    else:
        cam = torch.zeros(2)
    cam = cam.to(dtype)
    R0 = side_camera_rotation(obs.facing, cam[0], cam[1])
    if init_transl is None:
        transl = _initial_translation(layer, angles, obs, R0, K)
    else:
        transl = torch.tensor(np.ascontiguousarray(init_transl), dtype=dtype).contiguous()
    angles.requires_grad_(True)
    transl.requires_grad_(True)
    cam.requires_grad_(config.fit_camera)
    params = [angles, transl] + ([cam] if config.fit_camera else [])
    has_contour = bool(obs.depth_ok.any())
    history: list[float] = []
    if angle_prior is not None:
        angle_prior = tuple(torch.as_tensor(v, dtype=dtype) for v in angle_prior)

    # 2. Optimise all frames together: Adam to get into the basin, L-BFGS to converge.
    adam_steps = int(config.adam_fraction * config.iterations)
    start = int(config.contour_start * adam_steps)
    opt = torch.optim.Adam(params, lr=config.learning_rate)
    for it in range(adam_steps):
        opt.zero_grad()
        loss, _ = _losses(
            layer, angles, transl, cam, obs, K, config, has_contour and it >= start, angle_prior
        )
        loss.backward()
        opt.step()
        if it % 10 == 0:
            history.append(float(loss.detach()))
    lbfgs = torch.optim.LBFGS(params, lr=1.0, max_iter=config.iterations - adam_steps,
                              history_size=20, line_search_fn="strong_wolfe",
                              tolerance_grad=1e-10, tolerance_change=1e-12)  # fmt: skip

    def closure() -> torch.Tensor:
        lbfgs.zero_grad()
        loss, _ = _losses(layer, angles, transl, cam, obs, K, config, has_contour, angle_prior)
        loss.backward()
        return loss

    if config.iterations > adam_steps:
        history.append(float(lbfgs.step(closure).detach()))

    # 3. Per-frame residuals and the body-model pose.
    with torch.no_grad():
        _, parts = _losses(layer, angles, transl, cam, obs, K, config, has_contour, angle_prior)
        body_pose, root = layer.pose(angles)
        R = side_camera_rotation(obs.facing, cam[0], cam[1])
    vis = obs.weight.mean(-1).numpy()
    return FrameFit(
        angles=angles.detach().double().numpy(),
        transl=transl.detach().double().numpy(),
        betas=layer.betas[0].numpy().copy(),
        body_pose=body_pose.double().numpy(),
        root_orient=root.double().numpy(),
        camera_R=R.double().numpy(),
        K=K.double().numpy(),
        keypoint_error=parts["keypoint_error"].double().numpy(),
        contour_error=parts["contour_error"].double().numpy(),
        contour_coverage=obs.depth_ok.double().mean(-1).numpy(),
        visibility=vis,
        fps=float(keypoints.fps),
        loss_history=tuple(history),
    )


def _losses(
    layer: SagittalBody,
    angles: torch.Tensor,
    transl: torch.Tensor,
    cam: torch.Tensor,
    obs: _Observations,
    K: torch.Tensor,
    config: FitConfig,
    use_contour: bool,
    angle_prior: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    R = side_camera_rotation(obs.facing, cam[0], cam[1])
    joints, verts, _ = layer(angles, transl)
    # 1. Landmarks, in trunk lengths.
    uv = _project(joints[:, layer.landmark_joints], R, K)
    dist = (uv - obs.xy).norm(dim=-1) / obs.length[:, None]
    w = obs.weight
    kp = (w * _pseudo_huber(dist, 0.05)).sum() / w.sum().clamp_min(1e-6)
    loss = config.keypoint_weight * kp
    kp_err = (w * dist).sum(-1) / w.sum(-1).clamp_min(1e-6)
    parts = {"keypoint_error": kp_err.detach()}
    # 2. Back contour.
    contour_err = torch.full((angles.shape[0],), float("nan"))
    if use_contour:
        depth, defined = _model_profile(_project(verts, R, K), obs)
        ok = obs.depth_ok & defined
        diff = torch.where(ok, depth - obs.depth, torch.zeros_like(depth))
        ct = _pseudo_huber(diff, 0.02).sum() / ok.sum().clamp_min(1)
        loss = loss + config.contour_weight * ct
        n_ok = ok.sum(-1)
        contour_err = torch.where(n_ok > 0, diff.abs().sum(-1) / n_ok.clamp_min(1),
                                  torch.full_like(contour_err, float("nan")))  # fmt: skip
    parts["contour_error"] = contour_err.detach()
    # 3. Priors and smoothness.
    loss = loss + config.prior_weight * 1e-3 * _prior(angles)
    if angle_prior is not None:  # Gaussian (MAP) prior, e.g. toward a learned estimate
        mean, precision = angle_prior
        loss = loss + (precision * (angles - mean) ** 2).sum(-1).mean()
    rate = obs.fps**2  # second differences → accelerations (rad/s², m/s²)
    loss = loss + config.smooth_weight * (_smooth(angles * rate) + _smooth(transl * (3.0 * rate)))
    return loss, parts
