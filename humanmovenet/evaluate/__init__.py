"""humanmovenet.evaluate — reconstruction metrics with explicit definitions and units.

The last stage of the flow; it imports nothing from other stages (only ``humanmovenet.types``
may be used), so ``import humanmovenet.evaluate`` works on its own. Every definition, unit and
convention is in the function docstrings and in ``docs/metrics.md``.

Families:

* images: :func:`psnr`, :func:`psnr_frames`, :func:`person_mask`, :func:`silhouette_iou`;
* surfaces / point sets: :func:`hausdorff_distance`, :func:`chamfer_distance`,
  :func:`mean_surface_distance`, :func:`nearest_neighbor_distances`, :func:`resample_curve`,
  :func:`mesh_surface_distances` (→ :class:`SurfaceDistances`);
* volumes: :func:`voxel_iou`, :func:`voxelize_interior`, :func:`shared_voxel_grid`;
* joints / vertices / time / angles: :func:`mpjpe`, :func:`pa_mpjpe`, :func:`pve`,
  :func:`procrustes_align`, :func:`fit_similarity_transform`, :func:`acceleration_error`,
  :func:`jitter`, :func:`angle_mae_deg`, :func:`angle_error_deg`, :func:`wrap_angle`;
* renders: :func:`compare_renders` (→ :class:`RenderComparison`) draws a reconstruction and its
  ground truth with the same camera, material and lights, then scores PSNR and silhouette IoU
  (the only function here that uses another stage, the synthetic engine's renderer; imported
  lazily);
* units: :func:`to_mm`.

Output type: a metric mirrors its input — torch tensors in give tensors out (differentiable for
the pose metrics, Chamfer/Hausdorff on point sets and :func:`resample_curve`), NumPy in gives
``numpy.float64`` scalars / float64 arrays out. Mesh and voxel metrics and
:func:`psnr_frames` always return NumPy.
"""

from .distance import (
    SurfaceDistances,
    as_trimesh,
    chamfer_distance,
    hausdorff_distance,
    mean_surface_distance,
    mesh_surface_distances,
    nearest_neighbor_distances,
    resample_curve,
)
from .image import FrameScores, default_data_range, person_mask, psnr, psnr_frames, silhouette_iou
from .pose import (
    acceleration_error,
    angle_error_deg,
    angle_mae_deg,
    fit_similarity_transform,
    jitter,
    mpjpe,
    pa_mpjpe,
    procrustes_align,
    pve,
    wrap_angle,
)
from .render_compare import EVAL_COLOR, RenderComparison, compare_renders
from .units import MM_PER_UNIT, to_mm
from .voxel import VoxelGrid, shared_voxel_grid, voxel_iou, voxelize_interior

__all__ = [
    # renders
    "EVAL_COLOR",
    "RenderComparison",
    "compare_renders",
    # images
    "FrameScores",
    "default_data_range",
    "person_mask",
    "psnr",
    "psnr_frames",
    "silhouette_iou",
    # surfaces and point sets
    "SurfaceDistances",
    "as_trimesh",
    "chamfer_distance",
    "hausdorff_distance",
    "mean_surface_distance",
    "mesh_surface_distances",
    "nearest_neighbor_distances",
    "resample_curve",
    # volumes
    "VoxelGrid",
    "shared_voxel_grid",
    "voxel_iou",
    "voxelize_interior",
    # joints, vertices, time, angles
    "acceleration_error",
    "angle_error_deg",
    "angle_mae_deg",
    "fit_similarity_transform",
    "jitter",
    "mpjpe",
    "pa_mpjpe",
    "procrustes_align",
    "pve",
    "wrap_angle",
    # units
    "MM_PER_UNIT",
    "to_mm",
]
