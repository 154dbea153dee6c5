"""The fitted MediaPipe landmark noise model (humanmovenet.synth.landmark_noise)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from humanmovenet.synth.landmark_noise import (
    SWAP_GROUPS,
    LandmarkNoiseModel,
    SequenceMeasurement,
    canonical_permutation,
    errors_in_body_frame,
    fit_noise_model,
    markov_fit,
    swap_flags,
)
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

NAMES = MEDIAPIPE_LANDMARK_NAMES
H = 400.0  # body height in px


@pytest.fixture(scope="module")
def shipped() -> LandmarkNoiseModel:
    return LandmarkNoiseModel.load()


def _quiet(model: LandmarkNoiseModel, **changes) -> LandmarkNoiseModel:
    """The model without gross errors, swaps and dropout (unless given in ``changes``)."""
    base = {
        "outlier_p_enter": np.zeros(33),
        "outlier_p_stay": np.zeros(33),
        "dropout_p_enter": 0.0,
        "dropout_p_stay": 0.0,
        "swap_p_enter": dict.fromkeys(SWAP_GROUPS, 0.0),
        "swap_p_stay": dict.fromkeys(SWAP_GROUPS, 0.0),
    }
    base.update(changes)
    return dataclasses.replace(model, **base)


def clean_pose(t: int) -> np.ndarray:
    """(T, 33, 2) upright side view facing +x, near = left; far limbs offset so swaps are visible."""
    rng = np.random.default_rng(123)
    base = np.zeros((33, 2))
    heights = {"nose": 0.93, "eye": 0.94, "ear": 0.93, "mouth": 0.9, "shoulder": 0.81,
               "elbow": 0.63, "wrist": 0.48, "pinky": 0.44, "index": 0.43, "thumb": 0.45,
               "hip": 0.52, "knee": 0.28, "ankle": 0.04, "heel": 0.01, "foot_index": 0.0}  # fmt: skip
    for k, name in enumerate(NAMES):
        part = name.replace("left_", "").replace("right_", "").replace("_inner", "")
        part = (
            part.replace("_outer", "")
            .replace("mouth_left", "mouth")
            .replace("mouth_right", "mouth")
        )
        part = "mouth" if name.startswith("mouth") else part
        x = (
            0.08
            if part in ("nose", "mouth", "eye", "foot_index")
            else -0.02
            if part == "ear"
            else 0.0
        )
        x -= 0.07 if part == "heel" else 0.0
        far = name.startswith("right") or name == "mouth_right"
        if far and part in ("knee", "ankle", "heel", "foot_index", "elbow", "wrist"):
            x += 0.12 if part in ("knee", "ankle", "heel", "foot_index") else -0.1
        base[k] = [200 + H * x, 450 - H * heights[part]]
    drift = np.cumsum(rng.normal(0, 0.5, (t, 1, 2)), axis=0)  # slow global motion
    return base[None] + drift


def test_shipped_model_loads_with_provenance(shipped):
    assert shipped.bias.shape == (33, 2) and shipped.frame_basis.shape == (66, 66)
    assert shipped.visibility_quantiles.shape[0] == 33
    assert "command" in shipped.provenance and "bench_domain_gap" in shipped.provenance["command"]
    assert shipped.fit_counts["frames"] > 0
    assert shipped.frame_ar.shape == (66, 2)
    assert np.all(np.diff(shipped.visibility_quantiles, axis=1) >= 0)


def test_apply_shapes_and_determinism(shipped):
    clean = clean_pose(40)
    a = shipped.apply(clean, H, np.random.default_rng(7), near_side="left")
    b = shipped.apply(clean, np.full(40, H), np.random.default_rng(7), near_side="left")
    c = shipped.apply(clean, H, np.random.default_rng(8), near_side="left")
    assert a.shape == (40, 33, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(np.nan_to_num(a), np.nan_to_num(c))
    ok = np.isfinite(a[..., 0])
    assert np.all((a[..., 2] >= 0) & (a[..., 2] <= 1))
    assert np.all(a[~ok, 2] == 0)
    # errors are a few % of body height, not pixels of another scale
    err = np.linalg.norm(a[..., :2] - clean, axis=-1)[ok]
    assert 0.001 * H < np.median(err) < 0.1 * H


def test_near_side_relabels_left_and_right(shipped):
    quiet = _quiet(shipped)
    clean = clean_pose(5)
    left = quiet.apply(clean, H, np.random.default_rng(1), "left", 1.0)
    right = quiet.apply(clean, H, np.random.default_rng(1), "right", 1.0)
    perm = canonical_permutation("right")
    np.testing.assert_allclose((left[..., :2] - clean)[:, perm], right[..., :2] - clean)
    np.testing.assert_array_equal(left[:, perm, 2], right[..., 2])


def _errors(model, clean, n_seq, t, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_seq):
        noisy = model.apply(clean, H, rng, "left", 1.0)
        out.append(errors_in_body_frame(noisy[..., :2], clean, np.full(t, H), 1.0))
    return np.stack(out)  # (S, T, 33, 2)


def test_gaussian_part_reproduces_fitted_moments(shipped):
    quiet = _quiet(shipped)
    t, n = 20, 300  # many short sequences: the per-sequence offset needs many draws
    clean = np.repeat(clean_pose(1), t, axis=0)
    u = _errors(quiet, clean, n, t, seed=3).reshape(n, t, 66) - shipped.bias.reshape(-1)
    seq, cov, lag1 = shipped.sequence_cov, shipped.frame_cov, shipped.frame_lag1_cov
    total = seq + cov
    sd = np.sqrt(np.diag(total))
    np.testing.assert_allclose(u.mean((0, 1)), 0.0, atol=0.25 * sd.max())
    var = np.mean(u**2, axis=(0, 1))
    np.testing.assert_allclose(var.sum(), np.trace(total), rtol=0.1)
    np.testing.assert_allclose(var, np.diag(total), rtol=0.35)
    # within-sequence part: variance about each sequence's own mean, lag-1 and lag-2
    w = u - u.mean(1, keepdims=True)
    lam = np.sum(shipped.frame_basis**2, axis=0)
    rho = np.ones((t, 66))  # AR(2) autocorrelations of each component up to lag t - 1
    a1, a2 = shipped.frame_ar[:, 0], shipped.frame_ar[:, 1]
    rho[1] = a1 / (1 - a2)
    for k in range(2, t):
        rho[k] = a1 * rho[k - 1] + a2 * rho[k - 2]
    lags = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
    var_of_mean = rho[lags].mean((0, 1))  # (66,)
    expected_within = np.sum(lam * (1 - var_of_mean))
    np.testing.assert_allclose(np.mean(w**2, axis=(0, 1)).sum(), expected_within, rtol=0.1)
    lag = np.mean(u[:, 1:] * u[:, :-1], axis=(0, 1))
    np.testing.assert_allclose(lag.sum(), np.trace(seq + lag1), rtol=0.1)
    lag2 = np.mean(u[:, 2:] * u[:, :-2], axis=(0, 1))
    np.testing.assert_allclose(lag2.sum(), np.trace(seq + shipped.frame_lag2_cov), rtol=0.1)
    # correlations across landmarks are reproduced: the two hips, front component
    i, j = 2 * NAMES.index("left_hip"), 2 * NAMES.index("right_hip")
    corr_model = total[i, j] / (sd[i] * sd[j])
    corr_sim = np.mean(u[..., i] * u[..., j]) / np.sqrt(var[i] * var[j])
    assert abs(corr_sim - corr_model) < 0.1


def test_dropout_swap_outlier_rates_and_visibility(shipped):
    model = _quiet(
        shipped,
        dropout_p_enter=0.02, dropout_p_stay=0.7,
        swap_p_enter={"legs": 0.01, "arms": 0.005}, swap_p_stay={"legs": 0.8, "arms": 0.5},
    )  # fmt: skip
    clean = clean_pose(400)
    rng = np.random.default_rng(11)
    drops, swaps, vis = [], [], []
    for _ in range(15):
        noisy = model.apply(clean, H, rng, "left", 1.0)
        drops.append(~np.isfinite(noisy[:, 0, 0]))
        swaps.append(swap_flags(noisy[..., :2], clean, np.full(len(clean), H))["legs"])
        vis.append(noisy[np.isfinite(noisy[:, 0, 0]), :, 2])
    chain = markov_fit(drops)
    assert abs(chain["p_enter"] - 0.02) < 0.008 and abs(chain["p_stay"] - 0.7) < 0.1
    assert abs(chain["fraction"] - model.dropout_fraction) < 0.02
    legs = markov_fit(swaps)
    assert abs(legs["fraction"] - 0.01 / (0.01 + 0.2)) < 0.02
    vis = np.concatenate(vis)
    med_model = shipped.visibility_quantiles[:, shipped.visibility_quantiles.shape[1] // 2]
    below = np.mean(vis < med_model, axis=0)  # 0.5 if the sampled distribution is right
    assert np.all(np.abs(below - 0.5) < 0.2) and abs(np.median(below) - 0.5) < 0.08


def test_fit_recovers_generating_parameters(shipped):
    truth = _quiet(shipped, dropout_p_enter=0.03, dropout_p_stay=0.5,
                   swap_p_enter={"legs": 0.02, "arms": 0.0}, swap_p_stay={"legs": 0.6, "arms": 0.0})  # fmt: skip
    rng = np.random.default_rng(5)
    clean = clean_pose(150)
    meas = []
    for _ in range(20):
        det = truth.apply(clean, H, rng, "left", 1.0)
        detected = np.isfinite(det[:, 0, 0])
        meas.append(SequenceMeasurement(clean, det, detected, np.full(150, H), "left", 1.0))
    fit = fit_noise_model(meas, provenance={"test": True})
    sd = np.sqrt(np.diag(truth.frame_cov + truth.sequence_cov)).reshape(33, 2)
    assert np.all(np.abs(fit.bias - truth.bias) < sd + 1e-6)  # 20 sequence offsets averaged
    ratio = np.diag(fit.frame_cov) / np.diag(truth.frame_cov)
    assert 0.6 < np.median(ratio) < 1.2  # the 4-sigma cut and the sequence means trim a little
    ratio_seq = np.trace(fit.sequence_cov) / np.trace(truth.sequence_cov)
    assert 0.6 < ratio_seq < 1.6
    assert abs(fit.dropout_p_enter - 0.03) < 0.01 and abs(fit.dropout_p_stay - 0.5) < 0.1
    assert abs(fit.swap_p_enter["legs"] - 0.02) < 0.01 and fit.swap_p_enter["arms"] == 0.0
    assert np.median(fit.outlier_fraction) < 0.01
    assert fit.provenance == {"test": True}


def test_save_load_round_trip(shipped, tmp_path):
    path = shipped.save(tmp_path / "m.json")
    again = LandmarkNoiseModel.load(path)
    np.testing.assert_allclose(again.frame_basis, shipped.frame_basis, rtol=1e-6, atol=1e-12)
    assert again.swap_p_enter == shipped.swap_p_enter


def test_markov_fit_counts():
    fit = markov_fit([np.array([0, 0, 1, 1, 0, np.nan, 1, 1])])
    assert fit["p_enter"] == pytest.approx(1 / 2) and fit["p_stay"] == pytest.approx(2 / 3)


def test_bad_inputs(shipped, tmp_path, monkeypatch):
    clean = clean_pose(5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"\(T, 33, 2\)"):
        shipped.apply(clean[:, :17], H, rng)
    with pytest.raises(ValueError, match="finite"):
        shipped.apply(np.where(clean > 300, np.nan, clean), H, rng)
    with pytest.raises(ValueError, match="body_height_px"):
        shipped.apply(clean, -1.0, rng)
    with pytest.raises(ValueError, match="body_height_px"):
        shipped.apply(clean, np.full(4, H), rng)
    with pytest.raises(ValueError, match="Generator"):
        shipped.apply(clean, H, 0)
    with pytest.raises(ValueError, match="near_side"):
        shipped.apply(clean, H, rng, near_side="front")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="JSON"):
        LandmarkNoiseModel.load(bad)
    bad.write_text(json.dumps({"format": "other", "version": 1}))
    with pytest.raises(ValueError, match="refit"):
        LandmarkNoiseModel.load(bad)
    monkeypatch.setenv("HUMANMOVENET_WEIGHTS_DIR", str(tmp_path))  # a same-named, other file
    (tmp_path / "landmark_noise.json").write_text(bad.read_text())
    with pytest.raises(ValueError, match="corrupt"):
        LandmarkNoiseModel.load()
    monkeypatch.setenv("HUMANMOVENET_LANDMARK_NOISE", str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match="HUMANMOVENET_LANDMARK_NOISE"):
        LandmarkNoiseModel.load()
    with pytest.raises(ValueError, match="frame_ar"):
        dataclasses.replace(shipped, frame_ar=np.zeros(3))
    with pytest.raises(ValueError, match="stationary"):
        dataclasses.replace(shipped, frame_ar=np.full((66, 2), 0.6))
    with pytest.raises(ValueError, match="at least one"):
        fit_noise_model([])
