"""Joint, vertex, temporal and angle errors: MPJPE, PA-MPJPE, PVE, acceleration error, jitter,
angle MAE.

All functions are computed with torch, accept NumPy arrays or tensors with any leading batch
dims, and mirror the input type (tensor in → tensor out, differentiable; NumPy in → float64
NumPy out). Distances are in the unit of the input (metres in humanmovenet); use
:func:`humanmovenet.evaluate.to_mm` to report millimetres.
"""

from __future__ import annotations

import math

import torch

from ._common import (
    ArrayLike,
    as_array,
    check_positive,
    check_same_shape,
    check_trailing,
    finish,
    is_torch,
    to_tensor,
)

__all__ = [
    "fit_similarity_transform",
    "procrustes_align",
    "mpjpe",
    "pa_mpjpe",
    "pve",
    "acceleration_error",
    "jitter",
    "wrap_angle",
    "angle_error_deg",
    "angle_mae_deg",
]

_POINTS_HINT = "Pass points as (..., N, 3) arrays with identical shapes and point order."
_SEQ_HINT = "Pass sequences as (..., T, N, 3) with the frame axis third from last."


def _check_points(pred: ArrayLike, target: ArrayLike, min_points: int = 1) -> None:
    check_trailing("pred", pred, (None, 3), _POINTS_HINT)
    check_trailing("target", target, (None, 3), _POINTS_HINT)
    check_same_shape("pred", pred, "target", target, _POINTS_HINT)
    if pred.shape[-2] < min_points:
        raise ValueError(
            f"pred/target: need at least {min_points} points per set, got {pred.shape[-2]} "
            f"(shape {tuple(pred.shape)})."
        )


