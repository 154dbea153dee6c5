"""analyze() end to end on real frames: types, save/load, stage cache, CLI and its errors."""

import json
from pathlib import Path

import numpy as np
import pytest

import humanmovenet.pipeline as pipeline
from humanmovenet.cli import EXIT_INPUT, EXIT_OK, main
from humanmovenet.pipeline import (
    Analysis,
    BiomechConfig,
    ClassifyConfig,
    PipelineConfig,
    VideoConfig,
    analyze,
)
from humanmovenet.types import DynamicSpine, Phenotype

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"
SHORT = VideoConfig(start=60, stop=72)  # the woman walking in side view


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def analysis(cache_dir) -> Analysis:
    config = PipelineConfig(video=SHORT, biomech=BiomechConfig(n_bootstrap=20),
                            cache_dir=str(cache_dir))  # fmt: skip
    return analyze(CLIP, config)


def test_analysis_holds_every_stage(analysis):
    assert analysis.keypoints.num_frames == 12 and analysis.keypoints.detected.all()
    assert isinstance(analysis.spine, DynamicSpine) and analysis.spine.num_frames == 12
    assert np.isfinite(analysis.spine.positions).all()
    assert analysis.spine.pose is not None
    assert analysis.metrics.movement
    assert analysis.fit_quality.keypoint_error.shape == (12,)
    prov = analysis.provenance
    assert prov["version"] and len(prov["video_sha256"]) == 64
    assert "body_anny.npz" in prov["weights_sha256"]
    assert "lumbar_rom" in analysis.summary()
    # the fitted camera: a rotation and intrinsics with the principal point in the image
    assert analysis.camera_R.shape == (3, 3) and analysis.camera_K.shape == (3, 3)
    np.testing.assert_allclose(analysis.camera_R @ analysis.camera_R.T, np.eye(3), atol=1e-9)
    w, h = analysis.keypoints.image_size
    assert 0 < analysis.camera_K[0, 2] < w and 0 < analysis.camera_K[1, 2] < h
    if analysis.metrics.movement not in ("forward_bend", "backward_bend"):  # a walk: no FP/EP
        assert analysis.phenotype is None
        assert "forward or backward bend" in analysis.phenotype_unavailable


def test_save_and_load_round_trip(analysis, tmp_path):
    folder = analysis.save(tmp_path / "result")
    back = Analysis.load(folder)
    np.testing.assert_array_equal(back.spine.positions, analysis.spine.positions)
    np.testing.assert_array_equal(back.keypoints.data, analysis.keypoints.data.astype(np.float32))
    # exact, NaN for undefined metrics included
    assert json.dumps(back.metrics.to_dict()) == json.dumps(analysis.metrics.to_dict())
    assert back.config == analysis.config and back.flags == analysis.flags
    np.testing.assert_array_equal(back.camera_R, analysis.camera_R)
    np.testing.assert_array_equal(back.camera_K, analysis.camera_K)
    assert back.phenotype == analysis.phenotype
    assert back.phenotype_unavailable == analysis.phenotype_unavailable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


