"""Embed the vertebral spine in a body model and pose it from body-model outputs.

The body model's spine bones tell where the trunk bends but not where the vertebral bodies lie in
depth (anny's spine bones run 2–4 cm under the back skin, near the spinous processes). The
vertebral curve is therefore placed by the body's *surface*: along the mid-sagittal line, each
vertebral centre is put at an anatomical fraction of the local front–back depth of the trunk,
measured from the back skin. Fractions (our approximation from cross-sectional anatomy of average
adults): sacrum/lumbar 0.36, T12 0.33, mid-thoracic (T6) 0.27, T1 0.32, cervical 0.42. The depth
is that of the first solid section a front-going ray crosses (at neck height the chin lies
further forward and is not counted). Two
parameters (a front–back shift at each end of the L5/S1 → C7/T1 chord) are fitted by least
squares; lordosis, kyphosis and lateral deviation stay as requested (``embed.embed_spine``).
"""

from __future__ import annotations

import numpy as np
import torch
import trimesh
from scipy.optimize import least_squares

from ..types import VERTEBRA_NAMES, SpineMorphology
from .embed import SpineEmbedding, embed_spine, pose_spine

__all__ = [
    "DEPTH_FRACTIONS",
    "embed_in_body",
    "pose_from_body_output",
    "depth_fractions",
]

_ANCHORS = {  # backend -> (lumbosacral joint, cervicothoracic joint)
    "anny": ("spine05", "neck01"),
    "smpl": ("spine1", "neck"),
    "smplx": ("spine1", "neck"),
}


def _depth_fraction_table() -> np.ndarray:
    knots = {"S1": 0.36, "L1": 0.36, "T12": 0.33, "T6": 0.27, "T1": 0.32, "C7": 0.42, "C1": 0.42}
    idx = [VERTEBRA_NAMES.index(n) for n in knots]
    return np.interp(np.arange(len(VERTEBRA_NAMES)), idx, list(knots.values()))


#: Target depth of each vertebral centre as a fraction of the local trunk/neck depth from the
#: back skin (0 = back skin, 1 = front skin), S1 … C1.
DEPTH_FRACTIONS: np.ndarray = _depth_fraction_table()


def _sagittal_profile(vertices: np.ndarray, faces: np.ndarray, heights: np.ndarray):
    """Back and front skin z along the mid-sagittal line (x = 0) at the given heights."""
    # Rays run in the plane x = 0: only triangles spanning it can be hit (a few hundred of the
    # body's ~28k), which makes the ray index ~50× cheaper to build with identical hits.
    fx = vertices[faces, 0]
    faces = faces[(fx.min(axis=1) <= 1e-9) & (fx.max(axis=1) >= -1e-9)]
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    z0 = vertices[:, 2].min() - 0.5
    origins = np.stack([np.zeros_like(heights), heights, np.full_like(heights, z0)], axis=1)
    dirs = np.tile([0.0, 0.0, 1.0], (len(heights), 1))
    loc, ray_idx, _ = mesh.ray.intersects_location(origins, dirs, multiple_hits=True)
    back = np.full(len(heights), np.nan)
    front = np.full(len(heights), np.nan)
    for i in range(len(heights)):  # a few dozen rays
        z = np.sort(loc[ray_idx == i, 2])
        if len(z) >= 2:  # entering and leaving the first solid section (neck, not the chin)
            back[i], front[i] = z[0], z[1]
    return back, front


