"""Smoothing, differentiation and noise estimation of per-frame angle series.

All filters are cubic Savitzky–Golay filters (``scipy.signal.savgol_filter``, ``mode="interp"``)
whose window is given in seconds and converted to an odd number of frames (≥ 5, ≤ T). A series
shorter than 5 frames is returned unchanged (no derivative: zeros).

The noise level of a series is estimated from what the 0.3 s filter removes:
σ = 1.4826 · MAD(x − smooth(x)) / sqrt(1 − h0), where h0 is the filter's centre weight (white
noise of standard deviation σ leaves a residual of standard deviation σ·sqrt(1 − h0)) and the
median absolute deviation ignores the few frames where a fast real movement leaves a residual.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import savgol_coeffs, savgol_filter

__all__ = [
    "NOISE_WINDOW_S",
    "window_frames",
    "smooth_series",
    "derivative_series",
    "noise_sigma",
    "filter_gain",
]

#: Window of the filter that separates signal from frame-to-frame noise (seconds).
NOISE_WINDOW_S = 0.3
_MAD_TO_SD = 1.4826
_ORDER = 3


def window_frames(fps: float, t: int, window_s: float) -> int:
    """Odd window length in frames for ``window_s`` seconds, at least 5, at most T (odd).

    Returns a number < 5 when T < 5 (then no filtering is possible).
    """
    win = max(5, int(round(window_s * fps)) | 1)
    if win > t:
        win = t if t % 2 == 1 else t - 1
    return win


def smooth_series(
    x: np.ndarray, fps: float, window_s: float = NOISE_WINDOW_S, axis: int = 0
) -> np.ndarray:
    """Cubic Savitzky–Golay smoothing along ``axis`` (time).

    Shapes:
        x: (..., T, ...) with T on ``axis`` → same shape.
    """
    x = np.asarray(x, dtype=np.float64)
    win = window_frames(fps, x.shape[axis], window_s)
    if win < 5:
        return x.copy()
    return savgol_filter(x, win, _ORDER, axis=axis, mode="interp")


def derivative_series(x: np.ndarray, fps: float, window_s: float = NOISE_WINDOW_S) -> np.ndarray:
    """Time derivative (unit of x per second) by a cubic Savitzky–Golay filter along axis 0.

    Shapes:
        x: (T, ...) → same shape.
    """
    x = np.asarray(x, dtype=np.float64)
    win = window_frames(fps, x.shape[0], window_s)
    if win < 5:
        return np.zeros_like(x)
    return savgol_filter(x, win, _ORDER, deriv=1, delta=1.0 / fps, axis=0, mode="interp")


def filter_gain(fps: float, t: int, window_s: float, deriv: int = 0) -> float:
    """Standard deviation of the filter output per unit of white input noise.

    For ``deriv=1`` the gain is per second (output in unit/s for unit input noise).
    """
    win = window_frames(fps, t, window_s)
    if win < 5:
        return 1.0 if deriv == 0 else 0.0
    coeffs = savgol_coeffs(win, _ORDER, deriv=deriv, delta=1.0 / fps)
    return float(np.linalg.norm(coeffs))


def noise_sigma(x: np.ndarray, fps: float) -> float | np.ndarray:
    """Robust frame-to-frame noise standard deviation of a series (its own unit).

    Shapes:
        x: (T,) → float; (T, C) → (C,) one σ per column.
    """
    x = np.asarray(x, dtype=np.float64)
    win = window_frames(fps, x.shape[0], NOISE_WINDOW_S)
    if win < 5:
        return 0.0 if x.ndim == 1 else np.zeros(x.shape[1:])
    resid = x - smooth_series(x, fps, NOISE_WINDOW_S)
    h0 = float(savgol_coeffs(win, _ORDER)[win // 2])
    mad = np.median(np.abs(resid - np.median(resid, axis=0)), axis=0)
    sigma = _MAD_TO_SD * mad / np.sqrt(1.0 - h0)
    return float(sigma) if x.ndim == 1 else sigma
