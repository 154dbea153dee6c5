"""Classifier inputs from a ``DynamicSpine`` per movement: interpretable scalars + trajectories.

For each movement (``"forward_bend"``, ``"backward_bend"``):

* **Scalars** (:data:`SCALAR_FEATURES`) — clinical metrics from
  :func:`humanmovenet.biomech.compute_metrics` (``n_bootstrap=0``, movement given): peak lumbar
  flexion (forward) or extension (backward) from standing, peak hip flexion / extension,
  lumbar : hip ratio at the peak of the bend and over its first third, hip contribution (%),
  standing lumbar lordosis, pelvic tilt range and (forward bend) thoracic ROM. Ratios are
  clipped to [0, 5] so that a near-zero hip excursion cannot dominate a linear model. A metric
  that is undefined for a sequence (e.g. no hip angle) is NaN here and is imputed with the
  training mean by the models (its absence is named in the evidence).
* **Trajectories** — lumbar angle, pelvic tilt, hip flexion and thoracic angle, each relative
  to its standing value, in degrees, over the active part of the movement (frames whose
  detected phase is not standing; the whole sequence if no phase is found), resampled
  linearly to :data:`TRAJECTORY_LENGTH` samples. Without a hip angle the hip channel is the
  pelvic tilt (with straight knees and planted feet the pelvis turns with the hips).

Only :mod:`humanmovenet.biomech` and :mod:`humanmovenet.types` are used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from humanmovenet.types import DynamicSpine

__all__ = [
    "SCALAR_FEATURES",
    "TRAJECTORY_CHANNELS",
    "TRAJECTORY_LENGTH",
    "ScalarFeature",
    "MovementFeatures",
    "movement_features",
    "scalar_names",
    "trajectory_names",
    "CANDIDATE_FEATURES",
    "candidate_features",
]

#: Samples per time-normalised trajectory.
TRAJECTORY_LENGTH = 48

#: Trajectory channels per movement (degrees relative to standing).
TRAJECTORY_CHANNELS: tuple[str, ...] = ("lumbar", "pelvis", "hip", "thoracic")

_RATIO_CLIP = (0.0, 5.0)


@dataclass(frozen=True)
class ScalarFeature:
    """One interpretable scalar input.

    Attributes:
        key: attribute of :class:`humanmovenet.biomech.SpineMetrics`.
        text: plain-language name used in evidence sentences.
        unit: ``"°"``, ``"%"`` or ``""`` (ratio).
    """

    key: str
    text: str
    unit: str


_COMMON = (
    ScalarFeature("lumbar_hip_ratio", "lumbar : hip ratio at the peak", ""),
    ScalarFeature("lumbar_hip_ratio_early", "lumbar : hip ratio in the first third", ""),
    ScalarFeature("hip_contribution", "hip contribution", "%"),
    ScalarFeature("standing_lumbar_lordosis", "standing lumbar lordosis", "°"),
    ScalarFeature("pelvic_tilt_range", "pelvic tilt range", "°"),
)

#: Scalar features per movement, in feature order.
SCALAR_FEATURES: dict[str, tuple[ScalarFeature, ...]] = {
    "forward_bend": (
        ScalarFeature("peak_lumbar_flexion", "peak lumbar flexion", "°"),
        ScalarFeature("peak_hip_flexion", "peak hip flexion", "°"),
        *_COMMON,
        ScalarFeature("thoracic_rom", "thoracic range of motion", "°"),
    ),
    "backward_bend": (
        ScalarFeature("peak_lumbar_extension", "peak lumbar extension", "°"),
        ScalarFeature("peak_hip_extension", "peak hip extension", "°"),
        *_COMMON,
    ),
}


def scalar_names(inputs: Sequence[str]) -> tuple[str, ...]:
    """Feature names ``"<movement>.<metric>"`` for the given movements, in feature order."""
    return tuple(f"{mv}.{f.key}" for mv in inputs for f in SCALAR_FEATURES[mv])


def trajectory_names(inputs: Sequence[str]) -> tuple[str, ...]:
    """Channel names ``"<movement>.<channel>"`` for the given movements, in channel order."""
    return tuple(f"{mv}.{c}" for mv in inputs for c in TRAJECTORY_CHANNELS)


@dataclass(frozen=True)
class MovementFeatures:
    """Classifier inputs of one movement.

    Attributes:
        movement: ``"forward_bend"`` or ``"backward_bend"``.
        scalars: values of ``SCALAR_FEATURES[movement]`` (degrees, % or ratio; NaN = undefined).
        trajectories: time-normalised angle curves (degrees relative to standing), rows in
            :data:`TRAJECTORY_CHANNELS` order.
        notes: plain-language remarks (undefined metrics, substituted channels).

    Shapes:
        scalars: (S,); trajectories: (4, TRAJECTORY_LENGTH).
    """

    movement: str
    scalars: np.ndarray
    trajectories: np.ndarray
    notes: tuple[str, ...] = ()


def _resample(x: np.ndarray, n: int) -> np.ndarray:
    src = np.linspace(0.0, 1.0, x.shape[0])
    return np.interp(np.linspace(0.0, 1.0, n), src, x)


def _active_span(phase: np.ndarray, trunk: np.ndarray) -> tuple[int, int]:
    """First and last frame of the movement (non-standing phases, else trunk excursion)."""
    active = np.flatnonzero((phase >= 1) & (phase <= 6))
    if active.size < 2:
        exc = np.abs(trunk - trunk[0])
        active = np.flatnonzero(exc > 0.1 * max(float(exc.max()), 1e-9))
    if active.size < 2:
        return 0, trunk.shape[0] - 1
    return int(active[0]), int(active[-1])


def _bend_metrics(spine: DynamicSpine, movement: str):
    """``compute_metrics`` of ``spine`` as ``movement`` (no bootstrap), inputs checked."""
    from humanmovenet.biomech import compute_metrics

    if movement not in SCALAR_FEATURES:
        raise ValueError(
            f"movement must be one of {tuple(SCALAR_FEATURES)}, got {movement!r}; the "
            "classifier uses forward and backward bends."
        )
    if not isinstance(spine, DynamicSpine):
        raise ValueError(
            f"{movement}: expected a humanmovenet.types.DynamicSpine, got {type(spine).__name__}."
        )
    try:
        return compute_metrics(spine, movement=movement, n_bootstrap=0)
    except ValueError as err:
        raise ValueError(f"{movement}: cannot measure this spine: {err}") from err


def movement_features(spine: DynamicSpine, movement: str) -> MovementFeatures:
    """Scalars and trajectories of one movement of one person.

    Args:
        spine: the person's dynamic spine during ``movement`` (≥ 5 frames).
        movement: ``"forward_bend"`` or ``"backward_bend"``.

    Returns:
        A :class:`MovementFeatures`.

    Raises:
        ValueError: unknown movement, or a spine the metrics stage rejects (message says why).

    Shapes:
        spine.positions: (T, 25, 3) → scalars (S,), trajectories (4, TRAJECTORY_LENGTH).
    """
    m = _bend_metrics(spine, movement)
    notes: list[str] = []
    values = []
    for f in SCALAR_FEATURES[movement]:
        mv = getattr(m, f.key, None)
        v = float("nan") if mv is None else float(mv.value)
        if f.key.startswith("lumbar_hip_ratio") and math.isfinite(v):
            v = float(np.clip(v, *_RATIO_CLIP))
        if not math.isfinite(v):
            v = float("nan")
            notes.append(f"{f.text} ({movement.replace('_', ' ')}) undefined")
        values.append(v)
    standing = m.phase == 0
    lo, hi = _active_span(np.asarray(m.phase), np.asarray(m.trunk_inclination))

    def rel(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        ref = float(np.median(x[standing])) if standing.any() else float(x[0])
        return np.degrees(_resample(x[lo : hi + 1] - ref, TRAJECTORY_LENGTH))

    hip = m.hip_flexion
    if hip is None:
        hip = m.pelvic_tilt
        notes.append(f"no hip angle in the {movement.replace('_', ' ')}: pelvic tilt used instead")
    traj = np.stack([rel(m.lumbar_angle), rel(m.pelvic_tilt), rel(hip), rel(m.thoracic_angle)])
    return MovementFeatures(
        movement=movement,
        scalars=np.asarray(values, dtype=np.float64),
        trajectories=traj,
        notes=tuple(notes),
    )


def sample_features(
    spines: Mapping[str, DynamicSpine], inputs: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Concatenated scalars and trajectories of several movements of one person.

    Args:
        spines: movement name → DynamicSpine; must hold every movement in ``inputs``.
        inputs: movements to use, in order.

    Returns:
        (scalars (S,), trajectories (4·len(inputs), TRAJECTORY_LENGTH), notes).
    """
    missing = [mv for mv in inputs if mv not in spines]
    if missing:
        raise ValueError(
            f"missing movement(s) {missing}: this classifier uses {tuple(inputs)}; pass a "
            f"DynamicSpine for each (got {sorted(spines)})."
        )
    feats = [movement_features(spines[mv], mv) for mv in inputs]
    notes = tuple(n for f in feats for n in f.notes)
    return (
        np.concatenate([f.scalars for f in feats]),
        np.concatenate([f.trajectories for f in feats]),
        notes,
    )


