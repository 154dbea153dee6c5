"""Tests of humanmovenet.synth.camera: projection conventions and the side-view sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from humanmovenet.synth.camera import (
    Camera,
    look_at,
    project_points_torch,
    rotation_look_at,
    sample_side_camera,
    side_view_angles,
)


def _box_body(rng: np.random.Generator, n: int = 2000) -> np.ndarray:
    """Points filling a standing-person-sized box (feet at y=0, 1.75 m tall)."""
    return rng.uniform([-0.25, 0.0, -0.15], [0.25, 1.75, 0.15], size=(n, 3))


def _bend_sequence(rng: np.random.Generator) -> np.ndarray:
    """(T, V, 3) points of a 'body' whose upper half pitches forward by 0…90°."""
    body = _box_body(rng, 1500)
    hip_height = 0.9
    frames = []
    for angle in np.linspace(0.0, math.pi / 2, 8):
        pts = body.copy()
        upper = pts[:, 1] > hip_height
        y = pts[upper, 1] - hip_height
        z = pts[upper, 2]
        pts[upper, 1] = hip_height + y * math.cos(angle) - z * math.sin(angle)
        pts[upper, 2] = y * math.sin(angle) + z * math.cos(angle)
        frames.append(pts)
    return np.stack(frames)


def test_project_known_values():
    cam = Camera(fx=500, fy=400, cx=320, cy=240, width=640, height=480, R=np.eye(3), t=[0, 0, 2])
    uv = cam.project(np.array([[0.0, 0.0, 0.0], [1.0, -0.5, 2.0]]))
    np.testing.assert_allclose(uv[0], [320, 240])
    np.testing.assert_allclose(uv[1], [320 + 500 * 1.0 / 4.0, 240 + 400 * -0.5 / 4.0])
    np.testing.assert_allclose(cam.depth(np.array([1.0, 2.0, 3.0])), 5.0)
    np.testing.assert_allclose(cam.position, [0, 0, -2])


def test_look_at_convention_side_view():
    # Camera on the person's left (+x), looking at the origin: world up must appear up in the
    # image and the person's forward (+z) must point to the image's left.
    cam = look_at([3.0, 1.0, 0.0], [0.0, 1.0, 0.0], fx=500, width=512, height=512)
    centre = cam.project(np.array([0.0, 1.0, 0.0]))
    above = cam.project(np.array([0.0, 1.5, 0.0]))
    ahead = cam.project(np.array([0.0, 1.0, 0.5]))
    np.testing.assert_allclose(centre, [255.5, 255.5], atol=1e-9)
    assert above[1] < centre[1] and abs(above[0] - centre[0]) < 1e-9
    assert ahead[0] < centre[0] and abs(ahead[1] - centre[1]) < 1e-9
    assert np.linalg.det(cam.R) == pytest.approx(1.0)


def test_roll_rotates_image_content():
    rot0 = rotation_look_at(np.array([-1.0, 0.0, 0.0]))
    rot = rotation_look_at(np.array([-1.0, 0.0, 0.0]), roll=0.3)
    np.testing.assert_allclose(rot[2], rot0[2], atol=1e-12)  # optical axis unchanged
    cam = Camera(fx=100, fy=100, cx=0, cy=0, width=10, height=10, R=rot, t=[0, 0, 0])
    angles = side_view_angles(cam)
    assert angles.roll == pytest.approx(0.3)
    assert angles.yaw == pytest.approx(0.0, abs=1e-12)
    assert angles.side == "left"


def test_numpy_and_torch_projection_agree_batched():
    rng = np.random.default_rng(0)
    cams = [sample_side_camera(np.random.default_rng(s), _box_body(rng)) for s in range(3)]
    pts = rng.normal([0, 0.9, 0], 0.3, size=(3, 50, 3))
    K = torch.stack([c.as_tensors()[0] for c in cams])
    R = torch.stack([c.as_tensors()[1] for c in cams])
    t = torch.stack([c.as_tensors()[2] for c in cams])
    uv_t = project_points_torch(torch.as_tensor(pts), K, R, t)
    assert uv_t.shape == (3, 50, 2)
    for i, cam in enumerate(cams):
        np.testing.assert_allclose(uv_t[i].numpy(), cam.project(pts[i]), rtol=1e-12, atol=1e-9)


def test_torch_projection_gradcheck():
    cam = look_at([3.0, 1.0, 0.5], [0.0, 0.9, 0.0], fx=600, width=512, height=512)
    K, R, t = cam.as_tensors(torch.float64)
    pts = torch.tensor([[0.1, 0.9, 0.2], [-0.2, 1.5, 0.0]], dtype=torch.float64, requires_grad=True)
    tt = t.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p, tr: project_points_torch(p, K, R, tr), (pts, tt))


def test_camera_validation_errors():
    with pytest.raises(ValueError, match="R"):
        Camera(fx=1, fy=1, cx=0, cy=0, width=4, height=4, R=np.eye(2), t=[0, 0, 0])
    with pytest.raises(ValueError, match="rotation"):
        Camera(fx=1, fy=1, cx=0, cy=0, width=4, height=4, R=2 * np.eye(3), t=[0, 0, 0])
    with pytest.raises(ValueError, match="focal"):
        Camera(fx=0, fy=1, cx=0, cy=0, width=4, height=4, R=np.eye(3), t=[0, 0, 0])
    cam = Camera(fx=1, fy=1, cx=0, cy=0, width=4, height=4, R=np.eye(3), t=[0, 0, 1])
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        cam.project(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="body_points"):
        sample_side_camera(np.random.default_rng(0), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="yaw_range_deg"):
        sample_side_camera(np.random.default_rng(0), _box_body(np.random.default_rng(0)),
                           yaw_range_deg=(10.0, -10.0))  # fmt: skip


def test_camera_is_frozen_and_roundtrips():
    cam = sample_side_camera(np.random.default_rng(3), _box_body(np.random.default_rng(0)))
    with pytest.raises(ValueError):
        cam.R[0, 0] = 2.0  # read-only array
    again = Camera.from_dict(cam.as_dict())
    np.testing.assert_array_equal(again.R, cam.R)
    assert again.fx == cam.fx and again.image_size == cam.image_size
    assert again == cam and hash(again) == hash(cam)
    assert cam != cam.with_intrinsics(fx=cam.fx + 1.0)


def test_scaled_camera_keeps_pixel_centres():
    cam = look_at([3.0, 1.0, 0.5], [0.0, 0.9, 0.0], fx=600, width=640, height=480)
    pts = np.random.default_rng(1).normal([0, 0.9, 0], 0.3, size=(20, 3))
    half = cam.scaled(0.5)
    assert half.image_size == (320, 240)
    np.testing.assert_allclose(half.project(pts), (cam.project(pts) + 0.5) * 0.5 - 0.5)


def test_sample_side_camera_is_deterministic():
    body = _box_body(np.random.default_rng(0))
    a = sample_side_camera(np.random.default_rng(42), body)
    b = sample_side_camera(np.random.default_rng(42), body)
    c = sample_side_camera(np.random.default_rng(43), body)
    assert a.as_dict() == b.as_dict()
    assert a.as_dict() != c.as_dict()


@pytest.mark.parametrize("sequence", [False, True])
def test_sampler_keeps_body_in_frame_and_respects_ranges(sequence):
    rng = np.random.default_rng(7)
    body = _bend_sequence(rng) if sequence else _box_body(rng)
    pts = body.reshape(-1, 3)
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    sides = set()
    for seed in range(150):
        cam = sample_side_camera(np.random.default_rng(seed), body)
        assert np.all(cam.in_frame(pts)), f"seed {seed}: body leaves the frame"
        uv = cam.project(pts)
        fill = (uv[:, 1].max() - uv[:, 1].min()) / cam.height
        width_fill = (uv[:, 0].max() - uv[:, 0].min()) / cam.width
        assert fill <= 0.85 + 1e-6
        # Fill at least 55 % of the height unless the width is the limiting side.
        assert fill >= 0.55 - 1e-3 or width_fill >= 0.93
        ang = side_view_angles(cam)
        sides.add(ang.side)
        assert abs(math.degrees(ang.yaw)) <= 30.0 + 1e-9
        assert -8.0 - 1e-9 <= math.degrees(ang.pitch) <= 12.0 + 1e-9
        assert abs(math.degrees(ang.roll)) <= 3.0 + 1e-9
        assert 2.0 <= cam.depth(centre) <= 5.0
        # The camera is on the side it claims: left = +x of the person.
        assert (cam.position[0] > centre[0]) == (ang.side == "left")
    assert sides == {"left", "right"}


def test_sampler_fixed_side_and_size():
    body = _box_body(np.random.default_rng(0))
    for seed in range(10):
        cam = sample_side_camera(
            np.random.default_rng(seed), body, side="right", image_size=(720, 1280)
        )
        assert side_view_angles(cam).side == "right"
        assert cam.image_size == (720, 1280)


def test_backproject_inverts_project():
    cam = sample_side_camera(np.random.default_rng(4), _box_body(np.random.default_rng(0)))
    pts = np.random.default_rng(2).normal([0, 0.9, 0], 0.3, size=(4, 5, 3))
    back = cam.backproject(cam.project(pts), cam.depth(pts))
    np.testing.assert_allclose(back, pts, atol=1e-10)
    with pytest.raises(ValueError, match="backproject"):
        cam.backproject(np.zeros((3, 2)), np.zeros(4))
