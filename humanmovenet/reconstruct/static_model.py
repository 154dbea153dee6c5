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

Body shape (:class:`ShapeModel`, :func:`predict_shape`): the same kind of ridge regression from
these features plus :func:`shape_features` (silhouette width profile, landmark segment lengths,
all in body heights) to the anny body's six semantic sliders, then their exact betas. Absolute
size is not observable from one uncalibrated view; what it sees is sex, and through
proportions the height slider (held-out numbers in ``docs/reconstruction.md``).

The shipped models are trained on renders of SYNTHETIC subjects with MediaPipe run on them; how it
transfers to real people is not measured (no labelled real data ships).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from ..types import BodyShape, Keypoints2D, ShapeSliders, Silhouettes, SpineMorphology
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
    "SHAPE_TARGETS",
    "SHAPE_FEATURE_VERSION",
    "PROFILE_BINS",
    "ShapeModel",
    "shape_features",
    "body_shape_features",
    "load_shape_model",
    "predict_shape",
    "SHAPE_FILE",
    "SHAPE_SHA256",
]

#: What the model predicts, degrees.
TARGETS: tuple[str, ...] = (
    "lumbar_lordosis_deg",
    "thoracic_kyphosis_deg",
    "sacral_slope_deg",
    "standing_pelvic_tilt_deg",
)
#: What the shape model predicts: the body model's semantic sliders (``types.ShapeSliders``
#: order), each in [0, 1].
SHAPE_TARGETS: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")
#: Bumped whenever :func:`standing_features` changes (a model stores the version it was fit on).
FEATURE_VERSION = 1
SHIPPED_FILE = "static_morphology.pt"
#: sha256 of the shipped ``weights/static_morphology.pt`` (checked on load).
SHIPPED_SHA256 = "6a661ca525529a5d846ad03d8fa1a2639a7c59e14f5e1d8615381fccb4525bc3"

SHAPE_FILE = "static_shape.pt"
#: sha256 of the shipped ``weights/static_shape.pt`` (checked on load).
SHAPE_SHA256 = "8bfd665515e31f0fafa12c48f2dca43ae0bae11300fcc337321e24f777eec8e4"

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


#: Stations of the silhouette width profile, fractions of the body's height from the soles.
PROFILE_BINS = 20
#: Bumped whenever :func:`shape_features` changes.
SHAPE_FEATURE_VERSION = 1
_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("trunk", "hip", "shoulder"),
    ("thigh", "hip", "knee"),
    ("shank", "knee", "ankle"),
    ("upper_arm", "shoulder", "elbow"),
    ("forearm", "elbow", "wrist"),
    ("foot", "heel", "foot_index"),
    ("neck", "shoulder", "ear"),
)
_HEIGHTS = ("ankle", "knee", "hip", "shoulder", "ear")


def shape_feature_names() -> tuple[str, ...]:
    """Names of the :func:`shape_features` entries, in order."""
    names = ["silhouette_area"]
    for part in ("front", "back", "fill"):
        names += [f"{part}_{k}" for k in range(PROFILE_BINS)]
    names += [f"{name}_length" for name, _, _ in _SEGMENTS]
    names += [f"{name}_height" for name in _HEIGHTS]
    names += ["shoulder_spread", "hip_spread"]
    return tuple(names)


