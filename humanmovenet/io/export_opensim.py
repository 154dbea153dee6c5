"""A ``DynamicSpine`` as an OpenSim motion file (``.mot``, the Storage format).

Coordinates follow the OpenSim full-body models (gait2392, Rajagopal 2016 and their
descendants), so the file can be loaded onto such a model ("File ▸ Load Motion"):

OpenSim axes: X forward, Y up, Z to the person's right. From the humanmovenet body frame
(+x left, +y up, +z forward): ``X = z``, ``Y = y``, ``Z = −x``.

* ``pelvis_tilt``, ``pelvis_list``, ``pelvis_rotation`` — the ``ground_pelvis`` joint's
  body-fixed rotations about Z, then X, then Y (OpenSim's ``rotation1``/``2``/``3``):
  ``R_pelvis = Rz(tilt)·Rx(list)·Ry(rotation)``. By the right-hand rule about +Z (to the
  right), **positive pelvis_tilt is posterior tilt** (the top of the pelvis goes backwards);
  anterior tilt is negative. Positive ``pelvis_list`` raises the left side (the pelvis leans
  to the right); positive ``pelvis_rotation`` turns it to the left (counter-clockwise seen
  from above). Zero is the body model's neutral pelvis (``pelvis_frames`` = identity), shifted
  by ``pelvis_tilt_offset_deg`` (see :func:`opensim_coordinates`).
* ``pelvis_tx``, ``pelvis_ty``, ``pelvis_tz`` — metres, OpenSim axes, of the S1 vertebral
  centre (the DynamicSpine has no pelvis origin; OpenSim's pelvis origin sits a few cm lower
  and more anterior, so expect a constant offset).
* ``hip_flexion_r``, ``hip_flexion_l`` — degrees, flexion positive (about +Z): the Z angle of
  the femur relative to the pelvis, ``R = Rz(flexion)·Rx(adduction)·Ry(rotation)`` as in the
  models' hip joints. Computed per side from ``spine.pose`` when the spine carries one (the
  body model's joint rotations; zero = femur along the pelvis's vertical axis, i.e. straight
  standing, see :func:`hip_flexion_from_pose`); otherwise both columns
  carry ``spine.hip_flexion`` (the mean of both sides); left out when neither is available.
* ``lumbar_extension``, ``lumbar_bending``, ``lumbar_rotation`` — the ``back`` joint's
  rotations about Z, X, Y (same order as the pelvis): ``R = Rz(ext)·Rx(bend)·Ry(rot)`` of the
  L1 vertebra relative to S1, measured from the standing (rest) L1–S1 relation built from
  ``spine.morphology``. **Positive lumbar_extension is extension** (flexion is negative);
  positive ``lumbar_bending`` bends to the right; positive ``lumbar_rotation`` turns the trunk
  to the left.

The header is the Storage header (``name``, ``version=1``, ``nRows``, ``nColumns``,
``inDegrees=yes``, free comment lines, ``endheader``), then a tab-separated table with a
``time`` column (seconds, ``frame / fps``) and one column per coordinate: angles in degrees,
translations in metres.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from humanmovenet.io.export_bvh import atomic_write_text
from humanmovenet.types import DynamicSpine

__all__ = [
    "OPENSIM_COORDINATES",
    "OPENSIM_FROM_BODY",
    "opensim_coordinates",
    "hip_flexion_from_pose",
    "export_opensim_mot",
    "read_mot",
]

#: The columns written after ``time``, in order.
OPENSIM_COORDINATES: tuple[str, ...] = (
    "pelvis_tilt",
    "pelvis_list",
    "pelvis_rotation",
    "pelvis_tx",
    "pelvis_ty",
    "pelvis_tz",
    "hip_flexion_r",
    "hip_flexion_l",
    "lumbar_extension",
    "lumbar_bending",
    "lumbar_rotation",
)
_TRANSLATIONS = ("pelvis_tx", "pelvis_ty", "pelvis_tz")

#: Rotation taking humanmovenet body-frame coordinates to OpenSim's (X fwd, Y up, Z right).
OPENSIM_FROM_BODY = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])


def _zxy(r: np.ndarray) -> np.ndarray:
    """Body-fixed Z-X-Y angles (radians, [z, x, y]) with ``R = Rz·Rx·Ry``.

    Shapes:
        r: (T, 3, 3) → (T, 3).
    """
    from scipy.spatial.transform import Rotation

    return Rotation.from_matrix(r).as_euler("ZXY")


def _rest_lumbar(spine: DynamicSpine, lower: int, upper: int) -> np.ndarray:
    """Rest (standing) orientation of ``upper`` in ``lower``'s frame from the morphology."""
    import torch

    from humanmovenet.spine.chain import disc_rotations
    from humanmovenet.spine.morphology import rest_disc_angles

    sagittal, lateral = rest_disc_angles(spine.morphology)
    rel = disc_rotations(torch.from_numpy(sagittal), torch.from_numpy(lateral)).numpy()
    q0 = np.eye(3)
    for k in range(lower, upper):
        q0 = q0 @ rel[k]
    return q0


