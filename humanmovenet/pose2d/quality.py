"""Quality checks of a 2D pose result that users must hear about.

Each check returns a plain-language warning (or None): what is wrong, how much, and what to do.
They look only at the tracked subject's landmarks and the frame times, so they are cheap.
"""

from __future__ import annotations

import numpy as np

from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

__all__ = [
    "BODY_LANDMARKS",
    "MIN_HEIGHT_FRACTION",
    "OUT_OF_FRAME_FRACTION",
    "VFR_TOLERANCE",
    "frame_rate_warning",
    "out_of_frame_warning",
    "small_person_warning",
]

#: Landmarks that must be inside the frame for whole-body (sagittal) analysis.
BODY_LANDMARKS: tuple[str, ...] = (
    "nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
#: A person whose median head-to-ankle height is below this fraction of the frame height is small.
MIN_HEIGHT_FRACTION = 0.2
#: Warn when the body is cut by the frame edge in more than this fraction of detected frames.
OUT_OF_FRAME_FRACTION = 0.1
#: Frame intervals deviating from their median by more than this fraction mean variable rate.
VFR_TOLERANCE = 0.25

_IDX = [MEDIAPIPE_LANDMARK_NAMES.index(n) for n in BODY_LANDMARKS]


def frame_rate_warning(times_s: np.ndarray, fps: float) -> str | None:
    """Warn about a variable frame rate (phones record this way): time then is not index / fps.

    Args:
        times_s: presentation time of each kept frame, seconds.
        fps: the rate the result assumes.

    Shapes:
        times_s: (T,).
    """
    times = np.asarray(times_s, dtype=np.float64)
    if times.size < 3:
        return None
    dt = np.diff(times)
    median = float(np.median(dt))
    if median <= 0:
        return "Frame times do not increase; the video's timestamps are broken. Re-encode it."
    off = np.abs(dt / median - 1.0) > VFR_TOLERANCE
    if off.mean() <= 0.05:  # a few dropped/duplicated frames are normal
        return None
    return (
        f"Variable frame rate: {100 * off.mean():.0f} % of frame intervals differ from the median "
        f"({1000 * median:.1f} ms) by more than {100 * VFR_TOLERANCE:.0f} % (range "
        f"{1000 * dt.min():.1f}–{1000 * dt.max():.1f} ms), but the result assumes {fps:.2f} "
        "frames/s, so speeds and durations are distorted. Resample to a constant rate "
        "(target_fps / --fps, e.g. 30) or re-encode with a constant frame rate."
    )


def out_of_frame_warning(data: np.ndarray, detected: np.ndarray, image_size) -> str | None:
    """Warn when the subject's body is cut by the frame edge in many frames.

    MediaPipe still predicts landmarks of body parts outside the image, with coordinates past
    the edge; those frames cannot give trustworthy whole-body angles.

    Shapes:
        data: (T, 33, 3) x, y px, visibility; detected: (T,).
    """
    det = np.asarray(detected, dtype=bool)
    if not det.any():
        return None
    w, h = image_size
    xy = np.asarray(data)[det][:, _IDX, :2]
    outside = (xy[..., 0] < 0) | (xy[..., 0] > w - 1) | (xy[..., 1] < 0) | (xy[..., 1] > h - 1)
    frames_cut = outside.any(axis=1)
    if frames_cut.mean() <= OUT_OF_FRAME_FRACTION:
        return None
    counts = outside[frames_cut].sum(axis=0)
    worst = [BODY_LANDMARKS[i] for i in np.argsort(-counts)[:3] if counts[i] > 0]
    return (
        f"The person is partly out of frame in {100 * frames_cut.mean():.0f} % of the frames where "
        f"they were detected ({', '.join(worst)} outside the image); whole-body angles there are "
        "guesses. Film from further away so the whole body, head to feet, stays in view."
    )


def small_person_warning(data: np.ndarray, detected: np.ndarray, image_size) -> str | None:
    """Warn when the subject is small in the frame (landmarks then are few pixels apart).

    Shapes:
        data: (T, 33, 3); detected: (T,).
    """
    det = np.asarray(detected, dtype=bool)
    if not det.any():
        return None
    y = np.asarray(data)[det][:, _IDX, 1]
    height = float(np.nanmedian(np.nanmax(y, axis=1) - np.nanmin(y, axis=1)))
    frame_h = float(image_size[1])
    if not np.isfinite(height) or height >= MIN_HEIGHT_FRACTION * frame_h:
        return None
    return (
        f"The person is small in the frame (median nose-to-ankle height {height:.0f} px, "
        f"{100 * height / frame_h:.0f} % of the frame height; at least "
        f"{100 * MIN_HEIGHT_FRACTION:.0f} % is needed for reliable angles). Film closer, zoom "
        "in, or crop the video around the person."
    )
