"""Batch processing: real clips cut from the real walking video, real corrupt files, real pipeline.

One module-scoped batch run (2 local workers) is shared by the tests that inspect its output;
resume, timeout and Ray each run their own (small) batch on top of the same stage cache.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import importlib.util
import math
import shutil
from pathlib import Path

import av
import numpy as np
import pytest

from humanmovenet.batch import collect_inputs, config_hash, run_batch
from humanmovenet.pipeline import Analysis, BiomechConfig, PipelineConfig, analyze
from humanmovenet.pose2d import PoseConfig
from humanmovenet.reconstruct import FitConfig

DATA = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"
GOOD = {"walk_a": (60, 70), "walk_b": (62, 72)}
CORRUPT = ("not_video", "zero_length", "truncated")


def _cut(src: Path, dst: Path, start: int, stop: int, size=(640, 360)) -> None:
    """Frames [start, stop) of ``src``, downscaled, re-encoded with H.264."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = inp.streams.video[0]
        enc = out.add_stream("libx264", rate=round(float(stream.average_rate)))
        enc.width, enc.height, enc.pix_fmt = size[0], size[1], "yuv420p"
        for i, frame in enumerate(inp.decode(stream)):
            if i >= stop:
                break
            if i >= start:
                for packet in enc.encode(frame.reformat(width=size[0], height=size[1],
                                                        format="yuv420p")):  # fmt: skip
                    out.mux(packet)
        for packet in enc.encode():
            out.mux(packet)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for name, (a, b) in GOOD.items():
        _cut(DATA, folder / f"{name}.mp4", a, b)
    (folder / "not_video.mp4").write_text("this is a text file, not a video\n" * 20)
    (folder / "zero_length.mp4").write_bytes(b"")
    good = (folder / "walk_a.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(good[: len(good) // 3])
    return folder


#: Quick settings: the batch must reproduce analyze() whatever the settings, so the tests use
#: the lite landmarker and a short body fit (the defaults' numbers are in docs/batch.md).
QUICK = {"pose": PoseConfig(model="lite"), "reconstruct": FitConfig(iterations=60),
         "biomech": BiomechConfig(n_bootstrap=0)}  # fmt: skip


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> PipelineConfig:
    cache = tmp_path_factory.mktemp("cache")
    return PipelineConfig(**QUICK, cache_dir=str(cache))


@pytest.fixture(scope="module")
def first_run(clips, config, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    return run_batch(clips, out, config, workers=2, timeout_s=600, progress=False)


def _manifest(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as fh:
        return {Path(r["input"]).stem: r for r in csv.DictReader(fh)}


def test_good_clips_match_single_analyze_and_corrupt_ones_are_explained(first_run, clips, config):
    by_name = {i.name: i for i in first_run.items}
    assert set(by_name) == set(GOOD) | set(CORRUPT)
    assert {i.name for i in first_run.ok} == set(GOOD)
    # same spine as one analyze() call on the same clip, computed here without any cache
    single = analyze(clips / "walk_a.mp4", config, cache=False)
    saved = Analysis.load(first_run.output(by_name["walk_a"]))
    assert saved.spine.positions.shape == single.spine.positions.shape
    np.testing.assert_allclose(saved.spine.positions, single.spine.positions, atol=1e-5)
    np.testing.assert_allclose(saved.spine.frames, single.spine.frames, atol=1e-4)
    assert saved.metrics.lumbar_rom.value == pytest.approx(single.metrics.lumbar_rom.value,
                                                           abs=1e-2)  # fmt: skip
    # corrupt inputs: failed, with the exception type and a reason a person can act on
    reasons = {n: by_name[n].reason for n in CORRUPT}
    assert all(by_name[n].status == "failed" for n in CORRUPT)
    assert "empty" in reasons["zero_length"]
    assert "not a readable video" in reasons["not_video"]
    assert reasons["truncated"].split(":")[0].endswith("Error")
    for n in CORRUPT:
        assert not first_run.output(by_name[n]).exists()
    # manifest: every input with hashes, status and reason
    rows = _manifest(first_run.manifest)
    assert set(rows) == set(GOOD) | set(CORRUPT)
    assert rows["walk_b"]["status"] == "ok" and rows["zero_length"]["status"] == "failed"
    assert rows["zero_length"]["input_sha256"] == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256 of b""
    )
    assert {r["config_hash"] for r in rows.values()} == {config_hash(config)}
    assert rows["truncated"]["reason"] == reasons["truncated"]


def test_summary_has_metrics_and_flags(first_run):
    with first_run.summary.open(newline="") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(GOOD) | set(CORRUPT)
    for col in ("lumbar_rom_deg", "lumbar_rom_deg_unc", "pelvic_tilt_range_deg", "flags",
                "symmetry_index_pct", "lumbar_hip_ratio", "movement"):  # fmt: skip
        assert col in rows["walk_a"]
    saved = Analysis.load(first_run.out_dir / "results" / "walk_a")
    assert float(rows["walk_a"]["lumbar_rom_deg"]) == pytest.approx(saved.metrics.lumbar_rom.value)
    assert math.isfinite(float(rows["walk_b"]["pelvic_tilt_range_deg"]))
    assert rows["truncated"]["status"] == "failed" and rows["truncated"]["lumbar_rom_deg"] == ""


def test_resume_skips_finished_and_retries_failed_on_request(first_run, clips, config, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(first_run.out_dir, out)
    mtime_a = (out / "results" / "walk_a" / "analysis.json").stat().st_mtime_ns
    again = run_batch(clips, out, config, workers=1, progress=False)
    assert again.computed == ()  # nothing redone: no worker started at all
    assert {i.name for i in again.ok} == set(GOOD)
    assert {i.name for i in again.failed} == set(CORRUPT)
    # lose one result (as if killed before it finished) and ask to retry the failures
    shutil.rmtree(out / "results" / "walk_b")
    third = run_batch(clips, out, config, workers=1, retry_failed=True, progress=False)
    assert {i.name for i in third.computed} == {"walk_b", *CORRUPT}
    assert {i.name for i in third.ok} == set(GOOD)
    assert (out / "results" / "walk_a" / "analysis.json").stat().st_mtime_ns == mtime_a
    # a changed setting changes the config hash, so nothing is considered finished
    changed = PipelineConfig(**(QUICK | {"biomech": BiomechConfig(n_bootstrap=0, smooth_s=0.2)}),
                             cache_dir=config.cache_dir)  # fmt: skip
    assert config_hash(changed) != config_hash(config)


def test_timeout_is_recorded_and_batch_goes_on(clips, tmp_path):
    cfg = PipelineConfig(**QUICK, cache_dir=str(tmp_path / "cache"))
    result = run_batch([clips / "walk_a.mp4", clips / "zero_length.mp4"], tmp_path / "out", cfg,
                       workers=1, timeout_s=0.5, progress=False)  # fmt: skip
    by_name = {i.name: i for i in result.items}
    assert by_name["walk_a"].status == "failed"
    assert by_name["walk_a"].reason.startswith("TimeoutError")
    assert by_name["zero_length"].status == "failed"  # the replacement worker went on
    assert "empty" in by_name["zero_length"].reason
    assert not (tmp_path / "out" / "results" / "walk_a").exists()


def test_inputs_from_manifest_and_bad_arguments(clips, tmp_path, config):
    (tmp_path / "vids").mkdir()
    shutil.copy(clips / "walk_a.mp4", tmp_path / "vids" / "walk_a.mp4")
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"path,subject\n{clips / 'walk_b.mp4'},1\nvids/walk_a.mp4,2\n")
    found = collect_inputs(manifest)  # absolute as given; relative to the CSV's folder
    assert found == [clips / "walk_b.mp4", tmp_path / "vids" / "walk_a.mp4"]
    (tmp_path / "bad.csv").write_text("file\nx.mp4\n")
    with pytest.raises(ValueError, match="'path'"):
        collect_inputs(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="executor"):
        run_batch(clips, tmp_path / "o", config, executor="spark")
    with pytest.raises(ValueError, match="workers"):
        run_batch(clips, tmp_path / "o", config, workers=0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no videos"):
        run_batch(tmp_path / "empty", tmp_path / "o", config)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                    reason="ray not installed (pip install 'humanmovenet[batch]')")  # fmt: skip
def test_ray_executor_matches_local(first_run, clips, config, tmp_path):
    import ray

    assert not ray.is_initialized()
    result = run_batch([clips / "walk_a.mp4", clips / "not_video.mp4"], tmp_path / "out", config,
                       executor="ray", workers=1, timeout_s=600, progress=False)  # fmt: skip
    assert not ray.is_initialized()  # the local cluster started for the batch is shut down
    by_name = {i.name: i for i in result.items}
    assert by_name["walk_a"].status == "ok", by_name["walk_a"].reason
    assert "not a readable video" in by_name["not_video"].reason
    mine = Analysis.load(result.output(by_name["walk_a"]))
    local = Analysis.load(first_run.out_dir / "results" / "walk_a")
    np.testing.assert_array_equal(mine.spine.positions, local.spine.positions)
    rows = _manifest(result.manifest)
    assert rows["walk_a"]["input_sha256"] == _manifest(first_run.manifest)["walk_a"]["input_sha256"]


class _DiskFullAfter:
    """A file object that accepts ``limit`` characters, then fails like a full disk."""

    def __init__(self, fh, limit: int = 40) -> None:
        self.fh, self.left = fh, limit

    def write(self, data):  # noqa: ANN001, ANN201 - file protocol
        if len(data) > self.left:
            self.fh.write(data[: self.left])
            self.left = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.left -= len(data)
        return self.fh.write(data)


def test_disk_full_on_the_summary_leaves_no_half_written_table(
    clips, config, tmp_path, monkeypatch
):
    """ENOSPC half-way through summary.csv: a clear OSError, no partial or temp file, a complete
    manifest, and the same command afterwards finishes without recomputing anything."""
    import humanmovenet.batch as batch

    real = batch.atomic_open

    @contextlib.contextmanager
    def full_disk(path, mode="wb", **kwargs):  # noqa: ANN001, ANN202
        with real(path, mode, **kwargs) as fh:
            yield _DiskFullAfter(fh) if Path(path).name == "summary.csv" else fh

    monkeypatch.setattr(batch, "atomic_open", full_disk)
    inputs = [clips / "not_video.mp4", clips / "zero_length.mp4"]
    out = tmp_path / "out"
    with pytest.raises(OSError, match="free some space") as info:
        run_batch(inputs, out, config, workers=1, progress=False)
    assert info.value.errno == errno.ENOSPC
    assert not (out / "summary.csv").exists() and not (out / "summary.parquet").exists()
    assert sorted(p.name for p in out.iterdir()) == ["logs", "manifest.csv", "results"]
    rows = _manifest(out / "manifest.csv")
    assert {r["status"] for r in rows.values()} == {"failed"} and len(rows) == 2
    monkeypatch.setattr(batch, "atomic_open", real)
    again = run_batch(inputs, out, config, workers=1, progress=False)
    assert again.computed == () and again.summary.is_file()
    with again.summary.open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 2
