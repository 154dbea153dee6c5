"""A smooth (C¹ and C²) curve through the vertebral centres, for drawing and curve metrics."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

__all__ = ["spine_curve"]


def spine_curve(positions: np.ndarray, samples_per_level: int = 8) -> np.ndarray:
    """Resample the spine as a natural cubic spline through the vertebral centres.

    The spline is parameterised by cumulative chord length, so it is C² (hence C¹) continuous
    through every level and passes exactly through each centre.

    Args:
        positions: vertebral centres, caudal to cranial.
        samples_per_level: points per inter-vertebral segment (≥ 1).

    Returns:
        Points on the curve, first and last equal to the first and last centre.

    Shapes:
        positions: (..., K, 3) → (..., (K-1)·samples_per_level + 1, 3).
    """
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim < 2 or positions.shape[-1] != 3 or positions.shape[-2] < 2:
        raise ValueError(
            f"positions: expected shape (..., K, 3) with K ≥ 2, got {positions.shape}."
        )
    if samples_per_level < 1:
        raise ValueError(f"samples_per_level must be ≥ 1, got {samples_per_level}.")
    lead = positions.shape[:-2]
    flat = positions.reshape(-1, *positions.shape[-2:])
    out = []
    for curve in flat:  # one spline per spine (a loop over spines, not over points)
        seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
        if np.any(seg <= 0):
            raise ValueError("positions: two consecutive vertebral centres coincide.")
        s = np.concatenate([[0.0], np.cumsum(seg)])
        fine = np.concatenate(
            [
                np.linspace(s[i], s[i + 1], samples_per_level, endpoint=False)
                for i in range(len(seg))
            ]
            + [s[-1:]]
        )
        out.append(CubicSpline(s, curve, axis=0, bc_type="natural")(fine))
    return np.stack(out).reshape(*lead, -1, 3)
