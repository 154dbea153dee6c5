"""Pose a body model with a synthetic motion, with ground truth measured on the posed body.

:func:`pose_sequence` maps the semantic angles of a :class:`~humanmovenet.synth.motion.SagittalMotion`
onto the inputs of a body model (the shipped anny body by default) for one
:class:`~humanmovenet.synth.subject.SyntheticSubject`, runs the body in batches, poses the
subject's vertebral spine (``spine.body``) and returns a frozen :class:`PosedSequence` with
per-frame joints, vertebra positions and frames, and angles *measured* on the posed body.

Mapping (rotations are local, in the body's world-aligned rest axes; ``Rx(a)`` tilts +y towards
+z, so a positive angle about +x is flexion; DESIGN.md §3):

* **Pelvis** (root orientation): ``Ry(rotation) · Rx(tilt − standing tilt) · Rz(obliquity)``.
  The body's rest pose is the subject's standing posture, so only the *change* of tilt rotates
  the root; the pelvic-tilt ground truth adds the subject's standing tilt back.
* **Hips**: ``Rx(−flexion − θ_thigh) · Rz(−obliquity)`` (the thighs do not follow the pelvic
  obliquity). **Knees**: ``Rx(flexion + θ_thigh − θ_shank)``; **ankles**:
  ``Rx(θ_shank − dorsiflexion)`` (foot flat when the shank leans by the dorsiflexion angle, as
  in the motion's leg chain). θ_thigh ≈ −5°, θ_shank ≈ +5° are the sagittal leans of the rest
  pose's slightly bent legs (:func:`rest_leg_angles`), so the motion's anatomical angles
  (0 = straight leg) are reproduced: standing has straight legs.
* **Sideways pelvis shift** (the x part of the motion's ``root_translation``: the shift away
  from a lateral bend, the sway in gait) tilts both legs in the frontal plane about the hips by
  ``asin(dx / leg length)``; the ankles compensate so the feet stay flat.
* **Spine**: :func:`humanmovenet.spine.body.spine_joint_rotations` for lumbar/thoracic
  flexion and lateral flexion; ``trunk_axial`` is added as a rotation about the vertical shared
  by the joints carrying the thoracic discs (in proportion to their number of discs).
* **Standing posture shows on the skin.** The body's rest skin has one fixed back curve, so a
  spine embedded with the subject's own lordosis and kyphosis would exist only inside the body
  and no image could show it. Instead the spine is embedded with the population-mean lordosis
  and kyphosis (``SpineMorphology()``; the subject's sacral slope and lateral deviation are
  kept, :func:`subject_embedding`) and the body's spine bones are posed in *every* frame by the
  standing offsets ``(LL_mean − LL_subject, TK_subject − TK_mean)`` on top of the motion
  (:func:`standing_spine_flexion`), so a more lordotic subject has a more hollow back in the
  renders. The ground truth is measured on that posed spine; angle changes are taken from the
  subject's standing spine (``PosedSequence.rest_vertebra_frames``), which has the subject's
  lordosis and kyphosis.
* **Arms**: the rest pose is an A-pose with bent elbows, so the arms are set absolutely: the
  upper arm hangs with a small abduction (6–20° growing with BMI, so that arms clear the
  trunk) and is flexed forward by ``shoulder_flexion`` relative to the thorax; the forearm
  is flexed by ``elbow_flexion`` more (shortest-arc rotations of the rest bone directions).
* **Ground contact** (``transl``): every frame is lifted so its lowest vertex touches the floor
  ``y = 0``. In standing and bends the feet stay planted: the mean of the two ankle joints keeps
  its first-frame position in x and z (the motion's ``root_translation`` is the hip displacement
  of a planted leg chain, which the body's own kinematics now realise). In gait the stance
  foot does not slide: the horizontal motion of the previous frame's lowest vertex of the
  stance foot (heel → toe; the stance leg comes from the motion's phases, the leading leg in
  double support) is undone frame by frame, so forward progression comes from the body's own
  leg kinematics (the motion's forward ``root_translation`` is not used). The world
  origin is the first frame's mid-ankle point on the floor.

Ground truth (:class:`MeasuredAngles`) is measured on the posed body and spine, not copied from
the motion: L1–S1 and T1–T12 sagittal angles on the vertebra frames, the pelvis's sagittal
tilt in its heading plane, hip flexion as the femur's sagittal angle in the pelvis frame. The
tests check that they equal the motion's commanded angles.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import roma
import torch

from humanmovenet.body import create
from humanmovenet.body.base import BodyModel, BodyOutput
from humanmovenet.spine import anatomy
from humanmovenet.spine.body import embed_in_body, pose_from_body_output, spine_joint_rotations
from humanmovenet.spine.chain import lateral_angle, sagittal_angle
from humanmovenet.spine.embed import SpineEmbedding, pose_spine
from humanmovenet.spine.morphology import lumbar_angle, thoracic_angle
from humanmovenet.synth.motion import Phase, SagittalMotion
from humanmovenet.synth.subject import SyntheticSubject
from humanmovenet.types import VERTEBRA_NAMES, SpineMorphology

__all__ = [
    "MeasuredAngles",
    "PosedSequence",
    "default_body",
    "body_inputs",
    "pose_sequence",
    "iter_vertices",
    "measure_angles",
    "arm_abduction_deg",
    "subject_embedding",
    "standing_spine_flexion",
]

_S1, _L1 = VERTEBRA_NAMES.index("S1"), VERTEBRA_NAMES.index("L1")
_T12, _T1 = VERTEBRA_NAMES.index("T12"), VERTEBRA_NAMES.index("T1")
_SPINE_CORRECTIONS = 4
_SPINE_TOLERANCE = 1e-6  # rad (6e-5 deg)
_DEFAULT_BATCH = 64


@lru_cache(maxsize=1)
def default_body() -> BodyModel:
    """The shipped anny body, created once per process (it is stateless)."""
    return create("anny")


@dataclass(frozen=True, eq=False)
class MeasuredAngles:
    """Angles measured on a posed body and spine, radians (flexion / anterior / left +).

    Attributes:
        lumbar_angle: L1–S1 sagittal angle (flexion +; standing lordosis is negative).
        lumbar_flexion: ``lumbar_angle`` minus its rest (standing) value.
        thoracic_angle: T1–T12 sagittal angle (kyphosis +).
        thoracic_flexion: ``thoracic_angle`` minus its rest value.
        lumbar_lateral: L1 relative to S1 in the frontal plane, minus rest (to the left +).
        thoracic_lateral: T1 relative to T12 in the frontal plane, minus rest (to the left +).
        pelvic_tilt: clinical anterior pelvic tilt: the subject's standing tilt plus the
            pelvis's sagittal rotation from rest, measured in the pelvis's heading plane.
        hip_flexion_left, hip_flexion_right: femur relative to pelvis, sagittal; 0 = femur
            along the pelvis's vertical axis (straight standing).

    Shapes:
        every field: (T,).
    """

    lumbar_angle: np.ndarray
    lumbar_flexion: np.ndarray
    thoracic_angle: np.ndarray
    thoracic_flexion: np.ndarray
    lumbar_lateral: np.ndarray
    thoracic_lateral: np.ndarray
    pelvic_tilt: np.ndarray
    hip_flexion_left: np.ndarray
    hip_flexion_right: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        """Field name → (T,) array."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class PosedSequence:
    """A synthetic motion applied to a body, with measured per-frame ground truth.

    Equality is identity (``eq=False``). Body inputs reproduce the posed body exactly:
    ``body(betas.expand(T, -1), body_pose, root_orient, transl)`` (see :func:`iter_vertices`).

    Attributes:
        subject: the person.
        motion: the commanded motion.
        backend: body backend name (``"anny"``).
        joint_names: the body's joint names, root first.
        betas: body shape coefficients.
        body_pose: local axis-angle of the non-root joints (radians).
        root_orient: root (pelvis) axis-angle (radians).
        transl: translation given to the body (metres; floor contact and foot planting).
        joints: posed joint positions (world, metres, floor at y = 0).
        vertebra_positions: posed vertebral centres S1…C1 (world, metres).
        vertebra_frames: posed vertebra frames (columns: left, cranial, anterior axes).
        rest_vertebra_frames: the subject's standing spine frames (body frame, pelvis at rest):
            the embedding posed by the standing offsets; angle changes are measured from it.
        angles: :class:`MeasuredAngles`.
        vertices: posed vertices (float32) if requested, else None (use :func:`iter_vertices`).
        standing_spine_flexion: (lumbar, thoracic) flexion of the body's spine bones in
            standing, from the body's template posture, radians (:func:`standing_spine_flexion`);
            a model that poses the template body adds it to the measured flexions.

    Shapes:
        betas: (S,); body_pose: (T, J, 3); root_orient, transl: (T, 3); joints: (T, J + 1, 3);
        vertebra_positions: (T, 25, 3); vertebra_frames: (T, 25, 3, 3);
        rest_vertebra_frames: (25, 3, 3); vertices: (T, V, 3) or None.
    """

    subject: SyntheticSubject
    motion: SagittalMotion
    backend: str
    joint_names: tuple[str, ...]
    betas: np.ndarray
    body_pose: np.ndarray
    root_orient: np.ndarray
    transl: np.ndarray
    joints: np.ndarray
    vertebra_positions: np.ndarray
    vertebra_frames: np.ndarray
    rest_vertebra_frames: np.ndarray
    angles: MeasuredAngles
    vertices: np.ndarray | None = None
    standing_spine_flexion: tuple[float, float] = (0.0, 0.0)

    @property
    def num_frames(self) -> int:
        return int(self.body_pose.shape[0])

    def joint(self, name: str, body: BodyModel | None = None) -> np.ndarray:
        """Positions (T, 3) of one joint by semantic or backend name."""
        body = body or default_body()
        return self.joints[:, body.joint_index(name)]


