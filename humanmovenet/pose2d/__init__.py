"""humanmovenet.pose2d: MediaPipe landmarks + segmentation masks, subject tracking, gap filling,
and the camera-view check (see docs/pose2d.md)."""

from humanmovenet.pose2d.estimate import (
    FrameDetections,
    FramePose,
    PoseConfig,
    PoseResult,
    estimate_pose,
    iter_detections,
    iter_poses,
)
from humanmovenet.pose2d.model import resolve_pose_model
from humanmovenet.pose2d.view import estimate_view

__all__ = [
    "PoseConfig",
    "PoseResult",
    "FramePose",
    "FrameDetections",
    "iter_detections",
    "estimate_pose",
    "iter_poses",
    "estimate_view",
    "resolve_pose_model",
]
