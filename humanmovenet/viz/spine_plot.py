"""Static pictures of the body with its vertebral spine (matplotlib, headless).

The body is drawn as its projected silhouette (all triangles filled, light grey) and the spine as
a smooth curve through the vertebral centres with labelled key levels, in side view (sagittal:
forward to the right) and, optionally, back view (frontal: the person's left to the left, as a
clinician standing behind the person sees it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..spine.curve import spine_curve
from ..types import VERTEBRA_NAMES

__all__ = ["SpinePanel", "plot_spine_panels"]

_REGION_COLOURS = {"S": "#7b3294", "L": "#d7191c", "T": "#2c7bb6", "C": "#1a9641"}
_LABELLED = ("S1", "L3", "L1", "T12", "T6", "T1", "C7")


@dataclass(frozen=True)
class SpinePanel:
    """One body + spine to draw.

    Attributes:
        title: panel title (e.g. ``"neutral"``, ``"flexed 40°"``).
        vertices: body vertices in the body frame (metres), or None to draw the spine alone.
        faces: triangle indices (needed with ``vertices``).
        spine: vertebral centres S1…C1.

    Shapes:
        vertices: (V, 3); faces: (F, 3); spine: (K, 3) with K = 25.
    """

    title: str
    spine: np.ndarray
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None


def _draw(ax, panel: SpinePanel, horiz: int, sign: float) -> None:
    from matplotlib.collections import PolyCollection

    if panel.vertices is not None:
        tri = panel.vertices[panel.faces][..., [horiz, 1]] * np.array([sign, 1.0])
        ax.add_collection(
            PolyCollection(tri, facecolors="#d9d9d9", edgecolors="none", antialiased=False)
        )
    spine = np.asarray(panel.spine)
    curve = spine_curve(spine, samples_per_level=6)
    ax.plot(sign * curve[:, horiz], curve[:, 1], color="#444444", lw=1.5, zorder=3)
    colours = [_REGION_COLOURS[name[0]] for name in VERTEBRA_NAMES]
    ax.scatter(sign * spine[:, horiz], spine[:, 1], s=14, c=colours, zorder=4, linewidths=0)
    for name in _LABELLED:
        k = VERTEBRA_NAMES.index(name)
        ax.annotate(name, (sign * spine[k, horiz], spine[k, 1]), xytext=(5, 0),
                    textcoords="offset points", fontsize=7, va="center", zorder=5)  # fmt: skip
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_title(panel.title, fontsize=9)
    ax.tick_params(labelsize=7)


def plot_spine_panels(
    panels: list[SpinePanel], out_png: str | Path, back_view: bool = True, dpi: int = 120
) -> Path:
    """Write a PNG with one column per panel: side view on top, back view below.

    Args:
        panels: what to draw, left to right.
        out_png: output file (parent folders are created).
        back_view: add the back (frontal) view row.
        dpi: resolution.

    Returns:
        The written path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("panels: give at least one SpinePanel to draw.")
    for p in panels:
        if p.vertices is not None and p.faces is None:
            raise ValueError(f"panel {p.title!r}: vertices given without faces.")
    rows = 2 if back_view else 1
    fig, axes = plt.subplots(rows, len(panels), figsize=(2.6 * len(panels), 4.2 * rows),
                             squeeze=False)  # fmt: skip
    for i, panel in enumerate(panels):
        _draw(axes[0, i], panel, horiz=2, sign=1.0)  # side view: +z (forward) to the right
        axes[0, i].set_xlabel("forward (m)", fontsize=7)
        if back_view:
            # seen from behind, the person's left (+x) is on the viewer's left
            _draw(axes[1, i], panel, horiz=0, sign=1.0)
            axes[1, i].invert_xaxis()
            axes[1, i].set_xlabel("person's left ← → right (m), back view", fontsize=7)
    axes[0, 0].set_ylabel("up (m)", fontsize=7)
    fig.tight_layout()
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
