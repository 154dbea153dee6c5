"""Synthetic movements as body-model-independent semantic joint-angle trajectories.

Each generator takes a :class:`~humanmovenet.synth.subject.SyntheticSubject` and returns a
frozen :class:`SagittalMotion`: time series of pelvis, hip, lumbar, thoracic, knee, ankle,
shoulder and elbow angles (radians), the root translation (metres) and a per-frame phase code.
Mapping these angles onto a specific body model's joints is done elsewhere.

Lumbopelvic rhythm is explicit. In a bend the trunk inclination change (thorax to vertical,
relative to standing) is exactly

    trunk = Δpelvis + lumbar + thoracic,   Δpelvis = ankle − knee + hip

(sagittal leg chain: shank lean = ankle dorsiflexion, thigh lean = shank lean − knee flexion,
pelvis lean = thigh lean + hip flexion). The trunk follows a minimum-jerk profile, so its
velocity peaks mid-movement; the lumbar spine "leads" (moves earlier) and the hips "lag" by a
complementary amount, so the split changes over the bend but the trunk's timing does not.

Sign conventions (DESIGN.md §3; +x left, +y up, +z forward):
* ``pelvis_tilt``: absolute clinical pelvic tilt, anterior positive, standing value included
  (``standing_pelvic_tilt`` holds the standing value).
* ``lumbar_flexion``, ``thoracic_flexion``: change from the standing curvature, flexion positive
  (the absolute lordosis at a frame is ``standing_lumbar_lordosis − lumbar_flexion``).
* ``hip_flexion_*``: femur relative to pelvis, flexion positive, 0 in standing.
* ``lumbar_lateral``, ``thoracic_lateral``: lateral flexion to the person's left positive.
* ``pelvis_obliquity``: left iliac crest higher positive; ``pelvis_rotation``: pelvis turned to
  the person's left positive; ``trunk_axial``: thorax turned to the left relative to the pelvis.
* ``knee_flexion_*`` flexion positive; ``ankle_dorsiflexion_*`` dorsiflexion positive;
  ``shoulder_flexion_*`` (arm forward/up relative to the thorax) and ``elbow_flexion_*`` positive.
* ``root_translation``: pelvis displacement from its standing position in a world frame with
  +y up, +z forward (where the person faces at the start), +x to the person's left.

Parameter ranges and their literature are in ``docs/synthetic_motions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from humanmovenet.synth.subject import SyntheticSubject, as_generator
from humanmovenet.types import MovementPhase

__all__ = [
    "Phase",
    "SagittalMotion",
    "MotionSummary",
    "LUMBAR_LEVEL_RATIOS",
    "THORACOLUMBAR_LEVEL_RATIOS",
    "MOVEMENTS",
    "minimum_jerk",
    "split_lumbar_angle",
    "standing",
    "forward_bend",
    "backward_bend",
    "lateral_bend",
    "gait",
    "generate_motion",
    "trunk_inclination",
    "mean_hip_flexion",
    "lumbar_rom_deg",
    "pelvic_tilt_range_deg",
    "lumbar_hip_ratio",
    "symmetry_index",
    "symmetry_index_from_peaks",
    "summarize_motion",
]

#: Lumbar flexion shared over the levels, relative to L5/S1 (OpenSim lumbar model; DESIGN §4).
LUMBAR_LEVEL_RATIOS: tuple[tuple[str, float], ...] = (
    ("L5/S1", 1.0),
    ("L4/L5", 1.857),
    ("L3/L4", 1.643),
    ("L2/L3", 1.143),
    ("L1/L2", 0.929),
)
#: The same including the thoracolumbar junction T12/L1.
THORACOLUMBAR_LEVEL_RATIOS: tuple[tuple[str, float], ...] = LUMBAR_LEVEL_RATIOS + (
    ("T12/L1", 0.571),
)

#: Names of the movements the generators produce.
MOVEMENTS: tuple[str, ...] = ("standing", "forward_bend", "backward_bend", "lateral_bend", "gait")

# Leg segment lengths as fractions of stature (Winter 2009, after Drillis & Contini 1966):
# ankle 0.039 H, knee 0.285 H, greater trochanter 0.530 H above the floor.
_SHANK_PER_STATURE = 0.285 - 0.039
_THIGH_PER_STATURE = 0.530 - 0.285

# Gait curves over the stride (percent of cycle from right heel strike → degrees), typical
# adult level walking shapes after Perry & Burnfield 2010 / Winter 2009 (knots are ours).
_GAIT_HIP_KNOTS = ((0, 30), (12, 25), (30, 8), (52, -10), (62, 0), (75, 22), (87, 33), (100, 30))
_GAIT_KNEE_KNOTS = ((0, 3), (15, 18), (40, 4), (50, 7), (62, 40), (73, 62), (87, 30), (97, 2), (100, 3))  # fmt: skip
_GAIT_ANKLE_KNOTS = ((0, 0), (8, -6), (30, 6), (48, 10), (62, -18), (75, -3), (88, 1), (100, 0))
_GAIT_STANCE_FRACTION = 0.6
_GAIT_DOUBLE_SUPPORT_FRACTION = 0.1

_STANDING_ELBOW_DEG = 10.0
_MAX_FORWARD_TRUNK_DEG = 135.0  # trunk inclination cap in a forward bend (assumption)
_MIN_BEND_DEG = 5.0  # below this trunk excursion there is no bend to take a ratio of


#: Per-frame phase codes of :attr:`SagittalMotion.phase` (defined once in ``humanmovenet.types``).
Phase = MovementPhase


_ANGLE_FIELDS: tuple[str, ...] = (
    "pelvis_tilt",
    "pelvis_obliquity",
    "pelvis_rotation",
    "hip_flexion_left",
    "hip_flexion_right",
    "lumbar_flexion",
    "thoracic_flexion",
    "lumbar_lateral",
    "thoracic_lateral",
    "trunk_axial",
    "knee_flexion_left",
    "knee_flexion_right",
    "ankle_dorsiflexion_left",
    "ankle_dorsiflexion_right",
    "shoulder_flexion_left",
    "shoulder_flexion_right",
    "elbow_flexion_left",
    "elbow_flexion_right",
)


@dataclass(frozen=True, eq=False)
class SagittalMotion:
    """Semantic joint-angle trajectories of one synthetic movement (radians, seconds, metres).

    Equality is identity (``eq=False``): compare fields with ``numpy.array_equal``.

    Attributes:
        time: seconds from the first frame (``time[i] = i / fps``).
        fps: frames per second.
        movement: one of :data:`MOVEMENTS`.
        pattern: the subject's pattern label (``"FP"``, ``"EP"``, ``"neither"``).
        standing_pelvic_tilt: the subject's standing anterior pelvic tilt (rad).
        standing_lumbar_lordosis: the subject's standing L1–S1 lordosis (rad, lordotic +).
        pelvis_tilt: absolute anterior pelvic tilt (rad), standing value included.
        pelvis_obliquity, pelvis_rotation: frontal / transverse pelvis angles (rad).
        hip_flexion_left, hip_flexion_right: femur relative to pelvis (rad), flexion +.
        lumbar_flexion: L1–S1 angle change from standing (rad), flexion +, extension −.
        thoracic_flexion: T1–T12 angle change from standing (rad), flexion +.
        lumbar_lateral, thoracic_lateral: lateral flexion (rad), to the left +.
        trunk_axial: thorax axial rotation relative to the pelvis (rad), to the left +.
        knee_flexion_left/right, ankle_dorsiflexion_left/right, shoulder_flexion_left/right,
            elbow_flexion_left/right: (rad), conventions in the module docstring.
        root_translation: pelvis displacement from standing (m), world +y up, +z forward.
        phase: :class:`Phase` codes.
        gait_cycle: stride index (0, 1, …) in gait, −1 in other movements.

    Shapes:
        time, every angle, phase, gait_cycle: (T,); root_translation: (T, 3).
    """

    time: np.ndarray
    fps: float
    movement: str
    pattern: str
    standing_pelvic_tilt: float
    standing_lumbar_lordosis: float
    pelvis_tilt: np.ndarray
    pelvis_obliquity: np.ndarray
    pelvis_rotation: np.ndarray
    hip_flexion_left: np.ndarray
    hip_flexion_right: np.ndarray
    lumbar_flexion: np.ndarray
    thoracic_flexion: np.ndarray
    lumbar_lateral: np.ndarray
    thoracic_lateral: np.ndarray
    trunk_axial: np.ndarray
    knee_flexion_left: np.ndarray
    knee_flexion_right: np.ndarray
    ankle_dorsiflexion_left: np.ndarray
    ankle_dorsiflexion_right: np.ndarray
    shoulder_flexion_left: np.ndarray
    shoulder_flexion_right: np.ndarray
    elbow_flexion_left: np.ndarray
    elbow_flexion_right: np.ndarray
    root_translation: np.ndarray
    phase: np.ndarray
    gait_cycle: np.ndarray

    def __post_init__(self) -> None:
        if not (self.fps > 0):
            raise ValueError(f"SagittalMotion.fps must be > 0, got {self.fps}.")
        if self.movement not in MOVEMENTS:
            raise ValueError(
                f"SagittalMotion.movement must be one of {MOVEMENTS}, got {self.movement!r}."
            )
        t = np.asarray(self.time).shape
        if len(t) != 1:
            raise ValueError(f"SagittalMotion.time: expected shape (T,), got {t}.")
        for name in (*_ANGLE_FIELDS, "phase", "gait_cycle"):
            shape = np.asarray(getattr(self, name)).shape
            if shape != t:
                raise ValueError(f"SagittalMotion.{name}: expected shape {t}, got {shape}.")
        rshape = np.asarray(self.root_translation).shape
        if rshape != (t[0], 3):
            raise ValueError(
                f"SagittalMotion.root_translation: expected shape ({t[0]}, 3), got {rshape}."
            )

    @property
    def num_frames(self) -> int:
        return int(self.time.shape[0])

    @property
    def angle_names(self) -> tuple[str, ...]:
        """Names of the (T,) angle fields, in a fixed order."""
        return _ANGLE_FIELDS

    def angles(self) -> np.ndarray:
        """All angle fields stacked in :attr:`angle_names` order, (T, A) radians."""
        return np.stack([getattr(self, n) for n in _ANGLE_FIELDS], axis=-1)


# --------------------------------------------------------------------------- small helpers


def minimum_jerk(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk progress 10τ³ − 15τ⁴ + 6τ⁵ (Flash & Hogan 1985) for τ in [0, 1].

    Velocity and acceleration are zero at both ends; velocity peaks at τ = 0.5.

    Shapes:
        tau: any; returns the same shape.
    """
    tau = np.clip(np.asarray(tau, dtype=np.float64), 0.0, 1.0)
    return tau**3 * (10.0 - 15.0 * tau + 6.0 * tau**2)


