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
3. **Spread.** The noise-free estimate of the series is b = smooth(x) with a wider 0.5 s
   window (``BASE_WINDOW_S``); B replicates x_b(t) = b(t) + N(0, σ_t²), independent over
   frames and series, give the spread. The caller recomputes each metric on every replicate,
   with the movement, phases, reference frames and cycles held fixed.
4. **Noise bias (SIMEX).** Extremes such as a range grow with noise: the largest of several
   noisy frames overshoots. The metric is recomputed on the *data* with extra noise of variance
   λσ_t² for λ = 1, 2, 3 (``SIMEX_LEVELS``; B/3 replicates each, at least 10), its mean at each
   level is fitted by a + c·sqrt(1 + λ) together with the data's own value at λ = 0 (the bias
   of an extreme grows with the noise SD), and the fit is extrapolated to zero noise
   (sqrt(1 + λ) = 0, i.e. λ = −1): bias = value − a (simulation–extrapolation, Cook &
   Stefanski 1994; the square-root extrapolant is our choice for extreme values).
5. **Report** (``summarize_replicates``): value = metric of the data − bias; uncertainty = SD
   of the replicates of step 3; 95 % interval = value + the 2.5 / 97.5 % percentiles of those
   replicates' deviations from their mean.

This captures frame-to-frame measurement noise only, not systematic errors (model bias, a wrong
neutral pelvis, out-of-plane views) nor noise that is smooth over time. A noise-free signal
gets σ ≈ 0, hence zero uncertainty and zero bias.

**Reconstruction error (calibrated).** For a spine reconstructed from a video the systematic
error dominates (degrees, against tenths of a degree of noise). A :class:`MetricCalibration`
holds, per movement and metric, the error of the reconstruction measured on rendered synthetic
videos with exact ground truth (``weights/metric_errors.json``, written by
``benchmarks/bench_metric_calibration.py``): its bias and the SD it adds beyond the noise.
``metrics.apply_calibration`` combines that SD with the noise SD in quadrature
(:func:`combined_interval`); the caller passes the calibration in (``compute_metrics(...,
calibration=...)``, which ``pipeline.analyze`` does for video analyses) — biomech never imports
the reconstruction.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .filtering import noise_sigma, smooth_series

__all__ = [
    "BASE_WINDOW_S",
    "SIMEX_LEVELS",
    "Bootstrap",
    "noise_sigma",
    "per_frame_sigma",
    "resample_series",
    "bootstrap_statistics",
    "simex_bias",
    "summarize_replicates",
    "MetricError",
    "MetricCalibration",
    "load_calibration",
    "combined_interval",
    "CALIBRATION_FORMAT",
]

#: Smoothing window (s) of the noise-free base the replicates are drawn around.
BASE_WINDOW_S = 0.5
#: Extra noise variances (in units of the measured noise variance) of the SIMEX bias estimate.
SIMEX_LEVELS: tuple[float, ...] = (1.0, 2.0, 3.0)
_MIN_SIMEX_REPLICATES = 10
#: Replicates drawn and evaluated at a time: a replicate holds every series of the whole video
#: (1.7 MB for 18,000 frames), so all 200 at once took ~570 MB on a 10-minute video.
_REPLICATE_CHUNK = 16
_MIN_CONFIDENCE = 0.05
_CI = (2.5, 97.5)


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap result for a set of statistics.

    Attributes:
        replicates: each statistic on every replicate around the noise-free base (NaN where
            undefined).
        simex: each statistic's mean on the data with extra noise, one entry per level of
            ``SIMEX_LEVELS`` (NaN where undefined in most replicates).

    Shapes:
        replicates[name]: (B,); simex[name]: (len(SIMEX_LEVELS),).
    """

    replicates: Mapping[str, np.ndarray]
    simex: Mapping[str, np.ndarray]

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


def _noise(x: np.ndarray, fps: float, confidence: np.ndarray) -> np.ndarray:
    """Per-frame noise SD σ_t of a series (steps 1–2). Shapes: x (T,) or (T, C) → same."""
    return per_frame_sigma(noise_sigma(x, fps), confidence)


def resample_series(
    x: np.ndarray, fps: float, confidence: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` replicates base + N(0, σ_t²) of one series (base: 0.5 s-smoothed x).

    Shapes:
        x: (T,) or (T, C); confidence: (T,) → (n, *x.shape).
    """
    x = np.asarray(x, dtype=np.float64)
    base = smooth_series(x, fps, BASE_WINDOW_S)
    return base[None] + rng.standard_normal((n, *x.shape)) * _noise(x, fps, confidence)[None]


