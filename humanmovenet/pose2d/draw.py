"""Draw landmarks and a silhouette on a frame (for checking results by eye)."""

from __future__ import annotations

import numpy as np

from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

__all__ = ["SKELETON_EDGES", "draw_pose"]

#: Bones drawn between named landmarks.
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    ("left_ear", "left_eye"), ("left_eye", "nose"), ("right_ear", "right_eye"),
    ("right_eye", "nose"),
)  # fmt: skip
_LEFT, _RIGHT, _MID = (255, 140, 0), (0, 170, 255), (255, 255, 255)
_MASK_TINT = np.array([60, 220, 60], dtype=np.float64)


def _side_colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left") and b.startswith("left"):
        return _LEFT
    if a.startswith("right") and b.startswith("right"):
        return _RIGHT
    return _MID


def draw_pose(
    image: np.ndarray,
    landmarks: np.ndarray | None,
    mask: np.ndarray | None = None,
    mask_scale: float = 1.0,
    min_visibility: float = 0.0,
) -> np.ndarray:
    """Overlay a green silhouette and the skeleton (person's left orange, right blue).

    Args:
        image: RGB frame.
        landmarks: x, y pixels and visibility, or None.
        mask: silhouette at ``mask_scale`` of the frame size, or None.
        mask_scale: mask resolution / frame resolution.
        min_visibility: landmarks below this visibility are not drawn.

    Returns:
        A new RGB image.

    Shapes:
        image: (H, W, 3) uint8; landmarks: (33, 3); mask: (h, w) bool -> (H, W, 3) uint8.
    """
    import cv2

    out = np.array(image, dtype=np.uint8, copy=True)
    if mask is not None:
        full = cv2.resize(
            mask.astype(np.uint8), (out.shape[1], out.shape[0]), interpolation=cv2.INTER_NEAREST
        )
        sel = full.astype(bool)
        out[sel] = (0.55 * out[sel] + 0.45 * _MASK_TINT).astype(np.uint8)
    if landmarks is None:
        return out
    idx = {n: i for i, n in enumerate(MEDIAPIPE_LANDMARK_NAMES)}
    thick = max(1, round(out.shape[0] / 300))
    for a, b in SKELETON_EDGES:
        pa, pb = landmarks[idx[a]], landmarks[idx[b]]
        if (
            np.all(np.isfinite(pa[:2]))
            and np.all(np.isfinite(pb[:2]))
            and min(pa[2], pb[2]) >= min_visibility
        ):
            cv2.line(out, tuple(int(v) for v in pa[:2]), tuple(int(v) for v in pb[:2]),
                     _side_colour(a, b), thick, cv2.LINE_AA)  # fmt: skip
    for name, i in idx.items():
        p = landmarks[i]
        if np.all(np.isfinite(p[:2])) and p[2] >= min_visibility:
            colour = (
                _LEFT if name.startswith("left") else _RIGHT if name.startswith("right") else _MID
            )
            cv2.circle(out, (int(p[0]), int(p[1])), thick + 1, colour, -1, cv2.LINE_AA)
    return out
