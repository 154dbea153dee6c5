"""humanmovenet.io stage: streaming video reading, and NPZ files of the 2D stage's outputs."""

from humanmovenet.io.arrays import (
    load_keypoints,
    load_silhouettes,
    save_keypoints,
    save_silhouettes,
)
from humanmovenet.io.video import Frame, VideoError, VideoReader, open_video

__all__ = [
    "Frame",
    "VideoError",
    "VideoReader",
    "open_video",
    "save_keypoints",
    "load_keypoints",
    "save_silhouettes",
    "load_silhouettes",
]
