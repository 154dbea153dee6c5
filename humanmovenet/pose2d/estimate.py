"""Run the MediaPipe pose landmarker over a video and track one subject.

Two entry points:

* :func:`iter_poses` streams one :class:`FramePose` per frame (constant memory, any length);
* :func:`estimate_pose` collects them into a :class:`PoseResult` with ``Keypoints2D``
  (short dropouts interpolated and flagged, long ones left NaN), ``Silhouettes`` (masks at
  ``mask_scale`` of the frame size) and a view estimate with warnings.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from humanmovenet.io.arrays import MaskWriter
from humanmovenet.io.video import Frame, VideoReader, open_video
from humanmovenet.pose2d.model import resolve_pose_model
from humanmovenet.pose2d.quality import (
    frame_rate_warning,
    out_of_frame_warning,
    small_person_warning,
)
from humanmovenet.pose2d.tracking import (
    build_tracks,
    choose_initial,
    fill_short_gaps,
    landmark_box,
    match_candidate,
    select_track,
)
from humanmovenet.pose2d.view import OBLIQUE_VIEW_SCORE, estimate_view
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES, Keypoints2D, Silhouettes

__all__ = [
    "PoseConfig",
    "FramePose",
    "FrameDetections",
    "PoseResult",
    "iter_detections",
    "iter_poses",
    "estimate_pose",
]

_J = len(MEDIAPIPE_LANDMARK_NAMES)


@dataclass(frozen=True)
class PoseConfig:
    """Settings of the 2D pose stage.

    Attributes:
        model: ``"full"`` (default, more accurate) or ``"lite"`` (faster) landmarker bundle.
        model_path: explicit ``.task`` file overriding ``model`` (see ``resolve_pose_model``).
        max_people: people MediaPipe may return per frame; the subject is tracked among them.
        min_detection_confidence, min_presence_confidence, min_tracking_confidence: MediaPipe
            thresholds in [0, 1].
        max_gap_s: dropouts up to this long (seconds) are linearly interpolated and flagged;
            longer ones stay NaN and are flagged as not detected.
        output_masks: keep per-frame silhouettes (False saves memory on long videos).
        mask_scale: mask resolution / frame resolution, in (0, 1].
        mask_threshold: segmentation probability above which a pixel is the person.
        subject_box: (x0, y0, x1, y1) pixels around the subject where it first appears;
            None = the person with the largest sum of body heights over the video (big and
            present longest; :func:`iter_poses` streams with the tallest in the first frame).
        max_speed: body heights per second the subject may move while unseen (tracking gate).
    """

    model: Literal["full", "lite"] = "full"
    model_path: str | None = None
    max_people: int = 3
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    max_gap_s: float = 0.25
    output_masks: bool = True
    mask_scale: float = 0.5
    mask_threshold: float = 0.5
    subject_box: tuple[float, float, float, float] | None = None
    max_speed: float = 1.5

    def __post_init__(self) -> None:
        if self.model not in ("full", "lite"):
            raise ValueError(f"PoseConfig.model must be 'full' or 'lite', got {self.model!r}.")
        if self.max_people < 1:
            raise ValueError(f"PoseConfig.max_people must be >= 1, got {self.max_people}.")
        for name in ("min_detection_confidence", "min_presence_confidence",
                     "min_tracking_confidence", "mask_threshold"):  # fmt: skip
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"PoseConfig.{name} must be in [0, 1], got {value}.")
        if not 0.0 < self.mask_scale <= 1.0:
            raise ValueError(f"PoseConfig.mask_scale must be in (0, 1], got {self.mask_scale}.")
        if self.max_gap_s < 0:
            raise ValueError(f"PoseConfig.max_gap_s must be >= 0 seconds, got {self.max_gap_s}.")
        if self.subject_box is not None:
            x0, y0, x1, y1 = self.subject_box
            if not (x1 > x0 and y1 > y0):
                raise ValueError(
                    f"PoseConfig.subject_box must be (x0, y0, x1, y1) with x1 > x0 and y1 > y0 "
                    f"in pixels, got {self.subject_box}."
                )


@dataclass(frozen=True)
class FramePose:
    """The tracked subject in one frame (streaming output of :func:`iter_poses`).

    Attributes:
        index: source frame index. time_s: time in seconds.
        detected: True if the subject was found in this frame.
        landmarks: x, y pixels and visibility, or None. world: MediaPipe world landmarks (m).
        mask: silhouette at ``mask_scale``, or None. num_people: people MediaPipe returned.

    Shapes:
        landmarks, world: (33, 3); mask: (h, w) bool.
    """

    index: int
    time_s: float
    image_size: tuple[int, int]
    detected: bool
    landmarks: np.ndarray | None = None
    world: np.ndarray | None = None
    mask: np.ndarray | None = None
    num_people: int = 0


@dataclass(frozen=True)
class FrameDetections:
    """Everyone MediaPipe found in one frame (streaming output of :func:`iter_detections`).

    Shapes:
        landmarks, world: (P, 33, 3) pixels+visibility / metres; masks: (P, h, w) bool or None.
    """

    index: int
    time_s: float
    image_size: tuple[int, int]
    landmarks: np.ndarray
    world: np.ndarray
    masks: np.ndarray | None

    @property
    def boxes(self) -> list[np.ndarray]:
        """(x0, y0, x1, y1) landmark box of each person."""
        return [landmark_box(p[:, :2]) for p in self.landmarks]


@dataclass(frozen=True)
class PoseResult:
    """Output of the 2D pose stage.

    Attributes:
        keypoints: tracked subject's landmarks (with ``view`` filled in).
        silhouettes: the subject's masks, or None if ``output_masks`` was False.
        warnings: plain-language problems found (no person, long dropouts, not a side view).
        model: which landmarker bundle was used.
    """

    keypoints: Keypoints2D
    silhouettes: Silhouettes | None
    warnings: tuple[str, ...] = ()
    model: str = "full"

    @property
    def detection_rate(self) -> float:
        """Fraction of frames where the subject was detected (not interpolated)."""
        return float(np.mean(self.keypoints.detected)) if self.keypoints.num_frames else 0.0


def _create_landmarker(config: PoseConfig):  # noqa: ANN202 - mediapipe type
    """A MediaPipe PoseLandmarker in VIDEO mode (imported lazily: mediapipe is heavy)."""
    from mediapipe.tasks.python import BaseOptions, vision

    path = resolve_pose_model(config.model, config.model_path)
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=config.max_people,
        min_pose_detection_confidence=config.min_detection_confidence,
        min_pose_presence_confidence=config.min_presence_confidence,
        min_tracking_confidence=config.min_tracking_confidence,
        output_segmentation_masks=config.output_masks,
    )
    return vision.PoseLandmarker.create_from_options(options)


def _to_arrays(pose: list, width: int, height: int) -> np.ndarray:
    """MediaPipe normalised landmarks -> (33, 3) pixels + visibility."""
    return np.array(
        [
            [p.x * width, p.y * height, p.visibility if p.visibility is not None else 0.0]
            for p in pose
        ],
        dtype=np.float64,
    )


def _downscale_mask(prob: np.ndarray, scale: float, threshold: float) -> np.ndarray:
    """Probability map (H, W[, 1]) -> boolean mask (round(H*scale), round(W*scale))."""
    import cv2

    prob = np.ascontiguousarray(np.asarray(prob, dtype=np.float32).reshape(prob.shape[:2]))
    if scale != 1.0:
        size = (max(1, round(prob.shape[1] * scale)), max(1, round(prob.shape[0] * scale)))
        prob = cv2.resize(prob, size, interpolation=cv2.INTER_AREA)
    return prob > threshold


def _check_image(frame: Frame) -> None:
    """Refuse frames MediaPipe would misread (it takes any buffer as packed RGB)."""
    image = getattr(frame, "image", None)
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"frame {getattr(frame, 'index', '?')}: image must be a NumPy (H, W, 3) uint8 RGB "
            f"array, got {type(image).__name__}; give Frame objects as open_video yields them."
        )
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or min(image.shape) < 1:
        raise ValueError(
            f"frame {frame.index}: image: expected shape (H, W, 3) uint8 RGB, got "
            f"{image.shape} {image.dtype}. Convert grey or RGBA frames to RGB first."
        )


def _frames_of(video: str | os.PathLike[str] | VideoReader | Iterable[Frame]) -> Iterable[Frame]:
    if isinstance(video, (str, os.PathLike)):
        return open_video(video)
    return video


def iter_detections(
    video: str | os.PathLike[str] | VideoReader | Iterable[Frame], config: PoseConfig | None = None
) -> Iterator[FrameDetections]:
    """Run the landmarker (VIDEO mode) and stream everyone it finds, frame by frame.

    Args:
        video: a path, an open :class:`VideoReader`, or any iterable of :class:`Frame`.
        config: stage settings (default :class:`PoseConfig`).

    Yields:
        One :class:`FrameDetections` per input frame.
    """
    import mediapipe as mp

    config = config or PoseConfig()
    frames = _frames_of(video)
    landmarker = _create_landmarker(config)
    last_ms = -1
    try:
        for frame in frames:
            _check_image(frame)
            height, width = frame.image.shape[:2]
            image = mp.Image(
                image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame.image)
            )
            last_ms = max(last_ms + 1, int(round(frame.time_s * 1000.0)))
            result = landmarker.detect_for_video(image, last_ms)
            landmarks = np.array([_to_arrays(p, width, height) for p in result.pose_landmarks])
            world = np.array([[[q.x, q.y, q.z] for q in p] for p in result.pose_world_landmarks])
            masks = None
            if config.output_masks and result.segmentation_masks:
                masks = np.array([
                    _downscale_mask(m.numpy_view(), config.mask_scale, config.mask_threshold)
                    for m in result.segmentation_masks
                ])  # fmt: skip
            yield FrameDetections(
                frame.index,
                frame.time_s,
                (width, height),
                landmarks.reshape(-1, _J, 3),
                world.reshape(-1, _J, 3),
                masks,
            )
    finally:
        landmarker.close()
        if isinstance(frames, VideoReader) and frames is not video:
            frames.close()


def iter_poses(
    video: str | os.PathLike[str] | VideoReader | Iterable[Frame], config: PoseConfig | None = None
) -> Iterator[FramePose]:
    """Stream the tracked subject frame by frame (constant memory, online tracking).

    The subject is chosen in the first frame with any detection (``config.subject_box`` or the
    tallest person) and then followed by box overlap / centre distance; a lost subject is only
    re-acquired near where it was last seen. :func:`estimate_pose` instead sees the whole video
    and picks the best track, which is more robust when the subject appears late.

    Args:
        video: a path, an open :class:`VideoReader`, or any iterable of :class:`Frame`.
        config: stage settings (default :class:`PoseConfig`).

    Yields:
        One :class:`FramePose` per input frame.
    """
    config = config or PoseConfig()
    last_box, last_time = None, 0.0
    for det in iter_detections(video, config):
        boxes = det.boxes
        if last_box is None:
            chosen = choose_initial(boxes, config.subject_box)
        else:
            chosen = match_candidate(boxes, last_box, det.time_s - last_time, config.max_speed)
        yield _frame_pose(det, chosen)
        if chosen is not None:
            last_box, last_time = boxes[chosen], det.time_s


def _frame_pose(det: FrameDetections, chosen: int | None) -> FramePose:
    """The chosen person of a frame as a FramePose (not detected when ``chosen`` is None)."""
    people = len(det.landmarks)
    if chosen is None:
        return FramePose(det.index, det.time_s, det.image_size, False, num_people=people)
    mask = det.masks[chosen] if det.masks is not None else None
    return FramePose(det.index, det.time_s, det.image_size, True, det.landmarks[chosen],
                     det.world[chosen], mask, people)  # fmt: skip


def _stack(
    landmarks: list[np.ndarray], world: list[np.ndarray], chosen: list[int | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chosen person per frame -> (data (T,33,3), world (T,33,3), detected (T,))."""
    t = len(chosen)
    data = np.full((t, _J, 3), np.nan)
    data[..., 2] = 0.0
    world_out = np.full((t, _J, 3), np.nan)
    detected = np.zeros(t, dtype=bool)
    for i, person in enumerate(chosen):
        if person is not None:
            data[i] = landmarks[i][person]
            if len(world[i]) > person:
                world_out[i] = world[i][person]
            detected[i] = True
    return data, world_out, detected


