"""The motion of a ``PoseSequence`` as a BVH (Biovision Hierarchy) file.

The skeleton is the body model's own (every joint of ``body.joint_names``, root first, with
its parent from ``body.parents``), so the file reproduces the body's joint positions exactly:

* **Offsets**: the rest-pose joint positions of the person's shape (``body.rest_joints``),
  child minus parent, in **metres** by default (``unit="cm"`` for centimetres). The rest
  pose is the body model's (an A-pose for anny), so at zero rotations the BVH shows it.
* **Axes**: the humanmovenet body frame — +y up, +z forward, +x the person's left — which is
  the usual BVH convention (Y up). Blender's BVH importer converts Y-up to its Z-up.
* **Channels**: the root has ``Xposition Yposition Zposition Zrotation Yrotation Xrotation``,
  every other joint ``Zrotation Yrotation Xrotation``, in degrees. As in every BVH reader,
  the channel order is the order of multiplication: local rotation ``R = Rz(z)·Ry(y)·Rx(x)``
  (intrinsic Z, then Y, then X). The local rotation is the body model's local joint rotation
  (``body_pose``, world-aligned rest axes, as in SMPL), so forward kinematics is
  ``G_j = G_parent · R_j`` and ``p_j = p_parent + G_parent · offset_j``.
* **Root position**: the root joint's posed position, rest root + ``transl`` (metres or cm).
* **Leaves**: joints without children get an ``End Site`` half their own offset long (a
  joint with a zero offset gets 1 cm up), only so that viewers draw a bone for them.

Written atomically (temporary file + rename).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from humanmovenet.types import PoseSequence

__all__ = ["export_bvh", "BVH_UNITS"]

BVH_UNITS = {"m": 1.0, "cm": 100.0}
_ROT_CHANNELS = "Zrotation Yrotation Xrotation"


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` through a temporary file + rename.

    Raises:
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    from humanmovenet._atomic import atomic_open

    path = Path(path)
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def _euler_zyx_deg(rotvec: np.ndarray) -> np.ndarray:
    """Intrinsic Z-Y-X Euler angles (degrees, [z, y, x]) of axis-angle vectors.

    Shapes:
        rotvec: (..., 3) → (..., 3).
    """
    from scipy.spatial.transform import Rotation

    flat = rotvec.reshape(-1, 3)
    angles = Rotation.from_rotvec(flat).as_euler("ZYX", degrees=True)
    return angles.reshape(rotvec.shape)


def _fmt(values: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def export_bvh(
    path: str | os.PathLike[str],
    pose: PoseSequence,
    body=None,
    *,
    unit: str = "m",
) -> Path:
    """Write the motion of ``pose`` on ``body``'s skeleton as a BVH file (module docstring).

    Args:
        path: the ``.bvh`` file to write.
        pose: a world-frame :class:`PoseSequence` of ``body``.
        body: the body model the pose belongs to (needs ``joint_names``, ``parents`` and
            ``rest_joints``); default: the shipped anny body when ``pose.shape.model`` is
            ``"anny"``.
        unit: ``"m"`` (default) or ``"cm"`` for offsets and root positions.

    Returns:
        ``path``.

    Raises:
        ValueError: a camera-frame pose, joint names that differ from the body's, unknown
            unit, NaN in the pose, or no body for a non-anny pose.
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    import torch

    if not isinstance(pose, PoseSequence):
        raise ValueError(f"expected a PoseSequence, got {type(pose).__name__}.")
    if unit not in BVH_UNITS:
        raise ValueError(f"unit must be one of {tuple(BVH_UNITS)}, got {unit!r}.")
    if pose.frame != "world":
        raise ValueError(
            "the pose is in the camera frame; BVH needs a world frame (+y up). Convert the "
            "root orientation and translation to the world frame first."
        )
    if body is None:
        if pose.shape.model != "anny":
            raise ValueError(
                f"the pose belongs to a {pose.shape.model!r} body: pass that body model "
                "(humanmovenet.body.create(...)) as body=."
            )
        from humanmovenet.body import create

        body = create("anny")
    names = tuple(body.joint_names)
    if tuple(pose.joint_names) != names:
        raise ValueError(
            f"pose.joint_names ({len(pose.joint_names)} joints) differ from the body's "
            f"({len(names)} joints); pass the body model the pose was made with."
        )
    if any(not n or any(c.isspace() for c in n) for n in names):
        raise ValueError("joint names must be non-empty and hold no whitespace for BVH.")
    body_pose = np.asarray(pose.body_pose, dtype=np.float64)
    root = np.asarray(pose.root_orient, dtype=np.float64)
    transl = np.asarray(pose.transl, dtype=np.float64)
    if not (np.isfinite(body_pose).all() and np.isfinite(root).all() and np.isfinite(transl).all()):
        raise ValueError("the pose holds NaN or infinite values; fill the gaps before export.")
    scale = BVH_UNITS[unit]
    parents = [int(p) for p in body.parents]
    betas = torch.as_tensor(np.asarray(pose.shape.betas, dtype=np.float64)).reshape(1, -1)
    with torch.no_grad():
        rest = body.rest_joints(betas)[0].double().numpy()
    children: list[list[int]] = [[] for _ in names]
    for j, p in enumerate(parents[1:], start=1):
        children[p].append(j)

    lines = ["HIERARCHY"]
    order: list[int] = []

    def write(j: int, depth: int) -> None:
        pad = "  " * depth
        order.append(j)
        if j == 0:
            lines.append(f"ROOT {names[0]}")
            lines.append("{")
            lines.append(f"{pad}  OFFSET {_fmt(np.zeros(3))}")
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {_ROT_CHANNELS}")
        else:
            lines.append(f"{pad}JOINT {names[j]}")
            lines.append(f"{pad}{{")
            lines.append(f"{pad}  OFFSET {_fmt(scale * (rest[j] - rest[parents[j]]))}")
            lines.append(f"{pad}  CHANNELS 3 {_ROT_CHANNELS}")
        for c in children[j]:
            write(c, depth + 1)
        if not children[j]:
            own = rest[j] - rest[parents[j]] if j else np.zeros(3)
            tip = 0.5 * own if np.linalg.norm(own) > 1e-6 else np.array([0.0, 0.01, 0.0])
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET {_fmt(scale * tip)}")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")

    write(0, 0)
    t = body_pose.shape[0]
    local = np.concatenate([root[:, None], body_pose], axis=1)  # (T, J+1, 3)
    euler = _euler_zyx_deg(local)[:, order]  # (T, J+1, 3) in hierarchy order
    root_pos = scale * (rest[0] + transl)  # (T, 3)
    rows = np.concatenate([root_pos, euler.reshape(t, -1)], axis=1)
    lines += ["MOTION", f"Frames: {t}", f"Frame Time: {1.0 / float(pose.fps):.8f}"]
    lines += [_fmt(r) for r in rows]
    return atomic_write_text(path, "\n".join(lines) + "\n")
