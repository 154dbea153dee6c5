"""NPZ files of the 3D stages' outputs: ``DynamicSpine``, ``PoseSequence`` and ``BodyShape``.

Same conventions as :mod:`humanmovenet.io.arrays`: every file holds ``format`` (str) and
``version`` (int) arrays, arrays are named after the dataclass field they hold, files are written
atomically (temporary file + rename) and loading validates everything, raising a ``ValueError``
that says what is wrong. Units: metres, seconds, radians; body frame +y up, +z forward, +x the
person's left (DESIGN.md §3). The full layout, array by array, is in ``docs/exports.md``.

``dynamic_spine.npz`` (format ``humanmovenet.dynamic_spine``, version 1)
    ``positions`` (T, K, 3) float64 m — vertebral body centres; ``frames`` (T, K, 3, 3)
    float64 — rotation matrices, columns = vertebra left, cranial, anterior axes in the world;
    ``level_names`` (K,) str, caudal → cranial; ``fps`` () Hz; ``confidence`` (T,) in [0, 1];
    ``pelvis_frames`` (T, 3, 3); ``morphology`` (4,) degrees in the order of
    ``morphology_names``; optional ``hip_flexion`` (T,) rad; optional ``pose_*`` arrays: the
    attached :class:`PoseSequence` in the ``pose_sequence.npz`` layout, each name prefixed
    with ``pose_``.

``pose_sequence.npz`` (format ``humanmovenet.pose_sequence``, version 1)
    ``body_pose`` (T, J, 3) rad axis-angle, local, root excluded; ``root_orient`` (T, 3) rad;
    ``transl`` (T, 3) m; ``fps`` (); ``joint_names`` (J + 1,) str, root first; ``confidence``
    (T,); ``frame`` str (``world``/``camera``); and the shape as in ``body_shape.npz``, each
    name prefixed with ``shape_``.

``body_shape.npz`` (format ``humanmovenet.body_shape``, version 1)
    ``betas`` (S,) float64; ``model`` str; optional ``sliders`` (6,) in [0, 1] (gender, age,
    muscle, weight, height, proportions).
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import numpy as np

from humanmovenet.io.arrays import atomic_write_npz
from humanmovenet.types import (
    BodyShape,
    DynamicSpine,
    PoseSequence,
    ShapeSliders,
    SpineMorphology,
)

__all__ = [
    "DYNAMIC_SPINE_FORMAT",
    "POSE_SEQUENCE_FORMAT",
    "BODY_SHAPE_FORMAT",
    "EXPORT_VERSION",
    "save_dynamic_spine",
    "load_dynamic_spine",
    "save_pose_sequence",
    "load_pose_sequence",
    "save_body_shape",
    "load_body_shape",
]

DYNAMIC_SPINE_FORMAT = "humanmovenet.dynamic_spine"
POSE_SEQUENCE_FORMAT = "humanmovenet.pose_sequence"
BODY_SHAPE_FORMAT = "humanmovenet.body_shape"
EXPORT_VERSION = 1

MORPHOLOGY_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SpineMorphology))
SLIDER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ShapeSliders))
_ROTATION_TOL = 1e-4  # max |RᵀR − I| and |det R − 1| accepted on load (float32 round-off ok)


# --------------------------------------------------------------------------- reading helpers


class _File:
    """The arrays of one opened export file, with checks that name the file in every error."""

    def __init__(self, path: str | os.PathLike[str], fmt: str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(
                f"{self.path}: no such file. Give the path of a {fmt} .npz file."
            )
        try:
            with np.load(self.path, allow_pickle=False) as z:
                self.arrays = {k: z[k] for k in z.files}
        except Exception as exc:  # BadZipFile, ValueError (pickled objects), EOFError, ...
            raise ValueError(
                f"{self.path}: not a readable .npz file ({exc}). Re-create it."
            ) from exc
        found = str(self.arrays.get("format", "<none>"))
        if found != fmt:
            raise ValueError(f"{self.path}: expected a {fmt!r} file, found format {found!r}.")
        try:
            version = int(self.arrays.get("version", -1))
        except (TypeError, ValueError):
            version = -1
        if version != EXPORT_VERSION:
            raise ValueError(
                f"{self.path}: format version {version} is not supported by this humanmovenet "
                f"(reads version {EXPORT_VERSION}); re-create the file with this version."
            )

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray], path: str | os.PathLike[str]) -> _File:
        """The same checks on arrays about to be saved (so every saved file loads back)."""
        f = cls.__new__(cls)
        f.path = Path(path)
        f.arrays = arrays
        return f

    def fail(self, message: str) -> ValueError:
        return ValueError(f"{self.path}: {message}")

    def has(self, name: str) -> bool:
        return name in self.arrays

    def get(self, name: str, shape: tuple[int | None, ...], kind: str = "f") -> np.ndarray:
        """Array ``name`` with the given shape (None = any), numeric kind ``f`` or ``b``."""
        if name not in self.arrays:
            raise self.fail(f"missing array {name!r}; the file is incomplete.")
        a = self.arrays[name]
        ok = a.ndim == len(shape) and all(
            e is None or e == s for e, s in zip(shape, a.shape, strict=True)
        )
        if not ok:
            want = "(" + ", ".join("*" if e is None else str(e) for e in shape) + ")"
            raise self.fail(f"{name} must have shape {want}, got {a.shape}.")
        if kind == "f":
            if a.dtype.kind not in "fiu":
                raise self.fail(f"{name} must be numeric, got dtype {a.dtype}.")
            return a.astype(np.float64)
        if kind == "b":
            return a.astype(bool)
        return a

    def finite(self, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
        a = self.get(name, shape)
        if not np.isfinite(a).all():
            raise self.fail(f"{name} holds NaN or infinite values; it must be finite.")
        return a

    def text(self, name: str) -> str:
        a = self.get(name, (), kind="s")
        if a.dtype.kind != "U":
            raise self.fail(f"{name} must be a string, got dtype {a.dtype}.")
        return str(a)

    def names(self, name: str) -> tuple[str, ...]:
        a = self.get(name, (None,), kind="s")
        if a.dtype.kind != "U":
            raise self.fail(f"{name} must be an array of strings, got dtype {a.dtype}.")
        return tuple(str(n) for n in a)

    def scalar(self, name: str, positive: bool = False) -> float:
        v = float(self.finite(name, ()))
        if positive and not v > 0:
            raise self.fail(f"{name} must be > 0, got {v}.")
        return v

    def rotations(self, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
        r = self.finite(name, (*shape, 3, 3))
        err = np.abs(np.swapaxes(r, -1, -2) @ r - np.eye(3)).max(initial=0.0)
        det = np.abs(np.linalg.det(r) - 1.0).max(initial=0.0) if r.size else 0.0
        if err > _ROTATION_TOL or det > _ROTATION_TOL:
            raise self.fail(
                f"{name} are not rotation matrices (max |RᵀR − I| = {err:.2g}, "
                f"max |det R − 1| = {det:.2g}); the file is corrupt or was written by hand."
            )
        return r

    def unit_interval(self, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
        a = self.finite(name, shape)
        if ((a < 0) | (a > 1)).any():
            raise self.fail(f"{name} must be in [0, 1].")
        return a


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {prefix + k: v for k, v in arrays.items() if k not in ("format", "version")}


class _Sub(_File):
    """A view of the ``prefix``-named arrays of an already opened file."""

    def __init__(self, parent: _File, prefix: str) -> None:
        self.path = parent.path
        n = len(prefix)
        self.arrays = {k[n:]: v for k, v in parent.arrays.items() if k.startswith(prefix)}
        self._prefix = prefix

    def fail(self, message: str) -> ValueError:
        return ValueError(f"{self.path}: {self._prefix}{message}")


# --------------------------------------------------------------------------- BodyShape


def _body_shape_arrays(shape: BodyShape) -> dict[str, np.ndarray]:
    if not isinstance(shape, BodyShape):
        raise ValueError(f"expected a BodyShape, got {type(shape).__name__}.")
    betas = np.asarray(shape.betas, dtype=np.float64)
    if not np.isfinite(betas).all():
        raise ValueError("BodyShape.betas holds NaN or infinite values; they must be finite.")
    arrays = {"betas": betas, "model": np.array(str(shape.model))}
    if shape.sliders is not None:
        arrays["sliders"] = shape.sliders.as_array()
    return arrays


def _read_body_shape(f: _File) -> BodyShape:
    betas = f.finite("betas", (None,))
    model = f.text("model")
    sliders = None
    if f.has("sliders"):
        values = f.unit_interval("sliders", (len(SLIDER_NAMES),))
        sliders = ShapeSliders(*(float(v) for v in values))
    return BodyShape(betas, model, sliders)


def save_body_shape(path: str | os.PathLike[str], shape: BodyShape) -> Path:
    """Save a :class:`BodyShape` as ``body_shape.npz`` (layout in the module docstring).

    Raises:
        ValueError: not a BodyShape, or non-finite betas.
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    arrays = _body_shape_arrays(shape)
    _read_body_shape(_File.of(arrays, path))
    return atomic_write_npz(
        path, format=np.array(BODY_SHAPE_FORMAT), version=np.array(EXPORT_VERSION), **arrays
    )


