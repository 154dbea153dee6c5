"""Learned static reconstructor: standing frames' landmarks + back contour → spine morphology.

What it estimates (degrees, :data:`TARGETS`): the standing lumbar lordosis (L1–S1), thoracic
kyphosis (T1–T12), sacral slope and clinical anterior pelvic tilt of the person in the video.

Inputs (:func:`standing_features`), all scale- and translation-free and mirrored so that the
person faces image-right, each the median over the standing frames:

* the back-contour features of :func:`.contour.contour_features` (smoothed depth and curvature
  at every station, the lumbar hollow, the lower/upper back tangent angles) — the back contour
  is what carries the curves;
* the trunk chord's inclination from the image vertical, the thigh and shank inclinations;
* landmark positions in the trunk frame (along the hip → shoulder chord and along the back
  normal, in trunk lengths): nose, ears, knees, ankles, heels and toes (the mean of the left and
  right landmark, since one side is hidden in a side view).

Model (:class:`StaticModel`): standardised ridge regression, one weight vector per target; a
missing feature (a contour station the silhouette never showed) is replaced by its training mean,
and the fraction of missing stations is a feature itself. Linear on purpose: a few hundred
rendered training subjects, an interpretable map (the weights say which part of the back speaks
for lordosis), and no extrapolation surprises; ``humanmovenet.train.train_static`` also scores a
mean predictor and reports both on held-out subjects (``weights/README.md``).

The shipped model is trained on renders of SYNTHETIC subjects with MediaPipe run on them; how it
transfers to real people is not measured (no labelled real data ships).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..types import Keypoints2D, Silhouettes, SpineMorphology
from .contour import DEFAULT_STATIONS, BackContour, contour_features, extract_back_contour

__all__ = [
    "TARGETS",
    "FEATURE_VERSION",
    "StaticModel",
    "standing_features",
    "load_static_model",
    "predict_static",
    "SHIPPED_FILE",
    "SHIPPED_SHA256",
]

#: What the model predicts, degrees.
TARGETS: tuple[str, ...] = (
    "lumbar_lordosis_deg",
    "thoracic_kyphosis_deg",
    "sacral_slope_deg",
    "standing_pelvic_tilt_deg",
)
#: Bumped whenever :func:`standing_features` changes (a model stores the version it was fit on).
FEATURE_VERSION = 1
SHIPPED_FILE = "static_morphology.pt"
#: sha256 of the shipped ``weights/static_morphology.pt`` (checked on load).
SHIPPED_SHA256 = "6a661ca525529a5d846ad03d8fa1a2639a7c59e14f5e1d8615381fccb4525bc3"

_LANDMARK_PAIRS = ("ear", "knee", "ankle", "heel", "foot_index")


def _landmark(keypoints: Keypoints2D, name: str) -> np.ndarray:
    xy = keypoints.xy[:, keypoints.index(name)].astype(np.float64)
    vis = keypoints.visibility[:, keypoints.index(name)]
    return np.where((vis > 0.0)[:, None], xy, np.nan)


def _mid(keypoints: Keypoints2D, name: str) -> np.ndarray:
    return 0.5 * (_landmark(keypoints, f"left_{name}") + _landmark(keypoints, f"right_{name}"))


def _inclination(lower: np.ndarray, upper: np.ndarray, sign: int) -> np.ndarray:
    """Angle of lower → upper from the image's up direction, radians, forward (facing) +."""
    d = upper - lower
    return np.arctan2(sign * d[:, 0], -d[:, 1])


def feature_names(stations: np.ndarray | None = None) -> tuple[str, ...]:
    """Names of the :func:`standing_features` entries, in order."""
    n = len(DEFAULT_STATIONS if stations is None else stations)
    names = [f"depth_{k}" for k in range(n)] + [f"curvature_{k}" for k in range(n)]
    names += ["lumbar_hollow", "low_back_angle", "upper_back_angle", "back_angle_difference"]
    names += ["missing_stations", "trunk_inclination", "thigh_inclination", "shank_inclination"]
    for point in ("nose", *_LANDMARK_PAIRS):
        names += [f"{point}_along", f"{point}_behind"]
    return tuple(names)