def _silhouette_profile(mask: np.ndarray, sign: int) -> tuple | None:
    """One mask's body axis and width profile.

    The body axis is the mask's principal direction (pointing up); ``u`` runs along it from the
    soles (0) to the top of the head (1), in body heights ``H`` (the mask's extent along the
    axis); ``v`` is across it, forward (the facing side) positive, from the mask's centroid.

    Returns:
        (height_px, origin_px (2,), up (2,), forward (2,), profile (3, PROFILE_BINS),
        area / H²) or None for an (almost) empty mask. ``profile`` rows: the front extent
        (98th percentile of ``v``), the back extent (2nd percentile) and the mean filled width
        (pixel count / bin length), all in ``H``, per bin of ``u``.
    """
    ys, xs = np.nonzero(mask)
    if len(ys) < 50:
        return None
    p = np.stack([xs, ys], -1).astype(np.float64) + 0.5
    centre = p.mean(0)
    _, vecs = np.linalg.eigh(np.cov((p - centre).T))
    up = vecs[:, 1] if vecs[1, 1] < 0 else -vecs[:, 1]  # image y runs down
    forward = sign * np.array([-up[1], up[0]])
    u, v = (p - centre) @ up, (p - centre) @ forward
    lo, hi = np.quantile(u, [0.001, 0.999])
    height = hi - lo
    if not height > 10.0:
        return None
    un, vn = (u - lo) / height, v / height
    k = np.clip((un * PROFILE_BINS).astype(int), 0, PROFILE_BINS - 1)
    profile = np.full((3, PROFILE_BINS), np.nan)
    order = np.argsort(k, kind="stable")
    bounds = np.searchsorted(k[order], np.arange(PROFILE_BINS + 1))
    for b in range(PROFILE_BINS):
        vb = vn[order[bounds[b] : bounds[b + 1]]]
        if len(vb) >= 3:
            profile[0, b], profile[1, b] = np.quantile(vb, [0.98, 0.02])
            profile[2, b] = len(vb) / (height / PROFILE_BINS) / height
    return height, centre + lo * up, up, forward, profile, len(ys) / height**2


def shape_features(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes,
    standing: np.ndarray,
    *,
    facing: str | None = None,
) -> np.ndarray:
    """Scale-free body-shape features of one person from the standing frames.

    Everything is measured in body heights ``H`` (the silhouette's extent along its principal
    axis, soles to the top of the head, in pixels), so the camera distance and focal length
    drop out — and with them the person's absolute size, which one uncalibrated view cannot
    give (see :class:`ShapeModel`). Per standing frame, then the median over frames:

    * the silhouette's area / H² and its width profile over :data:`PROFILE_BINS` bins of height
      (front and back extent from the centroid line, forward = the facing side, and the mean
      filled width) — what carries weight, muscle, sex and the belly/chest/buttock depths;
    * landmark segment lengths / H (trunk, thigh, shank, upper arm, forearm, foot, neck) and
      the heights above the soles of ankle, knee, hip, shoulder and ear, / H — proportions;
    * the image distance between the left and right shoulder and hip landmarks / H (how far the
      view is from a pure side view, which widens the silhouette).

    Args:
        keypoints: MediaPipe landmarks of the video.
        silhouettes: the person masks (any mask resolution; ``silhouettes.scale`` maps them).
        standing: (T,) bool, the standing frames.
        facing: ``"left"``/``"right"`` if known (default: from the landmarks).

    Returns:
        (F,) float64 features, NaN where never observed (see :func:`shape_feature_names`).

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, h, w); standing: (T,) → (F,).
    """
    from .contour import facing_sign

    standing = np.asarray(standing, dtype=bool)
    masks = np.asarray(silhouettes.masks)
    if (
        standing.shape != (keypoints.num_frames,)
        or masks.ndim != 3
        or masks.shape[0] != keypoints.num_frames
    ):
        raise ValueError(
            f"shape_features: keypoints ({keypoints.num_frames} frames), silhouettes "
            f"{masks.shape} (T, h, w) and standing {standing.shape} must cover the same frames."
        )
    if not standing.any():
        raise ValueError("shape_features: no standing frame (standing is all False).")
    sign = facing_sign(keypoints, facing)
    valid = np.ones(len(masks), bool) if silhouettes.valid is None else silhouettes.valid
    scale = float(silhouettes.scale)
    rows = []
    series: dict[str, np.ndarray] = {}  # each landmark series once, not once per frame (O(T²))

    def landmark(name: str) -> np.ndarray:
        if name not in series:
            series[name] = _landmark(keypoints, name)
        return series[name]

    for t in np.flatnonzero(standing & np.asarray(valid, bool)):
        prof = _silhouette_profile(masks[t], sign)
        if prof is None:
            continue
        height, base, up, _, profile, area = prof

        def point(name: str, t: int = t) -> np.ndarray:
            if name in ("nose",):
                return landmark(name)[t] * scale
            return 0.5 * (landmark(f"left_{name}")[t] + landmark(f"right_{name}")[t]) * scale

        lengths = [np.linalg.norm(point(b) - point(a)) / height for _, a, b in _SEGMENTS]
        heights = [(point(name) - base) @ up / height for name in _HEIGHTS]
        spreads = []
        for name in ("shoulder", "hip"):
            d = landmark(f"left_{name}")[t] - landmark(f"right_{name}")[t]
            spreads.append(np.linalg.norm(d) * scale / height)
        rows.append(np.concatenate([[area], profile.ravel(), lengths, heights, spreads]))
    if not rows:
        return np.full(len(shape_feature_names()), np.nan)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN medians stay NaN
        return np.nanmedian(np.stack(rows), axis=0).astype(np.float64)


