"""Image metrics: PSNR (optionally masked to the person) and 2D silhouette IoU.

PSNR and IoU are evaluation metrics, not losses: they are computed in NumPy (float64), accept
NumPy arrays or tensors, and mirror the input type of ``pred``/``target`` (tensor in → tensor
out, detached).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._common import ArrayLike, check_same_shape, finish, is_torch, to_numpy

__all__ = [
    "FrameScores",
    "default_data_range",
    "person_mask",
    "psnr",
    "psnr_frames",
    "silhouette_iou",
]

_INTEGER_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def default_data_range(dtype: np.dtype | str) -> float:
    """The PSNR ``data_range`` implied by an image dtype.

    ``uint8`` → 255, ``uint16`` → 65535, ``bool`` → 1. Float and other dtypes have no implied
    range: a ValueError asks for an explicit ``data_range`` (1.0 for images in [0, 1]).
    """
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return 1.0
    if dt in _INTEGER_RANGES:
        return _INTEGER_RANGES[dt]
    raise ValueError(
        f"cannot infer data_range for dtype {dt}: pass data_range explicitly (e.g. "
        "data_range=1.0 for float images in [0, 1], 255.0 for float images in [0, 255])."
    )


def _resolve_range(pred: np.ndarray, target: np.ndarray, data_range: float | None) -> float:
    if data_range is not None:
        if not np.isfinite(data_range) or data_range <= 0:
            raise ValueError(f"data_range must be a finite number > 0, got {data_range!r}.")
        return float(data_range)
    if pred.dtype != target.dtype:
        raise ValueError(
            f"pred is {pred.dtype} and target is {target.dtype}: pass data_range explicitly."
        )
    return default_data_range(pred.dtype)


def person_mask(
    mask_pred: ArrayLike, mask_target: ArrayLike, mode: Literal["union", "intersection"] = "union"
) -> np.ndarray:
    """Combine two person silhouettes into the region PSNR is evaluated on.

    ``"union"`` (recommended): pixels that are person in either image, so a missing or an extra
    body part both count. ``"intersection"``: pixels that are person in both (appearance error
    only, ignores silhouette errors).

    Shapes:
        mask_pred, mask_target: (..., H, W) bool; returns (..., H, W) bool NumPy.
    """
    a, b = to_numpy(mask_pred).astype(bool), to_numpy(mask_target).astype(bool)
    check_same_shape("mask_pred", a, "mask_target", b)
    if mode == "union":
        return a | b
    if mode == "intersection":
        return a & b
    raise ValueError(f"mode must be 'union' or 'intersection', got {mode!r}.")


def _image_ndim(has_channels: bool) -> int:
    return 3 if has_channels else 2


#: Max elements of the squared-difference buffer held at once (bounds memory for long videos).
_CHUNK_ELEMENTS = 8_000_000


def _sum_squared_diff(p: np.ndarray, t: np.ndarray, has_channels: bool) -> np.ndarray:
    """Per-pixel squared differences summed over channels, exact for integer images.

    Integer/bool images are differenced in int32 and summed in int64 (exact); others in float64.
    Returns (n, H, W) float64.
    """
    if p.dtype.kind in "ub" and t.dtype.kind in "ub":
        d = p.astype(np.int32) - t.astype(np.int32)
        d2 = d * d
        return (d2.sum(axis=-1, dtype=np.int64) if has_channels else d2).astype(np.float64)
    d = p.astype(np.float64) - t.astype(np.float64)
    return (d * d).sum(axis=-1) if has_channels else d * d


def _mse(
    pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None, has_channels: bool
) -> np.ndarray:
    """Per-image mean squared error over pixels (and channels), restricted to ``mask``.

    Images are processed in chunks of the flattened batch so memory stays bounded.
    """
    n_img = _image_ndim(has_channels)
    batch = pred.shape[: pred.ndim - n_img]
    p = pred.reshape(-1, *pred.shape[pred.ndim - n_img :])
    t = target.reshape(p.shape)
    channels = p.shape[-1] if has_channels else 1
    m = None if mask is None else mask.reshape(-1, *mask.shape[mask.ndim - 2 :])
    step = max(1, _CHUNK_ELEMENTS // max(1, int(np.prod(p.shape[1:]))))
    out = np.empty(p.shape[0], dtype=np.float64)
    for i in range(0, p.shape[0], step):  # loop over chunks of images, never over pixels
        d2 = _sum_squared_diff(p[i : i + step], t[i : i + step], has_channels)
        if m is None:
            out[i : i + step] = d2.mean(axis=(-1, -2)) / channels
            continue
        mi = m[i : i + step]
        count = mi.sum(axis=(-1, -2)) * channels
        total = np.where(mi, d2, 0.0).sum(axis=(-1, -2))
        out[i : i + step] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out.reshape(batch)


def _psnr_from_mse(mse: np.ndarray, data_range: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse)


def _prepare(pred, target, mask, has_channels):
    p, t = to_numpy(pred), to_numpy(target)
    check_same_shape("pred", p, "target", t, "Resize/crop so both images match.")
    n = _image_ndim(has_channels)
    if p.ndim < n:
        want = "(..., H, W, C)" if has_channels else "(..., H, W)"
        raise ValueError(f"pred: expected shape {want}, got {p.shape}.")
    m = None
    if mask is not None:
        m = to_numpy(mask).astype(bool)
        want_shape = p.shape[:-1] if has_channels else p.shape
        if m.shape != want_shape:
            raise ValueError(
                f"mask: expected shape {want_shape} (images without the channel axis), got "
                f"{m.shape}. Build it with person_mask(mask_pred, mask_target)."
            )
    return p, t, m


def psnr(
    pred: ArrayLike,
    target: ArrayLike,
    *,
    data_range: float | None = None,
    mask: ArrayLike | None = None,
    has_channels: bool = False,
) -> ArrayLike:
    """Peak signal-to-noise ratio in dB: ``10·log10(data_range² / MSE)``.

    MSE is the mean of squared differences over all pixels and channels of each image, or over
    the pixels where ``mask`` is True (all channels of those pixels). Identical images give
    ``+inf``; an empty mask gives NaN.

    Args:
        pred, target: images of the same shape and dtype (any leading batch dims).
        data_range: peak-to-peak value range. Default: 255 for uint8, 65535 for uint16, 1 for
            bool; **required** for float images (1.0 for images in [0, 1]).
        mask: optional region, e.g. :func:`person_mask` of both silhouettes.
        has_channels: True if the last axis is a colour channel axis.

    Returns:
        PSNR per image in dB: a scalar for one image, an array over the leading dims otherwise.

    Shapes:
        pred, target: (..., H, W) or, with ``has_channels``, (..., H, W, C);
        mask: (..., H, W); returns (...,).
    """
    p, t, m = _prepare(pred, target, mask, has_channels)
    rng = _resolve_range(p, t, data_range)
    return finish(_psnr_from_mse(_mse(p, t, m, has_channels), rng), is_torch(pred, target))


@dataclass(frozen=True)
class FrameScores:
    """A per-frame metric and its summaries.

    Attributes:
        per_frame: the metric of each frame (NaN where undefined, e.g. empty mask).
        mean: arithmetic mean of the finite-or-inf per-frame values, NaNs ignored
            (``inf`` if any frame is identical).
        pooled: the metric computed once from the pooled error over all frames (for PSNR:
            ``10·log10(R² / mean_t MSE_t)``), which is finite unless every frame is perfect.

    Shapes:
        per_frame: (T,).
    """

    per_frame: np.ndarray
    mean: float
    pooled: float


def psnr_frames(
    pred: ArrayLike,
    target: ArrayLike,
    *,
    data_range: float | None = None,
    mask: ArrayLike | None = None,
) -> FrameScores:
    """PSNR of a video, frame by frame, with its mean and pooled value.

    Same definition as :func:`psnr`. The channel axis is inferred from the number of dims:
    (T, H, W) = grey, (T, H, W, C) = colour. ``pooled`` weights each frame's MSE equally
    (masked: by its mask pixel count).

    Shapes:
        pred, target: (T, H, W) or (T, H, W, C); mask: (T, H, W); per_frame: (T,).
    """
    p = to_numpy(pred)
    if p.ndim not in (3, 4):
        raise ValueError(
            f"pred: expected (T, H, W) or (T, H, W, C), got {p.shape}. For one image use psnr()."
        )
    has_channels = p.ndim == 4
    p, t, m = _prepare(pred, target, mask, has_channels)
    rng = _resolve_range(p, t, data_range)
    mse = _mse(p, t, m, has_channels)
    per_frame = _psnr_from_mse(mse, rng)
    if m is None:
        pooled_mse = float(np.mean(mse))
    else:
        counts = m.sum(axis=(-1, -2))
        pooled_mse = float(np.nansum(mse * counts) / max(int(counts.sum()), 1))
    defined = per_frame[~np.isnan(per_frame)]
    mean = float(defined.mean()) if defined.size else float("nan")
    return FrameScores(per_frame, mean, float(_psnr_from_mse(np.float64(pooled_mse), rng)))


def silhouette_iou(pred: ArrayLike, target: ArrayLike, *, empty_value: float = 1.0) -> ArrayLike:
    """Intersection over union of binary silhouettes, per frame: ``|P ∩ G| / |P ∪ G|``.

    Non-boolean inputs are binarised with ``> 0.5`` (probabilities) — pass bool masks to avoid
    surprises. When both masks are empty the IoU is ``empty_value`` (default 1: the two agree
    that nobody is there).

    Args:
        pred, target: masks of identical shape.
        empty_value: IoU when the union is empty.

    Returns:
        IoU in [0, 1] per frame.

    Shapes:
        pred, target: (..., H, W), e.g. (T, H, W); returns (...,).
    """
    p, t = to_numpy(pred), to_numpy(target)
    check_same_shape("pred", p, "target", t, "Resize masks to the same resolution first.")
    if p.ndim < 2:
        raise ValueError(f"pred: expected shape (..., H, W), got {p.shape}.")
    p = p if p.dtype == bool else p > 0.5
    t = t if t.dtype == bool else t > 0.5
    inter = np.count_nonzero(p & t, axis=(-1, -2))
    union = np.count_nonzero(p | t, axis=(-1, -2))
    iou = np.where(union > 0, inter / np.maximum(union, 1), empty_value)
    return finish(iou, is_torch(pred, target))
