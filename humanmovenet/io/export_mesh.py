"""Per-frame body meshes as GLB, OBJ or PLY files (trimesh), optionally with the vertebrae.

Layout of the output folder (one file per frame, the way MeshLab opens meshes and the way
Blender's mesh-sequence importers and "Import glTF" expect them):

* ``frame_000000.glb`` … — one glTF binary per frame, a scene with the nodes ``body`` (the
  mesh), and when vertebra positions are given ``vertebrae`` (one small icosphere per
  vertebra, all in one mesh) and ``spine_curve`` (a polyline through the vertebral centres,
  caudal → cranial).
* ``frame_000000.obj`` / ``.ply`` … — the body mesh alone; the vertebra spheres go to
  ``vertebrae_000000.obj`` / ``.ply`` beside it (OBJ and PLY hold one mesh per file in most
  readers). OBJ and PLY cannot carry the polyline.
* ``meshes.json`` — the manifest: format/version, fps, the exported frame indices, their times
  in seconds, file names, vertex and face counts, units and axes.

The frame number in a file name is the index of the frame in the input sequence (so a subset
keeps its timing). Coordinates are written as given: metres in the humanmovenet body frame
(+y up, +z forward, +x the person's left), which is glTF's own convention (+y up, metres).
Vertices are written without merging or reordering (trimesh ``process=False``), so vertex
``i`` of every file is vertex ``i`` of the body model.

The whole export is atomic: files are written into a temporary folder beside the target and
moved in only when every frame succeeded, so a failure leaves no partial output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["MESH_FORMATS", "MESHES_FORMAT", "export_meshes"]

MESH_FORMATS: tuple[str, ...] = ("glb", "obj", "ply")
MESHES_FORMAT = "humanmovenet.meshes"
_VERSION = 1


def _trimesh():
    try:
        import trimesh
    except ImportError as exc:  # pragma: no cover - trimesh is a dependency
        raise ImportError(
            "mesh export needs trimesh: pip install trimesh (it is a humanmovenet dependency)."
        ) from exc
    return trimesh


def _check(
    vertices: np.ndarray,
    faces: np.ndarray,
    fmt: str,
    frames: Sequence[int] | None,
    spine_positions: np.ndarray | None,
    fps: float | None,
    sphere_radius: float,
) -> tuple[np.ndarray, np.ndarray, list[int], np.ndarray | None]:
    if fmt not in MESH_FORMATS:
        raise ValueError(f"fmt must be one of {MESH_FORMATS}, got {fmt!r}.")
    vertices = np.asarray(vertices)
    if vertices.ndim == 2:
        raise ValueError(
            f"vertices: expected shape (T, V, 3), got {vertices.shape}; for one frame pass "
            "vertices[None]."
        )
    if vertices.ndim != 3 or vertices.shape[-1] != 3 or vertices.shape[0] == 0:
        raise ValueError(f"vertices: expected shape (T, V, 3) with T >= 1, got {vertices.shape}.")
    t, v = vertices.shape[:2]
    faces = np.asarray(faces)
    if faces.ndim != 2 or faces.shape[1] != 3 or faces.dtype.kind not in "iu":
        raise ValueError(
            f"faces: expected an integer array of shape (F, 3), got {faces.dtype} {faces.shape}."
        )
    if faces.size and (faces.min() < 0 or faces.max() >= v):
        raise ValueError(
            f"faces index vertices outside [0, {v}); the faces do not belong to these vertices."
        )
    if frames is None:
        frames = list(range(t))
    else:
        frames = [int(i) for i in frames]
        bad = [i for i in frames if not 0 <= i < t]
        if bad or not frames:
            raise ValueError(f"frames must be non-empty indices in [0, {t}), got bad {bad[:5]}.")
        if len(set(frames)) != len(frames):
            raise ValueError("frames holds duplicates; each frame is written once.")
    if not np.isfinite(vertices[frames]).all():
        raise ValueError("vertices hold NaN or infinite values in the requested frames.")
    if spine_positions is not None:
        spine_positions = np.asarray(spine_positions, dtype=np.float64)
        if (
            spine_positions.ndim != 3
            or spine_positions.shape[0] != t
            or spine_positions.shape[2] != 3
        ):
            raise ValueError(
                f"spine_positions: expected shape ({t}, K, 3), got {spine_positions.shape}."
            )
        if not np.isfinite(spine_positions[frames]).all():
            raise ValueError("spine_positions hold NaN or infinite values in the requested frames.")
    if fps is not None and not float(fps) > 0:
        raise ValueError(f"fps must be > 0 (or None), got {fps}.")
    if not float(sphere_radius) > 0:
        raise ValueError(f"sphere_radius must be > 0 metres, got {sphere_radius}.")
    return vertices, faces.astype(np.int64), frames, spine_positions


def _spheres(trimesh, centres: np.ndarray, radius: float):
    unit = trimesh.creation.icosphere(subdivisions=1, radius=radius)
    n = len(unit.vertices)
    verts = (unit.vertices[None] + centres[:, None]).reshape(-1, 3)
    faces = (unit.faces[None] + n * np.arange(len(centres))[:, None, None]).reshape(-1, 3)
    return trimesh.Trimesh(verts, faces, process=False)


def export_meshes(
    path: str | os.PathLike[str],
    vertices: np.ndarray,
    faces: np.ndarray,
    fmt: str = "glb",
    frames: Sequence[int] | None = None,
    *,
    spine_positions: np.ndarray | None = None,
    fps: float | None = None,
    sphere_radius: float = 0.008,
) -> list[Path]:
    """Write one mesh file per frame into the folder ``path`` (layout in the module docstring).

    Args:
        path: output folder; created if missing. Existing files of the same names are
            replaced, other files are left alone.
        vertices: posed vertices per frame, metres (e.g. ``BodyOutput.vertices``).
        faces: triangle vertex indices (e.g. ``body.faces``).
        fmt: ``"glb"`` (default: one scene per frame, opens in Blender, three.js, trimesh),
            ``"obj"`` or ``"ply"`` (MeshLab, CloudCompare).
        frames: indices of the frames to write (default: all).
        spine_positions: vertebral centres per frame (``DynamicSpine.positions``), drawn as
            small spheres (and a polyline in GLB).
        fps: frames per second, to put each frame's time in ``meshes.json``.
        sphere_radius: radius of the vertebra spheres, metres.

    Returns:
        The paths of the mesh files written, in frame order (``meshes.json`` not included).

    Raises:
        ValueError: bad shapes, unknown format, face indices out of range, NaN vertices,
            frame indices out of range.
        OSError: the folder cannot be created or written (nothing is left behind).

    Shapes:
        vertices: (T, V, 3); faces: (F, 3); spine_positions: (T, K, 3).
    """
    vertices, faces, frames, spine = _check(
        vertices, faces, fmt, frames, spine_positions, fps, sphere_radius
    )
    trimesh = _trimesh()
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder; give a folder for the mesh files.")
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        names: list[str] = []
        extra: list[str] = []
        for i in frames:
            body = trimesh.Trimesh(vertices[i].astype(np.float64), faces, process=False)
            name = f"frame_{i:06d}.{fmt}"
            if fmt == "glb":
                scene = trimesh.Scene()
                scene.add_geometry(body, node_name="body", geom_name="body")
                if spine is not None:
                    scene.add_geometry(
                        _spheres(trimesh, spine[i], sphere_radius),
                        node_name="vertebrae",
                        geom_name="vertebrae",
                    )
                    scene.add_geometry(
                        trimesh.load_path(spine[i]),
                        node_name="spine_curve",
                        geom_name="spine_curve",
                    )
                (tmp / name).write_bytes(scene.export(file_type="glb"))
            else:
                body.export(tmp / name, file_type=fmt)
                if spine is not None:
                    vname = f"vertebrae_{i:06d}.{fmt}"
                    _spheres(trimesh, spine[i], sphere_radius).export(tmp / vname, file_type=fmt)
                    extra.append(vname)
            names.append(name)
        manifest = {
            "format": MESHES_FORMAT,
            "version": _VERSION,
            "mesh_format": fmt,
            "units": "m",
            "axes": "+y up, +z forward (where the person faces), +x the person's left",
            "fps": None if fps is None else float(fps),
            "frames": frames,
            "times_s": None if fps is None else [i / float(fps) for i in frames],
            "files": names,
            "vertebra_files": extra,
            "num_vertices": int(vertices.shape[1]),
            "num_faces": int(faces.shape[0]),
            "num_vertebrae": None if spine is None else int(spine.shape[1]),
        }
        (tmp / "meshes.json").write_text(json.dumps(manifest, indent=1) + "\n")
        out.mkdir(exist_ok=True)
        for name in [*names, *extra, "meshes.json"]:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / n for n in names]