def load_body_shape(path: str | os.PathLike[str]) -> BodyShape:
    """Load and validate a ``body_shape.npz`` written by :func:`save_body_shape`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not this format or version, missing arrays, wrong shapes, non-finite
            betas, sliders outside [0, 1].
    """
    return _read_body_shape(_File(path, BODY_SHAPE_FORMAT))


# --------------------------------------------------------------------------- PoseSequence


def _pose_arrays(pose: PoseSequence) -> dict[str, np.ndarray]:
    if not isinstance(pose, PoseSequence):
        raise ValueError(f"expected a PoseSequence, got {type(pose).__name__}.")
    arrays = {
        "body_pose": np.asarray(pose.body_pose, dtype=np.float64),
        "root_orient": np.asarray(pose.root_orient, dtype=np.float64),
        "transl": np.asarray(pose.transl, dtype=np.float64),
        "fps": np.array(float(pose.fps)),
        "joint_names": np.asarray(pose.joint_names, dtype=str),
        "confidence": np.asarray(pose.confidence, dtype=np.float64),
        "frame": np.array(str(pose.frame)),
    }
    for name in ("body_pose", "root_orient", "transl"):
        if not np.isfinite(arrays[name]).all():
            raise ValueError(f"PoseSequence.{name} holds NaN or infinite values.")
    return arrays | _prefixed(_body_shape_arrays(pose.shape), "shape_")


