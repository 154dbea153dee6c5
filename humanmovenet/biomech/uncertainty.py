"""Uncertainty (and noise bias) of a metric from the measured frame-to-frame noise of its series.

Method (docs/clinical_metrics.md §Uncertainty) — a parametric bootstrap of frame noise:

1. **Noise level.** Each angle series x(t) is smoothed with a cubic Savitzky–Golay filter of
   0.3 s; from the residual r = x − smooth(x) the noise standard deviation is estimated
   robustly, σ = 1.4826 · MAD(r) / sqrt(1 − h0) (h0: the filter's centre weight; white noise
   of SD σ leaves a residual of SD σ·sqrt(1 − h0); the MAD ignores the few frames where a fast
   real movement leaves a residual). ``filtering.noise_sigma``.
2. **Confidence.** Per-frame confidence c_t (``DynamicSpine.confidence``, clipped to ≥ 0.05)
   scales the noise: σ_t = σ · sqrt(mean(c) / c_t) — low-confidence frames are noisier, the
   average noise variance is preserved.
3. **Base.** The noise-free estimate of the series is b = smooth(x) with a wider 0.5 s window
   (``BASE_WINDOW_S``), so that little of the measured noise is left in it.
4. **Replicates.** x_b(t) = b(t) + N(0, σ_t²), independent over frames and series, B times.
   The caller recomputes each metric on every replicate, with the movement, phases, reference
   frames and cycles held fixed.
5. **Report** (``summarize_replicates``): uncertainty = SD of the replicates; noise bias =
   mean of the replicates − the metric of the base b (extreme values such as a range grow with
   noise: the max of noisy frames overshoots); the reported value is the metric of the data
   minus that bias, and the 95 % interval is that value plus the 2.5 / 97.5 % percentiles of
   the replicates' deviations from their mean.

This captures frame-to-frame measurement noise only, not systematic errors (model bias, a wrong
neutral pelvis, out-of-plane views) nor noise that is smooth over time. A noise-free signal
gets σ ≈ 0, hence zero uncertainty and zero bias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .filtering import noise_sigma, smooth_series

__all__ = [
    "BASE_WINDOW_S",
    "Bootstrap",
    "noise_sigma",
    "per_frame_sigma",
    "resample_series",
    "bootstrap_statistics",
    "summarize_replicates",
]

#: Smoothing window (s) of the noise-free base the replicates are drawn around.
BASE_WINDOW_S = 0.5
_MIN_CONFIDENCE = 0.05
_CI = (2.5, 97.5)


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap result for a set of statistics.

    Attributes:
        base: each statistic on the noise-free base series (None where undefined).
        replicates: each statistic on every noisy replicate (NaN where undefined).

    Shapes:
        replicates[name]: (B,).
    """

    base: Mapping[str, float | None]
    replicates: Mapping[str, np.ndarray]

    @property
    def size(self) -> int:
        """Number of replicates B."""
        return max((len(v) for v in self.replicates.values()), default=0)


def per_frame_sigma(sigma: float | np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """σ_t = σ · sqrt(mean(c) / c_t), c clipped to [0.05, 1].

    Shapes:
        sigma: scalar or (C,); confidence: (T,) → (T,) or (T, C).
    """
    c = np.clip(np.asarray(confidence, dtype=np.float64), _MIN_CONFIDENCE, 1.0)
    scale = np.sqrt(c.mean() / c)
    sigma = np.asarray(sigma, dtype=np.float64)
    return scale[:, None] * sigma if sigma.ndim else scale * sigma


def resample_series(
    x: np.ndarray, fps: float, confidence: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The noise-free base of one series and ``n`` replicates base + N(0, σ_t²).

    Returns:
        (base, replicates).

    Shapes:
        x: (T,) or (T, C); confidence: (T,) → base like x, replicates (n, *x.shape).
    """
    x = np.asarray(x, dtype=np.float64)
    base = smooth_series(x, fps, BASE_WINDOW_S)
    sigma_t = per_frame_sigma(noise_sigma(x, fps), confidence)
    return base, base[None] + rng.standard_normal((n, *x.shape)) * sigma_t[None]


def bootstrap_statistics(
    series: Mapping[str, np.ndarray],
    statistics: Callable[[Mapping[str, np.ndarray]], Mapping[str, float | None]],
    fps: float,
    confidence: np.ndarray,
    n_bootstrap: int,
    seed: int,
    *,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Bootstrap:
    """Recompute ``statistics`` on the noise-free base and on noisy replicates of every series.

    Args:
        series: named angle series (each (T,) or (T, C)).
        statistics: maps a dict of series (same names and shapes) to named floats (None =
            undefined).
        fps: frames per second.
        confidence: per-frame confidence in [0, 1].
        n_bootstrap: number of replicates B (≥ 1).
        seed: seed of the random generator (results are reproducible).
        transform: applied to each stack of series, shape (n, T, ...), before the statistics
            (e.g. the metric's own smoothing along axis 1, vectorised over replicates); the
            base goes through it as a stack of one.

    Returns:
        A :class:`Bootstrap`.

    Shapes:
        confidence: (T,).
    """
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be >= 1, got {n_bootstrap}.")
    rng = np.random.default_rng(seed)
    transform = transform or (lambda stack: stack)
    bases, replicas = {}, {}
    for name, x in series.items():
        base, stack = resample_series(x, fps, confidence, n_bootstrap, rng)
        bases[name] = transform(base[None])[0]
        replicas[name] = transform(stack)
    values: dict[str, list[float]] = {}
    for b in range(n_bootstrap):
        stats = statistics({k: v[b] for k, v in replicas.items()})
        for name, value in stats.items():
            values.setdefault(name, []).append(np.nan if value is None else float(value))
    return Bootstrap(
        base=dict(statistics(bases)),
        replicates={k: np.asarray(v, dtype=np.float64) for k, v in values.items()},
    )


def summarize_replicates(
    value: float, base: float | None, replicates: np.ndarray, min_defined: float = 0.5
) -> tuple[float, float, float, float, float]:
    """Bias-corrected value, uncertainty (SD), 95 % interval and bias of one statistic.

    Args:
        value: the statistic on the data.
        base: the statistic on the noise-free base (None: undefined there).
        replicates: the statistic on every replicate (NaN where undefined).
        min_defined: below this share of defined replicates, or with an undefined base, the
            value is returned unchanged with NaN uncertainty, interval and bias.

    Returns:
        (value, uncertainty, ci_low, ci_high, bias); value = data value − bias.

    Shapes:
        replicates: (B,).
    """
    reps = np.asarray(replicates, dtype=np.float64)
    ok = reps[np.isfinite(reps)]
    if base is None or ok.size < max(2, min_defined * reps.size):
        nan = float("nan")
        return float(value), nan, nan, nan, nan
    mean = float(ok.mean())
    bias = mean - float(base)
    corrected = float(value) - bias
    lo, hi = (float(q) for q in np.percentile(ok - mean, _CI))
    return corrected, float(np.std(ok, ddof=1)), corrected + lo, corrected + hi, bias
