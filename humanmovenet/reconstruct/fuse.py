"""Fusion: static spine morphology + fitted per-frame pose → ``DynamicSpine``; the whole chain.

The vertebral spine is embedded once in the person's body with the *personal* morphology of
the static step (:mod:`.static`), then posed every frame by the fitted body pose *relative to
standing*: the lumbar and thoracic angles the fit needed in the standing frames are the
morphology itself (they are already in ``morphology``), so they are subtracted before posing
the vertebrae. Standing frames therefore show exactly the personal lordosis and kyphosis; the
motion is the fitted change. Pelvis, hips and everything else are posed as fitted.

Why here and not in ``spine/``: the inputs are this stage's fit results (:class:`FrameFit`,
:class:`StaticEstimate`); ``spine`` stays independent of how a pose was obtained.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import torch

from ..body._lbs import forward_kinematics, rotvec_to_rotmat
from ..body.base import BodyOutput
from ..spine.body import embed_in_body, pose_from_body_output
from ..types import BodyShape, DynamicSpine, Keypoints2D, PoseSequence, Silhouettes
from .contour import extract_back_contour
from .fit import ANGLE_NAMES, FitConfig, FrameFit, SagittalBody, fit_frames
from .static import StaticEstimate, estimate_static, standing_frames

__all__ = ["frame_confidence", "fuse_spine", "reconstruct_spine"]

_LUMBAR, _THORACIC = ANGLE_NAMES.index("lumbar_flexion"), ANGLE_NAMES.index("thoracic_flexion")


def frame_confidence(fit: FrameFit) -> np.ndarray:
    """Per-frame confidence in [0, 1] from landmark visibility and fit residuals.

    ``visibility × exp(−(landmark error / 0.05 L)²) × (0.5 + 0.5 × contour coverage)`` where
    ``L`` is the trunk length: a frame whose landmarks are hidden or badly explained, or whose
    back is not seen, counts less.

    Shapes:
        → (T,).
    """
    kp = np.nan_to_num(fit.keypoint_error, nan=1.0)
    conf = fit.visibility * np.exp(-((kp / 0.05) ** 2)) * (0.5 + 0.5 * fit.contour_coverage)
    return np.clip(np.nan_to_num(conf, nan=0.0), 0.0, 1.0)


def _skeleton(body, rest_joints, body_pose, root, transl) -> BodyOutput:
    """Posed joints and global rotations only (no skinning: the spine needs no vertices)."""
    local = rotvec_to_rotmat(torch.cat([root.unsqueeze(1), body_pose], 1))
    rots, joints = forward_kinematics(local, rest_joints.expand(len(local), -1, -1), body.levels)
    return BodyOutput(torch.empty(0), joints + transl.unsqueeze(1), rots, body.joint_names)


def fuse_spine(
    fit: FrameFit, static: StaticEstimate, body, *, embedding=None, batch_size: int = 1024
) -> DynamicSpine:
    """Build the ``DynamicSpine`` of a fitted video.

    Args:
        fit: the per-frame fit.
        static: the static estimate (morphology and standing offsets).
        body: the anny body the fit used.
        embedding: the spine embedded with ``static.morphology`` in this body (computed if None).
        batch_size: frames per body forward pass.

    Returns:
        The :class:`DynamicSpine` (world frame of the fit; ``pose`` holds the fitted body pose
        with the skin-consistent, not standing-corrected, spine angles).

    Shapes:
        positions (T, 25, 3), frames (T, 25, 3, 3), pelvis_frames (T, 3, 3), hip_flexion (T,).
    """
    betas = torch.as_tensor(np.asarray(fit.betas), dtype=torch.float64).reshape(1, -1)
    emb = embedding or embed_in_body(body, betas, static.morphology)
    layer = SagittalBody(body, betas, emb, dtype=torch.float64)
    angles = torch.as_tensor(fit.angles, dtype=torch.float64).clone()
    angles[:, _LUMBAR] -= static.standing_lumbar_flexion
    angles[:, _THORACIC] -= static.standing_thoracic_flexion
    body_pose, root = layer.pose(angles)
    transl = torch.as_tensor(fit.transl, dtype=torch.float64)
    positions, frames = [], []
    with torch.no_grad():
        rest_joints = body.rest_joints(betas)
        for lo in range(0, fit.num_frames, batch_size):
            hi = min(lo + batch_size, fit.num_frames)
            out = _skeleton(body, rest_joints, body_pose[lo:hi], root[lo:hi], transl[lo:hi])
            pos, fr = pose_from_body_output(emb, body, out)
            positions.append(pos)
            frames.append(fr)
    confidence = frame_confidence(fit)
    pose = PoseSequence(
        body_pose=fit.body_pose,
        root_orient=fit.root_orient,
        transl=fit.transl,
        shape=static.shape,
        fps=fit.fps,
        joint_names=tuple(body.joint_names),
        confidence=confidence,
        frame="world",
    )
    hip = 0.5 * (fit.angle("hip_flexion_left") + fit.angle("hip_flexion_right"))
    return DynamicSpine(
        positions=torch.cat(positions).numpy(),
        frames=torch.cat(frames).numpy(),
        fps=fit.fps,
        confidence=confidence,
        morphology=static.morphology,
        pelvis_frames=rotvec_to_rotmat(torch.as_tensor(fit.root_orient)).numpy(),
        hip_flexion=hip,
        pose=pose,
    )


def _default_stations(contour):
    """The contour if it uses the stations the static model was trained on, else None."""
    from .contour import DEFAULT_STATIONS

    if contour is None or len(contour.stations) != len(DEFAULT_STATIONS):
        return None
    return contour if np.allclose(contour.stations, DEFAULT_STATIONS) else None


#: Lowest frame rate at which the learned path runs the GCN+LSTM (:func:`.temporal.smooth_angles`
#: resamples 8–10 fps into its 10–30 fps range). 8, not 10: on 30 held-out 8 fps rendered bends
#: (the real-pair validation subjects of ``train_temporal``, never trained on) it cut the
#: change-from-standing MAE of lumbar 3.38 → 2.74° (paired −0.64° [−1.15, −0.14]) and hip
#: 3.14 → 2.86°, pelvis 2.71 → 2.69°; at 5 fps a 1 s bend is flattened (docs/temporal.md).
MIN_TEMPORAL_FPS = 8.0


def _learned_frames(keypoints, silhouettes, body, betas, layer, contour, config, facing,
                    temporal: bool, refine_iterations: int) -> FrameFit:  # fmt: skip
    """Regressor → (GCN+LSTM) → FrameFit with the smoothed angles' body pose."""
    import dataclasses

    from .regress import regress_frames
    from .temporal import smooth_angles

    # the regressor's own cached 400-vertex layer is enough for its closed form; the fit's
    # 1,500-vertex layer only for a reprojection refinement
    fit = regress_frames(keypoints, silhouettes, facing=facing, body=body, betas=betas,
                         layer=layer if refine_iterations > 0 else None,
                         contour=_default_stations(contour), focal_px=config.focal_px,
                         refine_iterations=refine_iterations)  # fmt: skip
    if not temporal or fit.fps < MIN_TEMPORAL_FPS:
        # far below the trained frame rates the model would treat a normal bend as jitter (a
        # 1 s bend at 5 fps was flattened to 41 %): the per-frame estimate is returned
        return fit
    confidence = np.clip(np.nan_to_num(fit.visibility, nan=0.0), 0.0, 1.0)
    angles = smooth_angles(fit.angles, confidence, fit.fps)
    with torch.no_grad():
        body_pose, root = layer.pose(torch.as_tensor(angles, dtype=layer.rest_joints.dtype))
    return dataclasses.replace(fit, angles=angles, body_pose=body_pose.double().numpy(),
                               root_orient=root.double().numpy(),
                               transl=_smooth_translation(fit.transl, fit.fps))  # fmt: skip


