"""Temporal GCN+LSTM (reconstruct.temporal): shipped weights, gap filling, causality, filters."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from humanmovenet.reconstruct.fit import ANGLE_NAMES
from humanmovenet.reconstruct.temporal import (
    SHIPPED_SHA256,
    TemporalGCNLSTM,
    TemporalStream,
    fill_gaps,
    load_temporal_model,
    one_euro_angles,
    prepare_inputs,
    savgol_angles,
    smooth_angles,
)

WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "temporal_gcn_lstm.pt"
A = len(ANGLE_NAMES)
FPS = 20.0


def _bend(t: int = 120, fps: float = FPS) -> np.ndarray:
    """A smooth forward-bend-like trajectory (T, 12), radians."""
    tau = np.clip((np.arange(t) / fps - 1.0) / 3.0, 0, 1)
    s = 10 * tau**3 - 15 * tau**4 + 6 * tau**5  # minimum jerk 0 → 1 over 3 s
    peak = np.radians([40, 35, 8, 50, 50, 4, 4, 60, 60, 10, 10, 0])
    return s[:, None] * peak + np.radians([0, 0, 0, 0, 0, 2, 2, 0, 0, 10, 10, 30])


def test_shipped_weights_hash_and_weights_only_load():
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() == SHIPPED_SHA256
    blob = torch.load(WEIGHTS, weights_only=True)
    assert {"bidirectional", "causal", "meta_json"} <= set(blob)
    assert WEIGHTS.stat().st_size < 1_000_000
    assert load_temporal_model(causal=True).causal and not load_temporal_model().causal


def test_shapes_dtype_and_gap_filled():
    rng = np.random.default_rng(0)
    truth = _bend()
    x = truth + rng.normal(0, np.radians(1.0), truth.shape)
    x[50:56] = np.nan
    threads = torch.get_num_threads()
    out = smooth_angles(x, np.ones(len(x)), FPS)
    assert torch.get_num_threads() == threads  # num_threads=1 is restored afterwards
    assert out.shape == (120, A) and out.dtype == np.float64
    assert np.isfinite(out).all()
    # the filled gap follows the motion (truth moves ~10° there) within a few degrees
    assert np.degrees(np.abs(out[50:56] - truth[50:56])).max() < 4.0


def test_removes_jitter_better_than_raw():
    rng = np.random.default_rng(1)
    truth = _bend()
    x = truth + rng.normal(0, np.radians(2.0), truth.shape)
    out = smooth_angles(x, None, FPS)
    acc = lambda a: np.abs(np.diff(a - truth, 2, axis=0)).mean()  # noqa: E731
    assert acc(out) < 0.4 * acc(x)
    assert np.abs(out - truth).mean() < np.abs(x - truth).mean()


@pytest.mark.parametrize("causal", [False, True])
def test_constant_stays_constant(causal):
    x = np.tile(np.radians(np.linspace(-10, 40, A)), (60, 1))
    out = smooth_angles(x, None, FPS, causal=causal)
    assert np.degrees(np.abs(out - x)).max() < 2.0


def _lag_frames(out: np.ndarray, truth: np.ndarray, max_shift: int = 6) -> float:
    """Shift maximising the correlation of output and truth (+ = output lags), sub-frame."""
    vo, vt = out - out.mean(), truth - truth.mean()
    n = len(vt)
    scores = []
    for s in range(-max_shift, max_shift + 1):
        lo, hi = max(0, -s), min(n, n - s)
        scores.append(np.dot(vo[lo + s : hi + s], vt[lo:hi]) / (hi - lo))
    k = int(np.argmax(scores))
    y0, y1, y2 = scores[k - 1], scores[k], scores[k + 1]
    return k - max_shift + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)


@pytest.mark.parametrize("causal", [False, True])
def test_clean_bend_ramp_not_lagged(causal):
    """A clean minimum-jerk bend (pelvis, lumbar, hips ramping by 25–60°) passes without lag."""
    t = np.arange(100) / FPS
    tau = np.clip((t - 1.0) / 2.5, 0, 1)
    ramp = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    x = np.zeros((100, A)) + np.radians([0, 0, 0, 0, 0, 2, 2, 0, 0, 10, 10, 30])
    peak = {
        "pelvis_tilt": 40,
        "lumbar_flexion": 25,
        "hip_flexion_left": 40,
        "hip_flexion_right": 40,
        "shoulder_flexion_left": 60,
        "shoulder_flexion_right": 60,
    }
    for name, deg in peak.items():
        x[:, ANGLE_NAMES.index(name)] += np.radians(deg) * ramp
    out = smooth_angles(x, None, FPS, causal=causal)
    lags = [_lag_frames(out[:, ANGLE_NAMES.index(n)], x[:, ANGLE_NAMES.index(n)]) for n in peak]
    assert abs(np.mean(lags)) < (1.0 if causal else 0.5), lags
    assert np.degrees(np.abs(out - x).mean()) < 2.0


def test_causal_output_unchanged_by_future_frames():
    rng = np.random.default_rng(2)
    x = _bend() + rng.normal(0, np.radians(1.5), (120, A))
    y = x.copy()
    y[70:] += rng.normal(0, 0.5, y[70:].shape)  # change only frames ≥ 70
    a = smooth_angles(x, None, FPS, causal=True)
    b = smooth_angles(y, None, FPS, causal=True)
    np.testing.assert_allclose(a[:70], b[:70], atol=1e-6)
    assert np.abs(a[70:] - b[70:]).max() > 1e-3  # the changed frames do matter
    bi_a = smooth_angles(x, None, FPS)
    bi_b = smooth_angles(y, None, FPS)
    assert np.abs(bi_a[60:70] - bi_b[60:70]).max() > 1e-4  # bidirectional looks ahead


def test_stream_matches_whole_clip():
    rng = np.random.default_rng(3)
    x = _bend(60) + rng.normal(0, np.radians(1.0), (60, A))
    x[10:13] = np.nan
    whole = smooth_angles(x, None, FPS, causal=True)
    stream = TemporalStream(FPS)
    parts = [stream.step(x[i]) for i in range(25)] + [stream.step(x[25:60])]
    got = np.concatenate([np.stack(parts[:25]), parts[25]])
    np.testing.assert_allclose(got, whole, atol=1e-5)


def test_stream_checks_confidence_like_the_whole_clip():
    """Per-frame, per-angle and scalar confidences mean the same in both APIs; out of [0, 1]
    or a wrong shape is refused by both."""
    rng = np.random.default_rng(4)
    x = _bend(30) + rng.normal(0, np.radians(1.0), (30, A))
    conf = rng.uniform(0.2, 1.0, (30, A))
    whole = smooth_angles(x, conf, FPS, causal=True)
    stream = TemporalStream(FPS)
    got = np.stack([stream.step(x[i], conf[i]) for i in range(30)])
    np.testing.assert_allclose(got, whole, atol=1e-5)
    for bad in (1.5, -0.1, np.ones(5)):
        with pytest.raises(ValueError, match="confidence"):
            TemporalStream(FPS).step(x[:3], bad)
        with pytest.raises(ValueError, match="confidence"):
            smooth_angles(x[:3], bad, FPS)


def test_prepare_inputs_offset_invariant_features():
    x = torch.as_tensor(_bend(40), dtype=torch.float32)[None]
    c = torch.ones_like(x)
    _, f1 = prepare_inputs(x, c, FPS, causal=False)
    _, f2 = prepare_inputs(x + 0.3, c, FPS, causal=False)
    torch.testing.assert_close(f1, f2, atol=1e-5, rtol=0)


def test_untrained_model_is_identity_on_observed_frames():
    x = torch.as_tensor(_bend(30), dtype=torch.float32)[None]
    model = TemporalGCNLSTM(causal=True)
    out = smooth_angles(x[0].numpy(), None, FPS, model=model, causal=True)
    np.testing.assert_allclose(out, x[0].numpy(), atol=1e-6)


def test_bad_inputs_raise():
    good = _bend(30)
    with pytest.raises(ValueError, match="expected shape"):
        smooth_angles(good[:, :11], None, FPS)
    with pytest.raises(ValueError, match="no finite value"):
        smooth_angles(np.full((30, A), np.nan), None, FPS)
    with pytest.raises(ValueError, match="fps"):
        smooth_angles(good, None, 0.0)
    with pytest.raises(ValueError, match="confidence"):
        smooth_angles(good, np.ones(29), FPS)
    with pytest.raises(ValueError, match="no frame counts as observed"):
        smooth_angles(good, np.zeros(30), FPS)
    with pytest.raises(ValueError, match="causal"):
        smooth_angles(good, None, FPS, model=TemporalGCNLSTM(causal=False), causal=True)
    with pytest.raises(ValueError, match="fps"):
        TemporalStream(60.0)


def test_other_fps_resampled():
    t60 = _bend(240, 60.0)
    out = smooth_angles(t60, None, 60.0)
    assert out.shape == t60.shape and np.degrees(np.abs(out - t60).mean()) < 1.0


def test_classic_filters():
    rng = np.random.default_rng(4)
    truth = _bend()
    x = truth + rng.normal(0, np.radians(2.0), truth.shape)
    x[40:44] = np.nan
    for out in (savgol_angles(x, FPS), one_euro_angles(x, FPS)):
        assert out.shape == x.shape and np.isfinite(out).all()
        assert (
            np.abs(np.diff(out, 2, axis=0)).mean() < np.abs(np.diff(fill_gaps(x), 2, axis=0)).mean()
        )
    filled = fill_gaps(x)
    np.testing.assert_allclose(filled[41], x[39] + (x[44] - x[39]) * 2 / 5)
    held = fill_gaps(x, causal=True)
    np.testing.assert_allclose(held[42], x[39])


def test_tiny_training_run_writes_loadable_weights(tmp_path):
    from humanmovenet.train.train_temporal import main

    out, ckpt = tmp_path / "t.pt", tmp_path / "ck.pt"
    argv = ["--steps", "2", "--batch", "2", "--length", "24", "--eval-every", "1",
            "--out", str(out), "--checkpoint", str(ckpt)]  # fmt: skip
    main(argv)
    assert ckpt.is_file()
    model = load_temporal_model(out, causal=True)
    x = _bend(30)
    y = smooth_angles(x, None, FPS, model=model, causal=True)
    assert y.shape == x.shape and np.isfinite(y).all()
    main(argv + ["--resume"])  # already at the last step: loads the checkpoint, trains nothing
    assert torch.load(out, weights_only=True)["meta_json"]


def _real_records(n: int = 20, fps: float = 8.0) -> list[dict]:
    """Real-pair-like records: a bend, an estimate with a constant offset (1.5 rad on pelvis
    and lumbar) plus an error growing with the bend (the kind real pairs carry), a missed
    frame, and the first frames standing."""
    rng = np.random.default_rng(5)
    recs = []
    for i in range(n):
        truth = _bend(40, fps)
        est = truth + 1.5 * (np.arange(A) < 2) + 0.2 * truth + rng.normal(0, 0.01, truth.shape)
        est[20] = np.nan
        standing = np.arange(40) < 6
        recs.append({"estimate": est, "truth": truth, "confidence": np.full(40, 0.9),
                     "standing": standing, "fps": fps, "movement": "forward_bend",
                     "index": i})  # fmt: skip
    return recs


def test_real_pairs_aligned_on_standing_and_resampled():
    from humanmovenet.train.train_temporal import prepare_real, sample_real_window, split_real

    recs = _real_records(20)
    prep = prepare_real(recs, fps=10.0)
    r = prep[0]
    assert len(r["estimate"]) == 50  # 39 intervals at 8 fps → 48.75 at 10 fps, rounded
    # the target is the truth moved onto the estimate in the standing frames (the offset of
    # 1.5 rad is gone; the bend-dependent 20 % error is what remains to be learned)
    err = r["estimate"][:5] - r["target"][:5]
    assert np.abs(err).max() < 0.05
    late = r["estimate"][-1] - r["target"][-1]
    b = _bend(40, 8.0)
    np.testing.assert_allclose(late, 0.2 * (b[-1] - b[0]), atol=0.05)
    x, c, y, fps = sample_real_window(r, np.random.default_rng(0), 64)
    assert x.shape == c.shape == y.shape == (64, A) and fps == 10.0
    assert (c[~np.isfinite(x)] == 0).all() and np.isfinite(y).all()
    train, val = split_real(recs)
    assert [int(v["index"]) for v in val] == [9, 19] and len(train) == 18


def test_tiny_training_run_with_real_pairs(tmp_path):
    from humanmovenet.train.train_temporal import main, save_records

    pairs = tmp_path / "pairs.npz"
    save_records(pairs, _real_records(20))
    out, ckpt = tmp_path / "t.pt", tmp_path / "ck.pt"
    argv = ["--steps", "2", "--batch", "4", "--length", "24", "--eval-every", "1",
            "--real-pairs", str(pairs), "--real-fraction", "0.5",
            "--out", str(out), "--checkpoint", str(ckpt)]  # fmt: skip
    main(argv)
    meta = json.loads(torch.load(out, weights_only=True)["meta_json"])
    assert meta["real_pairs"]["windows_per_batch"] == 2
    assert meta["real_pairs"]["training_clips"] == 18
    assert "real_bidirectional" in meta["history"][-1]
    # fine-tuning from that file starts from its weights
    out2 = tmp_path / "t2.pt"
    main(argv[:-4] + ["--init", str(out), "--lr", "0", "--out", str(out2),
                      "--checkpoint", str(tmp_path / "ck2.pt")])  # fmt: skip
    a, b = torch.load(out, weights_only=True), torch.load(out2, weights_only=True)
    for k in a["bidirectional"]:
        torch.testing.assert_close(a["bidirectional"][k], b["bidirectional"][k])
    with pytest.raises(ValueError, match="real-fraction"):
        main(argv[:-4] + ["--real-fraction", "0", "--out", str(out2), "--checkpoint",
                          str(tmp_path / "ck3.pt")])  # fmt: skip
