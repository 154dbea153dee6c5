"""Learned per-frame regressor: 2D landmarks + back contour → the sagittal pose of :mod:`.fit`.

The model-based fit (:func:`.fit.fit_frames`) optimises every frame against the observations
(~9 frames/s). This module maps each frame's observations directly to the fit's pose state
(:data:`.fit.ANGLE_NAMES`) with a small MLP trained on synthetic data
(``humanmovenet/train/train_regressor.py``), then fills a complete :class:`.fit.FrameFit`
(translation by a closed form, camera yaw/pitch from the network, residuals) so that
:func:`.fuse.fuse_spine` can consume it. ``refine_iterations > 0`` runs a short reprojection
fit (L-BFGS) initialised with the regressor's output.

Inputs per frame (:func:`frame_features`), all scale- and translation-free:

1. the 33 landmarks relative to the hip midpoint, in units of the trunk length (hip midpoint →
   shoulder midpoint, pixels), with the image's own orientation kept (the camera is assumed
   level, so the trunk's inclination is information); a person facing image-left is mirrored
   (x → −x, left ↔ right landmark labels swapped) so the network always sees a person facing
   image-right with the right side nearest the camera; missing landmarks are 0 with
   visibility 0;
2. the 33 visibilities;
3. the back-contour features of :func:`.contour.contour_features` (2N + 4 = 68 values for the
   default 32 stations) with NaN replaced by 0, plus a 0/1 mask of which ones are defined.
   ``use_contour=False`` selects the ablation model that never sees (3).

Outputs: the 12 angles (radians) and the camera's yaw and pitch (radians, the convention of
:func:`.fit.side_camera_rotation`), in the canonical (facing-right) frame; they are mapped back
(left ↔ right angles swapped, yaw and pitch negated) for a person facing image-left.
"""

from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from typing import Literal

import numpy as np
import torch

from ..types import MEDIAPIPE_LANDMARK_NAMES, Keypoints2D, Silhouettes
from .contour import DEFAULT_STATIONS, BackContour, contour_features, extract_back_contour
from .contour import facing_sign as _facing_sign
from .fit import (
    ANGLE_NAMES,
    FitConfig,
    FrameFit,
    SagittalBody,
    _model_profile,
    _nearest_valid,
    _observations,
    _project,
    _torch_threads,
    fit_frames,
    side_camera_rotation,
)

__all__ = [
    "REGRESSOR_FILENAME",
    "REGRESSOR_SHA256",
    "OUTPUT_NAMES",
    "FrameRegressor",
    "RegressorBundle",
    "frame_features",
    "feature_size",
    "load_regressor",
    "regress_frames",
]

REGRESSOR_FILENAME = "regressor_frame.pt"
_ENV = "HUMANMOVENET_REGRESSOR_FRAME"
#: sha256 of the shipped ``weights/regressor_frame.pt`` (update after retraining).
REGRESSOR_SHA256 = "82f90ad659bb34276c83e54e53cc7a65a850e6db682c278086c804eee89b162a"
_FORMAT = "humanmovenet.regressor_frame"
FEATURE_VERSION = 1

#: Network outputs: the fit's angles, then camera yaw and pitch (radians).
OUTPUT_NAMES: tuple[str, ...] = ANGLE_NAMES + ("camera_yaw", "camera_pitch")

_N = len(MEDIAPIPE_LANDMARK_NAMES)
_MIRROR = np.array(
    [
        MEDIAPIPE_LANDMARK_NAMES.index(
            n.replace("left", "\0").replace("right", "left").replace("\0", "right")
        )
        for n in MEDIAPIPE_LANDMARK_NAMES
    ]
)
# Output permutation for a mirrored person: left ↔ right angles.
_OUT_MIRROR = np.array(
    [
        OUTPUT_NAMES.index(n.replace("left", "\0").replace("right", "left").replace("\0", "right"))
        for n in OUTPUT_NAMES
    ]
)
_HIP = [MEDIAPIPE_LANDMARK_NAMES.index(n) for n in ("left_hip", "right_hip")]
_SHOULDER = [MEDIAPIPE_LANDMARK_NAMES.index(n) for n in ("left_shoulder", "right_shoulder")]
_CLIP = 5.0


def feature_size(use_contour: bool = True, num_stations: int = len(DEFAULT_STATIONS)) -> int:
    """Length of the :func:`frame_features` vector."""
    base = 3 * _N
    return base + (2 * (2 * num_stations + 4) if use_contour else 0)


