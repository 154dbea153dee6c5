"""Overlay video: the analysis drawn on the real frames, for checking a result by eye.

Each frame of the analysed video gets: the silhouette outline (green), the 2D landmarks and
skeleton (person's left orange, right blue), a sparse projection of the fitted body mesh
(grey dots), the vertebral centres S1…C1 projected with the reconstruction's camera (a
magenta line, lumbar levels filled), and the lumbar angle (L1–S1, degrees, flexion positive)
with the movement phase as text.

**Camera.** The reconstruction fits a pinhole camera at the world origin (``reconstruct.fit``:
``FrameFit.camera_R``, ``K``), stored in :class:`~humanmovenet.pipeline.Analysis`
(``camera_R``, ``camera_K``) and used as is. An analysis without it (saved by an older version,
or a (spine, keypoints) object) gets it recovered: ``K`` rebuilt from the fit settings
(``focal_px`` or ``focal_factor`` × the larger image side, principal point at the image
centre), and the rotation that best turns the directions of the posed body's landmark joints
into the rays of the observed 2D landmarks solved in closed form (weighted Kabsch / Wahba, over
every frame); see :func:`overlay_camera`.

Written with PyAV (H.264 when the PyAV build has an encoder for it, else MPEG-4), atomically
(temporary file + rename), one frame at a time: the video is never held in memory.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from humanmovenet._atomic import atomic_open

__all__ = ["OverlayCamera", "overlay_camera", "project_points", "write_overlay_video"]

_SPINE = (230, 40, 200)  # magenta
_LUMBAR_FILL = (255, 230, 90)
_OUTLINE = (60, 230, 60)
_MESH = (200, 200, 200)
_LUMBAR_LEVELS = ("S1", "L5", "L4", "L3", "L2", "L1")


@dataclass(frozen=True)
class OverlayCamera:
    """The pinhole camera used to project the reconstruction onto the frames.

    Attributes:
        R: world → camera rotation (OpenCV axes: x right, y down, z forward), camera at the
            world origin, as in ``reconstruct.fit.FrameFit.camera_R``.
        K: intrinsics in pixels.
        reprojection_px: median distance between the projected landmark joints and the observed
            landmarks, pixels (a check of the recovered camera).

    Shapes:
        R, K: (3, 3).
    """

    R: np.ndarray
    K: np.ndarray
    reprojection_px: float

    def __post_init__(self) -> None:
        for name in ("R", "K"):
            value = np.asarray(getattr(self, name))
            if value.shape != (3, 3) or not np.isfinite(value).all():
                raise ValueError(f"OverlayCamera.{name}: expected a finite (3, 3) matrix, got "
                                 f"shape {value.shape}.")  # fmt: skip


def project_points(points: np.ndarray, camera: OverlayCamera) -> np.ndarray:
    """Pixel coordinates (u, v) of world points; NaN behind the camera.

    Shapes:
        points: (..., 3) → (..., 2).
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim < 1 or points.shape[-1] != 3:
        raise ValueError(f"points: expected world points of shape (..., 3), got {points.shape}.")
    cam = points @ camera.R.T
    z = cam[..., 2:3]
    uv = cam[..., :2] / np.where(z > 1e-6, z, np.nan)
    return uv * np.diag(camera.K)[:2] + camera.K[:2, 2]


def _intrinsics(analysis) -> np.ndarray:  # noqa: ANN001 - Analysis
    width, height = analysis.keypoints.image_size
    fit = analysis.config.reconstruct
    focal = fit.focal_px or fit.focal_factor * max(width, height)
    return np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1.0]])


