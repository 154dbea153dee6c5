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
"""

from __future__ import annotations

import os
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
]

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


def _open(path: str | os.PathLike[str], fmt: str) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Give the path of a {fmt} .npz file.")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
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


def save_silhouettes(path: str | os.PathLike[str], silhouettes: Silhouettes) -> Path:
    """Save :class:`Silhouettes` bit-packed as ``silhouettes.npz`` (layout in the module doc)."""
    masks = np.asarray(silhouettes.masks, dtype=bool)
    return atomic_write_npz(
        path,
        format=np.array(SILHOUETTES_FORMAT),
        version=np.array(FORMAT_VERSION),
        masks_packed=np.packbits(masks, axis=-1),
        mask_shape=np.asarray(masks.shape, dtype=np.int64),
        fps=np.array(float(silhouettes.fps)),
        image_size=np.asarray(silhouettes.image_size, dtype=np.int64),
        scale=np.array(float(silhouettes.scale)),
        valid=np.asarray(silhouettes.valid, dtype=bool),
    )


def load_silhouettes(path: str | os.PathLike[str]) -> Silhouettes:
    """Load and validate a ``silhouettes.npz`` written by :func:`save_silhouettes`."""
    a = _open(path, SILHOUETTES_FORMAT)
    _require(a, path, "masks_packed", "mask_shape", "fps", "image_size", "scale", "valid")
    shape = tuple(int(v) for v in a["mask_shape"])
    if len(shape) != 3:
        raise ValueError(f"{path}: mask_shape must be (T, H, W), got {shape}.")
    masks = np.unpackbits(a["masks_packed"], axis=-1, count=shape[-1]).astype(bool)
    if masks.shape != shape:
        raise ValueError(f"{path}: packed masks do not unpack to {shape}; the file is corrupt.")
    return Silhouettes(
        masks, float(a["fps"]), tuple(int(v) for v in a["image_size"]), float(a["scale"]),
        a["valid"].astype(bool),
    )  # fmt: skip
