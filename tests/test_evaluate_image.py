"""Tests of humanmovenet.evaluate image metrics: PSNR (plain, masked, per frame) and 2D IoU."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from humanmovenet import evaluate as ev

SETTINGS = settings(max_examples=25, deadline=None)


def _image(seed: int, shape=(16, 20), dtype=np.uint8) -> np.ndarray:
    return np.random.default_rng(seed).integers(20, 200, size=shape).astype(dtype)


def test_psnr_of_known_mse_uint8():
    target = _image(0)
    pred = target + np.uint8(5)  # MSE = 25
    expected = 10 * math.log10(255.0**2 / 25.0)
    assert ev.psnr(pred, target) == pytest.approx(expected)
    assert isinstance(ev.psnr(pred, target), np.floating)
    assert ev.psnr(target, target) == math.inf


def test_psnr_float_requires_data_range():
    target = np.full((8, 8), 0.5)
    pred = target + 0.1  # MSE = 0.01 → 20 dB at data_range 1
    with pytest.raises(ValueError, match="data_range=1.0"):
        ev.psnr(pred, target)
    assert ev.psnr(pred, target, data_range=1.0) == pytest.approx(20.0)
    assert ev.psnr(pred, target, data_range=2.0) == pytest.approx(20.0 + 20 * math.log10(2))


def test_psnr_masked_counts_only_the_person():
    target = _image(1).astype(np.float64)
    pred = target.copy()
    mask_pred = np.zeros(target.shape, bool)
    mask_true = np.zeros(target.shape, bool)
    mask_pred[2:6, 2:6] = True
    mask_true[4:8, 4:8] = True
    pred[~(mask_pred | mask_true)] += 50.0  # error only in the background
    pred[4:6, 4:6] += 3.0  # error of 3 inside the intersection (4 pixels)
    union = ev.person_mask(mask_pred, mask_true, mode="union")
    inter = ev.person_mask(mask_pred, mask_true, mode="intersection")
    assert union.sum() == 28 and inter.sum() == 4
    expected_union = 10 * math.log10(255.0**2 / (4 * 9.0 / 28))
    assert ev.psnr(pred, target, data_range=255.0, mask=union) == pytest.approx(expected_union)
    expected_inter = 10 * math.log10(255.0**2 / 9.0)
    assert ev.psnr(pred, target, data_range=255.0, mask=inter) == pytest.approx(expected_inter)
    with pytest.raises(ValueError, match="mode"):
        ev.person_mask(mask_pred, mask_true, mode="either")


def test_psnr_colour_and_batch():
    target = _image(2, (3, 10, 12, 3))
    pred = target.copy()
    pred[1, ..., 0] += 6  # MSE of frame 1 = 36 / 3 channels = 12
    out = ev.psnr(pred, target, has_channels=True)
    assert out.shape == (3,)
    assert out[1] == pytest.approx(10 * math.log10(255.0**2 / 12.0))
    assert np.isinf(out[0]) and np.isinf(out[2])
    with pytest.raises(ValueError, match=r"mask: expected shape \(3, 10, 12\)"):
        ev.psnr(pred, target, has_channels=True, mask=np.ones((3, 10, 12, 3), bool))


def test_psnr_frames_per_frame_mean_and_pooled():
    target = np.zeros((2, 4, 4))
    pred = target.copy()
    pred[0] += 1.0  # MSE 1
    pred[1] += 2.0  # MSE 4
    scores = ev.psnr_frames(pred, target, data_range=10.0)
    np.testing.assert_allclose(scores.per_frame, [20.0, 10 * math.log10(100 / 4)])
    assert scores.mean == pytest.approx(scores.per_frame.mean())
    assert scores.pooled == pytest.approx(10 * math.log10(100 / 2.5))
    with pytest.raises(ValueError, match="For one image use psnr"):
        ev.psnr_frames(np.zeros((4, 4)), np.zeros((4, 4)), data_range=1.0)


def test_psnr_shape_mismatch_and_torch_mirror():
    with pytest.raises(ValueError, match=r"\(4, 4\) and \(4, 5\)"):
        ev.psnr(np.zeros((4, 4)), np.zeros((4, 5)), data_range=1.0)
    a = torch.zeros(2, 4, 4)
    out = ev.psnr(a + 0.1, a, data_range=1.0)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), 20.0, rtol=1e-5)


# ---------------------------------------------------------------- silhouette IoU


def test_silhouette_iou_known_values():
    a = np.zeros((4, 10, 10), bool)
    b = np.zeros((4, 10, 10), bool)
    a[0, :5] = b[0, :5] = True  # identical → 1
    a[1, :5], b[1, 5:] = True, True  # disjoint → 0
    a[2, :4], b[2, 2:6] = True, True  # half of each overlaps → (A/2)/(3A/2) = 1/3
    # frame 3 both empty → empty_value
    iou = ev.silhouette_iou(a, b)
    np.testing.assert_allclose(iou, [1.0, 0.0, 1.0 / 3.0, 1.0])
    assert np.isnan(ev.silhouette_iou(a, b, empty_value=np.nan)[3])
    # probabilities are thresholded at 0.5
    np.testing.assert_allclose(ev.silhouette_iou(a * 0.9, b * 0.9), iou)


@SETTINGS
@given(seed=st.integers(0, 10_000), p=st.floats(0.05, 0.95))
def test_silhouette_iou_symmetric_and_bounded(seed, p):
    rng = np.random.default_rng(seed)
    a, b = rng.random((3, 12, 9)) < p, rng.random((3, 12, 9)) < p
    iou = ev.silhouette_iou(a, b)
    np.testing.assert_array_equal(iou, ev.silhouette_iou(b, a))
    assert np.all((iou >= 0) & (iou <= 1))
    np.testing.assert_array_equal(ev.silhouette_iou(a, a), 1.0)


def test_silhouette_iou_shape_error():
    with pytest.raises(ValueError, match=r"\(3, 8, 8\) and \(3, 8, 9\)"):
        ev.silhouette_iou(np.zeros((3, 8, 8), bool), np.zeros((3, 8, 9), bool))


def test_psnr_chunked_equals_single_pass(monkeypatch):
    from humanmovenet.evaluate import image as image_module

    target = _image(5, (7, 6, 5, 3))
    pred = _image(6, (7, 6, 5, 3))
    mask = np.random.default_rng(7).random((7, 6, 5)) < 0.5
    whole = ev.psnr(pred, target, has_channels=True, mask=mask)
    monkeypatch.setattr(image_module, "_CHUNK_ELEMENTS", 100)  # forces 1 image per chunk
    np.testing.assert_allclose(ev.psnr(pred, target, has_channels=True, mask=mask), whole)
    # float path agrees with the exact integer path
    as_float = ev.psnr(
        pred.astype(float), target.astype(float), data_range=255.0, mask=mask, has_channels=True
    )
    np.testing.assert_allclose(as_float, whole, rtol=1e-12)
