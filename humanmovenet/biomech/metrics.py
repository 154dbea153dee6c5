"""Clinical lumbopelvic metrics of a ``DynamicSpine``: definitions, normal ranges, uncertainty.

``compute_metrics(spine)`` detects the movement and its phases, measures the angle series of
:mod:`humanmovenet.biomech.angles` and returns a frozen :class:`SpineMetrics` whose fields are
:class:`MetricValue` objects ("lumbar ROM 48.0° ± 3.0°"). Every metric's definition is in
``DEFINITIONS`` (and docs/clinical_metrics.md), its literature range in ``NORMAL_RANGES``, its
uncertainty method in :mod:`humanmovenet.biomech.uncertainty`.

Reference ("standing") values are the median over the frames detected as ``STANDING``; when a
sequence has none (gait, a trial that starts bent) they fall back to the neutral of the spine
model: −lordosis and +kyphosis of ``DynamicSpine.morphology``, the morphology's neutral lateral
angle, 0 for the pelvis (body-model neutral) and the hips.

Degrees appear in ``MetricValue`` objects (a report, unit stated in ``MetricValue.unit``); the
per-frame angle series stored in ``SpineMetrics`` are radians like everywhere else.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ..types import DynamicSpine
from . import angles as ang
from .filtering import NOISE_WINDOW_S, smooth_series
from .phases import (
    MOVEMENTS,
    MovementPhase,
    PhaseSettings,
    detect_movement,
    detect_phases,
    split_cycles,
)
from .uncertainty import (
    SIMEX_LEVELS,
    Bootstrap,
    MetricCalibration,
    bootstrap_statistics,
    combined_interval,
    summarize_replicates,
)

__all__ = [
    "MetricValue",
    "LevelMetrics",
    "NormalRange",
    "SpineMetrics",
    "DEFINITIONS",
    "NORMAL_RANGES",
    "compute_metrics",
    "apply_calibration",
    "symmetry_index_from_peaks",
]

_MIN_BEND_DEG = 5.0  # trunk excursion below which a lumbar:hip ratio is undefined (as synth)
_MIN_HIP_DEG = 1.0  # hip excursion below which a lumbar:hip ratio is undefined
_MIN_LATERAL_DEG = 0.5  # side peak below which a symmetry index is undefined

_UNIT_SUFFIX = {"deg": "°", "%": " %", "1": ""}


@dataclass(frozen=True)
class MetricValue:
    """One clinical number with its unit, uncertainty and definition.

    The "±" of ``str()`` is :attr:`total_uncertainty`: the frame-noise SD of the bootstrap
    combined in quadrature with the calibrated reconstruction error (``reconstruction_sd``)
    when the spine was reconstructed from a video; for a spine given directly it is the noise
    SD alone, as before.

    Attributes:
        value: the metric, corrected for the noise bias estimated by the bootstrap (equal to
            the metric of the data as given when there is no bootstrap or no noise) and, when
            calibrated, for the reconstruction's measured bias where that is applied
            (``reconstruction_bias``).
        uncertainty: standard deviation of the metric over the noise bootstrap (0 without a
            bootstrap; ≈0 for noise-free input; NaN when the metric was undefined in too many
            replicates). Frame noise only.
        unit: ``"deg"``, ``"%"`` or ``"1"`` (dimensionless ratio).
        ci_low, ci_high: 95 % interval: value + 2.5 / 97.5 % percentiles of the noise
            replicates' deviations from their mean; when calibrated each side's half-width h
            becomes sqrt(h² + (1.96·reconstruction_sd)²).
        definition_key: key into ``DEFINITIONS`` / ``NORMAL_RANGES``.
        bias: noise bias removed from the data value (``value + bias + reconstruction_bias`` =
            metric of the data as given); 0 without a bootstrap.
        reconstruction_sd: SD of the reconstruction's systematic error, measured against
            ground truth on rendered synthetic videos (``biomech.MetricCalibration``); 0 for a
            spine that was not reconstructed (no calibration given); NaN for a reconstructed
            spine whose movement or metric is not calibrated (then the ± is noise only and
            ``str()`` says so).
        reconstruction_bias: the calibrated reconstruction bias removed from the value (0 when
            not calibrated or not applied).
    """

    value: float
    uncertainty: float
    unit: str
    ci_low: float
    ci_high: float
    definition_key: str
    bias: float = 0.0
    reconstruction_sd: float = 0.0
    reconstruction_bias: float = 0.0

    @property
    def calibrated(self) -> bool:
        """True when a calibrated reconstruction error is part of the uncertainty."""
        return bool(np.isfinite(self.reconstruction_sd) and self.reconstruction_sd > 0)

    @property
    def total_uncertainty(self) -> float:
        """Noise SD and reconstruction SD combined in quadrature (the noise SD alone when there
        is no calibrated reconstruction error)."""
        if not self.calibrated:
            return self.uncertainty
        return math.hypot(self.uncertainty, self.reconstruction_sd)

    def __str__(self) -> str:
        suffix = _UNIT_SUFFIX.get(self.unit, f" {self.unit}")
        digits = 2 if self.unit == "1" else 1
        text = f"{self.value:.{digits}f}{suffix} ± {self.total_uncertainty:.{digits}f}{suffix}"
        if np.isnan(self.reconstruction_sd):
            text += " (frame noise only: reconstruction error not calibrated)"
        return text

    @property
    def definition(self) -> str:
        """Plain-language definition of this metric."""
        return DEFINITIONS[self.definition_key]


@dataclass(frozen=True)
class NormalRange:
    """A literature range of a metric.

    Attributes:
        low, high: range limits (None if the source gives only a mean).
        unit: as in ``MetricValue.unit``.
        movement: the movement the range applies to (``"any"`` if not specific).
        population: who was measured.
        source: citation, with a note when it was not re-checked here.
        mean, sd: central value and spread if published.
    """

    low: float | None
    high: float | None
    unit: str
    movement: str
    population: str
    source: str
    mean: float | None = None
    sd: float | None = None


_TROKE = (
    "Troke M. et al. (2005) Man Ther 10:198–206 (normative lumbar ROM, 16–90 y), as quoted in "
    "DESIGN.md §4 and docs/synthetic_motions.md; span of age-group means, young → old; the "
    "paper itself not re-checked here"
)
_DESIGN = "DESIGN.md §4 (EOS, low-back-pain cohort; primary paper not identified/re-checked here)"

#: Definition of every metric key (also docs/clinical_metrics.md).
DEFINITIONS: dict[str, str] = {
    "lumbar_rom": "range (max − min) over the sequence of the L1–S1 sagittal angle (sum of the "
    "segmental sagittal angles L5/S1…L1/L2; = angle of L1 relative to S1 for sagittal motion)",
    "peak_lumbar_flexion": "largest L1–S1 angle change from standing towards flexion (≥ 0), deg",
    "peak_lumbar_extension": "largest L1–S1 angle change from standing towards extension (≥ 0)",
    "standing_lumbar_lordosis": "−(L1–S1 sagittal angle) over the standing frames (median), "
    "lordotic +",
    "thoracic_rom": "range of the T1–T12 sagittal angle (sum of segmental angles T11/T12…T1/T2)",
    "standing_thoracic_kyphosis": "T1–T12 sagittal angle over the standing frames (median), "
    "kyphotic +",
    "pelvic_tilt_range": "range of the pelvic tilt: pelvis cranial axis to vertical in the "
    "pelvis sagittal plane, anterior +",
    "standing_pelvic_tilt": "pelvic tilt over the standing frames (median) + "
    "pelvic_tilt_offset_deg; relative to the body model's neutral pelvis unless calibrated",
    "peak_hip_flexion": "largest mean (left/right) hip flexion change from standing (≥ 0)",
    "peak_hip_extension": "largest mean hip extension change from standing (≥ 0)",
    "hip_contribution": "100·Δhip/(Δhip + Δlumbar) at the frame of largest trunk excursion, "
    "changes from standing, percent; undefined when hips and lumbar spine move in opposite "
    "directions",
    "lumbar_hip_ratio": "Δlumbar/Δhip (changes from standing) at the frame t* of largest "
    "|trunk inclination change|; positive in forward and backward bends",
    "lumbar_hip_ratio_early": "Δlumbar/Δhip over the first third of the trunk excursion of the "
    "movement into the main bend",
    "lumbar_hip_ratio_middle": "Δlumbar/Δhip over the middle third of the movement into the bend",
    "lumbar_hip_ratio_late": "Δlumbar/Δhip over the last third of the movement into the bend",
    "peak_trunk_inclination": "signed trunk (T1 cranial axis) inclination change from standing "
    "at its largest magnitude, forward +",
    "peak_lateral_left": "largest change of the L1–S1 lateral angle (sum of segmental lateral "
    "angles L5/S1…L1/L2) from neutral towards the left (≥ 0); neutral = standing frames, else "
    "the rest curve of DynamicSpine.morphology",
    "peak_lateral_right": "largest change of the L1–S1 lateral angle from neutral towards the "
    "right (≥ 0)",
    "symmetry_index": "100·|L − R|/((L + R)/2), percent, 0 = symmetric; L/R = peak left/right "
    "lumbar lateral flexion from neutral (lateral bend: the sequence's peaks; gait: means over "
    "the complete cycles of split_cycles of the per-cycle peaks)",
    "level_rom": "range of the sagittal angle of one disc (upper vertebra relative to lower)",
}

#: Literature ranges per metric key (a metric may have ranges for several movements).
NORMAL_RANGES: dict[str, tuple[NormalRange, ...]] = {
    "peak_lumbar_flexion": (
        NormalRange(40.0, 72.0, "deg", "forward_bend", "healthy adults; mean ≈72° young → ≈40° "
                    "old", _TROKE),
    ),
    "lumbar_rom": (
        NormalRange(40.0, 72.0, "deg", "forward_bend", "healthy adults (= flexion ROM in a "
                    "forward bend)", _TROKE),
        NormalRange(6.0, 29.0, "deg", "backward_bend", "healthy adults (= extension ROM)", _TROKE),
    ),
    "peak_lumbar_extension": (
        NormalRange(6.0, 29.0, "deg", "backward_bend", "healthy adults; ≈29° young → ≈6° old",
                    _TROKE),
    ),
    "peak_lateral_left": (
        NormalRange(14.0, 28.0, "deg", "lateral_bend", "healthy adults, each side", _TROKE),
    ),
    "peak_lateral_right": (
        NormalRange(14.0, 28.0, "deg", "lateral_bend", "healthy adults, each side", _TROKE),
    ),
    "standing_lumbar_lordosis": (
        NormalRange(26.0, 38.0, "deg", "any", "LBP patients (mean ± 1 SD)", _DESIGN, 32.0, 6.0),
    ),
    "standing_thoracic_kyphosis": (
        NormalRange(38.0, 50.0, "deg", "any", "LBP patients (mean ± 1 SD)", _DESIGN, 44.0, 6.0),
    ),
    "standing_pelvic_tilt": (
        NormalRange(0.0, 23.0, "deg", "any", "adults, anterior tilt (clinical ASIS–PSIS type)",
                    "DESIGN.md §4 (primary paper not re-checked here)", 13.0, 5.0),
    ),
    "lumbar_hip_ratio": (
        NormalRange(1.2, 1.9, "1", "backward_bend", "healthy adults",
                    "DESIGN.md §4 (primary source not identified/re-checked here)"),
        NormalRange(0.60, 0.88, "1", "forward_bend", "healthy adults, end of bend",
                    "Esola et al. 1996 Spine 21:71–78 (41.6° lumbar / 69.4° hip = 0.60); Laird "
                    "et al. 2019 BMC Musculoskelet Disord (52° lumbar / 59° pelvis = 0.88 — "
                    "pelvis, not hip); figures as quoted in docs/synthetic_motions.md, not "
                    "re-checked here"),
    ),
    "pelvic_tilt_range": (
        NormalRange(None, None, "deg", "forward_bend", "no LBP (59°) vs LBP (48°), means",
                    "Laird et al. 2019 BMC Musculoskelet Disord (pelvis motion in flexion; as "
                    "quoted in docs/synthetic_motions.md, not re-checked here)", 59.0),
        NormalRange(None, None, "deg", "gait", "healthy adults, ≈ 4° per stride",
                    "Perry & Burnfield 2010 (as quoted in docs/synthetic_motions.md; not "
                    "re-checked)", 4.0),
    ),
    "peak_trunk_inclination": (
        NormalRange(None, None, "deg", "forward_bend", "no LBP (111°) vs LBP (93°), means",
                    "Laird et al. 2019 BMC Musculoskelet Disord (as quoted in "
                    "docs/synthetic_motions.md, not re-checked here)", 111.0),
    ),
    "peak_hip_flexion": (
        NormalRange(None, None, "deg", "forward_bend", "healthy adults, 111° total bend",
                    "Esola et al. 1996 Spine 21:71–78 (as quoted in docs/synthetic_motions.md, "
                    "not re-checked here)", 69.4),
    ),
}  # fmt: skip


def symmetry_index_from_peaks(left: float, right: float) -> float:
    """Symmetry index 100·|L − R| / ((L + R)/2), percent (0 = symmetric).

    Args:
        left, right: positive magnitudes in the same unit.
    """
    if not (left > 0 and right > 0):
        raise ValueError(f"left and right must be positive magnitudes, got {left}, {right}.")
    return float(100.0 * abs(left - right) / (0.5 * (left + right)))


@dataclass(frozen=True)
class LevelMetrics:
    """Sagittal range of motion of each lumbar disc (``angles.LEVEL_DISCS``), degrees."""

    l5_s1: MetricValue
    l4_l5: MetricValue
    l3_l4: MetricValue
    l2_l3: MetricValue
    l1_l2: MetricValue
    t12_l1: MetricValue


_LEVEL_FIELDS = tuple(f.name for f in fields(LevelMetrics))


@dataclass(frozen=True, eq=False)
class SpineMetrics:
    """Clinical metrics of one movement sequence (equality is identity: it holds arrays).

    Every metric is a :class:`MetricValue` (degrees, percent or a ratio; see its ``unit``) or
    None when it is not defined for this sequence — ``unavailable`` then says why.

    Attributes:
        movement: detected (or given) movement, one of ``phases.MOVEMENTS``.
        fps: frames per second.
        phase: per-frame ``MovementPhase`` codes (−1 unknown, 0 standing, 1/2/3 flexion
            move/hold/return, 4/5/6 extension, 7/8/9 lateral left, 10/11/12 lateral right,
            16 gait).
        lumbar_angle, thoracic_angle, pelvic_tilt, trunk_inclination, lumbar_lateral: per-frame
            angles in radians (definitions in ``biomech.angles``; ``pelvic_tilt`` includes the
            offset).
        hip_flexion: mean hip flexion (rad) or None.
        level_angles: per-disc sagittal angles (rad), columns ``angles.LEVEL_DISCS``.
        gait_cycle: cycle index per frame in gait (−1 outside complete cycles), else all −1.
        peak_frame: frame t* of the largest trunk inclination change from standing.
        bend_frames: frames at 0, 1/3, 2/3 and all of the trunk excursion of the movement
            into the main sagittal bend (the cuts of ``lumbar_hip_ratio_early/middle/late``),
            or None.
        lumbar_rom … symmetry_index: the metrics (``DEFINITIONS`` has each definition).
        level_rom: per-disc ROM.
        unavailable: metric name → reason it is None.
        pelvic_tilt_offset_deg: offset added to the body-model pelvic tilt.
        smooth_s: smoothing window applied to the series before the metrics (seconds).
        n_bootstrap, seed: the uncertainty settings used.
        calibration: the reconstruction-error calibration applied to every metric
            (:func:`apply_calibration`), or None (noise uncertainty only: a spine that was not
            reconstructed from a video).

    Shapes:
        phase, lumbar_angle, thoracic_angle, pelvic_tilt, trunk_inclination, lumbar_lateral,
        hip_flexion, gait_cycle: (T,); level_angles: (T, 6).
    """

    movement: str
    fps: float
    phase: np.ndarray
    lumbar_angle: np.ndarray
    thoracic_angle: np.ndarray
    pelvic_tilt: np.ndarray
    trunk_inclination: np.ndarray
    lumbar_lateral: np.ndarray
    hip_flexion: np.ndarray | None
    level_angles: np.ndarray
    gait_cycle: np.ndarray
    peak_frame: int
    bend_frames: tuple[int, int, int, int] | None
    lumbar_rom: MetricValue
    peak_lumbar_flexion: MetricValue
    peak_lumbar_extension: MetricValue
    standing_lumbar_lordosis: MetricValue | None
    thoracic_rom: MetricValue
    standing_thoracic_kyphosis: MetricValue | None
    pelvic_tilt_range: MetricValue
    standing_pelvic_tilt: MetricValue | None
    peak_hip_flexion: MetricValue | None
    peak_hip_extension: MetricValue | None
    hip_contribution: MetricValue | None
    lumbar_hip_ratio: MetricValue | None
    lumbar_hip_ratio_early: MetricValue | None
    lumbar_hip_ratio_middle: MetricValue | None
    lumbar_hip_ratio_late: MetricValue | None
    peak_trunk_inclination: MetricValue
    peak_lateral_left: MetricValue | None
    peak_lateral_right: MetricValue | None
    symmetry_index: MetricValue | None
    level_rom: LevelMetrics
    unavailable: Mapping[str, str] = field(default_factory=dict)
    pelvic_tilt_offset_deg: float = 0.0
    smooth_s: float = 0.3
    n_bootstrap: int = 200
    seed: int = 0
    calibration: MetricCalibration | None = None

    @property
    def num_frames(self) -> int:
        return int(self.phase.shape[0])

    def metric_items(self) -> list[tuple[str, MetricValue | None]]:
        """All metrics as (name, value) pairs; per-level ROMs named ``level_rom_l5_s1`` etc."""
        out: list[tuple[str, MetricValue | None]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "level_rom":
                out += [(f"level_rom_{n}", getattr(value, n)) for n in _LEVEL_FIELDS]
            elif f.name in _METRIC_NAMES:
                out.append((f.name, value))
        return out

    def normal_range(self, key: str) -> NormalRange | None:
        """The literature range of metric ``key`` for this movement, or None."""
        for rng in NORMAL_RANGES.get(key, ()):
            if rng.movement in (self.movement, "any"):
                return rng
        return None

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat dict per metric (for CSV): value, uncertainty, CI, unit, normal range.

        ``uncertainty`` is the ± (``MetricValue.total_uncertainty``); with a calibration each
        row also has its parts ``noise_uncertainty``, ``reconstruction_sd`` and
        ``reconstruction_bias``. Undefined metrics have NaN values and their reason in
        ``note``.
        """
        rows = []
        for name, mv in self.metric_items():
            key = "level_rom" if name.startswith("level_rom_") else name
            rng = self.normal_range(key)
            nan = float("nan")
            rows.append(
                {
                    "movement": self.movement,
                    "metric": name,
                    "value": nan if mv is None else mv.value,
                    "uncertainty": nan if mv is None else mv.total_uncertainty,
                    "ci_low": nan if mv is None else mv.ci_low,
                    "ci_high": nan if mv is None else mv.ci_high,
                    "unit": _UNITS[key],
                    "normal_low": None if rng is None else rng.low,
                    "normal_high": None if rng is None else rng.high,
                    "normal_mean": None if rng is None else rng.mean,
                    "normal_source": "" if rng is None else rng.source,
                    "definition": DEFINITIONS[key],
                    "note": self.unavailable.get(name, ""),
                }
            )
            if self.calibration is not None:
                rows[-1].update(
                    noise_uncertainty=nan if mv is None else mv.uncertainty,
                    reconstruction_sd=nan if mv is None else mv.reconstruction_sd,
                    reconstruction_bias=nan if mv is None else mv.reconstruction_bias,
                )
        return rows

    def to_dict(self, include_series: bool = False) -> dict[str, Any]:
        """JSON-ready dict: movement, metrics (with units), unavailable reasons, settings.

        Args:
            include_series: also include the per-frame series (lists; angles in radians).
        """
        out: dict[str, Any] = {
            "movement": self.movement,
            "fps": self.fps,
            "num_frames": self.num_frames,
            "pelvic_tilt_offset_deg": self.pelvic_tilt_offset_deg,
            "uncertainty": {"method": "parametric bootstrap of frame noise at the measured level; "
                            "noise bias removed by SIMEX (biomech.uncertainty)",
                            "n_bootstrap": self.n_bootstrap,
                            "seed": self.seed, "interval": "2.5–97.5 % percentiles"},
            "metrics": {
                row["metric"]: {k: v for k, v in row.items() if k not in ("metric", "movement")}
                for row in self.to_rows()
            },
            "unavailable": dict(self.unavailable),
        }  # fmt: skip
        if self.calibration is not None:
            cal = self.calibration
            out["uncertainty"]["reconstruction"] = {
                "method": "reconstruction error (reconstructed − true metric) measured on "
                "rendered synthetic videos with exact ground truth; its SD beyond the frame "
                "noise is combined with the noise SD in quadrature (uncertainty = total; "
                "noise_uncertainty and reconstruction_sd are the parts)",
                "calibrated": cal.covers(self.movement),
                "source": cal.source,
                "reconstruction_method": cal.method,
                "reconstruction_key": cal.reconstruction_key,
            }
        if include_series:
            names = ("phase", "lumbar_angle", "thoracic_angle", "pelvic_tilt",
                     "trunk_inclination", "lumbar_lateral", "hip_flexion", "level_angles",
                     "gait_cycle")  # fmt: skip
            out["series"] = {
                n: None if getattr(self, n) is None else np.asarray(getattr(self, n)).tolist()
                for n in names
            }
            out["series_units"] = "rad (angles), MovementPhase codes (phase)"
        return out

    def summary(self) -> str:
        """Human-readable multi-line summary ("lumbar_rom: 48.0° ± 3.0°" …)."""
        lines = [f"movement: {self.movement}"]
        if self.calibration is not None and self.calibration.covers(self.movement):
            lines.append("(± = frame noise and the reconstruction's measured error, 1 SD)")
        for name, mv in self.metric_items():
            lines.append(
                f"{name}: {mv}"
                if mv is not None
                else f"{name}: — ({self.unavailable.get(name, '')})"
            )
        return "\n".join(lines)


