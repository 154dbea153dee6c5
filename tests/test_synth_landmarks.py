"""Ground-truth MediaPipe landmarks on the shipped anny body (humanmovenet.synth.landmarks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from humanmovenet.body import create
from humanmovenet.synth.landmarks import (
    JOINT_LANDMARK_BONES,
    anny_landmark_sources,
    landmark_sources_for,
    mediapipe_landmarks,
    mediapipe_landmarks_from_arrays,
)
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

NAMES = MEDIAPIPE_LANDMARK_NAMES


@pytest.fixture(scope="module")
def body():
    return create("anny")


@pytest.fixture(scope="module")
def rest(body):
    with torch.no_grad():
        return mediapipe_landmarks(body, body(**body.zero_inputs(1, torch.float64)))[0].numpy()


def _p(rest: np.ndarray, name: str) -> np.ndarray:
    return rest[NAMES.index(name)]


def test_sources_order_and_kinds(body):
    sources = landmark_sources_for(body)
    assert tuple(s.name for s in sources) == NAMES
    for s in sources:
        if s.name in JOINT_LANDMARK_BONES:
            assert s.kind == "joint" and body.joint_names[s.index] == JOINT_LANDMARK_BONES[s.name]
        else:
            assert s.kind == "vertex" and 0 <= s.index < body.v_template.shape[0]


def test_rest_pose_anatomy(rest):
    # left/right mirror images of each other (the template is symmetric)
    for name in NAMES:
        if name.startswith("left_") or name.endswith("_left"):
            other = name.replace("left", "right")
            np.testing.assert_allclose(_p(rest, name) * [-1, 1, 1], _p(rest, other), atol=2e-3)
            assert _p(rest, name)[0] > 0  # +x is the person's left
    nose, ear, eye = _p(rest, "nose"), _p(rest, "left_ear"), _p(rest, "left_eye")
    assert abs(nose[0]) < 0.005 and nose[2] > eye[2] > ear[2]  # nose ahead of eyes ahead of ears
    assert _p(rest, "left_eye_inner")[0] < eye[0] < _p(rest, "left_eye_outer")[0]
    assert nose[1] - 0.06 < _p(rest, "mouth_left")[1] < nose[1]  # mouth just below the nose
    ankle = _p(rest, "left_ankle")
    assert _p(rest, "left_heel")[2] < ankle[2] - 0.03  # heel behind the ankle
    assert _p(rest, "left_foot_index")[2] > ankle[2] + 0.12  # toe tip well ahead
    assert _p(rest, "left_heel")[1] < ankle[1] and _p(rest, "left_foot_index")[1] < ankle[1]
    heights = [_p(rest, n)[1] for n in ("nose", "left_shoulder", "left_hip", "left_knee")]
    assert heights == sorted(heights, reverse=True)


def test_landmarks_follow_pose_and_shape(body):
    inputs = body.zero_inputs(2, torch.float64)
    inputs["root_orient"][1] = torch.tensor([0.0, np.pi / 2, 0.0])  # turn 90 deg about +y
    inputs["transl"][1] = torch.tensor([0.3, 0.0, -1.0])
    inputs["betas"][1, :5] = torch.tensor([1.0, -0.5, 0.3, 0.8, -1.0])
    inputs["betas"][0, :5] = inputs["betas"][1, :5]
    with torch.no_grad():
        out = body(**inputs)
        lm = mediapipe_landmarks(body, out).numpy()
    root = out.joints[:, 0].numpy()
    rot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # R_y(90 deg)
    expected = (lm[0] - root[0]) @ rot.T + root[1]
    np.testing.assert_allclose(lm[1], expected, atol=1e-6)
    sources = landmark_sources_for(body)
    np.testing.assert_allclose(
        mediapipe_landmarks_from_arrays(out.vertices.numpy(), out.joints.numpy(), sources), lm
    )


def test_gradients_flow(body):
    inputs = body.zero_inputs(1, torch.float64)
    inputs["body_pose"].requires_grad_(True)
    mediapipe_landmarks(body, body(**inputs))[..., 1].sum().backward()
    assert (
        torch.isfinite(inputs["body_pose"].grad).all() and inputs["body_pose"].grad.abs().sum() > 0
    )


def test_bad_inputs(body):
    out = body(**body.zero_inputs(1))
    with pytest.raises(ValueError, match="anny"):
        mediapipe_landmarks(torch.nn.Linear(1, 1), out)
    bad = type(out)(out.vertices[:, :100], out.joints, out.joint_rotations, out.joint_names)
    with pytest.raises(ValueError, match="vertices"):
        mediapipe_landmarks(body, bad)
    with pytest.raises(ValueError, match="skinning_weights"):
        anny_landmark_sources(np.zeros((10, 3)), np.zeros((10, 3)), ("root", "x"))
    with pytest.raises(ValueError, match="anny bones"):
        anny_landmark_sources(np.zeros((10, 3)), np.zeros((10, 2)), ("root", "x"))
    with pytest.raises(ValueError, match="33"):
        mediapipe_landmarks_from_arrays(np.zeros((5, 3)), np.zeros((4, 3)), ())
