"""Clinical metrics as CSV and JSON files (``biomech.SpineMetrics``), written atomically.

CSV layout (one row per metric, ``SpineMetrics.to_rows``): ``movement, metric, value,
uncertainty, ci_low, ci_high, unit, normal_low, normal_high, normal_mean, normal_source,
definition, note``. Values in the metric's unit (degrees, %, ratio); undefined metrics have an
empty value and their reason in ``note``. JSON: ``SpineMetrics.to_dict`` (optionally with the
per-frame series, radians). Both open in a spreadsheet / ``pandas.read_csv`` / ``json.load``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

from .._atomic import atomic_open

__all__ = ["METRICS_CSV_COLUMNS", "save_metrics_csv", "save_metrics_json"]

#: Columns of :func:`save_metrics_csv`, in order.
METRICS_CSV_COLUMNS: tuple[str, ...] = (
    "movement", "metric", "value", "uncertainty", "ci_low", "ci_high", "unit", "normal_low",
    "normal_high", "normal_mean", "normal_source", "definition", "note",
)  # fmt: skip


def _check(metrics) -> None:  # noqa: ANN001 - SpineMetrics (biomech is a later stage)
    if not (hasattr(metrics, "to_rows") and hasattr(metrics, "to_dict")):
        raise ValueError(
            f"metrics: expected a humanmovenet.biomech.SpineMetrics (compute_metrics or "
            f"Analysis.metrics), got {type(metrics).__name__}."
        )


def _cell(value):  # noqa: ANN001, ANN202
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def save_metrics_csv(path: str | os.PathLike[str], metrics) -> Path:  # noqa: ANN001
    """Write one row per metric (columns :data:`METRICS_CSV_COLUMNS`); returns the path."""
    _check(metrics)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METRICS_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in metrics.to_rows():
        writer.writerow({k: _cell(row.get(k)) for k in METRICS_CSV_COLUMNS})
    path = Path(path)
    with atomic_open(path, "w") as f:
        f.write(buffer.getvalue())
    return path


def save_metrics_json(
    path: str | os.PathLike[str],
    metrics,  # noqa: ANN001
    include_series: bool = False,
) -> Path:
    """Write ``metrics.to_dict(include_series)`` as JSON (NaN → null); returns the path."""
    _check(metrics)

    def clean(v):  # noqa: ANN001, ANN202
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    path = Path(path)
    with atomic_open(path, "w") as f:
        f.write(json.dumps(clean(metrics.to_dict(include_series)), indent=2, allow_nan=False))
    return path
