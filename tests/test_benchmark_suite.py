"""The one-command benchmark suite (benchmarks/run.py): real path on one tiny sequence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import run


def _world(trunk_deg: float, thigh_deg: float, forward_x: float = 1.0) -> np.ndarray:
    """(1, 33, 3) MediaPipe-like world landmarks (y down) with known sagittal angles."""
    w = np.zeros((1, 33, 3))
    f = np.array([forward_x, 0.0, 0.0])
    up = np.array([0.0, -1.0, 0.0])
    a, b = np.radians(trunk_deg), np.radians(thigh_deg)
    for i in run._SH:
        w[0, i] = 0.5 * (np.sin(a) * f + np.cos(a) * up)
    for i in run._KNEE:
        w[0, i] = 0.45 * (np.sin(b) * f - np.cos(b) * up)
    for i in run._HEEL:
        w[0, i] = np.array([0.0, 0.9, 0.0])
    for i in run._TOE:
        w[0, i] = np.array([0.0, 0.9, 0.0]) + 0.2 * f
    return w


@pytest.mark.parametrize("forward_x", [1.0, -1.0])
def test_mediapipe_world_angles_analytic(forward_x):
    out = run.mediapipe_world_angles(_world(30.0, 10.0, forward_x))
    assert np.degrees(out["trunk_inclination"][0]) == pytest.approx(30.0, abs=1e-9)
    assert np.degrees(out["lumbar"][0]) == pytest.approx(30.0, abs=1e-9)
    assert np.degrees(out["hip"][0]) == pytest.approx(40.0, abs=1e-9)
    back = run.mediapipe_world_angles(_world(-15.0, 0.0, forward_x))
    assert np.degrees(back["trunk_inclination"][0]) == pytest.approx(-15.0, abs=1e-9)
    with pytest.raises(ValueError, match="33, 3"):
        run.mediapipe_world_angles(np.zeros((4, 17, 3)))


def test_filters_reduce_jitter_and_keep_length():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 4, 41)
    x = np.sin(t)[:, None] + 0.05 * rng.standard_normal((41, 3))
    for y in (run.savgol(x), run.butter_lowpass(x, fps=10.0), run.one_euro(x, fps=10.0)):
        assert y.shape == x.shape
        assert np.abs(np.diff(y, 3, axis=0)).mean() < 0.5 * np.abs(np.diff(x, 3, axis=0)).mean()


def test_vertebra_set_distances_known_offsets():
    t = np.linspace(0.0, 0.48, 25)
    true = np.stack([np.zeros(25), t, np.zeros(25)], axis=-1)[None].repeat(2, axis=0)
    ours = true.copy()
    ours[0, :, 0] += 0.01  # every centre 10 mm off sideways
    ours[1, 3, 0] += 0.05  # one centre 50 mm off, the others exact
    out = run.vertebra_set_distances(ours, true)
    # frame 0: all 50 nearest distances 10 mm; frame 1 (centres 20 mm apart): the moved centre
    # is 50 mm from its true one, its true one 20 mm from a neighbour, the other 48 are 0
    assert out["vert_mean_dist_mm"] == pytest.approx(1000 * (0.01 + 0.07 / 50) / 2)
    assert out["vert_hausdorff_mm"] == pytest.approx(1000 * (0.01 + 0.05) / 2)
    ours[1, 5] = np.nan  # a frame with a missing point is skipped
    assert run.vertebra_set_distances(ours, true)["vert_hausdorff_mm"] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="T, V, 3"):
        run.vertebra_set_distances(ours[:, :, :2], true[:, :, :2])


def test_bootstrap_ci_covers_mean_and_shrinks():
    rng = np.random.default_rng(1)
    small, large = rng.normal(2.0, 1.0, 8), rng.normal(2.0, 1.0, 200)
    lo, hi = run.bootstrap_ci(small)
    assert lo < small.mean() < hi
    lo2, hi2 = run.bootstrap_ci(large)
    assert lo2 < large.mean() < hi2 and hi2 - lo2 < 0.5 * (hi - lo)
    assert np.isnan(run.bootstrap_ci([1.0, np.nan])[0])
    assert run.bootstrap_ci(np.full(5, 3.0)) == (3.0, 3.0)


def test_training_seeds_refused():
    with pytest.raises(SystemExit):
        run.main(["--quick", "--seed", "9000"])


def test_quick_suite_writes_table_json_and_plot(tmp_path):
    result = run.main(["--quick", "--out", str(tmp_path)])
    for name in ("summary.json", "table.md", "series.npz", "benchmark_suite.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    table = (tmp_path / "table.md").read_text()
    for name in (*run.METHODS, "HumanMoveNet study", "18.85", "2.1126", "0.4122"):
        assert name in table, name
    saved = json.loads((tmp_path / "summary.json").read_text())
    methods = saved["summary"]["methods"]
    assert set(methods) == set(run.METHODS)
    full = methods["full"]
    # the real pipeline ran: finite angle errors well below a failed fit, meshes rendered
    assert 0 <= full["lumbar_mae_deg"] < 30
    assert 0 < full["silhouette_iou"] <= 1 and 0 < full["hausdorff_centred_mm"] < 1000
    # overlaid where the fit's own camera puts it, the mesh covers the true silhouette better
    # than when placed at the depth its assumed focal length implies
    assert full["silhouette_iou"] < full["silhouette_iou_image"] <= 1
    # our lumbar MAE agrees with bench_reconstruct.evaluate's (same definition)
    seq = result["sequences"][0]["methods"]["full"]
    assert seq["_bench_reconstruct_lumbar_change_mae_deg"] == pytest.approx(
        seq["lumbar_mae_deg"], rel=1e-6
    )
    # smoothing lowers jitter of the same trajectories; MediaPipe has no vertebrae
    assert methods["per_frame+savgol"]["jitter_m_s3"] < methods["per_frame"]["jitter_m_s3"]
    assert "mpjpe_mm" not in methods["mediapipe_world"]
    assert np.isfinite(methods["mediapipe_world"]["lumbar_mae_deg"])
    # vertebra point-set distances: no correspondence, so never above the matched MPJPE-style
    # maximum; Hausdorff ≥ mean; centring helps the raw (depth-dominated) distance
    assert 0 < full["vert_mean_dist_centred_mm"] <= full["vert_hausdorff_centred_mm"] < 500
    assert full["vert_mean_dist_centred_mm"] <= full["mpjpe_centred_mm"]
    assert full["vert_mean_dist_mm"] <= full["mpjpe_mm"]
    assert "vert. HD centred mm" in table and "bootstrap 95 % CI" in table
    # one sequence: per-sequence values equal the means, and no CI
    per_seq = saved["summary"]["per_sequence"]
    assert per_seq["seed"] == [960_000]
    assert per_seq["full"]["pelvis_mae_deg"] == [pytest.approx(full["pelvis_mae_deg"])]
    assert saved["summary"]["ci95"]["full"]["lumbar_mae_deg"] == [None, None]
    info = saved["sequences"][0]["info"]
    assert abs(info["camera_yaw_deg"]) < 60 and info["camera_side"] in ("left", "right")
    speed = saved["summary"]["speed"]
    assert speed["end_to_end_over_mediapipe"] > 1.0
