"""humanmovenet.viz: pictures and the offline HTML report of an analysis.

* :func:`plot_angles` — lumbar, pelvic tilt, hip and thoracic angles over time, phases shaded,
  literature ranges drawn (PNG).
* :func:`plot_spine_phases` — the spine at standing, peak flexion and peak extension, side and
  back view, vertebrae labelled (PNG).
* :func:`write_report` — one self-contained HTML file (3D viewer, metrics, phenotype, quality,
  provenance); works offline.
* :func:`plot_spine_panels` — body + spine panels of the foundation demo.
* :func:`write_overlay_video` — the analysis drawn on the real frames (landmarks, silhouette
  outline, projected body and spine, lumbar angle), an MP4 written frame by frame.

See docs/visualisation.md.
"""

from .angles_plot import PHASE_STYLE, phase_runs, plot_angles
from .overlay import OverlayCamera, overlay_camera, project_points, write_overlay_video
from .report import report_data, write_report
from .spine_phases import (
    LABELLED_LEVELS,
    KeyFrame,
    display_coordinates,
    key_frames,
    plot_spine_phases,
)
from .spine_plot import SpinePanel, plot_spine_panels

__all__ = [
    "plot_angles",
    "plot_spine_phases",
    "write_report",
    "report_data",
    "key_frames",
    "KeyFrame",
    "display_coordinates",
    "phase_runs",
    "PHASE_STYLE",
    "LABELLED_LEVELS",
    "SpinePanel",
    "plot_spine_panels",
    "write_overlay_video",
    "overlay_camera",
    "project_points",
    "OverlayCamera",
]