def frame_features(
    keypoints: Keypoints2D,
    contour: BackContour | None = None,
    *,
    facing: Literal["left", "right"] | None = None,
    use_contour: bool = True,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-frame input features of the regressor (module docstring).

    Args:
        keypoints: the landmarks (pixels).
        contour: the back contour of the same frames (:func:`.contour.extract_back_contour`);
            None = no silhouette (contour features 0 with mask 0).
        facing: ``"left"``/``"right"`` if known, else read from the keypoints.
        use_contour: include the contour block (False = the ablation model's input).

    Returns:
        (features float32, ok, facing sign): ``ok`` is False where hips or shoulders are
        missing (those rows are zeros).

    Shapes:
        keypoints.data: (T, 33, 3) → features (T, F) with F = :func:`feature_size`, ok (T,).
    """
    if not isinstance(keypoints, Keypoints2D):
        raise ValueError(f"keypoints must be a Keypoints2D, got {type(keypoints).__name__}.")
    if tuple(keypoints.landmark_names) != MEDIAPIPE_LANDMARK_NAMES:
        raise ValueError("keypoints must use MediaPipe's 33-landmark layout (pose2d output).")
    sign = _facing_sign(keypoints, facing)
    data = np.asarray(keypoints.data, dtype=np.float64)
    xy, vis = data[..., :2].copy(), data[..., 2].copy()
    if sign < 0:
        xy[..., 0] = -xy[..., 0]
        xy, vis = xy[:, _MIRROR], vis[:, _MIRROR]
    hip = xy[:, _HIP].mean(1)
    chord = xy[:, _SHOULDER].mean(1) - hip
    length = np.linalg.norm(chord, axis=-1)
    ok = np.isfinite(length) & (length > 1.0)
    safe = np.where(ok, length, 1.0)
    rel = (xy - np.where(ok[:, None], hip, 0.0)[:, None]) / safe[:, None, None]
    seen = np.isfinite(rel).all(-1) & ok[:, None]
    rel = np.clip(np.where(seen[..., None], rel, 0.0), -_CLIP, _CLIP)
    vis = np.where(seen, np.clip(np.nan_to_num(vis, nan=0.0), 0.0, 1.0), 0.0)
    parts = [rel.reshape(len(rel), -1), vis]
    if use_contour:
        if contour is None:
            n = 2 * len(DEFAULT_STATIONS) + 4
            cf = np.full((len(rel), n), np.nan)
        else:
            if contour.depth.shape[0] != keypoints.num_frames:
                raise ValueError(
                    f"contour has {contour.depth.shape[0]} frames but keypoints has "
                    f"{keypoints.num_frames}; pass the contour of the same frames."
                )
            cf = contour_features(contour)
        defined = np.isfinite(cf) & ok[:, None]
        parts += [np.clip(np.where(defined, cf, 0.0), -_CLIP, _CLIP), defined.astype(np.float64)]
    feats = np.concatenate(parts, axis=-1)
    feats[~ok] = 0.0
    return feats.astype(np.float32), ok, sign


class FrameRegressor(torch.nn.Module):
    """MLP from :func:`frame_features` to :data:`OUTPUT_NAMES` (standardised inputs/outputs).

    Args:
        in_dim: feature length.
        hidden: width of the hidden layers.
        depth: number of hidden layers.

    Shapes:
        forward: (B, in_dim) → (B, len(OUTPUT_NAMES)) radians.
    """

    def __init__(self, in_dim: int, hidden: int = 256, depth: int = 3) -> None:
        super().__init__()
        if in_dim < 1 or hidden < 1 or depth < 1:
            raise ValueError(
                f"FrameRegressor: sizes must be >= 1, got {in_dim}, {hidden}, {depth}."
            )
        self.in_dim, self.hidden, self.depth = int(in_dim), int(hidden), int(depth)
        out = len(OUTPUT_NAMES)
        self.register_buffer("x_mean", torch.zeros(in_dim))
        self.register_buffer("x_std", torch.ones(in_dim))
        self.register_buffer("y_mean", torch.zeros(out))
        self.register_buffer("y_std", torch.ones(out))
        layers: list[torch.nn.Module] = []
        d = in_dim
        for _ in range(depth):
            layers += [torch.nn.Linear(d, hidden), torch.nn.LayerNorm(hidden), torch.nn.SiLU()]
            d = hidden
        layers.append(torch.nn.Linear(d, out))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.net((x - self.x_mean) / self.x_std)
        return z * self.y_std + self.y_mean


class RegressorBundle:
    """The two shipped networks: with back contour (default) and without (ablation).

    Attributes:
        models: ``{"contour": FrameRegressor, "no_contour": FrameRegressor}``.
        meta: training metadata stored in the file (strings and numbers).
    """

    def __init__(self, models: dict[str, FrameRegressor], meta: dict | None = None) -> None:
        if not models:
            raise ValueError("RegressorBundle needs at least one model.")
        self.models = models
        self.meta = dict(meta or {})

    def get(self, use_contour: bool) -> FrameRegressor:
        key = "contour" if use_contour else "no_contour"
        if key not in self.models:
            raise ValueError(f"this regressor file has no {key!r} model; retrain with both.")
        return self.models[key]

    def to_dict(self) -> dict:
        return {
            "format": _FORMAT,
            "feature_version": FEATURE_VERSION,
            "output_names": list(OUTPUT_NAMES),
            "meta": self.meta,
            "models": {
                k: {
                    "in_dim": m.in_dim,
                    "hidden": m.hidden,
                    "depth": m.depth,
                    "state": m.state_dict(),
                }  # fmt: skip
                for k, m in self.models.items()
            },
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        from .._atomic import atomic_open

        with atomic_open(path, "wb") as fh:
            torch.save(self.to_dict(), fh)

    @classmethod
    def from_dict(cls, data: dict) -> RegressorBundle:
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not a {_FORMAT} file (wrong or missing 'format').")
        if data.get("feature_version") != FEATURE_VERSION:
            raise ValueError(
                f"regressor file has feature version {data.get('feature_version')}, this code "
                f"computes version {FEATURE_VERSION}; retrain with train_regressor."
            )
        if list(data.get("output_names", [])) != list(OUTPUT_NAMES):
            raise ValueError("regressor file predicts different outputs; retrain it.")
        models = {}
        for key, spec in data["models"].items():
            m = FrameRegressor(int(spec["in_dim"]), int(spec["hidden"]), int(spec["depth"]))
            m.load_state_dict(spec["state"])
            m.eval()
            models[key] = m
        return cls(models, data.get("meta", {}))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RegressorBundle:
        return cls.from_dict(torch.load(path, map_location="cpu", weights_only=True))


_LOADED: dict[str, RegressorBundle] = {}


def load_regressor(path: str | os.PathLike[str] | None = None) -> RegressorBundle:
    """The shipped regressors (or a file given by ``path`` / ``$HUMANMOVENET_REGRESSOR_FRAME``).

    Resolution by :func:`humanmovenet._paths.resolve_weight`; the shipped file's sha256 is
    checked against :data:`REGRESSOR_SHA256`. Loaded with ``torch.load(weights_only=True)``
    and cached per path.

    Raises:
        FileNotFoundError: no file found. ValueError: corrupt or incompatible file.
    """
    from .._paths import resolve_weight, sha256_of

    found = resolve_weight(REGRESSOR_FILENAME, path=path, env_var=_ENV, sha256=REGRESSOR_SHA256,
                           what="per-frame pose regressor")  # fmt: skip
    key = f"{found}:{sha256_of(found)}"
    if key not in _LOADED:
        _LOADED[key] = RegressorBundle.load(found)
    return _LOADED[key]


_LAYERS: OrderedDict = OrderedDict()


_LIGHT_VERTICES = 400  # back-outline vertices for the closed form (residuals only)


def _layer_for(body, betas, max_vertices: int) -> SagittalBody:
    """A cached :class:`SagittalBody` per (body, shape, vertices): building one costs ~0.4 s."""
    b = np.zeros(body.num_betas) if betas is None else np.asarray(betas, np.float64).reshape(-1)
    key = (id(body), b.tobytes(), int(max_vertices))
    if key not in _LAYERS:
        _LAYERS[key] = SagittalBody(body, b, max_vertices=int(max_vertices))
        while len(_LAYERS) > 4:
            _LAYERS.popitem(last=False)
    _LAYERS.move_to_end(key)
    return _LAYERS[key]


_BODY = None


def _default_body():
    global _BODY
    if _BODY is None:
        from ..body import create

        _BODY = create("anny")
    return _BODY


def predict_outputs(
    features: np.ndarray, ok: np.ndarray, sign: int, model: FrameRegressor
) -> np.ndarray:
    """Run the network and map canonical outputs back to the person's facing direction.

    Frames without a trunk (``ok`` False) take the output of the nearest valid frame.

    Shapes:
        features: (T, F); ok: (T,) → (T, len(OUTPUT_NAMES)) radians.
    """
    if features.ndim != 2 or features.shape[1] != model.in_dim:
        raise ValueError(
            f"features: expected (T, {model.in_dim}) for this model, got {features.shape}; "
            "use_contour must match the model."
        )
    if not ok.any():
        raise ValueError("no frame has both hips and both shoulders detected; cannot regress.")
    with torch.no_grad():
        out = model(torch.from_numpy(features)).double().numpy()
    out = out[_nearest_valid(ok)]
    if sign < 0:
        out = out[:, _OUT_MIRROR]
        out[:, -2:] = -out[:, -2:]
    return out


_BLOCK = 1024  # frames per closed-form body pass


def _slice_obs(obs, lo: int, n: int):
    """The observations of frames lo … lo + n (every per-frame tensor field sliced)."""
    t = obs.xy.shape[0]
    fields = {}
    for f in dataclasses.fields(obs):
        v = getattr(obs, f.name)
        fields[f.name] = v[lo : lo + n] if torch.is_tensor(v) and v.ndim and v.shape[0] == t else v
    return dataclasses.replace(obs, **fields)


def _closed_form(layer: SagittalBody, angles, obs, R, K):
    """Translation per frame and the fit's residuals, with ONE body forward pass.

    The translation puts the model's hip midpoint on the ray through the observed one, at the
    depth where the model's trunk has the observed pixel length (as
    :func:`.fit._initial_translation`); residuals as in :func:`.fit._losses`.

    Shapes:
        angles: (T, A) → transl (T, 3), keypoint error (T,), contour error (T,) (NaN = none).
    """
    t = angles.shape[0]
    joints0, verts0, _ = layer(angles, torch.zeros(t, 3, dtype=angles.dtype))
    hips = joints0[:, layer.landmark_joints[6:8]].mean(1)
    shoulders = joints0[:, layer.landmark_joints[0:2]].mean(1)
    z = K[0, 0] * (shoulders - hips).norm(dim=-1) / obs.length
    uv = obs.origin
    ray = torch.stack([(uv[:, 0] - K[0, 2]) / K[0, 0], (uv[:, 1] - K[1, 2]) / K[1, 1],
                       torch.ones_like(z)], -1)  # fmt: skip
    transl = (ray * z[:, None]) @ R - hips
    offset = transl[:, None]
    uv_kp = _project(joints0[:, layer.landmark_joints] + offset, R, K)
    dist = (uv_kp - obs.xy).norm(dim=-1) / obs.length[:, None]
    w = obs.weight
    kp_err = (w * dist).sum(-1) / w.sum(-1).clamp_min(1e-6)
    contour_err = torch.full((t,), float("nan"))
    if bool(obs.depth_ok.any()):
        depth, defined = _model_profile(_project(verts0 + offset, R, K), obs)
        ok = obs.depth_ok & defined
        diff = torch.where(ok, depth - obs.depth, torch.zeros_like(depth))
        n_ok = ok.sum(-1)
        contour_err = torch.where(n_ok > 0, diff.abs().sum(-1) / n_ok.clamp_min(1), contour_err)
    return transl, kp_err, contour_err


def regress_frames(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes | None,
    *,
    facing: Literal["left", "right"] | None = None,
    model: RegressorBundle | FrameRegressor | str | os.PathLike[str] | None = None,
    refine_iterations: int = 0,
    use_contour: bool = True,
    body=None,
    betas: np.ndarray | None = None,
    layer: SagittalBody | None = None,
    contour: BackContour | None = None,
    focal_px: float | None = None,
    num_threads: int | None = 1,
) -> FrameFit:
    """Per-frame sagittal pose by the learned regressor, as a complete :class:`FrameFit`.

    Steps: back contour (if silhouettes) → :func:`frame_features` → network → angles and
    camera yaw/pitch (median over frames) → translation per frame from the trunk's pixel
    length and position (:func:`.fit._initial_translation`) → body pose and residuals. With
    ``refine_iterations > 0``, :func:`.fit.fit_frames` then runs that many L-BFGS iterations
    started from this solution.

    Args:
        keypoints: MediaPipe landmarks (hips and shoulders needed in at least one frame).
        silhouettes: person masks of the same frames, or None (contour features absent).
        facing: ``"left"``/``"right"`` if known, else read from the keypoints.
        model: a :class:`RegressorBundle`, one :class:`FrameRegressor`, a path, or None for
            the shipped file.
        refine_iterations: L-BFGS iterations of reprojection refinement (0 = none).
        use_contour: False = the ablation model without back-contour input.
        body: the anny body (default ``humanmovenet.body.create("anny")``, cached).
        betas: body shape for the FrameFit's body (default: the average body).
        layer: a prebuilt :class:`SagittalBody` (else cached per body and shape).
        contour: a precomputed back contour (else extracted from ``silhouettes``).
        focal_px: focal length in pixels (default ``FitConfig().focal_factor`` × larger side).
        num_threads: torch threads during the call (restored afterwards); None = as is.

    Returns:
        The :class:`FrameFit` (``loss_history`` empty without refinement).

    Raises:
        ValueError: wrong input types or shapes, negative ``refine_iterations``, no frame with
            a trunk, or a model that does not match ``use_contour``.

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, H, W) → angles (T, 12).
    """
    if not isinstance(keypoints, Keypoints2D):
        raise ValueError(f"keypoints must be a Keypoints2D, got {type(keypoints).__name__}.")
    if silhouettes is not None and not isinstance(silhouettes, Silhouettes):
        raise ValueError(
            f"silhouettes must be a Silhouettes or None, got {type(silhouettes).__name__}."
        )
    if keypoints.num_frames < 1:
        raise ValueError("keypoints has no frames.")
    if int(refine_iterations) < 0:
        raise ValueError(f"refine_iterations must be >= 0, got {refine_iterations}.")
    if focal_px is not None and not focal_px > 0:
        raise ValueError(f"focal_px must be > 0 pixels, got {focal_px}.")
    with _torch_threads(num_threads):
        return _regress(keypoints, silhouettes, facing, model, int(refine_iterations),
                        use_contour, body, betas, layer, contour, focal_px)  # fmt: skip


def _regress(keypoints, silhouettes, facing, model, refine, use_contour, body, betas, layer,
             contour, focal_px) -> FrameFit:  # fmt: skip
    if isinstance(model, FrameRegressor):
        net = model
    else:
        bundle = model if isinstance(model, RegressorBundle) else load_regressor(model)
        net = bundle.get(use_contour)
    stations = np.asarray(DEFAULT_STATIONS)
    if contour is None and silhouettes is not None and use_contour:
        contour = extract_back_contour(silhouettes, keypoints, stations, facing=facing)
    feats, ok, sign = frame_features(keypoints, contour if use_contour else None, facing=facing,
                                     use_contour=net.in_dim > 3 * _N)  # fmt: skip
    out = predict_outputs(feats, ok, sign, net)
    angles_np = np.ascontiguousarray(out[:, : len(ANGLE_NAMES)])
    cam_np = np.ascontiguousarray(np.median(out[:, -2:][ok], axis=0))
    if body is None:
        body = layer.body if layer is not None else _default_body()
    face = "right" if sign > 0 else "left"
    if refine > 0:
        # From a good start L-BFGS alone stalls in the first line search (the smoothness term
        # is stiff), so half the iterations are small Adam steps, as in the full fit.
        layer = layer if layer is not None else _layer_for(body, betas, 1500)
        config = FitConfig(iterations=refine, adam_fraction=0.5, learning_rate=0.01,
                           contour_start=0.0, focal_px=focal_px, num_threads=None)  # fmt: skip
        return fit_frames(keypoints, silhouettes if use_contour else None, body, config=config,
                          facing=face, layer=layer, contour=contour if use_contour else None,
                          init_angles=angles_np, init_camera=cam_np)  # fmt: skip
    dtype = torch.float32
    obs = _observations(keypoints, contour if use_contour else None, face, stations, dtype)
    width, height = keypoints.image_size
    focal = focal_px or FitConfig().focal_factor * max(width, height)
    K = torch.tensor([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]],
                     dtype=dtype)  # fmt: skip
    angles = torch.as_tensor(angles_np, dtype=dtype)
    cam = torch.as_tensor(cam_np, dtype=dtype)
    R = side_camera_rotation(obs.facing, cam[0], cam[1])
    layer = layer if layer is not None else _layer_for(body, betas, _LIGHT_VERTICES)
    with torch.no_grad():  # in blocks of frames: memory stays bounded on long videos
        parts = [_closed_form(layer, angles[lo : lo + _BLOCK], _slice_obs(obs, lo, _BLOCK), R, K)
                 for lo in range(0, angles.shape[0], _BLOCK)]  # fmt: skip
        transl, kp_err, contour_err = (torch.cat(p) for p in zip(*parts, strict=True))
        body_pose, root = layer.pose(angles)
    return FrameFit(
        angles=angles_np.copy(),
        transl=transl.double().numpy(),
        betas=layer.betas[0].numpy().copy(),
        body_pose=body_pose.double().numpy(),
        root_orient=root.double().numpy(),
        camera_R=R.double().numpy(),
        K=K.double().numpy(),
        keypoint_error=kp_err.double().numpy(),
        contour_error=contour_err.double().numpy(),
        contour_coverage=obs.depth_ok.double().mean(-1).numpy(),
        visibility=obs.weight.mean(-1).double().numpy(),
        fps=float(keypoints.fps),
    )