def _fit_similarity(
    source: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Umeyama (1991) least-squares similarity, no reflection. See fit_similarity_transform."""
    # 1. centre both point sets
    mu_s = source.mean(dim=-2, keepdim=True)
    mu_t = target.mean(dim=-2, keepdim=True)
    s0, t0 = source - mu_s, target - mu_t
    # 2. cross-covariance Σ = (1/N) Σ_i t_i s_iᵀ and its SVD
    n = source.shape[-2]
    cov = t0.transpose(-1, -2) @ s0 / n
    u, d, vt = torch.linalg.svd(cov)
    # 3. forbid reflections: flip the smallest singular direction when det(U Vᵀ) < 0
    sign = torch.sign(torch.linalg.det(u) * torch.linalg.det(vt))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    ones = torch.ones_like(sign)
    flip = torch.stack([ones, ones, sign], dim=-1)
    rotation = u @ torch.diag_embed(flip) @ vt
    # 4. scale = tr(D S) / σ²_source; translation maps the centroids
    var_s = (s0**2).sum(dim=(-1, -2)) / n
    scale = (d * flip).sum(dim=-1) / var_s
    translation = mu_t.squeeze(-2) - scale[..., None] * (
        rotation @ mu_s.squeeze(-2)[..., None]
    ).squeeze(-1)
    return scale, rotation, translation


def fit_similarity_transform(source: ArrayLike, target: ArrayLike) -> tuple:
    """Least-squares similarity transform mapping ``source`` onto ``target`` (Umeyama 1991).

    Minimises ``Σ_i ‖s·R·x_i + t − y_i‖²`` over a uniform scale ``s > 0``, a proper rotation
    ``R`` (det = +1, reflections are never allowed) and a translation ``t``.

    Args:
        source: points to move, any unit.
        target: corresponding points, same unit and order.

    Returns:
        ``(scale, rotation, translation)`` in the input's type.

    Shapes:
        source, target: (..., N, 3) with N ≥ 3 non-collinear points;
        scale: (...,); rotation: (..., 3, 3); translation: (..., 3).

    Raises:
        ValueError: if shapes differ, the last dim is not 3, or N < 3.
    """
    source, target = as_array(source), as_array(target)
    _check_points(source, target, min_points=3)
    as_torch = is_torch(source, target)
    s, r, t = _fit_similarity(to_tensor(source), to_tensor(target))
    return finish(s, as_torch), finish(r, as_torch), finish(t, as_torch)


def procrustes_align(pred: ArrayLike, target: ArrayLike) -> ArrayLike:
    """Align ``pred`` to ``target`` with the best similarity transform (rotation, uniform
    scale, translation; no reflection), as used by PA-MPJPE.

    Args:
        pred: predicted points.
        target: ground-truth points in the same order.

    Returns:
        ``s·R·pred + t`` in the input's type.

    Shapes:
        pred, target: (..., N, 3), N ≥ 3; returns (..., N, 3).
    """
    pred, target = as_array(pred), as_array(target)
    _check_points(pred, target, min_points=3)
    p, g = to_tensor(pred), to_tensor(target)
    s, r, t = _fit_similarity(p, g)
    aligned = s[..., None, None] * (p @ r.transpose(-1, -2)) + t[..., None, :]
    return finish(aligned, is_torch(pred, target))


def _mean_point_error(p: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(p - g, dim=-1).mean(dim=-1)


def mpjpe(pred: ArrayLike, target: ArrayLike) -> ArrayLike:
    """Mean per-joint position error: ``mean_j ‖pred_j − target_j‖₂``.

    No alignment is applied; subtract the root (e.g. pelvis) from both first for the common
    "root-relative" MPJPE, or use :func:`pa_mpjpe`.

    Args:
        pred: predicted joint positions.
        target: ground-truth joint positions, same unit and joint order.

    Returns:
        Mean Euclidean distance over the N joints, in the input unit, per batch element.

    Shapes:
        pred, target: (..., N, 3); returns (...,) (a scalar for (N, 3) inputs).
    """
    pred, target = as_array(pred), as_array(target)
    _check_points(pred, target)
    return finish(_mean_point_error(to_tensor(pred), to_tensor(target)), is_torch(pred, target))


def pa_mpjpe(pred: ArrayLike, target: ArrayLike) -> ArrayLike:
    """Procrustes-aligned MPJPE: MPJPE after :func:`procrustes_align` of ``pred`` to ``target``
    (similarity: rotation + uniform scale + translation, no reflection), per batch element.

    Shapes:
        pred, target: (..., N, 3), N ≥ 3; returns (...,), in the input unit.
    """
    pred, target = as_array(pred), as_array(target)
    _check_points(pred, target, min_points=3)
    p, g = to_tensor(pred), to_tensor(target)
    s, r, t = _fit_similarity(p, g)
    aligned = s[..., None, None] * (p @ r.transpose(-1, -2)) + t[..., None, :]
    return finish(_mean_point_error(aligned, g), is_torch(pred, target))


def pve(pred: ArrayLike, target: ArrayLike, *, procrustes: bool = False) -> ArrayLike:
    """Per-vertex error: mean Euclidean distance between corresponding mesh vertices.

    Requires the same topology (vertex ``i`` of ``pred`` corresponds to vertex ``i`` of
    ``target``); for different topologies use the surface distances in
    :mod:`humanmovenet.evaluate.distance`.

    Args:
        pred, target: vertex positions in the same unit.
        procrustes: if True, align ``pred`` with a similarity transform first (PA-PVE).

    Shapes:
        pred, target: (..., V, 3); returns (...,), in the input unit.
    """
    return pa_mpjpe(pred, target) if procrustes else mpjpe(pred, target)


def _check_sequences(
    pred: ArrayLike, target: ArrayLike | None, min_frames: int, name: str = "pred"
) -> None:
    check_trailing(name, pred, (None, None, 3), _SEQ_HINT)
    if target is not None:
        check_trailing("target", target, (None, None, 3), _SEQ_HINT)
        check_same_shape("pred", pred, "target", target, _SEQ_HINT)
    if pred.shape[-3] < min_frames:
        raise ValueError(
            f"{name}: need at least {min_frames} frames on the frame axis (third from last), "
            f"got {pred.shape[-3]} in shape {tuple(pred.shape)}. {_SEQ_HINT}"
        )


def _finite_difference(x: torch.Tensor, order: int) -> torch.Tensor:
    for _ in range(order):
        x = x[..., 1:, :, :] - x[..., :-1, :, :]
    return x


def acceleration_error(
    pred: ArrayLike, target: ArrayLike, *, fps: float | None = None
) -> ArrayLike:
    """Mean acceleration error between two point trajectories (as in HMMR / VIBE).

    ``a_t = x_{t+1} − 2 x_t + x_{t−1}`` (second central difference, per frame²) for
    ``t = 1 … T−2``; the error is ``mean_{t,j} ‖a_t^pred − a_t^target‖₂``.

    Units: input unit per frame² when ``fps`` is None (e.g. metres/frame²; multiply by 1000 for
    the mm/frame² usually reported); input unit per s² when ``fps`` is given (the per-frame
    value times ``fps²``; m/s² for metre inputs).

    Args:
        pred, target: trajectories of N points over T ≥ 3 frames.
        fps: frames per second, or None for per-frame² units.

    Shapes:
        pred, target: (..., T, N, 3); returns (...,).
    """
    pred, target = as_array(pred), as_array(target)
    _check_sequences(pred, target, 3)
    check_positive("fps", fps)
    acc = _finite_difference(to_tensor(pred) - to_tensor(target), 2)
    err = torch.linalg.vector_norm(acc, dim=-1).mean(dim=(-1, -2))
    if fps is not None:
        err = err * fps**2
    return finish(err, is_torch(pred, target))


def jitter(points: ArrayLike, *, fps: float | None = None) -> ArrayLike:
    """Jitter of one trajectory: mean norm of the jerk (third finite difference).

    ``j_t = x_{t+2} − 3 x_{t+1} + 3 x_t − x_{t−1}`` for the T−3 valid positions; jitter is
    ``mean_{t,j} ‖j_t‖₂`` (the GLAMR / SLAHMR / TRAM definition). A constant-velocity or
    constant-acceleration motion has jitter 0.

    Units: input unit per frame³ when ``fps`` is None; input unit per s³ when ``fps`` is given
    (per-frame value × ``fps³``; the literature often reports it in 10 m/s³).

    Shapes:
        points: (..., T, N, 3) with T ≥ 4; returns (...,).
    """
    points = as_array(points)
    _check_sequences(points, None, 4, name="points")
    check_positive("fps", fps)
    jerk = _finite_difference(to_tensor(points), 3)
    out = torch.linalg.vector_norm(jerk, dim=-1).mean(dim=(-1, -2))
    if fps is not None:
        out = out * fps**3
    return finish(out, is_torch(points))


def wrap_angle(angle: ArrayLike) -> ArrayLike:
    """Wrap radians into ``[−π, π)``.

    Shapes:
        angle: any shape; returns the same shape.
    """
    angle = as_array(angle)
    a = to_tensor(angle)
    return finish(torch.remainder(a + math.pi, 2 * math.pi) - math.pi, is_torch(angle))


def _angle_error_deg(pred: ArrayLike, target: ArrayLike, unit: str) -> torch.Tensor:
    if unit not in ("rad", "deg"):
        raise ValueError(f"unit must be 'rad' or 'deg', got {unit!r}.")
    pred, target = as_array(pred), as_array(target)
    check_same_shape("pred", pred, "target", target, "Angles must correspond one to one.")
    diff = to_tensor(pred) - to_tensor(target)
    if unit == "deg":
        diff = torch.deg2rad(diff)
    wrapped = torch.remainder(diff + math.pi, 2 * math.pi) - math.pi
    return torch.rad2deg(wrapped.abs())


def angle_error_deg(pred: ArrayLike, target: ArrayLike, *, unit: str = "rad") -> ArrayLike:
    """Absolute angular difference in degrees, wrapped: ``|wrap(pred − target)|`` in [0, 180].

    Args:
        pred, target: angles, in radians (``unit="rad"``, the library convention) or degrees
            (``unit="deg"``).

    Shapes:
        pred, target: any identical shape; returns the same shape.
    """
    return finish(_angle_error_deg(pred, target, unit), is_torch(pred, target))


def angle_mae_deg(
    pred: ArrayLike, target: ArrayLike, *, unit: str = "rad", axis: int | None = None
) -> ArrayLike:
    """Mean absolute angle error in degrees, with wrap-around (359° vs 1° is a 2° error).

    Args:
        pred, target: angles in radians (default) or degrees (``unit="deg"``).
        axis: axis to average over; None averages every element.

    Shapes:
        pred, target: any identical shape; returns a scalar (axis None) or the shape without
        ``axis``.
    """
    err = _angle_error_deg(pred, target, unit)
    out = err.mean() if axis is None else err.mean(dim=axis)
    return finish(out, is_torch(pred, target))
