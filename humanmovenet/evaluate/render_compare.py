"""Render a reconstruction and its ground truth alike, then compare the images (PSNR, IoU).

PSNR and silhouette IoU between *renders* only mean something when both meshes are drawn with
the same camera, material, lights and background; otherwise the score measures the shading.
:func:`compare_renders` fixes all of that: one :class:`~humanmovenet.synth.render.Renderer`
(VTK offscreen, the synthetic engine's renderer), the given camera, one uniform grey material
(:data:`EVAL_COLOR`), the default :class:`~humanmovenet.synth.render.Lighting` and a black
background, for both meshes in every frame.

This is the one module of :mod:`humanmovenet.evaluate` that uses another stage: it imports the
renderer lazily, so the rest of ``evaluate`` still imports on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .image import psnr, silhouette_iou

__all__ = ["EVAL_COLOR", "RenderComparison", "compare_renders"]

#: Uniform material of both meshes (RGB in [0, 1]): mid grey, so shading differences show.
EVAL_COLOR = (0.7, 0.7, 0.7)


@dataclass(frozen=True, eq=False)
class RenderComparison:
    """Per-frame image scores of a reconstruction against its ground truth.

    Attributes:
        psnr_db: PSNR of the whole RGB image (uint8, ``data_range`` 255), dB; ``inf`` for
            identical renders.
        psnr_person_db: PSNR over the union of both silhouettes only (background excluded, so
            the score does not grow with the empty image area), dB.
        silhouette_iou: IoU of the two rendered silhouettes (1 = identical).
        pred_rgb, gt_rgb: the renders, if ``keep_images`` was set, else None.

    Shapes:
        psnr_db, psnr_person_db, silhouette_iou: (T,); pred_rgb, gt_rgb: (T, H, W, 3) uint8.
    """

    psnr_db: np.ndarray
    psnr_person_db: np.ndarray
    silhouette_iou: np.ndarray
    pred_rgb: np.ndarray | None = None
    gt_rgb: np.ndarray | None = None

    def summary(self) -> dict[str, float]:
        """Means over frames (PSNR means over finite frames; ``inf`` if every frame is exact)."""

        def mean_db(x: np.ndarray) -> float:
            finite = x[np.isfinite(x)]
            return float(finite.mean()) if finite.size else float(np.inf)

        return {
            "psnr_db": mean_db(self.psnr_db),
            "psnr_person_db": mean_db(self.psnr_person_db),
            "silhouette_iou": float(np.mean(self.silhouette_iou)),
            "frames": int(len(self.silhouette_iou)),
        }


def _frames(name: str, vertices: np.ndarray) -> np.ndarray:
    v = np.asarray(vertices, dtype=np.float64)
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3 or v.shape[-1] != 3:
        raise ValueError(f"{name}: expected (T, V, 3) or (V, 3) vertices in metres, got {v.shape}.")
    if not np.isfinite(v).all():
        raise ValueError(f"{name}: vertices hold NaN or inf; remove or fill those frames first.")
    return v


def compare_renders(
    pred_vertices: np.ndarray,
    gt_vertices: np.ndarray,
    faces: np.ndarray,
    camera,  # humanmovenet.synth.camera.Camera (or a list of them, one per frame)
    *,
    gt_faces: np.ndarray | None = None,
    keep_images: bool = False,
    renderer=None,  # an open humanmovenet.synth.render.Renderer to reuse
) -> RenderComparison:
    """Render both meshes identically with ``camera`` and score the images frame by frame.

    Args:
        pred_vertices: reconstructed mesh vertices, metres, world frame of the camera.
        gt_vertices: ground-truth mesh vertices, same frame.
        faces: triangles of the reconstruction's mesh.
        camera: one :class:`~humanmovenet.synth.camera.Camera` for all frames, or a sequence
            of T cameras.
        gt_faces: triangles of the ground-truth mesh if its topology differs (default
            ``faces``).
        keep_images: also return the renders.
        renderer: an open ``Renderer`` to reuse (else one is created and closed here).

    Returns:
        A :class:`RenderComparison`.

    Raises:
        ValueError: different frame counts, malformed vertices (NaN/inf, wrong shape), a
            camera count that is neither 1 nor T, or a mesh behind the camera.

    Shapes:
        pred_vertices: (T, V, 3) or (V, 3); gt_vertices: (T, V', 3) or (V', 3);
        faces: (F, 3); gt_faces: (F', 3).
    """
    from humanmovenet.synth.render import Lighting, Renderer

    pred = _frames("pred_vertices", pred_vertices)
    gt = _frames("gt_vertices", gt_vertices)
    if len(pred) != len(gt):
        raise ValueError(
            f"compare_renders: {len(pred)} predicted frames but {len(gt)} ground-truth frames; "
            "give the same frames for both."
        )
    cameras = list(camera) if isinstance(camera, list | tuple) else [camera] * len(pred)
    if len(cameras) != len(pred):
        raise ValueError(f"compare_renders: {len(cameras)} cameras for {len(pred)} frames.")
    gt_faces = faces if gt_faces is None else gt_faces
    own = renderer is None
    renderer = Renderer(cameras[0].width, cameras[0].height) if own else renderer
    lighting = Lighting()
    scores = np.zeros((3, len(pred)))
    kept: tuple[list, list] = ([], [])
    try:
        for t, (p, g, cam) in enumerate(zip(pred, gt, cameras, strict=True)):
            a = renderer.render(p, faces, cam, EVAL_COLOR, (0, 0, 0), lighting, with_depth=False)
            b = renderer.render(g, gt_faces, cam, EVAL_COLOR, (0, 0, 0), lighting, with_depth=False)
            union = a.silhouette | b.silhouette
            scores[0, t] = psnr(a.rgb, b.rgb, has_channels=True)
            scores[1, t] = (
                psnr(a.rgb, b.rgb, has_channels=True, mask=union) if union.any() else np.nan
            )
            scores[2, t] = silhouette_iou(a.silhouette, b.silhouette)
            if keep_images:
                kept[0].append(a.rgb)
                kept[1].append(b.rgb)
    finally:
        if own:
            renderer.close()
    images = (np.stack(kept[0]), np.stack(kept[1])) if keep_images else (None, None)
    return RenderComparison(scores[0], scores[1], scores[2], *images)
