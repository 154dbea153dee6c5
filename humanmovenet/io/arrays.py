"""NPZ files for the 2D stage's outputs: ``Keypoints2D`` and ``Silhouettes``.

Layout (format ``humanmovenet.keypoints2d`` / ``humanmovenet.silhouettes``, version 1; every
array is named as the dataclass field it holds):

``keypoints.npz``
    ``format`` (str), ``version`` (int), ``data`` (T, 33, 3) float32 x px, y px, visibility
    (NaN x, y where not detected), ``fps`` (), ``image_size`` (2,) width, height px,
    ``frame_indices`` (T,) int64, ``detected`` (T,) bool, ``interpolated`` (T,) bool,
    ``landmark_names`` (33,) str, optionally ``world`` (T, 33, 3) float32 metres and
    ``view_facing`` (str), ``view_is_side_view`` (bool), ``view_sagittal_score`` (),
    ``view_message`` (str).

``silhouettes.npz``
    ``format``, ``version``, ``masks_packed`` (bit-packed along the last axis with
    ``numpy.packbits``), ``mask_shape`` (3,) T, H, W, ``fps``, ``image_size``, ``scale``,
    ``valid`` (T,) bool.

Files are written atomically (a temporary file beside the target, renamed on success), so a
failed write never leaves a half-written file. Loading validates everything and raises a
``ValueError`` that says what is wrong.

**Long videos.** Masks are the only large array (a 10-minute 1080p video at ``mask_scale`` 0.5
holds 9.3 GB of booleans), so they never have to fit in memory: :class:`MaskWriter` collects
masks frame by frame into memory when they are small and otherwise into a disk-backed ``.npy``
returned as a read-only memory map (still an ``ndarray``); :func:`save_silhouettes` packs and
writes them in chunks of frames and :func:`load_silhouettes` unpacks them in chunks into a
:class:`MaskWriter`. :func:`release_pages` drops the pages of a memory map already read from the
process's resident set.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from humanmovenet._atomic import atomic_open
from humanmovenet.types import Keypoints2D, Silhouettes, ViewEstimate

__all__ = [
    "KEYPOINTS_FORMAT",
    "SILHOUETTES_FORMAT",
    "FORMAT_VERSION",
    "save_keypoints",
    "load_keypoints",
    "save_silhouettes",
    "load_silhouettes",
    "atomic_write_npz",
    "MaskWriter",
    "iter_mask_chunks",
    "release_pages",
    "MASKS_IN_MEMORY_MAX_BYTES",
]

#: Masks up to this many bytes (unpacked booleans) are kept in memory; larger ones on disk.
MASKS_IN_MEMORY_MAX_BYTES = 256 * 2**20
#: Bytes of unpacked masks handled at a time when packing, unpacking or copying masks.
_CHUNK_BYTES = 32 * 2**20

KEYPOINTS_FORMAT = "humanmovenet.keypoints2d"
SILHOUETTES_FORMAT = "humanmovenet.silhouettes"
FORMAT_VERSION = 1


def atomic_write_npz(path: str | os.PathLike[str], compress: bool = True, **arrays) -> Path:
    """Write ``arrays`` to ``path`` (an ``.npz``) through a temporary file and a rename.

    Raises:
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        (np.savez_compressed if compress else np.savez)(fh, **arrays)
    return path


def save_keypoints(path: str | os.PathLike[str], keypoints: Keypoints2D) -> Path:
    """Save a :class:`Keypoints2D` as ``keypoints.npz`` (layout in the module docstring)."""
    arrays = {
        "format": np.array(KEYPOINTS_FORMAT),
        "version": np.array(FORMAT_VERSION),
        "data": np.asarray(keypoints.data, dtype=np.float32),
        "fps": np.array(float(keypoints.fps)),
        "image_size": np.asarray(keypoints.image_size, dtype=np.int64),
        "frame_indices": np.asarray(keypoints.frame_indices, dtype=np.int64),
        "detected": np.asarray(keypoints.detected, dtype=bool),
        "interpolated": np.asarray(keypoints.interpolated, dtype=bool),
        "landmark_names": np.asarray(keypoints.landmark_names),
    }
    if keypoints.world is not None:
        arrays["world"] = np.asarray(keypoints.world, dtype=np.float32)
    if keypoints.view is not None:
        v = keypoints.view
        arrays |= {
            "view_facing": np.array(v.facing),
            "view_is_side_view": np.array(bool(v.is_side_view)),
            "view_sagittal_score": np.array(float(v.sagittal_score)),
            "view_message": np.array(v.message),
        }
    return atomic_write_npz(path, **arrays)