def _rotvec_to_matrix(rotvec: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(*rotvec.shape, 3)


def hip_flexion_from_pose(pose, body=None) -> dict[str, np.ndarray]:
    """Per-side hip flexion (radians, flexion +) of a world-frame PoseSequence.

    The femur's global rotation relative to the pelvis's (both from the body model's joint
    rotations, composed along ``body.parents``), decomposed as Z-X-Y in OpenSim axes; the Z
    angle (``-sagittal_angle(pelvis, femur)``) is the flexion from the body's rest thigh. The
    rest thigh's own sagittal lean (hip → knee of ``body.rest_joints``; anny's rest legs are
    slightly bent) is added, so 0 is a femur along the pelvis's vertical axis — straight
    standing, OpenSim's neutral hip. A body without ``rest_joints`` keeps the rest-pose zero.

    Args:
        pose: a :class:`~humanmovenet.types.PoseSequence`.
        body: its body model (needs ``joint_names``, ``parents``, ``joint_index``); default:
            the shipped anny body for an anny pose.

    Returns:
        ``{"hip_flexion_r": (T,), "hip_flexion_l": (T,)}``.
    """
    if body is None:
        if pose.shape.model != "anny":
            raise ValueError(
                f"the pose belongs to a {pose.shape.model!r} body: pass that body model as body=."
            )
        from humanmovenet.body import create

        body = create("anny")
    if tuple(pose.joint_names) != tuple(body.joint_names):
        raise ValueError("pose.joint_names differ from the body's; pass the pose's body model.")
    local = _rotvec_to_matrix(
        np.concatenate(
            [np.asarray(pose.root_orient, float)[:, None], np.asarray(pose.body_pose, float)], 1
        )
    )  # (T, J + 1, 3, 3)
    parents = [int(p) for p in body.parents]

    def global_rotation(j: int) -> np.ndarray:
        chain = []
        while j >= 0:
            chain.append(j)
            j = parents[j]
        g = np.broadcast_to(np.eye(3), local.shape[:1] + (3, 3))
        for k in reversed(chain):
            g = g @ local[:, k]
        return g

    rest = None
    if hasattr(body, "rest_joints"):
        import torch

        betas = torch.as_tensor(np.asarray(pose.shape.betas, dtype=np.float64)).reshape(1, -1)
        with torch.no_grad():
            rest = body.rest_joints(betas)[0].double().numpy()
    pelvis = global_rotation(0)
    m = OPENSIM_FROM_BODY
    out = {}
    for side, key in (("right", "hip_flexion_r"), ("left", "hip_flexion_l")):
        hip = body.joint_index(f"hip_{side}")
        femur = global_rotation(hip)
        flexion = _zxy(m @ (np.swapaxes(pelvis, -1, -2) @ femur) @ m.T)[:, 0]
        if rest is not None:  # rest thigh lean, forward (knee ahead of the hip) +
            d = rest[body.joint_index(f"knee_{side}")] - rest[hip]
            flexion = flexion + math.atan2(d[2], -d[1])
        out[key] = flexion
    return out


def opensim_coordinates(
    spine: DynamicSpine,
    *,
    pelvis_tilt_offset_deg: float = 0.0,
    lumbar_levels: tuple[str, str] = ("S1", "L1"),
    body=None,
) -> dict[str, np.ndarray]:
    """OpenSim coordinate values of a DynamicSpine (conventions in the module docstring).

    Args:
        spine: the dynamic spine (world frame, +y up).
        pelvis_tilt_offset_deg: anterior tilt of the body model's neutral pelvis relative to
            the OpenSim model's neutral pelvis, degrees; subtracted from ``pelvis_tilt``
            (anterior is negative in OpenSim). Default 0: the neutral pelvis of the body model
            is OpenSim's zero.
        lumbar_levels: the lower and upper vertebra of the ``back`` joint (default L1
            relative to S1, the clinical lumbar spine).
        body: the body model of ``spine.pose`` for per-side hip flexion (default: the
            shipped anny body for an anny pose; see :func:`hip_flexion_from_pose`).

    Returns:
        Column name → (T,) values: angles in **radians**, translations in metres. Hip
        columns are missing when the spine has neither a pose nor ``hip_flexion``.

    Raises:
        ValueError: NaN/inf frames or positions, unknown levels, lower not below upper.
    """
    if not isinstance(spine, DynamicSpine):
        raise ValueError(f"expected a DynamicSpine, got {type(spine).__name__}.")
    lower, upper = (spine.index(n) for n in lumbar_levels)
    if lower >= upper:
        raise ValueError(f"lumbar_levels must be (lower, upper) caudal first, got {lumbar_levels}.")
    frames = np.asarray(spine.frames, dtype=np.float64)
    pelvis = np.asarray(spine.pelvis_frames, dtype=np.float64)
    positions = np.asarray(spine.positions, dtype=np.float64)
    for name, a in (("frames", frames), ("pelvis_frames", pelvis), ("positions", positions)):
        if not np.isfinite(a).all():
            raise ValueError(f"DynamicSpine.{name} holds NaN or infinite values; fill them first.")
    if not math.isfinite(pelvis_tilt_offset_deg):
        raise ValueError(f"pelvis_tilt_offset_deg must be finite, got {pelvis_tilt_offset_deg}.")
    m = OPENSIM_FROM_BODY
    tilt, lst, rot = _zxy(m @ pelvis @ m.T).T
    q = np.swapaxes(frames[:, lower], -1, -2) @ frames[:, upper]
    delta = q @ _rest_lumbar(spine, lower, upper).T  # rotation from rest, in the lower frame
    ext, bend, axial = _zxy(m @ delta @ m.T).T
    origin = positions[:, lower] @ m.T
    out = {
        "pelvis_tilt": np.unwrap(tilt) - math.radians(pelvis_tilt_offset_deg),
        "pelvis_list": lst,
        "pelvis_rotation": np.unwrap(rot),
        "pelvis_tx": origin[:, 0],
        "pelvis_ty": origin[:, 1],
        "pelvis_tz": origin[:, 2],
    }
    if spine.pose is not None:
        out |= hip_flexion_from_pose(spine.pose, body)
    elif spine.hip_flexion is not None:
        hip = np.asarray(spine.hip_flexion, dtype=np.float64)
        if not np.isfinite(hip).all():
            raise ValueError("DynamicSpine.hip_flexion holds NaN or infinite values.")
        out["hip_flexion_r"] = hip.copy()
        out["hip_flexion_l"] = hip.copy()
    out |= {"lumbar_extension": ext, "lumbar_bending": bend, "lumbar_rotation": axial}
    return out


def export_opensim_mot(
    path: str | os.PathLike[str],
    spine: DynamicSpine,
    *,
    name: str = "humanmovenet",
    pelvis_tilt_offset_deg: float = 0.0,
    lumbar_levels: tuple[str, str] = ("S1", "L1"),
    body=None,
) -> Path:
    """Write ``spine`` as an OpenSim ``.mot`` motion file (module docstring).

    Args:
        path: the ``.mot`` file to write.
        spine: the dynamic spine.
        name: first header line (the Storage's name).
        pelvis_tilt_offset_deg, lumbar_levels, body: see :func:`opensim_coordinates`.

    Returns:
        ``path``.

    Raises:
        ValueError: see :func:`opensim_coordinates`; a name with a newline.
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    if "\n" in name or "\r" in name or not name.strip():
        raise ValueError(f"name must be one non-empty line, got {name!r}.")
    coords = opensim_coordinates(
        spine,
        pelvis_tilt_offset_deg=pelvis_tilt_offset_deg,
        lumbar_levels=lumbar_levels,
        body=body,
    )
    columns = ["time", *(c for c in OPENSIM_COORDINATES if c in coords)]
    t = spine.num_frames
    table = np.empty((t, len(columns)))
    table[:, 0] = np.arange(t) / float(spine.fps)
    for k, c in enumerate(columns[1:], start=1):
        table[:, k] = coords[c] if c in _TRANSLATIONS else np.degrees(coords[c])
    header = [
        name.strip(),
        "version=1",
        f"nRows={t}",
        f"nColumns={len(columns)}",
        "inDegrees=yes",
        "",
        "Written by humanmovenet. Units: seconds, metres, degrees. OpenSim axes: X forward, "
        "Y up, Z right.",
        "pelvis_tilt > 0 posterior; lumbar_extension > 0 extension; hip_flexion > 0 flexion.",
        "endheader",
        "\t".join(columns),
    ]
    table = np.round(table, 8) + 0.0  # no "-0.00000000" for values that round to zero
    rows = ["\t".join(f"{v:.8f}" for v in row) for row in table]
    return atomic_write_text(path, "\n".join(header + rows) + "\n")


def read_mot(path: str | os.PathLike[str]) -> tuple[dict[str, str], list[str], np.ndarray]:
    """Read an OpenSim Storage file (``.mot``/``.sto``): header, column names, table.

    Returns:
        (header ``key=value`` pairs, column names, (nRows, nColumns) float array).

    Raises:
        FileNotFoundError: no such file.
        ValueError: no ``endheader``, or a table that does not match ``nRows``/``nColumns``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        end = next(i for i, line in enumerate(lines) if line.strip() == "endheader")
    except StopIteration:
        raise ValueError(f"{path}: no 'endheader' line; not an OpenSim storage file.") from None
    if end + 1 >= len(lines):
        raise ValueError(f"{path}: no column names after 'endheader'.")
    header = {}
    for line in lines[:end]:
        if "=" in line:
            key, value = line.split("=", 1)
            header[key.strip()] = value.strip()
    columns = lines[end + 1].split("\t")
    body = [line for line in lines[end + 2 :] if line.strip()]
    try:
        table = np.array([[float(v) for v in line.split("\t")] for line in body], dtype=float)
    except ValueError as exc:
        raise ValueError(f"{path}: a table value is not a number ({exc}).") from exc
    table = table.reshape(len(body), len(columns)) if body else np.empty((0, len(columns)))
    if "nRows" in header and int(header["nRows"]) != table.shape[0]:
        raise ValueError(f"{path}: nRows={header['nRows']} but {table.shape[0]} rows follow.")
    if "nColumns" in header and int(header["nColumns"]) != len(columns):
        raise ValueError(f"{path}: nColumns={header['nColumns']} but {len(columns)} columns.")
    return header, columns, table