def standing_features(
    keypoints: Keypoints2D,
    contour: BackContour,
    standing: np.ndarray,
) -> np.ndarray:
    """Feature vector of one person from the standing frames (module docstring).

    Args:
        keypoints: MediaPipe landmarks of the video.
        contour: its back contour (:func:`.contour.extract_back_contour`).
        standing: (T,) bool, the standing frames (:func:`.static.standing_frames`).

    Returns:
        (F,) float64 features, NaN where never observed (see :func:`feature_names`).

    Shapes:
        keypoints.data: (T, 33, 3); contour.depth: (T, N); standing: (T,) → (F,).
    """
    standing = np.asarray(standing, dtype=bool)
    if standing.shape != (keypoints.num_frames,) or contour.num_frames != keypoints.num_frames:
        raise ValueError(
            f"standing_features: keypoints ({keypoints.num_frames} frames), contour "
            f"({contour.num_frames}) and standing {standing.shape} must cover the same frames."
        )
    if not standing.any():
        raise ValueError("standing_features: no standing frame (standing is all False).")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN medians stay NaN
        back = np.nanmedian(contour_features(contour)[standing], axis=0)
        missing = 1.0 - float(contour.valid[standing].mean())
        sign = contour.facing
        hip, shoulder = _mid(keypoints, "hip"), _mid(keypoints, "shoulder")
        knee, ankle = _mid(keypoints, "knee"), _mid(keypoints, "ankle")
        angles = [
            _inclination(hip, shoulder, sign),
            _inclination(knee, hip, sign),
            _inclination(ankle, knee, sign),
        ]
        chord = shoulder - hip
        length = np.linalg.norm(chord, axis=-1, keepdims=True)
        axis = chord / length
        normal = sign * np.stack([axis[:, 1], -axis[:, 0]], axis=-1)  # towards the back
        points = [_landmark(keypoints, "nose")] + [_mid(keypoints, p) for p in _LANDMARK_PAIRS]
        local = []
        for p in points:
            rel = (p - hip) / length
            local += [(rel * axis).sum(-1), (rel * normal).sum(-1)]
        per_frame = np.stack(angles + local, axis=-1)[standing]
        geometry = np.nanmedian(per_frame, axis=0)
    return np.concatenate([back, [missing], geometry]).astype(np.float64)


