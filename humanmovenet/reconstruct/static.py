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

Refinement (``method == "learned+fit"``, :func:`refine_static`; on by default,
``FitConfig.static_refine_iterations`` = 60: on 60 held-out subjects it cut the lordosis MAE from
2.65° to 2.33° and left kyphosis at 3.01° → 3.09°, docs/reconstruction.md §3): starting from the learned morphology and
the estimated body shape, the standing frames are fitted again (:func:`.fit.fit_frames`: the
body's projected back midline against the observed back contour, its joints against the
landmarks) with a Gaussian prior pulling the standing lumbar and thoracic angles toward the
learned estimate expressed as angles through the template (the inverse of the formulas above)
and the pelvis toward the per-frame step's; the refined lordosis and kyphosis follow from the
refined angles through the same formulas (less the fit's measured offset, ``FIT_OFFSET_DEG``).
``StaticEstimate`` then keeps the learned estimate (``learned_morphology``), the refined one
(``refined_morphology``) and says which is used.

Body shape: estimated before the per-frame step by :func:`.static_model.predict_shape` (ridge
regression on the same standing frames' landmarks, back contour and silhouette width profile
→ the anny sliders; :func:`.fuse.reconstruct_spine` does it by default on the learned path)
because the pose fit needs the body first; :class:`StaticEstimate` carries the shape used and
where it came from (``shape_method``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..types import BodyShape, Keypoints2D, SpineMorphology
from .contour import BackContour
from .fit import ANGLE_NAMES, FitConfig, FrameFit, SagittalBody, fit_frames

__all__ = [
    "StaticEstimate",
    "StaticRefinement",
    "standing_frames",
    "estimate_static",
    "refine_static",
    "morphology_angles",
    "PRIOR_SIGMA_DEG",
]

#: Prior standard deviation of each refined standing angle at ``prior_weight`` 1 (degrees): the
#: size of the learned model's errors (held-out lordosis / kyphosis MAE 2.65° / 3.01°).
PRIOR_SIGMA_DEG = 3.0
#: Contour-residual scale of the prior: at weight 1 a 1-sigma deviation of one angle costs as
#: much as a back-contour residual of 0.01 trunk lengths RMS (the fit's contour term, weight 2).
_PRIOR_SCALE = 1e-4
#: Systematic offset of the fit's standing (pelvis, lumbar, thoracic) angles from the angles of
#: the true morphology (degrees), measured with the prior off on the static model's 200
#: training subjects (docs/reconstruction.md §3); :func:`refine_static` removes it. The pelvis
#: is not calibrated (the synthetic renders do not show the sacral slope).
FIT_OFFSET_DEG = (0.0, 0.64, 5.65)
#: The refinement fits at most this many standing frames (evenly spaced).
_MAX_REFINE_FRAMES = 8
_REFINED = ("pelvis_tilt", "lumbar_flexion", "thoracic_flexion")


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
        learned_morphology: the learned model's morphology (None without it); equal to
            ``morphology`` when ``method == "learned"``.
        refined_morphology: the learned morphology refined by fitting the standing frames
            (:func:`refine_static`; None when not refined); equal to ``morphology`` when
            ``method == "learned+fit"``.
        refinement: the refinement's details (None when not refined).

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
    learned_morphology: SpineMorphology | None = None
    refined_morphology: SpineMorphology | None = None
    refinement: StaticRefinement | None = None


@dataclass(frozen=True)
class StaticRefinement:
    """Result of :func:`refine_static`.

    Attributes:
        morphology: the refined morphology (degrees).
        standing_pelvic_tilt_deg: the learned standing anterior pelvic tilt (moved by the
            refined pelvis angle's change with ``refine_pelvis``; None if none was given).
        angles_deg: refined (pelvis tilt, lumbar flexion, thoracic flexion), median over the
            fitted frames less the fit's offset (:data:`FIT_OFFSET_DEG`), degrees from the
            body's rest posture.
        prior_deg: the same angles of the learned estimate (the prior's means).
        frames: indices of the fitted standing frames.
        keypoint_error, contour_error: median residuals of the fitted frames (trunk lengths).
        prior_weight, iterations: the settings used.

    Shapes:
        angles_deg, prior_deg: (3,); frames: (F,).
    """

    morphology: SpineMorphology
    standing_pelvic_tilt_deg: float | None
    angles_deg: np.ndarray
    prior_deg: np.ndarray
    frames: np.ndarray
    keypoint_error: float
    contour_error: float
    prior_weight: float
    iterations: int


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
    refine_iterations: int = 0,
    prior_weight: float = 1.0,
    layer: SagittalBody | None = None,
    focal_px: float | None = None,
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
        refine_iterations: > 0 = refine the learned estimate by fitting the standing frames
            (:func:`refine_static`, needs ``layer``); 0 = the learned estimate as is.
        prior_weight: the refinement's prior weight (:func:`refine_static`).
        layer: the :class:`.fit.SagittalBody` of the person's body shape (for the refinement).
        focal_px: the focal length the per-frame step used (for the refinement).

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
    if int(refine_iterations) < 0:
        raise ValueError(f"refine_iterations must be >= 0 (0 = off), got {refine_iterations}.")
    if refine_iterations > 0 and layer is None:
        raise ValueError(
            "estimate_static: refine_iterations > 0 needs the body layer (layer=SagittalBody(...)"
            " of the person's shape); pass it or set refine_iterations=0."
        )
    morphology, method, tilt = from_fit, "fit", None
    learned_morph = refinement = None
    if learned is not False and contour is not None:
        from .static_model import StaticModel, predict_static

        model = learned if isinstance(learned, StaticModel) else None
        morphology, tilt = predict_static(keypoints, contour, standing, model=model)
        method, learned_morph = "learned", morphology
        if refine_iterations > 0:
            refinement = refine_static(keypoints, contour, standing, morphology, template, layer,
                                       standing_pelvic_tilt_deg=tilt, prior_weight=prior_weight,
                                       iterations=refine_iterations, init=fit,
                                       focal_px=focal_px)  # fmt: skip
            morphology, tilt = refinement.morphology, refinement.standing_pelvic_tilt_deg
            method = "learned+fit"
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
        learned_morphology=learned_morph,
        refined_morphology=None if refinement is None else refinement.morphology,
        refinement=refinement,
    )


def morphology_angles(morphology: SpineMorphology, template: SpineMorphology) -> np.ndarray:
    """Standing (pelvis tilt, lumbar flexion, thoracic flexion) of a morphology, radians.

    The inverse of the module docstring's formulas: the angles from the body's rest posture
    (which carries ``template``) that give ``morphology``.

    Shapes:
        → (3,).
    """
    return np.radians(
        [
            morphology.sacral_slope_deg - template.sacral_slope_deg,
            template.lumbar_lordosis_deg - morphology.lumbar_lordosis_deg,
            morphology.thoracic_kyphosis_deg - template.thoracic_kyphosis_deg,
        ]
    )


def _camera_angles(R: np.ndarray, sign: int) -> np.ndarray:
    """(yaw, pitch) of a :func:`.fit.side_camera_rotation` matrix (its inverse), radians."""
    base = np.array([[0.0, 0.0, sign], [0.0, -1.0, 0.0], [sign, 0.0, 0.0]])
    m = base @ np.asarray(R, dtype=np.float64)  # = Ry(yaw) @ Rz(pitch); base is its own inverse
    return np.array([math.atan2(m[0, 2], m[2, 2]), math.atan2(m[1, 0], m[1, 1])])


def _take_frames(keypoints: Keypoints2D, contour: BackContour, idx: np.ndarray):
    """The keypoints and back contour of the frames ``idx`` only."""
    kp = dataclasses.replace(
        keypoints,
        data=keypoints.data[idx],
        frame_indices=np.asarray(keypoints.frame_indices)[idx],
        detected=np.asarray(keypoints.detected)[idx],
        interpolated=np.asarray(keypoints.interpolated)[idx],
        world=None if keypoints.world is None else keypoints.world[idx],
    )
    per_frame = ("depth", "valid", "points_px", "origin_px", "axis", "normal", "length_px")
    ct = dataclasses.replace(contour, **{n: getattr(contour, n)[idx] for n in per_frame})
    return kp, ct


def refine_static(
    keypoints: Keypoints2D,
    contour: BackContour,
    standing: np.ndarray,
    learned: SpineMorphology,
    template: SpineMorphology,
    layer: SagittalBody,
    *,
    standing_pelvic_tilt_deg: float | None = None,
    prior_weight: float = 1.0,
    iterations: int = 60,
    init: FrameFit | None = None,
    focal_px: float | None = None,
    pelvis_prior: str = "per_frame",
    fit_offset_deg: tuple[float, float, float] | None = None,
    refine_pelvis: bool = False,
) -> StaticRefinement:
    """Refine a learned morphology by fitting the body to the standing frames (MAP).

    Steps:

    1. Up to 8 standing frames (evenly spaced) are taken; the learned morphology becomes the
       prior means of the standing pelvis / lumbar / thoracic angles (:func:`morphology_angles`).
    2. :func:`.fit.fit_frames` on those frames: the body (``layer``: the person's shape, rest
       posture = ``template``) is posed so that its projected back midline matches the observed
       back contour and its joints the landmarks, plus the Gaussian prior
       ``prior_weight · 1e-4 · Σ ((angle − learned) / 3°)²`` over the three angles
       (:data:`PRIOR_SIGMA_DEG`); the other angles, the translation and the camera yaw/pitch are
       free. Start: ``init``'s angles, translation and camera at those frames (the per-frame
       step's solution) with the three angles set to the prior means; else the 2D geometry.
    3. The refined lordosis and kyphosis are the median refined angles through the template
       (module docstring); the sacral slope and standing tilt stay the learned ones unless
       ``refine_pelvis`` (then they move by the pelvis angle's change).

    Args:
        keypoints: the video's landmarks.
        contour: its back contour (any stations; those of ``contour`` are fitted).
        standing: (T,) bool standing frames.
        learned: the learned morphology (the prior's centre).
        template: the morphology of the body's rest posture (``layer.embedding.morphology``).
        layer: :class:`.fit.SagittalBody` of the person's estimated body shape.
        standing_pelvic_tilt_deg: the learned standing anterior pelvic tilt, if any.
        prior_weight: the prior's weight (0 = fit only; large = the learned estimate).
        iterations: fit iterations (half Adam, half L-BFGS).
        init: the per-frame :class:`.fit.FrameFit` of the whole video (a starting point).
        focal_px: focal length in pixels (default: the fit's assumption, or ``init``'s).
        pelvis_prior: centre of the pelvis angle's prior: ``"per_frame"`` = ``init``'s median
            standing pelvis tilt (the image-based estimate of how the body's pelvis sits, in
            the same camera), ``"learned"`` = the learned sacral slope through the template.
            Without ``init`` always ``"learned"``. The refined sacral slope and tilt move by
            the pelvis angle's change from that centre.
        fit_offset_deg: the fit's systematic (pelvis, lumbar, thoracic) offset, removed from
            its angles (the prior's centre moves by it and the result back); None =
            :data:`FIT_OFFSET_DEG`.
        refine_pelvis: also move the sacral slope and standing tilt by the refined pelvis
            angle's change. Off by default: the pelvis is fitted (it must be, for the trunk to
            sit right) but on the static model's training subjects moving them made both worse
            (sacral slope MAE 6.67° → 7.03°, tilt 4.63° → 4.83°, docs/reconstruction.md §3).

    Returns:
        The :class:`StaticRefinement`.

    Shapes:
        keypoints.data: (T, 33, 3); contour.depth: (T, N); standing: (T,).
    """
    standing = np.asarray(standing)
    t = keypoints.num_frames
    if standing.shape != (t,) or standing.dtype != bool or not standing.any():
        raise ValueError(
            f"refine_static: standing must be a (T,) = ({t},) bool mask with at least one True, "
            f"got shape {standing.shape} and dtype {standing.dtype}."
        )
    if contour.num_frames != t:
        raise ValueError(
            f"refine_static: contour has {contour.num_frames} frames, keypoints {t}; pass the "
            "back contour of these keypoints."
        )
    if init is not None and init.num_frames != t:
        raise ValueError(f"refine_static: init has {init.num_frames} frames, keypoints {t}.")
    if not (iterations >= 1 and prior_weight >= 0 and math.isfinite(prior_weight)):
        raise ValueError(
            f"refine_static: expected iterations >= 1 and a finite prior_weight >= 0, got "
            f"{iterations} and {prior_weight}."
        )
    if pelvis_prior not in ("per_frame", "learned"):
        raise ValueError(f"pelvis_prior must be 'per_frame' or 'learned', got {pelvis_prior!r}.")
    # 1. Frames and prior.
    idx = np.flatnonzero(standing)
    if len(idx) > _MAX_REFINE_FRAMES:
        idx = idx[np.linspace(0, len(idx) - 1, _MAX_REFINE_FRAMES).round().astype(int)]
    kp, ct = _take_frames(keypoints, contour, idx)
    cols = [ANGLE_NAMES.index(n) for n in _REFINED]
    prior = morphology_angles(learned, template)
    if init is not None and pelvis_prior == "per_frame":
        prior[0] = float(np.median(init.angle("pelvis_tilt")[idx]))
    offset = np.radians(FIT_OFFSET_DEG if fit_offset_deg is None else fit_offset_deg)
    if offset.shape != (3,) or not np.isfinite(offset).all():
        raise ValueError(f"fit_offset_deg: expected 3 finite degrees, got {fit_offset_deg}.")
    mean = np.zeros(len(ANGLE_NAMES))
    precision = np.zeros(len(ANGLE_NAMES))
    mean[cols] = prior + offset  # where the fit's biased angles should sit
    precision[cols] = prior_weight * _PRIOR_SCALE / math.radians(PRIOR_SIGMA_DEG) ** 2
    # 2. Fit from the per-frame solution (or the 2D geometry).
    face = "right" if ct.facing > 0 else "left"
    starts: dict = {}
    if init is not None:
        angles0 = np.array(init.angles[idx], dtype=np.float64)
        angles0[:, cols] = mean[cols]
        starts = dict(init_angles=angles0, init_transl=np.array(init.transl[idx]),
                      init_camera=_camera_angles(init.camera_R, ct.facing))  # fmt: skip
        focal_px = focal_px or float(init.K[0, 0])
    else:
        from .fit import _initial_angles

        angles0 = _initial_angles(kp, ct.facing)
        angles0[:, cols] = mean[cols]
        starts = dict(init_angles=angles0)
    config = FitConfig(iterations=int(iterations), adam_fraction=0.5, learning_rate=0.01,
                       contour_start=0.0, smooth_weight=0.0, focal_px=focal_px,
                       stations=tuple(np.asarray(ct.stations).tolist()),
                       max_vertices=len(layer.vertex_index), num_threads=None)  # fmt: skip
    fitted = fit_frames(kp, None, layer.body, config=config, facing=face, layer=layer,
                        contour=ct, angle_prior=(mean, precision), **starts)  # fmt: skip
    # 3. Back to a morphology.
    got = np.median(fitted.angles[:, cols], axis=0) - offset
    delta = np.degrees(got - prior)
    pelvis_change = float(delta[0]) if refine_pelvis else 0.0
    morphology = SpineMorphology(
        sacral_slope_deg=learned.sacral_slope_deg + pelvis_change,
        lumbar_lordosis_deg=learned.lumbar_lordosis_deg - float(delta[1]),
        thoracic_kyphosis_deg=learned.thoracic_kyphosis_deg + float(delta[2]),
        lateral_deviation_deg=learned.lateral_deviation_deg,
    )
    tilt = None if standing_pelvic_tilt_deg is None else standing_pelvic_tilt_deg + pelvis_change
    return StaticRefinement(
        morphology=morphology,
        standing_pelvic_tilt_deg=tilt,
        angles_deg=np.degrees(got),
        prior_deg=np.degrees(prior),
        frames=idx,
        keypoint_error=_nanmedian(fitted.keypoint_error),
        contour_error=_nanmedian(fitted.contour_error),
        prior_weight=float(prior_weight),
        iterations=int(iterations),
    )


def _nanmedian(x: np.ndarray) -> float:
    """Median of the finite values (NaN if none, without numpy's warning)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else math.nan
