"""Locate the shipped MediaPipe pose-landmarker bundles (``weights/pose_landmarker_*.task``).

Resolution order (DESIGN.md §3): an explicit ``model_path``; the ``HUMANMOVENET_POSE_MODEL``
environment variable; a same-named file under ``HUMANMOVENET_WEIGHTS_DIR``; the shipped
``weights/`` folder (sha256-checked). ``humanmovenet/train/build_pose_model.py`` rebuilds them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from humanmovenet._paths import resolve_weight

__all__ = ["POSE_MODELS", "POSE_MODEL_ENV", "resolve_pose_model"]

POSE_MODEL_ENV = "HUMANMOVENET_POSE_MODEL"

#: Shipped bundles: name -> (file name, sha256).
POSE_MODELS: dict[str, tuple[str, str]] = {
    "full": (
        "pose_landmarker_full.task",
        "1de09df4055f04d1f9ae4ec70a02ab4d1c42795a53e3aa1d9bdd70a5353e04ae",
    ),
    "lite": (
        "pose_landmarker_lite.task",
        "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
    ),
}


def resolve_pose_model(
    model: Literal["full", "lite"] = "full", model_path: str | os.PathLike[str] | None = None
) -> Path:
    """Path of the pose-landmarker ``.task`` bundle to use.

    Args:
        model: ``"full"`` (default, more accurate) or ``"lite"`` (faster).
        model_path: explicit path to a ``.task`` file; wins over everything else.

    Returns:
        Absolute path of an existing file.

    Raises:
        ValueError: unknown model name, or the shipped file is corrupt (sha256 mismatch).
        FileNotFoundError: the file is missing; the message lists every way to fix it.
    """
    if model not in POSE_MODELS:
        raise ValueError(f"model must be one of {sorted(POSE_MODELS)}, got {model!r}.")
    filename, sha256 = POSE_MODELS[model]
    return resolve_weight(
        filename,
        path=model_path,
        env_var=POSE_MODEL_ENV,
        sha256=sha256,
        what=f"MediaPipe pose landmarker ({model})",
    )