def _smooth_translation(transl: np.ndarray, fps: float) -> np.ndarray:
    """Savitzky–Golay (order 2, ~1 s window) of the per-frame body translation.

    The regressor's translation comes frame by frame from the trunk's pixel length and
    position, so landmark noise makes the whole body (and every vertebra) jitter; the GCN+LSTM
    smooths the angles only. On a rendered 10 fps bend this cut the vertebrae's mean
    acceleration from 2.97 to 0.54 m/s² (0.5 s window: 1.20). Order 2 follows constant
    accelerations exactly (walking progression, the hip shift of a bend). A clip with a NaN
    frame is left as it is.
    """
    from scipy.signal import savgol_filter

    window = max(7, int(round(fps)) | 1)
    if len(transl) < window or not np.isfinite(transl).all():
        return transl
    return savgol_filter(transl, window, 2, axis=0)


def reconstruct_spine(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes | None,
    body=None,
    *,
    shape: BodyShape | None = None,
    config: FitConfig | None = None,
    facing: Literal["left", "right"] | None = None,
    standing: np.ndarray | None = None,
    learned=True,
    method: Literal["fit", "learned"] | None = None,
    temporal: bool | None = None,
    refine_iterations: int | None = None,
    estimate_shape: bool | None = None,
) -> tuple[DynamicSpine, FrameFit, StaticEstimate]:
    """Reconstruction of one side-view video: per-frame pose → static → fuse.

    Two per-frame methods:

    * ``"learned"`` (default): the learned per-frame regressor (:func:`.regress.regress_frames`),
      then the GCN+LSTM temporal model on its angles (:func:`.temporal.smooth_angles`,
      bidirectional; skipped with ``temporal=False`` or below :data:`MIN_TEMPORAL_FPS` = 8
      frames/s), optionally ``refine_iterations`` of reprojection fitting — hundreds of frames/s;
      on 12 held-out rendered bends with MediaPipe more accurate than the fit (pelvis / lumbar
      / hip change MAE 1.73° / 2.35° / 2.45° vs 3.86° / 3.81° / 4.11°, docs/regressor.md);
    * ``"fit"``: the model-based fit of every frame together (:func:`.fit.fit_frames`,
      ~9 frames/s on one core).

    Args:
        keypoints: MediaPipe landmarks (``pose2d`` output).
        silhouettes: person masks (``pose2d`` output), or None (then no back contour: the
            lumbar/thoracic/pelvis split rests on priors only — not recommended).
        body: the anny body (default ``humanmovenet.body.create("anny")``).
        shape: the person's body shape; None = estimated from the standing frames (see
            ``estimate_shape``), else the average body.
        config: fit settings.
        facing: ``"left"``/``"right"`` if known.
        standing: (T,) bool mask of standing frames (default: detected).
        learned: the static morphology model (:func:`.static.estimate_static`): True = the
            shipped one (needs silhouettes), False = the fit's estimate. With
            ``method="learned"`` and ``config.static_refine_iterations > 0`` the learned
            morphology is then refined by fitting the standing frames
            (:func:`.static.refine_static`, prior weight ``config.static_prior_weight``;
            ``StaticEstimate.method == "learned+fit"``).
        method: ``"fit"`` or ``"learned"`` (above); None = ``config.method``.
        temporal: with ``method="learned"``, smooth the per-frame angles with the GCN+LSTM;
            None = ``config.temporal``.
        refine_iterations: with ``method="learned"``, reprojection iterations after the
            regressor (0 = none); None = ``config.refine_iterations``.
        estimate_shape: with ``shape=None``, estimate the body shape from the standing frames
            with the shipped shape model (:func:`.static_model.predict_shape`; sex, weight,
            muscle, age and proportions — not the absolute size, which one view does not
            give) and reconstruct with it. None = only on the learned path with silhouettes,
            ``learned`` not False and the anny body; True = also with ``method="fit"``;
            False = never (the average body). ``StaticEstimate.shape_method`` says which.

    Returns:
        (DynamicSpine, FrameFit, StaticEstimate); the body shape used is
        ``StaticEstimate.shape`` = ``DynamicSpine.pose.shape`` (betas also in ``FrameFit``).

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, H, W) → positions (T, 25, 3).
    """
    if body is None:
        from ..body import create

        body = create("anny")
    config = config or FitConfig()
    method = config.method if method is None else method
    temporal = config.temporal if temporal is None else temporal
    refine_iterations = config.refine_iterations if refine_iterations is None else refine_iterations
    contour = None
    if silhouettes is not None:
        contour = extract_back_contour(
            silhouettes, keypoints, np.asarray(config.stations), facing=facing
        )
    shape_method = "given" if shape is not None else "average"
    if estimate_shape is None:
        estimate_shape = method == "learned" and learned is not False
    if (
        estimate_shape
        and shape is None
        and silhouettes is not None
        and getattr(body, "backend", None) == "anny"
    ):
        from .static_model import predict_shape

        if standing is None:
            standing = standing_frames(keypoints)
        standing = np.asarray(standing, dtype=bool)
        if standing.shape != (keypoints.num_frames,) or not standing.any():
            raise ValueError(
                f"standing: expected a (T,) = ({keypoints.num_frames},) bool mask with at least "
                "one True."
            )
        shape = predict_shape(keypoints, silhouettes, standing, body=body, facing=facing,
                              contour=_default_stations(contour))  # fmt: skip
        shape_method = "learned"
    betas = None if shape is None else np.asarray(shape.betas, dtype=np.float64)
    layer = SagittalBody(body, betas, max_vertices=config.max_vertices)
    if method == "fit":
        fit = fit_frames(keypoints, silhouettes, body, config=config, facing=facing,
                         layer=layer, contour=contour)  # fmt: skip
    elif method == "learned":
        fit = _learned_frames(keypoints, silhouettes, body, betas, layer, contour, config,
                              facing, temporal, refine_iterations)  # fmt: skip
    else:
        raise ValueError(f"method must be 'fit' or 'learned', got {method!r}.")
    refine = config.static_refine_iterations if method == "learned" else 0
    static = estimate_static(fit, keypoints, layer.embedding.morphology, standing=standing,
                             shape=shape, contour=_default_stations(contour), learned=learned,
                             refine_iterations=refine, prior_weight=config.static_prior_weight,
                             layer=layer, focal_px=config.focal_px)  # fmt: skip
    static = dataclasses.replace(static, shape_method=shape_method)
    return fuse_spine(fit, static, body), fit, static
