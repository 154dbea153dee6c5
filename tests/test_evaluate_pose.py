"""Tests of humanmovenet.evaluate pose / temporal / angle metrics against analytic cases."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from humanmovenet import evaluate as ev

SETTINGS = settings(max_examples=25, deadline=None)


def _random_points(seed: int, shape=(17, 3)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def test_module_is_importable_alone_and_pure():
    code = (
        "import sys, humanmovenet.evaluate;"
        "print(sorted(m for m in sys.modules if m.startswith('humanmovenet.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a printed list of module names
    others = [
        m for m in loaded if not m.startswith(("humanmovenet.evaluate", "humanmovenet.types"))
    ]
    assert others == []


def test_public_api_is_listed():
    for name in ev.__all__:
        assert hasattr(ev, name), name


# ---------------------------------------------------------------- MPJPE / PA-MPJPE / PVE


def test_mpjpe_known_value_and_types():
    target = _random_points(0)
    pred = target + np.array([3.0, 4.0, 0.0])
    out = ev.mpjpe(pred, target)
    assert isinstance(out, np.floating)
    assert out == pytest.approx(5.0)
    out_t = ev.mpjpe(torch.tensor(pred), torch.tensor(target))
    assert isinstance(out_t, torch.Tensor)
    assert float(out_t) == pytest.approx(5.0)


def test_mpjpe_batched_matches_loop():
    pred, target = _random_points(1, (4, 5, 17, 3)), _random_points(2, (4, 5, 17, 3))
    batched = ev.mpjpe(pred, target)
    assert batched.shape == (4, 5)
    loop = np.array([[ev.mpjpe(pred[i, j], target[i, j]) for j in range(5)] for i in range(4)])
    np.testing.assert_allclose(batched, loop)
    np.testing.assert_allclose(ev.pve(pred, target), batched)


def test_mpjpe_shape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(17, 3\).*\(16, 3\)"):
        ev.mpjpe(np.zeros((17, 3)), np.zeros((16, 3)))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., \*, 3\), got \(17, 2\)"):
        ev.mpjpe(np.zeros((17, 2)), np.zeros((17, 2)))


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.2, 5.0),
    shift=st.tuples(*[st.floats(-10, 10)] * 3),
)
def test_pa_mpjpe_removes_similarity_transform(seed, scale, shift):
    target = _random_points(seed)
    rot = Rotation.random(random_state=seed).as_matrix()
    pred = scale * target @ rot.T + np.array(shift)
    assert ev.pa_mpjpe(pred, target) == pytest.approx(0.0, abs=1e-9)
    s, r, t = ev.fit_similarity_transform(pred, target)
    np.testing.assert_allclose(s, 1.0 / scale, rtol=1e-9)
    np.testing.assert_allclose(r, rot.T, atol=1e-9)
    np.testing.assert_allclose(ev.procrustes_align(pred, target), target, atol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 10_000), scale=st.floats(0.2, 5.0))
def test_pa_mpjpe_invariant_to_similarity_of_pred(seed, scale):
    pred, target = _random_points(seed), _random_points(seed + 1)
    rot = Rotation.random(random_state=seed).as_matrix()
    moved = scale * pred @ rot.T + np.array([1.0, -2.0, 0.5])
    assert ev.pa_mpjpe(moved, target) == pytest.approx(ev.pa_mpjpe(pred, target), rel=1e-7)
    assert ev.pa_mpjpe(pred, target) >= 0.0


def test_pa_mpjpe_never_reflects():
    target = _random_points(3)
    mirrored = target * np.array([-1.0, 1.0, 1.0])  # a reflection, not a rotation
    assert ev.pa_mpjpe(mirrored, target) > 0.1
    _, r, _ = ev.fit_similarity_transform(mirrored, target)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_pve_procrustes_option():
    target = _random_points(4, (100, 3))
    pred = 2.0 * target + 1.0
    assert ev.pve(pred, target) > 1.0
    assert ev.pve(pred, target, procrustes=True) == pytest.approx(0.0, abs=1e-9)


def test_gradcheck_mpjpe_and_pa_mpjpe():
    g = torch.Generator().manual_seed(0)
    pred = torch.randn(2, 6, 3, dtype=torch.float64, generator=g, requires_grad=True)
    target = torch.randn(2, 6, 3, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(lambda p: ev.mpjpe(p, target), (pred,))
    assert torch.autograd.gradcheck(lambda p: ev.pa_mpjpe(p, target), (pred,))


# ---------------------------------------------------------------- acceleration / jitter


def _trajectory(coeffs: list[np.ndarray], frames: int = 30, joints: int = 4) -> np.ndarray:
    """x(t) = Σ_k c_k t^k for every joint (polynomial in the frame index)."""
    t = np.arange(frames, dtype=np.float64)[:, None, None]
    base = _random_points(9, (joints, 3))
    return base + sum(c * t**k for k, c in enumerate(coeffs, start=1))


def test_acceleration_error_constant_velocity_is_zero():
    target = _trajectory([np.array([0.01, 0.0, 0.02])])
    pred = target + _trajectory([np.array([0.03, -0.01, 0.0])])  # different constant velocity
    assert ev.acceleration_error(pred, target) == pytest.approx(0.0, abs=1e-12)


def test_acceleration_error_known_value_and_units():
    acc = np.array([0.0, 0.003, 0.004])  # |a| = 0.005 per frame²
    target = _trajectory([np.array([0.01, 0.0, 0.0])])
    t = np.arange(target.shape[0], dtype=np.float64)[:, None, None]
    pred = target + 0.5 * acc * t**2
    assert ev.acceleration_error(pred, target) == pytest.approx(0.005)
    assert ev.acceleration_error(pred, target, fps=30.0) == pytest.approx(0.005 * 900)
    batched = ev.acceleration_error(np.stack([pred, target]), np.stack([target, target]))
    np.testing.assert_allclose(batched, [0.005, 0.0], atol=1e-12)


def test_jitter_known_values():
    assert ev.jitter(_trajectory([np.ones(3), np.ones(3)])) == pytest.approx(0.0, abs=1e-9)
    cubic = _trajectory([np.zeros(3), np.zeros(3), np.array([0.0, 0.0, 1e-4])])
    # third difference of t³ is 6 per frame³
    assert ev.jitter(cubic) == pytest.approx(6e-4)
    assert ev.jitter(cubic, fps=10.0) == pytest.approx(6e-4 * 1000)


def test_temporal_errors_reject_short_sequences_and_bad_fps():
    with pytest.raises(ValueError, match="at least 3 frames"):
        ev.acceleration_error(np.zeros((2, 4, 3)), np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="fps"):
        ev.acceleration_error(np.zeros((5, 4, 3)), np.zeros((5, 4, 3)), fps=0.0)


# ---------------------------------------------------------------- angles


def test_angle_mae_wraps_around():
    assert ev.angle_mae_deg([359.0], [1.0], unit="deg") == pytest.approx(2.0)
    assert ev.angle_mae_deg(
        np.array([math.pi - 0.01]), np.array([-math.pi + 0.01])
    ) == pytest.approx(math.degrees(0.02))
    err = ev.angle_error_deg(np.zeros((2, 3)), np.full((2, 3), 0.5))
    np.testing.assert_allclose(err, math.degrees(0.5))
    np.testing.assert_allclose(
        ev.angle_mae_deg(np.zeros((2, 3)), np.array([[0.1] * 3, [0.2] * 3]), axis=1),
        np.degrees([0.1, 0.2]),
    )


@SETTINGS
@given(a=st.floats(-100, 100), b=st.floats(-100, 100), k=st.integers(-3, 3))
def test_angle_error_is_periodic_symmetric_and_bounded(a, b, k):
    e = float(ev.angle_error_deg(np.array(a), np.array(b)))
    assert 0.0 <= e <= 180.0 + 1e-9
    assert float(ev.angle_error_deg(np.array(b), np.array(a))) == pytest.approx(e, abs=1e-6)
    shifted = float(ev.angle_error_deg(np.array(a + 2 * math.pi * k), np.array(b)))
    assert shifted == pytest.approx(e, abs=1e-6)
    wrapped = float(ev.wrap_angle(np.array(a)))
    assert -math.pi <= wrapped < math.pi


def test_to_mm():
    assert ev.to_mm(0.0021126) == pytest.approx(2.1126)
    assert ev.to_mm(1.0, unit="cm") == pytest.approx(10.0)
    with pytest.raises(ValueError, match="unit"):
        ev.to_mm(1.0, unit="inch")