class _RidgeModel:
    """Standardised ridge regression (shared by :class:`StaticModel` and :class:`ShapeModel`).

    Subclasses are frozen dataclasses with the fields ``mean, scale, weights, bias, ridge,
    feature_version, metadata`` and set the class attributes below.
    """

    targets: ClassVar[tuple[str, ...]] = ()
    file_format: ClassVar[str] = ""
    current_feature_version: ClassVar[int] = 0
    kind: ClassVar[str] = "model"
    #: standardised features are clipped to ±z_clip before the weights (None = not clipped)
    z_clip: ClassVar[float | None] = None
    #: further dataclass fields written to / read from the file (plain values)
    extra_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def fit(cls, features: np.ndarray, targets: np.ndarray, ridge):
        """Fit on (B, F) features and (B, len(targets)) targets.

        ``ridge``: one L2 penalty, or one per target. Features never observed in training (all
        NaN or constant) get zero weight.
        """
        x = np.asarray(features, dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        n_out = len(cls.targets)
        if x.ndim != 2 or y.shape != (x.shape[0], n_out) or x.shape[0] < 2:
            raise ValueError(
                f"{cls.__name__}.fit: expected features (B, F) and targets (B, {n_out}) with "
                f"B >= 2, got {x.shape} and {y.shape}."
            )
        penalties = np.broadcast_to(np.asarray(ridge, dtype=np.float64), (n_out,))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0)
            scale = np.nanstd(x, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, np.inf)
        z = cls._standardise(x, mean, scale)
        bias = y.mean(axis=0)
        gram, rhs = z.T @ z, z.T @ (y - bias)
        eye = np.eye(z.shape[1])
        weights = np.stack(
            [np.linalg.solve(gram + lam * eye, rhs[:, j]) for j, lam in enumerate(penalties)],
            axis=1,
        )
        stored = float(penalties[0]) if np.ndim(ridge) == 0 else tuple(map(float, penalties))
        return cls(mean, scale, weights, bias, stored)

    @staticmethod
    def _standardise(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - mean) / scale
        return np.where(np.isfinite(z), z, 0.0)

    @property
    def num_features(self) -> int:
        return int(self.mean.shape[0])

    def predict(self, features: np.ndarray) -> np.ndarray:
        """(B, F) or (F,) features → (B, len(targets)) or (len(targets),)."""
        x = np.asarray(features, dtype=np.float64)
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}.predict: expected (B, {self.num_features}) features, "
                f"got {np.asarray(features).shape}."
            )
        z = self._standardise(x, self.mean, self.scale)
        if self.z_clip is not None:
            z = np.clip(z, -self.z_clip, self.z_clip)
        y = z @ self.weights + self.bias
        return y[0] if single else y

    def save(self, path: str | Path) -> None:
        """Write the model (torch tensors + plain metadata; loads with ``weights_only=True``)."""
        from .._atomic import atomic_open

        state = {
            "format": self.file_format,
            "version": 1,
            "feature_version": int(self.feature_version),
            "targets": list(self.targets),
            "ridge": _plain(self.ridge),
            "mean": torch.from_numpy(self.mean),
            "scale": torch.from_numpy(np.where(np.isfinite(self.scale), self.scale, 0.0)),
            "weights": torch.from_numpy(self.weights),
            "bias": torch.from_numpy(self.bias),
            "metadata": _plain(self.metadata or {}),
            **{name: _plain(getattr(self, name)) for name in self.extra_fields},
        }
        with atomic_open(Path(path), "wb") as f:
            torch.save(state, f)

    @classmethod
    def load(cls, path: str | Path):
        """Read a model written by :meth:`save` (``weights_only=True``)."""
        path = Path(path)
        kind = cls.kind
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: BLE001 - any unpickling failure means a bad file
            raise ValueError(f"{path} is not a readable {kind} file ({err}).") from err
        if not isinstance(state, dict) or state.get("format") != cls.file_format:
            raise ValueError(f"{path} is not a humanmovenet {kind} file.")
        if state.get("feature_version") != cls.current_feature_version or list(
            state["targets"]
        ) != list(cls.targets):
            raise ValueError(
                f"{path} was trained with feature version {state.get('feature_version')} and "
                f"targets {state.get('targets')}; this humanmovenet needs version "
                f"{cls.current_feature_version} and {list(cls.targets)} — retrain with "
                "python -m humanmovenet.train.train_static."
            )
        scale = state["scale"].numpy()
        ridge = state["ridge"]
        return cls(
            mean=state["mean"].numpy(),
            scale=np.where(scale > 0, scale, np.inf),
            weights=state["weights"].numpy(),
            bias=state["bias"].numpy(),
            ridge=float(ridge) if np.ndim(ridge) == 0 else tuple(map(float, ridge)),
            feature_version=int(state["feature_version"]),
            metadata=state.get("metadata") or {},
            **{name: _unplain(state.get(name)) for name in cls.extra_fields},
        )