#: Diagnostic features of the movement INTO the bend (standing → largest trunk excursion) that
#: describe how the bend is shared between lumbar spine and hips, its timing, and the standing
#: morphology. Not classifier inputs: ``train_classifier_video`` measures, on its training
#: subjects, whether a reconstruction preserves them (correlation with the ground truth) and
#: whether they separate FP from EP (Cohen's d), so a reconstruction that starts to recover
#: the lumbar / hip split shows up there first. Name → plain-language definition.
CANDIDATE_FEATURES: dict[str, str] = {
    "lumbar_on_hip_slope": "least-squares slope of Δlumbar on Δhip (from standing) over the "
    "frames into the bend",
    "lumbar_share_of_trunk": "slope through the origin of Δlumbar on Δtrunk inclination over "
    "the frames into the bend",
    "hip_share_of_trunk": "slope through the origin of Δhip on Δtrunk inclination over the "
    "frames into the bend",
    "lumbar_hip_direction_deg": "direction of the (Δhip, Δlumbar) path into the bend (first "
    "principal axis, degrees from the hip axis; 45° = equal shares)",
    "lumbar_lead": "mean over the frames into the bend of (Δlumbar / its value at the peak) − "
    "(Δtrunk / its value at the peak); > 0 = lumbar ahead of the trunk",
    "hip_lead": "the same for the hip",
    "lumbar_minus_hip_half_time": "time at which Δlumbar reaches half its peak value minus the "
    "same for Δhip, as a fraction of the time into the bend (< 0 = lumbar first)",
    "lumbar_lordosis_deg": "standing lumbar lordosis of the spine's morphology (degrees; for a "
    "reconstruction the static estimate, before the per-frame pose is added)",
    "sacral_slope_deg": "standing sacral slope of the spine's morphology (degrees)",
    "thoracic_kyphosis_deg": "standing thoracic kyphosis of the spine's morphology (degrees)",
}