def test_late_setting_change_reuses_cached_stages(analysis, cache_dir, monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("this stage should have come from the cache")

    monkeypatch.setattr(pipeline, "estimate_pose", boom)
    monkeypatch.setattr(pipeline, "reconstruct_spine", boom)
    config = PipelineConfig(video=SHORT, biomech=BiomechConfig(n_bootstrap=0),
                            cache_dir=str(cache_dir))  # fmt: skip
    again = analyze(CLIP, config)
    np.testing.assert_array_equal(again.spine.positions, analysis.spine.positions)
    assert again.metrics.lumbar_rom.uncertainty == 0.0  # the new late setting was applied


def test_a_bend_gets_a_phenotype_from_the_shipped_single_bend_classifier(
    analysis, cache_dir, tmp_path
):
    """The movement forced to a backward bend: the shipped backward-bend classifier runs on the
    reconstructed spine (cached stages re-used); switched off or given a both-bend classifier
    there is none, and the reason says so."""
    from humanmovenet import classify

    def run(**classify_settings) -> Analysis:
        config = PipelineConfig(video=SHORT, cache_dir=str(cache_dir),
                                biomech=BiomechConfig(movement="backward_bend", n_bootstrap=0),
                                classify=ClassifyConfig(**classify_settings))  # fmt: skip
        return analyze(CLIP, config)

    bend = run()
    assert isinstance(bend.phenotype, Phenotype) and bend.phenotype.inputs == ("backward_bend",)
    assert bend.phenotype_unavailable == ""
    expected = classify.predict({"backward_bend": bend.spine},
                                classify.load_shipped("logistic", movement="backward_bend"))  # fmt: skip
    assert bend.phenotype.probabilities == pytest.approx(expected.probabilities)
    assert "phenotype: " + bend.phenotype.label in bend.summary()
    back = Analysis.load(bend.save(tmp_path / "bend"))
    assert back.phenotype == bend.phenotype
    off = run(enabled=False)
    assert off.phenotype is None and "switched off" in off.phenotype_unavailable
    both = classify.shipped_path("logistic")  # the both-bend model trained on exact spines
    pair = run(path=str(both))
    assert pair.phenotype is None and "one movement" in pair.phenotype_unavailable
    with pytest.raises(FileNotFoundError, match="not a file"):
        ClassifyConfig(path=str(tmp_path / "missing.pt"))


def test_a_retrained_reconstruction_model_is_not_served_from_the_cache(
    analysis, cache_dir, monkeypatch
):
    """The reconstruction's cache key holds the shipped model files' hashes: another
    regressor file recomputes the reconstruction (the pose still comes from the cache)."""

    def boom(*args, **kwargs):
        raise AssertionError("the pose should have come from the cache")

    calls = []
    real = pipeline.reconstruct_spine

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    provenance = pipeline._weights_provenance()
    hashes = pipeline._reconstruction_weights(provenance)
    assert "regressor_frame.pt" in hashes and "temporal_gcn_lstm.pt" in hashes
    monkeypatch.setattr(pipeline, "estimate_pose", boom)
    monkeypatch.setattr(pipeline, "reconstruct_spine", counted)
    config = PipelineConfig(video=SHORT, biomech=BiomechConfig(n_bootstrap=0),
                            cache_dir=str(cache_dir))  # fmt: skip
    analyze(CLIP, config)
    assert calls == []  # same files: cached
    monkeypatch.setattr(pipeline, "_weights_provenance",
                        lambda: provenance | {"regressor_frame.pt": "0" * 64})  # fmt: skip
    analyze(CLIP, config)
    assert calls == [1]


def test_config_round_trip_and_unknown_settings():
    config = PipelineConfig(video=SHORT, biomech=BiomechConfig(seed=3))
    assert PipelineConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown settings"):
        PipelineConfig.from_dict({"pose": {"modle": "lite"}})


def test_cli_analyze_and_bad_inputs(cache_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HUMANMOVENET_CACHE_DIR", str(cache_dir))
    out = tmp_path / "cli"
    toml = tmp_path / "settings.toml"
    toml.write_text("[video]\nstart = 60\nstop = 72\n[biomech]\nn_bootstrap = 20\n")
    assert main(["analyze", str(CLIP), "--out", str(out), "--config", str(toml)]) == EXIT_OK
    assert Analysis.load(out).spine.num_frames == 12
    assert "lumbar_rom" in capsys.readouterr().out
    html = tmp_path / "report.html"
    assert main(["report", str(out), "--out", str(html), "--body-points", "0"]) == EXIT_OK
    assert html.read_text().lstrip().lower().startswith("<!doctype html")
    assert main(["report", str(tmp_path / "nothing"), "--out", str(html)]) == EXIT_INPUT
    capsys.readouterr()

    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[pose]\nmodle = 'lite'\n")
    assert (
        main(["analyze", str(CLIP), "--out", str(tmp_path / "x"), "--config", str(bad_toml)])
        == EXIT_INPUT
    )
    assert "unknown settings ['modle']" in capsys.readouterr().err

    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    assert main(["analyze", str(fake), "--out", str(tmp_path / "y")]) == EXIT_INPUT
    assert "not a readable video" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_disk_full_while_saving_keeps_the_previous_result_and_leaves_no_temp(
    analysis, tmp_path, monkeypatch
):
    """ENOSPC half-way through Analysis.save: the OSError is raised, the previous result
    folder is intact and no temporary folder or file is left beside it."""
    import errno

    target = analysis.save(tmp_path / "result")
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    real = pipeline.save_dynamic_spine

    def half_then_full(path, spine):  # noqa: ANN001, ANN202
        Path(path).write_bytes(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pipeline, "save_dynamic_spine", half_then_full)
    with pytest.raises(OSError) as info:
        analysis.save(target)
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    with pytest.raises(OSError):
        analysis.save(tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]
    monkeypatch.setattr(pipeline, "save_dynamic_spine", real)
    assert Analysis.load(target).spine.num_frames == analysis.spine.num_frames
