"""Streaming video reader: one frame in memory at a time, real fps and rotation metadata.

``open_video(path)`` reads a video file (mp4, mov, avi, mkv, webm … anything FFmpeg/PyAV
decodes) or a folder of images (png, jpg, jpeg, bmp, tif, tiff, sorted by name) and yields
``Frame(index, time_s, image)`` with ``image`` an upright (rotation-corrected), C-contiguous
(H, W, 3) uint8 RGB array. A frame range (``start``/``stop`` source frame indices) and a target
frame rate (keep the first frame at or after each 1/target_fps tick) can be given.

Errors are :class:`VideoError` (a ``ValueError``) with a message saying what is wrong and what
to do: a file that is not a video, has no video stream, has zero frames, or is truncated/corrupt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

__all__ = ["VideoError", "Frame", "VideoReader", "open_video", "IMAGE_SUFFIXES"]

#: File suffixes read from an image folder (case-insensitive).
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
#: Frame rate assumed for an image folder when the caller gives none.
DEFAULT_FOLDER_FPS = 30.0
_FIX_HINT = (
    "Check that the file is a complete video (try opening it in a video player, or re-export "
    "it, e.g. `ffmpeg -i in.mov -c:v libx264 out.mp4`)."
)


class VideoError(ValueError):
    """A video or image folder cannot be read; the message says why and what to do."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        index: index of the frame in the source video (0-based, before any resampling).
        time_s: presentation time in seconds from the start of the video.
        image: upright RGB image.

    Shapes:
        image: (H, W, 3) uint8, C-contiguous.
    """

    index: int
    time_s: float
    image: np.ndarray


def _check_range(start: int | None, stop: int | None, target_fps: float | None) -> None:
    """Validate the frame-range and resampling arguments."""
    if start is not None and start < 0:
        raise ValueError(f"start must be a frame index >= 0, got {start}.")
    if stop is not None and start is not None and stop <= start:
        raise ValueError(f"stop ({stop}) must be greater than start ({start}).")
    if target_fps is not None and not (target_fps > 0):
        raise ValueError(f"target_fps must be > 0 frames per second, got {target_fps}.")


def rotate_upright(image: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Apply a display rotation (counter-clockwise degrees, multiple of 90) to an image.

    Shapes:
        image: (H, W, C) -> (H, W, C) or (W, H, C) for ±90°.
    """
    quarter_turns = int(round(rotation_deg / 90.0)) % 4
    if quarter_turns == 0:
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns))


