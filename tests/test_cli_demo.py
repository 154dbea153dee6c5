"""The `humanmovenet demo` command writes its picture and numbers, and fails cleanly."""

import json
import os
import stat

import pytest

from humanmovenet.cli import EXIT_FLAGGED, EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, main


def test_demo_writes_png_and_measured_angles(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--body-only"]) == EXIT_OK
    png = (out / "spine_demo.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    summary = json.loads((out / "spine_demo.json").read_text())
    flexed = summary["poses"][1]
    assert flexed["measured_lumbar_flexion_deg"] == pytest.approx(
        flexed["lumbar_flexion_deg"], abs=1e-3
    )
    assert 26 <= summary["standing_morphology"]["lumbar_lordosis_deg"] <= 38
    # no temporary folders left beside the output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_unknown_flag_is_usage_error(capsys):
    assert main(["demo", "--no-such-flag"]) == EXIT_USAGE
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_output_leaves_nothing(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert main(["demo", "--out", str(locked / "out")]) == EXIT_OUTPUT
        assert "cannot write" in capsys.readouterr().err
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(stat.S_IRWXU)


def test_disk_full_midway_leaves_no_partial_output(tmp_path, monkeypatch, capsys):
    """A write that fails half-way (ENOSPC) gives the output exit code and no folder at all."""
    import errno

    import humanmovenet.demo

    def fill_disk(out_dir):
        (out_dir / "spine_demo.png").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(humanmovenet.demo, "run_body_demo", fill_disk)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--body-only"]) == EXIT_OUTPUT
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_output_under_a_file_is_output_error(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["demo", "--out", str(blocker / "out")]) == EXIT_OUTPUT
    assert "cannot write" in capsys.readouterr().err


def test_synth_command_writes_a_tiny_dataset(tmp_path):
    out = tmp_path / "synth"
    code = main(["synth", "--out", str(out), "--n-subjects", "1", "--movements", "forward_bend",
                 "--size", "64", "--fps", "4", "--no-progress"])  # fmt: skip
    assert code == EXIT_OK
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest and (out / "s0000_forward_bend" / "gt.npz").is_file()


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == EXIT_OK
    text = capsys.readouterr().out
    for command in ("demo", "pose", "analyze", "report", "batch", "train", "evaluate", "synth"):
        assert command in text


@pytest.mark.slow
def test_full_demo_analyses_a_rendered_bend_against_its_truth(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == EXIT_OK
    demo = out / "analysis_demo"
    comparison = json.loads((demo / "comparison.json").read_text())
    assert comparison["movement_detected"] == "forward_bend"
    rows = {r["metric"]: r for r in comparison["metrics"]}
    # the truth is exact; the estimate comes from the frames alone (measured error -4.0°)
    assert abs(rows["lumbar_rom"]["error"]) < 10.0
    assert rows["lumbar_rom"]["ground_truth"] > 20.0
    assert (demo / "report.html").is_file() and (demo / "analysis" / "analysis.json").is_file()
    # the shipped real walking clip, analysed as gait: strides found, a report written
    walk = json.loads((out / "real_clip_demo" / "summary.json").read_text())
    assert walk["movement"] == "gait" and walk["gait_cycles"] >= 1
    assert (out / "real_clip_demo" / "report.html").is_file()
    # the FP / EP pair: both analysed as backward bends; the EP person's true standing
    # lordosis is larger (the synthetic patterns), and each estimate is finite
    pair = json.loads((out / "pattern_pair_demo" / "pair.json").read_text())
    truth = {k: {r["metric"]: r for r in v["metrics"]} for k, v in pair["people"].items()}
    lordosis = "standing_lumbar_lordosis"
    assert truth["EP"][lordosis]["ground_truth"] > truth["FP"][lordosis]["ground_truth"]
    assert all(r["estimated"] is not None for v in truth.values() for r in v.values()
               if r["metric"] != "lumbar_hip_ratio")  # fmt: skip
    for label in ("FP", "EP"):
        assert (out / "pattern_pair_demo" / f"report_{label}.html").is_file()
    text = capsys.readouterr().out
    assert "estimated" in text and "EP est" in text and "gait cycles" in text


def test_batch_command_reports_failures_with_exit_code(tmp_path, capsys):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "broken.mp4").write_text("not a video")
    out = tmp_path / "batch"
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1"]) == EXIT_FLAGGED
    assert "not a readable video" in capsys.readouterr().err
    assert (out / "manifest.csv").is_file() and (out / "summary.csv").is_file()
