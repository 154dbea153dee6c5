"""humanmovenet.reconstruct: from 2D landmarks + silhouettes of a side view to a dynamic spine.

* :mod:`~humanmovenet.reconstruct.contour` — back contour of the silhouette, curvature features.
* :mod:`~humanmovenet.reconstruct.fit` — batched per-frame fitting of the body model.
* :mod:`~humanmovenet.reconstruct.static` — standing frames → personal spine morphology.
* :mod:`~humanmovenet.reconstruct.static_model` — the learned static model (back contour +
  landmarks of the standing frames → lordosis, kyphosis).
* :mod:`~humanmovenet.reconstruct.regress` — learned per-frame regressor (landmarks + back
  contour → the fit's angles and camera), hundreds of frames/s.
* :mod:`~humanmovenet.reconstruct.temporal` — GCN+LSTM temporal layers (jitter, gaps;
  bidirectional default, causal/streaming), Savitzky–Golay and One-Euro baselines.
* :mod:`~humanmovenet.reconstruct.fuse` — morphology + pose → ``DynamicSpine``; the whole chain
  (:func:`reconstruct_spine`).
"""

from .contour import BackContour, contour_features, extract_back_contour, profile_curvature
from .fit import ANGLE_NAMES, FitConfig, FrameFit, SagittalBody, fit_frames
from .fuse import frame_confidence, fuse_spine, reconstruct_spine
from .regress import load_regressor, regress_frames
from .static import (
    StaticEstimate,
    StaticRefinement,
    estimate_static,
    morphology_angles,
    refine_static,
    standing_frames,
)
from .static_model import (
    ShapeModel,
    StaticModel,
    body_shape_features,
    load_shape_model,
    load_static_model,
    predict_shape,
    predict_static,
    shape_features,
    standing_features,
)
from .temporal import TemporalStream, load_temporal_model, smooth_angles

__all__ = [
    "ANGLE_NAMES",
    "BackContour",
    "FitConfig",
    "FrameFit",
    "SagittalBody",
    "ShapeModel",
    "StaticEstimate",
    "StaticModel",
    "StaticRefinement",
    "TemporalStream",
    "contour_features",
    "estimate_static",
    "extract_back_contour",
    "fit_frames",
    "frame_confidence",
    "body_shape_features",
    "load_regressor",
    "load_shape_model",
    "load_static_model",
    "load_temporal_model",
    "morphology_angles",
    "predict_shape",
    "predict_static",
    "shape_features",
    "fuse_spine",
    "profile_curvature",
    "reconstruct_spine",
    "refine_static",
    "regress_frames",
    "smooth_angles",
    "standing_features",
    "standing_frames",
]
