"""Back contour of a side-view silhouette, in a body-normalised frame, and its curvature.

The 2D landmarks give the trunk *chord* (hip → shoulder) but not how the bend is shared between
hips, lumbar and thoracic spine; the dorsal outline of the silhouette does (DESIGN.md §5).

Body-normalised frame (per frame, in image pixels):

* origin ``o`` = mid-point of the two hip landmarks;
* trunk axis ``a`` = unit vector from ``o`` to the mid-point of the two shoulder landmarks;
* trunk length ``L`` = that distance in pixels (the unit of every normalised coordinate);
* posterior normal ``n`` = ``a`` turned 90° towards the person's back (which side that is
  follows from the facing direction: a person facing image-right has the back on the left).

A point ``p`` has normalised coordinates ``s = (p - o)·a / L`` (0 at the hips, 1 at the
shoulders) and ``d = (p - o)·n / L`` (distance behind the chord). The back contour is ``d(s)``
at fixed stations ``s_k``: along each line ``o + s_k L a + r L n`` (r ≥ 0) we walk away from the
chord and take the first place where the mask *enters* the body and then *leaves it for good*
(an outside run of at least ``min_gap`` trunk lengths, or the image border). Small holes in the
mask (shorter than the gap) are therefore jumped over, and an arm that swings behind the back
with a gap of background in between is not mistaken for the back. Everything is vectorised over
frames, stations and samples (one gather from the masks).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..io.arrays import release_pages
from ..types import Keypoints2D, Silhouettes

__all__ = [
    "BackContour",
    "trunk_frames",
    "facing_sign",
    "back_profile",
    "extract_back_contour",
    "profile_curvature",
    "contour_features",
    "DEFAULT_STATIONS",
]

#: Default stations along the trunk chord: from a little below the hips (buttocks, sacrum) to
#: the shoulders, 32 of them.
DEFAULT_STATIONS: np.ndarray = np.linspace(-0.15, 1.0, 32)
_PROFILE_CHUNK = 256  # frames per block of back_profile (≈ 25 MB of sample grid)
_CURVATURE_CHUNK = 1024  # frames per block of the curvature fit (≈ 8 MB of weights)
_ARM_CHUNK = 2048  # frames per block of the arm distance (≈ 6 MB per array)

_HIPS = ("left_hip", "right_hip")
_SHOULDERS = ("left_shoulder", "right_shoulder")


@dataclass(frozen=True)
class BackContour:
    """Back contours of a sequence in the body-normalised frame (module docstring).

    Attributes:
        stations: positions ``s_k`` along the trunk chord (0 = hips, 1 = shoulders).
        depth: distance of the back behind the chord at each station, in trunk lengths;
            NaN where no back edge was found.
        valid: True where ``depth`` is finite.
        points_px: the contour points in frame pixels (NaN where invalid).
        origin_px, axis, normal: the frame's origin (pixels) and unit vectors per frame.
        length_px: trunk length ``L`` in pixels per frame (NaN where landmarks are missing).
        facing: +1 if the person faces image-right, -1 if image-left.

    Shapes:
        stations: (N,); depth, valid: (T, N); points_px: (T, N, 2); origin_px, axis,
        normal: (T, 2); length_px: (T,).
    """

    stations: np.ndarray
    depth: np.ndarray
    valid: np.ndarray
    points_px: np.ndarray
    origin_px: np.ndarray
    axis: np.ndarray
    normal: np.ndarray
    length_px: np.ndarray
    facing: int

    @property
    def num_frames(self) -> int:
        return int(self.depth.shape[0])


def _landmark(keypoints: Keypoints2D, name: str) -> np.ndarray:
    return keypoints.xy[:, keypoints.index(name)]


def facing_sign(keypoints: Keypoints2D, facing: str | None = None) -> int:
    """+1 if the person faces image-right, -1 if image-left.

    Args:
        keypoints: the landmarks.
        facing: ``"left"``/``"right"`` to force it; None = ``keypoints.view.facing`` if known,
            else the median over frames of nose-ahead-of-ears.

    Raises:
        ValueError: if the direction cannot be decided (pass ``facing`` explicitly).
    """
    if facing is None and keypoints.view is not None and keypoints.view.facing != "unknown":
        facing = keypoints.view.facing
    if facing is not None:
        if facing not in ("left", "right"):
            raise ValueError(f"facing must be 'left', 'right' or None, got {facing!r}.")
        return 1 if facing == "right" else -1
    ears = 0.5 * (_landmark(keypoints, "left_ear") + _landmark(keypoints, "right_ear"))
    dx = _landmark(keypoints, "nose")[:, 0] - ears[:, 0]
    vote = np.nanmedian(np.sign(dx)) if np.isfinite(dx).any() else np.nan
    if not np.isfinite(vote) or vote == 0:
        raise ValueError(
            "cannot tell which way the person faces (nose and ears missing or ambiguous); pass "
            "facing='left' or 'right'."
        )
    return 1 if vote > 0 else -1


def trunk_frames(
    keypoints: Keypoints2D, facing: Literal["left", "right"] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Body-normalised frame of every frame from the hip and shoulder landmarks.

    Returns:
        (origin_px (T, 2), axis (T, 2), normal (T, 2), length_px (T,), facing sign); NaN rows
        where a hip or shoulder landmark is missing.
    """
    sign = facing_sign(keypoints, facing)
    hip = 0.5 * (_landmark(keypoints, _HIPS[0]) + _landmark(keypoints, _HIPS[1]))
    shoulder = 0.5 * (_landmark(keypoints, _SHOULDERS[0]) + _landmark(keypoints, _SHOULDERS[1]))
    chord = shoulder - hip
    length = np.linalg.norm(chord, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        axis = chord / length[:, None]
    # Facing right (+u): the back is on the left of an upward chord, i.e. a = (0, -1) → n = (-1, 0).
    normal = sign * np.stack([axis[:, 1], -axis[:, 0]], axis=-1)
    return hip, axis, normal, length, sign


def back_profile(
    masks: np.ndarray,
    origin_px: np.ndarray,
    axis: np.ndarray,
    normal: np.ndarray,
    length_px: np.ndarray,
    stations: np.ndarray = DEFAULT_STATIONS,
    *,
    scale: float = 1.0,
    max_depth: float = 0.7,
    samples: int = 128,
    min_gap: float = 0.04,
) -> np.ndarray:
    """Back depth behind the trunk chord at each station (the core of :func:`extract_back_contour`).

    Args:
        masks: person masks (True on the person), at ``scale`` × frame resolution.
        origin_px, axis, normal, length_px: the body-normalised frame per frame (frame pixels).
        stations: positions along the chord in trunk lengths.
        scale: mask resolution / frame resolution.
        max_depth: how far behind the chord to search, in trunk lengths.
        samples: samples per search line.
        min_gap: an outside run shorter than this (trunk lengths) is a hole, not the edge.

    Returns:
        Depth in trunk lengths, NaN where the line never enters the body, or where the frame
        is NaN.

    Shapes:
        masks: (T, H, W); origin_px, axis, normal: (T, 2); length_px: (T,); stations: (N,)
        → (T, N).
    """
    source, masks = masks, np.asarray(masks, dtype=bool)  # source: a memory map stays one
    if masks.ndim != 3:
        raise ValueError(f"masks: expected shape (T, H, W), got {masks.shape}.")
    t, h, w = masks.shape
    for name, arr, shape in (("origin_px", origin_px, (t, 2)), ("axis", axis, (t, 2)),
                             ("normal", normal, (t, 2)), ("length_px", length_px, (t,))):  # fmt: skip
        if np.shape(arr) != shape:
            raise ValueError(f"{name}: expected shape {shape}, got {np.shape(arr)}.")
    stations = np.asarray(stations, dtype=np.float64).reshape(-1)
    if t > _PROFILE_CHUNK:  # bounded memory on long videos: the sample grid is T × N × M × 2
        parts = []
        for lo in range(0, t, _PROFILE_CHUNK):
            hi = lo + _PROFILE_CHUNK
            parts.append(back_profile(source[lo:hi], origin_px[lo:hi], axis[lo:hi],
                                      normal[lo:hi], length_px[lo:hi], stations, scale=scale,
                                      max_depth=max_depth, samples=samples,
                                      min_gap=min_gap))  # fmt: skip
            # the pages of disk-backed masks read by this chunk would otherwise stay resident
            # (4 GB for 10 min of 1080p at mask scale 0.5)
            release_pages(source)
        return np.concatenate(parts)
    r = (np.arange(samples) + 0.5) * (max_depth / samples)  # (M,) trunk lengths
    # 1. Sample points (T, N, M, 2) in frame pixels, then mask pixels (nearest).
    base = (
        origin_px[:, None, :]
        + (stations[None, :, None] * length_px[:, None, None]) * axis[:, None, :]
    )
    pts = (
        base[:, :, None, :]
        + (r[None, None, :, None] * length_px[:, None, None, None]) * normal[:, None, None, :]
    )
    ok = np.isfinite(pts).all(-1)
    col = np.rint(np.where(ok, pts[..., 0], -1.0) * scale).astype(np.int64)
    row = np.rint(np.where(ok, pts[..., 1], -1.0) * scale).astype(np.int64)
    inside_img = ok & (col >= 0) & (col < w) & (row >= 0) & (row < h)
    flat = (np.arange(t)[:, None, None] * h + row) * w + col  # one flat gather (fast)
    inside = np.zeros(col.shape, dtype=bool)
    inside[inside_img] = masks.reshape(-1)[flat[inside_img]]
    # 2. First entry into the body along each line.
    entered = np.cumsum(inside, axis=-1) > 0
    # 3. First outside run of ≥ gap samples after the entry (running off the image counts).
    gap = max(1, int(np.ceil(min_gap / (max_depth / samples))))
    outside = np.concatenate([~inside, np.ones((t, len(stations), gap), dtype=bool)], axis=-1)
    csum = np.concatenate([np.zeros((t, len(stations), 1), int), np.cumsum(outside, -1)], -1)
    run = (csum[..., gap : gap + samples] - csum[..., :samples]) == gap
    exit_ok = run & entered & ~inside
    has_exit = exit_ok.any(-1) & entered[..., -1]
    first = np.argmax(exit_ok, axis=-1)
    # The edge lies half a sample before the first outside sample.
    depth = r[first] - 0.5 * (max_depth / samples)
    valid = has_exit & np.isfinite(length_px)[:, None] & (length_px[:, None] > 0)
    return np.where(valid, depth, np.nan)


def extract_back_contour(
    silhouettes: Silhouettes,
    keypoints: Keypoints2D,
    stations: np.ndarray = DEFAULT_STATIONS,
    *,
    facing: Literal["left", "right"] | None = None,
    max_depth: float = 0.7,
    samples: int = 128,
    min_gap: float = 0.04,
    median_window: int = 3,
    arm_radius: float = 0.12,
) -> BackContour:
    """Back contour of every frame of a side-view video.

    Args:
        silhouettes: the person masks.
        keypoints: landmarks of the same frames (hips and shoulders are used).
        stations: positions along the trunk chord in trunk lengths (default 32 from −0.15 to 1).
        facing: ``"left"``/``"right"``, or None to read it from the keypoints.
        max_depth, samples, min_gap: see :func:`back_profile`.
        median_window: odd width of a running median over stations that removes single-station
            spikes (e.g. a hand touching the back); 1 = off.
        arm_radius: contour points closer than this (trunk lengths) to an arm (the segments
            shoulder → elbow → wrist → a hand's length further, of either arm) are marked
            invalid: there the outline is the arm's, and the back behind it is hidden.
            0 = keep them.

    Returns:
        The :class:`BackContour`.

    Shapes:
        silhouettes.masks: (T, H, W); keypoints.data: (T, 33, 3) → depth (T, N).
    """
    masks = silhouettes.masks  # not np.asarray: a memory map must stay one (pages released)
    if masks.shape[0] != keypoints.num_frames:
        raise ValueError(
            f"silhouettes has {masks.shape[0]} frames but keypoints has {keypoints.num_frames}; "
            "pass the masks and landmarks of the same frames."
        )
    if median_window < 1 or median_window % 2 == 0:
        raise ValueError(f"median_window must be an odd number >= 1, got {median_window}.")
    origin, axis, normal, length, sign = trunk_frames(keypoints, facing)
    depth = back_profile(masks, origin, axis, normal, length, stations, scale=silhouettes.scale,
                         max_depth=max_depth, samples=samples, min_gap=min_gap)  # fmt: skip
    if silhouettes.valid is not None:
        depth[~np.asarray(silhouettes.valid, bool)] = np.nan
    if median_window > 1:
        half = median_window // 2
        padded = np.pad(depth, ((0, 0), (half, half)), mode="edge")
        windows = np.lib.stride_tricks.sliding_window_view(padded, median_window, axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
            smoothed = np.nanmedian(windows, axis=-1) if np.isfinite(depth).any() else depth
        depth = np.where(np.isfinite(depth), smoothed, np.nan)
    stations = np.asarray(stations, dtype=np.float64).reshape(-1)
    points = (origin[:, None, :] + stations[None, :, None] * length[:, None, None] * axis[:, None]
              + depth[..., None] * length[:, None, None] * normal[:, None])  # fmt: skip
    if arm_radius > 0:
        near_arm = _arm_distance(keypoints, points) < arm_radius * length[:, None]
        depth = np.where(near_arm, np.nan, depth)
        points = np.where(near_arm[..., None], np.nan, points)
    return BackContour(
        stations=stations,
        depth=depth,
        valid=np.isfinite(depth),
        points_px=points,
        origin_px=origin,
        axis=axis,
        normal=normal,
        length_px=length,
        facing=sign,
    )


def _arm_distance(keypoints: Keypoints2D, points: np.ndarray) -> np.ndarray:
    """Distance (pixels) of each contour point to the nearest arm segment; inf if no arm.

    In blocks of ``_ARM_CHUNK`` frames (each temporary is (T, N, 6, 2) float64: 55 MB for
    18,000 frames).

    Shapes:
        points: (T, N, 2) → (T, N).
    """
    segs = []
    for side in ("left", "right"):
        sh, el, wr = (_landmark(keypoints, f"{side}_{n}") for n in ("shoulder", "elbow", "wrist"))
        hand = wr + 0.4 * (wr - el)  # the hand continues the forearm
        segs += [(sh, el), (el, wr), (wr, hand)]
    a_all = np.stack([s[0] for s in segs], 1)[:, None]  # (T, 1, S, 2)
    b_all = np.stack([s[1] for s in segs], 1)[:, None]
    out = np.empty(points.shape[:2])
    for lo in range(0, points.shape[0], _ARM_CHUNK):
        hi = lo + _ARM_CHUNK
        a, b, p = a_all[lo:hi], b_all[lo:hi], points[lo:hi, :, None]  # p: (t, N, 1, 2)
        ab = b - a
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.clip(((p - a) * ab).sum(-1) / (ab * ab).sum(-1), 0.0, 1.0)
        dist = np.linalg.norm(p - (a + u[..., None] * ab), axis=-1)
        out[lo:hi] = np.nanmin(np.where(np.isfinite(dist), dist, np.inf), axis=-1)
    return out


def _smooth_derivatives(depth: np.ndarray, stations: np.ndarray, window: float):
    """Local quadratic fits (Savitzky–Golay-like on possibly uneven stations, NaN-aware).

    In blocks of ``_CURVATURE_CHUNK`` frames: the weights are (T, N, N) float64, 147 MB for
    the 18,000 frames of a 10-minute video, and every frame's fit is its own.
    """
    s = stations
    diff = s[None, :] - s[:, None]  # (N, N): s_j - s_k
    kernel = np.exp(-0.5 * (diff / window) ** 2)  # weights of station j for station k
    design = np.stack([np.ones_like(diff), diff, 0.5 * diff**2], axis=-1)  # (N, N, 3)
    coef = np.empty(depth.shape + (3,))  # (T, N, 3): value, slope, 2nd deriv
    for lo in range(0, depth.shape[0], _CURVATURE_CHUNK):
        d = depth[lo : lo + _CURVATURE_CHUNK]
        ok = np.isfinite(d)
        y = np.where(ok, d, 0.0)
        wts = kernel[None] * ok[:, None, :]  # (t, N, N)
        ata = np.einsum("tkj,kja,kjb->tkab", wts, design, design)
        aty = np.einsum("tkj,kja,tj->tka", wts, design, y)
        enough = ok.sum(-1)[:, None] >= 4
        ata = ata + 1e-12 * np.eye(3)
        part = np.linalg.solve(ata, aty[..., None])[..., 0]
        part[~(enough & ok)] = np.nan
        coef[lo : lo + _CURVATURE_CHUNK] = part
    return coef[..., 0], coef[..., 1], coef[..., 2]


def profile_curvature(
    depth: np.ndarray, stations: np.ndarray = DEFAULT_STATIONS, window: float = 0.06
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smoothed depth, slope and signed curvature of back profiles.

    Curvature ``κ = d'' / (1 + d'^2)^{3/2}`` in 1/trunk-length; positive where the back is
    *concave* seen from behind (a lordotic lumbar hollow), negative where convex (kyphosis,
    buttocks).

    Args:
        depth: profiles from :func:`extract_back_contour` (NaN = missing).
        stations: their stations.
        window: smoothing scale in trunk lengths (Gaussian-weighted local quadratic fit).

    Returns:
        (smoothed depth, slope dd/ds, curvature), each (T, N), NaN where undefined.
    """
    depth = np.atleast_2d(np.asarray(depth, dtype=np.float64))
    stations = np.asarray(stations, dtype=np.float64).reshape(-1)
    if depth.shape[-1] != stations.shape[0]:
        raise ValueError(
            f"depth: expected (T, {stations.shape[0]}) to match the stations, got {depth.shape}."
        )
    value, slope, second = _smooth_derivatives(depth, stations, window)
    # depth grows towards the back: a hollow (concave from behind) has d'' > 0.
    return value, slope, second / (1.0 + slope**2) ** 1.5


def contour_features(
    contour: BackContour | np.ndarray, stations: np.ndarray | None = None
) -> np.ndarray:
    """Fixed-length features of back profiles, for the learned regressors and for morphology.

    Features per frame (all in trunk lengths or radians, scale-free):

    1. the smoothed depth at every station (N);
    2. the curvature at every station (N);
    3. the lumbar hollow: maximum over s ∈ [0, 0.55] of the gap between the line touching the
       buttock (max depth on s ≤ 0.15) and the upper-back peak (max depth on s ≥ 0.45) and the
       profile below that line (0 if the back is flat or convex there);
    4. the lower-back tangent angle (slope of the profile over s ∈ [0.15, 0.45]) and the
       upper-back one (s ∈ [0.55, 0.95]) and their difference, in radians.

    Missing stations are NaN; a regressor should fill them (e.g. with 0) and also receive
    the ``valid`` mask.

    Returns:
        (T, 2N + 4) features.
    """
    if isinstance(contour, BackContour):
        depth, stations = contour.depth, contour.stations
    else:
        depth = np.atleast_2d(np.asarray(contour, dtype=np.float64))
        if stations is None:
            raise ValueError("pass the stations together with a raw depth array.")
        stations = np.asarray(stations, dtype=np.float64)
    value, _, curv = profile_curvature(depth, stations)
    hollow = _lumbar_hollow(value, stations)
    low = _line_slope(value, stations, 0.15, 0.45)
    high = _line_slope(value, stations, 0.55, 0.95)
    angles = np.stack([np.arctan(low), np.arctan(high), np.arctan(high) - np.arctan(low)], -1)
    return np.concatenate([value, curv, hollow[:, None], angles], axis=-1)


def _line_slope(value: np.ndarray, s: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sel = (s >= lo) & (s <= hi)
    y = value[:, sel]
    x = np.broadcast_to(s[sel], y.shape)
    ok = np.isfinite(y)
    n = ok.sum(-1)
    xm = np.where(ok, x, 0).sum(-1) / np.maximum(n, 1)
    ym = np.where(ok, y, 0).sum(-1) / np.maximum(n, 1)
    dx = np.where(ok, x - xm[:, None], 0.0)
    dy = np.where(ok, y - ym[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (dx * dy).sum(-1) / (dx**2).sum(-1)
    return np.where(n >= 3, slope, np.nan)


def _lumbar_hollow(value: np.ndarray, s: np.ndarray) -> np.ndarray:
    out = np.full(value.shape[0], np.nan)
    low_sel, high_sel, mid_sel = s <= 0.15, s >= 0.45, (s >= 0.0) & (s <= 0.55)
    v = np.where(np.isfinite(value), value, -np.inf)
    ok = np.isfinite(value[:, low_sel]).any(-1) & np.isfinite(value[:, high_sel]).any(-1)
    i_low = np.flatnonzero(low_sel)[np.argmax(v[:, low_sel], -1)]
    i_high = np.flatnonzero(high_sel)[np.argmax(v[:, high_sel], -1)]
    rows = np.arange(value.shape[0])
    s0, s1 = s[i_low], s[i_high]
    d0, d1 = value[rows, i_low], value[rows, i_high]
    with np.errstate(invalid="ignore", divide="ignore"):
        line = d0[:, None] + (d1 - d0)[:, None] * (s[None, :] - s0[:, None]) / (s1 - s0)[:, None]
    between = (s[None, :] > s0[:, None]) & (s[None, :] < s1[:, None]) & mid_sel[None, :]
    gap = np.where(between & np.isfinite(value), line - value, -np.inf).max(-1)
    out[ok] = np.maximum(gap[ok], 0.0)
    return out