class _PeopleStore:
    """Everyone's landmarks per frame, in preallocated blocks of frames.

    With a few small arrays kept per frame, the real 10-minute 1080p run's C heap grew by ~3 MB
    a frame from frame ~5,600 on (while replaying the same detections without MediaPipe stayed
    flat): most likely fragmentation, the kept arrays sitting between the large short-lived
    buffers of the decoder and MediaPipe. Blocks of 1,024 frames keep no per-frame allocation.
    """

    BLOCK = 1024

    def __init__(self, max_people: int) -> None:
        self.p, self.n = max_people, 0
        self._blocks: list[tuple[np.ndarray, ...]] = []

    def add(self, det: FrameDetections) -> None:
        k = self.n % self.BLOCK
        if k == 0:
            shape = (self.BLOCK, self.p, _J, 3)
            self._blocks.append((np.zeros(shape), np.full(shape, np.nan),
                                 np.zeros((self.BLOCK, 2), np.int64),
                                 np.zeros((self.BLOCK, 2))))  # fmt: skip
        lm, wd, counts, stamps = self._blocks[-1]
        c = min(len(det.landmarks), self.p)
        cw = min(len(det.world), c)
        lm[k, :c] = det.landmarks[:c]
        wd[k, :cw] = det.world[:cw]
        counts[k] = (c, cw)
        stamps[k] = (det.index, det.time_s)
        self.n += 1

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
        """(landmarks per frame (P_t, 33, 3), world per frame, index (T,), time (T,))."""
        landmarks, world, index, times = [], [], [], []
        for b, (lm, wd, counts, stamps) in enumerate(self._blocks):
            rows = min(self.BLOCK, self.n - b * self.BLOCK)
            for k in range(rows):
                c, cw = counts[k]
                landmarks.append(lm[k, :c].copy())
                world.append(wd[k, :cw].copy())
            index.append(stamps[:rows, 0])
            times.append(stamps[:rows, 1])
        return landmarks, world, np.concatenate(index).astype(np.int64), np.concatenate(times)