@dataclass(frozen=True, eq=False)
class StaticModel(_RidgeModel):
    """Standardised ridge regression from :func:`standing_features` to :data:`TARGETS`.

    Attributes:
        mean, scale: feature standardisation (training mean and standard deviation); a NaN
            feature is replaced by the mean (0 after standardisation).
        weights, bias: ``y = standardised(x) @ weights + bias`` (degrees).
        ridge: the L2 penalty used (one, or one per target).
        feature_version: :data:`FEATURE_VERSION` the model was fit with.
        metadata: training provenance and held-out scores (JSON-able).

    Shapes:
        mean, scale: (F,); weights: (F, len(TARGETS)); bias: (len(TARGETS),).
    """

    targets: ClassVar[tuple[str, ...]] = TARGETS
    file_format: ClassVar[str] = "humanmovenet.static_model"
    current_feature_version: ClassVar[int] = FEATURE_VERSION
    kind: ClassVar[str] = "static model"

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    ridge: float | tuple[float, ...]
    feature_version: int = FEATURE_VERSION
    metadata: dict | None = None


@dataclass(frozen=True, eq=False)
class ShapeModel(_RidgeModel):
    """Standardised ridge regression from standing frames to the body-shape sliders.

    Input: ``concatenate([standing_features(...), shape_features(...)])``
    (:func:`body_shape_features`); output: the body model's semantic sliders
    (:data:`SHAPE_TARGETS`, each in [0, 1]; :func:`predict_shape` clips them and turns them into
    betas with ``AnnyBody.shape_from_sliders``).

    What is estimated: every slider, but the features are all in body heights, so the
    *absolute* size is not observed — the ``height`` slider is predicted from proportions only
    (the anny height slider also changes them a little), and the stature of the predicted body
    is close to the training average whatever the person's real height. Weight, sex, muscle
    and the silhouette's depth profile are what one side view shows.

    A feature further than 4 training standard deviations from its training mean (a landmark
    MediaPipe put somewhere odd) is clipped to 4 SD before the weights, so one bad input cannot
    throw a slider far out.

    Attributes: as :class:`StaticModel` (``weights``: (F, len(SHAPE_TARGETS)), slider units).
    """

    targets: ClassVar[tuple[str, ...]] = SHAPE_TARGETS
    file_format: ClassVar[str] = "humanmovenet.static_shape_model"
    current_feature_version: ClassVar[int] = SHAPE_FEATURE_VERSION
    kind: ClassVar[str] = "static shape model"
    z_clip: ClassVar[float | None] = 4.0
    extra_fields: ClassVar[tuple[str, ...]] = ("gender_levels",)

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    ridge: float | tuple[float, ...]
    feature_version: int = SHAPE_FEATURE_VERSION
    metadata: dict | None = None
    gender_levels: tuple[float, float] | None = None

    def sliders(self, features: np.ndarray) -> np.ndarray:
        """(B, F) or (F,) features → sliders in [0, 1], (B, 6) or (6,).

        The regression clipped to [0, 1]; with ``gender_levels`` = (female, male) the gender
        slider is then set to the female level below 0.5 and the male level above (the
        training bodies are female or male, not in between, and the class is far more
        reliable than the regression's value: held-out numbers in ``docs/reconstruction.md``).
        """
        y = np.clip(self.predict(features), 0.0, 1.0)
        if self.gender_levels is not None:
            g = SHAPE_TARGETS.index("gender")
            y[..., g] = np.where(y[..., g] < 0.5, *self.gender_levels)
        return y