def split_lumbar_angle(
    total: np.ndarray | float,
    levels: tuple[tuple[str, float], ...] = LUMBAR_LEVEL_RATIOS,
) -> np.ndarray:
    """Distribute a total lumbar angle over intervertebral levels in fixed ratios.

    Args:
        total: total angle over the given levels (any unit; sign kept).
        levels: ``(name, ratio)`` pairs, caudal first; default L5/S1…L1/L2 of
            :data:`LUMBAR_LEVEL_RATIOS`. Pass :data:`THORACOLUMBAR_LEVEL_RATIOS` to include T12/L1.

    Returns:
        Per-level angles summing to ``total``, in the order of ``levels``.

    Shapes:
        total: (...); returns (..., len(levels)).
    """
    ratios = np.array([r for _, r in levels], dtype=np.float64)
    if ratios.ndim != 1 or ratios.size == 0 or np.any(ratios < 0) or ratios.sum() <= 0:
        raise ValueError("levels must be a non-empty sequence of (name, ratio ≥ 0) pairs.")
    return np.asarray(total, dtype=np.float64)[..., None] * (ratios / ratios.sum())


def _check_subject(subject: object) -> None:
    if not isinstance(subject, SyntheticSubject):
        raise ValueError(
            f"subject must be a SyntheticSubject (see humanmovenet.synth.subject.sample_subject), "
            f"got {type(subject).__name__}."
        )


