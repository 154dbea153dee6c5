"""Follow one subject through per-frame multi-person detections, and fill short dropouts.

Pure NumPy; no MediaPipe here. A candidate is one detected person in one frame, summarised by
its landmark bounding box.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "landmark_box",
    "box_iou",
    "choose_initial",
    "match_candidate",
    "fill_short_gaps",
    "suppress_duplicates",
    "build_tracks",
    "select_track",
]


def landmark_box(xy: np.ndarray) -> np.ndarray:
    """Bounding box (x0, y0, x1, y1) of landmarks in pixels.

    Shapes:
        xy: (J, 2) -> (4,).
    """
    return np.concatenate([np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)])


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _centre(box: np.ndarray) -> np.ndarray:
    return 0.5 * (box[:2] + box[2:])


def _predict(box: np.ndarray, velocity: np.ndarray, gap_s: float, max_speed: float) -> np.ndarray:
    """``box`` moved on by its centre velocity for ``gap_s`` (speed capped at ``max_speed``
    body heights per second)."""
    height = max(box[3] - box[1], 1.0)
    speed = float(np.linalg.norm(velocity))
    cap = max_speed * height
    v = velocity * (cap / speed) if speed > cap else velocity
    shift = v * gap_s
    return box + np.concatenate([shift, shift])


def choose_initial(boxes: list[np.ndarray], subject_box: tuple[float, ...] | None) -> int | None:
    """Index of the subject among a frame's candidates: best IoU with ``subject_box`` if given
    (None if nothing overlaps it), else the tallest person."""
    if not boxes:
        return None
    if subject_box is not None:
        ref = np.asarray(subject_box, dtype=np.float64)
        ious = [box_iou(b, ref) for b in boxes]
        best = int(np.argmax(ious))
        return best if ious[best] > 0.0 else None
    return int(np.argmax([b[3] - b[1] for b in boxes]))


def match_candidate(
    boxes: list[np.ndarray], last_box: np.ndarray, gap_s: float, max_speed: float = 1.5
) -> int | None:
    """Index of the candidate continuing the track, or None.

    A candidate continues the track when its centre is within ``(0.5 + max_speed * gap_s)``
    body heights of the last box's centre and its height within a factor 2 of the last
    height; among those the one with the highest IoU (then the nearest) wins. Never jumps to a
    far-away person: a lost subject stays lost until it reappears near its last position.

    Args:
        boxes: candidate boxes of this frame.
        last_box: the subject's box in the last frame where it was seen.
        gap_s: seconds since that frame.
        max_speed: body heights per second the subject may move while unseen.
    """
    height = max(last_box[3] - last_box[1], 1.0)
    radius = (0.5 + max_speed * gap_s) * height
    best, best_key = None, None
    for i, box in enumerate(boxes):
        dist = float(np.linalg.norm(_centre(box) - _centre(last_box)))
        h_ratio = (box[3] - box[1]) / height
        if dist > radius or not (0.5 <= h_ratio <= 2.0):
            continue
        key = (box_iou(box, last_box), -dist)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def fill_short_gaps(
    values: np.ndarray, detected: np.ndarray, max_gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate interior runs of missing frames no longer than ``max_gap`` frames.

    Leading/trailing gaps and longer gaps stay NaN (flagged, never invented).

    Args:
        values: per-frame values, NaN where missing.
        detected: True where the frame was observed.
        max_gap: longest run of missing frames to fill.

    Returns:
        (filled values, interpolated mask).

    Shapes:
        values: (T, ...) -> (T, ...); detected: (T,) -> interpolated: (T,).
    """
    out = np.array(values, dtype=np.float64, copy=True)
    interpolated = np.zeros(len(detected), dtype=bool)
    seen = np.flatnonzero(detected)
    for a, b in zip(seen[:-1], seen[1:], strict=True):
        gap = b - a - 1
        if gap == 0 or gap > max_gap:
            continue
        w = (np.arange(1, gap + 1) / (gap + 1)).reshape((-1,) + (1,) * (out.ndim - 1))
        out[a + 1 : b] = (1.0 - w) * out[a] + w * out[b]
        interpolated[a + 1 : b] = True
    return out, interpolated


