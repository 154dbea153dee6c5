"""Exports that let users continue in the tools they know (Blender, MeshLab, OpenSim, NumPy).

One import point for the export functions (implemented in ``export_*.py``; formats, layouts,
units and conventions in ``docs/exports.md``):

* NPZ: :func:`save_dynamic_spine` / :func:`load_dynamic_spine`, :func:`save_pose_sequence` /
  :func:`load_pose_sequence`, :func:`save_body_shape` / :func:`load_body_shape` — versioned,
  validated on load, written atomically.
* Meshes: :func:`export_meshes` — one GLB / OBJ / PLY per frame (trimesh), optionally with
  the vertebrae, plus a ``meshes.json`` manifest; :func:`export_animated_glb` — one GLB
  that plays (frames as morph targets driven by a glTF animation); :func:`pose_vertices`
  poses the body of a ``PoseSequence`` for them.
* Motion: :func:`export_bvh` — the body model's skeleton and joint rotations as BVH;
  :func:`export_opensim_mot` — pelvis, hip and lumbar coordinates as an OpenSim ``.mot``
  (:func:`opensim_coordinates` gives the same values as arrays, :func:`read_mot` reads a
  storage file back).
"""

from __future__ import annotations

from humanmovenet.io.export_bvh import BVH_UNITS, export_bvh
from humanmovenet.io.export_mesh import (
    MESH_FORMATS,
    export_animated_glb,
    export_meshes,
    pose_vertices,
)
from humanmovenet.io.export_npz import (
    BODY_SHAPE_FORMAT,
    DYNAMIC_SPINE_FORMAT,
    EXPORT_VERSION,
    POSE_SEQUENCE_FORMAT,
    load_body_shape,
    load_dynamic_spine,
    load_pose_sequence,
    save_body_shape,
    save_dynamic_spine,
    save_pose_sequence,
)
from humanmovenet.io.export_opensim import (
    OPENSIM_COORDINATES,
    export_opensim_mot,
    hip_flexion_from_pose,
    opensim_coordinates,
    read_mot,
)

__all__ = [
    "BODY_SHAPE_FORMAT",
    "BVH_UNITS",
    "DYNAMIC_SPINE_FORMAT",
    "EXPORT_VERSION",
    "MESH_FORMATS",
    "OPENSIM_COORDINATES",
    "POSE_SEQUENCE_FORMAT",
    "export_animated_glb",
    "export_bvh",
    "export_meshes",
    "export_opensim_mot",
    "hip_flexion_from_pose",
    "load_body_shape",
    "load_dynamic_spine",
    "load_pose_sequence",
    "opensim_coordinates",
    "pose_vertices",
    "read_mot",
    "save_body_shape",
    "save_dynamic_spine",
    "save_pose_sequence",
]
