"""A noise / dropout model of MediaPipe's 2D landmarks, fitted to MediaPipe's real output on renders.

Later training can corrupt clean projected landmarks the way MediaPipe does on our renders
instead of running MediaPipe (DESIGN.md §5: "measure it, don't guess"). Every parameter is
fitted by :func:`fit_noise_model` to measurements made by ``benchmarks/bench_domain_gap.py``
(MediaPipe full, VIDEO mode, on rendered side-view sequences with projected ground truth); the
shipped fit is ``weights/landmark_noise.json`` with its provenance inside.

**Frames and units.** Landmarks are re-labelled *near* / *far* (the body side facing the camera
/ facing away) instead of left / right, because in a side view the two behave very differently.
Errors are expressed per frame in a **trunk-aligned 2D frame** built from the clean landmarks:
``up`` = unit image vector from the hip midpoint to the shoulder midpoint, ``front`` = ``up``
rotated by 90° towards the side the person faces; components ``(front, up)`` are in units of
the standing **body height in pixels** (so 0.01 = 1 % of body height).

**The generative model**, per sequence of T frames, landmark k (canonical near/far index):

1. ``e_t = bias + offset + u_t`` (all 33 landmarks × 2 components = 66 values, body-height
   units). ``offset`` ~ N(0, ``sequence_cov``) is drawn once per sequence: MediaPipe's error
   on renders is mostly a constant per sequence (subject, camera, appearance; measured
   within-sequence standard deviation ~0.5 % of body height against 1.5–3 % pooled), with a
   full 66 × 66 covariance estimated from the per-sequence mean errors.
   ``u_t = frame_basis @ z_t`` with independent unit-variance AR(2) components
   ``z_t,i = a1_i z_t−1,i + a2_i z_t−2,i + s_i ε`` (``frame_ar[i] = (a1_i, a2_i)``, ``s_i`` so
   that the variance is 1). ``frame_basis`` holds the principal axes of the measured covariance
   of ``e − bias`` scaled by the square roots of its eigenvalues (so ``frame_basis @
   frame_basis.T`` is the measured 66 × 66 covariance, correlations across landmarks included);
   ``(a1_i, a2_i)`` are fitted by least squares to the measured autocorrelation at lags
   1–15 frames projected on axis i (an AR(2) with two real roots, i.e. a fast and a slow time
   scale, because MediaPipe's error is both smooth from frame to frame and long-lived).
   The AR(2) starts in its stationary distribution.
2. **Gross errors**: a per-landmark two-state Markov chain (``outlier_p_enter_k``,
   ``outlier_p_stay_k``); in the outlier state ``bias + offset`` of that landmark is replaced
   by a displacement drawn from N(``outlier_mean_k``, ``outlier_cov_k``) once per episode and
   held while the episode lasts (``u_t`` continues on top). Outliers are residuals farther than ``outlier_threshold_sigma``
   robust standard deviations from the landmark's median.
3. **Left/right swaps** per limb group (legs: hip…foot index; arms: shoulder…wrist): a Markov
   chain (``p_enter``, ``p_stay``); in the swapped state the near and far landmarks of the group
   exchange their (noisy) positions.
4. **Dropout** of whole frames (MediaPipe found nobody): a Markov chain; x, y = NaN and
   visibility 0 there.
5. **Visibility** in [0, 1]: per landmark, the measured distribution (``visibility_quantiles``,
   inverse-CDF sampling) driven by a latent AR(1) Gaussian with coefficient
   ``visibility_ar1_k`` (the measured lag-1 correlation of the normal scores).

Markov chains start in their stationary distribution. What it does **not** capture (errors
correlated across landmarks within a frame, error growth with visibility, dependence on pose or
movement, tracking of the wrong person) is listed in ``docs/domain_gap.md``.

Example::

    from humanmovenet.synth.landmark_noise import LandmarkNoiseModel
    model = LandmarkNoiseModel.load()
    noisy = model.apply(clean_xy, body_height_px=300.0, rng=np.random.default_rng(0),
                        near_side="left")        # (T, 33, 3): x, y px (NaN = dropout), visibility
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from humanmovenet._paths import resolve_weight
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES

__all__ = [
    "LANDMARK_NOISE_FILENAME",
    "LANDMARK_NOISE_ENV",
    "LANDMARK_NOISE_SHA256",
    "CANONICAL_NAMES",
    "SWAP_GROUPS",
    "BONES",
    "LandmarkNoiseModel",
    "SequenceMeasurement",
    "fit_noise_model",
    "fit_from_records",
    "simulate_records",
    "canonical_permutation",
    "trunk_frame",
    "errors_in_body_frame",
    "landmark_errors",
    "jitter_pct",
    "bone_length_cv",
    "swap_flags",
    "markov_fit",
]

LANDMARK_NOISE_FILENAME = "landmark_noise.json"
LANDMARK_NOISE_ENV = "HUMANMOVENET_LANDMARK_NOISE"
#: sha256 of the shipped ``weights/landmark_noise.json`` (update it after a refit with ``--fit``).
LANDMARK_NOISE_SHA256 = "8d9afb1bc0cb734560fa7853a5f3b365eb73c3985fbab75a8343349ce8486cc4"
_FORMAT = "humanmovenet.landmark_noise"
_VERSION = 1
_J = len(MEDIAPIPE_LANDMARK_NAMES)
_NAMES = MEDIAPIPE_LANDMARK_NAMES


def _side_swapped_name(name: str) -> str:
    return name.replace("left", "\0").replace("right", "left").replace("\0", "right")


#: Landmark names with left/right replaced by near/far (near = the side facing the camera).
CANONICAL_NAMES: tuple[str, ...] = tuple(
    n.replace("left", "near").replace("right", "far") for n in _NAMES
)
#: Limb groups whose near and far landmarks MediaPipe can exchange.
SWAP_GROUPS: dict[str, tuple[str, ...]] = {
    "legs": ("hip", "knee", "ankle", "heel", "foot_index"),
    "arms": ("shoulder", "elbow", "wrist"),
}
#: Bones whose 2D length variation is reported (landmark pairs, left side).
BONES: dict[str, tuple[str, str]] = {
    "thigh": ("left_hip", "left_knee"),
    "shank": ("left_knee", "left_ankle"),
    "upper_arm": ("left_shoulder", "left_elbow"),
    "forearm": ("left_elbow", "left_wrist"),
    "foot": ("left_heel", "left_foot_index"),
}
_SWAP_MARGIN = 0.5  # swapped if the exchanged labels have < half the summed error
_SWAP_MIN_APART = 0.05  # ... and the two limbs are >= 5 % of body height apart
_OUTLIER_SIGMA = 4.0
_VIS_QUANTILES = 41


# ----------------------------------------------------------------------------- geometry


def canonical_permutation(near_side: str) -> np.ndarray:
    """Index array mapping MediaPipe order to near/far order (an involution).

    ``canonical = mediapipe[..., perm, :]`` and ``mediapipe = canonical[..., perm, :]``.
    """
    if near_side == "left":
        return np.arange(_J)
    if near_side == "right":
        return np.array([_NAMES.index(_side_swapped_name(n)) for n in _NAMES])
    raise ValueError(
        f"near_side must be 'left' or 'right' (the side facing the camera), got {near_side!r}."
    )


def _check_xy(name: str, xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (_J, 2):
        raise ValueError(f"{name}: expected shape (T, {_J}, 2) pixel coordinates, got {xy.shape}.")
    return xy


def _heights(height_px: float | np.ndarray, t: int) -> np.ndarray:
    h = np.asarray(height_px, dtype=np.float64)
    if h.ndim == 0:
        h = np.full(t, float(h))
    if h.shape != (t,) or not np.all(np.isfinite(h)) or np.any(h <= 0):
        raise ValueError(
            f"body_height_px: expected a positive number or {t} positive values (one per frame), "
            f"got shape {h.shape}."
        )
    return h


def infer_facing(clean_xy: np.ndarray) -> np.ndarray:
    """Per-frame image direction the person faces: +1 (towards +x) or -1, from toes vs heels.

    Shapes:
        clean_xy: (T, 33, 2) -> (T,).
    """
    toes = clean_xy[:, [_NAMES.index("left_foot_index"), _NAMES.index("right_foot_index")], 0]
    heels = clean_xy[:, [_NAMES.index("left_heel"), _NAMES.index("right_heel")], 0]
    sign = np.sign(np.nanmean(toes - heels, axis=1))
    return np.where(sign == 0, 1.0, sign)


def trunk_frame(clean_xy: np.ndarray, facing: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame unit ``front`` and ``up`` image vectors of the trunk-aligned frame.

    Shapes:
        clean_xy: (T, 33, 2); facing: scalar or (T,) of ±1 -> front, up: (T, 2).
    """
    hips = clean_xy[:, [_NAMES.index("left_hip"), _NAMES.index("right_hip")]].mean(1)
    shoulders = clean_xy[:, [_NAMES.index("left_shoulder"), _NAMES.index("right_shoulder")]].mean(1)
    up = shoulders - hips
    norm = np.linalg.norm(up, axis=1, keepdims=True)
    if np.any(~(norm > 0)):
        raise ValueError("clean landmarks: shoulders and hips coincide (or are NaN) in some frame.")
    up = up / norm
    sign = np.broadcast_to(np.asarray(facing, dtype=np.float64), (len(up),))[:, None]
    front = sign * np.stack([-up[:, 1], up[:, 0]], axis=1)
    return front, up