def _posed_body(analysis, vertex_step: int, batch: int = 32):  # noqa: ANN001, ANN202
    """Landmark joints (T, 12, 3) and every ``vertex_step``-th mesh vertex (T, V', 3), world."""
    import torch

    from humanmovenet.body import create
    from humanmovenet.reconstruct.fit import LANDMARK_JOINTS

    pose = analysis.spine.pose
    if pose is None:
        raise ValueError(
            "the analysis has no body pose (spine.pose is None); re-run humanmovenet.analyze "
            "with this version to get one."
        )
    body = create("anny")
    betas = torch.as_tensor(np.asarray(pose.shape.betas), dtype=torch.float64).reshape(1, -1)
    jidx = [body.joint_index(j) for _, j in LANDMARK_JOINTS]
    joints, verts = [], []
    with torch.no_grad():
        for lo in range(0, pose.body_pose.shape[0], batch):
            hi = min(lo + batch, pose.body_pose.shape[0])
            out = body(betas.expand(hi - lo, -1),
                       torch.as_tensor(pose.body_pose[lo:hi], dtype=torch.float64),
                       torch.as_tensor(pose.root_orient[lo:hi], dtype=torch.float64),
                       torch.as_tensor(pose.transl[lo:hi], dtype=torch.float64))  # fmt: skip
            joints.append(out.joints[:, jidx].double().numpy())
            verts.append(out.vertices[:, ::vertex_step].double().numpy())
    return np.concatenate(joints), np.concatenate(verts)


def overlay_camera(analysis, joints: np.ndarray | None = None) -> OverlayCamera:  # noqa: ANN001
    """Recover the reconstruction's camera from an :class:`Analysis` (see the module docstring).

    Args:
        analysis: the analysis (its ``spine.pose`` and ``keypoints`` are used).
        joints: the posed landmark joints (computed if None).

    Shapes:
        joints: (T, 12, 3) in ``reconstruct.fit.LANDMARK_JOINTS`` order.
    """
    from humanmovenet.reconstruct.fit import LANDMARK_JOINTS

    if joints is None:
        joints, _ = _posed_body(analysis, vertex_step=10_000)
    K = _intrinsics(analysis)
    names = analysis.keypoints.landmark_names
    obs = analysis.keypoints.data[:, [names.index(m) for m, _ in LANDMARK_JOINTS]]  # (T, 12, 3)
    w = np.nan_to_num(obs[..., 2], nan=0.0) * np.isfinite(obs[..., :2]).all(-1)
    w = w * np.isfinite(joints).all(-1)
    stored_R, stored_K = getattr(analysis, "camera_R", None), getattr(analysis, "camera_K", None)
    if stored_R is not None and stored_K is not None:  # the fitted camera, when the analysis has it
        camera = OverlayCamera(R=np.asarray(stored_R, float), K=np.asarray(stored_K, float),
                               reprojection_px=float("nan"))  # fmt: skip
        return _with_reprojection(camera, joints, obs, w)
    if w.sum() <= 0:
        raise ValueError("no visible landmark to recover the camera from.")
    pix = np.concatenate([np.nan_to_num(obs[..., :2]), np.ones_like(obs[..., :1])], -1)
    rays = pix @ np.linalg.inv(K).T
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    dirs = np.nan_to_num(joints) / np.maximum(np.linalg.norm(np.nan_to_num(joints), axis=-1,
                                                              keepdims=True), 1e-9)  # fmt: skip
    # Wahba: R maximising Σ w (ray · R dir)  →  SVD of Σ w ray dirᵀ.
    h = np.einsum("tj,tja,tjb->ab", w, rays, dirs)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(u @ vt))
    R = u @ np.diag([1.0, 1.0, d]) @ vt
    return _with_reprojection(OverlayCamera(R=R, K=K, reprojection_px=float("nan")), joints, obs, w)


def _with_reprojection(camera: OverlayCamera, joints, obs, w) -> OverlayCamera:  # noqa: ANN001
    """The camera with its median landmark reprojection error (pixels) filled in."""
    err = np.linalg.norm(project_points(joints, camera) - obs[..., :2], axis=-1)
    ok = (w > 0.5) & np.isfinite(err)
    med = float(np.median(err[ok])) if ok.any() else float("nan")
    return OverlayCamera(R=camera.R, K=camera.K, reprojection_px=med)


