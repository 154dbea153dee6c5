"""Masks of long videos stay out of memory: disk-backed MaskWriter, chunked save/load, and
estimate_pose giving the same result with its masks on disk as in memory (real MediaPipe)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import humanmovenet.io.arrays as arrays
from humanmovenet.io import open_video
from humanmovenet.io.arrays import MaskWriter, iter_mask_chunks, load_silhouettes, save_silhouettes
from humanmovenet.pose2d import PoseConfig, estimate_pose
from humanmovenet.types import Silhouettes

CLIP = Path(__file__).parent / "data" / "sports2d_walk_1280x720.mp4"


def _masks(t=9, h=7, w=13, seed=0):
    return np.random.default_rng(seed).random((t, h, w)) > 0.5


def test_mask_writer_on_disk_is_a_read_only_map_and_leaves_no_file(tmp_path):
    masks = _masks()
    with MaskWriter(masks.shape, folder=tmp_path, max_in_memory=0) as writer:
        writer.write(0, masks[0])
        writer.write(3, masks[3])  # frames 1, 2 never written: all False
        writer.write(4, None)
        writer.write_rows(masks[5:])
        out = writer.finish()
    expected = masks.copy()
    expected[[1, 2, 4]] = False
    assert isinstance(out, np.memmap) and out.shape == masks.shape and out.dtype == bool
    assert np.array_equal(out, expected)
    assert not out.flags.writeable
    assert list(tmp_path.iterdir()) == []  # unlinked once mapped
    with pytest.raises(ValueError, match="out of order"):
        MaskWriter(masks.shape, folder=tmp_path, max_in_memory=0).write(-1, masks[0])
    import gc

    gc.collect()
    assert list(tmp_path.iterdir()) == []  # an abandoned writer removes its file too


def test_mask_writer_discards_an_unfinished_file(tmp_path):
    writer = MaskWriter((4, 3, 3), folder=tmp_path, max_in_memory=0)
    writer.write(0, np.ones((3, 3), bool))
    with pytest.raises(ValueError, match=r"mask: expected shape \(3, 3\)"):
        writer.write(1, np.ones((3, 4), bool))
    writer.close()
    assert list(tmp_path.iterdir()) == []


def test_chunked_save_and_load_round_trip_through_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "_CHUNK_BYTES", 200)  # 2 frames per chunk: many chunks
    monkeypatch.setattr(arrays, "MASKS_IN_MEMORY_MAX_BYTES", 0)
    masks = _masks(t=11)
    with MaskWriter(masks.shape, max_in_memory=0) as writer:
        writer.write_rows(masks)
        on_disk = writer.finish()
    blocks = list(iter_mask_chunks(on_disk, chunk_bytes=200))
    assert [len(b) for b in blocks] == [2, 2, 2, 2, 2, 1]
    sil = Silhouettes(on_disk, 25.0, (26, 14), 0.5, np.arange(11) % 3 > 0)
    path = save_silhouettes(tmp_path / "s.npz", sil)
    with np.load(path) as z:  # still an ordinary npz, bit-packed
        assert z["masks_packed"].shape == (11, 7, 2)
    back = load_silhouettes(path)
    assert isinstance(back.masks, np.memmap)
    assert np.array_equal(back.masks, masks) and np.array_equal(back.valid, sil.valid)
    assert (back.fps, back.image_size, back.scale) == (25.0, (26, 14), 0.5)


def test_truncated_or_inconsistent_mask_file_is_refused(tmp_path):
    sil = Silhouettes(_masks(), 30.0, (13, 7), 1.0, np.ones(9, bool))
    path = save_silhouettes(tmp_path / "s.npz", sil)
    import zipfile

    with zipfile.ZipFile(path) as zf:  # rewrite masks_packed with one frame missing
        members = {n: zf.read(n) for n in zf.namelist()}
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            if name == "masks_packed.npy":
                import io

                buf = io.BytesIO()
                np.save(buf, np.packbits(_masks()[:8], axis=-1))
                data = buf.getvalue()
            zf.writestr(name, data)
    with pytest.raises(ValueError, match="packed masks have shape"):
        load_silhouettes(bad)
    with pytest.raises(ValueError, match="expected shape"):
        save_silhouettes(tmp_path / "x.npz", type("S", (), {"masks": np.zeros((3, 3))})())


def test_estimate_pose_masks_on_disk_equal_masks_in_memory(monkeypatch):
    with open_video(CLIP, start=60, stop=66) as reader:
        frames = list(reader)
    for f in frames:  # 640 x 360 keeps the test fast
        object.__setattr__(f, "image", np.asarray(Image.fromarray(f.image).resize((640, 360))))
    config = PoseConfig(model="lite", mask_scale=0.25)
    in_memory = estimate_pose(frames, config)
    monkeypatch.setattr(arrays, "MASKS_IN_MEMORY_MAX_BYTES", 0)
    on_disk = estimate_pose(frames, config)
    assert type(in_memory.silhouettes.masks) is np.ndarray
    assert isinstance(on_disk.silhouettes.masks, np.memmap)
    assert on_disk.silhouettes.masks.shape == (6, 90, 160)
    assert np.array_equal(on_disk.silhouettes.masks, in_memory.silhouettes.masks)
    assert in_memory.silhouettes.masks[in_memory.silhouettes.valid].any()
    np.testing.assert_array_equal(on_disk.keypoints.data, in_memory.keypoints.data)