def _read_pose(f: _File) -> PoseSequence:
    body_pose = f.finite("body_pose", (None, None, 3))
    t, j = body_pose.shape[:2]
    names = f.names("joint_names")
    if len(names) != j + 1:
        raise f.fail(f"joint_names has {len(names)} names, body_pose has {j} joints + root.")
    frame = f.text("frame")
    if frame not in ("world", "camera"):
        raise f.fail(f"frame must be 'world' or 'camera', got {frame!r}.")
    return PoseSequence(
        body_pose=body_pose,
        root_orient=f.finite("root_orient", (t, 3)),
        transl=f.finite("transl", (t, 3)),
        shape=_read_body_shape(_Sub(f, "shape_")),
        fps=f.scalar("fps", positive=True),
        joint_names=names,
        confidence=f.unit_interval("confidence", (t,)),
        frame=frame,  # type: ignore[arg-type]
    )


def save_pose_sequence(path: str | os.PathLike[str], pose: PoseSequence) -> Path:
    """Save a :class:`PoseSequence` (with its body shape) as ``pose_sequence.npz``.

    Raises:
        ValueError: not a PoseSequence, or non-finite pose values.
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    arrays = _pose_arrays(pose)
    _read_pose(_File.of(arrays, path))
    return atomic_write_npz(
        path, format=np.array(POSE_SEQUENCE_FORMAT), version=np.array(EXPORT_VERSION), **arrays
    )


def load_pose_sequence(path: str | os.PathLike[str]) -> PoseSequence:
    """Load and validate a ``pose_sequence.npz`` written by :func:`save_pose_sequence`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not this format or version, missing arrays, inconsistent shapes,
            non-finite values, confidence outside [0, 1], fps <= 0, unknown frame.
    """
    return _read_pose(_File(path, POSE_SEQUENCE_FORMAT))


# --------------------------------------------------------------------------- DynamicSpine


def save_dynamic_spine(path: str | os.PathLike[str], spine: DynamicSpine) -> Path:
    """Save a :class:`DynamicSpine` (and its ``pose``, if any) as ``dynamic_spine.npz``.

    Layout in the module docstring and ``docs/exports.md``. Positions and frames are stored
    in float64 so a round trip is exact.

    Raises:
        ValueError: not a DynamicSpine, or anything :func:`load_dynamic_spine` would refuse
            (NaN/inf, frames that are not rotations, confidence outside [0, 1], fps <= 0).
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    if not isinstance(spine, DynamicSpine):
        raise ValueError(f"expected a DynamicSpine, got {type(spine).__name__}.")
    m = spine.morphology
    arrays = {
        "format": np.array(DYNAMIC_SPINE_FORMAT),
        "version": np.array(EXPORT_VERSION),
        "positions": np.asarray(spine.positions, dtype=np.float64),
        "frames": np.asarray(spine.frames, dtype=np.float64),
        "level_names": np.asarray(spine.level_names, dtype=str),
        "fps": np.array(float(spine.fps)),
        "confidence": np.asarray(spine.confidence, dtype=np.float64),
        "pelvis_frames": np.asarray(spine.pelvis_frames, dtype=np.float64),
        "morphology": np.array([float(getattr(m, n)) for n in MORPHOLOGY_NAMES]),
        "morphology_names": np.asarray(MORPHOLOGY_NAMES, dtype=str),
    }
    for name in ("positions", "frames", "pelvis_frames"):
        if not np.isfinite(arrays[name]).all():
            raise ValueError(
                f"DynamicSpine.{name} holds NaN or infinite values; fill or drop those frames "
                "before saving."
            )
    if spine.hip_flexion is not None:
        arrays["hip_flexion"] = np.asarray(spine.hip_flexion, dtype=np.float64)
    if spine.pose is not None:
        arrays |= _prefixed(_pose_arrays(spine.pose), "pose_")
    _read_spine(_File.of(arrays, path))  # refuse to write what load_dynamic_spine would refuse
    return atomic_write_npz(path, **arrays)