def _streams(
    rng: np.random.Generator, shapes: Mapping[str, tuple[int, ...]], n: int
) -> dict[str, np.random.Generator]:
    """One generator per series, each where drawing ``n`` replicates of that series, series by
    series in order, would start; ``rng`` is left after all of them.

    The draws are skipped in blocks, so the numbers are those of one
    ``rng.standard_normal((n, *shape))`` per series (a generator fills an array in order) without
    holding them all.
    """
    streams = {}
    for name, shape in shapes.items():
        streams[name] = copy.deepcopy(rng)
        for lo in range(0, n, _REPLICATE_CHUNK):
            rng.standard_normal((min(_REPLICATE_CHUNK, n - lo), *shape))
    return streams


def _evaluate(
    make: Callable[[str, np.ndarray], np.ndarray],
    shapes: Mapping[str, tuple[int, ...]],
    streams: Mapping[str, np.random.Generator],
    statistics: Callable[[Mapping[str, np.ndarray]], Mapping[str, float | None]],
    n: int,
) -> dict[str, np.ndarray]:
    """``statistics`` of ``n`` replicates, built ``_REPLICATE_CHUNK`` at a time by
    ``make(name, standard normal draws (m, *shape))`` from each series' stream."""
    values: dict[str, list[float]] = {}
    for lo in range(0, n, _REPLICATE_CHUNK):
        m = min(_REPLICATE_CHUNK, n - lo)
        stacks = {
            k: make(k, streams[k].standard_normal((m, *shape))) for k, shape in shapes.items()
        }
        for b in range(m):
            for name, value in statistics({k: v[b] for k, v in stacks.items()}).items():
                values.setdefault(name, []).append(np.nan if value is None else float(value))
    return {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}


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
    """Recompute ``statistics`` on noisy replicates (spread) and on extra-noisy data (SIMEX).

    Replicates are drawn and evaluated ``_REPLICATE_CHUNK`` at a time (memory bounded on long
    videos); the random numbers, and so the result, are those of drawing them all at once.

    Args:
        series: named angle series (each (T,) or (T, C)).
        statistics: maps a dict of series (same names and shapes) to named floats (None =
            undefined).
        fps: frames per second.
        confidence: per-frame confidence in [0, 1].
        n_bootstrap: number of replicates B (≥ 2) of step 3; step 4 uses max(B/3, 10) per level.
        seed: seed of the random generator (results are reproducible).
        transform: applied to each stack of series, shape (n, T, ...), before the statistics
            (e.g. the metric's own smoothing along axis 1, vectorised over replicates); it must
            treat each replicate on its own.

    Returns:
        A :class:`Bootstrap`.

    Shapes:
        confidence: (T,).
    """
    if n_bootstrap < 2:
        raise ValueError(f"n_bootstrap must be >= 2, got {n_bootstrap}.")
    rng = np.random.default_rng(seed)
    transform = transform or (lambda stack: stack)
    series = {k: np.asarray(v, dtype=np.float64) for k, v in series.items()}
    shapes = {k: x.shape for k, x in series.items()}
    sigma = {k: _noise(x, fps, confidence) for k, x in series.items()}
    base = {k: smooth_series(x, fps, BASE_WINDOW_S) for k, x in series.items()}

    def around_base(k: str, z: np.ndarray) -> np.ndarray:  # step 3: base + N(0, σ_t²)
        return transform(base[k][None] + z * sigma[k][None])

    streams = _streams(rng, shapes, n_bootstrap)
    replicates = _evaluate(around_base, shapes, streams, statistics, n_bootstrap)
    n_simex = max(n_bootstrap // len(SIMEX_LEVELS), _MIN_SIMEX_REPLICATES)
    simex: dict[str, list[float]] = {}
    for level in SIMEX_LEVELS:

        def extra_noise(k: str, z: np.ndarray, root: float = math.sqrt(level)) -> np.ndarray:
            return transform(series[k][None] + root * sigma[k][None] * z)  # step 4: data + λσ_t²

        streams = _streams(rng, shapes, n_simex)
        for name, vals in _evaluate(extra_noise, shapes, streams, statistics, n_simex).items():
            ok = vals[np.isfinite(vals)]
            simex.setdefault(name, []).append(float(ok.mean()) if ok.size > n_simex / 2 else np.nan)
    return Bootstrap(replicates=replicates, simex={k: np.asarray(v) for k, v in simex.items()})


def simex_bias(value: float, level_means: np.ndarray) -> float:
    """Noise bias of a statistic by square-root SIMEX extrapolation (step 4).

    Fits mean(λ) = a + c·sqrt(1 + λ) to the data value (λ = 0) and the means at
    ``SIMEX_LEVELS`` by least squares and returns value − a (NaN if a level is undefined).

    Shapes:
        level_means: (len(SIMEX_LEVELS),).
    """
    means = np.concatenate([[float(value)], np.asarray(level_means, dtype=np.float64)])
    if not np.all(np.isfinite(means)):
        return float("nan")
    x = np.sqrt(1.0 + np.array((0.0, *SIMEX_LEVELS)))
    a, _ = np.linalg.lstsq(np.stack([np.ones_like(x), x], axis=1), means, rcond=None)[0]
    return float(value) - float(a)


def summarize_replicates(
    value: float, level_means: np.ndarray, replicates: np.ndarray, min_defined: float = 0.5
) -> tuple[float, float, float, float, float]:
    """Bias-corrected value, uncertainty (SD), 95 % interval and bias of one statistic.

    Args:
        value: the statistic on the data.
        level_means: its SIMEX means at ``SIMEX_LEVELS`` (NaN where undefined).
        replicates: the statistic on every replicate around the base (NaN where undefined).
        min_defined: below this share of defined replicates the value is returned unchanged
            with NaN uncertainty, interval and bias; an undefined SIMEX level gives bias 0.

    Returns:
        (value, uncertainty, ci_low, ci_high, bias); value = data value − bias.

    Shapes:
        level_means: (len(SIMEX_LEVELS),); replicates: (B,).
    """
    reps = np.asarray(replicates, dtype=np.float64)
    ok = reps[np.isfinite(reps)]
    if ok.size < max(2, min_defined * reps.size):
        nan = float("nan")
        return float(value), nan, nan, nan, nan
    bias = simex_bias(value, level_means)
    bias = 0.0 if not np.isfinite(bias) else bias
    corrected = float(value) - bias
    lo, hi = (float(q) for q in np.percentile(ok - ok.mean(), _CI))
    return corrected, float(np.std(ok, ddof=1)), corrected + lo, corrected + hi, bias


# --------------------------------------------------------------------------- reconstruction error

#: ``format`` field of a calibration file (``weights/metric_errors.json``).
CALIBRATION_FORMAT = "humanmovenet.metric_errors"
CALIBRATION_VERSION = 1
#: Two-sided 95 % quantile of the standard normal (half-width of a 95 % interval in SDs).
Z95 = 1.959963984540054


@dataclass(frozen=True)
class MetricError:
    """Measured reconstruction error of one metric in one movement (reconstructed − true).

    Attributes:
        n: sequences it was measured on.
        bias: mean error, in the metric's unit.
        sd: standard deviation of the error (noise included).
        reconstruction_sd: the spread the reconstruction adds beyond the frame noise that the
            bootstrap already states — what is combined with the noise SD in quadrature
            (sqrt(max(sd² − mean noise SD², 0)); when the bias is not removed, the bias² is
            included: the spread around the true value).
        apply_bias: whether ``bias`` is subtracted from the reported value (only when it was
            clearly non-zero and had the same sign in both halves of the calibration set).
        unit: ``"deg"``, ``"%"`` or ``"1"``.
    """

    n: int
    bias: float
    sd: float
    reconstruction_sd: float
    apply_bias: bool = False
    unit: str = "deg"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.reconstruction_sd) and self.reconstruction_sd >= 0):
            raise ValueError(
                f"reconstruction_sd must be a finite SD >= 0, got {self.reconstruction_sd}."
            )
        if self.apply_bias and not np.isfinite(self.bias):
            raise ValueError(f"apply_bias needs a finite bias, got {self.bias}.")

    @property
    def removed_bias(self) -> float:
        """The bias subtracted from the value (0 when it is not applied)."""
        return float(self.bias) if self.apply_bias else 0.0


