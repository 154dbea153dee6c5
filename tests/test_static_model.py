"""Learned static reconstructor: ridge model, features on real renders with MediaPipe, weights."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from humanmovenet.reconstruct.static_model import (
    SHIPPED_FILE,
    SHIPPED_SHA256,
    TARGETS,
    StaticModel,
    feature_names,
    load_static_model,
)


def test_ridge_recovers_a_linear_map_and_ignores_nan_and_constant_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6))
    x[:, 5] = 3.0  # constant: no information
    w = rng.normal(size=(6, len(TARGETS)))
    w[5] = 0.0
    y = x @ w + 10.0
    x_nan = x.copy()
    x_nan[::7, 2] = np.nan
    model = StaticModel.fit(x, y, ridge=1e-6)
    assert np.allclose(model.predict(x[1:6]), y[1:6], atol=0.01)
    assert np.allclose(model.weights[5], 0.0)  # the constant feature gets no weight
    # missing values are replaced by the mean: the fit degrades gracefully, not to NaN
    model_nan = StaticModel.fit(x_nan, y, ridge=1e-6)
    pred = model_nan.predict(x_nan)
    assert np.isfinite(pred).all()
    assert min(np.corrcoef(pred[:, j], y[:, j])[0, 1] for j in range(len(TARGETS))) > 0.8
    assert np.isfinite(model.predict(np.full(6, np.nan))).all()  # all missing → the mean
    np.testing.assert_allclose(model.predict(np.full(6, np.nan)), model.bias)
    assert np.allclose(model_nan.predict(np.full(6, np.nan)), model_nan.bias)
    with pytest.raises(ValueError, match=r"\(B, 6\)"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="targets"):
        StaticModel.fit(x, y[:, :2], 1.0)


def test_save_load_round_trip_weights_only(tmp_path):
    rng = np.random.default_rng(1)
    model = StaticModel.fit(rng.normal(size=(50, 4)), rng.normal(size=(50, 4)), 2.0)
    model = dataclasses.replace(model, metadata={"note": "test", "n": 50})
    path = tmp_path / "m.pt"
    model.save(path)
    torch.load(path, weights_only=True)  # plain tensors and data only
    back = StaticModel.load(path)
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(back.predict(x), model.predict(x))
    assert back.metadata == {"note": "test", "n": 50}
    path.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable static model"):
        StaticModel.load(path)


def test_shipped_model_matches_its_sha256_and_feature_layout():
    from humanmovenet._paths import resolve_weight, sha256_of

    assert sha256_of(resolve_weight(SHIPPED_FILE)) == SHIPPED_SHA256
    model = load_static_model()
    assert model.num_features == len(feature_names())
    held = model.metadata["held_out"]
    assert set(held) == set(TARGETS)


@pytest.fixture(scope="module")
def two_lordoses():
    """One subject rendered standing with 20° and with 45° lordosis (same body, camera, scene)."""
    from humanmovenet.body import create
    from humanmovenet.synth.render import Renderer
    from humanmovenet.synth.subject import sample_subject
    from humanmovenet.train.train_static import TEST_RANGES, render_subject

    body = create("anny")
    base = sample_subject(np.random.default_rng(123), **TEST_RANGES)
    args = SimpleNamespace(fps=5.0, frames=2, size=384)
    rows = []
    with Renderer(384, 384) as renderer:
        for ll in (20.0, 45.0):
            subject = dataclasses.replace(
                base, morphology=dataclasses.replace(base.morphology, lumbar_lordosis_deg=ll)
            )
            rows.append(render_subject(7, 0, TEST_RANGES, args, body, renderer, subject=subject))
    return rows


def test_features_on_real_renders_see_the_lordosis(two_lordoses):
    flat, hollow = two_lordoses
    names = feature_names()
    assert flat["features"].shape == (len(names),)
    assert flat["detected"] == 1.0 and hollow["detected"] == 1.0
    assert np.isfinite(flat["features"]).mean() > 0.9
    model = load_static_model()
    pred_flat, pred_hollow = (model.predict(r["features"])[0] for r in two_lordoses)
    # 25° more lordosis on the same body, camera and scene: the model must see a clearly
    # larger lordosis (the skin shows it since synth poses the standing curves)
    assert pred_hollow - pred_flat > 5.0
