"""`humanmovenet train classifier`, `humanmovenet evaluate`, `analyze --overlay`, fast --help.

Tiny real data: exact spines of synthetic subjects (no rendering) for training; the rendered
clips of ``test_classify_folder`` (session fixture) for the video paths.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from test_classify_folder import fast_config, rendered_clips  # noqa: F401 - session fixture

from humanmovenet import cli
from humanmovenet.cli import EXIT_INPUT, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, main

FAST_FLAGS = ["--pose-model", "lite", "--reconstruct-iterations", "80"]  # = fast_config


@pytest.fixture(scope="module")
def spine_csv(tmp_path_factory) -> Path:
    """labels.csv + 4 exact backward-bend spines (2 FP, 2 EP) as DynamicSpine NPZ files."""
    from humanmovenet.io.export_npz import save_dynamic_spine
    from humanmovenet.synth.dataset import SynthConfig, write_dataset

    root = tmp_path_factory.mktemp("spines")
    data = write_dataset(root / "gt", SynthConfig(
        n_subjects=4, movements=("backward_bend",), fps=4.0, render=False,
        phenotypes=("FP", "EP"), seed=5), progress=False)  # fmt: skip
    rows = ["subject,movement,file,label"]
    for seq in sorted(p for p in data.iterdir() if p.is_dir()):
        spine, meta = cli._load_truth(seq)
        save_dynamic_spine(root / f"{seq.name}.npz", spine)
        rows.append(f"{seq.name},backward_bend,{seq.name}.npz,{meta['phenotype']}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root / "labels.csv"


def test_train_classifier_from_csv_prints_cv_and_saves(spine_csv, tmp_path, capsys):
    from humanmovenet import classify

    out = tmp_path / "model.pt"
    code = main(["train", "classifier", str(spine_csv), "--out", str(out), "--folds", "2",
                 "--no-progress"])  # fmt: skip
    text = capsys.readouterr().out
    assert code == EXIT_OK, text
    for word in ("accuracy", "balanced accuracy", "Cohen's kappa"):
        assert word in text
    assert text.count("[") >= 3  # each score with its CI
    clf = classify.load(out)
    assert clf.inputs == ("backward_bend",) and clf.kind == "logistic"
    assert clf.metadata["cross_validation"]["folds"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name != "model.pt"]  # no temp files left


def test_train_classifier_errors(spine_csv, tmp_path, capsys):
    args = ["train", "classifier"]
    assert main(args + ["--out", str(tmp_path / "m.pt")]) == EXIT_USAGE
    assert main(args + [str(spine_csv), "--synthetic", "3", "--out", "m.pt"]) == EXIT_USAGE
    assert main(args + [str(tmp_path / "none.csv"), "--out", str(tmp_path / "m.pt")]) == EXIT_INPUT
    assert "no such labels CSV" in capsys.readouterr().err
    # 2 subjects per class cannot fill 3 folds.
    assert main(args + [str(spine_csv), "--out", str(tmp_path / "m.pt"), "--folds", "3",
                        "--no-progress"]) == EXIT_INPUT  # fmt: skip
    assert "fewer subjects than folds" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(args + [str(spine_csv), "--out", str(blocker / "m.pt")]) == EXIT_OUTPUT
    assert main(["train"]) == EXIT_USAGE
    assert not (tmp_path / "m.pt").exists()


def test_train_classifier_synthetic(tmp_path, monkeypatch, capsys):
    from humanmovenet import classify

    monkeypatch.setenv("HUMANMOVENET_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "synthetic.pt"
    code = main(["train", "classifier", "--synthetic", "3", "--inputs", "backward_bend",
                 "--folds", "0", "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == EXIT_OK, capsys.readouterr().err
    clf = classify.load(out)
    assert "SYNTHETIC" in clf.metadata["trained_on"] and clf.inputs == ("backward_bend",)


def test_train_classifier_from_videos(rendered_clips, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HUMANMOVENET_CACHE_DIR", str(rendered_clips["cache"]))
    folder = rendered_clips["folder"]
    rows = [
        f"P{i},backward_bend,{name},{label}"
        for i, (name, label, _) in enumerate(rendered_clips["clips"][:2])
    ]  # the first two clips: FP, EP
    (folder / "cli_labels.csv").write_text("subject,movement,file,label\n" + "\n".join(rows))
    out = tmp_path / "m.pt"
    code = main(["train", "classifier", str(folder / "cli_labels.csv"), "--out", str(out),
                 "--folds", "0", "--no-progress", *FAST_FLAGS])  # fmt: skip
    assert code == EXIT_OK and out.is_file()


@pytest.fixture(scope="module")
def analysis_dir(rendered_clips, tmp_path_factory):  # noqa: F811
    from humanmovenet.pipeline import analyze

    name, _, seq = rendered_clips["clips"][0]
    analysis = analyze(rendered_clips["folder"] / name, fast_config(rendered_clips["cache"]))
    return analysis.save(tmp_path_factory.mktemp("analysis") / "a"), seq


def test_evaluate_writes_json_and_markdown(analysis_dir, tmp_path, capsys):
    folder, seq = analysis_dir
    for recon in (folder, folder / "dynamic_spine.npz"):
        out = tmp_path / f"eval_{recon.suffix or 'dir'}"
        assert main(["evaluate", str(recon), str(seq), "--out", str(out)]) == EXIT_OK
        result = json.loads((out / "evaluation.json").read_text())
        assert "vertebra mean distance" in (out / "evaluation.md").read_text()
        # A real reconstruction: close to the truth, never exactly it.
        assert 0.0 < result["vertebra_mean_distance_mm"] < 100.0
        assert result["hausdorff_mm"]["mean_over_frames"] >= result["vertebra_mean_distance_mm"] / 5
        assert 0.0 < result["angle_mae_deg"]["lumbar_angle"] < 20.0
        assert {"L5/L4", "L1/T12"} <= set(result["level_angle_mae_deg"])
        rom = [m for m in result["metric_errors"] if m["metric"] == "lumbar_rom"]
        assert rom and np.isfinite(rom[0]["error"])
    assert "vertebra mean distance" in capsys.readouterr().out


def test_evaluate_identity_is_zero(analysis_dir, tmp_path):
    """The truth against itself: every distance and error is 0 (the comparison is exact)."""
    from humanmovenet.io.export_npz import save_dynamic_spine

    _, seq = analysis_dir
    spine, _ = cli._load_truth(seq)
    save_dynamic_spine(tmp_path / "truth.npz", spine)
    result = cli.evaluate_reconstruction(tmp_path / "truth.npz", seq)
    assert result["vertebra_mean_distance_mm"] < 1e-3
    assert max(result["angle_mae_deg"].values()) < 1e-6


def test_evaluate_errors(analysis_dir, tmp_path, capsys):
    from humanmovenet.io.export_npz import load_dynamic_spine, save_dynamic_spine

    folder, seq = analysis_dir
    out = tmp_path / "out"
    assert main(["evaluate", str(tmp_path / "none"), str(seq), "--out", str(out)]) == EXIT_INPUT
    assert main(["evaluate", str(folder), str(tmp_path), "--out", str(out)]) == EXIT_INPUT
    spine = load_dynamic_spine(folder / "dynamic_spine.npz")
    short = type(spine)(positions=spine.positions[:-2], frames=spine.frames[:-2], fps=spine.fps,
                        confidence=spine.confidence[:-2], morphology=spine.morphology,
                        pelvis_frames=spine.pelvis_frames[:-2])  # fmt: skip
    save_dynamic_spine(tmp_path / "short.npz", short)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "short.npz"), str(seq), "--out", str(out)]) == 3
    assert "frames but the ground truth" in capsys.readouterr().err
    assert main(["evaluate", str(folder), str(seq.parent), "--out", str(out)]) == EXIT_INPUT
    assert "give one sequence folder" in capsys.readouterr().err
    assert not out.exists()


def test_analyze_overlay_flag(rendered_clips, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HUMANMOVENET_CACHE_DIR", str(rendered_clips["cache"]))
    name = rendered_clips["clips"][0][0]
    out = tmp_path / "analysis"
    code = main(["analyze", str(rendered_clips["folder"] / name), "--out", str(out), "--overlay",
                 "--biomech-n-bootstrap", "0", *FAST_FLAGS])  # fmt: skip
    assert code in (0, 1)
    with av.open(str(out / "overlay.mp4")) as container:
        n = sum(1 for _ in container.decode(video=0))
    assert n == json.loads((out / "metrics.json").read_text())["num_frames"]
    report = tmp_path / "r.html"
    assert main(["report", str(out), "--out", str(report), "--body-points", "0",
                 "--overlay"]) == EXIT_OK  # fmt: skip
    assert (tmp_path / "r_overlay.mp4").stat().st_size > 1000


@pytest.mark.parametrize("argv", [["--help"], ["analyze", "--help"], ["evaluate", "--help"]])
def test_help_imports_no_heavy_library(argv):
    code = (
        "import sys\nfrom humanmovenet.cli import main\nrc = main(sys.argv[1:])\n"
        "heavy = [m for m in ('torch', 'mediapipe', 'vtk') if m in sys.modules]\n"
        "assert not heavy, heavy\nsys.exit(rc)"
    )
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         cwd=Path(cli.__file__).parents[1], timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "usage: humanmovenet" in run.stdout


def test_config_flags_from_source_match_the_dataclasses():
    """--help reads the settings from the source; they must equal the real dataclasses."""
    assert cli.config_field_specs() == cli.config_field_specs(from_source=False)
    full = cli.build_parser()
    lazy = cli.build_parser("analyze")
    sub = {a.dest: a for a in full._subparsers._group_actions[0].choices["analyze"]._actions}
    lazy_sub = {a.dest: a for a in lazy._subparsers._group_actions[0].choices["analyze"]._actions}
    assert sub.keys() == lazy_sub.keys() and any(k.startswith("cfg__") for k in sub)
