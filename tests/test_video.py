"""Tests of humanmovenet.io.video: real clip, formats, ranges, resampling, rotation, bad inputs."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from humanmovenet.io import Frame, VideoError, open_video

CLIP = Path(__file__).resolve().parent / "data" / "sports2d_walk_1280x720.mp4"
W, H = 64, 48


def write_video(path: Path, frames: np.ndarray, fps: int = 25, codec: str = "mpeg4", rotation: int = 0,
                options: dict | None = None) -> Path:  # fmt: skip
    """Encode (N, H, W, 3) uint8 RGB frames with PyAV."""
    with av.open(str(path), "w", options=options or {}) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def ramp_frames(n: int) -> np.ndarray:
    """n frames whose mean brightness grows with the frame number."""
    levels = np.linspace(20, 230, n).astype(np.uint8)
    return np.broadcast_to(levels[:, None, None, None], (n, H, W, 3)).copy()


def test_real_clip_metadata_and_frames():
    with open_video(CLIP) as reader:
        assert reader.fps == pytest.approx(30.0)
        assert reader.size == (1280, 720)
        assert reader.num_frames == 165
        assert reader.rotation == 0
        frames = list(reader)
    assert len(frames) == 165
    assert [f.index for f in frames] == list(range(165))
    times = np.array([f.time_s for f in frames])
    np.testing.assert_allclose(np.diff(times), 1 / 30, atol=1e-3)
    img = frames[50].image
    assert isinstance(frames[50], Frame)
    assert img.shape == (720, 1280, 3) and img.dtype == np.uint8 and img.flags.c_contiguous


def test_range_and_target_fps_on_real_clip():
    with open_video(CLIP, start=10, stop=20) as reader:
        assert [f.index for f in reader] == list(range(10, 20))
    with open_video(CLIP, start=30, stop=60, target_fps=10) as reader:
        assert reader.output_fps == pytest.approx(10.0)
        assert [f.index for f in reader] == list(range(30, 60, 3))


@pytest.mark.parametrize(
    "suffix,codec", [("mp4", "libx264"), ("mov", "mpeg4"), ("avi", "mpeg4"), ("mkv", "mpeg4")]
)
def test_container_formats_roundtrip(tmp_path, suffix, codec):
    frames = ramp_frames(12)
    path = write_video(tmp_path / f"ramp.{suffix}", frames, fps=25, codec=codec)
    with open_video(path) as reader:
        assert reader.fps == pytest.approx(25.0)
        assert reader.size == (W, H)
        got = list(reader)
    assert len(got) == 12
    means = np.array([f.image.mean() for f in got])
    np.testing.assert_allclose(means, frames.reshape(12, -1).mean(axis=1), atol=6)


def test_rotation_metadata_is_applied(tmp_path):
    img = np.zeros((H, W, 3), np.uint8)
    img[:, : W // 2] = (255, 0, 0)  # left half red
    path = write_video(tmp_path / "rot.mp4", np.stack([img] * 3), rotation=90)
    with open_video(path) as reader:
        assert reader.rotation == 90
        assert reader.size == (H, W)  # width and height swap
        frame = next(iter(reader))
    assert frame.image.shape == (W, H, 3)
    # 90° counter-clockwise: the left half ends up at the bottom
    assert frame.image[-W // 4 :, :, 0].mean() > 200 and frame.image[: W // 4, :, 0].mean() < 50


def test_image_folder(tmp_path):
    from PIL import Image

    for i, img in enumerate(ramp_frames(4)):
        Image.fromarray(img).save(tmp_path / f"frame_{i:03d}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    with open_video(tmp_path, folder_fps=12.5, start=1) as reader:
        assert reader.fps == 12.5 and reader.size == (W, H)
        frames = list(reader)
    assert [f.index for f in frames] == [1, 2, 3]
    assert frames[0].time_s == pytest.approx(1 / 12.5)


def test_empty_folder_raises(tmp_path):
    with pytest.raises(VideoError, match="no images"):
        open_video(tmp_path)


def test_text_file_renamed_mp4_raises(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("This is a text file, not a video.\n" * 20)
    with pytest.raises(VideoError, match="not a readable video"):
        open_video(path)


def test_empty_and_missing_files_raise(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        open_video(tmp_path / "empty.mp4")
    with pytest.raises(VideoError, match="no such file"):
        open_video(tmp_path / "missing.mp4")


def test_truncated_real_mp4_raises(tmp_path):
    path = tmp_path / "truncated.mp4"
    path.write_bytes(CLIP.read_bytes()[: CLIP.stat().st_size // 2])
    with pytest.raises(VideoError, match="truncated"):
        with open_video(path) as reader:
            list(reader)


@pytest.mark.parametrize("suffix,options", [("mp4", {"movflags": "faststart"}), ("mkv", None)])
def test_truncated_streamable_file_raises_after_partial_decode(tmp_path, suffix, options):
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (50, H, W, 3), dtype=np.uint8)
    full = write_video(tmp_path / f"full.{suffix}", noise, options=options)
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with open_video(full) as reader:
        assert len(list(reader)) == 50
    with pytest.raises(VideoError, match="truncated"):
        with open_video(cut) as reader:
            list(reader)


def test_zero_frame_video_raises(tmp_path):
    path = write_video(tmp_path / "zero.mp4", np.zeros((0, H, W, 3), np.uint8))
    with pytest.raises(VideoError):
        open_video(path)


def test_out_of_range_start_raises():
    with pytest.raises(VideoError, match="no frames in the requested range"):
        with open_video(CLIP, start=1000) as reader:
            list(reader)


@pytest.mark.parametrize("kwargs", [{"start": -1}, {"start": 5, "stop": 5}, {"target_fps": 0}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        open_video(CLIP, **kwargs)