_METRIC_NAMES = (
    "lumbar_rom", "peak_lumbar_flexion", "peak_lumbar_extension", "standing_lumbar_lordosis",
    "thoracic_rom", "standing_thoracic_kyphosis", "pelvic_tilt_range", "standing_pelvic_tilt",
    "peak_hip_flexion", "peak_hip_extension", "hip_contribution", "lumbar_hip_ratio",
    "lumbar_hip_ratio_early", "lumbar_hip_ratio_middle", "lumbar_hip_ratio_late",
    "peak_trunk_inclination", "peak_lateral_left", "peak_lateral_right", "symmetry_index",
)  # fmt: skip
_NON_NEGATIVE = frozenset(
    n for n in (*_METRIC_NAMES, "level_rom")
    if n.endswith("_rom") or n.endswith("_range") or n == "symmetry_index"
    or (n.startswith("peak_") and n != "peak_trunk_inclination")
)  # fmt: skip
_UNITS = {name: "deg" for name in (*_METRIC_NAMES, "level_rom")}
_UNITS.update({"hip_contribution": "%", "symmetry_index": "%", "lumbar_hip_ratio": "1",
               "lumbar_hip_ratio_early": "1", "lumbar_hip_ratio_middle": "1",
               "lumbar_hip_ratio_late": "1"})  # fmt: skip