@dataclass(frozen=True, eq=False)
class StaticModel:
    """Standardised ridge regression from :func:`standing_features` to :data:`TARGETS`.

    Attributes:
        mean, scale: feature standardisation (training mean and standard deviation); a NaN
            feature is replaced by the mean (0 after standardisation).
        weights, bias: ``y = standardised(x) @ weights + bias`` (degrees).
        ridge: the L2 penalty used.
        feature_version: :data:`FEATURE_VERSION` the model was fit with.
        metadata: training provenance and held-out scores (JSON-able).

    Shapes:
        mean, scale: (F,); weights: (F, len(TARGETS)); bias: (len(TARGETS),).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    ridge: float
    feature_version: int = FEATURE_VERSION
    metadata: dict | None = None

    @classmethod
    def fit(cls, features: np.ndarray, targets: np.ndarray, ridge: float) -> StaticModel:
        """Fit on (B, F) features and (B, len(TARGETS)) targets in degrees.

        Features never observed in training (all NaN or constant) get zero weight.
        """
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        if x.ndim != 2 or y.shape != (x.shape[0], len(TARGETS)) or x.shape[0] < 2:
            raise ValueError(
                f"StaticModel.fit: expected features (B, F) and targets (B, {len(TARGETS)}) with "
                f"B >= 2, got {x.shape} and {y.shape}."
            )
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0)
            scale = np.nanstd(x, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, np.inf)
        z = cls._standardise(x, mean, scale)
        bias = y.mean(axis=0)
        a = z.T @ z + ridge * np.eye(z.shape[1])
        weights = np.linalg.solve(a, z.T @ (y - bias))
        return cls(mean, scale, weights, bias, float(ridge))

    @staticmethod
    def _standardise(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - mean) / scale
        return np.where(np.isfinite(z), z, 0.0)

    @property
    def num_features(self) -> int:
        return int(self.mean.shape[0])

    def predict(self, features: np.ndarray) -> np.ndarray:
        """(B, F) or (F,) features → (B, len(TARGETS)) or (len(TARGETS),) degrees."""
        x = np.asarray(features, dtype=np.float64)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"StaticModel.predict: expected (B, {self.num_features}) features, got "
                f"{np.asarray(features).shape}."
            )
        y = self._standardise(x, self.mean, self.scale) @ self.weights + self.bias
        return y[0] if single else y

    def save(self, path: str | Path) -> None:
        """Write the model (torch tensors + plain metadata; loads with ``weights_only=True``)."""
        from .._atomic import atomic_open

        state = {
            "format": "humanmovenet.static_model",
            "version": 1,
            "feature_version": int(self.feature_version),
            "targets": list(TARGETS),
            "ridge": float(self.ridge),
            "mean": torch.from_numpy(self.mean),
            "scale": torch.from_numpy(np.where(np.isfinite(self.scale), self.scale, 0.0)),
            "weights": torch.from_numpy(self.weights),
            "bias": torch.from_numpy(self.bias),
            "metadata": _plain(self.metadata or {}),
        }
        with atomic_open(Path(path), "wb") as f:
            torch.save(state, f)

    @classmethod
    def load(cls, path: str | Path) -> StaticModel:
        """Read a model written by :meth:`save` (``weights_only=True``)."""
        path = Path(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: BLE001 - any unpickling failure means a bad file
            raise ValueError(f"{path} is not a readable static model file ({err}).") from err
        if not isinstance(state, dict) or state.get("format") != "humanmovenet.static_model":
            raise ValueError(f"{path} is not a humanmovenet static model file.")
        if state.get("feature_version") != FEATURE_VERSION or list(state["targets"]) != list(
            TARGETS
        ):
            raise ValueError(
                f"{path} was trained with feature version {state.get('feature_version')} and "
                f"targets {state.get('targets')}; this humanmovenet needs version "
                f"{FEATURE_VERSION} and {list(TARGETS)} — retrain with "
                "python -m humanmovenet.train.train_static."
            )
        scale = state["scale"].numpy()
        return cls(
            mean=state["mean"].numpy(),
            scale=np.where(scale > 0, scale, np.inf),
            weights=state["weights"].numpy(),
            bias=state["bias"].numpy(),
            ridge=float(state["ridge"]),
            feature_version=int(state["feature_version"]),
            metadata=state.get("metadata") or {},
        )


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


_LOADED: dict[str, StaticModel] = {}


def load_static_model(path: str | Path | None = None) -> StaticModel:
    """The shipped static model (sha256-checked), or the one at ``path``."""
    from .._paths import resolve_weight, sha256_of

    if path is not None:
        return StaticModel.load(path)
    if "shipped" not in _LOADED:
        file = resolve_weight(SHIPPED_FILE)
        digest = sha256_of(file)
        if digest != SHIPPED_SHA256:
            raise ValueError(
                f"{file} has sha256 {digest}, expected {SHIPPED_SHA256}: the shipped static model "
                "is damaged or was replaced; reinstall humanmovenet or retrain it with "
                "python -m humanmovenet.train.train_static."
            )
        _LOADED["shipped"] = StaticModel.load(file)
    return _LOADED["shipped"]


def predict_static(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes | BackContour,
    standing: np.ndarray,
    *,
    model: StaticModel | None = None,
    facing: str | None = None,
) -> tuple[SpineMorphology, float]:
    """Personal morphology and standing anterior pelvic tilt from the standing frames.

    Args:
        keypoints: MediaPipe landmarks.
        silhouettes: the person masks, or an already extracted :class:`BackContour`
            (computed at :data:`.contour.DEFAULT_STATIONS`).
        standing: (T,) bool standing frames.
        model: default: the shipped model (:func:`load_static_model`).
        facing: ``"left"``/``"right"`` if known.

    Returns:
        (SpineMorphology with lateral deviation 0, standing anterior pelvic tilt in degrees).
    """
    if isinstance(silhouettes, BackContour):
        contour = silhouettes
    else:
        contour = extract_back_contour(silhouettes, keypoints, DEFAULT_STATIONS, facing=facing)
    if len(contour.stations) != len(DEFAULT_STATIONS) or not np.allclose(
        contour.stations, DEFAULT_STATIONS
    ):
        raise ValueError(
            "predict_static: the back contour must use the default stations "
            "(reconstruct.contour.DEFAULT_STATIONS), which the model was trained on."
        )
    model = model or load_static_model()
    y = model.predict(standing_features(keypoints, contour, standing))
    ll, tk, ss, apt = (float(v) for v in y)
    morph = SpineMorphology(
        sacral_slope_deg=ss,
        lumbar_lordosis_deg=ll,
        thoracic_kyphosis_deg=tk,
        lateral_deviation_deg=0.0,
    )
    if not all(math.isfinite(v) for v in y):
        raise ValueError("predict_static: the model returned a non-finite value.")
    return morph, apt
