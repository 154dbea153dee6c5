"""Ground truth as the pipeline's own dataclasses: a posed synthetic sequence → ``DynamicSpine``.

Downstream stages (biomech, classify, exports, evaluation) take a
:class:`~humanmovenet.types.DynamicSpine`; this turns a
:class:`~humanmovenet.synth.sequence.PosedSequence` into exactly what a perfect reconstruction
would return, so those stages can be tested and trained on exact ground truth.
"""

from __future__ import annotations

import numpy as np
import torch

from humanmovenet.body._lbs import rotvec_to_rotmat
from humanmovenet.synth.sequence import PosedSequence
from humanmovenet.types import BodyShape, DynamicSpine, PoseSequence

__all__ = ["ground_truth_pose", "ground_truth_spine"]


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