def _open(
    path: str | os.PathLike[str], fmt: str, skip: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Read and check the small arrays of an npz (names in ``skip`` are only listed, as None)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Give the path of a {fmt} .npz file.")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: (None if k in skip else z[k]) for k in z.files}
    except Exception as exc:  # zipfile.BadZipFile, ValueError, EOFError, ...
        raise ValueError(f"{path}: not a readable .npz file ({exc}). Re-create it.") from exc
    found = str(arrays.get("format", "<none>"))
    if found != fmt:
        raise ValueError(f"{path}: expected a {fmt!r} file, found format {found!r}.")
    version = int(arrays.get("version", -1))
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path}: format version {version} is not supported by this humanmovenet "
            f"(reads version {FORMAT_VERSION}); re-create the file with this version."
        )
    return arrays


def _require(arrays: dict, path, *names: str) -> None:
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ValueError(f"{path}: missing arrays {missing}; the file is incomplete.")


def load_keypoints(path: str | os.PathLike[str]) -> Keypoints2D:
    """Load and validate a ``keypoints.npz`` written by :func:`save_keypoints`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not this format, wrong version, missing arrays, wrong shapes, infinite
            values, NaN in a frame marked detected, or visibility outside [0, 1].
    """
    a = _open(path, KEYPOINTS_FORMAT)
    _require(a, path, "data", "fps", "image_size", "frame_indices", "detected", "interpolated")
    data = a["data"].astype(np.float64)
    if data.ndim != 3 or data.shape[-1] != 3:
        raise ValueError(f"{path}: data must have shape (T, J, 3), got {data.shape}.")
    if np.isinf(data).any():
        raise ValueError(f"{path}: data holds infinite values; landmarks must be finite or NaN.")
    detected = a["detected"].astype(bool)
    interpolated = a["interpolated"].astype(bool)
    if detected.shape != (data.shape[0],) or interpolated.shape != (data.shape[0],):
        raise ValueError(f"{path}: detected/interpolated must have shape ({data.shape[0]},).")
    rows = detected | interpolated
    bad = np.flatnonzero(np.isnan(data[rows][..., :2]).all(axis=(1, 2)))
    if bad.size:
        frames = np.flatnonzero(rows)[bad][:5].tolist()
        raise ValueError(
            f"{path}: frames {frames} are marked detected but all their landmarks are NaN."
        )
    vis = data[..., 2]
    if ((vis < 0) | (vis > 1)).any():
        raise ValueError(f"{path}: visibility (data[..., 2]) must be in [0, 1].")
    view = None
    if "view_facing" in a:
        view = ViewEstimate(
            str(a["view_facing"]),
            bool(a["view_is_side_view"]),
            float(a["view_sagittal_score"]),
            str(a["view_message"]),
        )
    world = a["world"].astype(np.float64) if "world" in a else None
    names = tuple(str(n) for n in a["landmark_names"]) if "landmark_names" in a else None
    kwargs = {"landmark_names": names} if names is not None else {}
    return Keypoints2D(
        data,
        float(a["fps"]),
        tuple(int(v) for v in a["image_size"]),
        a["frame_indices"].astype(np.int64),
        detected,
        interpolated,
        world,
        view,
        **kwargs,
    )


