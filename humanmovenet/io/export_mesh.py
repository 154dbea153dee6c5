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

:func:`export_animated_glb` writes instead **one** ``.glb`` that plays: the first exported frame
is the mesh, every later frame a morph target (Blender: a shape key), and a glTF animation
switches the targets on one after the other at the frames' times (LINEAR interpolation, so a
player blends between neighbouring frames). Blender's glTF importer, three.js and other glTF
viewers play it as is. It grows by V × 12 bytes per frame (~165 kB for the anny body) plus
4 × (T − 1) bytes per frame for the animation weights.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from humanmovenet._atomic import atomic_open

__all__ = ["MESH_FORMATS", "MESHES_FORMAT", "export_meshes", "export_animated_glb", "pose_vertices"]

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


def pose_vertices(pose, body=None, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Posed vertices and faces of a :class:`~humanmovenet.types.PoseSequence` (for export).

    Args:
        pose: the pose sequence (e.g. ``DynamicSpine.pose``).
        body: its body model; default: the shipped anny body when ``pose.shape.model`` is
            ``"anny"``.
        batch_size: frames per forward pass (memory vs speed).

    Returns:
        (vertices float32 in metres, faces int64), ready for :func:`export_meshes`.

    Shapes:
        returns vertices (T, V, 3), faces (F, 3).
    """
    import torch

    from humanmovenet.types import PoseSequence

    if not isinstance(pose, PoseSequence):
        raise ValueError(f"expected a PoseSequence, got {type(pose).__name__}.")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1 frame, got {batch_size}.")
    if body is None:
        if pose.shape.model != "anny":
            raise ValueError(
                f"the pose belongs to a {pose.shape.model!r} body: pass that body model as body=."
            )
        from humanmovenet.body import create

        body = create("anny")
    if tuple(pose.joint_names) != tuple(body.joint_names):
        raise ValueError("pose.joint_names differ from the body's; pass the pose's body model.")
    t = pose.body_pose.shape[0]
    betas = torch.as_tensor(np.asarray(pose.shape.betas), dtype=torch.float32).reshape(1, -1)
    inputs = {
        "body_pose": torch.as_tensor(np.asarray(pose.body_pose), dtype=torch.float32),
        "root_orient": torch.as_tensor(np.asarray(pose.root_orient), dtype=torch.float32),
        "transl": torch.as_tensor(np.asarray(pose.transl), dtype=torch.float32),
    }
    chunks = []
    with torch.no_grad():
        for lo in range(0, t, int(batch_size)):
            part = {k: v[lo : lo + int(batch_size)] for k, v in inputs.items()}
            out = body(betas=betas.expand(part["body_pose"].shape[0], -1), **part)
            chunks.append(out.vertices.numpy().astype(np.float32))
    return np.concatenate(chunks), body.faces.numpy().astype(np.int64)


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
        path: output folder; created if missing (its parent must exist). Existing files of
            the same names are replaced, other files are left alone.
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
        FileNotFoundError: the parent folder does not exist.
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
    if not parent.is_dir():
        raise FileNotFoundError(
            f"{parent}: no such folder; create it first (only the last folder, {out.name!r}, "
            "is created)."
        )
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


# --------------------------------------------------------------------------- animated GLB

_GLB_MAGIC, _JSON_CHUNK, _BIN_CHUNK = 0x46546C67, 0x4E4F534A, 0x004E4942
_FLOAT, _UINT = 5126, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


class _GltfBuffer:
    """Collects binary data, buffer views and accessors of one glTF binary buffer."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(
        self, array: np.ndarray, kind: str, target: int | None = None, bounds: bool = False
    ) -> int:
        """Append ``array`` (float32 or uint32) and return its accessor index.

        ``bounds`` adds the min/max that glTF requires on POSITION and animation inputs.
        """
        data = np.ascontiguousarray(array).tobytes()
        view = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.views.append(view)
        self.chunks.append(data)
        self.size += len(data)  # every array is 4-byte typed: offsets stay aligned
        width = 3 if kind == "VEC3" else 1
        accessor = {
            "bufferView": len(self.views) - 1,
            "componentType": _UINT if array.dtype == np.uint32 else _FLOAT,
            "count": int(array.size // width),
            "type": kind,
        }
        if bounds:
            flat = array.reshape(-1, width)
            accessor["min"] = [float(v) for v in flat.min(0)]
            accessor["max"] = [float(v) for v in flat.max(0)]
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def _morph_mesh(buf: _GltfBuffer, name: str, frames_xyz: np.ndarray, indices, mode: int) -> dict:
    """A glTF mesh: frame 0 as POSITION, later frames as morph-target displacements."""
    base = frames_xyz[0].astype(np.float32)
    primitive = {
        "attributes": {"POSITION": buf.add(base, "VEC3", _ARRAY_BUFFER, bounds=True)},
        "mode": mode,
    }
    if indices is not None:
        primitive["indices"] = buf.add(
            indices.reshape(-1).astype(np.uint32), "SCALAR", _ELEMENT_ARRAY_BUFFER
        )
    primitive["targets"] = [
        {"POSITION": buf.add(f.astype(np.float32) - base, "VEC3", _ARRAY_BUFFER, bounds=True)}
        for f in frames_xyz[1:]
    ]
    n = len(frames_xyz) - 1
    return {
        "name": name,
        "primitives": [primitive],
        "weights": [0.0] * n,
        "extras": {"targetNames": [f"frame_{k:06d}" for k in range(1, n + 1)]},
    }


def export_animated_glb(
    path: str | os.PathLike[str],
    vertices: np.ndarray,
    faces: np.ndarray,
    fps: float,
    frames: Sequence[int] | None = None,
    *,
    spine_positions: np.ndarray | None = None,
    sphere_radius: float = 0.008,
) -> Path:
    """Write the frames as one animated glTF binary (morph targets; module docstring).

    Nodes: ``body``; with ``spine_positions`` also ``vertebrae`` (small spheres) and
    ``spine_curve`` (a line strip through the vertebral centres), animated the same way.
    Target ``k`` (named ``frame_%06d`` after the k-th exported frame) is fully on at that
    frame's time ``frames[k] / fps`` seconds and off at the other frames.

    Args:
        path: the ``.glb`` file to write.
        vertices, faces, frames, spine_positions, sphere_radius: as in :func:`export_meshes`.
        fps: frames per second of ``vertices`` (sets the animation's timing).

    Returns:
        ``path``.

    Raises:
        ValueError: as :func:`export_meshes`; fps <= 0; fewer than 2 frames.
        OSError: the folder does not exist or cannot be written (nothing is left behind).

    Shapes:
        vertices: (T, V, 3); faces: (F, 3); spine_positions: (T, K, 3).
    """
    if fps is None or not float(fps) > 0:
        raise ValueError(f"fps must be > 0 (it times the animation), got {fps}.")
    vertices, faces, frames, spine = _check(
        vertices, faces, "glb", frames, spine_positions, fps, sphere_radius
    )
    if len(frames) < 2:
        raise ValueError("an animation needs at least 2 frames; use export_meshes for one.")
    buf = _GltfBuffer()
    meshes = [_morph_mesh(buf, "body", vertices[frames], faces, mode=4)]
    if spine is not None:
        trimesh = _trimesh()
        unit = trimesh.creation.icosphere(subdivisions=1, radius=sphere_radius)
        k = spine.shape[1]
        balls = (spine[frames][:, :, None] + unit.vertices[None, None]).reshape(len(frames), -1, 3)
        ball_faces = (unit.faces[None] + len(unit.vertices) * np.arange(k)[:, None, None]).reshape(
            -1, 3
        )
        meshes.append(_morph_mesh(buf, "vertebrae", balls, ball_faces, mode=4))
        meshes.append(_morph_mesh(buf, "spine_curve", spine[frames], None, mode=3))
    n = len(frames) - 1
    times = buf.add(np.asarray(frames, dtype=np.float32) / np.float32(fps), "SCALAR", bounds=True)
    weights = np.zeros((len(frames), n), dtype=np.float32)
    weights[np.arange(1, n + 1), np.arange(n)] = 1.0
    output = buf.add(weights, "SCALAR")
    names = [m["name"] for m in meshes]
    gltf = {
        "asset": {"version": "2.0", "generator": "humanmovenet.io.export_animated_glb"},
        "scene": 0,
        "scenes": [{"nodes": list(range(len(meshes)))}],
        "nodes": [{"name": name, "mesh": i} for i, name in enumerate(names)],
        "meshes": meshes,
        "animations": [
            {
                "name": "motion",
                "samplers": [{"input": times, "output": output, "interpolation": "LINEAR"}],
                "channels": [
                    {"sampler": 0, "target": {"node": i, "path": "weights"}}
                    for i in range(len(meshes))
                ],
            }
        ],
        "buffers": [{"byteLength": buf.size}],
        "bufferViews": buf.views,
        "accessors": buf.accessors,
        "extras": {"units": "m", "axes": "+y up, +z forward, +x the person's left",
                   "fps": float(fps), "frames": frames},
    }  # fmt: skip
    text = json.dumps(gltf, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    binary = b"".join(buf.chunks)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    path = Path(path)
    with atomic_open(path, "wb") as fh:
        fh.write(np.array([_GLB_MAGIC, 2, total], dtype="<u4").tobytes())
        fh.write(np.array([len(text), _JSON_CHUNK], dtype="<u4").tobytes() + text)
        fh.write(np.array([len(binary), _BIN_CHUNK], dtype="<u4").tobytes() + binary)
    return path
