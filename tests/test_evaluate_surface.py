"""Tests of humanmovenet.evaluate point-set / mesh distances and volumetric IoU."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from humanmovenet import evaluate as ev
from humanmovenet.evaluate import distance as distance_module

SETTINGS = settings(max_examples=25, deadline=None)


def _cloud(seed: int, n: int = 40) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, 3))


def _grid_points(spacing: float = 1.0) -> np.ndarray:
    g = np.arange(4) * spacing
    return np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)


# ---------------------------------------------------------------- point sets


def test_point_set_metrics_known_values():
    a = np.zeros((1, 3))
    b = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    # D_AB = {0}, D_BA = {0, 3}
    assert ev.hausdorff_distance(a, b) == pytest.approx(3.0)
    assert ev.chamfer_distance(a, b) == pytest.approx(0.5 * (0.0 + 1.5))
    assert ev.chamfer_distance(a, b, squared=True) == pytest.approx(0.5 * (0.0 + 4.5))
    assert ev.mean_surface_distance(a, b) == pytest.approx(3.0 / 3.0)
    # P95 of {0, 3} with linear interpolation = 0.95 * 3
    assert ev.hausdorff_distance(a, b, percentile=95.0) == pytest.approx(2.85)


def test_shifted_well_separated_points_have_hausdorff_equal_to_shift():
    a = _grid_points(1.0)
    shift = np.array([0.06, 0.08, 0.0])  # |shift| = 0.1 ≪ spacing, so partners are the copies
    assert ev.hausdorff_distance(a, a + shift) == pytest.approx(0.1)
    assert ev.chamfer_distance(a, a + shift) == pytest.approx(0.1)


def test_numpy_and_torch_paths_agree_and_mirror_types(monkeypatch):
    a, b = _cloud(0, 50), _cloud(1, 70)
    ref = ev.nearest_neighbor_distances(a, b)
    assert isinstance(ref, np.ndarray) and ref.shape == (50,)
    # a tiny budget forces many cdist chunks: the chunked result must be identical
    monkeypatch.setattr(distance_module, "_CDIST_BUDGET", 100)
    out = ev.nearest_neighbor_distances(torch.tensor(a), torch.tensor(b))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    hd = ev.hausdorff_distance(torch.tensor(a), torch.tensor(b))
    assert isinstance(hd, torch.Tensor)
    assert float(hd) == pytest.approx(ev.hausdorff_distance(a, b))


def test_point_set_metrics_batched_match_loop():
    a = np.random.default_rng(0).normal(size=(3, 20, 3))
    b = np.random.default_rng(1).normal(size=(3, 25, 3))
    for fn in (ev.hausdorff_distance, ev.chamfer_distance, ev.mean_surface_distance):
        batched = fn(a, b)
        assert batched.shape == (3,)
        np.testing.assert_allclose(batched, [fn(a[i], b[i]) for i in range(3)])


def test_point_set_shape_errors():
    with pytest.raises(ValueError, match=r"same leading batch dims.*\(2,\).*\(3,\)"):
        ev.hausdorff_distance(np.zeros((2, 5, 3)), np.zeros((3, 5, 3)))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., \*, 3\), got \(5, 2\)"):
        ev.chamfer_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        ev.chamfer_distance(np.zeros((0, 3)), np.zeros((5, 3)))


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_distance_properties(seed):
    a, b, c = _cloud(seed, 30), _cloud(seed + 1, 20), _cloud(seed + 2, 25)
    hd_ab, hd_ba = ev.hausdorff_distance(a, b), ev.hausdorff_distance(b, a)
    assert hd_ab == pytest.approx(hd_ba)  # symmetric
    assert ev.chamfer_distance(a, b) == pytest.approx(ev.chamfer_distance(b, a))
    assert ev.mean_surface_distance(a, b) == pytest.approx(ev.mean_surface_distance(b, a))
    # Hausdorff is a metric on finite sets: triangle inequality
    assert hd_ab <= ev.hausdorff_distance(a, c) + ev.hausdorff_distance(c, b) + 1e-12
    # ordering of the summaries: 0 ≤ chamfer, MSD, HD95 ≤ HD
    for small in (
        ev.chamfer_distance(a, b),
        ev.mean_surface_distance(a, b),
        ev.hausdorff_distance(a, b, percentile=95.0),
    ):
        assert 0.0 <= small <= hd_ab + 1e-12
    assert ev.hausdorff_distance(a, a) == 0.0


def test_gradcheck_chamfer_and_hausdorff():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(7, 3, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(5, 3, dtype=torch.float64, generator=g)
    assert torch.autograd.gradcheck(lambda x: ev.chamfer_distance(x, b), (a,))
    assert torch.autograd.gradcheck(lambda x: ev.chamfer_distance(x, b, squared=True), (a,))
    assert torch.autograd.gradcheck(lambda x: ev.hausdorff_distance(x, b), (a,))


def test_resample_curve_equal_arc_length():
    # an L-shaped polyline of length 2 (1 along x, then 1 along y)
    curve = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    out = ev.resample_curve(curve, 5)
    expected = [[0, 0, 0], [0.5, 0, 0], [1, 0, 0], [1, 0.5, 0], [1, 1, 0]]
    np.testing.assert_allclose(out, expected, atol=1e-12)
    batched = ev.resample_curve(np.stack([curve, 2 * curve]), 5)
    np.testing.assert_allclose(batched[1], 2 * np.array(expected), atol=1e-12)
    with pytest.raises(ValueError, match="K ≥ 2"):
        ev.resample_curve(curve[:1], 5)


def test_curve_hausdorff_is_independent_of_sampling():
    t = np.linspace(0, 1, 7)[:, None]
    spine = np.hstack([0.02 * np.sin(3 * t), 0.5 * t, 0.03 * t**2])  # (K, 3) vertebra-like
    moved = spine + np.array([0.0, 0.0, 0.004])
    dense_a, dense_b = ev.resample_curve(spine, 400), ev.resample_curve(moved, 400)
    assert ev.hausdorff_distance(dense_a, dense_b) == pytest.approx(0.004, rel=1e-6)


# ---------------------------------------------------------------- meshes


@pytest.fixture(scope="module")
def sphere() -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=3, radius=0.1)


def test_mesh_shifted_by_d_has_hausdorff_d(sphere):
    d = np.array([0.0, 0.003, 0.004])  # |d| = 5 mm
    moved = (sphere.vertices + d, sphere.faces)
    for method in ("surface", "vertices"):
        res = ev.mesh_surface_distances(sphere, moved, method=method)
        assert res.hausdorff == pytest.approx(0.005, rel=1e-6)
        assert 0.0 < res.chamfer < res.hausdorff
        assert res.hausdorff95 <= res.hausdorff
    assert ev.to_mm(res.hausdorff) == pytest.approx(5.0, rel=1e-6)


def test_mesh_surface_method_is_tessellation_independent():
    coarse = trimesh.creation.icosphere(subdivisions=2, radius=0.1)
    fine = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    surf = ev.mesh_surface_distances(fine, coarse, method="surface")
    vert = ev.mesh_surface_distances(fine, coarse, method="vertices")
    # the true surfaces differ by at most the sag of the coarse faces below the sphere
    # (radius − smallest face-plane distance to the centre, ~2 mm); nearest-vertex distances
    # are much larger (up to about a coarse edge / √3).
    plane_dist = np.abs(np.einsum("ij,ij->i", coarse.face_normals, coarse.triangles[:, 0]))
    sag = 0.1 - plane_dist.min()
    assert surf.hausdorff <= sag * 1.05
    assert vert.hausdorff > 1.5 * surf.hausdorff
    assert np.all(surf.a_to_b <= vert.a_to_b + 1e-12)


def test_mesh_samples_are_seeded(sphere):
    other = trimesh.creation.box([0.15, 0.2, 0.2])
    r1 = ev.mesh_surface_distances(sphere, other, num_samples=200, seed=3)
    r2 = ev.mesh_surface_distances(sphere, other, num_samples=200, seed=3)
    assert r1.a_to_b.shape == (len(sphere.vertices) + 200,)
    np.testing.assert_array_equal(r1.a_to_b, r2.a_to_b)
    r12 = ev.mesh_surface_distances(other, sphere, num_samples=0)
    r21 = ev.mesh_surface_distances(sphere, other, num_samples=0)
    assert r12.hausdorff == pytest.approx(r21.hausdorff)  # symmetric


def test_mesh_input_errors(sphere):
    with pytest.raises(ValueError, match=r"vertices \(V, 3\) and faces \(F, 3\)"):
        ev.mesh_surface_distances((np.zeros((2, 10, 3)), sphere.faces), sphere)
    with pytest.raises(ValueError, match="method"):
        ev.mesh_surface_distances(sphere, sphere, method="exact")


# ---------------------------------------------------------------- voxel IoU


def _lens_iou(r: float, d: float) -> float:
    """IoU of two spheres of radius r with centres d apart (d ≤ 2r)."""
    v = 4.0 / 3.0 * math.pi * r**3
    lens = math.pi * (4 * r + d) * (2 * r - d) ** 2 / 12.0
    return lens / (2 * v - lens)


@pytest.mark.parametrize("d", [0.0, 0.05, 0.1, 0.15])
def test_voxel_iou_of_spheres_matches_analytic(d):
    a = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    b = trimesh.Trimesh(a.vertices + [d, 0.0, 0.0], a.faces, process=False)
    iou = ev.voxel_iou(a, b, voxel_size=0.005)
    assert iou == pytest.approx(_lens_iou(0.1, d), abs=0.01)


def test_voxel_iou_boxes_and_disjoint_and_symmetry():
    a = trimesh.creation.box([0.2, 0.3, 0.4])
    b = trimesh.Trimesh(a.vertices + [0.1, 0.0, 0.0], a.faces, process=False)
    assert ev.voxel_iou(a, b, voxel_size=0.01) == pytest.approx(1.0 / 3.0, abs=0.02)
    assert ev.voxel_iou(b, a, voxel_size=0.01) == ev.voxel_iou(a, b, voxel_size=0.01)
    far = trimesh.Trimesh(a.vertices + [1.0, 0.0, 0.0], a.faces, process=False)
    assert ev.voxel_iou(a, far, voxel_size=0.01) == 0.0
    assert ev.voxel_iou(a, a, voxel_size=0.01) == 1.0


def test_voxelized_volume_of_sphere():
    s = trimesh.creation.icosphere(subdivisions=4, radius=0.1)
    grid = ev.shared_voxel_grid(s, voxel_size=0.005)
    occ = ev.voxelize_interior(s, grid)
    volume = occ.sum() * grid.voxel_size**3
    assert volume == pytest.approx(s.volume, rel=0.02)


def test_voxel_vote_survives_holes():
    closed = trimesh.creation.icosphere(subdivisions=3, radius=0.1)
    holey = trimesh.Trimesh(closed.vertices, closed.faces[8:], process=False)  # 8 faces removed
    assert not holey.is_watertight
    assert ev.voxel_iou(closed, holey, voxel_size=0.005) > 0.995


def test_voxel_iou_rejects_bad_voxel_size():
    box = trimesh.creation.box([0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="voxel_size"):
        ev.voxel_iou(box, box, voxel_size=0.0)
    with pytest.raises(ValueError, match="increase voxel_size"):
        ev.voxel_iou(box, box, voxel_size=1e-5)
