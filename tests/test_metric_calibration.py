"""The metrics' ± of a video analysis includes the reconstruction's calibrated error.

Real code path on tiny data: the shipped ``weights/metric_errors.json``, a spine reconstructed
from 12 frames of the shipped walking clip (``analyze``; MediaPipe and the learned
reconstruction run once, then come from the stage cache), ``compute_metrics`` with and without
a calibration.
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

import humanmovenet.pipeline as pipeline
from humanmovenet._paths import shipped_weights_dir
from humanmovenet.biomech import (
    MetricCalibration,
    MetricError,
    apply_calibration,
    compute_metrics,
    load_calibration,
)
from humanmovenet.pipeline import (
    Analysis,
    BiomechConfig,
    ClassifyConfig,
    PipelineConfig,
    VideoConfig,
    analyze,
)

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"
SHORT = VideoConfig(start=60, stop=72)
BEND_METRICS = ("lumbar_rom", "pelvic_tilt_range", "peak_hip_flexion", "peak_hip_extension",
                "hip_contribution", "lumbar_hip_ratio", "standing_lumbar_lordosis",
                "standing_pelvic_tilt", "thoracic_rom", "peak_trunk_inclination",
                "level_rom_l4_l5")  # fmt: skip
#: The keys of a metric row / the uncertainty block before calibration existed.
LEGACY_ROW = {"value", "uncertainty", "ci_low", "ci_high", "unit", "normal_low", "normal_high",
              "normal_mean", "normal_source", "definition", "note"}  # fmt: skip
LEGACY_UNCERTAINTY = {"method", "n_bootstrap", "seed", "interval"}


@pytest.fixture(scope="module")
def shipped() -> MetricCalibration:
    return load_calibration(shipped_weights_dir() / "metric_errors.json")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _config(cache_dir: Path, **biomech) -> PipelineConfig:
    settings = {"movement": "backward_bend", "n_bootstrap": 20} | biomech
    return PipelineConfig(video=SHORT, biomech=BiomechConfig(**settings),
                          classify=ClassifyConfig(enabled=False), cache_dir=str(cache_dir))  # fmt: skip


@pytest.fixture(scope="module")
def bend(cache_dir) -> Analysis:
    """12 real frames analysed as a backward bend (the movement forced: the clip is a walk)."""
    return analyze(CLIP, _config(cache_dir))


def test_shipped_calibration_loads_and_covers_the_bend_metrics(shipped):
    assert shipped.method == "learned" and len(shipped.reconstruction_key) == 64
    assert {"regressor_frame.pt", "body_anny.npz"} <= set(shipped.weights)
    for movement, peak in (("forward_bend", "peak_lumbar_flexion"),
                           ("backward_bend", "peak_lumbar_extension")):  # fmt: skip
        assert shipped.covers(movement)
        for name in (*BEND_METRICS, peak):
            err = shipped.error(movement, name)
            assert err is not None, (movement, name)
            assert err.n >= 10 and math.isfinite(err.bias) and err.sd > 0
            assert 0 < err.reconstruction_sd <= math.hypot(err.sd, err.bias) + 1e-9
    # the systematic error of lumbar ROM from a video is degrees, not tenths
    assert shipped.error("forward_bend", "lumbar_rom").reconstruction_sd > 1.0
    assert not shipped.covers("gait") and shipped.error("gait", "lumbar_rom") is None
    info = json.loads((shipped_weights_dir() / "metric_errors.json").read_text())
    assert "bench_metric_calibration.py" in info["command"]


def test_a_calibrated_metric_reports_the_quadrature_total_and_an_interval_that_holds_it(bend):
    raw = compute_metrics(bend.spine, movement="backward_bend", n_bootstrap=20)
    errors = {"lumbar_rom": MetricError(n=30, bias=1.5, sd=3.1, reconstruction_sd=3.0,
                                        apply_bias=True),
              "pelvic_tilt_range": MetricError(n=30, bias=0.4, sd=2.0, reconstruction_sd=2.0)}  # fmt: skip
    cal = MetricCalibration({"backward_bend": errors}, method="learned", source="test")
    m = compute_metrics(bend.spine, movement="backward_bend", n_bootstrap=20, calibration=cal)
    assert m.calibration is cal
    rom, rom0 = m.lumbar_rom, raw.lumbar_rom
    assert rom.uncertainty == rom0.uncertainty  # the noise part is the bootstrap's
    assert rom.total_uncertainty == pytest.approx(math.hypot(rom0.uncertainty, 3.0))
    assert rom.value == pytest.approx(max(rom0.value - 1.5, 0.0)) and rom.reconstruction_bias == 1.5
    assert rom.ci_low <= rom.value - 1.9 * 3.0 or rom.ci_low == 0.0
    # the interval is centred on the bias-corrected value before clipping at 0 (a range)
    assert rom.ci_high >= rom0.value - 1.5 + 1.96 * 3.0 - 1e-9
    suffix = f" ± {rom.total_uncertainty:.1f}°"
    assert str(rom) == f"{rom.value:.1f}°{suffix}" and "not calibrated" not in str(rom)
    tilt = m.pelvic_tilt_range  # bias not applied: value unchanged, interval widened
    assert tilt.value == raw.pelvic_tilt_range.value and tilt.reconstruction_bias == 0.0
    assert tilt.ci_high - tilt.value == pytest.approx(
        math.hypot(raw.pelvic_tilt_range.ci_high - tilt.value, 1.959964 * 2.0), rel=1e-6
    )
    # a metric the calibration lacks: noise only, and it says so
    thor = m.thoracic_rom
    assert math.isnan(thor.reconstruction_sd) and thor.total_uncertainty == thor.uncertainty
    assert "not calibrated" in str(thor)
    d = m.to_dict()
    row = d["metrics"]["lumbar_rom"]
    assert row["uncertainty"] == rom.total_uncertainty
    assert row["noise_uncertainty"] == rom0.uncertainty and row["reconstruction_sd"] == 3.0
    assert d["uncertainty"]["reconstruction"]["calibrated"] is True
    with pytest.raises(ValueError, match="already calibrated"):
        apply_calibration(m, cal)
    with pytest.raises(ValueError, match="MetricCalibration"):
        compute_metrics(bend.spine, n_bootstrap=0, calibration={"lumbar_rom": 3.0})


def test_a_spine_without_calibration_is_unchanged(bend):
    """No calibration (a spine given directly): the noise-only result, field for field."""
    a = compute_metrics(bend.spine, movement="backward_bend", n_bootstrap=20)
    b = compute_metrics(bend.spine, movement="backward_bend", n_bootstrap=20, calibration=None)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    d = a.to_dict()
    assert set(d["uncertainty"]) == LEGACY_UNCERTAINTY
    assert all(set(row) == LEGACY_ROW for row in d["metrics"].values())
    for _, mv in a.metric_items():
        if mv is not None:
            assert mv.reconstruction_sd == 0.0 and mv.reconstruction_bias == 0.0
            assert mv.total_uncertainty == mv.uncertainty and "calibrated" not in str(mv)
    assert a.calibration is None and "measured error" not in a.summary()


def test_analyze_reports_the_calibrated_uncertainty_of_a_bend(bend, shipped, cache_dir, tmp_path):
    m = bend.metrics
    assert m.movement == "backward_bend" and m.calibration is not None
    for name, mv in m.metric_items():
        err = shipped.error("backward_bend", name)
        if mv is None or err is None:
            continue
        assert mv.reconstruction_sd == err.reconstruction_sd, name
        assert mv.reconstruction_bias == err.removed_bias, name
        assert mv.ci_low <= mv.value <= mv.ci_high, name
    rom = m.lumbar_rom
    assert rom.total_uncertainty > 1.0 > rom.uncertainty  # degrees of reconstruction error
    assert f"± {rom.total_uncertainty:.1f}°" in bend.summary()
    assert "measured error" in bend.summary()
    # the same spine with the calibration switched off: the noise-only numbers of biomech
    off = analyze(CLIP, _config(cache_dir, calibrate=False))  # stages from the cache
    direct = compute_metrics(bend.spine, movement="backward_bend", n_bootstrap=20)
    assert json.dumps(off.metrics.to_dict()) == json.dumps(direct.to_dict())
    assert off.metrics.lumbar_rom.uncertainty == rom.uncertainty
    # saved and loaded: the calibrated numbers come back exactly
    back = Analysis.load(bend.save(tmp_path / "bend"))
    assert json.dumps(back.metrics.to_dict()) == json.dumps(m.to_dict())
    # a movement that is not calibrated says so instead of inventing a number
    walk = analyze(CLIP, _config(cache_dir, movement="gait", n_bootstrap=0))
    assert math.isnan(walk.metrics.lumbar_rom.reconstruction_sd)
    assert "not calibrated" in str(walk.metrics.lumbar_rom)


def test_bad_calibration_files_raise_clear_errors(tmp_path, shipped):
    with pytest.raises(FileNotFoundError, match="bench_metric_calibration"):
        load_calibration(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else", "version": 1}))
    with pytest.raises(ValueError, match="humanmovenet.metric_errors"):
        load_calibration(bad)
    data = json.loads((shipped_weights_dir() / "metric_errors.json").read_text())
    data["movements"]["forward_bend"]["lumbar_rom"]["reconstruction_sd"] = -1.0
    bad.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="forward_bend/lumbar_rom"):
        load_calibration(bad)
    with pytest.raises(ValueError, match="finite SD"):
        dataclasses.replace(shipped.error("forward_bend", "lumbar_rom"),
                            reconstruction_sd=float("nan"))  # fmt: skip
    assert np.isfinite(shipped.error("forward_bend", "lumbar_rom").bias)


def test_a_calibration_of_other_model_files_is_flagged(shipped):
    """The shipped file records the reconstruction's model files; other files → a flag."""
    same = {name: sha for name, sha in shipped.weights.items()}
    assert pipeline._calibration_flag(shipped, same) == ""
    assert pipeline._calibration_flag(None, {}) == ""
    flag = pipeline._calibration_flag(shipped, same | {"regressor_frame.pt": "0" * 64})
    assert "regressor_frame.pt" in flag and "bench_metric_calibration.py" in flag
    fit = pipeline._calibration(PipelineConfig(reconstruct=dataclasses.replace(
        PipelineConfig().reconstruct, method="fit")))  # fmt: skip
    assert fit is not None and not fit.covers("forward_bend")  # 'fit' spines: not calibrated
