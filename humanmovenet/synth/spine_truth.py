"""Ground truth as the pipeline's own dataclasses: a posed synthetic sequence → ``DynamicSpine``.

Downstream stages (biomech, classify, exports, evaluation) take a
:class:`~humanmovenet.types.DynamicSpine`; this turns a
:class:`~humanmovenet.synth.sequence.PosedSequence` into exactly what a perfect reconstruction
would return, so those stages can be tested and trained on exact ground truth.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import roma
import torch

from humanmovenet.body._lbs import rotvec_to_rotmat
from humanmovenet.synth.sequence import PosedSequence
from humanmovenet.types import BodyShape, DynamicSpine, PoseSequence

__all__ = [
    "POSED_ANGLE_FIELDS",
    "ground_truth_pose",
    "ground_truth_spine",
    "perturb_motion",
    "skeleton_spine",
]

#: The SagittalMotion angles that :func:`skeleton_spine` poses (and :func:`perturb_motion` jitters).
POSED_ANGLE_FIELDS: tuple[str, ...] = (
    "pelvis_tilt", "pelvis_obliquity", "pelvis_rotation", "hip_flexion_left",
    "hip_flexion_right", "lumbar_flexion", "thoracic_flexion", "lumbar_lateral",
    "thoracic_lateral",
)  # fmt: skip


def ground_truth_pose(posed: PosedSequence) -> PoseSequence:
    """The body parameters of a posed synthetic sequence as a :class:`PoseSequence` (world)."""
    t = posed.num_frames
    shape = BodyShape(np.asarray(posed.betas, dtype=np.float64), posed.backend,
                      posed.subject.sliders)  # fmt: skip
    return PoseSequence(
        body_pose=np.asarray(posed.body_pose, dtype=np.float64),
        root_orient=np.asarray(posed.root_orient, dtype=np.float64),
        transl=np.asarray(posed.transl, dtype=np.float64),
        shape=shape,
        fps=float(posed.motion.fps),
        joint_names=tuple(posed.joint_names),
        confidence=np.ones(t),
        frame="world",
    )


def ground_truth_spine(posed: PosedSequence) -> DynamicSpine:
    """The exact :class:`DynamicSpine` of a posed synthetic sequence.

    ``pelvis_frames`` are the root (pelvis) rotations of the body (identity when standing in
    the body model's neutral; the subject's clinical standing tilt is in
    ``posed.subject.standing_pelvic_tilt_deg``), ``hip_flexion`` the mean of the measured
    left and right hip flexion, ``confidence`` 1 everywhere.

    Shapes:
        positions (T, 25, 3), frames (T, 25, 3, 3), pelvis_frames (T, 3, 3), hip_flexion (T,).
    """
    root = torch.as_tensor(np.asarray(posed.root_orient, dtype=np.float64))
    pelvis = rotvec_to_rotmat(root).numpy()
    angles = posed.angles
    hip = 0.5 * (np.asarray(angles.hip_flexion_left) + np.asarray(angles.hip_flexion_right))
    return DynamicSpine(
        positions=np.asarray(posed.vertebra_positions, dtype=np.float64),
        frames=np.asarray(posed.vertebra_frames, dtype=np.float64),
        fps=float(posed.motion.fps),
        confidence=np.ones(posed.num_frames),
        morphology=posed.subject.morphology,
        pelvis_frames=pelvis,
        hip_flexion=hip.astype(np.float64),
        pose=ground_truth_pose(posed),
    )


def perturb_motion(motion, noise_deg: float, rng: np.random.Generator):
    """A copy of ``motion`` with independent N(0, noise_deg²) per frame on every posed angle.

    A stand-in for reconstruction jitter when testing the metrics (:data:`POSED_ANGLE_FIELDS`).
    """
    if noise_deg <= 0:
        return motion
    sd = math.radians(noise_deg)
    n = motion.num_frames
    return dataclasses.replace(
        motion, **{f: getattr(motion, f) + rng.normal(0.0, sd, n) for f in POSED_ANGLE_FIELDS}
    )


def skeleton_spine(subject, motion, body=None, embedding=None) -> DynamicSpine:
    """A fast exact ``DynamicSpine``: the body's joint chain posed, no mesh skinning.

    Pelvis ``Ry(rotation)·Rz(obliquity)·Rx(tilt − standing tilt)``, hips ``Rx(−flexion)``, spine
    joints from ``spine_joint_rotations``; vertebrae from the posed chain (``pose_spine``).
    Same spine as :func:`ground_truth_spine` for the posed angles, at a fraction of the cost
    (legs, arms and foot placement are not posed).

    Args:
        subject, motion: a :class:`SyntheticSubject` and a motion generated for it.
        body: the shipped body (default ``synth.sequence.default_body()``).
        embedding: the subject's spine embedding (default:
            :func:`humanmovenet.synth.sequence.subject_embedding`; the subject's own standing
            curves are posed on it, as in ``pose_sequence``).
    """
    from humanmovenet.body._lbs import forward_kinematics
    from humanmovenet.spine.body import spine_joint_rotations
    from humanmovenet.spine.chain import rotation_x, rotation_z, sagittal_angle
    from humanmovenet.spine.embed import pose_spine
    from humanmovenet.synth.sequence import default_body, standing_spine_flexion, subject_embedding

    body = body or default_body()
    betas = body.shape_from_sliders(subject.sliders)[0]
    emb = embedding or subject_embedding(body, betas, subject)
    lumbar0, thoracic0 = standing_spine_flexion(emb, subject)
    n = motion.num_frames

    def angle(name: str) -> torch.Tensor:
        return torch.from_numpy(np.asarray(getattr(motion, name), dtype=np.float64))

    rots = spine_joint_rotations(emb, angle("lumbar_flexion") + lumbar0,
                                 angle("thoracic_flexion") + thoracic0,
                                 angle("lumbar_lateral"), angle("thoracic_lateral"))  # fmt: skip
    pose = torch.zeros(n, body.num_body_joints, 3, dtype=torch.float64)
    for j, name in enumerate(body.spine_chain()[1:]):
        pose[:, body.joint_index(name) - 1] = rots[:, j]
    for side in ("left", "right"):
        pose[:, body.joint_index(f"hip_{side}") - 1, 0] = -angle(f"hip_flexion_{side}")
    tilt = angle("pelvis_tilt") - motion.standing_pelvic_tilt
    yaw = angle("pelvis_rotation")
    ry = roma.rotvec_to_rotmat(torch.stack([torch.zeros_like(yaw), yaw, torch.zeros_like(yaw)], -1))
    root = ry @ rotation_z(angle("pelvis_obliquity")) @ rotation_x(tilt)
    local = torch.cat([root.unsqueeze(1), roma.rotvec_to_rotmat(pose)], 1)
    glob, joints = forward_kinematics(local, body.rest_joints(betas[None]).expand(n, -1, -1),
                                      body.levels)  # fmt: skip
    chain = list(body.spine_chain_indices())
    positions, frames = pose_spine(emb, glob[:, chain], joints[:, chain])
    hips = [sagittal_angle(glob[:, 0], glob[:, body.joint_index(f"hip_{s}")])
            for s in ("left", "right")]  # fmt: skip
    return DynamicSpine(positions=positions.numpy(), frames=frames.numpy(), fps=float(motion.fps),
                        confidence=np.ones(n), morphology=subject.morphology,
                        pelvis_frames=glob[:, 0].numpy(),
                        hip_flexion=(-0.5 * (hips[0] + hips[1])).numpy())  # fmt: skip
