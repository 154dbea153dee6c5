"""Unit conversion for reporting distances (metrics work in the input unit, metres here)."""

from __future__ import annotations

from ._common import ArrayLike, finish, is_torch, to_tensor

__all__ = ["MM_PER_UNIT", "to_mm"]

#: Millimetres per unit, for the units accepted by :func:`to_mm`.
MM_PER_UNIT: dict[str, float] = {"m": 1000.0, "cm": 10.0, "mm": 1.0}


def to_mm(value: ArrayLike, unit: str = "m") -> ArrayLike:
    """Convert a distance from ``unit`` (``"m"``, ``"cm"`` or ``"mm"``) to millimetres.

    For derived units scale accordingly: an acceleration error in m/frame² becomes mm/frame²
    with ``to_mm(err)``; a squared Chamfer distance in m² needs ``to_mm(to_mm(cd))``.

    Shapes:
        value: any shape; returns the same shape and type (NumPy float64 or torch).
    """
    if unit not in MM_PER_UNIT:
        raise ValueError(f"unit must be one of {sorted(MM_PER_UNIT)}, got {unit!r}.")
    return finish(to_tensor(value) * MM_PER_UNIT[unit], is_torch(value))
