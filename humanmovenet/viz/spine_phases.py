"""Spine curves at standing, peak flexion and peak extension (side and back view).

The three key frames of a movement are picked from the metrics: *standing* is the standing
frame whose lumbar angle is closest to the standing median (frame 0 if no frame was detected as
standing), *peak flexion* the frame of the largest L1–S1 angle and *peak extension* the frame of
the smallest. A frame whose lumbar angle differs from standing by less than
``min_change_deg`` is drawn but titled "no … in this movement".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..biomech import MovementPhase, SpineMetrics
from ..spine.curve import spine_curve
from ..types import DynamicSpine

__all__ = ["KeyFrame", "key_frames", "plot_spine_phases", "display_coordinates", "LABELLED_LEVELS"]

#: Vertebrae labelled in the pictures and the HTML viewer.
LABELLED_LEVELS = ("S1", "L5", "L4", "L3", "L2", "L1", "T12", "T6", "T1", "C7")
_STATE_COLOURS = {"standing": "#525252", "peak flexion": "#e6550d", "peak extension": "#3182bd"}
_REGION_COLOURS = {"S": "#7b3294", "L": "#d7191c", "T": "#2c7bb6", "C": "#1a9641"}


@dataclass(frozen=True)
class KeyFrame:
    """One key frame of a movement.

    Attributes:
        name: ``"standing"``, ``"peak flexion"`` or ``"peak extension"``.
        frame: frame index.
        lumbar_deg: L1–S1 sagittal angle at that frame, degrees (flexion +).
        change_deg: lumbar angle change from the standing frame, degrees.
        present: False when the change is below the threshold (no such peak in the movement);
            for standing, False when no frame was detected as standing (the first frame is used).
    """

    name: str
    frame: int
    lumbar_deg: float
    change_deg: float
    present: bool


def key_frames(metrics: SpineMetrics, min_change_deg: float = 3.0) -> tuple[KeyFrame, ...]:
    """Standing, peak-flexion and peak-extension frames of ``metrics``.

    Args:
        metrics: metrics of the movement (its ``lumbar_angle`` and ``phase`` are used).
        min_change_deg: change from standing below which a peak counts as absent.
    """
    lumbar = np.degrees(np.asarray(metrics.lumbar_angle, dtype=float))
    if lumbar.size == 0 or not np.isfinite(lumbar).any():
        raise ValueError("metrics.lumbar_angle has no finite frame; nothing to draw.")
    standing = np.flatnonzero(np.asarray(metrics.phase) == int(MovementPhase.STANDING))
    standing = standing[np.isfinite(lumbar[standing])]
    if standing.size:
        med = np.median(lumbar[standing])
        s = int(standing[np.argmin(np.abs(lumbar[standing] - med))])
    else:
        s = int(np.flatnonzero(np.isfinite(lumbar))[0])
    f = int(np.nanargmax(lumbar))
    e = int(np.nanargmin(lumbar))
    out = [KeyFrame("standing", s, float(lumbar[s]), 0.0, bool(standing.size))]
    for name, k in (("peak flexion", f), ("peak extension", e)):
        change = float(lumbar[k] - lumbar[s])
        out.append(KeyFrame(name, k, float(lumbar[k]), change, abs(change) >= min_change_deg))
    return tuple(out)


def display_coordinates(
    spine: DynamicSpine, points: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Spine (and other points) in a display frame: person's left, up, forward; S1 at x = z = 0.

    The horizontal forward direction is the median heading of the pelvis (its left axis crossed
    with up), so a person walking or facing any way is drawn forward-to-the-right in the side
    view; each frame is shifted horizontally so that S1 is at x = z = 0 (the height is kept).

    Shapes:
        returns positions (T, K, 3) and points (T, N, 3) (or None).
    """
    pos = np.asarray(spine.positions, dtype=float)
    if points is not None:
        shape = np.shape(points)
        if len(shape) != 3 or shape[0] != pos.shape[0] or shape[2] != 3:
            raise ValueError(
                f"display_coordinates: points must be (T, N, 3) world positions with T = "
                f"{pos.shape[0]} frames like the spine, got shape {shape}."
            )
    left = np.asarray(spine.pelvis_frames, dtype=float)[:, :, 0].copy()
    left[:, 1] = 0.0
    norm = np.linalg.norm(left, axis=-1)
    ok = norm > 1e-6
    if ok.any():
        x = np.median(left[ok] / norm[ok, None], axis=0)
        x[1] = 0.0
        x = x / max(np.linalg.norm(x), 1e-9) if np.linalg.norm(x) > 1e-6 else np.array([1.0, 0, 0])
    else:
        x = np.array([1.0, 0.0, 0.0])
    up = np.array([0.0, 1.0, 0.0])
    rot = np.stack([x, up, np.cross(x, up)], axis=1)  # columns: left, up, forward
    shift = pos[:, :1, :] @ rot
    shift[..., 1] = 0.0
    out = pos @ rot - shift
    pts = None if points is None else np.asarray(points, dtype=float) @ rot - shift
    return out, pts


