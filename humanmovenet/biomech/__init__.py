"""humanmovenet.biomech: clinical lumbopelvic metrics from a ``DynamicSpine``.

Reads only :class:`humanmovenet.types.DynamicSpine` (and the spine stage's angle functions);
never the video, pose or reconstruction stages.

Example::

    from humanmovenet.biomech import compute_metrics
    metrics = compute_metrics(spine)          # movement and phases detected automatically
    print(metrics.lumbar_rom)                 # "48.0° ± 0.3°" (frame noise)
    # a spine reconstructed from a video: add the reconstruction's measured error
    cal = load_calibration("weights/metric_errors.json")   # pipeline.analyze does this
    print(compute_metrics(spine, calibration=cal).lumbar_rom)   # "48.0° ± 5.2°"
    print(metrics.summary())
    metrics.normal_range("lumbar_rom")        # literature range for the detected movement

Modules: :mod:`.angles` (per-frame angle series), :mod:`.phases` (movement and phase
detection, gait cycles), :mod:`.metrics` (``SpineMetrics``, definitions, normal ranges),
:mod:`.uncertainty` (noise bootstrap; reconstruction-error calibration), :mod:`.filtering`
(smoothing, noise level).
Definitions, units, ranges and measured accuracy: docs/clinical_metrics.md.
"""

from .angles import (
    LEVEL_DISCS,
    check_spine,
    level_angle_series,
    lumbar_angle_series,
    lumbar_lateral_series,
    pelvic_tilt_series,
    thoracic_angle_series,
    trunk_inclination_series,
)
from .metrics import (
    DEFINITIONS,
    NORMAL_RANGES,
    LevelMetrics,
    MetricValue,
    NormalRange,
    SpineMetrics,
    apply_calibration,
    compute_metrics,
    symmetry_index_from_peaks,
)
from .phases import (
    MOVEMENTS,
    MovementPhase,
    PhaseSettings,
    detect_movement,
    detect_phases,
    split_cycles,
)
from .uncertainty import (
    MetricCalibration,
    MetricError,
    bootstrap_statistics,
    load_calibration,
)

__all__ = [
    "compute_metrics",
    "SpineMetrics",
    "MetricValue",
    "LevelMetrics",
    "NormalRange",
    "DEFINITIONS",
    "NORMAL_RANGES",
    "symmetry_index_from_peaks",
    "MOVEMENTS",
    "MovementPhase",
    "PhaseSettings",
    "detect_movement",
    "detect_phases",
    "split_cycles",
    "bootstrap_statistics",
    "apply_calibration",
    "MetricCalibration",
    "MetricError",
    "load_calibration",
    "LEVEL_DISCS",
    "check_spine",
    "lumbar_angle_series",
    "thoracic_angle_series",
    "level_angle_series",
    "lumbar_lateral_series",
    "pelvic_tilt_series",
    "trunk_inclination_series",
]
