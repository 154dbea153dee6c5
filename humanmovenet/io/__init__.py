"""humanmovenet.io: streaming video reading, NPZ files of every stage's outputs, and exports
(meshes GLB/OBJ/PLY, BVH, OpenSim .mot) — see docs/exports.md."""

from humanmovenet.io.arrays import (
    load_keypoints,
    load_silhouettes,
    save_keypoints,
    save_silhouettes,
)
from humanmovenet.io.export import (
    export_animated_glb,
    export_bvh,
    export_meshes,
    export_opensim_mot,
    hip_flexion_from_pose,
    load_body_shape,
    load_dynamic_spine,
    load_pose_sequence,
    opensim_coordinates,
    pose_vertices,
    read_mot,
    save_body_shape,
    save_dynamic_spine,
    save_pose_sequence,
)
from humanmovenet.io.export_metrics import (
    METRICS_CSV_COLUMNS,
    save_metrics_csv,
    save_metrics_json,
)
from humanmovenet.io.video import Frame, VideoError, VideoReader, open_video

__all__ = [
    "METRICS_CSV_COLUMNS",
    "save_metrics_csv",
    "save_metrics_json",
    "Frame",
    "VideoError",
    "VideoReader",
    "open_video",
    "save_keypoints",
    "load_keypoints",
    "save_silhouettes",
    "load_silhouettes",
    "save_dynamic_spine",
    "load_dynamic_spine",
    "save_pose_sequence",
    "load_pose_sequence",
    "save_body_shape",
    "load_body_shape",
    "export_meshes",
    "export_animated_glb",
    "pose_vertices",
    "export_bvh",
    "export_opensim_mot",
    "opensim_coordinates",
    "hip_flexion_from_pose",
    "read_mot",
]
