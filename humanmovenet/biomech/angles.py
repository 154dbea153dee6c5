"""Per-frame angle series of a ``DynamicSpine`` (radians), the inputs of every clinical metric.

Definitions (docs/clinical_metrics.md; spine conventions in docs/spine_model.md). A *segmental*
angle is measured between two consecutive vertebrae, upper relative to lower:

* **segmental sagittal angle**: angle of the upper vertebra's cranial axis, expressed in the
  lower vertebra's frame, in the lower frame's y–z (sagittal) plane (``spine.sagittal_angle``),
  flexion +.
* **segmental lateral angle**: elevation of the upper cranial axis out of the lower frame's
  sagittal plane, ``asin`` of its left (x) component, tilt to the person's left +.
* **lumbar angle** (L1–S1): sum of the segmental sagittal angles L5/S1 … L1/L2; standing
  gives −lordosis. For motion in the sagittal plane it equals the angle of L1 relative to S1
  exactly; summing segments keeps a pure side bend from leaking into it (measured: a 20–25°
  side bend moves the direct S1→L1 sagittal angle by ≈1.6°, the segmental sum by < 0.2°).
* **thoracic angle** (T1–T12): sum of the segmental sagittal angles T11/T12 … T1/T2,
  flexion/kyphosis +.
* **level angles**: the segmental sagittal angles of ``LEVEL_DISCS`` (L5/S1 … T12/L1).
* **lumbar lateral angle**: sum of the segmental lateral angles L5/S1 … L1/L2, left +.
  Unlike the frontal projection of L1 in the S1 frame it does not grow with lordosis or
  flexion: a 10° side bend reads 10°.
* **pelvic tilt**: angle of the pelvis frame's cranial (y) axis to vertical, measured in the
  pelvis's own sagittal plane (vertical × the pelvis's horizontal forward direction), anterior
  (top of the pelvis forward) +. Zero means the body model's neutral pelvis, *not* an
  anatomical reference (ASIS–PSIS line): ``compute_metrics(pelvic_tilt_offset_deg=…)`` adds
  the anatomical tilt of that neutral pelvis.
* **trunk inclination**: angle of the T1 frame's cranial axis to vertical in the same pelvis
  sagittal plane, forward +.

Inclinations are unwrapped over time (``numpy.unwrap``), so a deep forward bend that takes the
T1 axis more than 180° from vertical stays continuous. The pelvis heading (its horizontal
forward direction) is taken from its left (x) axis projected on the horizontal plane, so the
angles do not depend on which way the person walks and stay defined when the pelvis tilts 90°.
"""

from __future__ import annotations

import numpy as np

from ..spine import anatomy
from ..spine.morphology import rest_disc_angles
from ..types import VERTEBRA_NAMES, DynamicSpine, SpineMorphology

__all__ = [
    "LEVEL_DISCS",
    "check_spine",
    "segmental_angles",
    "lumbar_angle_series",
    "thoracic_angle_series",
    "level_angle_series",
    "lumbar_lateral_series",
    "pelvic_tilt_series",
    "trunk_inclination_series",
    "neutral_lumbar_lateral",
]

#: Discs reported as per-level angles, caudal first.
LEVEL_DISCS: tuple[str, ...] = ("L5/S1", "L4/L5", "L3/L4", "L2/L3", "L1/L2", "T12/L1")

_UP = np.array([0.0, 1.0, 0.0])
_T1 = VERTEBRA_NAMES.index("T1")
_MIN_FRAMES = 5
_ORTHO_TOL = 1e-4
_LUMBAR = [anatomy.DISC_NAMES.index(d) for d in anatomy.LUMBAR_DISCS]
_THORACIC = [anatomy.DISC_NAMES.index(d) for d in anatomy.THORACIC_DISCS]
_LEVELS = [anatomy.DISC_NAMES.index(d) for d in LEVEL_DISCS]