def suppress_duplicates(
    boxes: list[np.ndarray], scores: list[float], containment: float = 0.6
) -> set[int]:
    """Indices of the boxes to keep when MediaPipe returns the same person twice.

    Two boxes are duplicates when their intersection covers more than ``containment`` of the
    smaller one; the one with the higher score (mean landmark visibility) is kept.
    """
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept: list[int] = []
    for i in order:
        a = boxes[i]
        duplicate = False
        for j in kept:
            b = boxes[j]
            iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if smaller > 0 and iw * ih / smaller > containment:
                duplicate = True
                break
        if not duplicate:
            kept.append(i)
    return set(kept)


def build_tracks(
    boxes_per_frame: list[list[np.ndarray]],
    times_s: np.ndarray,
    max_speed: float = 1.5,
    scores_per_frame: list[list[float]] | None = None,
) -> list[dict[int, int]]:
    """Link per-frame person boxes into tracks (greedy, highest IoU first).

    Each existing track may take at most one candidate per frame, gated as in
    :func:`match_candidate` from the track's last box; candidates are ranked by IoU with, then
    distance to, the track's box moved on by its recent velocity, so two people crossing keep
    their own tracks. Unclaimed candidates start new tracks.

    Args:
        boxes_per_frame: for each frame, the boxes of the people detected in it.
        times_s: time of each frame in seconds.
        max_speed: body heights per second a person may move while unseen.
        scores_per_frame: per-candidate confidence used to drop duplicate detections of one
            person (see :func:`suppress_duplicates`); None keeps every candidate.

    Returns:
        One dict per track: frame number -> candidate index in that frame.

    Shapes:
        times_s: (T,).
    """
    tracks: list[dict[int, int]] = []
    last: list[tuple[np.ndarray, float]] = []  # (last box, last time) per track
    velocity: list[np.ndarray] = []  # centre velocity per track, pixels per second
    for t, boxes in enumerate(boxes_per_frame):
        keep = set(range(len(boxes)))
        if scores_per_frame is not None:
            keep = suppress_duplicates(boxes, scores_per_frame[t])
        pairs = []
        for k, (box, seen) in enumerate(last):
            gap = times_s[t] - seen
            predicted = _predict(box, velocity[k], gap, max_speed)
            for i in sorted(keep):
                if match_candidate([boxes[i]], box, gap, max_speed) is not None:
                    dist = float(np.linalg.norm(_centre(boxes[i]) - _centre(predicted)))
                    pairs.append((-box_iou(boxes[i], predicted), dist, k, i))
        taken_tracks, taken_boxes = set(), set()
        for _, _, k, i in sorted(pairs):
            if k not in taken_tracks and i not in taken_boxes:
                tracks[k][t] = i
                gap = float(times_s[t]) - last[k][1]
                if gap > 0:  # smoothed centre velocity: people keep going the way they went
                    v = (_centre(boxes[i]) - _centre(last[k][0])) / gap
                    velocity[k] = v if len(tracks[k]) == 2 else 0.5 * (velocity[k] + v)
                last[k] = (boxes[i], float(times_s[t]))
                taken_tracks.add(k)
                taken_boxes.add(i)
        for i, box in enumerate(boxes):
            if i in keep and i not in taken_boxes:
                tracks.append({t: i})
                last.append((box, float(times_s[t])))
                velocity.append(np.zeros(2))
    return tracks


def select_track(
    tracks: list[dict[int, int]],
    boxes_per_frame: list[list[np.ndarray]],
    subject_box: tuple[float, ...] | None = None,
) -> dict[int, int]:
    """The subject's track: best overlap with ``subject_box`` in the track's first frame if
    given, else the largest sum of box heights over the video (big and present longest).

    Returns:
        frame number -> candidate index (empty dict when there are no tracks).
    """
    if not tracks:
        return {}

    def height_sum(track: dict[int, int]) -> float:
        return sum(
            float(boxes_per_frame[t][i][3] - boxes_per_frame[t][i][1]) for t, i in track.items()
        )

    if subject_box is not None:
        ref = np.asarray(subject_box, dtype=np.float64)

        def overlap(track: dict[int, int]) -> float:
            t0 = min(track)
            return box_iou(boxes_per_frame[t0][track[t0]], ref)

        best = max(tracks, key=lambda tr: (overlap(tr), height_sum(tr)))
        return best if overlap(best) > 0 else {}
    return max(tracks, key=height_sum)
