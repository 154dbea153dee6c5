"""Embedding the vertebral chain in a body's spine bones, and posing it with the body.

The body model gives a *chain* of joints from the pelvis (root, index 0) to the head: for the
shipped anny body ``root, spine05, spine04, spine03, spine02, spine01, neck01, neck02, neck03,
head``; for SMPL ``pelvis, spine1, spine2, spine3, neck, head``. Rest rotations are identity
(world-aligned rest frames), so a joint's pose is its rotation relative to its parent.

1. **Embedding** (once per subject): the vertebral curve is built from the ``SpineMorphology``
   (``morphology.rest_disc_angles``), scaled so that its L5/S1 → C7/T1 chord has the body's
   length, and rotated so that the chord lies on the body's (lumbosacral → cervicothoracic
   anchor). Lordosis, kyphosis and lateral deviation are kept exactly; the sacral slope becomes
   whatever the body's pelvis and trunk imply (it is re-measured and stored).
2. **Disc assignment**: every disc is given to the chain joint nearest to it along the chord;
   each joint's rotation is shared by its discs in proportion to ``anatomy.flexion_weights``
   (the OpenSim lumbar ratios for L5/S1…T12/L1). A joint with no disc passes its rotation on
   to the next joint's discs.
3. **Posing** (per frame): the sacrum moves with the pelvis; going up, the running rotation
   ``Q`` takes each disc's share of its joint's local rotation, so that after a joint's last disc
   ``Q`` equals that joint's global rotation. Positions follow the chain; the small gap between
   the chain's C7/T1 disc and the body's anchor joint (rotation spread over discs vs. at one
   joint) is removed by a correction growing linearly with arc length, which keeps the curve
   smooth and inside the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import roma
import torch

from ..types import VERTEBRA_NAMES, SpineMorphology
from . import anatomy
from .chain import chain_forward, disc_rotations, fractional_rotation, rotation_x
from .morphology import measure_morphology, rest_disc_angles

__all__ = ["SpineEmbedding", "embed_spine", "pose_spine"]

_K = len(VERTEBRA_NAMES)
_LS_DISC = anatomy.DISC_NAMES.index("L5/S1")
_CT_DISC = anatomy.DISC_NAMES.index("C7/T1")


@dataclass(frozen=True)
class SpineEmbedding:
    """A vertebral spine embedded in one body at rest.

    Attributes:
        rest_positions: vertebral centres at rest, body frame, metres.
        rest_frames: vertebra frames at rest.
        lengths: centre-to-centre distances.
        disc_joint: for each disc, the index in the body chain of the joint whose rotation it
            shares (≥ 1; index 0 is the root).
        disc_fraction: share of that joint's rotation taken by each disc (sums to 1 per joint).
        disc_carries: for each disc, the chain indices whose local rotations it shares, as a
            (K-1, C) boolean matrix (a joint without discs is carried by the next joint's discs).
        arc_fraction: arc length from S1 over arc length S1→C7/T1 disc, clipped to [0, 1].
        chain_names: names of the body chain joints.
        anchor_index: chain index of the cervicothoracic anchor joint.
        anchor_offset: rest offset from the anchor joint to the C7/T1 disc (metres).
        root_rest: rest position of the chain root.
        morphology: the morphology measured on the embedded rest curve.

    Shapes:
        rest_positions: (K, 3); rest_frames: (K, 3, 3); lengths, disc_joint, disc_fraction:
        (K-1,); disc_carries: (K-1, C); arc_fraction: (K,); anchor_offset, root_rest: (3,).
    """

    rest_positions: np.ndarray
    rest_frames: np.ndarray
    lengths: np.ndarray
    disc_joint: np.ndarray
    disc_fraction: np.ndarray
    disc_carries: np.ndarray
    arc_fraction: np.ndarray
    chain_names: tuple[str, ...]
    anchor_index: int
    anchor_offset: np.ndarray
    root_rest: np.ndarray
    morphology: SpineMorphology


def _unit_chain(morphology: SpineMorphology) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Rest chain at unit total straight length, S1 centre at the origin, S1 upright+slope."""
    sagittal, lateral = rest_disc_angles(morphology)
    relative = disc_rotations(torch.from_numpy(sagittal), torch.from_numpy(lateral))
    lengths = anatomy.segment_length_proportions()
    base = rotation_x(torch.tensor(math.radians(morphology.sacral_slope_deg), dtype=torch.float64))
    pos, frames = chain_forward(base, torch.zeros(3, dtype=torch.float64), relative,
                                torch.from_numpy(lengths))  # fmt: skip
    return pos, frames, lengths


def _disc_points(pos: torch.Tensor, frames: torch.Tensor, lengths: np.ndarray) -> torch.Tensor:
    half = torch.from_numpy(0.5 * lengths).unsqueeze(-1)
    return pos[:-1] + half * frames[:-1, :, 1]


def _align(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking unit vector a to unit vector b."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    axis = np.cross(a, b)
    angle = math.atan2(np.linalg.norm(axis), float(a @ b))
    if np.linalg.norm(axis) < 1e-12:
        return np.eye(3)
    return roma.rotvec_to_rotmat(torch.from_numpy(axis / np.linalg.norm(axis) * angle)).numpy()


def _assign_discs(
    discs: np.ndarray, chain_rest: np.ndarray, origin: np.ndarray, axis: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest chain joint (by position along ``axis``) for every disc, fractions, carriers."""
    t_disc = (discs - origin) @ axis
    t_joint = (chain_rest[1:] - origin) @ axis
    owner = 1 + np.argmin(np.abs(t_disc[:, None] - t_joint[None, :]), axis=1)
    weights = anatomy.flexion_weights()
    fraction = np.zeros(len(discs))
    n_chain = len(chain_rest)
    carries = np.zeros((len(discs), n_chain), dtype=bool)
    # A joint without discs hands its rotation to the next joint that has discs (or the last).
    owners = sorted(set(owner.tolist()))
    carrier_of = {}
    for j in range(1, n_chain):
        later = [o for o in owners if o >= j]
        carrier_of[j] = later[0] if later else owners[-1]
    for j in owners:
        mask = owner == j
        fraction[mask] = weights[mask] / weights[mask].sum()
        for src, dst in carrier_of.items():
            if dst == j:
                carries[mask, src] = True
    return owner, fraction, carries


def embed_spine(
    chain_rest: np.ndarray,
    chain_names: tuple[str, ...],
    morphology: SpineMorphology,
    lumbosacral: np.ndarray,
    cervicothoracic: np.ndarray,
    anchor_index: int,
) -> SpineEmbedding:
    """Place the vertebral spine of a given morphology inside one body at rest.

    Args:
        chain_rest: rest positions of the body's spine chain joints, root first.
        chain_names: their names.
        morphology: requested static morphology (lordosis, kyphosis and lateral deviation are
            kept; the sacral slope follows from the body, see the module docstring).
        lumbosacral: rest position of the L5/S1 disc in the body.
        cervicothoracic: rest position of the C7/T1 disc in the body.
        anchor_index: chain index of the joint that carries the cervicothoracic anchor.

    Returns:
        The ``SpineEmbedding``.

    Shapes:
        chain_rest: (C, 3); lumbosacral, cervicothoracic: (3,).
    """
    chain_rest = np.asarray(chain_rest, dtype=np.float64)
    if chain_rest.ndim != 2 or chain_rest.shape[1] != 3 or len(chain_rest) != len(chain_names):
        raise ValueError(
            f"chain_rest: expected shape ({len(chain_names)}, 3) matching chain_names, got "
            f"{chain_rest.shape}."
        )
    if not 1 <= anchor_index < len(chain_names):
        raise ValueError(
            f"anchor_index must be in [1, {len(chain_names) - 1}], got {anchor_index}."
        )
    ls, ct = np.asarray(lumbosacral, float), np.asarray(cervicothoracic, float)
    # 1. Unit-length chain from the morphology; scale to the body's chord length.
    pos, frames, lengths = _unit_chain(morphology)
    discs = _disc_points(pos, frames, lengths).numpy()
    chord = discs[_CT_DISC] - discs[_LS_DISC]
    scale = np.linalg.norm(ct - ls) / np.linalg.norm(chord)
    # 2. Rotate the chord onto the body's chord, and move the L5/S1 disc onto its anchor.
    rot = _align(chord, ct - ls)
    rest_frames = np.einsum("ij,kjl->kil", rot, frames.numpy())
    rest_positions = (pos.numpy() - discs[_LS_DISC]) @ rot.T * scale + ls
    lengths = lengths * scale
    # 3. Give every disc to a joint of the body chain.
    rest_discs = _disc_points(torch.from_numpy(rest_positions), torch.from_numpy(rest_frames),
                              lengths).numpy()  # fmt: skip
    axis = (ct - ls) / np.linalg.norm(ct - ls)
    owner, fraction, carries = _assign_discs(rest_discs, chain_rest, ls, axis)
    arc = np.concatenate([[0.0], np.cumsum(lengths)])
    arc_ct = arc[_CT_DISC] + 0.5 * lengths[_CT_DISC]
    return SpineEmbedding(
        rest_positions=rest_positions,
        rest_frames=rest_frames,
        lengths=lengths,
        disc_joint=owner,
        disc_fraction=fraction,
        disc_carries=carries,
        arc_fraction=np.clip(arc / arc_ct, 0.0, 1.0),
        chain_names=tuple(chain_names),
        anchor_index=int(anchor_index),
        anchor_offset=ct - chain_rest[anchor_index],
        root_rest=chain_rest[0].copy(),
        morphology=measure_morphology(rest_frames),
    )


def _local_rotations(global_rot: torch.Tensor) -> torch.Tensor:
    """Local rotation of each chain joint relative to the previous one (root: its global)."""
    parent = torch.cat([torch.eye(3, dtype=global_rot.dtype).expand_as(global_rot[..., :1, :, :]),
                        global_rot[..., :-1, :, :]], dim=-3)  # fmt: skip
    return parent.transpose(-1, -2) @ global_rot


def pose_spine(
    embedding: SpineEmbedding,
    chain_rotations: torch.Tensor,
    chain_positions: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pose the embedded spine with the body's posed spine chain.

    Args:
        embedding: the subject's ``SpineEmbedding``.
        chain_rotations: GLOBAL rotations of the chain joints (rest = identity).
        chain_positions: posed positions of the chain joints.

    Returns:
        vertebra positions (..., K, 3) and frames (..., K, 3, 3), differentiable.

    Shapes:
        chain_rotations: (..., C, 3, 3); chain_positions: (..., C, 3).
    """
    c = len(embedding.chain_names)
    if chain_rotations.shape[-3:] != (c, 3, 3) or chain_positions.shape[-2:] != (c, 3):
        raise ValueError(
            f"expected chain_rotations (..., {c}, 3, 3) and chain_positions (..., {c}, 3) for "
            f"the chain {embedding.chain_names}, got {tuple(chain_rotations.shape)} and "
            f"{tuple(chain_positions.shape)}."
        )
    dtype = chain_rotations.dtype
    to = dict(dtype=dtype, device=chain_rotations.device)
    local = _local_rotations(chain_rotations)
    rest_pos = torch.as_tensor(embedding.rest_positions, **to)
    rest_frames = torch.as_tensor(embedding.rest_frames, **to)
    lengths = torch.as_tensor(embedding.lengths, **to)
    fraction = torch.as_tensor(embedding.disc_fraction, **to)
    root_rot, root_pos = chain_rotations[..., 0, :, :], chain_positions[..., 0, :]
    # 1. Sacrum rigid with the pelvis.
    q = [root_rot]
    pos = [root_pos + (root_rot @ (rest_pos[0] - torch.as_tensor(embedding.root_rest, **to))
                       .unsqueeze(-1)).squeeze(-1)]  # fmt: skip
    half_up = 0.5 * lengths.unsqueeze(-1) * rest_frames[:-1, :, 1]
    half_down = 0.5 * lengths.unsqueeze(-1) * rest_frames[1:, :, 1]
    # 2. Going up the chain, each disc takes its share of its joint(s)' local rotation.
    for k in range(len(embedding.lengths)):
        carried = np.flatnonzero(embedding.disc_carries[k])
        joint_rot = local[..., carried[0], :, :]
        for j in carried[1:]:
            joint_rot = joint_rot @ local[..., j, :, :]
        step = fractional_rotation(joint_rot, fraction[k].expand(joint_rot.shape[:-2]))
        q_next = q[-1] @ step
        pos.append(pos[-1] + (q[-1] @ half_up[k].unsqueeze(-1)).squeeze(-1)
                   + (q_next @ half_down[k].unsqueeze(-1)).squeeze(-1))  # fmt: skip
        q.append(q_next)
    positions = torch.stack(pos, dim=-2)
    frames = torch.stack(q, dim=-3) @ rest_frames
    # 3. Remove the chain/body gap at the cervicothoracic anchor, linearly in arc length.
    anchor = chain_positions[..., embedding.anchor_index, :]
    anchor_rot = chain_rotations[..., embedding.anchor_index, :, :]
    target = anchor + (anchor_rot @ torch.as_tensor(embedding.anchor_offset, **to)
                       .unsqueeze(-1)).squeeze(-1)  # fmt: skip
    q_ct = torch.stack(q, dim=-3)[..., _CT_DISC, :, :]
    chain_ct = positions[..., _CT_DISC, :] + (q_ct @ half_up[_CT_DISC].unsqueeze(-1)).squeeze(-1)
    gap = target - chain_ct
    positions = positions + torch.as_tensor(embedding.arc_fraction, **to).unsqueeze(
        -1
    ) * gap.unsqueeze(-2)
    return positions, frames