def _draw(ax, spine: np.ndarray, names: tuple[str, ...], horiz: int, colour: str,
          label_levels: bool, body: np.ndarray | None) -> None:  # fmt: skip
    if body is not None:
        ax.scatter(body[:, horiz], body[:, 1], s=1.0, c="#cfcfcf", linewidths=0, zorder=1)
    curve = spine_curve(spine, samples_per_level=6)
    ax.plot(curve[:, horiz], curve[:, 1], color=colour, lw=1.8, zorder=3)
    dots = [_REGION_COLOURS.get(n[0], "#000000") for n in names]
    ax.scatter(spine[:, horiz], spine[:, 1], s=12, c=dots, zorder=4, linewidths=0)
    if label_levels:
        for name in LABELLED_LEVELS:
            if name in names:
                k = names.index(name)
                ax.annotate(name, (spine[k, horiz], spine[k, 1]), xytext=(6, 0),
                            textcoords="offset points", fontsize=6.5, va="center",
                            zorder=5)  # fmt: skip


def plot_spine_phases(
    spine: DynamicSpine,
    metrics: SpineMetrics,
    path: str | Path,
    body_points: np.ndarray | None = None,
    dpi: int = 110,
) -> Path:
    """Write a PNG of the spine at standing, peak flexion and peak extension.

    Columns: the three key frames (side view on top — forward to the right; back view below —
    the person's left on the viewer's left; coordinates of :func:`display_coordinates`), then an overlay of the three side views aligned at
    S1. Vertebrae S1, L5…L1, T12, T6, T1 and C7 are labelled.

    Args:
        spine: the spine over time.
        metrics: its metrics (``biomech.compute_metrics(spine)``), used to pick the frames.
        path: output PNG (parent folders are created).
        body_points: optional body surface points per frame, drawn light grey behind the spine.
        dpi: resolution.

    Returns:
        The written path.

    Shapes:
        body_points: (T, N, 3) in the spine's frame (e.g. vertices of ``io.pose_vertices``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not isinstance(spine, DynamicSpine) or not isinstance(metrics, SpineMetrics):
        raise ValueError(
            "expected a DynamicSpine and its SpineMetrics, got "
            f"{type(spine).__name__} and {type(metrics).__name__}."
        )
    if spine.num_frames != metrics.num_frames:
        raise ValueError(
            f"spine has {spine.num_frames} frames but metrics {metrics.num_frames}: pass the "
            "metrics computed from this spine."
        )
    if body_points is not None:
        body_points = np.asarray(body_points)
        if body_points.ndim != 3 or body_points.shape[0] != spine.num_frames:
            raise ValueError(
                f"body_points must be (T={spine.num_frames}, N, 3), got {body_points.shape}."
            )
    keys = key_frames(metrics)
    names = tuple(spine.level_names)
    pos, body_points = display_coordinates(spine, body_points)
    fig, axes = plt.subplots(2, 4, figsize=(11.0, 8.2), squeeze=False)
    for i, key in enumerate(keys):
        colour = _STATE_COLOURS[key.name]
        body = None if body_points is None else body_points[key.frame]
        title = f"{key.name}\nframe {key.frame}, t = {key.frame / spine.fps:.2f} s"
        if key.name != "standing":
            title += f"\nL1–S1 {key.change_deg:+.1f}° from standing"
            if not key.present:
                title = f"no {key.name.split()[1]} in this movement\n" + title.split("\n", 1)[1]
        else:
            if not key.present:
                title = title.replace("standing", "reference: first frame\n(no standing detected)")
            title += f"\nL1–S1 {key.lumbar_deg:+.1f}° (flexion +)"
        for row, horiz in ((0, 2), (1, 0)):
            ax = axes[row, i]
            _draw(ax, pos[key.frame], names, horiz, colour, True, body)
            ax.set_aspect("equal")
            ax.autoscale_view()
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.set_title(title, fontsize=8)
                ax.set_xlabel("forward of S1 (m) →", fontsize=7)
            else:
                lo, hi = ax.get_xlim()
                half = max(0.12, abs(lo), abs(hi))
                ax.set_xlim(half, -half)  # seen from behind: the person's left on the left
                ax.set_xlabel("← left   back view (m)   right →", fontsize=7)
        axes[0, i].set_ylabel("up (m)", fontsize=7)
    ax = axes[0, 3]
    for key in (*keys[1:], keys[0]):  # standing last, on top
        p = pos[key.frame] - pos[key.frame, 0]
        curve = spine_curve(p, samples_per_level=6)
        ax.plot(curve[:, 2], curve[:, 1], color=_STATE_COLOURS[key.name],
                lw=1.8 if key.present else 1.0, ls="-" if key.present else "--",
                label=key.name if key.present else f"{key.name} (none)")  # fmt: skip
        ax.scatter(p[:, 2], p[:, 1], s=6, color=_STATE_COLOURS[key.name], zorder=4)
    ax.set_aspect("equal")
    ax.set_title("side views overlaid\n(aligned at S1)", fontsize=8)
    ax.set_xlabel("forward (m) →", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    axes[1, 3].axis("off")
    axes[1, 3].text(0.0, 0.95, "dots: sacrum (purple), lumbar (red),\nthoracic (blue), cervical "
                    "(green)\nlabelled: " + ", ".join(LABELLED_LEVELS), fontsize=7, va="top",
                    transform=axes[1, 3].transAxes)  # fmt: skip
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