# --------------------------------------------------------------------------- rotations


def _rx(a: torch.Tensor) -> torch.Tensor:
    return roma.rotvec_to_rotmat(torch.stack([a, torch.zeros_like(a), torch.zeros_like(a)], -1))


def _ry(a: torch.Tensor) -> torch.Tensor:
    return roma.rotvec_to_rotmat(torch.stack([torch.zeros_like(a), a, torch.zeros_like(a)], -1))


def _rz(a: torch.Tensor) -> torch.Tensor:
    return roma.rotvec_to_rotmat(torch.stack([torch.zeros_like(a), torch.zeros_like(a), a], -1))


def _align(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Shortest-arc rotation vectors taking directions ``u`` onto ``v``.

    Shapes:
        u, v: (..., 3) (not necessarily unit) → (..., 3).
    """
    u = u / u.norm(dim=-1, keepdim=True)
    v = v / v.norm(dim=-1, keepdim=True)
    axis = torch.cross(u, v, dim=-1)
    s = axis.norm(dim=-1, keepdim=True)
    angle = torch.atan2(s, (u * v).sum(-1, keepdim=True))
    return torch.where(s > 1e-12, axis / s.clamp_min(1e-12) * angle, torch.zeros_like(axis))


def arm_abduction_deg(bmi: float) -> float:
    """Abduction of the hanging upper arms (degrees): 6° at BMI ≤ 20 up to 20° at BMI ≥ 37.5.

    An assumption that keeps the arms outside the trunk of heavier bodies.
    """
    return float(np.clip(6.0 + 0.8 * (bmi - 20.0), 6.0, 20.0))


def rest_leg_angles(body: BodyModel, rest_joints: torch.Tensor, side: str) -> tuple[float, float]:
    """Sagittal lean of the rest thigh and shank (radians, ``Rx`` angle from straight down).

    The anny rest pose has slightly bent knees (thigh ≈ −5°, shank ≈ +5°); the motion's leg
    angles are anatomical (0 = straight leg), so these rest angles are taken out.

    Shapes:
        rest_joints: (J + 1, 3).
    """
    hip, knee, ankle = (body.joint_index(f"{j}_{side}") for j in ("hip", "knee", "ankle"))

    def lean(a: int, b: int) -> float:
        d = rest_joints[b] - rest_joints[a]
        return float(torch.atan2(-d[2], -d[1]))

    return lean(hip, knee), lean(knee, ankle)


def _t(motion: SagittalMotion, name: str) -> torch.Tensor:
    return torch.as_tensor(np.asarray(getattr(motion, name), dtype=np.float64))


# --------------------------------------------------------------------------- body inputs


def _check_pair(subject: object, motion: object) -> None:
    if not isinstance(subject, SyntheticSubject):
        raise ValueError(
            f"subject must be a SyntheticSubject (synth.subject.sample_subject), got "
            f"{type(subject).__name__}."
        )
    if not isinstance(motion, SagittalMotion):
        raise ValueError(
            f"motion must be a SagittalMotion (synth.motion.generate_motion), got "
            f"{type(motion).__name__}."
        )
    if motion.pattern != subject.pattern.label:
        raise ValueError(
            f"motion was generated for a {motion.pattern!r} subject but the subject is "
            f"{subject.pattern.label!r}; generate the motion from this subject."
        )


def _spine_only_angles(emb: SpineEmbedding, local: torch.Tensor) -> torch.Tensor:
    """(T, 4) lumbar/thoracic flexion and lateral flexion from rest of a spine chain pose."""
    globals_ = [torch.eye(3, dtype=local.dtype).expand(local.shape[0], 3, 3)]
    for k in range(local.shape[1]):
        globals_.append(globals_[-1] @ local[:, k])
    chain = torch.stack(globals_, 1)
    _, frames = pose_spine(emb, chain, torch.zeros(*chain.shape[:2], 3, dtype=local.dtype))
    rest = torch.as_tensor(emb.rest_frames, dtype=local.dtype)
    return torch.stack(
        [
            lumbar_angle(frames) - lumbar_angle(rest),
            thoracic_angle(frames) - thoracic_angle(rest),
            lateral_angle(frames[:, _S1], frames[:, _L1]) - lateral_angle(rest[_S1], rest[_L1]),
            lateral_angle(frames[:, _T12], frames[:, _T1]) - lateral_angle(rest[_T12], rest[_T1]),
        ],
        -1,
    )


def _chain_rotations(
    emb: SpineEmbedding, target: torch.Tensor, axial: torch.Tensor
) -> torch.Tensor:
    """Local rotation matrices (T, C-1, 3, 3) whose spine-only angles equal ``target``.

    ``spine_joint_rotations`` reproduces the L1–S1 angle exactly in pure flexion but is off by
    up to ~1° for the thoracic angle (joints whose discs straddle two regions) and in combined
    flexion + lateral bending; a few fixed-point corrections of the commanded angles, measured
    on the spine alone, make every measured angle equal the commanded one.

    Shapes:
        target: (T, 4) lumbar/thoracic flexion, lumbar/thoracic lateral from the embedding's
        rest; axial: (T, C-1, 3, 3).
    """
    command = target.clone()
    for _ in range(_SPINE_CORRECTIONS + 1):
        mats = roma.rotvec_to_rotmat(spine_joint_rotations(emb, *command.unbind(-1))) @ axial
        error = _spine_only_angles(emb, mats) - target
        if float(error.abs().max()) < _SPINE_TOLERANCE:
            break
        command = command - error
    return mats


def subject_embedding(
    body: BodyModel, betas: torch.Tensor | np.ndarray, subject: SyntheticSubject
) -> SpineEmbedding:
    """The spine embedding :func:`pose_sequence` expects for a subject (module docstring).

    The subject's sacral slope and lateral deviation with the population-mean lordosis and
    kyphosis of ``SpineMorphology()``; the subject's own curves are then *posed*
    (:func:`standing_spine_flexion`), so that the skin shows them.
    """
    mean = SpineMorphology()
    morphology = SpineMorphology(
        sacral_slope_deg=subject.morphology.sacral_slope_deg,
        lumbar_lordosis_deg=mean.lumbar_lordosis_deg,
        thoracic_kyphosis_deg=mean.thoracic_kyphosis_deg,
        lateral_deviation_deg=subject.morphology.lateral_deviation_deg,
    )
    return embed_in_body(body, betas, morphology)


def standing_spine_flexion(emb: SpineEmbedding, subject: SyntheticSubject) -> tuple[float, float]:
    """(lumbar, thoracic) flexion of the spine bones that gives the subject's standing curves.

    Radians from the embedding's rest: ``LL_rest − LL_subject`` (a more lordotic subject
    extends the lumbar spine) and ``TK_subject − TK_rest``.
    """
    rest = torch.as_tensor(emb.rest_frames, dtype=torch.float64)
    lumbar = -math.radians(subject.morphology.lumbar_lordosis_deg) - float(lumbar_angle(rest))
    thoracic = math.radians(subject.morphology.thoracic_kyphosis_deg) - float(thoracic_angle(rest))
    return lumbar, thoracic


def _check_embedding(emb: SpineEmbedding) -> None:
    mean = SpineMorphology()
    got = emb.morphology
    if (
        abs(got.lumbar_lordosis_deg - mean.lumbar_lordosis_deg) > 0.5
        or abs(got.thoracic_kyphosis_deg - mean.thoracic_kyphosis_deg) > 0.5
    ):
        raise ValueError(
            f"the spine embedding has lordosis {got.lumbar_lordosis_deg:.1f}° and kyphosis "
            f"{got.thoracic_kyphosis_deg:.1f}°, but pose_sequence poses the subject's curves on a "
            f"mean-curve embedding ({mean.lumbar_lordosis_deg:.0f}°/"
            f"{mean.thoracic_kyphosis_deg:.0f}°); build it with synth.sequence.subject_embedding."
        )


def _spine_rotations(
    emb: SpineEmbedding, motion: SagittalMotion, standing: tuple[float, float] = (0.0, 0.0)
) -> torch.Tensor:
    """Local rotation matrices (T, C-1, 3, 3) of the spine chain joints 1…C-1.

    The motion's angles (from standing) plus the ``standing`` bone flexions, exact to
    ``_SPINE_TOLERANCE`` (:func:`_chain_rotations`); ``trunk_axial`` is shared by the joints
    carrying the thoracic discs.
    """
    thoracic = [anatomy.DISC_NAMES.index(n) for n in anatomy.THORACIC_DISCS]
    counts = np.bincount(np.asarray(emb.disc_joint)[thoracic], minlength=len(emb.chain_names))
    share = torch.as_tensor(counts[1:] / counts.sum(), dtype=torch.float64)
    axial = _ry(_t(motion, "trunk_axial")[:, None] * share[None, :])
    names = ("lumbar_flexion", "thoracic_flexion", "lumbar_lateral", "thoracic_lateral")
    target = torch.stack([_t(motion, n) for n in names], -1)
    target = target + torch.tensor([standing[0], standing[1], 0.0, 0.0], dtype=torch.float64)
    return _chain_rotations(emb, target, axial)


def _standing_frames(emb: SpineEmbedding, standing: tuple[float, float]) -> np.ndarray:
    """The subject's standing vertebra frames (25, 3, 3): the embedding posed by ``standing``."""
    target = torch.tensor([[standing[0], standing[1], 0.0, 0.0]], dtype=torch.float64)
    c = len(emb.chain_names)
    local = _chain_rotations(emb, target, torch.eye(3, dtype=torch.float64).expand(1, c - 1, 3, 3))
    globals_ = [torch.eye(3, dtype=torch.float64)[None]]
    for k in range(local.shape[1]):
        globals_.append(globals_[-1] @ local[:, k])
    chain = torch.stack(globals_, 1)
    _, frames = pose_spine(emb, chain, torch.zeros(*chain.shape[:2], 3, dtype=torch.float64))
    return frames[0].numpy()