def _encoder(codec: str | None) -> str:
    from av.codec import Codec

    names = (codec,) if codec else ("libx264", "h264", "mpeg4")
    for name in names:
        try:
            Codec(name, "w")
            return name
        except Exception:  # noqa: BLE001 - PyAV raises several kinds for an unknown codec
            continue
    raise ValueError(f"no video encoder among {names} in this PyAV build; try codec='mpeg4'.")


def _outline(mask: np.ndarray, size: tuple[int, int]) -> list[np.ndarray]:
    import cv2

    full = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(full, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return list(contours)


def _phase_name(code: int) -> str:
    from humanmovenet.types import MovementPhase

    try:
        return "phase: " + MovementPhase(code).name.lower().replace("_", " ")
    except ValueError:
        return ""


def _draw_text(image: np.ndarray, lines: Sequence[str]) -> None:
    import cv2

    scale = max(0.3, image.shape[0] / 1000)
    thick = max(1, round(scale * 2))
    y = int(28 * scale)
    for text in lines:
        cv2.putText(image, text, (int(10 * scale), y), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), thick + 2, cv2.LINE_AA)  # fmt: skip
        cv2.putText(image, text, (int(10 * scale), y), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), thick, cv2.LINE_AA)  # fmt: skip
        y += int(30 * scale)


def write_overlay_video(
    analysis,  # noqa: ANN001 - humanmovenet.pipeline.Analysis
    video_path: str | os.PathLike[str] | None = None,
    out_path: str | os.PathLike[str] = "overlay.mp4",
    *,
    landmarks: bool = True,
    silhouette: bool = True,
    mesh: bool = True,
    spine: bool = True,
    text: bool = True,
    codec: str | None = None,
    bit_rate: int = 4_000_000,
    progress: bool = False,
) -> Path:
    """Write the overlay video of an analysis (see the module docstring for what is drawn).

    Args:
        analysis: a :class:`~humanmovenet.pipeline.Analysis` (from ``analyze`` or
            ``Analysis.load``).
        video_path: the analysed video or image folder (default ``analysis.video``); read with
            the analysis' own frame range and rate, so frames and results line up.
        out_path: the ``.mp4`` file to write (replaced atomically).
        landmarks, silhouette, mesh, spine, text: what to draw.
        codec: a PyAV encoder name; default H.264 (``libx264``) if available, else MPEG-4.
        bit_rate: target bit rate, bits per second.
        progress: tqdm bar over frames.

    Returns:
        ``out_path``.

    Raises:
        FileNotFoundError: the video is missing.
        ValueError: the video does not match the analysis (other size or fewer frames), or
            the analysis has no body pose.
        OSError: the output cannot be written (nothing is left behind).
    """
    import av
    import cv2

    from humanmovenet.io import open_video
    from humanmovenet.pose2d.draw import draw_pose

    kp = analysis.keypoints
    video = Path(video_path if video_path is not None else analysis.video)
    if not video.exists():
        raise FileNotFoundError(f"{video}: the analysed video is not there; pass video_path.")
    out_path = Path(out_path)
    spine_data = analysis.spine
    if spine_data.num_frames != kp.num_frames:
        raise ValueError(f"the analysis has {spine_data.num_frames} spine frames but "
                         f"{kp.num_frames} keypoint frames; it is inconsistent.")  # fmt: skip
    joints, verts = _posed_body(analysis, vertex_step=12)
    camera = overlay_camera(analysis, joints)
    spine_uv = project_points(spine_data.positions, camera)  # (T, 25, 2)
    mesh_uv = project_points(verts, camera) if mesh else None
    lumbar = np.asarray(analysis.metrics.lumbar_angle, dtype=np.float64)
    phase = getattr(analysis.metrics, "phase", None)
    lumbar_idx = [spine_data.level_names.index(n) for n in _LUMBAR_LEVELS
                  if n in spine_data.level_names]  # fmt: skip
    row_of = {int(f): r for r, f in enumerate(kp.frame_indices)}
    sil = analysis.silhouettes
    width, height = kp.image_size
    ew, eh = width - width % 2, height - height % 2  # yuv420p needs even sizes
    name = _encoder(codec)
    v = analysis.config.video
    rate = Fraction(float(kp.fps)).limit_denominator(1001)
    written = 0
    out_path.parent.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=kp.num_frames, desc="overlay", unit="frame")
    try:
        with (
            open_video(video, start=v.start, stop=v.stop, target_fps=v.target_fps,
                       folder_fps=v.folder_fps) as reader,
            atomic_open(out_path, "wb") as fh,
            av.open(fh, mode="w", format="mp4") as container,
        ):  # fmt: skip
            stream = container.add_stream(name, rate=rate)
            stream.width, stream.height, stream.pix_fmt = ew, eh, "yuv420p"
            stream.bit_rate = int(bit_rate)
            for frame in reader:
                image = frame.image
                if image.shape[1] != width or image.shape[0] != height:
                    raise ValueError(
                        f"{video}: frames are {image.shape[1]}x{image.shape[0]} but the analysis "
                        f"saw {width}x{height}; pass the video that was analysed."
                    )
                r = row_of.get(int(frame.index))
                if r is not None:
                    image = _draw_frame(image, r, kp, sil, spine_uv, mesh_uv, lumbar, phase,
                                        lumbar_idx, landmarks, silhouette, spine, text,
                                        draw_pose, cv2)  # fmt: skip
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:eh, :ew]),
                                                format="rgb24")  # fmt: skip
                for packet in stream.encode(vf):
                    container.mux(packet)
                written += 1
                if bar is not None:
                    bar.update(1)
            for packet in stream.encode():
                container.mux(packet)
            if written == 0:
                raise ValueError(f"{video}: no frames were read in the analysed range.")
    finally:
        if bar is not None:
            bar.close()
    return out_path