# --------------------------------------------------------------------------- computation


@dataclass(frozen=True)
class _Context:
    """Everything the statistics need besides the (resampled) series; fixed per sequence."""

    movement: str
    standing: np.ndarray  # (T,) bool
    fallback: dict[str, float]  # reference when there are no standing frames (rad)
    t_star: int  # frame of largest trunk excursion
    thirds: tuple[int, int, int, int] | None  # onset, 1/3, 2/3, end of the move into the bend
    cycles: np.ndarray  # (T,) gait cycle index or −1
    pelvic_offset: float  # rad
    has_hip: bool
    fps: float
    smooth_s: float
    sagittal_only: bool = False  # lumbar lateral angle constant (< 1e-4 rad): not reconstructed


def _reference(x: np.ndarray, ctx: _Context, name: str) -> float:
    if ctx.standing.any():
        return float(np.median(x[ctx.standing]))
    return ctx.fallback[name]


def _positive(x: float) -> float:
    return max(float(x), 0.0) + 0.0  # + 0.0 turns −0.0 into 0.0


def _ratio(num: float, den: float) -> float | None:
    return None if abs(den) < math.radians(_MIN_HIP_DEG) else float(num / den)


def _smoothed(series: Mapping[str, np.ndarray], ctx: _Context) -> dict[str, np.ndarray]:
    if ctx.smooth_s <= 0:
        return dict(series)
    return {k: smooth_series(v, ctx.fps, ctx.smooth_s) for k, v in series.items()}


