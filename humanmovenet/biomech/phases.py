"""Automatic detection of the movement (forward / backward / lateral bend, gait, standing) and
of its per-frame phases.

Phase codes (``MovementPhase``) use the same numbers as the synthetic ground truth
(``humanmovenet.synth.motion.Phase``) for 0–12, so detected and true phases compare directly;
gait frames are labelled ``GAIT`` (16) without sub-phases (gait *cycles* come from
``split_cycles``), and frames that fit no rule ``UNKNOWN`` (−1).

Rules (thresholds are keyword arguments; docs/clinical_metrics.md §Phases):

* The *excursion* of a signal is its smoothed value (cubic Savitzky–Golay, ``smooth_s``)
  minus a baseline, the median of the first ``baseline_s`` seconds. Sequences are expected to
  start in standing; otherwise pass the movement to ``compute_metrics`` explicitly.
* A bend is a run of frames whose excursion exceeds a threshold (``onset_fraction`` of the
  peak, at least ``min_onset_deg`` and 3 noise SDs) and peaks at ≥ ``min_peak_fraction`` of the
  largest excursion; runs of the same sign closer than ``merge_gap_s`` are merged.
* The run is widened at both ends while the excursion still moves faster than
  ``velocity_fraction`` of the run's peak speed (and 3 noise SDs of the speed): a
  minimum-jerk movement covers 3 % of its range only after 15 % of its duration, but reaches
  5 % of its peak speed after 5 %.
* The hold is the block around the peak within ``hold_fraction`` of the peak excursion and
  slower than that speed threshold; before it the movement *into* the bend (FLEXION /
  EXTENSION / LATERAL_*), after it the *return*. The sign of the excursion picks flexion
  (trunk forward) or extension, left or right.
* Sagittal bends are segmented on the trunk inclination, lateral bends on the lumbar lateral
  angle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import MovementPhase
from .filtering import derivative_series, filter_gain, noise_sigma, smooth_series

__all__ = [
    "MovementPhase",
    "MOVEMENTS",
    "PhaseSettings",
    "detect_movement",
    "detect_phases",
    "split_cycles",
]

#: Movements ``detect_movement`` can return.
MOVEMENTS: tuple[str, ...] = (
    "forward_bend",
    "backward_bend",
    "full_bend",
    "lateral_bend",
    "gait",
    "standing",
    "unknown",
)


# MovementPhase: the phase codes shared with the synthetic ground truth (humanmovenet.types).


_BEND_DEG = 8.0  # trunk excursion that makes a sagittal bend
_LATERAL_DEG = 5.0  # lumbar lateral excursion that makes a lateral bend
_STANDING_DEG = 3.0  # below this everywhere: standing
_GAIT_PERIOD_S = (0.6, 2.0)  # plausible stride durations
_GAIT_MIN_CORR = 0.5
_GAIT_HIP_SWING_DEG = 20.0  # left − right hip swing that only walking produces (bends: ~0)
_NOISE_SDS = 3.0

_SAGITTAL_CODES = (
    (MovementPhase.FLEXION, MovementPhase.FLEXION_HOLD, MovementPhase.FLEXION_RETURN),
    (MovementPhase.EXTENSION, MovementPhase.EXTENSION_HOLD, MovementPhase.EXTENSION_RETURN),
)
_LATERAL_CODES = (
    (MovementPhase.LATERAL_LEFT, MovementPhase.LATERAL_LEFT_HOLD,
     MovementPhase.LATERAL_LEFT_RETURN),
    (MovementPhase.LATERAL_RIGHT, MovementPhase.LATERAL_RIGHT_HOLD,
     MovementPhase.LATERAL_RIGHT_RETURN),
)  # fmt: skip


@dataclass(frozen=True)
class PhaseSettings:
    """Thresholds of the phase detector (see the module docstring).

    Attributes:
        baseline_s: seconds at the start whose median is the standing baseline.
        smooth_s: Savitzky–Golay window for the excursion and its speed, seconds.
        onset_fraction: fraction of the peak excursion above which a frame is in a movement.
        min_onset_deg: lower bound of that threshold (degrees).
        min_peak_fraction: a run must peak at this fraction of the largest excursion.
        merge_gap_s: runs of the same sign closer than this are one movement.
        velocity_fraction: fraction of the run's peak speed that still counts as moving.
        hold_fraction: the hold lies within this fraction of the peak excursion (or 3 noise
            SDs of the smoothed excursion, whichever is larger).
        max_smooth_s: longest smoothing window used on noisy input (the window grows from
            ``smooth_s`` until the speed noise is below the speed threshold).
    """

    baseline_s: float = 0.3
    smooth_s: float = 0.5
    onset_fraction: float = 0.03
    min_onset_deg: float = 1.0
    min_peak_fraction: float = 0.3
    merge_gap_s: float = 0.3
    velocity_fraction: float = 0.05
    hold_fraction: float = 0.02
    max_smooth_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("onset_fraction", "min_peak_fraction", "velocity_fraction", "hold_fraction"):
            value = getattr(self, name)
            if not (0.0 < value < 1.0):
                raise ValueError(f"PhaseSettings.{name} must be in (0, 1), got {value}.")
        for name in ("baseline_s", "smooth_s", "min_onset_deg", "merge_gap_s", "max_smooth_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise ValueError(f"PhaseSettings.{name} must be a number >= 0, got {value}.")


def _check_series(name: str, x: np.ndarray, t: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or (t is not None and x.shape[0] != t):
        want = "(T,)" if t is None else f"({t},)"
        raise ValueError(f"{name}: expected shape {want}, got {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN/inf; interpolate gaps before detecting phases.")
    return x


def _check_fps(fps: float) -> float:
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number of frames per second, got {fps}.")
    return float(fps)


def _baseline(x: np.ndarray, fps: float, baseline_s: float) -> float:
    n = max(1, min(len(x), int(round(baseline_s * fps))))
    return float(np.median(x[:n]))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _dominant_period(x: np.ndarray, fps: float) -> tuple[float, float]:
    """(period in s, normalised autocorrelation there) of the strongest stride-like periodicity.

    Only *local maxima* of the autocorrelation inside the plausible stride range count: a slow
    one-off movement (a lateral bend) has an autocorrelation that just decays, with no peak.
    Returns (nan, 0) when there is none.
    """
    x = x - x.mean()
    denom = float(x @ x)
    lo, hi = (int(round(p * fps)) for p in _GAIT_PERIOD_S)
    hi = min(hi, len(x) // 2)
    if denom <= 0 or hi <= lo:
        return float("nan"), 0.0
    lags = np.arange(max(lo - 1, 1), min(hi + 2, len(x)))
    ac = np.array([float(x[:-lag] @ x[lag:]) / denom for lag in lags])
    peaks = [i for i in range(1, len(ac) - 1) if ac[i] >= ac[i - 1] and ac[i] > ac[i + 1]]
    peaks = [i for i in peaks if lo <= lags[i] <= hi]
    if not peaks:
        return float("nan"), 0.0
    best = max(peaks, key=lambda i: ac[i])
    return float(lags[best]) / fps, float(ac[best])


def detect_movement(
    trunk_angle: np.ndarray,
    lumbar_lateral: np.ndarray,
    pelvic_tilt: np.ndarray,
    fps: float,
    *,
    baseline_s: float = 0.3,
    hip_difference: np.ndarray | None = None,
) -> str:
    """Classify a sequence as one of ``MOVEMENTS`` from three angle series (radians).

    Rules, in order (excursions of the 0.3 s-smoothed series from the median of the first
    ``baseline_s`` seconds):

    0. ``"gait"``: the left − right hip flexion difference (``hip_difference``, from the body
       pose; the legs alternate only in walking) swings by ≥ 20° with a stride-like
       periodicity (below) — whatever the trunk does, since a side view of a walk across the
       image changes the apparent trunk inclination;
    1. ``"gait"``: the trunk excursion stays < 8° and the lumbar lateral angle or the pelvic
       tilt has a stride-like periodicity — a local maximum ≥ 0.5 of its autocorrelation at a
       lag of 0.6–2 s, with at least two such periods in the sequence;
    2. ``"lateral_bend"``: the lumbar lateral excursion is ≥ 5° and larger than the trunk's
       sagittal excursion (a side bend also tilts the kyphotic T1 a few degrees);
    3. ``"full_bend"`` / ``"forward_bend"`` / ``"backward_bend"``: trunk excursion ≥ 8° both
       ways / forward / backward;
    4. ``"standing"``: every excursion < 3°; otherwise ``"unknown"``.

    Args:
        trunk_angle: trunk inclination (forward +).
        lumbar_lateral: lumbar lateral angle (left +).
        pelvic_tilt: pelvic tilt (anterior +).
        fps: frames per second.
        baseline_s: seconds at the start taken as the standing baseline.
        hip_difference: left − right hip flexion (radians) or None.

    Returns:
        The movement name.

    Shapes:
        trunk_angle, lumbar_lateral, pelvic_tilt, hip_difference: (T,).
    """
    fps = _check_fps(fps)
    trunk = _check_series("trunk_angle", trunk_angle)
    t = trunk.shape[0]
    lateral = _check_series("lumbar_lateral", lumbar_lateral, t)
    pelvis = _check_series("pelvic_tilt", pelvic_tilt, t)
    if hip_difference is not None:
        hips = _check_series("hip_difference", hip_difference, t)
        hips_s = smooth_series(hips, fps)
        if np.rad2deg(np.ptp(hips_s)) >= _GAIT_HIP_SWING_DEG:
            period, corr = _dominant_period(hips_s, fps)
            if np.isfinite(period) and t / fps >= 2 * period and corr >= _GAIT_MIN_CORR:
                return "gait"
    trunk_s, lat_s = smooth_series(trunk, fps), smooth_series(lateral, fps)
    d_trunk = np.rad2deg(trunk_s - _baseline(trunk_s, fps, baseline_s))
    d_lat = np.rad2deg(lat_s - _baseline(lat_s, fps, baseline_s))
    fwd, bwd = float(d_trunk.max()), float(-d_trunk.min())
    lat = float(np.abs(d_lat).max())
    if max(fwd, bwd) < _BEND_DEG and t / fps >= 2 * _GAIT_PERIOD_S[0]:
        periods = [_dominant_period(sig, fps) for sig in (lat_s, smooth_series(pelvis, fps))]
        if any(np.isfinite(p) and t / fps >= 2 * p and c >= _GAIT_MIN_CORR for p, c in periods):
            return "gait"
    if lat >= _LATERAL_DEG and lat > max(fwd, bwd):
        return "lateral_bend"
    if fwd >= _BEND_DEG and bwd >= _BEND_DEG:
        return "full_bend"
    if fwd >= _BEND_DEG:
        return "forward_bend"
    if bwd >= _BEND_DEG:
        return "backward_bend"
    if max(fwd, bwd, lat) < _STANDING_DEG:
        return "standing"
    return "unknown"


def _bend_runs(
    excursion: np.ndarray, threshold: float, settings: PhaseSettings, fps: float
) -> list[tuple[int, int]]:
    """Runs above ``threshold`` that peak high enough; close runs of the same sign merged."""
    peak = float(np.abs(excursion).max())
    runs = [
        (a, b)
        for a, b in _runs(np.abs(excursion) > threshold)
        if float(np.abs(excursion[a:b]).max()) >= settings.min_peak_fraction * peak
    ]
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged:
            pa, pb = merged[-1]
            same_sign = np.sign(excursion[pa:pb].sum()) == np.sign(excursion[a:b].sum())
            if same_sign and (a - pb) < settings.merge_gap_s * fps:
                merged[-1] = (pa, b)
                continue
        merged.append((a, b))
    return merged


def _label_excursions(
    raw: np.ndarray,
    fps: float,
    codes: tuple[tuple[int, int, int], tuple[int, int, int]],
    settings: PhaseSettings,
    out: np.ndarray,
) -> None:
    """Label the bends of one signal (degrees, baseline removed) into move / hold / return.

    Steps are those of the module docstring; ``codes`` = (positive, negative) triples of
    (move, hold, return) codes.
    """
    t = raw.shape[0]
    sigma = float(noise_sigma(raw, fps))
    # 1. Smooth; on noisy input lengthen the window (up to max_smooth_s) until the speed
    #    noise is below the speed threshold, so that the velocity rules still mean something.
    window = settings.smooth_s
    while True:
        excursion = smooth_series(raw, fps, window)
        velocity = derivative_series(raw, fps, window)
        sigma_v = sigma * filter_gain(fps, t, window, deriv=1)
        quiet = _NOISE_SDS * sigma_v <= settings.velocity_fraction * float(np.abs(velocity).max())
        if quiet or window >= settings.max_smooth_s:
            break
        window = min(window * 1.5, settings.max_smooth_s)
    sigma_x = sigma * filter_gain(fps, t, window)
    peak = float(np.abs(excursion).max())
    threshold = max(settings.onset_fraction * peak, settings.min_onset_deg, _NOISE_SDS * sigma_x)
    runs = _bend_runs(excursion, threshold, settings, fps)
    prev_stop = 0
    for i, (start, stop) in enumerate(runs):
        limit = runs[i + 1][0] if i + 1 < len(runs) else t
        k = start + int(np.argmax(np.abs(excursion[start:stop])))
        sign = 1.0 if excursion[k] > 0 else -1.0
        peak_speed = float(np.abs(velocity[start:stop]).max())
        v_thr = max(settings.velocity_fraction * peak_speed, _NOISE_SDS * sigma_v)
        # 2. Widen while still moving away from zero (before) / back towards it (after).
        while start > prev_stop and sign * velocity[start - 1] > v_thr:
            start -= 1
        while stop < limit and -sign * velocity[stop] > v_thr:
            stop += 1
        prev_stop = stop
        # 3. Hold: near the peak and slow, the contiguous block around the peak frame.
        depth = max(settings.hold_fraction * abs(excursion[k]), _NOISE_SDS * sigma_x)
        near = (sign * excursion >= abs(excursion[k]) - depth) & (np.abs(velocity) <= v_thr)
        first = last = k
        while first > start and near[first - 1]:
            first -= 1
        while last < stop - 1 and near[last + 1]:
            last += 1
        move, hold, ret = codes[0] if sign > 0 else codes[1]
        out[start:first] = move
        out[first : last + 1] = hold
        out[last + 1 : stop] = ret


def detect_phases(
    lumbar_angle: np.ndarray,
    trunk_angle: np.ndarray,
    fps: float,
    *,
    lumbar_lateral: np.ndarray | None = None,
    movement: str | None = None,
    settings: PhaseSettings | None = None,
) -> np.ndarray:
    """Per-frame ``MovementPhase`` codes of a bend, lateral bend, gait or standing sequence.

    Args:
        lumbar_angle: L1–S1 sagittal angle (flexion +), radians. Checked; the segmentation
            itself uses the trunk (which contains the lumbar motion).
        trunk_angle: trunk inclination (forward +), radians.
        fps: frames per second.
        lumbar_lateral: lumbar lateral angle (left +), radians; needed for lateral bends.
        movement: the movement if known (one of ``MOVEMENTS``): sagittal segmentation for
            bends, lateral segmentation for ``"lateral_bend"``, all frames ``GAIT`` for gait,
            ``STANDING`` for standing, ``UNKNOWN`` for unknown. None: the larger of the trunk
            and lumbar lateral excursions decides; below 3° everything is standing.
        settings: detector thresholds (default ``PhaseSettings()``).

    Returns:
        (T,) int array of ``MovementPhase`` values.

    Shapes:
        lumbar_angle, trunk_angle, lumbar_lateral: (T,).
    """
    fps = _check_fps(fps)
    trunk = _check_series("trunk_angle", trunk_angle)
    t = trunk.shape[0]
    _check_series("lumbar_angle", lumbar_angle, t)
    lateral = None if lumbar_lateral is None else _check_series("lumbar_lateral", lumbar_lateral, t)
    if movement is not None and movement not in MOVEMENTS:
        raise ValueError(f"movement must be one of {MOVEMENTS} or None, got {movement!r}.")
    settings = settings or PhaseSettings()
    phases = np.full(t, int(MovementPhase.STANDING), dtype=np.int64)
    if movement in ("gait", "unknown"):
        phases[:] = MovementPhase.GAIT if movement == "gait" else MovementPhase.UNKNOWN
        return phases
    if movement == "standing":
        return phases

    def excursion(x: np.ndarray) -> np.ndarray:
        deg = np.rad2deg(x)
        return deg - _baseline(smooth_series(deg, fps), fps, settings.baseline_s)

    d_trunk = excursion(trunk)
    d_lat = None if lateral is None else excursion(lateral)
    if movement == "lateral_bend" and d_lat is None:
        raise ValueError("movement='lateral_bend' needs lumbar_lateral; pass the lateral angle.")
    if movement is None:
        size_trunk = float(np.abs(smooth_series(d_trunk, fps)).max())
        size_lat = 0.0 if d_lat is None else float(np.abs(smooth_series(d_lat, fps)).max())
        if max(size_trunk, size_lat) < _STANDING_DEG:
            return phases
        movement = "lateral_bend" if size_lat > size_trunk else "forward_bend"
    if movement == "lateral_bend":
        _label_excursions(d_lat, fps, _LATERAL_CODES, settings, phases)
    else:
        _label_excursions(d_trunk, fps, _SAGITTAL_CODES, settings, phases)
    return phases


def split_cycles(signal: np.ndarray, fps: float, *, min_period_s: float = 0.4) -> np.ndarray:
    """Split a roughly periodic signal into cycles at its upward zero crossings.

    The signal is smoothed (Savitzky–Golay, 0.3 s) and its mean removed; crossings closer
    than ``min_period_s`` to the previous one are ignored (noise).

    Args:
        signal: e.g. the lumbar lateral angle in gait (one oscillation per stride).
        fps: frames per second.
        min_period_s: shortest accepted cycle.

    Returns:
        (T,) int array: cycle index 0, 1, … for frames inside complete cycles, −1 outside.

    Shapes:
        signal: (T,).
    """
    fps = _check_fps(fps)
    x = _check_series("signal", signal)
    xs = smooth_series(x, fps)
    xs = xs - xs.mean()
    ups = np.flatnonzero((xs[:-1] < 0) & (xs[1:] >= 0)) + 1
    kept: list[int] = []
    for u in ups.tolist():
        if not kept or (u - kept[-1]) >= min_period_s * fps:
            kept.append(u)
    cycle = np.full(x.shape[0], -1, dtype=np.int64)
    for i, (a, b) in enumerate(zip(kept[:-1], kept[1:], strict=True)):
        cycle[a:b] = i
    return cycle