def check_spine(spine: DynamicSpine) -> None:
    """Raise ValueError unless ``spine`` can be measured.

    Checks: a ``DynamicSpine`` with the 25 standard levels, at least 5 frames, finite
    positions/frames/pelvis frames/confidence (and hip flexion if given), rotation matrices in
    ``frames`` and ``pelvis_frames``, confidence in [0, 1] and a positive ``fps``.

    Args:
        spine: the dynamic spine to check.
    """
    if not isinstance(spine, DynamicSpine):
        raise ValueError(
            f"expected a humanmovenet.types.DynamicSpine, got {type(spine).__name__}; build one "
            "with the spine stage (humanmovenet.spine) first."
        )
    if tuple(spine.level_names) != VERTEBRA_NAMES:
        raise ValueError(
            "biomech needs the 25 standard levels S1…C1 (types.VERTEBRA_NAMES) in that order, got "
            f"{len(spine.level_names)} levels starting {tuple(spine.level_names[:3])}."
        )
    if spine.num_frames < _MIN_FRAMES:
        raise ValueError(
            f"need at least {_MIN_FRAMES} frames to measure a movement, got {spine.num_frames}."
        )
    for name in ("positions", "frames", "pelvis_frames", "confidence"):
        arr = np.asarray(getattr(spine, name), dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr.reshape(arr.shape[0], -1)).all(axis=1))
            raise ValueError(
                f"DynamicSpine.{name} has NaN/inf in {bad.size} frame(s) (first: "
                f"{bad[:5].tolist()}); fill short gaps by interpolation or drop those frames "
                "before computing metrics."
            )
    for name in ("frames", "pelvis_frames"):
        rot = np.asarray(getattr(spine, name), dtype=np.float64)
        gram = np.einsum("...ji,...jk->...ik", rot, rot)
        err = float(np.abs(gram - np.eye(3)).max())
        if err > _ORTHO_TOL or np.any(np.linalg.det(rot) <= 0):
            raise ValueError(
                f"DynamicSpine.{name} must hold rotation matrices (orthonormal, det +1); the "
                f"largest deviation of RᵀR from I is {err:.2g}. Re-orthonormalise the frames "
                "(e.g. roma.special_procrustes) before computing metrics."
            )
    conf = np.asarray(spine.confidence, dtype=np.float64)
    if conf.min() < 0 or conf.max() > 1:
        raise ValueError(
            f"DynamicSpine.confidence must lie in [0, 1], got values in [{conf.min():.3g}, "
            f"{conf.max():.3g}]."
        )
    if spine.hip_flexion is not None and not np.all(np.isfinite(spine.hip_flexion)):
        raise ValueError(
            "DynamicSpine.hip_flexion has NaN/inf; interpolate it or pass hip_flexion=None."
        )
    if not (np.isfinite(spine.fps) and spine.fps > 0):
        raise ValueError(f"DynamicSpine.fps must be a positive number, got {spine.fps}.")


