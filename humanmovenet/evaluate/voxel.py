"""Volumetric (3D) IoU of two triangle meshes on a shared voxel grid.

Interior test (why not trimesh's ``contains`` or ``voxelized().fill()``): body meshes are often
not watertight (eyes, mouth, cut-off hands), which breaks ``fill`` (a hole wider than a voxel
lets the flood fill leak, leaving the body hollow) and makes single-ray parity wrong along the
rays that pass through a hole. We therefore use **scan-line ray parity along all three grid
axes with a 2-of-3 majority vote** (the voting scheme of Nooruddin & Turk 2003): for every
column of voxel centres parallel to an axis, the crossings with the triangles are found
exactly (vectorised barycentric test on the projected triangles), and a voxel centre is inside
along that axis when an odd number of crossings lies below it. For a watertight mesh the three
axes agree; a hole only corrupts the columns whose ray passes through it, which the vote
removes unless two axes are hit at the same voxel. Cost is linear in (triangles × columns
they cover) + voxels; no per-voxel Python loop.

A voxel counts as inside when its *centre* is inside, so the voxelised volume is unbiased for
smooth shapes; the IoU error is of the order of ``voxel_size × surface area / volume``
(a few % at 1 cm on a body, see ``docs/metrics.md`` for measured accuracy on spheres).
Ray columns pass through the voxel centres shifted by a fixed ~1e-4 voxel so that they never
graze the edges of axis-aligned test meshes exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import trimesh

from ._common import ArrayLike, check_positive
from .distance import as_trimesh

__all__ = ["VoxelGrid", "shared_voxel_grid", "voxelize_interior", "voxel_iou"]

#: Sub-voxel offset of the ray columns (irrational-ish fractions of a voxel, see module doc).
_RAY_OFFSET = np.array([0.41421356, 0.73205081, 0.23606798]) * 1e-4
#: Max (triangle, column) candidate pairs processed at once (bounds memory to ~0.5 GB).
_PAIR_BUDGET = 4_000_000


@dataclass(frozen=True)
class VoxelGrid:
    """An axis-aligned grid of voxel centres ``origin + index · voxel_size``.

    Attributes:
        origin: centre of voxel (0, 0, 0), in the mesh unit.
        voxel_size: edge length of a voxel, in the mesh unit.
        shape: number of voxels along x, y, z.
    """

    origin: np.ndarray
    voxel_size: float
    shape: tuple[int, int, int]


def shared_voxel_grid(*meshes: trimesh.Trimesh, voxel_size: float, pad: int = 1) -> VoxelGrid:
    """The grid covering the union of the meshes' bounding boxes plus ``pad`` voxels."""
    lo = np.min([m.bounds[0] for m in meshes], axis=0)
    hi = np.max([m.bounds[1] for m in meshes], axis=0)
    n = np.ceil((hi - lo) / voxel_size).astype(int) + 1 + 2 * pad
    return VoxelGrid(lo - pad * voxel_size, float(voxel_size), tuple(int(v) for v in n))


def _column_parity(tri: np.ndarray, shape: tuple[int, int, int], axis: int) -> np.ndarray:
    """Inside-by-parity along ``axis`` for every voxel centre.

    ``tri`` holds the triangles in grid coordinates (voxel centre i at coordinate i).
    Returns a bool array of ``shape``.
    """
    # 1. reorder coordinates so that the ray runs along the last one (w); columns are (u, v)
    others = [a for a in range(3) if a != axis]
    order = [*others, axis]
    t = tri[:, :, order]
    nu, nv, nw = shape[others[0]], shape[others[1]], shape[axis]
    off_u, off_v = _RAY_OFFSET[others[0]], _RAY_OFFSET[others[1]]
    # 2. column index range covered by each triangle's projected bounding box
    umin, umax = t[:, :, 0].min(1) - off_u, t[:, :, 0].max(1) - off_u
    vmin, vmax = t[:, :, 1].min(1) - off_v, t[:, :, 1].max(1) - off_v
    i0 = np.clip(np.ceil(umin), 0, nu).astype(np.int64)
    i1 = np.clip(np.floor(umax), -1, nu - 1).astype(np.int64)
    j0 = np.clip(np.ceil(vmin), 0, nv).astype(np.int64)
    j1 = np.clip(np.floor(vmax), -1, nv - 1).astype(np.int64)
    ci, cj = np.maximum(i1 - i0 + 1, 0), np.maximum(j1 - j0 + 1, 0)
    npairs = ci * cj
    counts = np.zeros(nu * nv * (nw + 1), dtype=np.int64)
    # 3. process triangles in chunks of at most _PAIR_BUDGET (triangle, column) pairs
    csum = np.cumsum(npairs)
    start = 0
    while start < len(t):
        done = csum[start - 1] if start else 0
        stop = max(int(np.searchsorted(csum, done + _PAIR_BUDGET, side="right")), start + 1)
        sl = slice(start, stop)
        _accumulate_crossings(
            t[sl], i0[sl], j0[sl], cj[sl], npairs[sl], (off_u, off_v), (nu, nv, nw), counts
        )
        start = stop
    # 4. a centre is inside when an odd number of crossings lies below it on its column
    inside = (np.cumsum(counts.reshape(nu, nv, nw + 1), axis=-1)[..., :nw] % 2).astype(bool)
    return np.moveaxis(inside.reshape(nu, nv, nw), [0, 1, 2], order)