class VideoReader:
    """Iterate the frames of a video file or image folder without loading it into memory.

    Use :func:`open_video` to create one. Attributes after opening: ``fps`` (source frames per
    second), ``output_fps`` (after ``target_fps`` resampling), ``size`` ((width, height) of the
    upright frames), ``num_frames`` (estimated source frame count, or None), ``rotation``
    (display rotation in degrees counter-clockwise already applied to the frames), ``path``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        start: int | None = None,
        stop: int | None = None,
        target_fps: float | None = None,
        folder_fps: float = DEFAULT_FOLDER_FPS,
    ) -> None:
        _check_range(start, stop, target_fps)
        self.path = Path(path).expanduser()
        self.start, self.stop, self.target_fps = start or 0, stop, target_fps
        self._container: av.container.InputContainer | None = None
        self._images: list[Path] | None = None
        if self.path.is_dir():
            self._open_folder(folder_fps)
        elif self.path.is_file():
            self._open_file()
        else:
            raise VideoError(f"{self.path}: no such file or folder. Give the path of a video file "
                             "or of a folder of images.")  # fmt: skip
        self.output_fps = min(self.fps, target_fps) if target_fps else self.fps

    # -- opening -------------------------------------------------------------------------

    def _open_folder(self, folder_fps: float) -> None:
        if not (folder_fps > 0):
            raise ValueError(f"folder_fps must be > 0, got {folder_fps}.")
        images = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise VideoError(
                f"{self.path}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)}). Put the "
                "frames there as numbered image files, or give a video file instead."
            )
        self._images = images
        first = _read_image(images[0])
        self.fps, self.rotation, self.num_frames = float(folder_fps), 0, len(images)
        self.size = (int(first.shape[1]), int(first.shape[0]))

    def _open_file(self) -> None:
        if self.path.stat().st_size == 0:
            raise VideoError(f"{self.path}: the file is empty (0 bytes). {_FIX_HINT}")
        try:
            container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise VideoError(
                f"{self.path}: not a readable video ({exc.__class__.__name__}: {exc}). It may be "
                f"another kind of file renamed, or truncated. {_FIX_HINT}"
            ) from None
        if not container.streams.video:
            container.close()
            raise VideoError(f"{self.path}: the file has no video stream. {_FIX_HINT}")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or float(rate) <= 0:
            container.close()
            raise VideoError(f"{self.path}: the frame rate is unknown or zero. {_FIX_HINT}")
        self._container, self.fps = container, float(rate)
        self.num_frames = self._estimate_frame_count(stream)
        self.rotation = self._probe_rotation()
        w, h = stream.codec_context.width, stream.codec_context.height
        self.size = (h, w) if self.rotation % 180 else (w, h)

    def _estimate_frame_count(self, stream: av.video.stream.VideoStream) -> int | None:
        if stream.frames:
            return int(stream.frames)
        if stream.duration is not None and stream.time_base is not None:
            return int(round(float(stream.duration * stream.time_base) * self.fps))
        if self._container is not None and self._container.duration:
            return int(round(self._container.duration / av.time_base * self.fps))
        return None

    def _probe_rotation(self) -> int:
        """Display rotation (degrees, counter-clockwise) of the first frame; 0 if none."""
        try:
            frame = next(self._decode_raw())
        except StopIteration:
            raise VideoError(f"{self.path}: the video has zero frames. {_FIX_HINT}") from None
        finally:
            self._rewind()
        return int(round(getattr(frame, "rotation", 0) or 0))

    def _rewind(self) -> None:
        """Reopen the container (cheaper and more reliable than seeking in broken files)."""
        assert self._container is not None  # internal invariant, not user input
        self._container.close()
        self._container = av.open(str(self.path), mode="r")

    # -- reading -------------------------------------------------------------------------

    def _decode_raw(self) -> Iterator[av.VideoFrame]:
        container = self._container
        assert container is not None  # internal invariant, not user input
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            yield from container.decode(stream)
        except av.error.FFmpegError as exc:
            raise VideoError(
                f"{self.path}: decoding failed ({exc.__class__.__name__}: {exc}); the file is "
                f"truncated or corrupt. {_FIX_HINT}"
            ) from None

    def _iter_source(self) -> Iterator[Frame]:
        """All source frames as (index, time, upright RGB image), lazily decoded."""
        if self._images is not None:
            for index, image_path in enumerate(self._images):
                if index >= self.start and (self.stop is None or index < self.stop):
                    yield Frame(index, index / self.fps, _read_image(image_path))
            return
        self._rewind()
        decoded = 0
        for index, frame in enumerate(self._decode_raw()):
            decoded = index + 1
            if self.stop is not None and index >= self.stop:
                return
            if index < self.start:
                continue
            t = float(frame.time) if frame.time is not None else index / self.fps
            image = rotate_upright(frame.to_ndarray(format="rgb24"), self.rotation)
            yield Frame(index, t, image)
        self._check_complete(decoded)

    def _check_complete(self, decoded: int) -> None:
        """Raise if the stream ended well before the frame count its header declares."""
        expected = self.num_frames
        if expected and decoded < expected - max(2, 0.02 * expected):
            raise VideoError(
                f"{self.path}: the video ended after {decoded} frames but its header declares "
                f"~{expected}; the file is truncated (e.g. an interrupted copy or recording). "
                f"{_FIX_HINT}"
            )

    def __iter__(self) -> Iterator[Frame]:
        period = 1.0 / self.target_fps if self.target_fps else 0.0
        next_tick, t0, yielded = 0.0, None, 0
        for frame in self._iter_source():
            t0 = frame.time_s if t0 is None else t0
            rel_t = frame.time_s - t0
            if rel_t + 1e-6 < next_tick:
                continue
            while next_tick <= rel_t + 1e-6 and period > 0:
                next_tick += period
            yielded += 1
            yield frame
        if yielded == 0:
            raise VideoError(
                f"{self.path}: no frames in the requested range (start={self.start}, "
                f"stop={self.stop}); the video has {self.num_frames} frames (estimate)."
            )

    def close(self) -> None:
        """Release the file handle (idempotent)."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"VideoReader({str(self.path)!r}, fps={self.fps:.3f}, size={self.size}, "
            f"num_frames={self.num_frames}, rotation={self.rotation}, start={self.start}, "
            f"stop={self.stop}, target_fps={self.target_fps})"
        )


def _read_image(path: Path) -> np.ndarray:
    """Read one image file as a C-contiguous (H, W, 3) uint8 RGB array."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))
    except (UnidentifiedImageError, OSError) as exc:
        raise VideoError(f"{path}: not a readable image ({exc}). Remove or replace it.") from None


def open_video(
    path: str | os.PathLike[str],
    start: int | None = None,
    stop: int | None = None,
    target_fps: float | None = None,
    folder_fps: float = DEFAULT_FOLDER_FPS,
) -> VideoReader:
    """Open a video file or image folder for streaming.

    Args:
        path: a video file (mp4, mov, avi, mkv, …) or a folder of image files.
        start: first source frame index to yield (default 0).
        stop: source frame index to stop before (default: end of video).
        target_fps: resample to at most this rate by keeping the first frame at or after each
            ``1 / target_fps`` tick (no interpolation); None keeps every frame.
        folder_fps: frame rate of an image folder (a folder carries no timing).

    Returns:
        A :class:`VideoReader` (a context manager; iterate it for :class:`Frame` objects).

    Raises:
        VideoError: not a video, no video stream, zero frames, truncated/corrupt, empty folder.
        ValueError: invalid range or rate arguments.
    """
    return VideoReader(path, start=start, stop=stop, target_fps=target_fps, folder_fps=folder_fps)
