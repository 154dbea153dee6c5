"""Overlay video of an analysis: real rendered clip, real analyze, read back with PyAV."""

from __future__ import annotations

import av
import numpy as np
import pytest
from test_classify_folder import fast_config, rendered_clips  # noqa: F401 - session fixture

from humanmovenet.viz import overlay_camera, project_points, write_overlay_video


@pytest.fixture(scope="module")
def analysed(rendered_clips):  # noqa: F811
    from humanmovenet.pipeline import analyze

    name, _, seq = rendered_clips["clips"][0]
    video = rendered_clips["folder"] / name
    return video, seq, analyze(video, fast_config(rendered_clips["cache"]))


def _frames(path):
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_overlay_video_draws_on_every_frame(analysed, tmp_path):
    video, seq, analysis = analysed
    out = write_overlay_video(analysis, video, tmp_path / "overlay.mp4")
    assert out.is_file() and not list(tmp_path.glob(".*.tmp"))
    drawn, source = _frames(out), _frames(video)
    w, h = analysis.keypoints.image_size
    assert len(drawn) == analysis.keypoints.num_frames == len(source)
    assert drawn[0].shape == (h - h % 2, w - w % 2, 3)
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name in ("h264", "mpeg4")
    # Pixels change where the spine is drawn, and hardly in the empty top-right corner.
    camera = overlay_camera(analysis)
    uv = np.round(project_points(analysis.spine.positions, camera)).astype(int)
    r = len(drawn) // 2
    diff = np.abs(drawn[r].astype(int) - source[r].astype(int)).sum(-1)
    on_spine = diff[uv[r, :, 1], uv[r, :, 0]]
    corner = diff[: h // 8, -w // 8 :]
    assert np.median(on_spine) > 60 and np.median(corner) < 15
    # The recovered camera puts the reconstruction on the person: the projected landmark
    # joints land near the observed landmarks, and the spine near the true spine.
    assert camera.reprojection_px < 0.05 * h
    true_uv = np.load(seq / "gt.npz")["vertebrae_2d"]
    assert np.nanmean(np.linalg.norm(uv - true_uv, axis=-1)) < 0.06 * h


def test_overlay_errors_leave_nothing(analysed, tmp_path):
    video, _, analysis = analysed
    with pytest.raises(FileNotFoundError, match="not there"):
        write_overlay_video(analysis, tmp_path / "gone.mp4", tmp_path / "o.mp4")
    other = tmp_path / "other.mp4"
    with av.open(str(other), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=4)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 96, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(ValueError, match="pass the video that was analysed"):
        write_overlay_video(analysis, other, tmp_path / "o.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.mp4"]


def test_recovered_camera_matches_the_fitted_one(analysed):
    """The closed-form camera equals the reconstruction's own (re-run here, deterministic)."""
    from humanmovenet.reconstruct import reconstruct_spine

    _, _, analysis = analysed
    facing = analysis.keypoints.view.facing if analysis.keypoints.view is not None else None
    _, fit, _ = reconstruct_spine(analysis.keypoints, analysis.silhouettes,
                                  config=analysis.config.reconstruct,
                                  facing=facing if facing in ("left", "right") else None)  # fmt: skip
    camera = overlay_camera(analysis)
    np.testing.assert_allclose(camera.K, fit.K, atol=1e-3)
    cos = (np.trace(camera.R @ fit.camera_R.T) - 1) / 2
    assert np.degrees(np.arccos(np.clip(cos, -1, 1))) < 2.0

    class WithCamera:  # an analysis that stores the fitted camera is used as is
        camera_R, camera_K = fit.camera_R, fit.K

        def __getattr__(self, name):
            return getattr(analysis, name)

    np.testing.assert_array_equal(overlay_camera(WithCamera()).R, fit.camera_R)