def errors_in_body_frame(
    det_xy: np.ndarray, clean_xy: np.ndarray, height_px: np.ndarray, facing: float | np.ndarray
) -> np.ndarray:
    """(det − clean) as (front, up) components in body-height units.

    Shapes:
        det_xy, clean_xy: (T, 33, 2); height_px: (T,) -> (T, 33, 2).
    """
    front, up = trunk_frame(clean_xy, facing)
    e = (det_xy - clean_xy) / height_px[:, None, None]
    return np.stack([np.einsum("tkc,tc->tk", e, front), np.einsum("tkc,tc->tk", e, up)], -1)


def _from_body_frame(e: np.ndarray, front: np.ndarray, up: np.ndarray, h: np.ndarray) -> np.ndarray:
    return (e[..., :1] * front[:, None] + e[..., 1:] * up[:, None]) * h[:, None, None]


def landmark_errors(det_xy: np.ndarray, gt_xy: np.ndarray) -> np.ndarray:
    """Euclidean 2D distance per frame and landmark (NaN where not detected).

    Shapes:
        det_xy, gt_xy: (T, J, 2) -> (T, J).
    """
    return np.linalg.norm(np.asarray(det_xy) - np.asarray(gt_xy), axis=-1)


def jitter_pct(xy: np.ndarray, height_px: np.ndarray) -> np.ndarray:
    """Frame-to-frame jitter: |x_{t+1} − 2 x_t + x_{t−1}| in % of body height (needs 3 frames).

    The second difference removes smooth motion to first order, so on a 30 fps video it
    measures the non-smooth part of the landmark track. NaN where a frame is missing.

    Shapes:
        xy: (T, J, 2); height_px: (T,) -> (T − 2, J).
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[0] < 3:
        return np.empty((0, xy.shape[1]))
    acc = xy[2:] - 2 * xy[1:-1] + xy[:-2]
    return 100 * np.linalg.norm(acc, axis=-1) / np.asarray(height_px)[1:-1, None]


def bone_length_cv(xy: np.ndarray, bone: str) -> float:
    """Coefficient of variation of a bone's 2D length over a sequence, mean of both sides.

    NaN frames are ignored; NaN if fewer than 3 valid frames.
    """
    a, b = BONES[bone]
    cvs = []
    for na, nb in ((a, b), (_side_swapped_name(a), _side_swapped_name(b))):
        length = np.linalg.norm(xy[:, _NAMES.index(na)] - xy[:, _NAMES.index(nb)], axis=-1)
        length = length[np.isfinite(length)]
        if length.size >= 3 and length.mean() > 0:
            cvs.append(length.std() / length.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def swap_flags(
    det_xy: np.ndarray, gt_xy: np.ndarray, height_px: np.ndarray
) -> dict[str, np.ndarray]:
    """Per frame and limb group: 1.0 swapped, 0.0 not, NaN undecidable (limbs overlap / missing).

    Swapped when exchanging the group's left and right labels lowers the group's summed error
    below half, and the two limbs are at least 5 % of body height apart in the ground truth.

    Shapes:
        det_xy, gt_xy: (T, 33, 2); height_px: (T,) -> {group: (T,)}.
    """
    out = {}
    for group, parts in SWAP_GROUPS.items():
        li = [_NAMES.index(f"left_{p}") for p in parts]
        ri = [_NAMES.index(f"right_{p}") for p in parts]
        same = landmark_errors(det_xy[:, li], gt_xy[:, li]).sum(-1) + landmark_errors(
            det_xy[:, ri], gt_xy[:, ri]
        ).sum(-1)
        swap = landmark_errors(det_xy[:, li], gt_xy[:, ri]).sum(-1) + landmark_errors(
            det_xy[:, ri], gt_xy[:, li]
        ).sum(-1)
        apart = landmark_errors(gt_xy[:, li], gt_xy[:, ri]).mean(-1) >= _SWAP_MIN_APART * height_px
        flag = np.where(swap < _SWAP_MARGIN * same, 1.0, 0.0)
        flag[~apart | ~np.isfinite(same)] = np.nan
        out[group] = flag
    return out


# --------------------------------------------------------------------------------- fitting


def markov_fit(states: Iterable[np.ndarray]) -> dict[str, float]:
    """Fit a two-state Markov chain to 0/1 sequences (NaN = unknown, breaks the chain).

    Returns:
        ``p_enter`` = P(1 | previous 0), ``p_stay`` = P(1 | previous 1), the transition counts
        and the fraction of known frames in state 1.
    """
    n00 = n01 = n10 = n11 = 0
    ones = known = 0
    for s in states:
        s = np.asarray(s, dtype=np.float64)
        ok = np.isfinite(s)
        ones += int(np.sum(s[ok] == 1))
        known += int(ok.sum())
        pair = ok[1:] & ok[:-1]
        a, b = s[:-1][pair], s[1:][pair]
        n00 += int(np.sum((a == 0) & (b == 0)))
        n01 += int(np.sum((a == 0) & (b == 1)))
        n10 += int(np.sum((a == 1) & (b == 0)))
        n11 += int(np.sum((a == 1) & (b == 1)))
    return {
        "p_enter": n01 / (n00 + n01) if n00 + n01 else 0.0,
        "p_stay": n11 / (n10 + n11) if n10 + n11 else 0.0,
        "transitions_from_0": n00 + n01,
        "transitions_from_1": n10 + n11,
        "fraction": ones / known if known else 0.0,
    }


@dataclass(frozen=True)
class SequenceMeasurement:
    """MediaPipe output and ground truth of one rendered sequence (input of the fit).

    Attributes:
        gt: projected ground-truth landmarks, px. det: MediaPipe x, y px and visibility (NaN
        x, y where not detected). detected: MediaPipe found the subject. height_px: standing
        body height in px at the body's depth. near_side: body side facing the camera.
        facing: +1 if the person faces image +x, -1 if -x.

    Shapes:
        gt: (T, 33, 2); det: (T, 33, 3); detected, height_px: (T,).
    """

    gt: np.ndarray
    det: np.ndarray
    detected: np.ndarray
    height_px: np.ndarray
    near_side: str
    facing: float


def _unswap(det: np.ndarray, flags: dict[str, np.ndarray]) -> np.ndarray:
    """Exchange back the left/right landmarks of swapped groups."""
    det = det.copy()
    for group, parts in SWAP_GROUPS.items():
        li = [_NAMES.index(f"left_{p}") for p in parts]
        ri = [_NAMES.index(f"right_{p}") for p in parts]
        rows = flags[group] == 1
        left = det[rows][:, li].copy()
        det[np.ix_(rows, li)] = det[rows][:, ri]
        det[np.ix_(rows, ri)] = left
    return det


def _cov2(x: np.ndarray) -> np.ndarray:
    """2x2 covariance of (N, 2) samples (zeros if N < 2)."""
    return np.cov(x.T) if len(x) >= 2 else np.zeros((2, 2))


def fit_noise_model(
    measurements: Sequence[SequenceMeasurement], provenance: dict | None = None
) -> LandmarkNoiseModel:
    """Fit every parameter of :class:`LandmarkNoiseModel` to MediaPipe measurements on renders.

    Steps: (1) swap flags per limb group → swap Markov chains, swapped frames un-swapped;
    (2) errors to near/far order and the trunk frame (body-height units); (3) per landmark:
    median, robust scale (median radius / 1.1774, the 2D Gaussian's), outliers beyond
    ``4`` robust sigmas → outlier Markov chain and outlier mean/covariance; inlier mean = bias;
    (4) on frames where all 33 landmarks are inliers: per-sequence mean error − bias →
    ``sequence_cov``; error − sequence mean → 66 × 66 covariance and symmetrised lag-1 and
    lag-2 autocovariances (pairs of such frames) → eigen-decomposition → ``frame_basis`` /
    ``frame_ar``; (5) dropout
    Markov chain from ``detected``; (6) visibility quantiles and the lag-1 correlation of their
    normal scores.

    Args:
        measurements: the sequences (at least one with detections).
        provenance: free-form description stored with the model (command, data, versions).

    Returns:
        The fitted model.
    """
    if not measurements:
        raise ValueError("fit_noise_model: expected at least one SequenceMeasurement.")
    per_seq = []  # (canonical errors (T,33,2), valid (T,33), canonical visibility (T,33))
    swaps: dict[str, list[np.ndarray]] = {g: [] for g in SWAP_GROUPS}
    for m in measurements:
        gt = _check_xy("gt", m.gt)
        det = np.asarray(m.det, dtype=np.float64)
        h = _heights(m.height_px, len(gt))
        flags = swap_flags(det[..., :2], gt, h)
        for g in SWAP_GROUPS:
            swaps[g].append(flags[g])
        det = _unswap(det, {g: np.nan_to_num(f) for g, f in flags.items()})
        perm = canonical_permutation(m.near_side)
        err = errors_in_body_frame(det[..., :2], gt, h, m.facing)[:, perm]
        valid = np.asarray(m.detected, bool)[:, None] & np.all(np.isfinite(err), -1)
        per_seq.append((err, valid, det[:, perm, 2]))
    if not any(v.any() for _, v, _ in per_seq):
        raise ValueError("fit_noise_model: MediaPipe detected nothing in the measurements.")
    p = {name: np.zeros(shape) for name, shape in _ARRAY_SHAPES.items()}
    counts = np.zeros(_J, dtype=np.int64)
    inlier_masks = [np.zeros(v.shape, bool) for _, v, _ in per_seq]
    for k in range(_J):
        # 3. robust centre and scale, gross errors
        allk = np.concatenate([e[v[:, k], k] for e, v, _ in per_seq])
        counts[k] = len(allk)
        med = np.median(allk, axis=0)
        sigma = np.median(np.linalg.norm(allk - med, axis=1)) / np.sqrt(2 * np.log(2))
        limit = _OUTLIER_SIGMA * max(sigma, 1e-12)
        states = []
        for (e, v, _), mask in zip(per_seq, inlier_masks, strict=True):
            out = v[:, k] & (np.linalg.norm(e[:, k] - med, axis=1) > limit)
            states.append(np.where(v[:, k], out.astype(float), np.nan))
            mask[:, k] = v[:, k] & ~out
        chain = markov_fit(states)
        p["outlier_p_enter"][k], p["outlier_p_stay"][k] = chain["p_enter"], chain["p_stay"]
        outl = np.concatenate([e[s == 1, k] for (e, _, _), s in zip(per_seq, states, strict=True)])
        if len(outl):
            p["outlier_mean"][k] = outl.mean(0)
            p["outlier_cov"][k] = _cov2(outl)
        p["bias"][k] = np.concatenate([e[m[:, k], k] for (e, _, _), m in
                                       zip(per_seq, inlier_masks, strict=True)]).mean(0)  # fmt: skip
        # 6. visibility
        vis = np.concatenate([vv[v[:, k], k] for _, v, vv in per_seq])
        p["visibility_quantiles"][k] = np.quantile(vis, np.linspace(0, 1, _VIS_QUANTILES))
        p["visibility_ar1"][k] = _normal_score_ar1(per_seq, k)
    # 4. joint (all landmarks) AR(1) noise about the bias, on frames where all are inliers
    frames, lags, offsets = [], {g: [] for g in range(1, _MAX_LAG + 1)}, []
    for (e, _, _), mask in zip(per_seq, inlier_masks, strict=True):
        full = mask.all(1)
        if full.sum() < 3:
            continue
        mean = e[full].mean(0)  # this sequence's offset (subject, camera, appearance)
        offsets.append((mean - p["bias"]).reshape(-1))
        u = (e - mean).reshape(len(e), -1)
        frames.append(u[full])
        for lag, pairs in lags.items():
            pair = full[lag:] & full[:-lag]
            pairs.append((u[lag:][pair], u[:-lag][pair]))
    n_full = sum(len(f) for f in frames)
    if n_full < 4 * _J:
        raise ValueError("fit_noise_model: too few frames with every landmark detected to fit "
                         "the joint frame noise; render more sequences.")  # fmt: skip
    allu = np.concatenate(frames)
    cov = allu.T @ allu / len(allu)
    lagcov = {}
    for lag, pairs in lags.items():
        nxt, prev = (np.concatenate(x) for x in zip(*pairs, strict=True))
        lagcov[lag] = (nxt.T @ prev + prev.T @ nxt) / (2 * max(1, len(nxt)))
    lag1 = lagcov[1]
    lam, vec = np.linalg.eigh(cov)
    lam = np.clip(lam, 0.0, None)
    ok = lam > 1e-12 * lam.max()
    rho = np.stack([
        np.where(ok, np.einsum("ai,ab,bi->i", vec, lagcov[g], vec) / np.where(ok, lam, 1), 0.0)
        for g in lags
    ], axis=1)  # fmt: skip
    p["frame_ar"] = _fit_ar2_to_acf(rho)
    p["frame_basis"] = vec * np.sqrt(lam)
    off = np.array(offsets)
    p["sequence_cov"] = off.T @ off / len(off)
    measured_ar1 = (np.diag(lag1) / np.maximum(np.diag(cov), 1e-30)).reshape(_J, 2).mean(1)
    dropout = markov_fit([~np.asarray(m.detected, bool) for m in measurements])
    swap = {g: markov_fit(v) for g, v in swaps.items()}
    return LandmarkNoiseModel(
        **p,
        dropout_p_enter=dropout["p_enter"],
        dropout_p_stay=dropout["p_stay"],
        swap_p_enter={g: s["p_enter"] for g, s in swap.items()},
        swap_p_stay={g: s["p_stay"] for g, s in swap.items()},
        fit_counts={
            "sequences": len(measurements),
            "frames": int(sum(len(m.detected) for m in measurements)),
            "detected_frames": int(sum(int(np.sum(m.detected)) for m in measurements)),
            "landmark_samples": counts.tolist(),
            "frames_all_landmarks_inlier": int(n_full),
            "measured_landmark_ar1": measured_ar1.tolist(),
            "dropout": dropout,
            "swap": swap,
            "outlier_fraction": [
                float(x) for x in _outlier_fraction(p["outlier_p_enter"], p["outlier_p_stay"])
            ],
        },
        provenance=dict(provenance or {}),
    )


_MAX_LAG = 15  # autocorrelation lags (frames) the AR(2) components are fitted to


def _fit_ar2_to_acf(rho: np.ndarray) -> np.ndarray:
    """(K, 2) AR(2) coefficients whose autocorrelation best fits ``rho`` at lags 1..L.

    Least squares over a grid of real characteristic roots r1, r2 in [0, 0.995] (stationary
    AR(2) with a1 = r1 + r2, a2 = −r1 r2): a fast and a slow time scale per component, so the
    short-lag smoothness and the long memory of MediaPipe's error are both approximated.

    Shapes:
        rho: (K, L) -> (K, 2).
    """
    grid = np.linspace(0.0, 0.995, 200)
    r1, r2 = (g.reshape(-1) for g in np.meshgrid(grid, grid, indexing="ij"))
    keep = r1 >= r2
    r1, r2 = r1[keep], r2[keep]
    ar = np.stack([r1 + r2, -r1 * r2], axis=1)
    lags = rho.shape[1]
    acf = np.empty((len(ar), lags))
    acf[:, 0] = ar[:, 0] / (1 - ar[:, 1])
    if lags > 1:
        acf[:, 1] = ar[:, 0] * acf[:, 0] + ar[:, 1]
    for k in range(2, lags):
        acf[:, k] = ar[:, 0] * acf[:, k - 1] + ar[:, 1] * acf[:, k - 2]
    sse = (rho**2).sum(1)[:, None] - 2 * rho @ acf.T + (acf**2).sum(1)[None]
    return ar[np.argmin(sse, axis=1)]


def _yule_walker_ar2(rho1: np.ndarray, rho2: np.ndarray) -> np.ndarray:
    """(K, 2) AR(2) coefficients with autocorrelations rho1, rho2; AR(1) where not stationary."""
    rho1 = np.clip(rho1, -0.999, 0.999)
    a1 = rho1 * (1 - rho2) / (1 - rho1**2)
    a2 = (rho2 - rho1**2) / (1 - rho1**2)
    stationary = (np.abs(a2) < 0.999) & (a1 + a2 < 0.999) & (a2 - a1 < 0.999)
    return np.stack([np.where(stationary, a1, rho1), np.where(stationary, a2, 0.0)], axis=1)


def _ar2_autocorr(ar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lag-1, lag-2 autocorrelation and innovation std of unit-variance AR(2) processes."""
    a1, a2 = ar[:, 0], ar[:, 1]
    rho1 = a1 / (1 - a2)
    rho2 = a1 * rho1 + a2
    return rho1, rho2, np.sqrt(np.clip(1 - a1 * rho1 - a2 * rho2, 0.0, None))


def _outlier_fraction(p_enter: np.ndarray, p_stay: np.ndarray) -> np.ndarray:
    """Stationary probability of state 1 of two-state chains."""
    denom = p_enter + 1.0 - p_stay
    return np.where(denom > 0, p_enter / np.where(denom > 0, denom, 1.0), 0.0)


def _normal_score_ar1(per_seq: list, k: int) -> float:
    """Lag-1 correlation of the visibility's normal scores (rank-based) of landmark k."""
    vis = np.concatenate([vv[v[:, k], k] for _, v, vv in per_seq])
    if vis.size < 3 or np.ptp(vis) == 0:
        return 0.0
    srt = np.sort(vis)
    num = den = 0.0
    for _, v, vv in per_seq:
        x = np.where(v[:, k], vv[:, k], np.nan)
        # mid-rank CDF → normal score
        cdf = (np.searchsorted(srt, x, "left") + np.searchsorted(srt, x, "right")) / (2 * srt.size)
        z = ndtri(np.clip(cdf, 0.5 / srt.size, 1 - 0.5 / srt.size))
        z[~v[:, k]] = np.nan
        pair = np.isfinite(z[1:]) & np.isfinite(z[:-1])
        num += float(np.sum(z[1:][pair] * z[:-1][pair]))
        den += float(np.sum(z[1:][pair] ** 2) + np.sum(z[:-1][pair] ** 2)) / 2
    return float(np.clip(num / den, -0.999, 0.999)) if den > 0 else 0.0


_ARRAY_SHAPES: dict[str, tuple[int, ...]] = {
    "bias": (_J, 2),
    "frame_basis": (2 * _J, 2 * _J),
    "frame_ar": (2 * _J, 2),
    "sequence_cov": (2 * _J, 2 * _J),
    "outlier_p_enter": (_J,),
    "outlier_p_stay": (_J,),
    "outlier_mean": (_J, 2),
    "outlier_cov": (_J, 2, 2),
    "visibility_quantiles": (_J, _VIS_QUANTILES),
    "visibility_ar1": (_J,),
}


# ----------------------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class LandmarkNoiseModel:
    """Fitted MediaPipe landmark noise / dropout model (see the module docstring).

    All per-landmark arrays are in near/far order (:data:`CANONICAL_NAMES`), body-height units,
    (front, up) components of the trunk-aligned frame.

    Attributes:
        bias: mean inlier error. sequence_cov: covariance of the per-sequence offset, flattened
        landmark-major (index 2k + c = landmark k, component c). frame_basis: scaled principal
        axes (columns) of the within-sequence inlier noise, rows flattened the same way.
        frame_ar: AR(2) coefficients (a1, a2) of each column's component.
        outlier_p_enter, outlier_p_stay: gross-error Markov chain. outlier_mean, outlier_cov:
        gross-error distribution. visibility_quantiles: visibility at probabilities
        ``linspace(0, 1, Q)``. visibility_ar1: lag-1 correlation of the latent Gaussian.
        dropout_p_enter, dropout_p_stay: whole-frame dropout chain. swap_p_enter, swap_p_stay:
        per limb group. fit_counts: sample sizes. provenance: how it was made.

    Shapes:
        bias, outlier_mean: (33, 2); sequence_cov, frame_basis: (66, 66); frame_ar: (66, 2);
        outlier_cov: (33, 2, 2); outlier_p_enter, outlier_p_stay, visibility_ar1: (33,);
        visibility_quantiles: (33, Q).
    """

    bias: np.ndarray
    frame_basis: np.ndarray
    frame_ar: np.ndarray
    sequence_cov: np.ndarray
    outlier_p_enter: np.ndarray
    outlier_p_stay: np.ndarray
    outlier_mean: np.ndarray
    outlier_cov: np.ndarray
    visibility_quantiles: np.ndarray
    visibility_ar1: np.ndarray
    dropout_p_enter: float
    dropout_p_stay: float
    swap_p_enter: dict[str, float]
    swap_p_stay: dict[str, float]
    fit_counts: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, shape in _ARRAY_SHAPES.items():
            arr = np.asarray(getattr(self, name), dtype=np.float64)
            if name == "visibility_quantiles":
                ok = arr.ndim == 2 and arr.shape[0] == _J and arr.shape[1] >= 2
            else:
                ok = arr.shape == shape
            if not ok or not np.all(np.isfinite(arr)):
                raise ValueError(
                    f"LandmarkNoiseModel.{name}: expected finite values of shape {shape}, got {arr.shape}."
                )
            object.__setattr__(self, name, arr)
        a1, a2 = self.frame_ar[:, 0], self.frame_ar[:, 1]
        if np.any((np.abs(a2) >= 1) | (a1 + a2 >= 1) | (a2 - a1 >= 1)):
            raise ValueError(
                "LandmarkNoiseModel.frame_ar: every AR(2) component must be stationary."
            )
        probs = [self.outlier_p_enter, self.outlier_p_stay, self.visibility_ar1]
        probs += [np.array([self.dropout_p_enter, self.dropout_p_stay])]
        probs += [np.array(list(self.swap_p_enter.values()) + list(self.swap_p_stay.values()))]
        if any(np.any(np.abs(p) > 1) for p in probs) or set(self.swap_p_enter) != set(SWAP_GROUPS):
            raise ValueError(
                "LandmarkNoiseModel: probabilities and AR(1) coefficients must lie in [-1, 1] "
                f"(probabilities in [0, 1]) and swap groups must be {sorted(SWAP_GROUPS)}."
            )

    # ------------------------------------------------------------------------ persistence

    def to_dict(self) -> dict:
        """JSON-ready dictionary (arrays as nested lists)."""
        out = {"format": _FORMAT, "version": _VERSION, "landmarks": list(CANONICAL_NAMES),
               "units": "body height (standing stature in pixels at the body's depth)",
               "frame": "trunk-aligned 2D (front, up); near = side facing the camera"}  # fmt: skip
        for key, value in asdict(self).items():
            if isinstance(value, np.ndarray):  # 7 significant digits keep the file small
                value = np.vectorize(lambda x: float(f"{x:.7g}"), otypes=[float])(value).tolist()
            out[key] = value
        return out

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model as JSON; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, default=float) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict) -> LandmarkNoiseModel:
        """Inverse of :meth:`to_dict`; raises ValueError on another format or version."""
        if data.get("format") != _FORMAT or data.get("version") != _VERSION:
            raise ValueError(
                f"not a {_FORMAT} v{_VERSION} file (format={data.get('format')!r}, "
                f"version={data.get('version')!r}); refit it with "
                "`python benchmarks/bench_domain_gap.py --fit`."
            )
        names = [f for f in cls.__dataclass_fields__]
        missing = [n for n in names if n not in data and n not in ("fit_counts", "provenance")]
        if missing:
            raise ValueError(f"landmark noise file lacks fields {missing}; refit it.")
        kwargs = {n: data[n] for n in names if n in data}
        for n in _ARRAY_SHAPES:
            kwargs[n] = np.asarray(kwargs[n], dtype=np.float64)
        return cls(**kwargs)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> LandmarkNoiseModel:
        """Load the fitted model.

        Resolution order: ``path``, ``$HUMANMOVENET_LANDMARK_NOISE``,
        ``$HUMANMOVENET_WEIGHTS_DIR/landmark_noise.json``, the shipped ``weights/`` (the last
        two checked against :data:`LANDMARK_NOISE_SHA256`).

        Raises:
            FileNotFoundError: no file (the message lists every fix). ValueError: not a valid
            model file.
        """
        found = resolve_weight(LANDMARK_NOISE_FILENAME, path=path, env_var=LANDMARK_NOISE_ENV,
                               sha256=LANDMARK_NOISE_SHA256, what="landmark noise model")  # fmt: skip
        try:
            data = json.loads(found.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"landmark noise model {found} is not valid JSON ({exc}); restore it with "
                "`git checkout -- weights/landmark_noise.json` or refit with "
                "`python benchmarks/bench_domain_gap.py --fit`."
            ) from None
        return cls.from_dict(data)

    # --------------------------------------------------------------------------- sampling

    @property
    def outlier_fraction(self) -> np.ndarray:
        """(33,) stationary probability of a gross error per landmark (near/far order)."""
        return _outlier_fraction(self.outlier_p_enter, self.outlier_p_stay)

    @property
    def dropout_fraction(self) -> float:
        """Stationary probability that a frame is dropped."""
        return float(
            _outlier_fraction(np.array(self.dropout_p_enter), np.array(self.dropout_p_stay))
        )

    @property
    def frame_cov(self) -> np.ndarray:
        """(66, 66) stationary covariance of the frame noise, ``frame_basis @ frame_basis.T``."""
        return self.frame_basis @ self.frame_basis.T

    @property
    def frame_lag1_cov(self) -> np.ndarray:
        """(66, 66) lag-1 autocovariance of the frame noise."""
        return (self.frame_basis * _ar2_autocorr(self.frame_ar)[0]) @ self.frame_basis.T

    @property
    def frame_lag2_cov(self) -> np.ndarray:
        """(66, 66) lag-2 autocovariance of the frame noise."""
        return (self.frame_basis * _ar2_autocorr(self.frame_ar)[1]) @ self.frame_basis.T

    def sample_errors(self, t: int, rng: np.random.Generator) -> np.ndarray:
        """Errors in body units and near/far order, before swaps (T, 33, 2)."""
        z = np.empty((t, 2 * _J))
        a1, a2 = self.frame_ar[:, 0], self.frame_ar[:, 1]
        rho1, _, scale = _ar2_autocorr(self.frame_ar)
        z[0] = rng.standard_normal(2 * _J)  # (z0, z1) from the stationary joint distribution
        if t > 1:
            z[1] = rho1 * z[0] + np.sqrt(1.0 - rho1**2) * rng.standard_normal(2 * _J)
        for i in range(2, t):
            z[i] = a1 * z[i - 1] + a2 * z[i - 2] + scale * rng.standard_normal(2 * _J)
        u = (z @ self.frame_basis.T).reshape(t, _J, 2)
        offset = (_psd_sqrt(self.sequence_cov) @ rng.standard_normal(2 * _J)).reshape(_J, 2)
        # gross errors: one displacement per episode, held while it lasts, frame noise on top
        state = _markov_sample(self.outlier_p_enter, self.outlier_p_stay, t, rng)  # (T, 33)
        draws = self.outlier_mean + np.einsum(
            "kab,tkb->tka", _psd_sqrt(self.outlier_cov), rng.standard_normal((t, _J, 2))
        )
        for i in range(1, t):
            cont = state[i] & state[i - 1]
            draws[i, cont] = draws[i - 1, cont]
        return np.where(state[..., None], draws, self.bias + offset) + u

    def sample_visibility(self, t: int, rng: np.random.Generator) -> np.ndarray:
        """(T, 33) visibility in near/far order."""
        z = np.empty((t, _J))
        z[0] = rng.standard_normal(_J)
        scale = np.sqrt(1.0 - self.visibility_ar1**2)
        for i in range(1, t):
            z[i] = self.visibility_ar1 * z[i - 1] + scale * rng.standard_normal(_J)
        probs = np.linspace(0.0, 1.0, self.visibility_quantiles.shape[1])
        u = ndtr(z)
        return np.stack(
            [np.interp(u[:, k], probs, self.visibility_quantiles[k]) for k in range(_J)], 1
        )

    def apply(
        self,
        clean_2d: np.ndarray,
        body_height_px: float | np.ndarray,
        rng: np.random.Generator,
        near_side: Literal["left", "right"] = "left",
        facing: float | np.ndarray | None = None,
    ) -> np.ndarray:
        """Corrupt clean projected landmarks the way MediaPipe does on renders.

        Args:
            clean_2d: ground-truth landmarks of one sequence in pixels, MediaPipe order.
            body_height_px: standing body height in pixels (scalar or per frame).
            rng: the only source of randomness (same seed → same output).
            near_side: body side facing the camera (``side_view_angles(camera).side``).
            facing: ±1 image direction the person faces (scalar or per frame); None: from toes
                vs heels of ``clean_2d``.

        Returns:
            (T, 33, 3) like ``Keypoints2D.data``: x, y px (NaN in dropped frames), visibility
            (0 in dropped frames).

        Shapes:
            clean_2d: (T, 33, 2); body_height_px: () or (T,) -> (T, 33, 3).
        """
        xy = _check_xy("clean_2d", clean_2d)
        if not np.all(np.isfinite(xy)):
            raise ValueError("clean_2d must be finite (ground truth has no missing landmarks).")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
                             "use numpy.random.default_rng(seed).")  # fmt: skip
        t = xy.shape[0]
        h = _heights(body_height_px, t)
        perm = canonical_permutation(near_side)
        if facing is None:
            facing = infer_facing(xy)
        front, up = trunk_frame(xy, facing)
        # 1.-2. correlated Gaussian noise and gross errors, in near/far order and body units
        e = self.sample_errors(t, rng)[:, perm]  # back to MediaPipe order
        noisy = xy + _from_body_frame(e, front, up, h)
        # 3. left/right swaps per limb group
        for group, parts in SWAP_GROUPS.items():
            state = _markov_sample(np.array([self.swap_p_enter[group]]),
                                   np.array([self.swap_p_stay[group]]), t, rng)[:, 0]  # fmt: skip
            li = [_NAMES.index(f"left_{p}") for p in parts]
            ri = [_NAMES.index(f"right_{p}") for p in parts]
            left = noisy[state][:, li].copy()
            noisy[np.ix_(state, li)] = noisy[state][:, ri]
            noisy[np.ix_(state, ri)] = left
        # 4. visibility, 5. dropout
        vis = self.sample_visibility(t, rng)[:, perm]
        drop = _markov_sample(
            np.array([self.dropout_p_enter]), np.array([self.dropout_p_stay]), t, rng
        )[:, 0]
        noisy[drop] = np.nan
        vis[drop] = 0.0
        return np.concatenate([noisy, vis[..., None]], axis=-1)


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """A matrix square root ``A`` with ``A @ A.T == cov`` of (batched) symmetric PSD matrices."""
    lam, vec = np.linalg.eigh(cov)
    return vec * np.sqrt(np.clip(lam, 0.0, None))[..., None, :]


