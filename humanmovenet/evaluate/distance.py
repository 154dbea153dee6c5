"""Surface and point-set distances: Hausdorff (max and percentile), Chamfer, mean surface
distance — between point sets / spine curves and between triangle meshes.

Definitions (``d(p, B)`` = Euclidean distance from point ``p`` to its nearest point of ``B``):

* one-way distances ``D_AB = {d(a, B) : a ∈ A}`` and ``D_BA = {d(b, A) : b ∈ B}``;
* Hausdorff ``HD = max(max D_AB, max D_BA)`` (symmetric);
* percentile Hausdorff ``HD_q = max(P_q(D_AB), P_q(D_BA))`` (q = 95 → "HD95", the MedPy/MONAI
  convention; ``P_q`` = NumPy's linear-interpolation percentile);
* Chamfer ``CD = ½ (mean D_AB + mean D_BA)`` — **not squared**, two-way, the average of the two
  one-way means (``squared=True`` squares every distance first: ``½(mean D_AB² + mean D_BA²)``;
  note PyTorch3D sums the two means instead of averaging them);
* mean surface distance ``MSD = (Σ D_AB + Σ D_BA) / (|A| + |B|)`` — pooled over both
  directions (the "average symmetric surface distance", ASSD).

Distances are in the unit of the input (metres in humanmovenet); report millimetres with
:func:`humanmovenet.evaluate.to_mm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from ._common import (
    ArrayLike,
    as_array,
    check_same_batch,
    check_trailing,
    finish,
    is_torch,
    to_numpy,
    to_tensor,
)

__all__ = [
    "SurfaceDistances",
    "nearest_neighbor_distances",
    "hausdorff_distance",
    "chamfer_distance",
    "mean_surface_distance",
    "resample_curve",
    "mesh_surface_distances",
    "as_trimesh",
]

_PTS_HINT = "Pass point sets as (..., N, 3) arrays (N may differ between the two sets)."
#: Upper bound on the number of pairwise distances held at once by the torch path (~128 MB f64).
_CDIST_BUDGET = 16_000_000


def _check_point_sets(a: ArrayLike, b: ArrayLike) -> None:
    check_trailing("points_a", a, (None, 3), _PTS_HINT)
    check_trailing("points_b", b, (None, 3), _PTS_HINT)
    check_same_batch("points_a", a, "points_b", b, 2)
    if a.shape[-2] == 0 or b.shape[-2] == 0:
        raise ValueError(
            f"point sets must be non-empty, got shapes {tuple(a.shape)} and {tuple(b.shape)}."
        )


def _nn_numpy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Nearest distances a→b with one cKDTree per batch element (exact, O(N log M))."""
    batch = a.shape[:-2]
    a2 = a.reshape(-1, *a.shape[-2:]).astype(np.float64, copy=False)
    b2 = b.reshape(-1, *b.shape[-2:]).astype(np.float64, copy=False)
    out = np.empty(a2.shape[:2], dtype=np.float64)
    for i in range(a2.shape[0]):  # loop over batch elements only, never over points
        out[i], _ = cKDTree(b2[i]).query(a2[i], k=1)
    return out.reshape(*batch, a.shape[-2])