def _statistics(s: Mapping[str, np.ndarray], ctx: _Context) -> dict[str, float | None]:
    """All metric values (degrees / percent / ratio) from one set of smoothed series (rad)."""
    deg = math.degrees
    lumbar, thoracic, pelvis = s["lumbar"], s["thoracic"], s["pelvis"]
    trunk, lateral, levels = s["trunk"], s["lateral"], s["levels"]
    d_lumbar = lumbar - _reference(lumbar, ctx, "lumbar")
    d_trunk = trunk - _reference(trunk, ctx, "trunk")
    d_lat = lateral - _reference(lateral, ctx, "lateral")
    out: dict[str, float | None] = {
        "lumbar_rom": deg(np.ptp(lumbar)),
        "peak_lumbar_flexion": deg(_positive(d_lumbar.max())),
        "peak_lumbar_extension": deg(_positive((-d_lumbar).max())),
        "thoracic_rom": deg(np.ptp(thoracic)),
        "pelvic_tilt_range": deg(np.ptp(pelvis)),
        "peak_trunk_inclination": deg(d_trunk[ctx.t_star]),
    }
    if not ctx.sagittal_only:
        out["peak_lateral_left"] = deg(_positive(d_lat.max()))
        out["peak_lateral_right"] = deg(_positive((-d_lat).max()))
    for i, name in enumerate(_LEVEL_FIELDS):
        out[f"level_rom_{name}"] = deg(np.ptp(levels[:, i]))
    if ctx.standing.any():
        out["standing_lumbar_lordosis"] = -deg(_reference(lumbar, ctx, "lumbar"))
        out["standing_thoracic_kyphosis"] = deg(_reference(thoracic, ctx, "thoracic"))
        out["standing_pelvic_tilt"] = deg(_reference(pelvis, ctx, "pelvis") + ctx.pelvic_offset)
    if ctx.has_hip and ctx.movement not in _NO_BEND_METRICS:
        out.update(_hip_statistics(s["hip"], d_lumbar, d_trunk, lumbar, ctx))
    if ctx.movement in ("lateral_bend", "gait"):
        out["symmetry_index"] = _symmetry(d_lat, ctx)
    return out


