"""Camera-view estimate from 2D landmarks: side view or not, and which way the person faces.

Convention: ``facing`` is the image direction (``"left"`` = towards smaller x, ``"right"`` =
towards larger x) that the person's front (face, chest, toes) points to — not the direction of
travel and not the person's own left/right.
"""

from __future__ import annotations

import numpy as np

from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES, ViewEstimate

__all__ = ["estimate_view", "frame_width_ratio", "frame_facing_sign"]

_IDX = {name: i for i, name in enumerate(MEDIAPIPE_LANDMARK_NAMES)}
#: Width ratio (shoulder/hip left-right spread over torso length) that maps to score 0.
FRONTAL_WIDTH_RATIO = 0.5
#: Minimum sagittal score for a side view (below: front or back view; sagittal metrics wrong).
SIDE_VIEW_MIN_SCORE = 0.3
#: Below this score a side view is oblique (roughly 15-35 degrees off the pure side view).
#: Measured on renders with known camera yaw and real MediaPipe (``benchmarks/bench_view_score.py``):
#: yaw 0: all scores >= 0.69; yaw 15: median 0.78, 20 % < 0.6, none < 0.48; yaw 30: median
#: 0.41, 93 % < 0.6, 7 % < 0.3; yaw 45: all < 0.3.
OBLIQUE_VIEW_SCORE = 0.6
#: Minimum fraction of valid frames agreeing on a facing direction.
FACING_MIN_AGREEMENT = 0.7


def _point(data: np.ndarray, name: str) -> np.ndarray:
    return data[..., _IDX[name], :2]


def frame_width_ratio(data: np.ndarray) -> np.ndarray:
    """Left-right spread of shoulders and hips in x, relative to torso length, per frame.

    About 0–0.2 in a side view, 0.4–0.8 in a frontal or back view.

    Shapes:
        data: (T, 33, 3) pixels + visibility -> (T,), NaN where landmarks are missing.
    """
    shoulder_dx = np.abs(
        _point(data, "left_shoulder")[..., 0] - _point(data, "right_shoulder")[..., 0]
    )
    hip_dx = np.abs(_point(data, "left_hip")[..., 0] - _point(data, "right_hip")[..., 0])
    mid_sh = 0.5 * (_point(data, "left_shoulder") + _point(data, "right_shoulder"))
    mid_hip = 0.5 * (_point(data, "left_hip") + _point(data, "right_hip"))
    torso = np.linalg.norm(mid_sh - mid_hip, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(torso > 0, 0.5 * (shoulder_dx + hip_dx) / torso, np.nan)


def frame_facing_sign(data: np.ndarray) -> np.ndarray:
    """+1 where the person's front points to image +x (right), -1 to the left, per frame.

    Votes nose-ahead-of-ears and toes-ahead-of-heels (each normalised by torso length).

    Shapes:
        data: (T, 33, 3) -> (T,), 0 where undecided, NaN where landmarks are missing.
    """
    ears_x = 0.5 * (_point(data, "left_ear")[..., 0] + _point(data, "right_ear")[..., 0])
    nose_dx = _point(data, "nose")[..., 0] - ears_x
    toes_x = 0.5 * (
        _point(data, "left_foot_index")[..., 0] + _point(data, "right_foot_index")[..., 0]
    )
    heels_x = 0.5 * (_point(data, "left_heel")[..., 0] + _point(data, "right_heel")[..., 0])
    vote = np.sign(nose_dx) + np.sign(toes_x - heels_x)
    return np.sign(vote)


def estimate_view(data: np.ndarray) -> ViewEstimate:
    """Estimate whether the camera sees the person from the side, and the facing direction.

    Args:
        data: landmarks in pixels with visibility (``Keypoints2D.data``); NaN rows are skipped.

    Returns:
        A :class:`ViewEstimate`. ``sagittal_score`` = 1 - median(width ratio) / 0.5, clipped to
        [0, 1]; a side view when >= :data:`SIDE_VIEW_MIN_SCORE` (0.3), an oblique one (message
        starting "NOTE") below :data:`OBLIQUE_VIEW_SCORE` (0.6). ``facing`` is the majority of
        per-frame votes when at least 70 % of decided frames agree, else ``"unknown"``.

    Shapes:
        data: (T, 33, 3).
    """
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 3 or data.shape[1:] != (len(MEDIAPIPE_LANDMARK_NAMES), 3):
        raise ValueError(
            f"estimate_view: expected landmarks of shape (T, 33, 3), got {data.shape}; pass "
            "Keypoints2D.data."
        )
    ratio = frame_width_ratio(data)
    ratio = ratio[np.isfinite(ratio)]
    if ratio.size == 0:
        return ViewEstimate("unknown", False, 0.0, "No frame with a detected person: the view "
                            "cannot be estimated.")  # fmt: skip
    score = float(np.clip(1.0 - np.median(ratio) / FRONTAL_WIDTH_RATIO, 0.0, 1.0))
    signs = frame_facing_sign(data)
    signs = signs[np.isfinite(signs) & (signs != 0)]
    facing = "unknown"
    if signs.size:
        right = float(np.mean(signs > 0))
        if right >= FACING_MIN_AGREEMENT:
            facing = "right"
        elif 1.0 - right >= FACING_MIN_AGREEMENT:
            facing = "left"
    is_side = score >= SIDE_VIEW_MIN_SCORE
    if score >= OBLIQUE_VIEW_SCORE:
        message = f"Side view (sagittal score {score:.2f}), person faces image-{facing}."
    elif is_side:
        message = (
            f"NOTE: oblique side view (sagittal score {score:.2f} < {OBLIQUE_VIEW_SCORE}; about "
            "15-35° off the pure side view): sagittal angles lose accuracy as the camera turns "
            "towards the front or back (docs/limitations.md). Film square to the side where "
            f"possible. Person faces image-{facing}."
        )
    else:
        message = (
            f"WARNING: not a side view (sagittal score {score:.2f} < {SIDE_VIEW_MIN_SCORE}); the "
            "camera sees the person from the front or back, so sagittal metrics (lumbar flexion, "
            "pelvic tilt) will be wrong. Film the person from the side, camera at hip height."
        )
    return ViewEstimate(facing if is_side else "unknown", is_side, score, message)