class MaskWriter:
    """Collect (T, H, W) boolean masks one frame at a time without holding them all in memory.

    Small results (``T*H*W <= max_in_memory`` bytes, default
    :data:`MASKS_IN_MEMORY_MAX_BYTES`) are filled into an ordinary array; larger
    ones are written with plain file writes (no dirty pages in the process) to a ``.npy`` file
    in ``folder`` (default: the system temporary folder) and returned by :meth:`finish` as a
    read-only ``numpy.memmap``. The file is unlinked as soon as it is mapped (POSIX), so its
    disk space is freed when the last view of the array goes away and nothing is left behind.

    Frames must be written in order (:meth:`write` or :meth:`write_rows`); frames never written
    stay all False. Use as a context manager, or call :meth:`close` on errors.

    Shapes:
        shape: (T, H, W); each frame (H, W) bool.
    """

    def __init__(
        self,
        shape: tuple[int, int, int],
        *,
        folder: str | os.PathLike[str] | None = None,
        max_in_memory: int | None = None,
    ) -> None:
        shape = tuple(int(v) for v in shape)
        if len(shape) != 3 or min(shape) < 0:
            raise ValueError(f"MaskWriter shape must be (T, H, W) with sizes >= 0, got {shape}.")
        self.shape = shape
        self._next = 0
        self._frame_bytes = shape[1] * shape[2]
        self._array: np.ndarray | None = None
        self._fh = None
        self._path: str | None = None
        limit = MASKS_IN_MEMORY_MAX_BYTES if max_in_memory is None else max_in_memory
        if shape[0] * self._frame_bytes <= limit:
            self._array = np.zeros(shape, dtype=bool)
            return
        fd, self._path = tempfile.mkstemp(prefix="humanmovenet-masks-", suffix=".npy", dir=folder)
        self._cleanup = weakref.finalize(self, _unlink_quietly, self._path)  # never close()d
        try:
            self._fh = os.fdopen(fd, "wb")
            header = {"descr": "|b1", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_2_0(self._fh, header)
        except BaseException:
            self.close()
            raise

    def write(self, index: int, mask: np.ndarray | None) -> None:
        """Store frame ``index`` (must not go back; skipped frames stay False; None = False)."""
        if index < self._next or index >= self.shape[0]:
            raise ValueError(
                f"MaskWriter.write: frame {index} out of order or out of range "
                f"(next is {self._next}, T = {self.shape[0]})."
            )
        if mask is not None and np.shape(mask) != self.shape[1:]:
            raise ValueError(f"mask: expected shape {self.shape[1:]}, got {np.shape(mask)}.")
        if self._array is not None:
            if mask is not None:
                self._array[index] = mask
            self._next = index + 1
            return
        self._pad_to(index)
        data = np.zeros(self.shape[1:], bool) if mask is None else np.asarray(mask, bool)
        self._fh.write(np.ascontiguousarray(data).tobytes())
        self._next = index + 1

    def write_rows(self, masks: np.ndarray) -> None:
        """Append consecutive frames (K, H, W) after the last one written."""
        masks = np.asarray(masks, dtype=bool)
        if masks.ndim != 3 or masks.shape[1:] != self.shape[1:]:
            raise ValueError(f"masks: expected shape (K, {self.shape[1]}, {self.shape[2]}), "
                             f"got {masks.shape}.")  # fmt: skip
        end = self._next + masks.shape[0]
        if end > self.shape[0]:
            raise ValueError(f"MaskWriter.write_rows: {end} frames exceed T = {self.shape[0]}.")
        if self._array is not None:
            self._array[self._next : end] = masks
        else:
            self._fh.write(np.ascontiguousarray(masks).tobytes())
        self._next = end

    def _pad_to(self, index: int) -> None:
        zeros = bytes(self._frame_bytes)
        for _ in range(self._next, index):
            self._fh.write(zeros)

    def finish(self) -> np.ndarray:
        """The (T, H, W) masks: an ndarray, or a read-only memory map for large results."""
        if self._array is not None:
            array, self._array = self._array, None
            return array
        if self._fh is None:
            raise ValueError("MaskWriter.finish: already finished or closed.")
        self._pad_to(self.shape[0])
        self._fh.close()
        self._fh = None
        path, self._path = self._path, None
        self._cleanup.detach()
        try:
            masks = np.load(path, mmap_mode="r")
        except BaseException:
            Path(path).unlink(missing_ok=True)
            raise
        try:
            os.unlink(path)  # the mapping keeps the data; the space is freed with the array
        except OSError:  # e.g. Windows: delete when the array is collected
            weakref.finalize(masks, _unlink_quietly, path)
        return masks

    def close(self) -> None:
        """Discard an unfinished result (idempotent)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._path is not None:
            Path(self._path).unlink(missing_ok=True)
            self._path = None
        self._array = None

    def __enter__(self) -> MaskWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def release_pages(array: np.ndarray) -> None:
    """Drop the resident pages of a read-only memory map (no-op for ordinary arrays).

    Reading a memory-mapped array maps its pages into the process; they count in its resident
    memory until unmapped. For a read-only mapping they can be dropped at any time and are read
    again from the file on the next access.
    """
    mm = getattr(array, "_mmap", None)
    if mm is None or getattr(array, "mode", None) != "r" or not hasattr(mm, "madvise"):
        return
    try:
        mm.madvise(mmap.MADV_DONTNEED)
    except (OSError, ValueError, AttributeError):
        pass


def iter_mask_chunks(masks: np.ndarray, chunk_bytes: int = _CHUNK_BYTES) -> Iterator[np.ndarray]:
    """Consecutive (K, H, W) blocks of ``masks`` as in-memory bool arrays, in frame order.

    Pages of a memory map are released after each block, so the resident memory stays at about
    one block whatever the length of the video.

    Shapes:
        masks: (T, H, W) → blocks (K, H, W) with sum K = T.
    """
    t = masks.shape[0]
    per = max(1, int(chunk_bytes // max(1, masks[0].size if t else 1)))
    for a in range(0, t, per):
        block = np.array(masks[a : a + per], dtype=bool)
        release_pages(masks)
        yield block


def save_silhouettes(path: str | os.PathLike[str], silhouettes: Silhouettes) -> Path:
    """Save :class:`Silhouettes` bit-packed as ``silhouettes.npz`` (layout in the module doc).

    The masks are packed and compressed in chunks of frames, so a memory-mapped mask array of
    any length is written without loading it.
    """
    masks = silhouettes.masks
    if np.ndim(masks) != 3:
        raise ValueError(f"silhouettes.masks: expected shape (T, H, W), got {np.shape(masks)}.")
    t, h, w = (int(v) for v in masks.shape)
    valid = np.ones(t, bool) if silhouettes.valid is None else np.asarray(silhouettes.valid, bool)
    small = {
        "format": np.array(SILHOUETTES_FORMAT),
        "version": np.array(FORMAT_VERSION),
        "mask_shape": np.asarray((t, h, w), dtype=np.int64),
        "fps": np.array(float(silhouettes.fps)),
        "image_size": np.asarray(silhouettes.image_size, dtype=np.int64),
        "scale": np.array(float(silhouettes.scale)),
        "valid": valid,
    }
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for name, value in small.items():
                with zf.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, value, allow_pickle=False)
            with zf.open("masks_packed.npy", "w", force_zip64=True) as member:
                header = {"descr": "|u1", "fortran_order": False, "shape": (t, h, (w + 7) // 8)}
                np.lib.format.write_array_header_2_0(member, header)
                for block in iter_mask_chunks(masks):
                    member.write(np.packbits(block, axis=-1).tobytes())
    return path


def load_silhouettes(
    path: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None
) -> Silhouettes:
    """Load and validate a ``silhouettes.npz`` written by :func:`save_silhouettes`.

    The masks are unpacked in chunks into a :class:`MaskWriter` (``folder``: where large masks
    are put on disk; default the system temporary folder), so a long video's masks come back as
    a read-only memory map instead of filling the memory.
    """
    a = _open(path, SILHOUETTES_FORMAT, skip=("masks_packed",))
    _require(a, path, "masks_packed", "mask_shape", "fps", "image_size", "scale", "valid")
    shape = tuple(int(v) for v in a["mask_shape"])
    if len(shape) != 3 or min(shape) < 0:
        raise ValueError(f"{path}: mask_shape must be (T, H, W), got {shape}.")
    valid = a["valid"].astype(bool)
    if valid.shape != (shape[0],):
        raise ValueError(f"{path}: valid must have shape ({shape[0]},), got {valid.shape}.")
    packed_shape = (shape[0], shape[1], (shape[2] + 7) // 8)
    try:
        with zipfile.ZipFile(path) as zf, zf.open("masks_packed.npy") as member:
            version = np.lib.format.read_magic(member)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)  # fmt: skip
            found, fortran, dtype = read(member)
            if tuple(found) != packed_shape or fortran or dtype != np.uint8:
                raise ValueError(
                    f"{path}: packed masks have shape {tuple(found)} {dtype}, expected "
                    f"{packed_shape} uint8 for mask_shape {shape}; the file is corrupt."
                )
            row = packed_shape[1] * packed_shape[2]
            per = max(1, _CHUNK_BYTES // max(1, shape[1] * shape[2]))
            with MaskWriter(shape, folder=folder) as writer:
                for start in range(0, shape[0], per):
                    k = min(per, shape[0] - start)
                    raw = member.read(k * row)
                    if len(raw) != k * row:
                        raise ValueError(f"{path}: the packed masks are truncated; re-create it.")
                    block = np.frombuffer(raw, np.uint8).reshape(k, *packed_shape[1:])
                    writer.write_rows(np.unpackbits(block, axis=-1, count=shape[2]).astype(bool))
                masks = writer.finish()
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
        raise ValueError(f"{path}: the packed masks cannot be read ({exc}). Re-create it.") from exc
    return Silhouettes(
        masks, float(a["fps"]), tuple(int(v) for v in a["image_size"]), float(a["scale"]), valid
    )