class _MaskSpool:
    """Every person's mask of every frame, bit-packed in an anonymous temporary file.

    The subject is chosen only after the whole video has been seen (:func:`select_track`), so
    the masks of all candidates are kept until then - on disk, not in memory.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="humanmovenet-spool-")
        self._where: list[tuple[int, int]] = []  # per frame: (byte offset, people with a mask)
        self._shape: tuple[int, int] | None = None
        self._offset = 0

    def add(self, masks: np.ndarray | None) -> None:
        if masks is None or len(masks) == 0:
            self._where.append((self._offset, 0))
            return
        self._shape = self._shape or tuple(masks.shape[1:])
        if tuple(masks.shape[1:]) != self._shape:  # frame size changed mid-video: unusable
            self._where.append((self._offset, 0))
            return
        raw = np.packbits(masks, axis=-1).tobytes()
        self._file.write(raw)
        self._where.append((self._offset, len(masks)))
        self._offset += len(raw)

    def collect(self, chosen: list[int | None], shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
        """(masks (T, h, w), valid (T,)) of the chosen person per frame, through a MaskWriter."""
        valid = np.zeros(len(chosen), dtype=bool)
        row = shape[0] * ((shape[1] + 7) // 8)
        self._file.flush()
        with MaskWriter((len(chosen),) + shape) as writer:
            if self._shape == shape:
                for t, person in enumerate(chosen):
                    offset, people = self._where[t]
                    if person is None or person >= people:
                        continue
                    self._file.seek(offset + person * row)
                    packed = np.frombuffer(self._file.read(row), np.uint8)
                    writer.write(t, np.unpackbits(packed.reshape(shape[0], -1), axis=-1,
                                                  count=shape[1]).astype(bool))  # fmt: skip
                    valid[t] = True
            return writer.finish(), valid

    def close(self) -> None:
        self._file.close()


def _other_people_warning(tracks: list[dict[int, int]], subject: dict[int, int], t: int) -> str:
    """A warning when other people (tracks of >= 3 frames) are in view in >= 10 % of frames."""
    others = np.zeros(t, dtype=bool)
    for track in tracks:
        if track is not subject and len(track) >= 3:
            others[list(track)] = True
    if t == 0 or others.mean() < 0.1:
        return ""
    return (f"Another person is in view in {100 * others.mean():.0f} % of the frames; the person "
            "followed is the one largest and longest in view. Check that it is the right one (the "
            "landmark overlay), or give PoseConfig.subject_box around the person to analyse; "
            "film one person at a time where possible.")  # fmt: skip


def _long_gaps(detected: np.ndarray, interpolated: np.ndarray, fps: float) -> list[str]:
    """Human-readable list of dropouts that were not interpolated."""
    missing = ~detected & ~interpolated
    runs, start = [], None
    for i, m in enumerate(np.append(missing, False)):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    return [f"frames {a}-{b - 1} ({(b - a) / fps:.2f} s)" for a, b in runs]


def estimate_pose(
    video: str | os.PathLike[str] | VideoReader | Iterable[Frame], config: PoseConfig | None = None
) -> PoseResult:
    """Landmarks, silhouettes and view of one tracked person over a whole video.

    Args:
        video: a path, an open :class:`VideoReader` (frame range / target fps set there), or
            an iterable of :class:`Frame` (then fps is inferred from the frame times).
        config: stage settings (default :class:`PoseConfig`).

    Returns:
        A :class:`PoseResult`. Problems (no person, long dropouts, not a side view) are listed
        in ``warnings`` and also emitted as Python ``UserWarning``.

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, h, w) with h, w = frame size x
        ``mask_scale``.

    Memory: one pass over the video keeps only landmarks and boxes per frame (a few kB); every
    person's mask goes bit-packed to an anonymous temporary file until the subject is chosen,
    then the subject's masks are collected by :class:`~humanmovenet.io.arrays.MaskWriter`: in
    memory up to ``MASKS_IN_MEMORY_MAX_BYTES``, else as a read-only memory map of a temporary
    ``.npy`` (unlinked at once; its space is freed with the array). A 10-minute 1080p video
    stays within a few hundred MB (docs/pose2d.md).
    """
    config = config or PoseConfig()
    frames = _frames_of(video)
    fps = getattr(frames, "output_fps", None)
    # One pass over the video keeping only small per-frame arrays; masks go to a disk spool.
    store = _PeopleStore(config.max_people)
    size: tuple[int, int] | None = None
    spool = _MaskSpool() if config.output_masks else None
    try:
        for det in iter_detections(frames, config):
            size = size or det.image_size
            store.add(det)
            if spool is not None:
                spool.add(det.masks)
        if not store.n:
            raise ValueError("estimate_pose: the video yielded no frames; check the frame range.")
        landmarks, world_list, index_list, time_list = store.arrays()
        del store
        boxes = [[landmark_box(q[:, :2]) for q in lm] for lm in landmarks]
        scores = [[float(np.mean(q[:, 2])) for q in lm] for lm in landmarks]
        times = np.array(time_list, dtype=np.float64)
        tracks = build_tracks(boxes, times, config.max_speed, scores)
        track = select_track(tracks, boxes, config.subject_box)
        chosen = [track.get(t) for t in range(len(times))]
        crowd = _other_people_warning(tracks, track, len(times))
        silhouettes_arrays = None
        if spool is not None:
            shape = (max(1, round(size[1] * config.mask_scale)),
                     max(1, round(size[0] * config.mask_scale)))  # fmt: skip
            silhouettes_arrays = spool.collect(chosen, shape)
    finally:
        if spool is not None:
            spool.close()
    if fps is None:
        # rounded to 6 significant digits: timestamps t / fps give 9.999999999999998 for 10 fps
        fps = float(f"{1.0 / float(np.median(np.diff(times))):.6g}") if len(times) > 1 else 30.0
    data, world, detected = _stack(landmarks, world_list, chosen)
    del landmarks, world_list, boxes, scores
    index = index_list
    max_gap = int(np.floor(config.max_gap_s * fps + 1e-9))
    data_xy, interpolated = fill_short_gaps(data, detected, max_gap)
    world, _ = fill_short_gaps(world, detected, max_gap)
    messages: list[str] = []
    if not detected.any():
        messages.append("No person was detected in any frame. Check that the whole body is in "
                        "view, well lit, and fills at least a third of the frame height.")  # fmt: skip
    view = estimate_view(data_xy[detected])
    if detected.any() and view.sagittal_score < OBLIQUE_VIEW_SCORE:  # front/back or oblique
        messages.append(view.message)
    if crowd and detected.any():
        messages.append(crowd)
    for check in (
        # with target_fps the reader already picks frames on a regular grid
        None if getattr(frames, "target_fps", None) else frame_rate_warning(times, fps),
        out_of_frame_warning(data, detected, size),
        small_person_warning(data, detected, size),
    ):
        if check:
            messages.append(check)
    gaps = _long_gaps(detected, interpolated, fps)
    if detected.any() and gaps:
        messages.append(f"Subject not detected (left as NaN, not interpolated) in {len(gaps)} "
                        f"stretch(es): {', '.join(gaps[:10])}{' …' if len(gaps) > 10 else ''}.")  # fmt: skip
    keypoints = Keypoints2D(data_xy, float(fps), size, index, detected, interpolated, world, view)
    silhouettes = None
    if silhouettes_arrays is not None:
        masks, valid = silhouettes_arrays
        silhouettes = Silhouettes(masks, float(fps), size, config.mask_scale, valid)
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=2)
    return PoseResult(keypoints, silhouettes, tuple(messages), config.model_path or config.model)
