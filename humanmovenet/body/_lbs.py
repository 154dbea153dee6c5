"""Vectorised forward kinematics and linear blend skinning shared by the body backends.

Convention (SMPL): pose parameters are per-joint local rotations expressed in world-aligned
rest axes; a joint's global rotation is ``G_c = G_parent @ R_c``; posed joint positions chain
over rest offsets, ``p_c = p_parent + G_parent (j_c - j_parent)``; vertices are skinned with
``A_c = [G_c | p_c - G_c j_c]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import roma
import torch

__all__ = [
    "KinematicLevels",
    "make_levels",
    "rotvec_to_rotmat",
    "forward_kinematics",
    "skin_vertices",
]


@dataclass(frozen=True)
class KinematicLevels:
    """Joints grouped by depth so the chain product takes one batched matmul per level.

    Attributes:
        joints: per level, the (n,) joint indices of that level (level 0 = root only).
        parent_pos: per level, the (n,) position of each joint's parent in the previous level.
        inverse: (J,) position of every joint in the concatenation of ``joints``.
    """

    joints: tuple[torch.Tensor, ...]
    parent_pos: tuple[torch.Tensor, ...]
    inverse: torch.Tensor


def make_levels(parents: list[int]) -> KinematicLevels:
    """Group a kinematic tree (``parents[0] < 0``, parents before children not required) by depth.

    Args:
        parents: parent index of every joint; the root (index 0) has a negative parent.

    Returns:
        The :class:`KinematicLevels` of the tree.

    Raises:
        ValueError: if the tree does not have a single root at index 0.
    """
    if parents[0] >= 0 or any(p < 0 for p in parents[1:]):
        raise ValueError(
            f"expected a single root at index 0 (parents[0] < 0), got parents={parents[:5]}…"
        )
    children: list[list[int]] = [[] for _ in parents]
    for joint, parent in enumerate(parents[1:], start=1):
        children[parent].append(joint)
    levels, positions = [[0]], [[0]]
    while True:
        prev = levels[-1]
        nxt = [(c, pos) for pos, j in enumerate(prev) for c in children[j]]
        if not nxt:
            break
        levels.append([c for c, _ in nxt])
        positions.append([pos for _, pos in nxt])
    order = [j for level in levels for j in level]
    if sorted(order) != list(range(len(parents))):
        raise ValueError("every joint must descend from the root")
    inverse = torch.argsort(torch.tensor(order))
    return KinematicLevels(
        joints=tuple(torch.tensor(level) for level in levels),
        parent_pos=tuple(torch.tensor(pos) for pos in positions),
        inverse=inverse,
    )


def rotvec_to_rotmat(rotvec: torch.Tensor) -> torch.Tensor:
    """Axis-angle vectors to rotation matrices (differentiable, exact at zero).

    Shapes:
        rotvec: (..., 3) -> (..., 3, 3).
    """
    return roma.rotvec_to_rotmat(rotvec)


def forward_kinematics(
    local_rotmats: torch.Tensor, rest_joints: torch.Tensor, levels: KinematicLevels
) -> tuple[torch.Tensor, torch.Tensor]:
    """Global joint rotations and posed joint positions (root at its rest position).

    Args:
        local_rotmats: local rotation of every joint (root first = global root orientation).
        rest_joints: rest positions of the joints.
        levels: the tree from :func:`make_levels`.

    Returns:
        ``(global_rotmats (B,J,3,3), posed_joints (B,J,3))``.

    Shapes:
        local_rotmats: (B, J, 3, 3); rest_joints: (B, J, 3).
    """
    rots = [local_rotmats[:, levels.joints[0]]]
    pos = [rest_joints[:, levels.joints[0]]]
    for depth in range(1, len(levels.joints)):
        idx, ppos = levels.joints[depth], levels.parent_pos[depth]
        parent_rot = rots[-1][:, ppos]
        parent_idx = levels.joints[depth - 1][ppos]
        offset = rest_joints[:, idx] - rest_joints[:, parent_idx]
        pos.append(pos[-1][:, ppos] + (parent_rot @ offset.unsqueeze(-1)).squeeze(-1))
        rots.append(parent_rot @ local_rotmats[:, idx])
    global_rots = torch.cat(rots, 1)[:, levels.inverse]
    posed = torch.cat(pos, 1)[:, levels.inverse]
    return global_rots, posed


def skin_vertices(
    rest_vertices: torch.Tensor,
    weights: torch.Tensor,
    global_rotmats: torch.Tensor,
    rest_joints: torch.Tensor,
    posed_joints: torch.Tensor,
) -> torch.Tensor:
    """Linear blend skinning with dense (V, J) weights (one matmul per batch).

    Shapes:
        rest_vertices: (B, V, 3); weights: (V, J); global_rotmats: (B, J, 3, 3);
        rest_joints, posed_joints: (B, J, 3) -> (B, V, 3).
    """
    trans = posed_joints - (global_rotmats @ rest_joints.unsqueeze(-1)).squeeze(-1)
    affine = torch.cat([global_rotmats, trans.unsqueeze(-1)], -1).flatten(-2)  # (B, J, 12)
    batch, joints = affine.shape[:2]
    # one (V, J) @ (J, B*12) GEMM instead of B small ones
    blended = (weights @ affine.transpose(0, 1).reshape(joints, batch * 12)).reshape(
        -1, batch, 3, 4
    )
    rotated = torch.einsum("vbij,bvj->bvi", blended[..., :3], rest_vertices)
    return rotated + blended[..., 3].transpose(0, 1)