def _markov_sample(
    p_enter: np.ndarray, p_stay: np.ndarray, t: int, rng: np.random.Generator
) -> np.ndarray:
    """(T, K) boolean two-state Markov chains started in their stationary distribution."""
    u = rng.random((t, len(p_enter)))
    state = np.empty((t, len(p_enter)), dtype=bool)
    state[0] = u[0] < _outlier_fraction(p_enter, p_stay)
    for i in range(1, t):
        state[i] = u[i] < np.where(state[i - 1], p_stay, p_enter)
    return state


# ----------------------------------------------------------------------- benchmark glue


def fit_from_records(records: Sequence, provenance: dict | None = None) -> LandmarkNoiseModel:
    """Fit from objects with ``gt, det, detected, height_px, near_side, facing`` attributes."""
    return fit_noise_model(
        [
            SequenceMeasurement(r.gt, r.det, r.detected, r.height_px, r.near_side, r.facing)
            for r in records
        ],  # fmt: skip
        provenance,
    )


def simulate_records(
    model: LandmarkNoiseModel, records: Sequence, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Apply the model to each record's ground truth: [(noisy (T, 33, 3), height_px, movement)]."""
    rng = np.random.default_rng(seed)
    return [
        (model.apply(r.gt, r.height_px, rng, r.near_side, r.facing), r.height_px,
         getattr(r, "movement", ""))
        for r in records
    ]  # fmt: skip