def load_dynamic_spine(path: str | os.PathLike[str]) -> DynamicSpine:
    """Load and validate a ``dynamic_spine.npz`` written by :func:`save_dynamic_spine`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not this format or version, missing arrays, inconsistent shapes, NaN/inf,
            frames that are not rotation matrices, confidence outside [0, 1], fps <= 0, a pose
            whose frame count differs from the spine's.
    """
    return _read_spine(_File(path, DYNAMIC_SPINE_FORMAT))


def _read_spine(f: _File) -> DynamicSpine:
    names = f.names("level_names")
    k = len(names)
    positions = f.finite("positions", (None, k, 3))
    t = positions.shape[0]
    if f.names("morphology_names") != MORPHOLOGY_NAMES:
        raise f.fail(f"morphology_names must be {MORPHOLOGY_NAMES}.")
    morph = f.finite("morphology", (len(MORPHOLOGY_NAMES),))
    hip = f.finite("hip_flexion", (t,)) if f.has("hip_flexion") else None
    pose = None
    if f.has("pose_body_pose"):
        pose = _read_pose(_Sub(f, "pose_"))
        if pose.body_pose.shape[0] != t:
            raise f.fail(f"the attached pose has {pose.body_pose.shape[0]} frames, spine has {t}.")
    return DynamicSpine(
        positions=positions,
        frames=f.rotations("frames", (t, k)),
        fps=f.scalar("fps", positive=True),
        confidence=f.unit_interval("confidence", (t,)),
        morphology=SpineMorphology(*(float(v) for v in morph)),
        pelvis_frames=f.rotations("pelvis_frames", (t,)),
        level_names=names,
        hip_flexion=hip,
        pose=pose,
    )