@dataclass(frozen=True)
class MetricCalibration:
    """Reconstruction error of each metric, per movement, for one reconstruction.

    Attributes:
        movements: movement → metric name (``SpineMetrics.metric_items`` names, e.g.
            ``lumbar_rom``, ``level_rom_l4_l5``) → :class:`MetricError`. A movement or metric
            that is absent is *not calibrated*: its metrics report the noise uncertainty only
            and say so.
        method: the reconstruction method it was measured for (``"learned"``).
        reconstruction_key: hash of the reconstruction's code and model files at calibration
            time (``train.train_classifier_video.reconstruction_key``).
        weights: sha256 of each model file the reconstruction loaded (file name → hex).
        source: where it came from (file path, or a description).
        info: anything else the file records (data, command, date).
    """

    movements: Mapping[str, Mapping[str, MetricError]]
    method: str = "learned"
    reconstruction_key: str = ""
    weights: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    info: Mapping[str, Any] = field(default_factory=dict)

    def error(self, movement: str, metric: str) -> MetricError | None:
        """The calibrated error of ``metric`` in ``movement``, or None (not calibrated)."""
        return self.movements.get(movement, {}).get(metric)

    def covers(self, movement: str) -> bool:
        """True when ``movement`` has a calibration."""
        return bool(self.movements.get(movement))

    @classmethod
    def empty(cls, method: str = "", source: str = "") -> MetricCalibration:
        """A calibration of nothing: every metric of a reconstructed spine is 'not calibrated'."""
        return cls(movements={}, method=method, source=source)