def _draw_frame(image, r, kp, sil, spine_uv, mesh_uv, lumbar, phase, lumbar_idx,  # noqa: ANN001, ANN202, PLR0913
                landmarks, silhouette, spine, text, draw_pose, cv2):  # fmt: skip
    h, w = image.shape[:2]
    out = draw_pose(image, kp.data[r] if landmarks else None)
    thick = max(1, round(h / 300))
    if silhouette and sil is not None and (sil.valid is None or sil.valid[r]):
        cv2.drawContours(out, _outline(sil.masks[r], (w, h)), -1, _OUTLINE, thick, cv2.LINE_AA)
    if mesh_uv is not None:
        pts = mesh_uv[r]
        ok = np.isfinite(pts).all(-1) & (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) \
            & (pts[:, 1] < h)  # fmt: skip
        px = pts[ok].astype(np.int64)
        out[px[:, 1], px[:, 0]] = _MESH
    if spine:
        pts = spine_uv[r]
        if np.isfinite(pts).all():
            poly = np.round(pts).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(out, [poly], False, _SPINE, thick + 1, cv2.LINE_AA)
            for k, p in enumerate(np.round(pts).astype(np.int32)):
                fill = _LUMBAR_FILL if k in lumbar_idx else _SPINE
                cv2.circle(out, (int(p[0]), int(p[1])), thick + 1, fill, -1, cv2.LINE_AA)
    if text:
        lines = []
        if r < len(lumbar) and np.isfinite(lumbar[r]):
            lines.append(f"lumbar angle {np.degrees(lumbar[r]):+.1f} deg")
        if phase is not None and r < len(phase):
            lines.append(_phase_name(int(phase[r])))
        _draw_text(out, [s for s in lines if s])
    return out