#: Movements without a bend, where the hip peaks (of the mean of both hips, which cancels over
#: a stride) and the lumbopelvic rhythm (a bend measure) are undefined.
_NO_BEND_METRICS = ("gait",)
_BEND_ONLY = ("peak_hip_flexion", "peak_hip_extension", "hip_contribution", "lumbar_hip_ratio")


def _hip_statistics(
    hip: np.ndarray, d_lumbar: np.ndarray, d_trunk: np.ndarray, lumbar: np.ndarray, ctx: _Context
) -> dict[str, float | None]:
    """Hip peaks, hip contribution and lumbar:hip ratios (radians in, report units out)."""
    d_hip = hip - _reference(hip, ctx, "hip")
    out: dict[str, float | None] = {
        "peak_hip_flexion": math.degrees(_positive(d_hip.max())),
        "peak_hip_extension": math.degrees(_positive((-d_hip).max())),
    }
    if abs(math.degrees(d_trunk[ctx.t_star])) >= _MIN_BEND_DEG:
        lum_t, hip_t = d_lumbar[ctx.t_star], d_hip[ctx.t_star]
        out["lumbar_hip_ratio"] = _ratio(lum_t, hip_t)
        total = lum_t + hip_t
        # a share only exists when hips and lumbar spine move the trunk the same way; with
        # opposite signs the ratio explodes (e.g. 6000 %) and means nothing
        same_way = lum_t * hip_t >= 0.0
        out["hip_contribution"] = 100.0 * hip_t / total if same_way and abs(total) >= 1e-9 else None
    if ctx.thirds is not None:
        idx = ctx.thirds
        for name, a, b in zip(("early", "middle", "late"), idx[:-1], idx[1:], strict=True):
            out[f"lumbar_hip_ratio_{name}"] = _ratio(lumbar[b] - lumbar[a], hip[b] - hip[a])
    return out