def load_calibration(path: str | os.PathLike[str]) -> MetricCalibration:
    """Read a calibration file (``weights/metric_errors.json`` layout).

    Layout: ``{"format": "humanmovenet.metric_errors", "version": 1, "method": ...,
    "reconstruction_key": {"key": ..., "files": {...}}, "movements": {movement: {metric: {"n",
    "bias", "sd", "reconstruction_sd", "apply_bias", "unit"}}}, ...}``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a calibration file, another version, or a malformed entry.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no metric calibration file; run python benchmarks/bench_metric_calibration.py "
            "to write one, or use the shipped weights/metric_errors.json."
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path}: not valid JSON ({err}); re-run benchmarks/bench_metric_calibration.py."
        ) from None
    if data.get("format") != CALIBRATION_FORMAT or data.get("version") != CALIBRATION_VERSION:
        raise ValueError(
            f"{path}: format {data.get('format')!r} version {data.get('version')!r}; expected "
            f"{CALIBRATION_FORMAT!r} version {CALIBRATION_VERSION} (a file written by "
            "benchmarks/bench_metric_calibration.py)."
        )
    movements: dict[str, dict[str, MetricError]] = {}
    for movement, table in data.get("movements", {}).items():
        movements[movement] = {}
        for metric, e in table.items():
            try:
                movements[movement][metric] = MetricError(
                    n=int(e["n"]), bias=float(e["bias"]), sd=float(e["sd"]),
                    reconstruction_sd=float(e["reconstruction_sd"]),
                    apply_bias=bool(e.get("apply_bias", False)), unit=str(e.get("unit", "deg")),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(f"{path}: bad entry {movement}/{metric}: {err}") from None
    key = data.get("reconstruction_key") or {}
    files = key.get("files", {}) if isinstance(key, dict) else {}
    weights = {Path(k).name: v for k, v in files.items() if k.startswith("weights/")}
    info = {k: v for k, v in data.items() if k not in ("movements", "reconstruction_key")}
    return MetricCalibration(
        movements=movements,
        method=str(data.get("method", "")),
        reconstruction_key=str(key.get("key", "") if isinstance(key, dict) else key),
        weights=weights,
        source=str(path),
        info=info,
    )


def combined_interval(
    value: float, ci_low: float, ci_high: float, reconstruction_sd: float
) -> tuple[float, float]:
    """95 % interval of the noise bootstrap widened by a reconstruction error of SD r.

    Each side's half-width h (value − ci_low, ci_high − value) becomes sqrt(h² + (1.96·r)²):
    independent errors add in variance, and the bootstrap's asymmetry is kept.
    """
    z = Z95 * float(reconstruction_sd)
    lo = float(value) - math.hypot(float(value) - float(ci_low), z)
    hi = float(value) + math.hypot(float(ci_high) - float(value), z)
    return lo, hi