def body_inputs(
    subject: SyntheticSubject,
    motion: SagittalMotion,
    body: BodyModel,
    embedding: SpineEmbedding,
    betas: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Body-model inputs (zero translation) realising a motion's angles (module docstring).

    Args:
        subject: the person (for the standing pelvic tilt and BMI).
        motion: the motion, generated for this subject.
        body: the body model.
        embedding: the subject's spine embedding in ``body`` (:func:`subject_embedding`).
        betas: the subject's shape.

    Returns:
        ``{"betas", "body_pose", "root_orient", "transl"}`` float64 tensors, ``transl`` zero.

    Shapes:
        betas: (S,) or (1, S) → betas (T, S), body_pose (T, J, 3), root_orient, transl (T, 3).
    """
    _check_pair(subject, motion)
    n = motion.num_frames
    betas = torch.as_tensor(betas, dtype=torch.float64).reshape(1, -1)
    pose = torch.zeros(n, body.num_body_joints, 3, dtype=torch.float64)

    def put(name: str, rotvec: torch.Tensor) -> None:
        pose[:, body.joint_index(name) - 1] = rotvec

    # 1. Pelvis.
    d_tilt = _t(motion, "pelvis_tilt") - motion.standing_pelvic_tilt
    obl, rot = _t(motion, "pelvis_obliquity"), _t(motion, "pelvis_rotation")
    root = roma.rotmat_to_rotvec(_ry(rot) @ _rx(d_tilt) @ _rz(obl))  # (see legs below)
    # 2. Spine.
    standing = standing_spine_flexion(embedding, subject)
    spine = roma.rotmat_to_rotvec(_spine_rotations(embedding, motion, standing))
    for j, name in enumerate(body.spine_chain()[1:]):
        put(name, spine[:, j])
    # 3. Legs; a sideways pelvis shift dx (lateral bend, gait sway) tilts both legs in the
    #    frontal plane about the hips, the ankles keep the feet flat.
    rest = body.rest_joints(betas)[0]
    pelvis = _ry(rot) @ _rx(d_tilt) @ _rz(obl)
    dx = _t(motion, "root_translation")[:, 0]
    dx = dx - dx[0]
    for side in ("left", "right"):
        hip_j, ankle_j = body.joint_index(f"hip_{side}"), body.joint_index(f"ankle_{side}")
        length = float(rest[hip_j, 1] - rest[ankle_j, 1])
        tilt = _rz(-torch.asin(torch.clamp(dx / length, -0.5, 0.5)))
        thigh0, shank0 = rest_leg_angles(body, rest, side)
        hip = _rx(-_t(motion, f"hip_flexion_{side}") - thigh0) @ _rz(-obl)
        knee = _rx(_t(motion, f"knee_flexion_{side}") + thigh0 - shank0)
        ankle = _rx(shank0 - _t(motion, f"ankle_dorsiflexion_{side}"))
        shank = pelvis @ hip @ knee  # global shank rotation without the tilt
        put(f"hip_{side}", roma.rotmat_to_rotvec(pelvis.transpose(-1, -2) @ tilt @ pelvis @ hip))
        put(f"knee_{side}", roma.rotmat_to_rotvec(knee))
        foot = shank.transpose(-1, -2) @ tilt.transpose(-1, -2) @ shank @ ankle
        put(f"ankle_{side}", roma.rotmat_to_rotvec(foot))
    # 4. Arms, set absolutely from the rest bone directions.
    abd = math.radians(arm_abduction_deg(subject.bmi))
    for side, sign in (("left", 1.0), ("right", -1.0)):
        sh, el, wr = (body.joint_index(f"{j}_{side}") for j in ("shoulder", "elbow", "wrist"))
        hang = torch.tensor([sign * math.sin(abd), -math.cos(abd), 0.0], dtype=torch.float64)
        flex = _t(motion, f"shoulder_flexion_{side}")
        target_upper = _rx(-flex) @ hang
        target_fore = _rx(-(flex + _t(motion, f"elbow_flexion_{side}"))) @ hang
        upper = _align((rest[el] - rest[sh]).expand(n, 3), target_upper)
        fore_in_upper = roma.rotvec_to_rotmat(upper).transpose(-1, -2) @ target_fore[..., None]
        put(f"shoulder_{side}", upper)
        put(f"elbow_{side}", _align((rest[wr] - rest[el]).expand(n, 3), fore_in_upper[..., 0]))
    return {
        "betas": betas.expand(n, -1),
        "body_pose": pose,
        "root_orient": root,
        "transl": torch.zeros(n, 3, dtype=torch.float64),
    }


# --------------------------------------------------------------------------- measurement


def measure_angles(
    body: BodyModel,
    joint_rotations: torch.Tensor,
    vertebra_frames: torch.Tensor,
    rest_vertebra_frames: torch.Tensor,
    standing_pelvic_tilt: float,
    rest_joints: torch.Tensor | None = None,
) -> MeasuredAngles:
    """Measure the ground-truth angles on a posed body and spine (see :class:`MeasuredAngles`).

    Args:
        body: the body model that produced ``joint_rotations``.
        joint_rotations: global joint rotations relative to rest (``BodyOutput``).
        vertebra_frames: posed vertebra frames (``pose_from_body_output``).
        rest_vertebra_frames: the spine's standing frames (``PosedSequence.rest_vertebra_frames``).
        standing_pelvic_tilt: the subject's standing anterior pelvic tilt, radians.
        rest_joints: the body's rest joints for this shape; hip flexion is then anatomical
            (0 = femur along the pelvis's vertical axis) instead of relative to the rest pose.

    Returns:
        The :class:`MeasuredAngles` (numpy float64).

    Shapes:
        joint_rotations: (T, J + 1, 3, 3); vertebra_frames: (T, 25, 3, 3);
        rest_vertebra_frames: (25, 3, 3).
    """
    rots = torch.as_tensor(joint_rotations, dtype=torch.float64)
    frames = torch.as_tensor(vertebra_frames, dtype=torch.float64)
    rest = torch.as_tensor(rest_vertebra_frames, dtype=torch.float64)
    if rots.ndim != 4 or frames.ndim != 4 or frames.shape[0] != rots.shape[0]:
        raise ValueError(
            f"expected joint_rotations (T, J+1, 3, 3) and vertebra_frames (T, 25, 3, 3), got "
            f"{tuple(rots.shape)} and {tuple(frames.shape)}."
        )
    pelvis = rots[:, 0]
    # Pelvic tilt in the pelvis's heading plane (exact for Ry(rot)·Rx(tilt)·Rz(obliquity)).
    fwd = pelvis[..., :, 2]
    heading = torch.atan2(fwd[:, 0], fwd[:, 2])
    cranial = (_ry(heading).transpose(-1, -2) @ pelvis)[..., :, 1]
    tilt = torch.atan2(cranial[:, 2], cranial[:, 1])

    def hip(side: str) -> torch.Tensor:
        femur = rots[:, body.joint_index(f"hip_{side}")]
        offset = 0.0 if rest_joints is None else rest_leg_angles(body, rest_joints, side)[0]
        return -sagittal_angle(pelvis, femur) - offset

    lum, tho = lumbar_angle(frames), thoracic_angle(frames)
    lat = lateral_angle(frames[:, _S1], frames[:, _L1]) - lateral_angle(rest[_S1], rest[_L1])
    tlat = lateral_angle(frames[:, _T12], frames[:, _T1]) - lateral_angle(rest[_T12], rest[_T1])
    out = dict(
        lumbar_angle=lum,
        lumbar_flexion=lum - lumbar_angle(rest),
        thoracic_angle=tho,
        thoracic_flexion=tho - thoracic_angle(rest),
        lumbar_lateral=lat,
        thoracic_lateral=tlat,
        pelvic_tilt=standing_pelvic_tilt + tilt,
        hip_flexion_left=hip("left"),
        hip_flexion_right=hip("right"),
    )
    return MeasuredAngles(
        **{k: v.detach().cpu().numpy().astype(np.float64) for k, v in out.items()}
    )


# --------------------------------------------------------------------------- running the body


def _forward(body: BodyModel, inputs: dict[str, torch.Tensor], lo: int, hi: int) -> BodyOutput:
    with torch.no_grad():
        return body(**{k: v[lo:hi].to(torch.float32) for k, v in inputs.items()})


def _stance_feet(body: BodyModel, motion: SagittalMotion) -> tuple[np.ndarray, list[torch.Tensor]]:
    """Stance side per frame (0 left, 1 right) and the vertex indices of each foot.

    Gait: the leg in single support, and in double support the leg that has just struck
    the ground (the leading one). Other movements: the left foot (unused: feet are planted).
    """
    weights = body.lbs_weights
    dominant = weights.argmax(-1)
    parents = list(getattr(body, "parents", ()))
    feet = []
    for side in ("left", "right"):
        ankle = body.joint_index(f"ankle_{side}")
        below = {ankle}
        for j in range(len(body.joint_names)):  # parents precede children
            if parents and parents[j] in below:
                below.add(j)
        mask = torch.zeros(weights.shape[1], dtype=torch.bool)
        mask[list(below)] = True
        feet.append(torch.nonzero(mask[dominant]).squeeze(-1))
    stance = np.zeros(motion.num_frames, dtype=np.int64)
    if motion.movement == "gait":
        code = {int(Phase.GAIT_LEFT_STANCE): 0, int(Phase.GAIT_RIGHT_STANCE): 1}
        nxt = 1  # the stride starts at right heel strike
        for t in range(motion.num_frames - 1, -1, -1):  # double support: the next stance leg
            nxt = code.get(int(motion.phase[t]), nxt)
            stance[t] = nxt
    return stance, feet


def _placement(
    motion: SagittalMotion,
    lowest_y: np.ndarray,
    mid_ankle_xz: np.ndarray,
    contact_step_xz: np.ndarray,
) -> np.ndarray:
    """Translation (T, 3) for floor contact and planted / rolling feet (module docstring).

    Shapes:
        lowest_y: (T,); mid_ankle_xz, contact_step_xz: (T, 2) → (T, 3).
    """
    n = motion.num_frames
    transl = np.zeros((n, 3))
    transl[:, 1] = -lowest_y
    if motion.movement == "gait":
        # the stance foot's contact point does not slide: undo its horizontal motion
        transl[:, [0, 2]] = -mid_ankle_xz[0] - np.cumsum(contact_step_xz, axis=0)
    else:
        transl[:, [0, 2]] = -mid_ankle_xz
    return transl


def pose_sequence(
    subject: SyntheticSubject,
    motion: SagittalMotion,
    body: BodyModel | None = None,
    *,
    embedding: SpineEmbedding | None = None,
    keep_vertices: bool = False,
    batch_size: int = _DEFAULT_BATCH,
) -> PosedSequence:
    """Pose a subject's body and spine with a motion and measure the ground truth.

    Args:
        subject: the person.
        motion: a motion generated for this subject (:func:`synth.motion.generate_motion`).
        body: the body model; default: the shipped anny body (:func:`default_body`).
        embedding: the subject's spine embedding (default: :func:`subject_embedding`; pass
            it to reuse it over several motions of the same subject).
        keep_vertices: also keep the posed vertices (float32; T × V × 3 × 4 bytes, ~165 kB per
            frame for anny). Otherwise regenerate them with :func:`iter_vertices`.
        batch_size: frames per body forward pass (memory vs speed).

    Returns:
        The :class:`PosedSequence`.

    Raises:
        ValueError: wrong argument types, a motion from another subject, batch_size < 1, an
            embedding not built by :func:`subject_embedding`.
    """
    _check_pair(subject, motion)
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1 frame, got {batch_size}.")
    body = body or default_body()
    betas = body.shape_from_sliders(subject.sliders)[0]
    emb = embedding or subject_embedding(body, betas, subject)
    _check_embedding(emb)
    standing = standing_spine_flexion(emb, subject)
    rest_frames = _standing_frames(emb, standing)
    inputs = body_inputs(subject, motion, body, emb, betas)
    n = motion.num_frames
    # 1. Pose in batches; keep joints, rotations, lowest vertex and (optionally) vertices.
    joints, rots, verts = [], [], []
    lowest = np.empty(n)
    step = np.zeros((n, 2))  # horizontal motion of the stance foot's contact vertex
    stance, feet = _stance_feet(body, motion)
    prev_index, prev_point = None, None
    for lo in range(0, n, batch_size):
        out = _forward(body, inputs, lo, lo + batch_size)
        joints.append(out.joints.double())
        rots.append(out.joint_rotations.double())
        v = out.vertices.double()
        lowest[lo : lo + len(v)] = v[..., 1].amin(-1).numpy()
        for k in range(len(v) if motion.movement == "gait" else 0):  # stance-foot contact
            if prev_index is not None:
                step[lo + k] = v[k, prev_index, [0, 2]].numpy() - prev_point
            foot = feet[stance[lo + k]]
            prev_index = int(foot[int(v[k, foot, 1].argmin())])
            prev_point = v[k, prev_index, [0, 2]].numpy()
        if keep_vertices:
            verts.append(out.vertices.numpy())
    joints_t, rots_t = torch.cat(joints), torch.cat(rots)
    # 2. Spine from the posed chain (translation-free), then place everything on the floor.
    raw = BodyOutput(torch.empty(0), joints_t, rots_t, body.joint_names)
    positions, frames = pose_from_body_output(emb, body, raw)
    ankles = joints_t[:, [body.joint_index("ankle_left"), body.joint_index("ankle_right")]]
    transl = _placement(motion, lowest, ankles.mean(1)[:, [0, 2]].numpy(), step)
    angles = measure_angles(
        body,
        rots_t,
        frames,
        torch.as_tensor(rest_frames),
        motion.standing_pelvic_tilt,
        body.rest_joints(torch.as_tensor(betas, dtype=torch.float64).reshape(1, -1))[0],
    )
    vertices = None
    if keep_vertices:
        vertices = np.concatenate(verts) + transl[:, None, :].astype(np.float32)
    return PosedSequence(
        subject=subject,
        motion=motion,
        backend=body.backend,
        joint_names=tuple(body.joint_names),
        betas=betas.numpy().astype(np.float64),
        body_pose=inputs["body_pose"].numpy(),
        root_orient=inputs["root_orient"].numpy(),
        transl=transl,
        joints=joints_t.numpy() + transl[:, None, :],
        vertebra_positions=positions.numpy() + transl[:, None, :],
        vertebra_frames=frames.numpy(),
        rest_vertebra_frames=rest_frames,
        angles=angles,
        vertices=vertices,
        standing_spine_flexion=standing,
    )


def iter_vertices(
    posed: PosedSequence, body: BodyModel | None = None, batch_size: int = _DEFAULT_BATCH
) -> Iterator[np.ndarray]:
    """Posed vertices in chunks of frames, recomputed from the stored body inputs.

    Args:
        posed: the sequence.
        body: the body model that posed it (default: the shipped anny body).
        batch_size: frames per chunk.

    Yields:
        float32 vertex chunks in frame order (world, metres).

    Shapes:
        yields (≤ batch_size, V, 3).
    """
    body = body or default_body()
    if body.backend != posed.backend:
        raise ValueError(
            f"the sequence was posed with the {posed.backend!r} body, got a {body.backend!r} body."
        )
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1 frame, got {batch_size}.")
    if posed.vertices is not None:
        for lo in range(0, posed.num_frames, batch_size):
            yield posed.vertices[lo : lo + batch_size]
        return
    n = posed.num_frames
    inputs = {
        "betas": torch.as_tensor(posed.betas).reshape(1, -1).expand(n, -1),
        "body_pose": torch.as_tensor(posed.body_pose),
        "root_orient": torch.as_tensor(posed.root_orient),
        "transl": torch.zeros(n, 3, dtype=torch.float64),
    }
    offset = posed.transl.astype(np.float32)[:, None, :]
    for lo in range(0, n, batch_size):
        out = _forward(body, inputs, lo, lo + batch_size)
        yield out.vertices.numpy() + offset[lo : lo + batch_size]