def _symmetry(d_lat: np.ndarray, ctx: _Context) -> float | None:
    """SI of lumbar lateral flexion (definition in ``DEFINITIONS['symmetry_index']``)."""
    if ctx.movement == "gait" and (ctx.cycles >= 0).any():
        groups = [d_lat[ctx.cycles == c] for c in np.unique(ctx.cycles[ctx.cycles >= 0])]
        left = float(np.mean([g.max() for g in groups]))
        right = float(np.mean([(-g).max() for g in groups]))
    else:
        left, right = float(d_lat.max()), float((-d_lat).max())
    if min(left, right) < math.radians(_MIN_LATERAL_DEG):
        return None
    return symmetry_index_from_peaks(left, right)


def _move_thirds(
    d_trunk: np.ndarray, phase: np.ndarray, t_star: int
) -> tuple[int, int, int, int] | None:
    """Frames at 0, 1/3, 2/3 and 3/3 of the trunk excursion of the move into the main bend.

    The move is the run of FLEXION or EXTENSION frames before the peak frame ``t_star``; it
    starts at the frame before the run (last standing frame) and ends at the first frame after
    it (first hold frame).
    """
    moving = (MovementPhase.FLEXION, MovementPhase.EXTENSION)
    end = t_star
    while end > 0 and phase[end] not in moving:
        end -= 1
    if phase[end] not in moving:
        return None
    start = end
    while start > 0 and phase[start - 1] == phase[end]:
        start -= 1
    start = max(start - 1, 0)
    end = min(end + 1, len(phase) - 1)
    path = d_trunk[start : end + 1] * np.sign(d_trunk[t_star])
    total = path[-1] - path[0]
    if total <= math.radians(_MIN_BEND_DEG):
        return None
    cuts = [start]
    for frac in (1 / 3, 2 / 3):
        cuts.append(start + int(np.argmax(path - path[0] >= frac * total)))
    cuts.append(end)
    return (cuts[0], cuts[1], cuts[2], cuts[3]) if len(set(cuts)) == 4 else None


def _metric(name: str, value: float | None, boot: Bootstrap | None) -> MetricValue | None:
    """Wrap a value with its bootstrap uncertainty (no bootstrap: exact, zero spread)."""
    if value is None:
        return None
    key = "level_rom" if name.startswith("level_rom_") else name
    if boot is None:
        return MetricValue(float(value), 0.0, _UNITS[key], float(value), float(value), key)
    reps = boot.replicates.get(name, np.full(boot.size, np.nan))
    levels = boot.simex.get(name, np.full(len(SIMEX_LEVELS), np.nan))
    corrected, sd, lo, hi, bias = summarize_replicates(value, levels, reps)
    if key in _NON_NEGATIVE:  # ranges, peaks and the SI cannot go below 0
        corrected, lo, hi = (max(v, 0.0) if np.isfinite(v) else v for v in (corrected, lo, hi))
    return MetricValue(corrected, sd, _UNITS[key], lo, hi, key, bias)


def _angle_series(spine: DynamicSpine) -> dict[str, np.ndarray]:
    series = {
        "lumbar": ang.lumbar_angle_series(spine),
        "thoracic": ang.thoracic_angle_series(spine),
        "pelvis": ang.pelvic_tilt_series(spine),
        "trunk": ang.trunk_inclination_series(spine),
        "lateral": ang.lumbar_lateral_series(spine),
        "levels": ang.level_angle_series(spine),
    }
    if spine.hip_flexion is not None:
        series["hip"] = np.asarray(spine.hip_flexion, dtype=np.float64)
    return series


def _check_options(movement: str | None, n_bootstrap: int, offset: float, smooth_s: float):
    if movement is not None and movement not in MOVEMENTS:
        raise ValueError(f"movement must be one of {MOVEMENTS} or None, got {movement!r}.")
    if isinstance(n_bootstrap, bool) or not (
        isinstance(n_bootstrap, int | np.integer) and n_bootstrap >= 0
    ):
        raise ValueError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}.")
    if n_bootstrap == 1:
        raise ValueError("n_bootstrap must be 0 (no uncertainty) or >= 2 (typically 200).")
    if not np.isfinite(offset):
        raise ValueError(f"pelvic_tilt_offset_deg must be finite, got {offset}.")
    if not (np.isfinite(smooth_s) and smooth_s >= 0):
        raise ValueError(f"smooth_s must be >= 0 seconds (0 = no smoothing), got {smooth_s}.")


_MIN_LATERAL_STRIDE = math.radians(1.0)
#: (left, right) hip joint names of the body backends (anny, SMPL/SMPL-X); the same names as
#: ``body.skeleton`` maps to, repeated here because biomech does not import the body stage.
_HIP_JOINTS = (("upperleg01.L", "upperleg01.R"), ("left_hip", "right_hip"))


