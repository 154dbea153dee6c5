"""Synthetic datasets on disk: determinism, ground-truth consistency, FP/EP direction, CLI."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from humanmovenet.spine.morphology import measure_morphology
from humanmovenet.synth import dataset as ds_mod
from humanmovenet.synth.dataset import (
    FORMAT_VERSION,
    SynthConfig,
    SynthDataset,
    add_synth_arguments,
    run_synth,
    write_dataset,
)

TINY = SynthConfig(
    n_subjects=1,
    movements=("forward_bend", "gait"),
    fps=2.0,
    image_size=(128, 96),
    depth=True,
    gait_cycles=1.0,
    seed=7,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    first = write_dataset(root / "a", TINY, progress=False)
    second = write_dataset(root / "b", TINY, progress=False)
    return first, second


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files(tiny, tmp_path):
    a, b = (_files(f) for f in tiny)
    assert a.keys() == b.keys() and len(a) > 10
    assert all(a[k] == b[k] for k in a)
    other = write_dataset(
        tmp_path / "c", SynthConfig(**{**TINY.__dict__, "seed": 8, "render": False,
                                       "depth": False}), progress=False)  # fmt: skip
    gt_a = np.load(tiny[0] / "s0000_gait" / "gt.npz")["joints"]
    gt_c = np.load(other / "s0000_gait" / "gt.npz")["joints"]
    assert gt_a.shape[1:] == gt_c.shape[1:] and not np.array_equal(gt_a[:1], gt_c[:1])


def test_round_trip(tiny):
    ds = SynthDataset(tiny[0])
    assert len(ds) == 2 and ds.manifest["format_version"] == FORMAT_VERSION
    names = [seq.name for seq in ds]
    assert names == ["s0000_forward_bend", "s0000_gait"]
    seq = ds[1]
    gt = seq.arrays()
    t = seq.num_frames
    assert gt["joints"].shape == (t, 104, 3) and gt["landmarks_2d"].shape == (t, 33, 2)
    assert gt["vertebra_frames"].shape == (t, 25, 3, 3) and gt["body_pose"].shape == (t, 103, 3)
    assert seq.meta["phenotype"] == "FP" and seq.meta["movement"] == "gait"
    assert seq.rgb(0).shape == (96, 128, 3) and seq.silhouette(0).dtype == bool
    depth = seq.depth(0)
    assert np.isfinite(depth[seq.silhouette(0)]).all() and (depth[seq.silhouette(0)] > 1.0).all()
    # the stored camera reproduces the stored projections
    np.testing.assert_allclose(seq.camera.project(gt["joints"]), gt["joints_2d"], atol=1e-2)
    with pytest.raises(KeyError, match="no arrays"):
        seq.arrays(["nope"])


def test_projected_ground_truth_falls_on_the_silhouette(tiny):
    for seq in SynthDataset(tiny[0]):
        gt = seq.arrays(["vertebrae_2d", "joints_2d", "landmarks_2d"])
        names = seq.meta["joint_names"]
        inner = [names.index(n) for n in ("root", "spine03", "upperleg01.L", "lowerleg01.R")]
        for t in range(seq.num_frames):
            sil = seq.silhouette(t)
            for uv in (gt["vertebrae_2d"][t], gt["joints_2d"][t, inner]):
                col, row = np.round(uv).astype(int).T
                assert sil[row, col].all(), (seq.name, t)
            # landmarks (some are surface points: nose, heels, toes) lie on or at the edge of
            # the silhouette: within 2 px of a body pixel
            col, row = np.round(gt["landmarks_2d"][t]).astype(int).T
            assert (row >= 0).all() and (row < 96).all() and (col >= 0).all() and (col < 128).all()
            assert (distance_transform_edt(~sil)[row, col] <= 2.0).all(), (seq.name, t)


def test_gt_lumbar_angle_is_the_spine_models_measurement(tiny):
    seq = SynthDataset(tiny[0])[0]
    gt = seq.arrays(["vertebra_frames", "gt_lumbar_angle", "gt_lumbar_flexion",
                     "motion_lumbar_flexion"])  # fmt: skip
    for t in range(0, seq.num_frames, 5):
        lordosis = measure_morphology(gt["vertebra_frames"][t].astype(np.float64))
        assert lordosis.lumbar_lordosis_deg == pytest.approx(
            -np.degrees(gt["gt_lumbar_angle"][t]), abs=1e-3
        )
    np.testing.assert_allclose(gt["gt_lumbar_flexion"], gt["motion_lumbar_flexion"], atol=2e-4)
    summary = seq.meta["measured_summary"]
    assert summary["lumbar_rom_deg"] == pytest.approx(
        np.degrees(np.ptp(gt["gt_lumbar_angle"])), abs=1e-6
    )


def test_fp_and_ep_differ_in_the_documented_direction(tmp_path):
    config = SynthConfig(n_subjects=4, phenotypes=("FP", "EP"), fps=1.0, render=False, seed=3,
                         movements=("forward_bend", "backward_bend"))  # fmt: skip
    ds = SynthDataset(write_dataset(tmp_path / "fe", config, progress=False))
    by = {"FP": {}, "EP": {}}
    for seq in ds:
        s = dict(seq.meta["measured_summary"])
        gt = seq.arrays(["gt_lumbar_angle", "gt_pelvic_tilt", "phase"])
        assert gt["phase"][0] == 0  # standing at the first frame
        s["standing_lordosis"] = -np.degrees(gt["gt_lumbar_angle"][0])
        s["standing_tilt"] = np.degrees(gt["gt_pelvic_tilt"][0])
        by[seq.meta["phenotype"]].setdefault(seq.meta["movement"], []).append(s)

    def mean(label, movement, key):
        return np.mean([s[key] for s in by[label][movement]])

    assert len(by["FP"]["forward_bend"]) == len(by["EP"]["forward_bend"]) == 2
    # docs/synthetic_motions.md: FP leads with the lumbar spine forward, has a flatter
    # lordosis and less anterior tilt; EP extends the lumbar spine more in backward bending.
    assert mean("FP", "forward_bend", "lumbar_hip_ratio") > mean(
        "EP", "forward_bend", "lumbar_hip_ratio"
    )
    for key in ("standing_lordosis", "standing_tilt"):
        assert mean("EP", "forward_bend", key) > mean("FP", "forward_bend", key)
    ratio = "lumbar_hip_ratio"
    assert mean("EP", "backward_bend", ratio) > mean("FP", "backward_bend", ratio)


def _parse(*argv):
    parser = argparse.ArgumentParser()
    add_synth_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_flags_and_exit_codes(tmp_path, capsys):
    args = _parse("--out", str(tmp_path / "o"), "--n-subjects", "1", "--movements",
                  "lateral_bend", "--fps", "2", "--no-render", "--size", "64x48",
                  "--no-progress")  # fmt: skip
    assert args.size == (64, 48) and args.render is False
    assert run_synth(args) == 0
    assert "wrote 1 sequences" in capsys.readouterr().out
    assert run_synth(args) == 4  # exists, no --overwrite
    bad = _parse("--out", str(tmp_path / "p"), "--depth", "--no-render")
    assert run_synth(bad) == 2
    assert not (tmp_path / "p").exists()
    with pytest.raises(SystemExit):
        _parse("--out", "x", "--movements", "jumping")


def test_failure_leaves_no_partial_output(tmp_path, monkeypatch):
    calls = []
    real = ds_mod.write_sequence

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return real(*a, **k)

    monkeypatch.setattr(ds_mod, "write_sequence", failing)
    config = SynthConfig(n_subjects=1, movements=("standing", "gait"), fps=2.0, render=False)
    with pytest.raises(RuntimeError, match="simulated"):
        write_dataset(tmp_path / "out", config, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_reader_rejects_newer_versions(tiny, tmp_path):
    manifest = json.loads((tiny[0] / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="format version"):
        SynthDataset(tmp_path)
    with pytest.raises(FileNotFoundError, match="humanmovenet synth"):
        SynthDataset(tmp_path / "missing")


def test_config_checks():
    with pytest.raises(ValueError, match="movements"):
        SynthConfig(movements=("jumping",))
    with pytest.raises(ValueError, match="image_size"):
        SynthConfig(image_size=(8, 8))