def _half_time(x: np.ndarray) -> float:
    """Fraction of the span at which the normalised progress ``x`` (0 → 1) first reaches 0.5."""
    hit = np.flatnonzero(x >= 0.5)
    if hit.size == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0:
        return 0.0
    frac = (0.5 - x[i - 1]) / (x[i] - x[i - 1]) if x[i] != x[i - 1] else 0.0
    return float((i - 1 + frac) / (x.shape[0] - 1))


def candidate_features(spine: DynamicSpine, movement: str) -> dict[str, float]:
    """The :data:`CANDIDATE_FEATURES` of one bend (NaN where undefined, e.g. no hip angle).

    "Into the bend" = from the frame before the first non-standing phase (the first frame if
    none) to the frame of largest trunk excursion from standing (at least 3 frames);
    Δ = change from the median of the standing frames.

    Raises:
        ValueError: unknown movement, or a spine the metrics stage rejects.

    Shapes:
        spine.positions: (T, 25, 3) → a dict of floats.
    """
    m = _bend_metrics(spine, movement)
    phase = np.asarray(m.phase)
    standing = phase == 0

    def delta(x: np.ndarray | None) -> np.ndarray | None:
        if x is None:
            return None
        x = np.asarray(x, dtype=np.float64)
        return x - (float(np.median(x[standing])) if standing.any() else float(x[0]))

    trunk = delta(m.trunk_inclination)
    lumbar, hip = delta(m.lumbar_angle), delta(m.hip_flexion)
    peak = int(np.argmax(np.abs(trunk)))
    active = np.flatnonzero(phase != 0)
    start = max(int(active[0]) - 1, 0) if active.size else 0
    start = max(min(start, peak - 2), 0)
    sl = slice(start, peak + 1)
    nan = float("nan")
    out = dict.fromkeys(CANDIDATE_FEATURES, nan)
    out["lumbar_lordosis_deg"] = float(spine.morphology.lumbar_lordosis_deg)
    out["sacral_slope_deg"] = float(spine.morphology.sacral_slope_deg)
    out["thoracic_kyphosis_deg"] = float(spine.morphology.thoracic_kyphosis_deg)
    tr, lu = trunk[sl], lumbar[sl]
    if tr.shape[0] < 3 or abs(tr[-1]) < 1e-6:
        return out

    def through_origin(a: np.ndarray, b: np.ndarray) -> float:
        den = float(b @ b)
        return float(a @ b / den) if den > 0 else nan

    def progress(x: np.ndarray) -> np.ndarray | None:
        return x / x[-1] if abs(x[-1]) > 1e-6 else None

    out["lumbar_share_of_trunk"] = through_origin(lu, tr)
    p_tr, p_lu = progress(tr), progress(lu)
    if p_lu is not None:
        out["lumbar_lead"] = float(np.mean(p_lu - p_tr))
    if hip is None:
        return out
    hi = hip[sl]
    out["hip_share_of_trunk"] = through_origin(hi, tr)
    hc, lc = hi - hi.mean(), lu - lu.mean()
    if float(hc @ hc) > 0:
        out["lumbar_on_hip_slope"] = float(hc @ lc / (hc @ hc))
    _, _, vt = np.linalg.svd(np.stack([hi, lu], axis=1), full_matrices=False)
    out["lumbar_hip_direction_deg"] = math.degrees(math.atan2(abs(vt[0, 1]), abs(vt[0, 0])))
    p_hi = progress(hi)
    if p_hi is not None:
        out["hip_lead"] = float(np.mean(p_hi - p_tr))
        if p_lu is not None:
            out["lumbar_minus_hip_half_time"] = _half_time(p_lu) - _half_time(p_hi)
    return out