def _stride_signal(spine: DynamicSpine, series: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """A signal with one oscillation per gait stride, for :func:`phases.split_cycles`.

    The lumbar lateral angle when it moves by ≥ 1°; a sagittal-only reconstruction (the side
    view) has none, so then the left − right hip flexion difference of the body pose
    (``spine.pose``; the sagittal hip rotation is the x component of the hip's axis-angle).
    None when neither exists (cutting a flat signal would make cycles of noise).
    """
    lateral = series["lateral"]
    finite = lateral[np.isfinite(lateral)]
    if finite.size and np.ptp(finite) >= _MIN_LATERAL_STRIDE:
        return lateral
    diff = _hip_difference(spine)
    return diff if diff is not None and np.ptp(diff) >= _MIN_LATERAL_STRIDE else None


def _hip_difference(spine: DynamicSpine) -> np.ndarray | None:
    """Left − right sagittal hip rotation (T,) from the body pose (x of the hips' axis-angle),
    or None without a pose, hips or finite values."""
    if spine.pose is None:
        return None
    names = tuple(spine.pose.joint_names)
    for left, right in _HIP_JOINTS:
        if left in names and right in names:
            body_pose = np.asarray(spine.pose.body_pose)  # joints 1…J (root excluded)
            diff = body_pose[:, names.index(left) - 1, 0] - body_pose[:, names.index(right) - 1, 0]
            return diff if np.isfinite(diff).all() else None
    return None


def _context(
    spine: DynamicSpine,
    series: Mapping[str, np.ndarray],
    movement: str,
    phase: np.ndarray,
    offset_deg: float,
    smooth_s: float,
) -> _Context:
    fps = float(spine.fps)
    standing = phase == MovementPhase.STANDING
    morph = spine.morphology
    trunk = smooth_series(series["trunk"], fps, max(smooth_s, NOISE_WINDOW_S))
    fallback = {
        "lumbar": -math.radians(morph.lumbar_lordosis_deg),
        "thoracic": math.radians(morph.thoracic_kyphosis_deg),
        "pelvis": 0.0,
        "hip": 0.0,
        "lateral": ang.neutral_lumbar_lateral(morph),
        "trunk": float(np.median(trunk[: max(1, int(0.3 * fps))])),
    }
    trunk_ref = float(np.median(trunk[standing])) if standing.any() else fallback["trunk"]
    d_trunk = trunk - trunk_ref
    t_star = int(np.argmax(np.abs(d_trunk)))
    stride = _stride_signal(spine, series) if movement == "gait" else None
    cycles = split_cycles(stride, fps) if stride is not None else np.full(len(phase), -1)
    return _Context(
        movement=movement,
        standing=standing,
        fallback=fallback,
        t_star=t_star,
        thirds=_move_thirds(d_trunk, phase, t_star),
        cycles=cycles,
        pelvic_offset=math.radians(offset_deg),
        has_hip="hip" in series,
        fps=fps,
        smooth_s=float(smooth_s),
        sagittal_only=_is_flat(series["lateral"]),
    )


def _is_flat(x: np.ndarray) -> bool:
    """True when a series does not move at all (< 1e-4 rad ≈ 0.006°): the stage did not reconstruct it."""
    finite = x[np.isfinite(x)]
    return finite.size == 0 or float(np.ptp(finite)) < 1e-4


def compute_metrics(
    spine: DynamicSpine,
    *,
    movement: str | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    smooth_s: float = 0.3,
    pelvic_tilt_offset_deg: float = 0.0,
    phase_settings: PhaseSettings | None = None,
    calibration: MetricCalibration | None = None,
) -> SpineMetrics:
    """Clinical metrics of one movement of a ``DynamicSpine``, each with an uncertainty.

    Steps:

    1. Per-frame angle series (``biomech.angles``): L1–S1, T1–T12, per-disc, lumbar lateral,
       pelvic tilt, trunk inclination, hip flexion (if the spine has it).
    2. The movement (``detect_movement``, unless given) and its phases (``detect_phases``).
    3. Reference values: medians over the STANDING frames (without any: the spine model's
       neutral, see the module docstring); the peak frame t* of the trunk excursion; the
       thirds of the move into the bend; gait cycles (``split_cycles``).
    4. The metrics of ``DEFINITIONS`` from the series smoothed with a cubic Savitzky–Golay
       filter of ``smooth_s`` seconds (0 = as given).
    5. Uncertainty (``biomech.uncertainty``): ``n_bootstrap`` replicates of every series with
       simulated frame noise of the measured level around a smoothed base give each metric's
       standard deviation and 95 % interval; extra-noise replicates of the data extrapolated
       to zero noise (SIMEX) give the noise bias, which is removed from the value. Steps 2–3
       are kept fixed, step 4 is repeated.
    6. With ``calibration`` (a spine reconstructed from a video): :func:`apply_calibration`
       adds the reconstruction's measured error to every ± and interval.

    Args:
        spine: the vertebra-level spine over time.
        movement: the movement if known (one of ``phases.MOVEMENTS``); None detects it.
        n_bootstrap: replicates for the uncertainty (0: no uncertainty, all uncertainties 0
            and intervals collapsed to the value; otherwise ≥ 2, typically 200).
        seed: seed of the bootstrap (results are reproducible).
        smooth_s: smoothing window of the series before the metrics, seconds (0 = none).
        pelvic_tilt_offset_deg: anatomical pelvic tilt of the body model's neutral pelvis
            (e.g. from a calibrated standing trial); added to the reported pelvic tilt.
        phase_settings: thresholds of the phase detector (default ``PhaseSettings()``).
        calibration: the reconstruction's measured error (``biomech.load_calibration`` of
            ``weights/metric_errors.json``) when ``spine`` was reconstructed from a video;
            None (default) for a spine given directly: noise uncertainty only.

    Returns:
        A :class:`SpineMetrics`.

    Raises:
        ValueError: not a ``DynamicSpine``, non-standard levels, fewer than 5 frames, NaN/inf,
            frames that are not rotations, or an invalid option.

    Shapes:
        spine.positions: (T, 25, 3), T ≥ 5; see ``types.DynamicSpine``.
    """
    ang.check_spine(spine)
    _check_options(movement, n_bootstrap, pelvic_tilt_offset_deg, smooth_s)
    fps = float(spine.fps)
    series = _angle_series(spine)
    if movement is None:
        movement = detect_movement(series["trunk"], series["lateral"], series["pelvis"], fps,
                                   hip_difference=_hip_difference(spine))  # fmt: skip
    phase = detect_phases(series["lumbar"], series["trunk"], fps, lumbar_lateral=series["lateral"],
                          movement=movement, settings=phase_settings)  # fmt: skip
    ctx = _context(spine, series, movement, phase, pelvic_tilt_offset_deg, smooth_s)
    values = _statistics(_smoothed(series, ctx), ctx)

    def smooth_replicates(stack: np.ndarray) -> np.ndarray:  # (n, T, ...): time is axis 1
        return stack if smooth_s <= 0 else smooth_series(stack, fps, smooth_s, axis=1)

    boot = None
    if n_bootstrap > 0:
        boot = bootstrap_statistics(series, lambda s: _statistics(s, ctx), fps,
                                    np.asarray(spine.confidence), n_bootstrap, seed,
                                    transform=smooth_replicates)  # fmt: skip
    metrics = {name: _metric(name, values.get(name), boot) for name in _METRIC_NAMES}
    levels = LevelMetrics(**{n: _metric(f"level_rom_{n}", values[f"level_rom_{n}"], boot)
                             for n in _LEVEL_FIELDS})  # fmt: skip
    result = SpineMetrics(
        movement=movement,
        fps=fps,
        phase=phase,
        lumbar_angle=series["lumbar"],
        thoracic_angle=series["thoracic"],
        pelvic_tilt=series["pelvis"] + ctx.pelvic_offset,
        trunk_inclination=series["trunk"],
        lumbar_lateral=series["lateral"],
        hip_flexion=series.get("hip"),
        level_angles=series["levels"],
        gait_cycle=ctx.cycles,
        peak_frame=ctx.t_star,
        bend_frames=ctx.thirds,
        level_rom=levels,
        unavailable=_reasons(metrics, ctx),
        pelvic_tilt_offset_deg=float(pelvic_tilt_offset_deg),
        smooth_s=float(smooth_s),
        n_bootstrap=int(n_bootstrap),
        seed=int(seed),
        **metrics,
    )
    return result if calibration is None else apply_calibration(result, calibration)


def apply_calibration(metrics: SpineMetrics, calibration: MetricCalibration) -> SpineMetrics:
    """The metrics with the reconstruction's calibrated error added to each uncertainty.

    For every metric of ``metrics.movement`` that ``calibration`` has (a :class:`MetricError`
    with reconstruction SD r and bias b): the value loses b when ``apply_bias`` (ranges and
    peaks clipped at 0), ``reconstruction_sd`` = r, and each side's half-width h of the 95 %
    interval becomes sqrt(h² + (1.96·r)²) (``uncertainty.combined_interval``); the ± of
    ``str()`` is then sqrt(noise SD² + r²). A metric that is not calibrated (movement or metric
    absent) keeps its noise uncertainty with ``reconstruction_sd`` = NaN, which says so.

    Args:
        metrics: from :func:`compute_metrics` of a reconstructed spine, not yet calibrated.
        calibration: a :class:`MetricCalibration`.

    Returns:
        A new :class:`SpineMetrics` (series shared) with ``calibration`` set.

    Raises:
        ValueError: not a SpineMetrics / MetricCalibration, or already calibrated.
    """
    if not isinstance(metrics, SpineMetrics):
        raise ValueError(f"metrics: expected a SpineMetrics, got {type(metrics).__name__}.")
    if not isinstance(calibration, MetricCalibration):
        raise ValueError(
            f"calibration: expected a biomech.MetricCalibration (biomech.load_calibration of "
            f"weights/metric_errors.json), got {type(calibration).__name__}."
        )
    if metrics.calibration is not None:
        raise ValueError("these metrics are already calibrated; calibrate the raw metrics once.")

    def calibrate(name: str, mv: MetricValue | None) -> MetricValue | None:
        if mv is None:
            return None
        err = calibration.error(metrics.movement, name)
        if err is None:
            return dataclasses.replace(mv, reconstruction_sd=float("nan"))
        shift = err.removed_bias
        value, lo, hi = mv.value - shift, mv.ci_low - shift, mv.ci_high - shift
        if np.isfinite(lo) and np.isfinite(hi):
            lo, hi = combined_interval(value, lo, hi, err.reconstruction_sd)
        if mv.definition_key in _NON_NEGATIVE:
            value, lo, hi = (max(v, 0.0) if np.isfinite(v) else v for v in (value, lo, hi))
        return dataclasses.replace(mv, value=float(value), ci_low=float(lo), ci_high=float(hi),
                                   reconstruction_sd=float(err.reconstruction_sd),
                                   reconstruction_bias=float(shift))  # fmt: skip

    changes: dict[str, Any] = {n: calibrate(n, getattr(metrics, n)) for n in _METRIC_NAMES}
    changes["level_rom"] = LevelMetrics(
        **{n: calibrate(f"level_rom_{n}", getattr(metrics.level_rom, n)) for n in _LEVEL_FIELDS}
    )
    return dataclasses.replace(metrics, calibration=calibration, **changes)


def _reasons(metrics: Mapping[str, MetricValue | None], ctx: _Context) -> dict[str, str]:
    """Why each None metric is undefined."""
    out = {}
    for name, mv in metrics.items():
        if mv is not None:
            continue
        if name.startswith("standing_"):
            out[name] = "no standing frames detected (sequence does not start/end in standing)"
        elif ctx.movement in _NO_BEND_METRICS and name.startswith(_BEND_ONLY):
            out[name] = (
                f"a bend measure, undefined in {ctx.movement}: the mean of both hips cancels over "
                "a stride and there is no bend (per-leg hip angles are in DynamicSpine.pose)"
            )
        elif not ctx.has_hip and ("hip" in name):
            out[name] = "DynamicSpine.hip_flexion is None (no hip angles from the spine stage)"
        elif name == "symmetry_index" and ctx.movement not in ("lateral_bend", "gait"):
            out[name] = "defined for lateral bends to both sides and gait only"
        elif name.startswith("peak_lateral") or name == "symmetry_index" and ctx.sagittal_only:
            out[name] = (
                "not reconstructed: the lumbar lateral angle is constant (a side-view "
                "reconstruction is sagittal only; lateral flexion needs a front or back view)"
            )
        elif name == "symmetry_index":
            out[name] = f"lateral flexion to one side is below {_MIN_LATERAL_DEG}°"
        elif name == "hip_contribution" and ctx.has_hip:
            out[name] = (
                "undefined: no sagittal bend, or hips and lumbar spine moved in opposite "
                "directions at the peak"
            )
        elif name.startswith("lumbar_hip_ratio_"):
            out[name] = "no movement into a sagittal bend detected, or a third without hip motion"
        else:
            out[name] = (
                f"needs a sagittal bend (trunk change ≥ {_MIN_BEND_DEG}°) with hip motion "
                f"≥ {_MIN_HIP_DEG}°"
            )
    return out
