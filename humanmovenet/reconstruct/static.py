"""Static step: find the standing frames and estimate the personal spine morphology from them.

Convention (docs/reconstruction.md): the body model's rest posture carries the population
morphology of the spine embedding (``embed_in_body`` with the default ``SpineMorphology``,
lordosis 32°, kyphosis 44°). When the person stands, the fit (:mod:`.fit`) poses the body so
that its back outline matches the silhouette's; the lumbar and thoracic angles it needs for
that, relative to the rest posture, are the person's deviation from the population curve:

    lordosis = template lordosis − standing lumbar flexion
    kyphosis = template kyphosis + standing thoracic flexion
    sacral slope = template sacral slope + standing pelvic tilt

This is what makes the back contour carry the curvature. Its limit: if the body surface of the
data does not show the morphology (a renderer that keeps the rest skin for every subject and
only changes the hidden vertebrae), no image-based method can recover it.

Learned morphology (default when the back contour is given): the fitted template body has the
average shape, so its standing angles mix the person's curves with their body shape. The
learned static model (:mod:`.static_model`, ridge regression on the standing frames' back
contour and landmarks, trained on renders with MediaPipe) estimates lordosis, kyphosis, sacral
slope and standing pelvic tilt directly; :class:`StaticEstimate` keeps both estimates
(``morphology`` is the one used, ``fit_morphology`` the fit's) and says which in ``method``.

Body shape: estimated before the per-frame step by :func:`.static_model.predict_shape` (ridge
regression on the same standing frames' landmarks, back contour and silhouette width profile
→ the anny sliders; :func:`.fuse.reconstruct_spine` does it by default on the learned path)
because the pose fit needs the body first; :class:`StaticEstimate` carries the shape used and
where it came from (``shape_method``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..types import BodyShape, Keypoints2D, SpineMorphology
from .contour import BackContour
from .fit import FrameFit

__all__ = ["StaticEstimate", "standing_frames", "estimate_static"]


@dataclass(frozen=True)
class StaticEstimate:
    """Static body and spine of one person.

    Attributes:
        shape: the body shape.
        morphology: the personal standing spine morphology (degrees).
        standing: which frames were used as standing.
        standing_lumbar_flexion, standing_thoracic_flexion, standing_pelvic_tilt: median fitted
            angles over the standing frames, relative to the body's rest posture (radians).
        template: the morphology of the rest posture (the spine embedding's).
        method: ``"learned"`` (``morphology`` from :mod:`.static_model`) or ``"fit"``
            (from the standing fit).
        fit_morphology: the morphology from the standing fit (equal to ``morphology`` when
            ``method == "fit"``).
        standing_pelvic_tilt_deg: the learned estimate of the clinical standing anterior pelvic
            tilt (degrees), None with ``method == "fit"``.
        shape_method: where ``shape`` came from: ``"learned"`` (estimated from the standing
            frames, :func:`.static_model.predict_shape`), ``"given"`` (by the caller),
            ``"fit"`` (the betas the fit used) or ``"average"`` (the body model's average).

    Shapes:
        standing: (T,) bool.
    """

    shape: BodyShape
    morphology: SpineMorphology
    standing: np.ndarray
    standing_lumbar_flexion: float
    standing_thoracic_flexion: float
    standing_pelvic_tilt: float
    template: SpineMorphology
    method: str = "fit"
    fit_morphology: SpineMorphology | None = None
    standing_pelvic_tilt_deg: float | None = None
    shape_method: str = "given"


def _mid(keypoints: Keypoints2D, name: str) -> np.ndarray:
    xy = keypoints.xy
    return 0.5 * (xy[:, keypoints.index(f"left_{name}")] + xy[:, keypoints.index(f"right_{name}")])


def standing_frames(
    keypoints: Keypoints2D,
    *,
    max_trunk_deg: float = 25.0,
    max_thigh_deg: float = 25.0,
    max_speed: float = 0.6,
    tolerance_deg: float | None = 2.0,
    min_frames: int = 3,
) -> np.ndarray:
    """Frames where the person stands still and upright in their own standing posture.

    Candidates are the frames where the hip → shoulder chord is within ``max_trunk_deg`` of the
    image vertical, the knee → hip chord within ``max_thigh_deg``, and hips and shoulders move
    less than ``max_speed`` trunk lengths per second. These limits are wide because the chords of
    a person standing upright can lean 12–14° in the image (a tilted camera, MediaPipe's hip
    placement); slow early and late frames of a bend pass them too, so with ``tolerance_deg``
    set the person's own standing posture is found first: the candidate trunk inclination
    shared by the most candidates (within ``tolerance_deg / 2``), then the median thigh
    inclination of the candidates near it; a frame is standing when its trunk and thigh
    inclinations (signed) are both within ``tolerance_deg`` of that posture. ``tolerance_deg=None`` keeps every candidate. If fewer than ``min_frames`` frames
    qualify, the ``min_frames`` frames with the most upright trunk are returned instead.

    Args:
        keypoints: the landmarks.
        max_trunk_deg, max_thigh_deg: inclination limits of a candidate, degrees.
        max_speed: motion limit, trunk lengths per second.
        tolerance_deg: largest difference from the standing posture, degrees (None: no check).
        min_frames: minimum number of frames returned.

    Returns:
        (T,) bool.
    """
    if keypoints.num_frames == 0:
        raise ValueError("standing_frames: the keypoints have no frames.")
    if tolerance_deg is not None and not tolerance_deg > 0:
        raise ValueError(f"tolerance_deg must be > 0 degrees or None, got {tolerance_deg}.")
    hip, shoulder, knee = (
        _mid(keypoints, "hip"),
        _mid(keypoints, "shoulder"),
        _mid(keypoints, "knee"),
    )
    chord = shoulder - hip
    length = np.linalg.norm(chord, axis=-1)
    trunk = np.degrees(np.arctan2(chord[:, 0], -chord[:, 1]))  # signed
    thigh_v = hip - knee
    thigh = np.degrees(np.arctan2(thigh_v[:, 0], -thigh_v[:, 1]))
    both = np.concatenate([hip, shoulder], axis=-1)
    step = np.linalg.norm(np.gradient(both, axis=0), axis=-1) if len(both) > 1 else np.zeros(1)
    speed = step * keypoints.fps / np.where(length > 0, length, np.nan)
    with np.errstate(invalid="ignore"):
        ok = (np.abs(trunk) < max_trunk_deg) & (np.abs(thigh) < max_thigh_deg)
        ok &= speed < max_speed
    ok &= np.isfinite(trunk) & np.isfinite(thigh) & np.isfinite(speed)
    if ok.sum() >= min_frames and tolerance_deg is not None:
        ok &= _near_own_posture(trunk, thigh, ok, tolerance_deg)
    if ok.sum() >= min_frames:
        return ok
    order = np.argsort(np.where(np.isfinite(trunk), np.abs(trunk), np.inf))
    out = np.zeros(keypoints.num_frames, dtype=bool)
    out[order[: min(min_frames, keypoints.num_frames)]] = True
    return out


def _near_own_posture(
    trunk: np.ndarray, thigh: np.ndarray, candidate: np.ndarray, tolerance: float
) -> np.ndarray:
    """(T,) bool: frames within ``tolerance`` (deg) of the candidates' most common posture."""
    idx = np.flatnonzero(candidate)
    t = np.sort(trunk[idx])
    # candidates within ±tolerance/2 of each candidate (sorted: two binary searches); a narrow
    # window so the slow ends of a bend next to the standing hold pull the reference little
    h = 0.5 * tolerance
    support = np.searchsorted(t, t + h, "left") - np.searchsorted(t, t - h, "right")
    ref_trunk = float(np.median(t[support == support.max()]))  # ties: middle of the densest
    near = np.abs(trunk - ref_trunk) < tolerance
    ref_thigh = float(np.median(thigh[candidate & near]))
    return near & (np.abs(thigh - ref_thigh) < tolerance)


def estimate_static(
    fit: FrameFit,
    keypoints: Keypoints2D,
    template: SpineMorphology,
    *,
    standing: np.ndarray | None = None,
    shape: BodyShape | None = None,
    contour: BackContour | None = None,
    learned=True,
) -> StaticEstimate:
    """Personal spine morphology from the standing frames (module docstring).

    Args:
        fit: the per-frame fit of the whole video.
        keypoints: the landmarks the fit used (for :func:`standing_frames`).
        template: morphology of the body's rest posture (``SagittalBody.embedding.morphology``).
        standing: which frames are standing (default: :func:`standing_frames`).
        shape: the body shape (default: the fit's betas).
        contour: the video's back contour at the default stations; needed for the learned
            estimate.
        learned: True = the shipped learned model when ``contour`` is given, a
            :class:`.static_model.StaticModel` = that model, False = the fit's estimate only.

    Returns:
        The :class:`StaticEstimate`.
    """
    if keypoints.num_frames != fit.num_frames:
        raise ValueError(
            f"fit has {fit.num_frames} frames but keypoints has {keypoints.num_frames}; pass the "
            "keypoints the fit was made from."
        )
    standing = standing_frames(keypoints) if standing is None else np.asarray(standing, bool)
    if standing.shape != (fit.num_frames,) or not standing.any():
        raise ValueError(
            f"standing: expected a (T,) = ({fit.num_frames},) bool mask with at least one True."
        )
    lumbar = float(np.median(fit.angle("lumbar_flexion")[standing]))
    thoracic = float(np.median(fit.angle("thoracic_flexion")[standing]))
    pelvis = float(np.median(fit.angle("pelvis_tilt")[standing]))
    from_fit = SpineMorphology(
        sacral_slope_deg=template.sacral_slope_deg + math.degrees(pelvis),
        lumbar_lordosis_deg=template.lumbar_lordosis_deg - math.degrees(lumbar),
        thoracic_kyphosis_deg=template.thoracic_kyphosis_deg + math.degrees(thoracic),
        lateral_deviation_deg=0.0,
    )
    morphology, method, tilt = from_fit, "fit", None
    if learned is not False and contour is not None:
        from .static_model import StaticModel, predict_static

        model = learned if isinstance(learned, StaticModel) else None
        morphology, tilt = predict_static(keypoints, contour, standing, model=model)
        method = "learned"
    return StaticEstimate(
        shape=shape or BodyShape(np.asarray(fit.betas, dtype=np.float64), "anny"),
        shape_method="given" if shape is not None else ("fit" if np.any(fit.betas) else "average"),
        morphology=morphology,
        standing=standing,
        standing_lumbar_flexion=lumbar,
        standing_thoracic_flexion=thoracic,
        standing_pelvic_tilt=pelvis,
        template=template,
        method=method,
        fit_morphology=from_fit,
        standing_pelvic_tilt_deg=tilt,
    )
