"""Angle-over-time plots: lumbar, pelvic tilt, hip and thoracic angles with phases shaded.

Each panel is one angle series of :class:`humanmovenet.biomech.SpineMetrics` in degrees
(flexion / anterior tilt / kyphosis positive), over time in seconds. The background is shaded
by the detected movement phase (``SpineMetrics.phase``), and where the literature gives a
normal range (``biomech.NORMAL_RANGES`` for the detected movement) it is drawn:

* ranges of *changes from standing* (peak lumbar flexion/extension, peak hip flexion, pelvic
  tilt range in a bend) as a band (or a dashed line when only a mean is published) placed at
  the standing reference + the range, in the direction of the movement;
* ranges of *standing values* (lordosis, kyphosis, standing pelvic tilt) as a hatched band
  over the standing frames' level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..biomech import MovementPhase, SpineMetrics
from ..types import DynamicSpine

__all__ = ["PHASE_STYLE", "plot_angles", "resolve_metrics", "phase_runs"]

#: Phase code → (label, colour) used for shading, also by the HTML report.
PHASE_STYLE: dict[int, tuple[str, str]] = {
    int(MovementPhase.UNKNOWN): ("unknown", "#ffffff"),
    int(MovementPhase.STANDING): ("standing", "#e6e6e6"),
    int(MovementPhase.FLEXION): ("flexion", "#fdd0a2"),
    int(MovementPhase.FLEXION_HOLD): ("flexion hold", "#fdae6b"),
    int(MovementPhase.FLEXION_RETURN): ("flexion return", "#fee6ce"),
    int(MovementPhase.EXTENSION): ("extension", "#c6dbef"),
    int(MovementPhase.EXTENSION_HOLD): ("extension hold", "#9ecae1"),
    int(MovementPhase.EXTENSION_RETURN): ("extension return", "#deebf7"),
    int(MovementPhase.LATERAL_LEFT): ("lateral left", "#d9f0d3"),
    int(MovementPhase.LATERAL_LEFT_HOLD): ("lateral left hold", "#a6dba0"),
    int(MovementPhase.LATERAL_LEFT_RETURN): ("lateral left return", "#e7f5e4"),
    int(MovementPhase.LATERAL_RIGHT): ("lateral right", "#e7d4e8"),
    int(MovementPhase.LATERAL_RIGHT_HOLD): ("lateral right hold", "#c2a5cf"),
    int(MovementPhase.LATERAL_RIGHT_RETURN): ("lateral right return", "#f2e9f3"),
    int(MovementPhase.GAIT): ("gait", "#fff7bc"),
}

_BEND_SIGN = {"forward_bend": 1.0, "backward_bend": -1.0}


def resolve_metrics(data) -> tuple[DynamicSpine | None, SpineMetrics]:
    """(spine, metrics) of an ``Analysis``, a ``(spine, metrics)`` pair or a ``SpineMetrics``."""
    if isinstance(data, SpineMetrics):
        return None, data
    if isinstance(data, tuple) and len(data) == 2:
        spine, metrics = data
        if isinstance(spine, DynamicSpine) and isinstance(metrics, SpineMetrics):
            if spine.num_frames != metrics.num_frames:
                raise ValueError(
                    f"spine has {spine.num_frames} frames but metrics {metrics.num_frames}: "
                    "pass the metrics computed from this spine (biomech.compute_metrics(spine))."
                )
            return spine, metrics
    spine = getattr(data, "spine", None)
    metrics = getattr(data, "metrics", None)
    if isinstance(spine, DynamicSpine) and isinstance(metrics, SpineMetrics):
        return spine, metrics
    raise ValueError(
        "expected an Analysis (humanmovenet.analyze), a (DynamicSpine, SpineMetrics) pair or a "
        f"SpineMetrics, got {type(data).__name__}."
    )


def phase_runs(phase: np.ndarray) -> list[tuple[int, int, int]]:
    """Contiguous runs of equal phase code as (code, first frame, stop frame).

    Shapes:
        phase: (T,).
    """
    phase = np.asarray(phase)
    if phase.ndim != 1:
        raise ValueError(
            f"phase_runs: phase must be a (T,) array of per-frame phase codes (e.g. "
            f"SpineMetrics.phase), got shape {phase.shape}."
        )
    phase = phase.astype(int)
    if phase.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(phase)) + 1
    starts = np.concatenate([[0], cuts])
    stops = np.concatenate([cuts, [phase.size]])
    return [(int(phase[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


@dataclass(frozen=True)
class _Panel:
    title: str
    series: np.ndarray | None  # degrees
    relative: tuple[str, ...]  # metric keys whose range is a change from standing
    absolute: tuple[tuple[str, float], ...]  # (metric key, sign of the series vs the metric)
    missing: str = ""


def _panels(m: SpineMetrics) -> list[_Panel]:
    deg = np.degrees
    hip = None if m.hip_flexion is None else deg(np.asarray(m.hip_flexion))
    return [
        _Panel("Lumbar L1–S1 angle (flexion +)", deg(m.lumbar_angle),
               ("peak_lumbar_flexion", "peak_lumbar_extension"),
               (("standing_lumbar_lordosis", -1.0),)),
        _Panel("Pelvic tilt (anterior +)", deg(m.pelvic_tilt), ("pelvic_tilt_range",),
               (("standing_pelvic_tilt", 1.0),)),
        _Panel("Hip flexion, mean of left/right (flexion +)", hip,
               ("peak_hip_flexion", "peak_hip_extension"), (),
               missing=m.unavailable.get("peak_hip_flexion", "no hip angles in this spine")),
        _Panel("Thoracic T1–T12 angle (kyphosis +)", deg(m.thoracic_angle), (),
               (("standing_thoracic_kyphosis", 1.0),)),
    ]  # fmt: skip


def _standing_level(series: np.ndarray, phase: np.ndarray) -> float | None:
    standing = np.asarray(phase) == int(MovementPhase.STANDING)
    if not standing.any():
        return None
    return float(np.median(series[standing]))


def _draw_ranges(ax, panel: _Panel, m: SpineMetrics, t: np.ndarray) -> list[str]:
    """Draw the normal-range bands of one panel; returns legend notes."""
    notes: list[str] = []
    y = panel.series
    ref = _standing_level(y, m.phase)
    sign = _BEND_SIGN.get(m.movement)
    for key in panel.relative:
        rng = m.normal_range(key)
        if rng is None or rng.unit != "deg" or ref is None or sign is None:
            continue
        if rng.movement not in _BEND_SIGN:
            continue
        direction = sign if key != "peak_lumbar_extension" else -1.0
        if key == "peak_hip_extension":
            direction = -1.0
        if rng.low is not None and rng.high is not None:
            lo, hi = sorted((ref + direction * rng.low, ref + direction * rng.high))
            ax.axhspan(lo, hi, color="#31a354", alpha=0.18, lw=0, zorder=1)
            notes.append(f"green band: typical {key.replace('_', ' ')} {rng.low:g}–{rng.high:g}°"
                         f" from standing ({rng.population})")  # fmt: skip
        elif rng.mean is not None:
            ax.axhline(ref + direction * rng.mean, color="#31a354", ls="--", lw=1.2, zorder=2)
            notes.append(f"green dashed: published mean {key.replace('_', ' ')} {rng.mean:g}° "
                         f"from standing ({rng.population})")  # fmt: skip
    for key, s in panel.absolute:
        rng = m.normal_range(key)
        if rng is None or rng.low is None or rng.high is None:
            continue
        lo, hi = sorted((s * rng.low, s * rng.high))
        ax.axhspan(lo, hi, facecolor="none", edgecolor="#756bb1", hatch="///", lw=0.0,
                   alpha=0.6, zorder=1)  # fmt: skip
        notes.append(f"hatched: {key.replace('_', ' ')} {rng.low:g}–{rng.high:g}° "
                     f"({rng.population})")  # fmt: skip
    if ref is not None:
        ax.axhline(ref, color="#636363", ls=":", lw=1.0, zorder=2)
    return notes


def plot_angles(data, path: str | Path, dpi: int = 110) -> Path:
    """Write a PNG of the lumbar, pelvic tilt, hip and thoracic angles over time.

    Args:
        data: an ``Analysis`` (from :func:`humanmovenet.analyze`), a
            ``(DynamicSpine, SpineMetrics)`` pair or a ``SpineMetrics``; the series plotted are
            those of the metrics (the unsmoothed per-frame angles).
        path: output PNG (parent folders are created).
        dpi: resolution.

    Returns:
        The written path.

    Raises:
        ValueError: on another input type, or fewer than 2 frames.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    _, m = resolve_metrics(data)
    n = m.num_frames
    if n < 2:
        raise ValueError(f"need at least 2 frames to plot angles over time, got {n}.")
    t = np.arange(n) / float(m.fps)
    panels = _panels(m)
    fig, axes = plt.subplots(len(panels), 1, figsize=(8.0, 2.0 * len(panels) + 0.8),
                             sharex=True)  # fmt: skip
    runs = phase_runs(m.phase)
    dt = 0.5 / float(m.fps)
    used: dict[int, None] = {}
    for ax, panel in zip(axes, panels, strict=True):
        for code, a, b in runs:
            label, colour = PHASE_STYLE.get(code, ("?", "#ffffff"))
            ax.axvspan(t[a] - dt, t[b - 1] + dt, color=colour, lw=0, zorder=0)
            used[code] = None
        ax.set_title(panel.title, fontsize=9, loc="left")
        ax.set_ylabel("degrees", fontsize=8)
        ax.tick_params(labelsize=7)
        if panel.series is None:
            ax.text(0.5, 0.5, f"not available: {panel.missing}", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8, color="#636363")  # fmt: skip
            ax.set_yticks([])
            continue
        notes = _draw_ranges(ax, panel, m, t)
        ax.plot(t, panel.series, color="#08306b", lw=1.6, zorder=3)
        ax.axvline(t[m.peak_frame], color="#cb181d", lw=0.8, ls="-.", zorder=2)
        if notes:
            ax.text(0.995, 0.03, "\n".join(notes), transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=6, color="#333333", zorder=5,
                    bbox={"facecolor": "white", "alpha": 0.75, "lw": 0})  # fmt: skip
    axes[-1].set_xlabel("time (s)", fontsize=8)
    axes[-1].set_xlim(t[0] - dt, t[-1] + dt)
    handles = [Patch(facecolor=PHASE_STYLE[c][1], edgecolor="#999999", lw=0.5,
                     label=PHASE_STYLE[c][0]) for c in used if c in PHASE_STYLE]  # fmt: skip
    fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), 6), fontsize=7,
               frameon=False, title=f"phases ({m.movement}); red dash-dot: frame of largest "
               "trunk excursion; dotted: standing level", title_fontsize=7)  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
