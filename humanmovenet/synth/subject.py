"""Synthetic subjects: body-shape sliders, spine morphology and a lumbopelvic movement pattern.

A :class:`SyntheticSubject` is everything the motion generators (:mod:`.motion`) need to know
about a person: age, sex, BMI, the semantic body-shape sliders of the default body model, a
standing spine morphology (sacral slope, lumbar lordosis, thoracic kyphosis, lateral
deviation), the standing anterior pelvic tilt, age-dependent lumbar ranges of motion and a
:class:`LumbopelvicPattern` — the flexion pattern (FP), extension pattern (EP) or neither,
with the numbers that make the pattern visible in motion.

Every distribution, its range and its source (or the admission that it is an assumption) is
listed in ``docs/synthetic_motions.md``. Angles in this module are in degrees because they are
clinical descriptors (every such name ends in ``_deg``); the motions are in radians.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from humanmovenet.types import ShapeSliders, SpineMorphology

__all__ = [
    "PATTERN_LABELS",
    "PatternLabel",
    "Sex",
    "LumbopelvicPattern",
    "SyntheticSubject",
    "age_to_slider",
    "slider_to_age",
    "bmi_to_weight_slider",
    "lumbar_flexion_rom_deg",
    "lumbar_extension_rom_deg",
    "lumbar_lateral_rom_deg",
    "as_generator",
    "sample_pattern",
    "sample_morphology",
    "sample_subject",
]

PatternLabel = Literal["FP", "EP", "neither"]
Sex = Literal["female", "male"]

#: The three lumbopelvic pattern labels, in the order used for class indices.
PATTERN_LABELS: tuple[str, ...] = ("FP", "EP", "neither")

# Age slider of the anny body model: piecewise linear through these (years, slider) knots.
# 0.5 ≈ 25 y and 1.0 ≈ 90 y are given by the model's docs; 0 ≈ 1 y by types.ShapeSliders.
_AGE_KNOTS_YEARS = (1.0, 25.0, 90.0)
_AGE_KNOTS_SLIDER = (0.0, 0.5, 1.0)

# Lumbar ROM vs age (DESIGN.md §4): flexion ~72° young → ~40° old, extension ~29° → ~6°.
# We interpolate linearly between these ages and hold the values outside.
_ROM_YOUNG_AGE, _ROM_OLD_AGE = 20.0, 75.0
_FLEXION_ROM_YOUNG_DEG, _FLEXION_ROM_OLD_DEG = 72.0, 40.0
_EXTENSION_ROM_YOUNG_DEG, _EXTENSION_ROM_OLD_DEG = 29.0, 6.0
_MAX_FLEXION_ROM_DEG = 85.0  # cap of an individual's lumbar flexion ROM (assumption)
# Lumbar lateral flexion per side (Troke et al. 2005): ~28° young → ~14° old.
_LATERAL_ROM_YOUNG_DEG, _LATERAL_ROM_OLD_DEG = 28.0, 14.0

# Population parameters of the morphology (degrees); sources in docs/synthetic_motions.md.
# Mac-Thiong et al. 2011 (709 asymptomatic adults), mean ± 2 SD: PI 32–74°, PT 0–27°, SS 24–55°.
_PI_MEAN, _PI_SD, _PI_MIN, _PI_MAX = 53.0, 10.5, 30.0, 85.0
_PT_PER_PI = 13.5 / 53.0  # radiographic PT/PI ratio of those means
_APT_MEAN, _APT_SD, _APT_MIN, _APT_MAX = 13.0, 5.0, 0.0, 23.0  # DESIGN.md §4
_APT_SHIFTED_MAX = 25.0  # after the pattern's shift (EP may exceed 23° slightly)
_SS_PER_APT = 0.6  # assumption: how much clinical anterior tilt shows in the sacral slope
_SS_NOISE_SD = 2.0
_LL_MEAN, _LL_SD = 32.0, 6.0  # DESIGN.md §4 (EOS, LBP patients)
_LL_PER_SS = 0.45  # assumption giving corr(LL, SS) ≈ 0.65
_TK_MEAN, _TK_SD = 44.0, 6.0  # DESIGN.md §4
_TK_PER_LL = 0.4  # assumption giving corr(TK, LL) ≈ 0.4
_LATERAL_DEV_SD, _LATERAL_DEV_MAX = 2.0, 8.0  # assumption (below a 10° scoliosis Cobb)


@dataclass(frozen=True)
class LumbopelvicPattern:
    """How a person shares trunk motion between hips, lumbar and thoracic spine.

    Ratios are of peak excursions from standing (degrees / degrees); "use" fractions are of the
    person's age-dependent lumbar range of motion. Class means and spreads are in
    ``docs/synthetic_motions.md``; the classes overlap on purpose.

    Attributes:
        label: ``"FP"`` (flexion pattern), ``"EP"`` (extension pattern) or ``"neither"``.
        forward_lumbar_hip_ratio: peak lumbar flexion / peak hip flexion in a forward bend.
        forward_lumbar_rom_use: fraction of the lumbar flexion ROM used in a forward bend.
        forward_lumbar_lead: in [0, 1): how much earlier the lumbar spine moves than the hips
            in a forward bend (0 = both follow the trunk's time course exactly).
        backward_lumbar_hip_ratio: peak lumbar extension / peak hip extension in a backward
            bend (DESIGN.md §4: ~1.2–1.9 in normals).
        backward_lumbar_rom_use: fraction of the lumbar extension ROM used in a backward bend.
        backward_lumbar_lead: like ``forward_lumbar_lead`` for the backward bend.
        lordosis_shift_deg: added to the standing lumbar lordosis (FP < 0 < EP).
        pelvic_tilt_shift_deg: added to the standing anterior pelvic tilt (FP < 0 < EP).
        gait_lumbar_offset_deg: mean lumbar flexion during gait relative to standing
            (FP slightly flexed > 0, EP slightly extended < 0).
        gait_pelvic_tilt_amplitude_deg: half peak-to-peak of the pelvic tilt oscillation in
            gait (twice per stride).
    """

    label: PatternLabel
    forward_lumbar_hip_ratio: float
    forward_lumbar_rom_use: float
    forward_lumbar_lead: float
    backward_lumbar_hip_ratio: float
    backward_lumbar_rom_use: float
    backward_lumbar_lead: float
    lordosis_shift_deg: float
    pelvic_tilt_shift_deg: float
    gait_lumbar_offset_deg: float
    gait_pelvic_tilt_amplitude_deg: float


@dataclass(frozen=True)
class SyntheticSubject:
    """One synthetic person with exact ground truth.

    Attributes:
        sliders: semantic body-shape sliders of the default body model (anny), each in [0, 1].
        sex: ``"female"`` or ``"male"``.
        age_years: age; ``sliders.age == age_to_slider(age_years)``.
        bmi: body-mass index (kg/m²); ``sliders.weight == bmi_to_weight_slider(bmi)``.
        stature_m: approximate standing height in metres (used for leg lengths and stride).
        morphology: standing spine morphology (degrees); lordosis includes the pattern's shift.
        pelvic_incidence_deg: radiographic pelvic incidence PI (PI = PT + SS).
        standing_pelvic_tilt_deg: clinical standing pelvic tilt, anterior positive (the angle
            the pelvis-tilt trajectories start from; DESIGN.md §4: 13 ± 5°, 0–23°).
        lumbar_flexion_rom_deg: this person's maximal lumbar (L1–S1) flexion from standing.
        lumbar_extension_rom_deg: maximal lumbar extension from standing (positive number).
        lumbar_lateral_rom_deg: maximal lumbar lateral flexion to one side.
        pattern: the lumbopelvic movement pattern and its parameters.
    """

    sliders: ShapeSliders
    sex: Sex
    age_years: float
    bmi: float
    stature_m: float
    morphology: SpineMorphology
    pelvic_incidence_deg: float
    standing_pelvic_tilt_deg: float
    lumbar_flexion_rom_deg: float
    lumbar_extension_rom_deg: float
    lumbar_lateral_rom_deg: float
    pattern: LumbopelvicPattern

    @property
    def phenotype(self) -> str:
        """The pattern label: ``"FP"``, ``"EP"`` or ``"neither"``."""
        return self.pattern.label

    @property
    def radiographic_pelvic_tilt_deg(self) -> float:
        """Radiographic pelvic tilt PT = PI − SS (positive = retroverted), degrees."""
        return self.pelvic_incidence_deg - self.morphology.sacral_slope_deg


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn a seed (or None, or a Generator) into a ``numpy.random.Generator``.

    Args:
        rng: a Generator (returned as is), an int seed, or None (fresh entropy).

    Returns:
        A Generator.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise ValueError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}."
    )


def age_to_slider(age_years: float | np.ndarray) -> float | np.ndarray:
    """Map age in years to the anny age slider (piecewise linear: 1 y→0, 25 y→0.5, 90 y→1).

    Args:
        age_years: age(s) in years, expected in [1, 90].

    Returns:
        Slider value(s) in [0, 1] (clipped outside the knots).
    """
    return np.interp(age_years, _AGE_KNOTS_YEARS, _AGE_KNOTS_SLIDER)


def slider_to_age(slider: float | np.ndarray) -> float | np.ndarray:
    """Inverse of :func:`age_to_slider`.

    Args:
        slider: anny age slider value(s) in [0, 1].

    Returns:
        Age(s) in years.
    """
    return np.interp(slider, _AGE_KNOTS_SLIDER, _AGE_KNOTS_YEARS)


def bmi_to_weight_slider(bmi: float | np.ndarray) -> float | np.ndarray:
    """Map body-mass index to the body model's weight slider (assumption: linear, 23 → 0.5).

    ``slider = clip(0.5 + (bmi − 23) / 24, 0, 1)``, i.e. BMI 11 → 0, 23 → 0.5, 35 → 1. The body
    model's own calibration is not published; the body stage may refine this map.

    Args:
        bmi: BMI value(s) in kg/m².

    Returns:
        Slider value(s) in [0, 1].
    """
    return np.clip(0.5 + (np.asarray(bmi, dtype=np.float64) - 23.0) / 24.0, 0.0, 1.0)


def _interp_by_age(age_years: float, young: float, old: float) -> float:
    return float(np.interp(age_years, (_ROM_YOUNG_AGE, _ROM_OLD_AGE), (young, old)))


def lumbar_flexion_rom_deg(age_years: float) -> float:
    """Population-mean lumbar flexion ROM at an age (72° at ≤20 y → 40° at ≥75 y, linear)."""
    return _interp_by_age(age_years, _FLEXION_ROM_YOUNG_DEG, _FLEXION_ROM_OLD_DEG)


def lumbar_extension_rom_deg(age_years: float) -> float:
    """Population-mean lumbar extension ROM at an age (29° at ≤20 y → 6° at ≥75 y, linear)."""
    return _interp_by_age(age_years, _EXTENSION_ROM_YOUNG_DEG, _EXTENSION_ROM_OLD_DEG)


def lumbar_lateral_rom_deg(age_years: float) -> float:
    """Lumbar lateral flexion ROM to one side (28° at ≤20 y → 14° at ≥75 y, linear)."""
    return _interp_by_age(age_years, _LATERAL_ROM_YOUNG_DEG, _LATERAL_ROM_OLD_DEG)


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float):
    return float(np.clip(rng.normal(mean, sd), lo, hi))


# Per-class (mean, sd, lo, hi) of every LumbopelvicPattern field. The FP/EP shifts are chosen so
# that the classes differ clearly on average but overlap (see docs/synthetic_motions.md).
_PATTERN_PRIORS: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "neither": {
        "forward_lumbar_hip_ratio": (0.80, 0.15, 0.40, 1.40),
        "forward_lumbar_rom_use": (0.80, 0.08, 0.55, 1.00),
        "forward_lumbar_lead": (0.45, 0.15, 0.00, 0.90),
        "backward_lumbar_hip_ratio": (1.50, 0.20, 1.00, 2.20),
        "backward_lumbar_rom_use": (0.75, 0.10, 0.45, 1.00),
        "backward_lumbar_lead": (0.40, 0.15, 0.00, 0.90),
        "lordosis_shift_deg": (0.0, 1.5, -4.0, 4.0),
        "pelvic_tilt_shift_deg": (0.0, 1.0, -3.0, 3.0),
        "gait_lumbar_offset_deg": (0.0, 1.0, -3.0, 3.0),
        "gait_pelvic_tilt_amplitude_deg": (2.0, 0.4, 1.0, 3.5),
    },
    "FP": {
        "forward_lumbar_hip_ratio": (1.15, 0.18, 0.60, 1.80),
        "forward_lumbar_rom_use": (0.90, 0.06, 0.65, 1.00),
        "forward_lumbar_lead": (0.60, 0.15, 0.00, 0.90),
        "backward_lumbar_hip_ratio": (1.35, 0.20, 0.90, 2.00),
        "backward_lumbar_rom_use": (0.70, 0.10, 0.40, 1.00),
        "backward_lumbar_lead": (0.35, 0.15, 0.00, 0.90),
        "lordosis_shift_deg": (-5.0, 2.0, -10.0, 0.0),
        "pelvic_tilt_shift_deg": (-3.0, 1.5, -7.0, 1.0),
        "gait_lumbar_offset_deg": (2.0, 1.0, -1.0, 5.0),
        "gait_pelvic_tilt_amplitude_deg": (1.8, 0.4, 1.0, 3.5),
    },
    "EP": {
        "forward_lumbar_hip_ratio": (0.85, 0.15, 0.40, 1.40),
        "forward_lumbar_rom_use": (0.78, 0.08, 0.55, 1.00),
        "forward_lumbar_lead": (0.45, 0.15, 0.00, 0.90),
        "backward_lumbar_hip_ratio": (2.00, 0.25, 1.30, 2.80),
        "backward_lumbar_rom_use": (0.92, 0.05, 0.75, 1.00),
        "backward_lumbar_lead": (0.55, 0.15, 0.00, 0.90),
        "lordosis_shift_deg": (5.0, 2.0, 0.0, 10.0),
        "pelvic_tilt_shift_deg": (4.0, 1.5, 0.0, 8.0),
        "gait_lumbar_offset_deg": (-2.0, 1.0, -5.0, 1.0),
        "gait_pelvic_tilt_amplitude_deg": (2.4, 0.4, 1.0, 3.5),
    },
}


def _check_label(label: str) -> None:
    if label not in PATTERN_LABELS:
        raise ValueError(
            f"phenotype must be one of {PATTERN_LABELS} (or None to draw one), got {label!r}."
        )


def sample_pattern(rng: np.random.Generator | int | None, label: str) -> LumbopelvicPattern:
    """Draw the parameters of one lumbopelvic pattern class.

    Args:
        rng: Generator or seed.
        label: ``"FP"``, ``"EP"`` or ``"neither"``.

    Returns:
        A :class:`LumbopelvicPattern` with every field drawn from the class prior
        (clipped normal distributions; table in ``docs/synthetic_motions.md``).
    """
    _check_label(label)
    gen = as_generator(rng)
    priors = _PATTERN_PRIORS[label]
    values = {name: _clipped_normal(gen, *priors[name]) for name in priors}
    return LumbopelvicPattern(label=label, **values)


def sample_morphology(
    rng: np.random.Generator | int | None, pattern: LumbopelvicPattern
) -> tuple[SpineMorphology, float, float]:
    """Draw a standing spine morphology consistent with the pelvis and the pattern.

    Steps: (1) pelvic incidence PI ~ N(53, 10.5) clipped to [30, 85]; (2) clinical anterior pelvic tilt
    APT ~ N(13, 5) clipped to [0, 23] plus the pattern's shift, clipped to [0, 25]; (3) sacral slope
    SS = PI·(1 − 13.5/53) + 0.6·(APT − 13) + N(0, 2) so that PT = PI − SS keeps the
    published mean ratio; (4) lordosis LL = 32 + 0.45·(SS − SS̄) + N(0, σ) + pattern shift,
    σ chosen so that SD(LL) ≈ 6 before the shift; (5) kyphosis TK = 44 + 0.4·(LL − 32) + N;
    (6) lateral deviation ~ N(0, 2) clipped to ±8.

    Args:
        rng: Generator or seed.
        pattern: the subject's lumbopelvic pattern (its lordosis and tilt shifts are applied).

    Returns:
        (morphology, pelvic_incidence_deg, standing_pelvic_tilt_deg).
    """
    gen = as_generator(rng)
    pi = _clipped_normal(gen, _PI_MEAN, _PI_SD, _PI_MIN, _PI_MAX)
    apt = _clipped_normal(gen, _APT_MEAN, _APT_SD, _APT_MIN, _APT_MAX)
    apt = float(np.clip(apt + pattern.pelvic_tilt_shift_deg, _APT_MIN, _APT_SHIFTED_MAX))
    ss_mean_pop = _PI_MEAN * (1.0 - _PT_PER_PI)
    ss = pi * (1.0 - _PT_PER_PI) + _SS_PER_APT * (apt - _APT_MEAN) + gen.normal(0, _SS_NOISE_SD)
    ss = float(np.clip(ss, 15.0, 65.0))
    ss_sd_pop = np.hypot(np.hypot(_PI_SD * (1.0 - _PT_PER_PI), _SS_PER_APT * _APT_SD), 2.0)
    ll_noise_sd = np.sqrt(max(_LL_SD**2 - (_LL_PER_SS * ss_sd_pop) ** 2, 1.0))
    ll = _LL_MEAN + _LL_PER_SS * (ss - ss_mean_pop) + gen.normal(0, ll_noise_sd)
    ll = float(np.clip(ll + pattern.lordosis_shift_deg, 10.0, 60.0))
    tk_noise_sd = np.sqrt(_TK_SD**2 - (_TK_PER_LL * _LL_SD) ** 2)
    tk = float(
        np.clip(_TK_MEAN + _TK_PER_LL * (ll - _LL_MEAN) + gen.normal(0, tk_noise_sd), 20, 70)
    )
    lat = _clipped_normal(gen, 0.0, _LATERAL_DEV_SD, -_LATERAL_DEV_MAX, _LATERAL_DEV_MAX)
    morph = SpineMorphology(
        sacral_slope_deg=ss,
        lumbar_lordosis_deg=ll,
        thoracic_kyphosis_deg=tk,
        lateral_deviation_deg=lat,
    )
    return morph, pi, apt


def _sample_body(rng: np.random.Generator, sex: str, age: float, bmi: float):
    """Sliders and stature for one body (assumed slider distributions, see docs)."""
    gender = rng.uniform(0.0, 0.2) if sex == "female" else rng.uniform(0.8, 1.0)
    height = _clipped_normal(rng, 0.5, 0.15, 0.1, 0.9)
    mean_stature = 1.63 if sex == "female" else 1.77  # adult means, assumption (docs)
    stature = mean_stature + (height - 0.5) * 0.35
    sliders = ShapeSliders(
        gender=float(gender),
        age=float(age_to_slider(age)),
        muscle=_clipped_normal(rng, 0.5, 0.12, 0.2, 0.8),
        weight=float(bmi_to_weight_slider(bmi)),
        height=float(height),
        proportions=float(rng.uniform(0.3, 0.7)),
    )
    return sliders, float(stature)


def _check_range(name: str, rng_range: tuple[float, float], lo: float, hi: float) -> None:
    a, b = rng_range
    if not (lo <= a <= b <= hi):
        raise ValueError(
            f"{name} must be (min, max) with {lo} <= min <= max <= {hi}, got {rng_range}."
        )


def sample_subject(
    rng: np.random.Generator | int | None = None,
    *,
    phenotype: str | None = None,
    sex: str | None = None,
    age_range: tuple[float, float] = (20.0, 80.0),
    bmi_range: tuple[float, float] = (18.0, 35.0),
) -> SyntheticSubject:
    """Draw one synthetic adult with a spine morphology and a lumbopelvic pattern.

    Args:
        rng: Generator or int seed (same seed → identical subject) or None.
        phenotype: ``"FP"``, ``"EP"``, ``"neither"`` or None (drawn with equal probability).
        sex: ``"female"``, ``"male"`` or None (drawn with equal probability).
        age_range: uniform age range in years, within [18, 90].
        bmi_range: uniform BMI range in kg/m², within [15, 45].

    Returns:
        A frozen :class:`SyntheticSubject`.

    Raises:
        ValueError: on an unknown phenotype or sex, or a range outside the stated limits.
    """
    if phenotype is not None:
        _check_label(phenotype)
    if sex is not None and sex not in ("female", "male"):
        raise ValueError(f"sex must be 'female', 'male' or None, got {sex!r}.")
    _check_range("age_range", age_range, 18.0, 90.0)
    _check_range("bmi_range", bmi_range, 15.0, 45.0)
    gen = as_generator(rng)
    # Draw in a fixed order so a seed always gives the same subject.
    label = phenotype if phenotype is not None else str(gen.choice(PATTERN_LABELS))
    sex_ = sex if sex is not None else str(gen.choice(("female", "male")))
    age = float(gen.uniform(*age_range))
    bmi = float(gen.uniform(*bmi_range))
    sliders, stature = _sample_body(gen, sex_, age, bmi)
    pattern = sample_pattern(gen, label)
    morph, pi, apt = sample_morphology(gen, pattern)
    rom_scale = _clipped_normal(gen, 1.0, 0.12, 0.75, 1.25)  # individual mobility (assumption)
    lat_scale = _clipped_normal(gen, 1.0, 0.12, 0.75, 1.25)
    return SyntheticSubject(
        sliders=sliders,
        sex=sex_,  # type: ignore[arg-type]
        age_years=age,
        bmi=bmi,
        stature_m=stature,
        morphology=morph,
        pelvic_incidence_deg=pi,
        standing_pelvic_tilt_deg=apt,
        lumbar_flexion_rom_deg=min(lumbar_flexion_rom_deg(age) * rom_scale, _MAX_FLEXION_ROM_DEG),
        lumbar_extension_rom_deg=lumbar_extension_rom_deg(age) * rom_scale,
        lumbar_lateral_rom_deg=lumbar_lateral_rom_deg(age) * lat_scale,
        pattern=pattern,
    )
