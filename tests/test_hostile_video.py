"""Hostile videos made from the real clip: each gives a clear error or a flagged result."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from humanmovenet.io import open_video
from humanmovenet.pose2d import PoseConfig, estimate_pose

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"
FAST = PoseConfig(output_masks=False)


@pytest.fixture(scope="module")
def walk_frames() -> list[np.ndarray]:
    """Clip frames 60-71 (the woman walking in side view), 640 x 360."""
    with open_video(CLIP, start=60, stop=72) as reader:
        return [np.asarray(Image.fromarray(f.image).resize((640, 360), Image.BILINEAR))
                for f in reader]  # fmt: skip


def _write(path: Path, frames, pts=None, rate=30, time_base=Fraction(1, 30)) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt, stream.time_base = "yuv420p", time_base
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            frame.pts = i if pts is None else int(pts[i])
            frame.time_base = time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_one_frame_video(tmp_path, walk_frames):
    path = _write(tmp_path / "one.mp4", walk_frames[5:6])
    result = estimate_pose(path, FAST)
    kp = result.keypoints
    assert kp.num_frames == 1 and kp.detected.all()
    assert kp.data.shape == (1, 33, 3)


def test_one_frame_video_through_analyze_is_a_clear_error(tmp_path, walk_frames):
    """Not a bare traceback from the metrics after a wasted reconstruction: analyze stops right
    after the 2D stage and says what to do."""
    from humanmovenet.pipeline import PipelineConfig, analyze

    path = _write(tmp_path / "one.mp4", walk_frames[5:6])
    config = PipelineConfig(pose=PoseConfig(model="lite"), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(ValueError, match=r"one\.mp4: only 1 frame\(s\).*at least 5"):
        analyze(path, config)


def test_4k_frames(tmp_path, walk_frames):
    folder = tmp_path / "frames_4k"
    folder.mkdir()
    for i, img in enumerate(walk_frames[:2]):
        Image.fromarray(img).resize((3840, 2160), Image.BILINEAR).save(folder / f"{i:02d}.png")
    result = estimate_pose(folder, PoseConfig(mask_scale=0.1))
    assert result.keypoints.image_size == (3840, 2160)
    assert result.keypoints.detected.all()
    assert result.silhouettes.masks.shape == (2, 216, 384)
    # landmarks are in 4K pixels: the woman's hips sit in the lower half of the frame
    assert np.all(result.keypoints.xy[:, 23:25, 1] > 1080)


def test_variable_frame_rate_is_flagged(tmp_path, walk_frames):
    ticks = np.cumsum([0] + [1, 3] * 6)[:12]  # intervals alternate 1/60 s and 1/20 s
    path = _write(tmp_path / "vfr.mp4", walk_frames, ticks, rate=60, time_base=Fraction(1, 60))
    with pytest.warns(UserWarning, match="Variable frame rate"):
        result = estimate_pose(path, FAST)
    assert any("Variable frame rate" in w for w in result.warnings)
    # resampling to a constant rate is the documented fix and silences the warning
    with open_video(path, target_fps=15) as reader:
        fixed = estimate_pose(reader, FAST)
    assert not any("Variable frame rate" in w for w in fixed.warnings)


def test_constant_frame_rate_is_not_flagged(tmp_path, walk_frames):
    result = estimate_pose(_write(tmp_path / "cfr.mp4", walk_frames), FAST)
    assert not any("Variable" in w or "out of frame" in w or "small" in w for w in result.warnings)


def test_person_half_out_of_frame_is_flagged(tmp_path, walk_frames):
    legs_cut = [f[:300] for f in walk_frames]  # bottom sixth removed: the feet are cut off
    with pytest.warns(UserWarning):
        result = estimate_pose(_write(tmp_path / "cut.mp4", legs_cut), FAST)
    assert any("partly out of frame" in w for w in result.warnings), result.warnings


def test_very_small_person_is_flagged(tmp_path, walk_frames):
    canvas = []
    for f in walk_frames:
        small = np.asarray(Image.fromarray(f).resize((160, 90), Image.BILINEAR))
        big = np.full((720, 1280, 3), 128, np.uint8)
        big[400:490, 600:760] = small
        canvas.append(big)
    with pytest.warns(UserWarning):
        result = estimate_pose(_write(tmp_path / "small.mp4", canvas), FAST)
    flagged = [w for w in result.warnings if "small in the frame" in w or "No person" in w]
    assert flagged, result.warnings
