"""Tests of humanmovenet.pose2d on the real sports2d clip and on crafted inputs.

The real clip (tests/data/README.md) shows a woman walking right-to-left in side view (clip
frames ~10-150, facing image-left) in front of a man who walks on a box and jumps off it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import av
import numpy as np
import pytest

from humanmovenet.io import Frame, open_video
from humanmovenet.pose2d import (
    PoseConfig,
    estimate_pose,
    estimate_view,
    iter_poses,
    resolve_pose_model,
)
from humanmovenet.pose2d.tracking import (
    build_tracks,
    fill_short_gaps,
    select_track,
    suppress_duplicates,
)
from humanmovenet.pose2d.view import frame_facing_sign, frame_width_ratio
from humanmovenet.train.build_pose_model import read_input_normalisation
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES, Keypoints2D, Silhouettes

CLIP = Path(__file__).resolve().parent / "data" / "sports2d_walk_1280x720.mp4"
WALK = slice(10, 151)  # clip frames of the woman's side-view walk
#: The man walks on the box: his hips are above this image row; the woman's are below it.
HIP_ROW_SPLIT_PX = 360.0
IDX = {n: i for i, n in enumerate(MEDIAPIPE_LANDMARK_NAMES)}


@pytest.fixture(scope="module")
def walk_result():
    with pytest.warns(UserWarning, match="not detected"):  # the clip's ends lack the woman
        return estimate_pose(CLIP, PoseConfig(model="full", mask_scale=0.25))


def hip_rows(kp: Keypoints2D) -> np.ndarray:
    """Mean hip image row of each detected frame."""
    return kp.xy[kp.detected][:, [IDX["left_hip"], IDX["right_hip"]], 1].mean(axis=1)


# -- real clip ------------------------------------------------------------------------------


def test_real_clip_output_types_and_shapes(walk_result):
    kp, sil = walk_result.keypoints, walk_result.silhouettes
    assert isinstance(kp, Keypoints2D) and isinstance(sil, Silhouettes)
    assert kp.data.shape == (165, 33, 3) and kp.world.shape == (165, 33, 3)
    assert kp.fps == pytest.approx(30.0) and kp.image_size == (1280, 720)
    np.testing.assert_array_equal(kp.frame_indices, np.arange(165))
    assert sil.masks.shape == (165, 180, 320) and sil.scale == 0.25
    np.testing.assert_array_equal(sil.valid, kp.detected)


def test_real_walk_subject_tracked_in_95_percent(walk_result):
    kp = walk_result.keypoints
    assert kp.detected[WALK].mean() >= 0.95
    assert (kp.detected | kp.interpolated)[WALK].all()


def test_real_walk_never_swaps_to_the_other_person(walk_result):
    kp = walk_result.keypoints
    rows = hip_rows(kp)
    assert np.all(rows > HIP_ROW_SPLIT_PX)  # always the woman on the lawn, never the man
    centre_x = np.nanmean(kp.xy[kp.detected | kp.interpolated, :, 0], axis=1)
    assert np.all(np.abs(np.diff(centre_x)) < 40.0)  # no jumps between people
    assert centre_x[-1] < centre_x[0] - 600  # she crosses the image right-to-left


def test_real_walk_view_is_side_facing_left(walk_result):
    view = walk_result.keypoints.view
    assert view.is_side_view and view.sagittal_score > 0.6
    assert view.facing == "left"  # her face and toes point to image-left (see tests/data/README.md)
    assert not any("not a side view" in w for w in walk_result.warnings)


def test_real_walk_landmarks_lie_on_the_silhouette(walk_result):
    kp, sil = walk_result.keypoints, walk_result.silhouettes
    frames = np.flatnonzero(kp.detected)
    inside = []
    for t in frames:
        trunk = kp.xy[
            t, [IDX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
        ]
        px = np.clip(
            np.round(trunk * sil.scale).astype(int),
            0,
            [sil.masks.shape[2] - 1, sil.masks.shape[1] - 1],
        )
        inside.append(sil.masks[t, px[:, 1], px[:, 0]].mean())
    assert np.mean(inside) > 0.9
    body_px = sil.masks[frames].sum(axis=(1, 2)) / sil.scale**2
    assert np.all(body_px > 3000) and np.all(body_px < 0.1 * 1280 * 720)


def test_real_walk_gaps_are_flagged_not_invented(walk_result):
    kp = walk_result.keypoints
    assert not np.any(kp.detected & kp.interpolated)
    assert np.all(np.isfinite(kp.xy[kp.interpolated]))
    missing = ~kp.detected & ~kp.interpolated
    assert missing.any()  # the clip's first/last frames lack the woman
    assert np.all(np.isnan(kp.xy[missing])) and np.all(kp.visibility[missing] == 0)
    assert np.all(~walk_result.silhouettes.masks[~kp.detected])


def test_user_box_selects_the_other_person():
    man_box = (380.0, 0.0, 560.0, 340.0)  # around the man on the box in the first frames
    with open_video(CLIP, stop=60) as reader:
        result = estimate_pose(reader, PoseConfig(subject_box=man_box, output_masks=False))
    kp = result.keypoints
    assert kp.detected.mean() > 0.8
    assert np.all(hip_rows(kp) < HIP_ROW_SPLIT_PX)
    assert result.silhouettes is None


def test_streaming_iter_poses_and_lite_model():
    with open_video(CLIP, start=20, stop=40) as reader:
        poses = list(iter_poses(reader, PoseConfig(model="lite", mask_scale=0.125)))
    assert [p.index for p in poses] == list(range(20, 40))
    found = [p for p in poses if p.detected]
    assert len(found) >= 18
    assert all(p.landmarks.shape == (33, 3) and p.mask.shape == (90, 160) for p in found)


def test_frontal_real_photo_is_flagged():
    import matplotlib.cbook as cbook
    from PIL import Image

    photo = np.asarray(
        Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    )
    frames = [Frame(i, i / 10, photo) for i in range(5)]  # a real frontal portrait
    with pytest.warns(UserWarning, match="not a side view"):
        result = estimate_pose(frames, PoseConfig(output_masks=False))
    view = result.keypoints.view
    assert result.keypoints.detected.all()
    assert not view.is_side_view and view.facing == "unknown"
    assert any("not a side view" in w for w in result.warnings)


def test_video_without_person_is_flagged(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "empty_scene.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(8):
            img = np.full((120, 160, 3), 90, np.uint8) + rng.integers(
                0, 30, (120, 160, 3), dtype=np.uint8
            )
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.warns(UserWarning, match="No person"):
        result = estimate_pose(path)
    kp = result.keypoints
    assert kp.num_frames == 8 and not kp.detected.any() and result.detection_rate == 0.0
    assert np.all(np.isnan(kp.xy)) and kp.view.facing == "unknown" and not kp.view.is_side_view


# -- view estimate on landmark arrays ---------------------------------------------------------


def stick_figure(facing: str, frontal: bool, n: int = 5) -> np.ndarray:
    """(n, 33, 3) crude standing figure in pixels (image y down), visibility 1."""
    d = -1.0 if facing == "left" else 1.0
    half = 40.0 if frontal else 3.0  # left-right spread of shoulders / hips
    pts = {n: (300.0, 300.0) for n in MEDIAPIPE_LANDMARK_NAMES}
    for side, s in (("left", 1.0), ("right", -1.0)):
        pts[f"{side}_shoulder"] = (300 + s * half, 200)
        pts[f"{side}_hip"] = (300 + s * half * 0.7, 330)
        pts[f"{side}_ear"] = (300 + (s * 15 if frontal else -8 * d), 150)
        pts[f"{side}_heel"] = (300 + s * half * 0.5 - (0 if frontal else 10 * d), 560)
        pts[f"{side}_foot_index"] = (300 + s * half * 0.5 + (0 if frontal else 15 * d), 565)
    pts["nose"] = (300 + (0 if frontal else 12 * d), 152)
    one = np.array([[*pts[name], 1.0] for name in MEDIAPIPE_LANDMARK_NAMES])
    return np.repeat(one[None], n, axis=0)


@pytest.mark.parametrize("facing", ["left", "right"])
def test_view_side_figure_facing(facing):
    view = estimate_view(stick_figure(facing, frontal=False))
    assert view.is_side_view and view.facing == facing and view.sagittal_score > 0.8


def test_view_frontal_figure_warns():
    data = stick_figure("left", frontal=True)
    assert np.all(frame_width_ratio(data) > 0.5)
    np.testing.assert_array_equal(frame_facing_sign(data), 0)
    view = estimate_view(data)
    assert not view.is_side_view and view.facing == "unknown" and "WARNING" in view.message


def test_view_oblique_figure_is_a_side_view_with_a_note():
    """Shoulders/hips spread as by a camera ~25° off the side: still a side view (the facing
    is kept for the reconstruction) but flagged as oblique."""
    from humanmovenet.pose2d.view import OBLIQUE_VIEW_SCORE, SIDE_VIEW_MIN_SCORE

    data = stick_figure("right", frontal=False)
    for side, s in (("left", 1.0), ("right", -1.0)):  # half-spread 22 px (shoulders) over 130 px
        data[:, MEDIAPIPE_LANDMARK_NAMES.index(f"{side}_shoulder"), 0] = 300 + s * 22.0
        data[:, MEDIAPIPE_LANDMARK_NAMES.index(f"{side}_hip"), 0] = 300 + s * 20.0
    view = estimate_view(data)
    assert SIDE_VIEW_MIN_SCORE <= view.sagittal_score < OBLIQUE_VIEW_SCORE
    assert view.is_side_view and view.facing == "right"
    assert view.message.startswith("NOTE: oblique side view")


def test_view_mirror_flips_facing():
    data = stick_figure("right", frontal=False)
    mirrored = data.copy()
    mirrored[..., 0] = 640.0 - mirrored[..., 0]
    assert estimate_view(data).facing == "right" and estimate_view(mirrored).facing == "left"


def test_view_rejects_bad_shape_and_handles_no_frames():
    with pytest.raises(ValueError, match=r"\(T, 33, 3\)"):
        estimate_view(np.zeros((5, 17, 3)))
    view = estimate_view(np.full((3, 33, 3), np.nan))
    assert view.facing == "unknown" and not view.is_side_view


# -- tracking and gap filling ----------------------------------------------------------------


def test_fill_short_gaps_interpolates_only_short_interior_gaps():
    t = np.arange(20, dtype=float)
    detected = np.ones(20, bool)
    detected[[0, 5, 6, 12, 13, 14, 15, 16, 19]] = False  # edge, gap of 2, gap of 5, edge
    values = np.where(detected, 2.0 * t, np.nan)
    filled, interp = fill_short_gaps(values, detected, max_gap=3)
    np.testing.assert_allclose(filled[5:7], [10.0, 12.0])
    assert interp[5] and interp[6] and interp.sum() == 2
    assert np.isnan(filled[[0, 12, 16, 19]]).all()


def test_tracks_keep_two_crossing_people_apart():
    # person A walks left at ground level, person B walks right higher up; boxes overlap in x
    times = np.arange(40) / 30.0
    boxes = []
    for k in range(40):
        a = np.array([700 - 10 * k, 400, 760 - 10 * k, 660], float)
        b = np.array([400 + 6 * k, 80, 450 + 6 * k, 330], float)
        boxes.append([b, a] if k % 2 else [a, b])  # detection order changes
    boxes[20] = [boxes[20][0]]  # A or B missing in one frame
    tracks = build_tracks(boxes, times)
    chosen = select_track(tracks, boxes)
    assert len(chosen) >= 39
    assert all(boxes[t][i][1] == 400 for t, i in chosen.items())  # always person A (tallest)
    picked = select_track(tracks, boxes, subject_box=(400, 80, 450, 330))
    assert all(boxes[t][i][1] == 80 for t, i in picked.items())


def test_duplicate_detections_are_suppressed():
    big = np.array([100, 100, 200, 400.0])
    inner = np.array([120, 105, 180, 395.0])
    other = np.array([400, 100, 480, 380.0])
    assert suppress_duplicates([big, inner, other], [0.9, 0.6, 0.8]) == {0, 2}
    assert suppress_duplicates([big, inner, other], [0.5, 0.6, 0.8]) == {1, 2}


# -- configuration and model files -------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"model": "heavy"}, {"mask_scale": 0.0}, {"min_detection_confidence": 1.5}, {"max_gap_s": -1},
     {"subject_box": (10, 10, 5, 20)}, {"max_people": 0}],
)  # fmt: skip
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        PoseConfig(**kwargs)


def test_shipped_models_resolve_and_carry_normalisation():
    for model, std in (("full", 255.0), ("lite", 255.0)):
        path = resolve_pose_model(model)
        with zipfile.ZipFile(path) as bundle:
            assert set(bundle.namelist()) == {
                "pose_detector.tflite",
                "pose_landmarks_detector.tflite",
            }
            assert read_input_normalisation(bundle.read("pose_detector.tflite")) == (127.5, 127.5)
            assert read_input_normalisation(bundle.read("pose_landmarks_detector.tflite")) == (
                0.0,
                std,
            )


def test_corrupt_or_missing_model_gives_clear_errors(tmp_path, monkeypatch):
    (tmp_path / "pose_landmarker_full.task").write_bytes(b"not a model")
    monkeypatch.setenv("HUMANMOVENET_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="corrupt"):
        resolve_pose_model("full")
    monkeypatch.setenv("HUMANMOVENET_POSE_MODEL", str(tmp_path / "nope.task"))
    with pytest.raises(FileNotFoundError, match="HUMANMOVENET_POSE_MODEL"):
        resolve_pose_model("full")