def _accumulate_crossings(t, i0, j0, cj, npairs, offsets, dims, counts) -> None:
    """Add, for each ray column crossing, +1 at the first voxel centre above the crossing."""
    nu, nv, nw = dims
    total = int(npairs.sum())
    if total == 0:
        return
    tri_idx = np.repeat(np.arange(len(t)), npairs)
    k = np.arange(total) - np.repeat(np.cumsum(npairs) - npairs, npairs)
    col_i = i0[tri_idx] + k // cj[tri_idx]
    col_j = j0[tri_idx] + k % cj[tri_idx]
    pu, pv = col_i + offsets[0], col_j + offsets[1]
    a, b, c = t[tri_idx, 0], t[tri_idx, 1], t[tri_idx, 2]
    # 2D barycentric coordinates of the column in the projected triangle
    det = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    ok = np.abs(det) > 1e-12  # triangles parallel to the ray never cross it transversally
    det = np.where(ok, det, 1.0)
    l1 = ((b[:, 1] - c[:, 1]) * (pu - c[:, 0]) + (c[:, 0] - b[:, 0]) * (pv - c[:, 1])) / det
    l2 = ((c[:, 1] - a[:, 1]) * (pu - c[:, 0]) + (a[:, 0] - c[:, 0]) * (pv - c[:, 1])) / det
    l3 = 1.0 - l1 - l2
    hit = ok & (l1 >= 0) & (l2 >= 0) & (l3 >= 0)
    w = l1 * a[:, 2] + l2 * b[:, 2] + l3 * c[:, 2]
    kw = np.clip(np.ceil(w[hit]), 0, nw).astype(np.int64)
    flat = (col_i[hit] * nv + col_j[hit]) * (nw + 1) + kw
    counts += np.bincount(flat, minlength=counts.size)


def voxelize_interior(
    mesh: trimesh.Trimesh | tuple[ArrayLike, ArrayLike],
    grid: VoxelGrid,
    *,
    inside_test: Literal["vote", "parity_z"] = "vote",
) -> np.ndarray:
    """Occupancy of ``grid``: True where the voxel centre is inside ``mesh``.

    Args:
        mesh: ``trimesh.Trimesh`` or ``(vertices (V, 3), faces (F, 3))``.
        grid: the voxel grid (e.g. from :func:`shared_voxel_grid`).
        inside_test: ``"vote"`` (default, parity along x, y and z with a 2-of-3 majority; robust
            to small holes) or ``"parity_z"`` (one axis; 3× faster, exact only for watertight
            meshes).

    Returns:
        Bool occupancy.

    Shapes:
        returns grid.shape = (nx, ny, nz).
    """
    m = as_trimesh(mesh)
    tri = (np.asarray(m.triangles, dtype=np.float64) - grid.origin) / grid.voxel_size
    if inside_test == "parity_z":
        return _column_parity(tri, grid.shape, 2)
    if inside_test != "vote":
        raise ValueError(f"inside_test must be 'vote' or 'parity_z', got {inside_test!r}.")
    votes = sum(_column_parity(tri, grid.shape, ax).astype(np.int8) for ax in range(3))
    return votes >= 2


def voxel_iou(
    mesh_a: trimesh.Trimesh | tuple[ArrayLike, ArrayLike],
    mesh_b: trimesh.Trimesh | tuple[ArrayLike, ArrayLike],
    *,
    voxel_size: float = 0.01,
    inside_test: Literal["vote", "parity_z"] = "vote",
) -> float:
    """Volumetric IoU ``|A ∩ B| / |A ∪ B|`` of two meshes voxelised on one shared grid.

    The grid covers the union of both bounding boxes (plus one voxel) with cubic voxels of
    ``voxel_size`` (default 0.01 = 1 cm for metre meshes); a voxel belongs to a mesh when its
    centre is inside it (see :func:`voxelize_interior` and the module docstring for the
    hole-robust inside test). Both meshes empty-volume → NaN.

    Args:
        mesh_a, mesh_b: ``trimesh.Trimesh`` or ``(vertices, faces)`` pairs in the same unit.
        voxel_size: voxel edge length in the mesh unit.
        inside_test: ``"vote"`` (default) or ``"parity_z"``.

    Returns:
        IoU in [0, 1] (NumPy float64).

    Shapes:
        vertices: (V, 3); faces: (F, 3). One mesh pair per call.
    """
    check_positive("voxel_size", voxel_size, allow_none=False)
    ma, mb = as_trimesh(mesh_a), as_trimesh(mesh_b)
    grid = shared_voxel_grid(ma, mb, voxel_size=voxel_size)
    n_vox = int(np.prod(grid.shape, dtype=np.int64))
    if n_vox > 400_000_000:
        raise ValueError(
            f"voxel grid {grid.shape} has {n_vox} voxels; increase voxel_size (mesh unit "
            f"extent {np.ptp(np.vstack([ma.bounds, mb.bounds]), axis=0)})."
        )
    occ_a = voxelize_interior(ma, grid, inside_test=inside_test)
    occ_b = voxelize_interior(mb, grid, inside_test=inside_test)
    union = np.count_nonzero(occ_a | occ_b)
    inter = np.count_nonzero(occ_a & occ_b)
    return np.float64(inter / union) if union else np.float64("nan")