def segmental_angles(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sagittal and lateral angle of every disc (upper vertebra relative to lower), radians.

    Args:
        frames: vertebra frames, caudal to cranial (columns: left, cranial, anterior axes).

    Returns:
        (sagittal, lateral), each (..., K-1) in ``spine.anatomy.DISC_NAMES`` order; sagittal
        flexion +, lateral to the left +.

    Shapes:
        frames: (..., K, 3, 3) → two (..., K-1) arrays.
    """
    frames = np.asarray(frames, dtype=np.float64)
    lower, upper_y = frames[..., :-1, :, :], frames[..., 1:, :, 1]
    y = np.einsum("...ji,...j->...i", lower, upper_y)  # upper cranial axis in the lower frame
    sagittal = np.arctan2(y[..., 2], y[..., 1])
    lateral = np.arctan2(y[..., 0], np.hypot(y[..., 1], y[..., 2]))
    return sagittal, lateral


def _segments(spine: DynamicSpine) -> tuple[np.ndarray, np.ndarray]:
    return segmental_angles(spine.frames)


def lumbar_angle_series(spine: DynamicSpine) -> np.ndarray:
    """L1–S1 sagittal angle per frame (sum of L5/S1…L1/L2; flexion +), radians.

    Shapes:
        returns (T,).
    """
    return _segments(spine)[0][:, _LUMBAR].sum(axis=-1)


def thoracic_angle_series(spine: DynamicSpine) -> np.ndarray:
    """T1–T12 sagittal angle per frame (sum of T11/T12…T1/T2; kyphosis +), radians.

    Shapes:
        returns (T,).
    """
    return _segments(spine)[0][:, _THORACIC].sum(axis=-1)


def level_angle_series(spine: DynamicSpine) -> np.ndarray:
    """Segmental sagittal angle of each disc in ``LEVEL_DISCS`` per frame (flexion +), radians.

    Shapes:
        returns (T, 6), columns in ``LEVEL_DISCS`` order.
    """
    return _segments(spine)[0][:, _LEVELS]


def lumbar_lateral_series(spine: DynamicSpine) -> np.ndarray:
    """L1–S1 lateral angle per frame (sum of segmental lateral angles; left +), radians.

    Shapes:
        returns (T,).
    """
    return _segments(spine)[1][:, _LUMBAR].sum(axis=-1)


def _heading_forward(pelvis_frames: np.ndarray) -> np.ndarray:
    """Horizontal forward direction of each pelvis frame (unit), from its left axis."""
    left = pelvis_frames[:, :, 0].copy()
    left[:, 1] = 0.0
    norm = np.linalg.norm(left, axis=-1, keepdims=True)
    if np.any(norm < 1e-6):
        raise ValueError(
            "the pelvis left (x) axis is vertical in some frame: the sagittal plane is undefined "
            "(pelvis rolled 90° sideways); check the pelvis_frames of the DynamicSpine."
        )
    return np.cross(left / norm, _UP)  # x × y = z: forward


def _inclination(axis: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Unwrapped angle of ``axis`` to vertical in the plane (up, forward), forward +."""
    return np.unwrap(np.arctan2(np.sum(axis * forward, axis=-1), axis @ _UP))


def pelvic_tilt_series(spine: DynamicSpine) -> np.ndarray:
    """Pelvis cranial axis to vertical in the pelvis sagittal plane (anterior +), radians.

    Zero = the body model's neutral pelvis (identity ``pelvis_frames``); see the module
    docstring for why an anatomical offset is needed for absolute clinical tilt.

    Shapes:
        returns (T,).
    """
    pelvis = np.asarray(spine.pelvis_frames, dtype=np.float64)
    return _inclination(pelvis[:, :, 1], _heading_forward(pelvis))


def trunk_inclination_series(spine: DynamicSpine) -> np.ndarray:
    """T1 cranial axis to vertical in the pelvis sagittal plane (forward +), radians.

    Shapes:
        returns (T,).
    """
    pelvis = np.asarray(spine.pelvis_frames, dtype=np.float64)
    t1_axis = np.asarray(spine.frames, dtype=np.float64)[:, _T1, :, 1]
    return _inclination(t1_axis, _heading_forward(pelvis))


def neutral_lumbar_lateral(morphology: SpineMorphology) -> float:
    """L1–S1 lateral angle of the unposed spine built from ``morphology``, radians.

    It is the zero of lateral bending when a sequence has no standing frames (gait): a spine
    with a lateral deviation is not at 0 when standing. It is the sum of the rest lateral
    angles of L5/S1…L1/L2 (``spine.morphology.rest_disc_angles``), which is exactly what
    ``lumbar_lateral_series`` measures on that rest curve.
    """
    _, lateral = rest_disc_angles(morphology)
    return float(np.sum(lateral[_LUMBAR]))