def _check_fps(fps: float) -> float:
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number of frames per second, got {fps}.")
    return float(fps)


def _uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


@dataclass(frozen=True)
class _Segment:
    """A piece of a timeline: progress goes from ``start`` to ``end`` by minimum jerk."""

    phase: Phase
    duration_s: float
    start: float
    end: float


def _timeline(segments: list[_Segment], fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample a chain of segments.

    Returns:
        (time, progress, phase) with shapes (T,), (T,), (T,); a frame on a boundary belongs to
        the later segment.
    """
    durations = np.array([s.duration_s for s in segments])
    bounds = np.concatenate([[0.0], np.cumsum(durations)])
    n = int(round(bounds[-1] * fps)) + 1
    time = np.arange(n) / fps
    idx = np.clip(np.searchsorted(bounds, time, side="right") - 1, 0, len(segments) - 1)
    tau = (time - bounds[idx]) / durations[idx]
    start = np.array([s.start for s in segments])[idx]
    end = np.array([s.end for s in segments])[idx]
    progress = start + (end - start) * minimum_jerk(tau)
    phase = np.array([int(s.phase) for s in segments])[idx]
    return time, progress, phase


def _bend_segments(
    rng: np.random.Generator,
    phases: tuple[Phase, Phase, Phase],
    duration_s: float | None,
    hold_s: float | None,
) -> list[_Segment]:
    """Standing hold, out, hold at peak, back, standing hold (progress 0 → 1 → 0).

    The movement into the bend and the return each last ``duration_s`` (each drawn in
    [2, 4] s if None); the pause at the end of the range lasts 0.1–0.4 s; the standing holds
    before and after last ``hold_s`` (each drawn in [0.5, 1.0] s if None).
    """
    if duration_s is not None and not (0.5 <= duration_s <= 30.0):
        raise ValueError(
            f"duration_s must be in [0.5, 30] s (typical 2–4) or None, got {duration_s}."
        )
    if hold_s is not None and not (0.0 < hold_s <= 30.0):
        raise ValueError(f"hold_s must be in (0, 30] s or None, got {hold_s}.")
    out = _uniform(rng, 2.0, 4.0) if duration_s is None else duration_s
    back = _uniform(rng, 2.0, 4.0) if duration_s is None else duration_s
    peak_hold = _uniform(rng, 0.1, 0.4)
    pre = _uniform(rng, 0.5, 1.0) if hold_s is None else hold_s
    post = _uniform(rng, 0.5, 1.0) if hold_s is None else hold_s
    go, hold, ret = phases
    return [
        _Segment(Phase.STANDING, pre, 0.0, 0.0),
        _Segment(go, out, 0.0, 1.0),
        _Segment(hold, peak_hold, 1.0, 1.0),
        _Segment(ret, back, 1.0, 0.0),
        _Segment(Phase.STANDING, post, 0.0, 0.0),
    ]


def _lead_lag(lead: float, amp_lead: float, amp_lag: float) -> tuple[float, float]:
    """Lead of one segment and the complementary lag of the other (trunk timing unchanged).

    With g_lead(s) = s + a·s(1−s) and g_lag(s) = s − b·s(1−s), the sum
    amp_lead·g_lead + amp_lag·g_lag is linear in s when a·amp_lead = b·amp_lag. Both curves
    stay monotonic for a, b ≤ 1.
    """
    if amp_lead <= 0 or amp_lag <= 0:
        return 0.0, 0.0
    a = min(lead, 0.95)
    b = a * amp_lead / amp_lag
    if b > 0.95:
        b = 0.95
        a = b * amp_lag / amp_lead
    return a, b


def _leg_root(
    ankle: np.ndarray, knee: np.ndarray, stature_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis (hip) displacement (z forward, y up) from a planar shank–thigh chain on a fixed foot.

    Shapes:
        ankle, knee: (T,) radians; returns two (T,) arrays in metres.
    """
    shank, thigh = _SHANK_PER_STATURE * stature_m, _THIGH_PER_STATURE * stature_m
    shank_lean = ankle
    thigh_lean = ankle - knee
    dz = shank * np.sin(shank_lean) + thigh * np.sin(thigh_lean)
    dy = shank * (np.cos(shank_lean) - 1.0) + thigh * (np.cos(thigh_lean) - 1.0)
    return dz, dy


def _assemble(
    subject: SyntheticSubject,
    movement: str,
    time: np.ndarray,
    fps: float,
    phase: np.ndarray,
    deg: dict[str, np.ndarray],
    root: np.ndarray,
    gait_cycle: np.ndarray | None = None,
) -> SagittalMotion:
    """Build a SagittalMotion from angle arrays in degrees (missing ones are zero)."""
    n = time.shape[0]
    unknown = set(deg) - set(_ANGLE_FIELDS)
    if unknown:
        raise ValueError(f"internal: unknown angle fields {sorted(unknown)}")
    angles = {
        name: np.deg2rad(np.broadcast_to(deg.get(name, 0.0), (n,)).astype(np.float64))
        for name in _ANGLE_FIELDS
    }
    angles["pelvis_tilt"] = angles["pelvis_tilt"] + np.deg2rad(subject.standing_pelvic_tilt_deg)
    return SagittalMotion(
        time=time,
        fps=fps,
        movement=movement,
        pattern=subject.pattern.label,
        standing_pelvic_tilt=float(np.deg2rad(subject.standing_pelvic_tilt_deg)),
        standing_lumbar_lordosis=float(np.deg2rad(subject.morphology.lumbar_lordosis_deg)),
        root_translation=root,
        phase=phase.astype(np.int64),
        gait_cycle=np.full(n, -1, dtype=np.int64) if gait_cycle is None else gait_cycle,
        **angles,
    )


def _arms_at_rest(rng: np.random.Generator, progress: np.ndarray) -> dict[str, np.ndarray]:
    """Relaxed arms: small shoulder flexion, elbows slightly bent (degrees)."""
    sh, el = _uniform(rng, 0.0, 5.0), _STANDING_ELBOW_DEG + _uniform(rng, -3.0, 5.0)
    base = np.zeros_like(progress)
    return {
        "shoulder_flexion_left": base + sh,
        "shoulder_flexion_right": base + sh,
        "elbow_flexion_left": base + el,
        "elbow_flexion_right": base + el,
    }


def _both_legs(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    return {f"{name}_left": values, f"{name}_right": values}


# --------------------------------------------------------------------------- generators


def standing(
    subject: SyntheticSubject,
    rng: np.random.Generator | int | None = None,
    *,
    duration_s: float = 3.0,
    fps: float = 30.0,
) -> SagittalMotion:
    """Quiet upright standing in the subject's own posture (all changes zero).

    Args:
        subject: the person.
        rng: Generator or seed (arm posture).
        duration_s: length in seconds (> 0).
        fps: frames per second.

    Returns:
        A ``"standing"`` :class:`SagittalMotion` (phase ``STANDING`` throughout).
    """
    _check_subject(subject)
    fps = _check_fps(fps)
    if not (duration_s > 0):
        raise ValueError(f"duration_s must be > 0 s, got {duration_s}.")
    gen = as_generator(rng)
    time, s, phase = _timeline([_Segment(Phase.STANDING, duration_s, 0.0, 0.0)], fps)
    deg = _arms_at_rest(gen, s)
    return _assemble(subject, "standing", time, fps, phase, deg, np.zeros((time.size, 3)))


def forward_bend(
    subject: SyntheticSubject,
    rng: np.random.Generator | int | None = None,
    *,
    duration_s: float | None = None,
    hold_s: float | None = None,
    fps: float = 30.0,
) -> SagittalMotion:
    """Stand, bend forward with straight knees, pause, return, stand.

    Rhythm: peak lumbar flexion L = ``forward_lumbar_rom_use`` × the subject's lumbar flexion
    ROM; peak hip flexion H = L / ``forward_lumbar_hip_ratio`` (clipped to 25–95° and so that
    the trunk inclination change stays ≤ 135°); thoracic
    flexion 10 ± 4°; slight ankle plantarflexion (3–8°) and knee flexion (0–5°) move the hips
    backward. The lumbar spine leads (``forward_lumbar_lead``) and the hips lag, so the lumbar
    share is largest early and the hip share late (Esola et al. 1996); on the way back the
    same curves make the hips lead (McClure et al. 1997).

    Args:
        subject: the person.
        rng: Generator or seed; the same seed gives the same motion.
        duration_s: duration of the movement into the bend and of the return, each, in
            seconds (None: each drawn in [2, 4]).
        hold_s: standing time before and after (None: each drawn in [0.5, 1.0]).
        fps: frames per second.

    Returns:
        A ``"forward_bend"`` :class:`SagittalMotion`.
    """
    _check_subject(subject)
    fps = _check_fps(fps)
    gen = as_generator(rng)
    pat = subject.pattern
    segs = _bend_segments(
        gen, (Phase.FLEXION, Phase.FLEXION_HOLD, Phase.FLEXION_RETURN), duration_s, hold_s
    )
    time, s, phase = _timeline(segs, fps)
    # 1. Peak excursions (degrees).
    lumbar_peak = pat.forward_lumbar_rom_use * subject.lumbar_flexion_rom_deg
    thoracic_peak = float(np.clip(gen.normal(10.0, 4.0), 0.0, 25.0))
    ankle_peak = -_uniform(gen, 3.0, 8.0)
    knee_peak = _uniform(gen, 0.0, 5.0)
    hip_max = _MAX_FORWARD_TRUNK_DEG - lumbar_peak - thoracic_peak - (ankle_peak - knee_peak)
    hip_peak = float(np.clip(lumbar_peak / pat.forward_lumbar_hip_ratio, 25.0, min(95.0, hip_max)))
    # 2. Time courses: lumbar leads, hips lag, trunk exactly minimum-jerk.
    lead, lag = _lead_lag(pat.forward_lumbar_lead, lumbar_peak, hip_peak)
    bump = s * (1.0 - s)
    lumbar = lumbar_peak * (s + lead * bump)
    hip = hip_peak * (s - lag * bump)
    ankle, knee = ankle_peak * s, knee_peak * s
    pelvis = ankle - knee + hip
    trunk = pelvis + lumbar + thoracic_peak * s
    # 3. Arms hang: shoulder flexion follows the trunk; elbows relax.
    deg = _arms_at_rest(gen, s)
    for side in ("left", "right"):
        deg[f"shoulder_flexion_{side}"] = deg[f"shoulder_flexion_{side}"] + 0.85 * trunk
        deg[f"elbow_flexion_{side}"] = deg[f"elbow_flexion_{side}"] + 5.0 * s
    deg.update(pelvis_tilt=pelvis, lumbar_flexion=lumbar, thoracic_flexion=thoracic_peak * s)
    deg.update(_both_legs("hip_flexion", hip))
    deg.update(_both_legs("knee_flexion", knee))
    deg.update(_both_legs("ankle_dorsiflexion", ankle))
    dz, dy = _leg_root(np.deg2rad(ankle), np.deg2rad(knee), subject.stature_m)
    root = np.stack([np.zeros_like(dz), dy, dz], axis=-1)
    return _assemble(subject, "forward_bend", time, fps, phase, deg, root)


def backward_bend(
    subject: SyntheticSubject,
    rng: np.random.Generator | int | None = None,
    *,
    duration_s: float | None = None,
    hold_s: float | None = None,
    fps: float = 30.0,
) -> SagittalMotion:
    """Stand, bend backward (hips pushed forward, knees slightly bent), pause, return, stand.

    Rhythm: peak lumbar extension E = ``backward_lumbar_rom_use`` × the subject's lumbar
    extension ROM; peak hip extension = E / ``backward_lumbar_hip_ratio`` (clipped to 2–30°);
    thoracic extension 5 ± 2.5°; knee flexion 2–8° with ankle dorsiflexion 1–4° more, which
    moves the pelvis forward. The lumbar spine initiates the movement
    (``backward_lumbar_lead``; Milosavljevic et al. 2008).

    Args:
        subject: the person.
        rng: Generator or seed; the same seed gives the same motion.
        duration_s: duration of the movement into the bend and of the return, each, in
            seconds (None: each drawn in [2, 4]).
        hold_s: standing time before and after (None: each drawn in [0.5, 1.0]).
        fps: frames per second.

    Returns:
        A ``"backward_bend"`` :class:`SagittalMotion` (lumbar and hip angles negative).
    """
    _check_subject(subject)
    fps = _check_fps(fps)
    gen = as_generator(rng)
    pat = subject.pattern
    segs = _bend_segments(
        gen, (Phase.EXTENSION, Phase.EXTENSION_HOLD, Phase.EXTENSION_RETURN), duration_s, hold_s
    )
    time, s, phase = _timeline(segs, fps)
    # 1. Peak excursions (degrees, extension as positive magnitudes here).
    lumbar_peak = pat.backward_lumbar_rom_use * subject.lumbar_extension_rom_deg
    hip_peak = float(np.clip(lumbar_peak / pat.backward_lumbar_hip_ratio, 2.0, 30.0))
    thoracic_peak = float(np.clip(gen.normal(5.0, 2.5), 0.0, 12.0))
    knee_peak = _uniform(gen, 2.0, 8.0)
    ankle_peak = knee_peak + _uniform(gen, 1.0, 4.0)
    # 2. Time courses.
    lead, lag = _lead_lag(pat.backward_lumbar_lead, lumbar_peak, hip_peak)
    bump = s * (1.0 - s)
    lumbar = -lumbar_peak * (s + lead * bump)
    hip = -hip_peak * (s - lag * bump)
    ankle, knee = ankle_peak * s, knee_peak * s
    pelvis = ankle - knee + hip
    deg = _arms_at_rest(gen, s)
    deg.update(pelvis_tilt=pelvis, lumbar_flexion=lumbar, thoracic_flexion=-thoracic_peak * s)
    deg.update(_both_legs("hip_flexion", hip))
    deg.update(_both_legs("knee_flexion", knee))
    deg.update(_both_legs("ankle_dorsiflexion", ankle))
    dz, dy = _leg_root(np.deg2rad(ankle), np.deg2rad(knee), subject.stature_m)
    root = np.stack([np.zeros_like(dz), dy, dz], axis=-1)
    return _assemble(subject, "backward_bend", time, fps, phase, deg, root)


def _side_factor(sign: float, asymmetry_pct: float) -> float:
    """Amplitude factor so that SI = 100·|L−R|/((L+R)/2) equals ``asymmetry_pct`` (L > R if > 0)."""
    return 1.0 + sign * asymmetry_pct / 200.0


def _check_asymmetry(asymmetry_pct: float) -> None:
    if not (-100.0 < asymmetry_pct < 100.0):
        raise ValueError(
            f"asymmetry_pct must be in (-100, 100) (symmetry index in %, left larger if > 0), "
            f"got {asymmetry_pct}."
        )


def lateral_bend(
    subject: SyntheticSubject,
    rng: np.random.Generator | int | None = None,
    *,
    side: str = "both",
    asymmetry_pct: float = 0.0,
    duration_s: float | None = None,
    hold_s: float | None = None,
    fps: float = 30.0,
) -> SagittalMotion:
    """Side bending to the left and/or right with an explicit left/right asymmetry.

    Peak lumbar lateral flexion A = 70–95 % of the subject's lateral ROM; thoracic lateral
    flexion 40–80 % of the lumbar one; the pelvis shifts 2–5 cm to the opposite side and its
    obliquity is −0.15 × the lumbar angle (assumption). The left peak is A·(1 + a/200) and the
    right A·(1 − a/200) with a = ``asymmetry_pct``, so the lumbar symmetry index
    ``100·|L−R|/((L+R)/2)`` of a ``"both"`` sequence is exactly |a|.

    Args:
        subject: the person.
        rng: Generator or seed.
        side: ``"left"``, ``"right"`` or ``"both"`` (left then right, standing in between).
        asymmetry_pct: requested symmetry index in percent, positive = left bend larger.
        duration_s: duration of each movement into a bend and of each return, in seconds
            (None: each drawn in [2, 4]).
        hold_s: standing before/after each bend (None: drawn in [0.5, 1.0] s).
        fps: frames per second.

    Returns:
        A ``"lateral_bend"`` :class:`SagittalMotion`.
    """
    _check_subject(subject)
    fps = _check_fps(fps)
    if side not in ("left", "right", "both"):
        raise ValueError(f"side must be 'left', 'right' or 'both', got {side!r}.")
    _check_asymmetry(asymmetry_pct)
    gen = as_generator(rng)
    amplitude = _uniform(gen, 0.70, 0.95) * subject.lumbar_lateral_rom_deg
    thoracic_share = _uniform(gen, 0.4, 0.8)
    shift_m = _uniform(gen, 0.02, 0.05)
    sides = ("left", "right") if side == "both" else (side,)
    segments: list[_Segment] = []
    for k, sd in enumerate(sides):
        sign = 1.0 if sd == "left" else -1.0
        codes = (
            (Phase.LATERAL_LEFT, Phase.LATERAL_LEFT_HOLD, Phase.LATERAL_LEFT_RETURN)
            if sd == "left"
            else (Phase.LATERAL_RIGHT, Phase.LATERAL_RIGHT_HOLD, Phase.LATERAL_RIGHT_RETURN)
        )
        segs = _bend_segments(gen, codes, duration_s, hold_s)
        peak = sign * _side_factor(sign, asymmetry_pct)
        segs = [_Segment(g.phase, g.duration_s, g.start * peak, g.end * peak) for g in segs]
        segments.extend(segs if k == 0 else segs[1:])  # one standing hold between bends
    time, s, phase = _timeline(segments, fps)
    lumbar = amplitude * s
    deg = _arms_at_rest(gen, s)
    deg.update(
        lumbar_lateral=lumbar,
        thoracic_lateral=thoracic_share * lumbar,
        pelvis_obliquity=-0.15 * lumbar,
    )
    root = np.stack([-shift_m * s, np.zeros_like(s), np.zeros_like(s)], axis=-1)
    return _assemble(subject, "lateral_bend", time, fps, phase, deg, root)


def _periodic_curve(knots: tuple[tuple[float, float], ...]) -> CubicSpline:
    x = np.array([k[0] for k in knots], dtype=np.float64) / 100.0
    y = np.array([k[1] for k in knots], dtype=np.float64)
    return CubicSpline(x, y, bc_type="periodic")


def _gait_phase_codes(cycle_pos: np.ndarray) -> np.ndarray:
    """Phase code per frame from the position in the stride (0 = right heel strike)."""
    ds = _GAIT_DOUBLE_SUPPORT_FRACTION
    half = 0.5
    in_ds = (cycle_pos < ds) | ((cycle_pos >= half) & (cycle_pos < half + ds))
    right_single = (cycle_pos >= ds) & (cycle_pos < half)
    return np.where(
        in_ds,
        int(Phase.GAIT_DOUBLE_SUPPORT),
        np.where(right_single, int(Phase.GAIT_RIGHT_STANCE), int(Phase.GAIT_LEFT_STANCE)),
    )


def gait(
    subject: SyntheticSubject,
    rng: np.random.Generator | int | None = None,
    *,
    n_cycles: float = 3.0,
    asymmetry_pct: float = 0.0,
    fps: float = 30.0,
) -> SagittalMotion:
    """Steady level walking (no initiation/termination), starting at right heel strike.

    Cadence 108 ± 6 steps/min (clipped 92–124), stride length 0.72–0.85 × stature; hip, knee
    and ankle follow typical adult curves scaled ×0.85–1.1 per subject; pelvic tilt oscillates
    twice per stride (the pattern's amplitude, ±1–3.5°) around the standing tilt, obliquity
    ±3–5° and rotation ±3–6° once per stride; lumbar flexion = the pattern's gait offset −
    0.6 × the tilt oscillation; lumbar lateral flexion follows the obliquity with the left
    half scaled by (1 + a/200) and the right by (1 − a/200), a = ``asymmetry_pct``; arms swing
    opposite to the legs; the pelvis moves forward, bobs 1.5–3 cm twice and sways 1–2.5 cm once
    per stride.

    Args:
        subject: the person.
        rng: Generator or seed.
        n_cycles: number of strides (≥ 1; fractional allowed).
        asymmetry_pct: requested lumbar lateral-flexion symmetry index in percent (left > 0).
        fps: frames per second.

    Returns:
        A ``"gait"`` :class:`SagittalMotion` with ``gait_cycle`` counting strides.
    """
    _check_subject(subject)
    fps = _check_fps(fps)
    if not (1.0 <= n_cycles <= 50.0):
        raise ValueError(f"n_cycles must be in [1, 50] strides, got {n_cycles}.")
    _check_asymmetry(asymmetry_pct)
    gen = as_generator(rng)
    pat = subject.pattern
    # 1. Spatio-temporal parameters.
    cadence = float(np.clip(gen.normal(108.0, 6.0), 92.0, 124.0))  # steps / min
    stride_time = 120.0 / cadence
    stride_len = _uniform(gen, 0.72, 0.85) * subject.stature_m
    n = int(round(n_cycles * stride_time * fps)) + 1
    time = np.arange(n) / fps
    cyc = time / stride_time
    pos = cyc % 1.0
    two_pi = 2.0 * np.pi
    # 2. Legs: right leg uses the stride position, left leg is half a stride later.
    deg: dict[str, np.ndarray] = {}
    for name, knots in (
        ("hip_flexion", _GAIT_HIP_KNOTS),
        ("knee_flexion", _GAIT_KNEE_KNOTS),
        ("ankle_dorsiflexion", _GAIT_ANKLE_KNOTS),
    ):
        curve, scale = _periodic_curve(knots), _uniform(gen, 0.85, 1.1)
        mean = float(np.mean(curve(np.linspace(0, 1, 200, endpoint=False))))
        for side, shift in (("right", 0.0), ("left", 0.5)):
            vals = mean + scale * (curve((pos + shift) % 1.0) - mean)
            deg[f"{name}_{side}"] = np.maximum(vals, 0.0) if name == "knee_flexion" else vals
    # 3. Pelvis and spine.
    tilt_osc = pat.gait_pelvic_tilt_amplitude_deg * np.cos(2 * two_pi * (pos - 0.45))
    obliquity = -_uniform(gen, 3.0, 5.0) * np.sin(two_pi * (pos + 0.1))
    rotation = _uniform(gen, 3.0, 6.0) * np.cos(two_pi * pos)
    lat_raw = _uniform(gen, 0.8, 1.0) * obliquity
    lumbar_lat = lat_raw * np.where(
        lat_raw >= 0, _side_factor(1, asymmetry_pct), _side_factor(-1, asymmetry_pct)
    )
    deg.update(
        pelvis_tilt=tilt_osc,
        pelvis_obliquity=obliquity,
        pelvis_rotation=rotation,
        lumbar_flexion=pat.gait_lumbar_offset_deg - 0.6 * tilt_osc,
        thoracic_flexion=_uniform(gen, -1.0, 3.0) + 0.5 * np.cos(2 * two_pi * pos),
        lumbar_lateral=lumbar_lat,
        thoracic_lateral=-0.3 * lumbar_lat,
        trunk_axial=-_uniform(gen, 1.2, 1.8) * rotation,
    )
    # 4. Arms swing opposite to the ipsilateral leg.
    swing, sh0, el0 = _uniform(gen, 8.0, 20.0), _uniform(gen, 0.0, 6.0), _uniform(gen, 15.0, 25.0)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        deg[f"shoulder_flexion_{side}"] = sh0 + sign * swing * np.cos(two_pi * pos)
        deg[f"elbow_flexion_{side}"] = el0 + sign * 0.5 * swing * np.cos(two_pi * pos)
    # 5. Root: forward progression, vertical bob (low in double support), lateral sway.
    bob, sway = _uniform(gen, 0.015, 0.03), _uniform(gen, 0.01, 0.025)
    root = np.stack(
        [
            -sway * np.sin(two_pi * (pos - 0.05)),
            -0.01 - bob * np.cos(2 * two_pi * (pos - 0.05)),
            stride_len * cyc,
        ],
        axis=-1,
    )
    phase = _gait_phase_codes(pos)
    return _assemble(
        subject, "gait", time, fps, phase, deg, root, gait_cycle=np.floor(cyc).astype(np.int64)
    )


def generate_motion(
    subject: SyntheticSubject,
    movement: str,
    rng: np.random.Generator | int | None = None,
    **kwargs: float | str | None,
) -> SagittalMotion:
    """Dispatch to the generator named ``movement`` (one of :data:`MOVEMENTS`).

    Args:
        subject: the person.
        movement: ``"standing"``, ``"forward_bend"``, ``"backward_bend"``, ``"lateral_bend"``
            or ``"gait"``.
        rng: Generator or seed.
        **kwargs: passed to the generator.

    Returns:
        The generated :class:`SagittalMotion`.
    """
    generators = {
        "standing": standing,
        "forward_bend": forward_bend,
        "backward_bend": backward_bend,
        "lateral_bend": lateral_bend,
        "gait": gait,
    }
    if movement not in generators:
        raise ValueError(f"movement must be one of {MOVEMENTS}, got {movement!r}.")
    return generators[movement](subject, rng, **kwargs)


# --------------------------------------------------------------------------- ground truth


@dataclass(frozen=True)
class MotionSummary:
    """Ground-truth clinical summaries of one :class:`SagittalMotion` (degrees).

    NaN marks a quantity that is not defined for the movement (e.g. a lumbar:hip ratio in
    gait, a symmetry index of a single-sided bend). Definitions: see the functions
    :func:`lumbar_rom_deg`, :func:`pelvic_tilt_range_deg`, :func:`lumbar_hip_ratio`,
    :func:`symmetry_index`.

    Attributes:
        movement, pattern: copied from the motion.
        lumbar_rom_deg: range (max − min) of the L1–S1 sagittal angle.
        pelvic_tilt_range_deg: range of the pelvis sagittal angle.
        peak_lumbar_flexion_deg: max lumbar flexion from standing (≥ 0).
        peak_lumbar_extension_deg: max lumbar extension from standing (≥ 0).
        peak_hip_flexion_deg, peak_hip_extension_deg: same for the mean of both hips.
        peak_trunk_inclination_deg: signed trunk inclination change at its largest magnitude.
        lumbar_hip_ratio: see :func:`lumbar_hip_ratio`.
        symmetry_index: see :func:`symmetry_index` (percent).
        standing_lumbar_lordosis_deg, standing_pelvic_tilt_deg: the standing posture.
    """

    movement: str
    pattern: str
    lumbar_rom_deg: float
    pelvic_tilt_range_deg: float
    peak_lumbar_flexion_deg: float
    peak_lumbar_extension_deg: float
    peak_hip_flexion_deg: float
    peak_hip_extension_deg: float
    peak_trunk_inclination_deg: float
    lumbar_hip_ratio: float
    symmetry_index: float
    standing_lumbar_lordosis_deg: float
    standing_pelvic_tilt_deg: float


def trunk_inclination(motion: SagittalMotion) -> np.ndarray:
    """Sagittal trunk (thorax) inclination change from standing, forward positive.

    Defined as (pelvis_tilt − standing_pelvic_tilt) + lumbar_flexion + thoracic_flexion.

    Shapes:
        returns (T,) radians.
    """
    return (
        (motion.pelvis_tilt - motion.standing_pelvic_tilt)
        + motion.lumbar_flexion
        + (motion.thoracic_flexion)
    )


def mean_hip_flexion(motion: SagittalMotion) -> np.ndarray:
    """Mean of left and right hip flexion, (T,) radians."""
    return 0.5 * (motion.hip_flexion_left + motion.hip_flexion_right)


def lumbar_rom_deg(motion: SagittalMotion) -> float:
    """Lumbar range of motion: max − min of ``lumbar_flexion`` over the sequence, degrees.

    Because ``lumbar_flexion`` is the change of the L1–S1 angle from standing, this equals the
    range of the absolute L1–S1 sagittal angle (DESIGN.md §6).
    """
    return float(np.rad2deg(np.ptp(motion.lumbar_flexion)))


def pelvic_tilt_range_deg(motion: SagittalMotion) -> float:
    """Pelvic tilt range: max − min of ``pelvis_tilt`` over the sequence, degrees."""
    return float(np.rad2deg(np.ptp(motion.pelvis_tilt)))


def lumbar_hip_ratio(motion: SagittalMotion) -> float:
    """Lumbar : hip contribution at the end of the bend.

    At the frame t* where |trunk inclination change| is largest, the ratio of the lumbar
    angle change to the mean hip flexion change, both from standing (where both are 0 in these
    motions): ``lumbar_flexion[t*] / mean_hip_flexion[t*]``. Positive for forward and backward
    bends (both flex, or both extend).

    Raises:
        ValueError: if the trunk moves less than 5° (standing, gait, lateral bends) or the hips
            do not move at t*.
    """
    trunk = trunk_inclination(motion)
    t_star = int(np.argmax(np.abs(trunk)))
    hip = mean_hip_flexion(motion)[t_star]
    if np.rad2deg(abs(trunk[t_star])) < _MIN_BEND_DEG or abs(hip) < 1e-9:
        raise ValueError(
            f"lumbar_hip_ratio needs a sagittal bend (trunk change ≥ {_MIN_BEND_DEG}° and hip "
            f"motion); the {motion.movement!r} sequence has none. Use a forward or backward bend."
        )
    return float(motion.lumbar_flexion[t_star] / hip)


def symmetry_index_from_peaks(left: float, right: float) -> float:
    """Symmetry index 100·|L − R| / ((L + R)/2) in percent (0 = symmetric).

    Args:
        left, right: positive magnitudes (any unit, the same for both).
    """
    if not (left > 0 and right > 0):
        raise ValueError(f"left and right must be positive magnitudes, got {left}, {right}.")
    return float(100.0 * abs(left - right) / (0.5 * (left + right)))


def symmetry_index(motion: SagittalMotion) -> float:
    """Spinal symmetry index of lumbar lateral flexion, percent.

    Lateral bend (both sides in one sequence): L = max(lumbar_lateral), R = max(−lumbar_lateral).
    Gait: L and R are the means over complete strides of the per-stride maxima of
    ``lumbar_lateral`` and of ``−lumbar_lateral`` (all frames if no stride is complete). Then
    SI = 100·|L − R| / ((L + R)/2).

    Raises:
        ValueError: for other movements, or a lateral bend to one side only.
    """
    lat = motion.lumbar_lateral
    if motion.movement == "gait":
        cycles = [int(c) for c in np.unique(motion.gait_cycle) if c >= 0]
        complete = cycles[:-1] if len(cycles) > 1 else cycles  # the last stride may be partial
        groups = [lat[motion.gait_cycle == c] for c in complete] or [lat]
        left = float(np.mean([g.max() for g in groups]))
        right = float(np.mean([(-g).max() for g in groups]))
    elif motion.movement == "lateral_bend":
        left, right = float(lat.max()), float((-lat).max())
    else:
        raise ValueError(
            f"symmetry_index is defined for 'lateral_bend' (both sides) and 'gait', "
            f"not {motion.movement!r}."
        )
    if left <= 0 or right <= 0:
        raise ValueError(
            "symmetry_index needs lateral flexion to both sides; generate the lateral bend "
            "with side='both'."
        )
    return symmetry_index_from_peaks(left, right)


def _or_nan(fn, motion: SagittalMotion) -> float:
    try:
        return fn(motion)
    except ValueError:
        return float("nan")


def summarize_motion(motion: SagittalMotion) -> MotionSummary:
    """All ground-truth summaries of one motion (see :class:`MotionSummary`).

    Args:
        motion: a generated motion.

    Returns:
        A :class:`MotionSummary` in degrees / percent, NaN where undefined.
    """
    lumbar = np.rad2deg(motion.lumbar_flexion)
    hip = np.rad2deg(mean_hip_flexion(motion))
    trunk = np.rad2deg(trunk_inclination(motion))
    return MotionSummary(
        movement=motion.movement,
        pattern=motion.pattern,
        lumbar_rom_deg=lumbar_rom_deg(motion),
        pelvic_tilt_range_deg=pelvic_tilt_range_deg(motion),
        peak_lumbar_flexion_deg=float(max(lumbar.max(), 0.0)),
        peak_lumbar_extension_deg=float(max((-lumbar).max(), 0.0)),
        peak_hip_flexion_deg=float(max(hip.max(), 0.0)),
        peak_hip_extension_deg=float(max((-hip).max(), 0.0)),
        peak_trunk_inclination_deg=float(trunk[int(np.argmax(np.abs(trunk)))]),
        lumbar_hip_ratio=_or_nan(lumbar_hip_ratio, motion),
        symmetry_index=_or_nan(symmetry_index, motion),
        standing_lumbar_lordosis_deg=float(np.rad2deg(motion.standing_lumbar_lordosis)),
        standing_pelvic_tilt_deg=float(np.rad2deg(motion.standing_pelvic_tilt)),
    )
