"""Static spine morphology ↔ rest-pose disc angles, and measuring morphology on a curve.

Definitions used throughout humanmovenet (docs/spine_model.md):

* **Lumbar lordosis** (L1–S1): sagittal angle between the S1 and L1 frames, positive when
  lordotic (extension curvature).
* **Thoracic kyphosis** (T1–T12): sagittal angle between the T12 and T1 frames, positive when
  kyphotic.
* **Sacral slope**: angle of the S1 superior endplate to the horizontal = the forward tilt of
  the S1 cranial axis from vertical, in the body frame.
* **Lateral deviation**: largest frontal-plane turning (Cobb-like) between any two levels from
  L5 to T1, positive when the curve is convex to the person's left.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..types import VERTEBRA_NAMES, SpineMorphology
from . import anatomy
from .chain import lateral_angle, sagittal_angle

__all__ = [
    "CERVICAL_LORDOSIS_DEG",
    "rest_disc_angles",
    "measure_morphology",
    "lumbar_angle",
    "thoracic_angle",
]

#: Standing cervical lordosis (C7–C2) used for every subject; not personalised.
CERVICAL_LORDOSIS_DEG = 20.0

_S1, _L1 = VERTEBRA_NAMES.index("S1"), VERTEBRA_NAMES.index("L1")
_T12, _T1 = VERTEBRA_NAMES.index("T12"), VERTEBRA_NAMES.index("T1")
_L5 = VERTEBRA_NAMES.index("L5")


def rest_disc_angles(morphology: SpineMorphology) -> tuple[np.ndarray, np.ndarray]:
    """Sagittal and lateral angle of every disc in upright standing.

    Lordosis and kyphosis are spread over their discs by ``anatomy.lordosis_shares`` and
    ``anatomy.kyphosis_shares``. Lateral deviation is a C-curve: the L5/S1 disc tilts half of
    it towards the convex side, L4/L5…T1/T2 turn back by the whole of it (half-sine
    distribution), and C7/T1 restores the head over the pelvis.

    Returns:
        (sagittal, lateral) in radians, each (K-1,) in ``anatomy.DISC_NAMES`` order.
    """
    lordosis = math.radians(morphology.lumbar_lordosis_deg)
    kyphosis = math.radians(morphology.thoracic_kyphosis_deg)
    cervical = math.radians(CERVICAL_LORDOSIS_DEG)
    sagittal = (
        -lordosis * anatomy.lordosis_shares()
        + kyphosis * anatomy.kyphosis_shares()
        - cervical * anatomy.cervical_lordosis_shares()
    )
    lateral = np.zeros(len(anatomy.DISC_NAMES))
    deviation = math.radians(morphology.lateral_deviation_deg)
    if deviation != 0.0:
        names = anatomy.DISC_NAMES
        first, last = names.index("L4/L5"), names.index("T1/T2")
        n = last - first + 1
        shape = np.sin(np.pi * (np.arange(n) + 0.5) / n)
        lateral[names.index("L5/S1")] = 0.5 * deviation
        lateral[first : last + 1] = -deviation * shape / shape.sum()
        lateral[names.index("C7/T1")] = 0.5 * deviation
    return sagittal, lateral


def lumbar_angle(frames: torch.Tensor) -> torch.Tensor:
    """L1–S1 sagittal angle (flexion +; standing lordosis gives a negative value), radians.

    Shapes:
        frames: (..., K, 3, 3) → (...,).
    """
    _check_frames(frames, "lumbar_angle")
    return sagittal_angle(frames[..., _S1, :, :], frames[..., _L1, :, :])


def thoracic_angle(frames: torch.Tensor) -> torch.Tensor:
    """T1–T12 sagittal angle (flexion/kyphosis +), radians.

    Shapes:
        frames: (..., K, 3, 3) → (...,).
    """
    _check_frames(frames, "thoracic_angle")
    return sagittal_angle(frames[..., _T12, :, :], frames[..., _T1, :, :])


def _check_frames(frames: torch.Tensor, name: str) -> None:
    k = len(VERTEBRA_NAMES)
    shape = tuple(getattr(frames, "shape", ()))
    if len(shape) < 3 or shape[-3:] != (k, 3, 3):
        raise ValueError(
            f"{name}: frames must be vertebra rotation matrices of shape (..., {k}, 3, 3) "
            f"(one per vertebra, S1 first, e.g. DynamicSpine.frames), got shape {shape}."
        )


def _lateral_deviation(frames: torch.Tensor) -> float:
    base = frames[_S1]
    tilts = lateral_angle(base.expand(_T1 - _L5 + 1, 3, 3), frames[_L5 : _T1 + 1])
    tilts = tilts.detach().cpu().numpy()
    i_max, i_min = int(np.argmax(tilts)), int(np.argmin(tilts))
    size = float(tilts[i_max] - tilts[i_min])
    return size if i_max <= i_min else -size


def measure_morphology(frames: torch.Tensor | np.ndarray) -> SpineMorphology:
    """Measure the static morphology of one spine (definitions in the module docstring).

    Args:
        frames: vertebra frames of an upright spine in the body frame.

    Returns:
        The measured ``SpineMorphology`` in degrees.

    Shapes:
        frames: (K, 3, 3) with K = 25.
    """
    frames = torch.as_tensor(frames, dtype=torch.float64)
    if tuple(frames.shape) != (len(VERTEBRA_NAMES), 3, 3):
        raise ValueError(
            f"frames: expected shape ({len(VERTEBRA_NAMES)}, 3, 3) for one spine, got "
            f"{tuple(frames.shape)}; measure one frame of a sequence at a time."
        )
    cranial = frames[_S1, :, 1]
    sacral_slope = torch.atan2(cranial[2], cranial[1])
    return SpineMorphology(
        sacral_slope_deg=math.degrees(float(sacral_slope)),
        lumbar_lordosis_deg=-math.degrees(float(lumbar_angle(frames))),
        thoracic_kyphosis_deg=math.degrees(float(thoracic_angle(frames))),
        lateral_deviation_deg=math.degrees(_lateral_deviation(frames)),
    )