def _nn_torch(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Nearest distances a→b with chunked ``torch.cdist`` (differentiable, bounded memory)."""
    batch_size = int(np.prod(a.shape[:-2], dtype=np.int64))
    rows = max(1, _CDIST_BUDGET // max(1, batch_size * b.shape[-2]))
    chunks = [
        torch.cdist(a[..., i : i + rows, :], b).amin(dim=-1) for i in range(0, a.shape[-2], rows)
    ]
    return torch.cat(chunks, dim=-1)


def nearest_neighbor_distances(points_a: ArrayLike, points_b: ArrayLike) -> ArrayLike:
    """One-way distances from every point of ``points_a`` to its nearest point of ``points_b``.

    NumPy inputs use a KD-tree (``scipy.spatial.cKDTree``); torch inputs use ``torch.cdist`` in
    row chunks (memory bounded at ~128 MB, differentiable). Both are exact.

    Shapes:
        points_a: (..., N, 3); points_b: (..., M, 3) with the same leading dims;
        returns (..., N) in the input unit.
    """
    points_a, points_b = as_array(points_a), as_array(points_b)
    _check_point_sets(points_a, points_b)
    if is_torch(points_a, points_b):
        return _nn_torch(to_tensor(points_a), to_tensor(points_b))
    return _nn_numpy(to_numpy(points_a), to_numpy(points_b))


@dataclass(frozen=True)
class SurfaceDistances:
    """Both one-way distance sets between two surfaces / point sets, and the metrics on them.

    Attributes:
        a_to_b: distance from each query point of A to surface / point set B.
        b_to_a: distance from each query point of B to A.

    Shapes:
        a_to_b: (..., N); b_to_a: (..., M); every metric property returns (...,).
    """

    a_to_b: np.ndarray
    b_to_a: np.ndarray

    @property
    def hausdorff(self) -> np.ndarray:
        """Symmetric Hausdorff distance ``max(max D_AB, max D_BA)``."""
        return _reduce(self.a_to_b, self.b_to_a, "hausdorff")

    @property
    def hausdorff95(self) -> np.ndarray:
        """``max(P95(D_AB), P95(D_BA))``."""
        return self.hausdorff_percentile(95.0)

    def hausdorff_percentile(self, q: float) -> np.ndarray:
        """``max(P_q(D_AB), P_q(D_BA))`` for q in [0, 100]."""
        return _reduce(self.a_to_b, self.b_to_a, "percentile", q=q)

    @property
    def chamfer(self) -> np.ndarray:
        """``½(mean D_AB + mean D_BA)`` (not squared)."""
        return _reduce(self.a_to_b, self.b_to_a, "chamfer")

    @property
    def chamfer_squared(self) -> np.ndarray:
        """``½(mean D_AB² + mean D_BA²)``."""
        return _reduce(self.a_to_b, self.b_to_a, "chamfer_squared")

    @property
    def mean_surface_distance(self) -> np.ndarray:
        """``(Σ D_AB + Σ D_BA) / (N + M)``."""
        return _reduce(self.a_to_b, self.b_to_a, "msd")


def _reduce(dab: ArrayLike, dba: ArrayLike, kind: str, q: float = 100.0) -> ArrayLike:
    """Reduce one-way distance sets to a metric; works on NumPy and torch, mirrors the type."""
    as_torch = is_torch(dab, dba)
    a, b = to_tensor(dab), to_tensor(dba)
    if kind == "hausdorff":
        out = torch.maximum(a.amax(dim=-1), b.amax(dim=-1))
    elif kind == "percentile":
        if not 0.0 <= q <= 100.0:
            raise ValueError(f"percentile must be in [0, 100], got {q}.")
        out = torch.maximum(
            torch.quantile(a, q / 100.0, dim=-1), torch.quantile(b, q / 100.0, dim=-1)
        )
    elif kind == "chamfer":
        out = 0.5 * (a.mean(dim=-1) + b.mean(dim=-1))
    elif kind == "chamfer_squared":
        out = 0.5 * ((a**2).mean(dim=-1) + (b**2).mean(dim=-1))
    elif kind == "msd":
        out = (a.sum(dim=-1) + b.sum(dim=-1)) / (a.shape[-1] + b.shape[-1])
    else:  # pragma: no cover - internal
        raise ValueError(kind)
    return finish(out, as_torch)


def _both_ways(points_a: ArrayLike, points_b: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    return (
        nearest_neighbor_distances(points_a, points_b),
        nearest_neighbor_distances(points_b, points_a),
    )


def hausdorff_distance(
    points_a: ArrayLike, points_b: ArrayLike, *, percentile: float = 100.0
) -> ArrayLike:
    """Symmetric Hausdorff distance between two point sets (exact nearest neighbours).

    ``percentile=100`` (default) gives ``max(max D_AB, max D_BA)``; ``percentile=95`` gives the
    robust HD95 ``max(P95(D_AB), P95(D_BA))``. For spine curves, resample both with
    :func:`resample_curve` first so the distance does not depend on vertex spacing.

    Args:
        points_a, points_b: point sets in the same unit; their sizes may differ.
        percentile: q in [0, 100].

    Returns:
        Distance in the input unit; type mirrors the input.

    Shapes:
        points_a: (..., N, 3); points_b: (..., M, 3); returns (...,).
    """
    dab, dba = _both_ways(points_a, points_b)
    kind = "hausdorff" if percentile == 100.0 else "percentile"
    return _reduce(dab, dba, kind, q=percentile)


def chamfer_distance(
    points_a: ArrayLike, points_b: ArrayLike, *, squared: bool = False
) -> ArrayLike:
    """Two-way Chamfer distance ``½(mean D_AB + mean D_BA)`` (not squared by default).

    Differentiable for torch inputs (usable as a loss). ``squared=True`` averages squared
    distances instead: ``½(mean D_AB² + mean D_BA²)`` (input unit²).

    Shapes:
        points_a: (..., N, 3); points_b: (..., M, 3); returns (...,).
    """
    dab, dba = _both_ways(points_a, points_b)
    return _reduce(dab, dba, "chamfer_squared" if squared else "chamfer")


def mean_surface_distance(points_a: ArrayLike, points_b: ArrayLike) -> ArrayLike:
    """Average symmetric surface distance ``(Σ D_AB + Σ D_BA) / (N + M)``.

    Shapes:
        points_a: (..., N, 3); points_b: (..., M, 3); returns (...,).
    """
    dab, dba = _both_ways(points_a, points_b)
    return _reduce(dab, dba, "msd")


def resample_curve(points: ArrayLike, num_points: int) -> ArrayLike:
    """Resample a polyline (e.g. vertebra centres S1→C1) to ``num_points`` points equally
    spaced in arc length, endpoints kept (piecewise-linear interpolation).

    Use before curve-to-curve Hausdorff/Chamfer so results measure the curve, not its sampling.

    Shapes:
        points: (..., K, 3) with K ≥ 2; returns (..., num_points, 3).
    """
    points = as_array(points)
    check_trailing("points", points, (None, 3), "Pass a polyline as (..., K, 3).")
    if points.shape[-2] < 2 or num_points < 2:
        raise ValueError(
            f"need K ≥ 2 curve points and num_points ≥ 2, got K={points.shape[-2]}, "
            f"num_points={num_points}."
        )
    p = to_tensor(points)
    seg = torch.linalg.vector_norm(p[..., 1:, :] - p[..., :-1, :], dim=-1)
    cum = torch.cat([torch.zeros_like(seg[..., :1]), torch.cumsum(seg, dim=-1)], dim=-1)
    total = cum[..., -1:]
    if bool((total <= 0).any()):
        raise ValueError("curve has zero length; cannot resample by arc length.")
    u = torch.linspace(0, 1, num_points, dtype=p.dtype, device=p.device)
    s = u * total  # (..., num_points)
    idx = torch.searchsorted(cum.contiguous(), s.contiguous(), right=True) - 1
    idx = idx.clamp(0, p.shape[-2] - 2)
    c0 = torch.gather(cum, -1, idx)
    seg_len = torch.gather(seg, -1, idx).clamp_min(torch.finfo(p.dtype).tiny)
    w = ((s - c0) / seg_len).clamp(0, 1)[..., None]
    gidx = idx[..., None].expand(*idx.shape, 3)
    p0 = torch.gather(p, -2, gidx)
    p1 = torch.gather(p, -2, gidx + 1)
    return finish(p0 + w * (p1 - p0), is_torch(points))


# ----------------------------------------------------------------------------- meshes


def as_trimesh(mesh: trimesh.Trimesh | tuple[ArrayLike, ArrayLike]) -> trimesh.Trimesh:
    """Accept a ``trimesh.Trimesh`` or a ``(vertices (V, 3), faces (F, 3))`` pair.

    The mesh is not modified (``process=False``: no vertex merging or reordering).
    """
    if isinstance(mesh, trimesh.Trimesh):
        return mesh
    if not (isinstance(mesh, tuple | list) and len(mesh) == 2):
        raise ValueError(
            "a mesh must be a trimesh.Trimesh or a (vertices, faces) pair, got "
            f"{type(mesh).__name__}."
        )
    v, f = to_numpy(mesh[0]).astype(np.float64), to_numpy(mesh[1])
    if v.ndim != 2 or v.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
        raise ValueError(
            f"mesh: expected vertices (V, 3) and faces (F, 3), got {v.shape} and {f.shape}. "
            "For a sequence, call once per frame."
        )
    if f.size and (f.min() < 0 or f.max() >= len(v)):
        raise ValueError(f"mesh faces index vertices outside [0, {len(v)}).")
    return trimesh.Trimesh(vertices=v, faces=f.astype(np.int64), process=False)


def _query_points(mesh: trimesh.Trimesh, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    pts = np.asarray(mesh.vertices, dtype=np.float64)
    if num_samples > 0:
        samples, _ = trimesh.sample.sample_surface(mesh, num_samples, seed=rng)
        pts = np.concatenate([pts, np.asarray(samples, dtype=np.float64)], axis=0)
    return pts


def _point_to_surface(points: np.ndarray, mesh: trimesh.Trimesh) -> np.ndarray:
    _, dist, _ = trimesh.proximity.closest_point(mesh, points)
    return np.asarray(dist, dtype=np.float64)


def mesh_surface_distances(
    mesh_a: trimesh.Trimesh | tuple[ArrayLike, ArrayLike],
    mesh_b: trimesh.Trimesh | tuple[ArrayLike, ArrayLike],
    *,
    method: Literal["surface", "vertices"] = "surface",
    num_samples: int = 0,
    seed: int = 0,
) -> SurfaceDistances:
    """Distances between two triangle meshes (any topologies), in both directions.

    Query points of each mesh are its vertices plus ``num_samples`` area-weighted random
    surface points (``seed`` makes them reproducible). Their distance to the other mesh is

    * ``method="surface"`` (default): the exact Euclidean distance to the closest point on the
      other mesh's triangles (``trimesh.proximity.closest_point``, rtree-accelerated).
      Default because it does not depend on how densely the *target* is tessellated: nearest-
      vertex distances overestimate by up to about half an edge length (several mm on a
      14k-vertex body), which is larger than the differences being measured.
    * ``method="vertices"``: distance to the nearest query point of the other mesh
      (KD-tree; ~50× faster, an upper bound of the surface distance).

    Because query points are a finite sample of A, ``hausdorff`` is a lower bound of the true
    surface Hausdorff distance (exact when the maximum is attained at a vertex, e.g. for a
    translated copy); add ``num_samples`` to probe face interiors.

    Args:
        mesh_a, mesh_b: ``trimesh.Trimesh`` or ``(vertices, faces)`` pairs, same unit.
        method: ``"surface"`` or ``"vertices"``.
        num_samples: extra random surface points per mesh (≥ 0).
        seed: seed of those samples.

    Returns:
        :class:`SurfaceDistances` (NumPy) with ``a_to_b`` (N,), ``b_to_a`` (M,) and the
        ``hausdorff``, ``hausdorff95``, ``chamfer``, ``mean_surface_distance`` properties.

    Shapes:
        vertices: (V, 3); faces: (F, 3) int. One mesh pair per call (loop over frames).
    """
    if method not in ("surface", "vertices"):
        raise ValueError(f"method must be 'surface' or 'vertices', got {method!r}.")
    if num_samples < 0:
        raise ValueError(f"num_samples must be ≥ 0, got {num_samples}.")
    ma, mb = as_trimesh(mesh_a), as_trimesh(mesh_b)
    rng = np.random.default_rng(seed)
    qa, qb = _query_points(ma, num_samples, rng), _query_points(mb, num_samples, rng)
    if method == "surface":
        return SurfaceDistances(_point_to_surface(qa, mb), _point_to_surface(qb, ma))
    return SurfaceDistances(_nn_numpy(qa, qb), _nn_numpy(qb, qa))
