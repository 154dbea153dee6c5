"""humanmovenet.io stage: streaming video reading (and, later, writers and exports)."""

from humanmovenet.io.video import Frame, VideoError, VideoReader, open_video

__all__ = ["Frame", "VideoError", "VideoReader", "open_video"]