def depth_fractions(positions: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Depth of each vertebral centre as a fraction of the local front–back body depth.

    0 is the back skin and 1 the front skin of the first solid section crossed by a ray parallel
    to +z through the centre's height on the mid-sagittal line; values outside [0, 1] mean the centre is outside the body.
    NaN where the ray misses the body.

    Shapes:
        positions: (K, 3); vertices: (V, 3); faces: (F, 3) → (K,).
    """
    back, front = _sagittal_profile(vertices, faces, positions[:, 1])
    return (positions[:, 2] - back) / (front - back)


def embed_in_body(
    body, betas: torch.Tensor | np.ndarray, morphology: SpineMorphology | None = None
) -> SpineEmbedding:
    """Embed a spine of the given morphology in a body model's rest pose.

    Args:
        body: a :class:`humanmovenet.body.BodyModel`.
        betas: the body's shape.
        morphology: static spine morphology; default: ``SpineMorphology()`` (population means).

    Returns:
        The ``SpineEmbedding`` (its ``morphology`` is measured on the embedded curve).

    Shapes:
        betas: (S,) or (1, S).
    """
    morphology = morphology or SpineMorphology()
    betas = torch.as_tensor(betas, dtype=torch.float64).reshape(1, -1)
    with torch.no_grad():
        inputs = body.zero_inputs(1, dtype=torch.float64)
        inputs["betas"] = betas
        rest = body(**inputs)
    joints = rest.joints[0].numpy()
    verts = rest.vertices[0].numpy()
    faces = body.faces.cpu().numpy() if torch.is_tensor(body.faces) else np.asarray(body.faces)
    chain_idx = list(body.spine_chain_indices())
    chain = joints[chain_idx]
    names = body.spine_chain()
    ls_name, ct_name = _ANCHORS[body.backend]
    ls0, ct0 = joints[body.joint_index(ls_name)], joints[body.joint_index(ct_name)]
    anchor = names.index(ct_name)
    back, front = None, None

    def build(shift: np.ndarray) -> SpineEmbedding:
        ls = ls0 + np.array([0.0, 0.0, shift[0]])
        ct = ct0 + np.array([0.0, 0.0, shift[1]])
        return embed_spine(chain, names, morphology, ls, ct, anchor)

    # 1. Skin profile at the heights the spine occupies (fixed: shifts are front–back only).
    first = build(np.zeros(2))
    heights = first.rest_positions[:, 1]
    back, front = _sagittal_profile(verts, faces, heights)
    if np.any(np.isnan(back)):
        raise ValueError(
            "could not measure the body's front–back depth along the spine (a ray missed the "
            "mesh); is this a closed body mesh in the rest pose?"
        )

    # 2. Fit the two front–back shifts to the anatomical depth fractions.
    def residual(shift: np.ndarray) -> np.ndarray:
        z = build(shift).rest_positions[:, 2]
        return (z - back) / (front - back) - DEPTH_FRACTIONS

    fit = least_squares(residual, np.zeros(2), diff_step=1e-3)
    return build(fit.x)


def pose_from_body_output(
    embedding: SpineEmbedding, body, output
) -> tuple[torch.Tensor, torch.Tensor]:
    """Vertebra positions and frames for a posed body.

    Args:
        embedding: from :func:`embed_in_body` for the same body and shape.
        body: the :class:`humanmovenet.body.BodyModel` that produced ``output``.
        output: its :class:`humanmovenet.body.BodyOutput`.

    Returns:
        positions (B, K, 3) and frames (B, K, 3, 3).
    """
    idx = torch.tensor(body.spine_chain_indices())
    return pose_spine(
        embedding,
        output.joint_rotations.index_select(-3, idx),
        output.joints.index_select(-2, idx),
    )


def spine_joint_rotations(
    embedding: SpineEmbedding,
    lumbar_flexion: torch.Tensor | float,
    thoracic_flexion: torch.Tensor | float = 0.0,
    lumbar_lateral: torch.Tensor | float = 0.0,
    thoracic_lateral: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """Local rotations of the body's spine-chain joints that produce the requested spine angles.

    The lumbar angles are spread over L5/S1…L1/L2 (and T12/L1, which moves with the lumbar
    spine) by the OpenSim ratios, the thoracic ones over T11/T12…T1/T2; each body joint then
    gets the sum of its discs' angles (``SpineEmbedding.disc_joint``), which ``pose_spine``
    shares out again by the same weights. The L1–S1 angle is reproduced exactly; where a body
    joint's discs straddle two regions, the thoracic angle is met to within a few tenths of a
    degree (the ground truth is always *measured* on the posed spine).

    Args:
        embedding: the subject's embedding (gives the disc → joint assignment).
        lumbar_flexion: L1–S1 flexion (+) / extension (−) from the rest pose, radians.
        thoracic_flexion: T1–T12 flexion from the rest pose, radians.
        lumbar_lateral, thoracic_lateral: lateral bending (to the person's left +), radians.

    Returns:
        Axis-angle rotations of the chain joints 1…C-1 (root excluded), in chain order.

    Shapes:
        each angle: () or (T,) → (T, C-1, 3) (T = 1 for scalars).
    """
    from . import anatomy
    from .chain import disc_rotations

    angles = [torch.as_tensor(a, dtype=torch.float64).reshape(-1) for a in
              (lumbar_flexion, thoracic_flexion, lumbar_lateral, thoracic_lateral)]  # fmt: skip
    t = max(a.shape[0] for a in angles)
    lum_f, tho_f, lum_l, tho_l = (a.expand(t) for a in angles)
    w = torch.as_tensor(anatomy.flexion_weights(), dtype=torch.float64)
    names = anatomy.DISC_NAMES
    lumbar = torch.tensor([n in anatomy.LUMBAR_DISCS for n in names])
    thoracolumbar = torch.tensor([n == "T12/L1" for n in names])
    thoracic = torch.tensor([n in anatomy.THORACIC_DISCS for n in names])
    lumbar_share = (lumbar | thoracolumbar) * w / (w * lumbar).sum()
    thoracic_share = thoracic * w / (w * thoracic).sum()
    disc_sag = lum_f[:, None] * lumbar_share + tho_f[:, None] * thoracic_share
    disc_lat = lum_l[:, None] * lumbar_share + tho_l[:, None] * thoracic_share
    owner = torch.as_tensor(embedding.disc_joint)
    c = len(embedding.chain_names)
    joint_sag = torch.zeros(t, c, dtype=torch.float64).index_add(1, owner, disc_sag)[:, 1:]
    joint_lat = torch.zeros(t, c, dtype=torch.float64).index_add(1, owner, disc_lat)[:, 1:]
    import roma

    return roma.rotmat_to_rotvec(disc_rotations(joint_sag, joint_lat))
