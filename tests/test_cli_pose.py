"""`humanmovenet pose` on the real clip, a frontal photo and a broken file; keypoint NPZ files."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from humanmovenet.cli import EXIT_FLAGGED, EXIT_INPUT, EXIT_OK, main
from humanmovenet.io.arrays import (
    load_keypoints,
    load_silhouettes,
    save_keypoints,
    save_silhouettes,
)
from humanmovenet.types import Keypoints2D, Silhouettes, ViewEstimate

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"


def test_pose_command_on_real_clip_writes_loadable_results(tmp_path, capsys):
    out = tmp_path / "pose"
    code = main(["pose", str(CLIP), "--out", str(out), "--start", "60", "--stop", "72",
                 "--mask-scale", "0.25"])  # fmt: skip
    assert code == EXIT_OK, capsys.readouterr().err
    kp = load_keypoints(out / "keypoints.npz")
    sil = load_silhouettes(out / "silhouettes.npz")
    assert kp.num_frames == 12 and kp.frame_indices.tolist() == list(range(60, 72))
    assert kp.detected.mean() >= 0.9
    assert kp.view.is_side_view and kp.view.facing == "left"
    assert sil.masks.shape == (12, 180, 320) and sil.masks[kp.detected].any(axis=(1, 2)).all()
    # the woman, not the man on the box: hips in the lower half of the frame
    hips = kp.xy[kp.detected][:, [23, 24], 1]
    assert np.all(hips > 360)
    summary = json.loads((out / "pose.json").read_text())
    assert summary["view"]["facing"] == "left" and summary["frames"] == 12
    assert Image.open(out / "overlay.png").size == (1280, 720)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pose"]


def test_pose_command_flags_a_frontal_view(tmp_path, capsys):
    import matplotlib.cbook as cbook

    photo = Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(4):
        photo.save(folder / f"{i:03d}.png")
    out = tmp_path / "pose"
    assert main(["pose", str(folder), "--out", str(out), "--no-masks"]) == EXIT_FLAGGED
    assert "not a side view" in capsys.readouterr().err
    assert (out / "keypoints.npz").is_file() and not (out / "silhouettes.npz").exists()
    assert json.loads((out / "pose.json").read_text())["view"]["is_side_view"] is False


def test_pose_command_rejects_a_text_file_and_writes_nothing(tmp_path, capsys):
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    out = tmp_path / "pose"
    assert main(["pose", str(fake), "--out", str(out)]) == EXIT_INPUT
    assert "not a readable video" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


def _keypoints(t: int = 5) -> Keypoints2D:
    rng = np.random.default_rng(0)
    data = np.concatenate([rng.uniform(0, 500, (t, 33, 2)), rng.uniform(0, 1, (t, 33, 1))], -1)
    detected = np.ones(t, bool)
    detected[2] = False
    data[2, :, :2], data[2, :, 2] = np.nan, 0.0
    view = ViewEstimate("right", True, 0.9, "side view")
    return Keypoints2D(data, 25.0, (640, 480), np.arange(10, 10 + t), detected,
                       np.zeros(t, bool), rng.normal(size=(t, 33, 3)), view)  # fmt: skip


def test_keypoints_round_trip(tmp_path):
    kp = _keypoints()
    back = load_keypoints(save_keypoints(tmp_path / "k.npz", kp))
    np.testing.assert_allclose(back.data, kp.data, rtol=1e-6)  # stored as float32
    np.testing.assert_array_equal(back.detected, kp.detected)
    np.testing.assert_array_equal(back.frame_indices, kp.frame_indices)
    assert (back.fps, back.image_size, back.view) == (25.0, (640, 480), kp.view)
    assert back.world.shape == (5, 33, 3)


def test_silhouettes_round_trip_bit_packed(tmp_path):
    masks = np.random.default_rng(1).random((3, 7, 13)) > 0.5  # width not a multiple of 8
    sil = Silhouettes(masks, 30.0, (26, 14), 0.5, np.array([True, False, True]))
    back = load_silhouettes(save_silhouettes(tmp_path / "s.npz", sil))
    np.testing.assert_array_equal(back.masks, masks)
    np.testing.assert_array_equal(back.valid, sil.valid)
    assert (back.fps, back.image_size, back.scale) == (30.0, (26, 14), 0.5)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda a: a.update(data=np.where(np.isnan(a["data"]), np.inf, a["data"])), "infinite"),
        (lambda a: a["detected"].__setitem__(2, True), "all their landmarks are NaN"),
        (lambda a: a["data"].__setitem__((0, 0, 2), 1.5), "visibility"),
        (lambda a: a.update(version=np.array(99)), "version 99"),
        (lambda a: a.update(format=np.array("something.else")), "expected a"),
        (lambda a: a.pop("detected"), "missing arrays"),
    ],
)
def test_bad_keypoint_files_are_rejected(tmp_path, damage, message):
    path = save_keypoints(tmp_path / "k.npz", _keypoints())
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    damage(arrays)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=message):
        load_keypoints(path)


def test_missing_or_garbage_keypoint_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_keypoints(tmp_path / "absent.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="not a readable"):
        load_keypoints(junk)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(OSError, match="No space"):
        save_keypoints(tmp_path / "k.npz", _keypoints())
    assert list(tmp_path.iterdir()) == []