def _unplain(value):
    return tuple(value) if isinstance(value, list) else value


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


_LOADED: dict[str, StaticModel | ShapeModel] = {}


def _load_shipped(key: str, cls, filename: str, sha256: str, what: str):  # noqa: ANN001, ANN202
    """A shipped ridge model, sha256-checked by :func:`resolve_weight`, loaded once."""
    from .._paths import resolve_weight

    if key not in _LOADED:
        _LOADED[key] = cls.load(resolve_weight(filename, sha256=sha256, what=what))
    return _LOADED[key]


def load_static_model(path: str | Path | None = None) -> StaticModel:
    """The shipped static model (sha256-checked), or the one at ``path``."""
    if path is not None:
        return StaticModel.load(path)
    return _load_shipped("shipped", StaticModel, SHIPPED_FILE, SHIPPED_SHA256,
                         "static morphology model")  # fmt: skip


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


def body_shape_features(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes,
    standing: np.ndarray,
    *,
    facing: str | None = None,
    contour: BackContour | None = None,
) -> np.ndarray:
    """The :class:`ShapeModel` input: :func:`standing_features` then :func:`shape_features`.

    Args:
        keypoints, silhouettes, standing, facing: as :func:`shape_features`.
        contour: the back contour at :data:`.contour.DEFAULT_STATIONS` if already extracted.

    Returns:
        (F,) float64, NaN where never observed.

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, h, w); standing: (T,) → (F,).
    """
    if contour is None:
        contour = extract_back_contour(silhouettes, keypoints, DEFAULT_STATIONS, facing=facing)
    return np.concatenate(
        [
            standing_features(keypoints, contour, standing),
            shape_features(keypoints, silhouettes, standing, facing=facing),
        ]
    )


def load_shape_model(path: str | Path | None = None) -> ShapeModel:
    """The shipped body-shape model (sha256-checked), or the one at ``path``."""
    if path is not None:
        return ShapeModel.load(path)
    return _load_shipped("shape", ShapeModel, SHAPE_FILE, SHAPE_SHA256, "body-shape model")


def predict_shape(
    keypoints: Keypoints2D,
    silhouettes: Silhouettes,
    standing: np.ndarray,
    *,
    body=None,
    model: ShapeModel | None = None,
    facing: str | None = None,
    contour: BackContour | None = None,
) -> BodyShape:
    """The person's body shape (anny sliders and betas) from the standing frames.

    The absolute size is not observable from one uncalibrated view (:class:`ShapeModel`): the
    stature of the returned body comes from proportions only and stays near the training
    average; sex, weight, muscle and the body's depth profile are what is estimated.

    Args:
        keypoints: MediaPipe landmarks.
        silhouettes: the person masks.
        standing: (T,) bool standing frames.
        body: the anny body (default ``body.create("anny")``); other body models have no
            sliders and are refused.
        model: default: the shipped model (:func:`load_shape_model`).
        facing: ``"left"``/``"right"`` if known.
        contour: the back contour at the default stations if already extracted.

    Returns:
        :class:`~humanmovenet.types.BodyShape` with ``sliders`` (:meth:`ShapeModel.sliders`:
        in [0, 1], gender set to the female or male level) and the exact betas of those
        sliders.

    Shapes:
        keypoints.data: (T, 33, 3); silhouettes.masks: (T, h, w); standing: (T,) → betas (S,).
    """
    if body is None:
        from ..body import create

        body = create("anny")
    if getattr(body, "backend", None) != "anny":
        raise ValueError(
            "predict_shape: the shape model predicts anny sliders; pass the anny body "
            f"(humanmovenet.body.create('anny')), got {type(body).__name__}."
        )
    model = model or load_shape_model()
    x = body_shape_features(keypoints, silhouettes, standing, facing=facing, contour=contour)
    sliders = model.sliders(x)
    if not np.isfinite(sliders).all():
        raise ValueError("predict_shape: the model returned a non-finite value.")
    with torch.no_grad():
        betas = body.shape_from_sliders(sliders[None])[0].numpy().astype(np.float64)
    return BodyShape(betas=betas, model="anny", sliders=ShapeSliders(*map(float, sliders)))
