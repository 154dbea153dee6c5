"""A posed synthetic sequence as a DynamicSpine: same vertebrae, pelvis and hip angles."""

import numpy as np

from humanmovenet.spine.morphology import lumbar_angle
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.sequence import pose_sequence
from humanmovenet.synth.spine_truth import ground_truth_spine
from humanmovenet.synth.subject import sample_subject


def test_forward_bend_as_dynamic_spine():
    subject = sample_subject(3, phenotype="FP")
    motion = generate_motion(subject, "forward_bend", rng=3, fps=10.0)
    posed = pose_sequence(subject, motion)
    spine = ground_truth_spine(posed)
    t = posed.num_frames
    assert spine.positions.shape == (t, 25, 3) and spine.pelvis_frames.shape == (t, 3, 3)
    assert spine.fps == motion.fps and spine.morphology == subject.morphology
    np.testing.assert_allclose(spine.positions, posed.vertebra_positions)
    # pelvis frames are rotations whose sagittal tilt follows the commanded pelvis motion
    r = spine.pelvis_frames
    np.testing.assert_allclose(r @ r.transpose(0, 2, 1), np.broadcast_to(np.eye(3), r.shape),
                               atol=1e-9)  # fmt: skip
    up = r[:, :, 1]  # the pelvis's cranial axis tilts forward (+z) as the pelvis tilts anteriorly
    tilt = np.arctan2(up[:, 2], up[:, 1])
    expected = motion.pelvis_tilt - motion.pelvis_tilt[0]
    assert np.abs(tilt - tilt[0] - expected).max() < np.radians(1.0)
    # hips and lumbar angle carried over exactly
    np.testing.assert_allclose(
        spine.hip_flexion, 0.5 * (posed.angles.hip_flexion_left + posed.angles.hip_flexion_right)
    )
    import torch

    lumbar = lumbar_angle(torch.as_tensor(spine.frames)).numpy()
    np.testing.assert_allclose(lumbar, posed.angles.lumbar_angle, atol=1e-9)
    assert spine.pose.body_pose.shape == posed.body_pose.shape
