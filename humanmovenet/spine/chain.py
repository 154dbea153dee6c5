"""Pure functions for the vertebral chain: rotations, forward kinematics, angle measurement.

Every function takes torch tensors with any leading batch dimensions, works in float32 and
float64 and is differentiable. Conventions (DESIGN.md §3): +x person's left, +y up, +z forward.
A vertebra frame is a rotation matrix whose columns are the vertebra's left (x), cranial (y) and
anterior (z) axes. A positive rotation about +x tilts +y towards +z: *flexion is positive*.
"""

from __future__ import annotations

import roma
import torch

__all__ = [
    "rotation_x",
    "rotation_z",
    "disc_rotations",
    "chain_forward",
    "sagittal_angle",
    "lateral_angle",
    "fractional_rotation",
]


def _check_last(name: str, x: torch.Tensor, tail: tuple[int, ...]) -> None:
    if tuple(x.shape[-len(tail) :]) != tail or x.ndim < len(tail):
        want = "(..., " + ", ".join(str(t) for t in tail) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {tuple(x.shape)}.")


def rotation_x(angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices about +x (sagittal flexion for positive angles).

    Shapes:
        angle: (...,) radians → (..., 3, 3).
    """
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = (one, zero, zero, zero, c, -s, zero, s, c)
    return torch.stack(rows, dim=-1).reshape(*angle.shape, 3, 3)


def rotation_z(angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices about +z (the forward axis); positive tilts +y towards −x (right).

    Shapes:
        angle: (...,) radians → (..., 3, 3).
    """
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = (c, -s, zero, s, c, zero, zero, zero, one)
    return torch.stack(rows, dim=-1).reshape(*angle.shape, 3, 3)


def disc_rotations(sagittal: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
    """Relative rotation at each disc from its sagittal (flexion +) and lateral (left +) angle.

    The lateral angle tilts the cranial vertebra towards the person's left (+x) when positive.

    Shapes:
        sagittal, lateral: (..., N) radians → (..., N, 3, 3).
    """
    if sagittal.shape != lateral.shape:
        raise ValueError(
            f"sagittal and lateral angles must have the same shape, got {tuple(sagittal.shape)} "
            f"and {tuple(lateral.shape)}."
        )
    return rotation_x(sagittal) @ rotation_z(-lateral)


def chain_forward(
    base_frame: torch.Tensor,
    base_position: torch.Tensor,
    relative: torch.Tensor,
    lengths: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward kinematics of a vertebral chain with rotations at the discs.

    Vertebra ``k+1`` sits ``lengths[k] / 2`` above the disc along its own cranial axis, and the
    disc sits ``lengths[k] / 2`` above vertebra ``k`` along vertebra ``k``'s cranial axis.

    Args:
        base_frame: frame of the first (most caudal) vertebra.
        base_position: centre of the first vertebra.
        relative: rotation of each vertebra relative to the one below it.
        lengths: centre-to-centre distance of consecutive vertebrae (straight chain).

    Returns:
        positions (..., N+1, 3) and frames (..., N+1, 3, 3).

    Shapes:
        base_frame: (..., 3, 3); base_position: (..., 3); relative: (..., N, 3, 3);
        lengths: (N,) or (..., N).
    """
    _check_last("base_frame", base_frame, (3, 3))
    _check_last("base_position", base_position, (3,))
    _check_last("relative", relative, (relative.shape[-3], 3, 3))
    n = relative.shape[-3]
    if lengths.shape[-1] != n:
        raise ValueError(f"lengths: expected {n} entries (one per disc), got {lengths.shape[-1]}.")
    frames = [base_frame]
    positions = [base_position]
    for k in range(n):  # N ≤ 24: a loop over levels, not over data.
        half = (0.5 * lengths[..., k]).unsqueeze(-1)
        disc = positions[-1] + half * frames[-1][..., :, 1]
        frames.append(frames[-1] @ relative[..., k, :, :])
        positions.append(disc + half * frames[-1][..., :, 1])
    return torch.stack(positions, dim=-2), torch.stack(frames, dim=-3)


def sagittal_angle(lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """Sagittal angle of ``upper`` relative to ``lower`` (flexion +), in radians.

    The cranial axis of ``upper`` is expressed in ``lower``'s frame and its angle in the
    lower frame's y–z plane is returned; out-of-plane components are ignored.

    Shapes:
        lower, upper: (..., 3, 3) → (...,).
    """
    _check_last("lower", lower, (3, 3))
    _check_last("upper", upper, (3, 3))
    y = (lower.transpose(-1, -2) @ upper)[..., :, 1]
    return torch.atan2(y[..., 2], y[..., 1])


def lateral_angle(lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """Frontal-plane angle of ``upper`` relative to ``lower`` (tilt to the left +), radians.

    Shapes:
        lower, upper: (..., 3, 3) → (...,).
    """
    _check_last("lower", lower, (3, 3))
    _check_last("upper", upper, (3, 3))
    y = (lower.transpose(-1, -2) @ upper)[..., :, 1]
    return torch.atan2(y[..., 0], y[..., 1])


def fractional_rotation(rotation: torch.Tensor, fraction: torch.Tensor) -> torch.Tensor:
    """``exp(fraction · log(rotation))``: the same axis, a fraction of the angle.

    Shapes:
        rotation: (..., 3, 3); fraction: broadcastable to (...) → (..., 3, 3).
    """
    _check_last("rotation", rotation, (3, 3))
    rotvec = roma.rotmat_to_rotvec(rotation)
    return roma.rotvec_to_rotmat(rotvec * fraction.unsqueeze(-1))
