"""Pinhole cameras in the OpenCV convention, and a sampler of realistic side-view cameras.

Conventions:

* World frame (DESIGN.md §3): right-handed, +y up, +z where the person faces, +x to the
  person's left. Metres.
* Camera frame (OpenCV): +x right in the image, +y down, +z forward along the optical axis.
  ``Camera.R``/``Camera.t`` map world to camera: ``X_cam = R @ X_world + t``.
* Pixels: ``u = fx * x / z + cx``, ``v = fy * y / z + cy``; the centre of the top-left pixel is
  (0, 0), so a ``W`` x ``H`` image spans ``[-0.5, W - 0.5] x [-0.5, H - 0.5]`` and its centre is
  ``((W - 1) / 2, (H - 1) / 2)``. Row ``v`` of an image array is pixel row ``round(v)``.

The same projection is available in NumPy (:meth:`Camera.project`) and in differentiable,
batched torch (:func:`project_points_torch`) for reprojection fitting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

__all__ = [
    "Camera",
    "SideViewAngles",
    "look_at",
    "rotation_look_at",
    "sample_side_camera",
    "side_view_angles",
    "project_points_torch",
    "world_to_camera_torch",
    "DEFAULT_IMAGE_SIZES",
]

#: (width, height) choices used by :func:`sample_side_camera` when no size is given.
DEFAULT_IMAGE_SIZES: tuple[tuple[int, int], ...] = ((512, 512), (640, 480), (480, 640))

_WORLD_UP = np.array([0.0, 1.0, 0.0])
_PERSON_LEFT = np.array([1.0, 0.0, 0.0])


def _as_points(name: str, points: np.ndarray) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise ValueError(
            f"{name}: expected points of shape (..., 3), got {arr.shape}. Pass xyz coordinates "
            "in metres in the last axis."
        )
    return arr


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera (no lens distortion) in the OpenCV convention.

    Attributes:
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels (top-left pixel centre = (0, 0)).
        width, height: image size in pixels.
        R: world→camera rotation (rows are the camera's x right, y down, z forward axes in world
            coordinates).
        t: world→camera translation in metres (``X_cam = R @ X_world + t``).

    Shapes:
        R: (3, 3); t: (3,).
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    R: np.ndarray
    t: np.ndarray

    def __post_init__(self) -> None:
        rot = np.array(self.R, dtype=np.float64)
        trans = np.array(self.t, dtype=np.float64).reshape(-1)
        if rot.shape != (3, 3):
            raise ValueError(f"Camera.R: expected shape (3, 3), got {rot.shape}.")
        if trans.shape != (3,):
            raise ValueError(f"Camera.t: expected shape (3,), got {np.shape(self.t)}.")
        if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-6) or np.linalg.det(rot) < 0:
            raise ValueError("Camera.R must be a proper rotation matrix (orthonormal, det +1).")
        if not (self.fx > 0 and self.fy > 0):
            raise ValueError(f"Camera focal lengths must be > 0, got fx={self.fx}, fy={self.fy}.")
        if int(self.width) < 1 or int(self.height) < 1:
            raise ValueError(f"Camera size must be >= 1 pixel, got {self.width}x{self.height}.")
        rot.setflags(write=False)
        trans.setflags(write=False)
        object.__setattr__(self, "R", rot)
        object.__setattr__(self, "t", trans)
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        for name in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Camera):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash((self.fx, self.fy, self.cx, self.cy, self.width, self.height,
                     self.R.tobytes(), self.t.tobytes()))  # fmt: skip

    @property
    def K(self) -> np.ndarray:
        """(3, 3) intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self.width, self.height)

    @property
    def position(self) -> np.ndarray:
        """(3,) camera centre in world coordinates (``-R.T @ t``)."""
        return -self.R.T @ self.t

    @property
    def forward(self) -> np.ndarray:
        """(3,) optical axis (camera +z) in world coordinates."""
        return self.R[2].copy()

    def world_to_camera(self, points: np.ndarray) -> np.ndarray:
        """Transform world points into the camera frame.

        Args:
            points: world coordinates in metres.

        Returns:
            Camera-frame coordinates (x right, y down, z forward), metres.

        Shapes:
            points: (..., 3) → (..., 3).
        """
        pts = _as_points("points", points)
        return pts @ self.R.T + self.t

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Camera-space z (distance along the optical axis) of world points, metres.

        Shapes:
            points: (..., 3) → (...).
        """
        pts = _as_points("points", points)
        return pts @ self.R[2] + self.t[2]

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project world points to pixel coordinates.

        Args:
            points: world coordinates in metres; they should lie in front of the camera (z > 0),
                points behind it give meaningless pixels.

        Returns:
            (u, v) pixel coordinates (top-left pixel centre = (0, 0)).

        Shapes:
            points: (..., 3) → (..., 2).
        """
        cam = self.world_to_camera(points)
        z = cam[..., 2]
        u = self.fx * cam[..., 0] / z + self.cx
        v = self.fy * cam[..., 1] / z + self.cy
        return np.stack([u, v], axis=-1)

    def backproject(self, uv: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """World points at given pixels and camera-space depths (inverse of project + depth).

        Args:
            uv: pixel coordinates.
            depth: camera-space z in metres (e.g. a rendered depth map sampled at ``uv``).

        Returns:
            World coordinates in metres.

        Shapes:
            uv: (..., 2); depth: (...) → (..., 3).
        """
        pix = np.asarray(uv, dtype=np.float64)
        z = np.asarray(depth, dtype=np.float64)
        if pix.shape[-1:] != (2,) or pix.shape[:-1] != z.shape:
            raise ValueError(
                f"backproject: expected uv (..., 2) and depth (...) with matching leading "
                f"shapes, got {pix.shape} and {z.shape}."
            )
        cam = np.stack(
            [(pix[..., 0] - self.cx) / self.fx * z, (pix[..., 1] - self.cy) / self.fy * z, z],
            axis=-1,
        )
        return (cam - self.t) @ self.R

    def in_frame(self, points: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        """True where a world point is in front of the camera and projects inside the image.

        Args:
            points: world coordinates in metres.
            margin_px: required distance from the image border in pixels.

        Shapes:
            points: (..., 3) → (...) bool.
        """
        uv = self.project(points)
        z = self.depth(points)
        lo = -0.5 + margin_px
        return (
            (z > 0)
            & (uv[..., 0] >= lo)
            & (uv[..., 0] <= self.width - 0.5 - margin_px)
            & (uv[..., 1] >= lo)
            & (uv[..., 1] <= self.height - 0.5 - margin_px)
        )

    def with_intrinsics(self, **changes: float) -> Camera:
        """A copy with some of fx, fy, cx, cy, width, height replaced."""
        allowed = {"fx", "fy", "cx", "cy", "width", "height"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"with_intrinsics: unknown fields {sorted(unknown)}; use {allowed}.")
        fields = {k: getattr(self, k) for k in allowed} | changes
        return Camera(R=self.R, t=self.t, **fields)

    def scaled(self, factor: float) -> Camera:
        """The same camera for an image resized by ``factor`` (e.g. 0.5 halves the size).

        Pixel centres are kept consistent: ``u' = (u + 0.5) * factor - 0.5``.
        """
        if not factor > 0:
            raise ValueError(f"scaled: factor must be > 0, got {factor}.")
        return Camera(
            fx=self.fx * factor,
            fy=self.fy * factor,
            cx=(self.cx + 0.5) * factor - 0.5,
            cy=(self.cy + 0.5) * factor - 0.5,
            width=max(1, round(self.width * factor)),
            height=max(1, round(self.height * factor)),
            R=self.R,
            t=self.t,
        )

    def as_dict(self) -> dict[str, object]:
        """Plain-Python (JSON-serialisable) form; inverse of :meth:`from_dict`."""
        return {
            "fx": self.fx,
            "fy": self.fy,
            "cx": self.cx,
            "cy": self.cy,
            "width": self.width,
            "height": self.height,
            "R": self.R.tolist(),
            "t": self.t.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Camera:
        """Build a camera from :meth:`as_dict` output."""
        return cls(**data)  # type: ignore[arg-type]

    def as_tensors(
        self, dtype: torch.dtype = torch.float64
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(K (3, 3), R (3, 3), t (3,)) as torch tensors for :func:`project_points_torch`."""
        return (
            torch.as_tensor(self.K, dtype=dtype),
            torch.as_tensor(np.array(self.R), dtype=dtype),
            torch.as_tensor(np.array(self.t), dtype=dtype),
        )


def world_to_camera_torch(points: torch.Tensor, R: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Differentiable world→camera transform with any leading batch dimensions.

    Args:
        points: world points, metres.
        R: world→camera rotations.
        t: world→camera translations, metres.

    Returns:
        Camera-frame points.

    Shapes:
        points: (..., N, 3); R: (..., 3, 3); t: (..., 3) → (..., N, 3).
    """
    if points.shape[-1] != 3 or R.shape[-2:] != (3, 3) or t.shape[-1] != 3:
        raise ValueError(
            "world_to_camera_torch: expected points (..., N, 3), R (..., 3, 3), t (..., 3); got "
            f"{tuple(points.shape)}, {tuple(R.shape)}, {tuple(t.shape)}."
        )
    return points @ R.transpose(-1, -2) + t.unsqueeze(-2)


def project_points_torch(
    points: torch.Tensor, K: torch.Tensor, R: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    """Differentiable pinhole projection (same convention as :meth:`Camera.project`).

    Args:
        points: world points, metres (in front of the camera).
        K: intrinsic matrices ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``.
        R: world→camera rotations.
        t: world→camera translations, metres.

    Returns:
        Pixel coordinates (u, v).

    Shapes:
        points: (..., N, 3); K, R: (..., 3, 3); t: (..., 3) → (..., N, 2).
    """
    if K.shape[-2:] != (3, 3):
        raise ValueError(f"project_points_torch: expected K (..., 3, 3), got {tuple(K.shape)}.")
    cam = world_to_camera_torch(points, R, t)
    xy = cam[..., :2] / cam[..., 2:3]
    fx = K[..., 0, 0].unsqueeze(-1)
    fy = K[..., 1, 1].unsqueeze(-1)
    cx = K[..., 0, 2].unsqueeze(-1)
    cy = K[..., 1, 2].unsqueeze(-1)
    return torch.stack([fx * xy[..., 0] + cx, fy * xy[..., 1] + cy], dim=-1)


def rotation_look_at(
    forward: np.ndarray, up: np.ndarray = _WORLD_UP, roll: float = 0.0
) -> np.ndarray:
    """World→camera rotation of a camera whose optical axis points along ``forward``.

    Args:
        forward: viewing direction in world coordinates (need not be unit length).
        up: world direction that should appear upwards in the image.
        roll: rotation about the optical axis in radians (positive turns the image content
            clockwise as seen in the image, i.e. the camera rotates counter-clockwise).

    Returns:
        The rotation R (rows = camera x right, y down, z forward in world coordinates).

    Shapes:
        forward, up: (3,) → (3, 3).
    """
    z = np.asarray(forward, dtype=np.float64)
    z = z / np.linalg.norm(z)
    down = -np.asarray(up, dtype=np.float64)
    x = np.cross(down, z)
    norm = np.linalg.norm(x)
    if norm < 1e-9:
        raise ValueError("rotation_look_at: forward is parallel to up; pass another up vector.")
    x = x / norm
    y = np.cross(z, x)
    rot = np.stack([x, y, z])
    c, s = math.cos(roll), math.sin(roll)
    roll_mat = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return roll_mat @ rot


def look_at(
    eye: np.ndarray,
    target: np.ndarray,
    *,
    fx: float,
    width: int,
    height: int,
    fy: float | None = None,
    cx: float | None = None,
    cy: float | None = None,
    up: np.ndarray = _WORLD_UP,
    roll: float = 0.0,
) -> Camera:
    """A camera at ``eye`` looking at ``target``.

    Args:
        eye: camera centre in world coordinates, metres.
        target: point that projects to the principal point.
        fx: focal length in pixels; ``fy`` defaults to ``fx`` (square pixels).
        width, height: image size in pixels.
        cx, cy: principal point; defaults to the image centre ``((W-1)/2, (H-1)/2)``.
        up: world direction shown upwards (default +y).
        roll: rotation about the optical axis in radians.

    Returns:
        The camera.

    Shapes:
        eye, target, up: (3,).
    """
    eye = np.asarray(eye, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if eye.shape != (3,) or target.shape != (3,):
        raise ValueError(f"look_at: eye and target must be (3,), got {eye.shape}, {target.shape}.")
    rot = rotation_look_at(target - eye, up, roll)
    return Camera(
        fx=fx,
        fy=fx if fy is None else fy,
        cx=(width - 1) / 2 if cx is None else cx,
        cy=(height - 1) / 2 if cy is None else cy,
        width=width,
        height=height,
        R=rot,
        t=-rot @ eye,
    )


@dataclass(frozen=True)
class SideViewAngles:
    """How a camera looks at a person standing in the world frame (radians).

    Attributes:
        side: which side of the person the camera is on: ``"left"`` (+x) or ``"right"`` (-x).
        yaw: horizontal angle of the optical axis off the pure side view (0 = looking straight
            along ∓x); positive when the camera has moved towards the person's front.
        pitch: tilt of the optical axis, positive looking down.
        roll: rotation about the optical axis.
    """

    side: Literal["left", "right"]
    yaw: float
    pitch: float
    roll: float


def side_view_angles(camera: Camera) -> SideViewAngles:
    """Yaw, pitch and roll of a camera relative to the pure side view of a person.

    Args:
        camera: the camera (world frame of DESIGN.md §3).

    Returns:
        The angles; see :class:`SideViewAngles`.
    """
    fwd = camera.forward
    side: Literal["left", "right"] = "left" if fwd[0] < 0 else "right"
    # Optical axis of the pure side view from that side; yaw > 0 = camera moved to the front,
    # which makes it look backwards (-z).
    pitch = math.asin(float(np.clip(-fwd[1], -1.0, 1.0)))
    yaw = math.atan2(-fwd[2], abs(fwd[0]))
    rot0 = rotation_look_at(fwd, _WORLD_UP, 0.0)
    # camera.R = roll_mat @ rot0 → roll_mat = camera.R @ rot0.T
    roll_mat = camera.R @ rot0.T
    roll = math.atan2(roll_mat[1, 0], roll_mat[0, 0])
    return SideViewAngles(side=side, yaw=yaw, pitch=pitch, roll=roll)


def _bbox_px(camera: Camera, points: np.ndarray) -> np.ndarray:
    uv = camera.project(points)
    return np.array([uv[:, 0].min(), uv[:, 1].min(), uv[:, 0].max(), uv[:, 1].max()])


def _framing_candidates(
    points: np.ndarray, rot: np.ndarray, centre: np.ndarray, distance: float, per_key: int = 1000
) -> np.ndarray:
    """Points likely to define the projected bounding box (all points if there are few).

    Framing iterates many projections; for long sequences it runs on the points most extreme
    along the camera's x and y axes and in x/z, y/z at the sampled distance. The result is
    always verified on all points afterwards.

    Shapes:
        points: (N, 3) → (M, 3), M <= N.
    """
    if len(points) <= 8 * per_key:
        return points
    q = (points - centre) @ rot.T
    depth = np.maximum(q[:, 2] + distance, 1e-3)
    keys = (q[:, 0], q[:, 1], q[:, 0] / depth, q[:, 1] / depth)
    chosen = []
    n = len(points)
    for key in keys:
        order = np.argpartition(key, (per_key, n - per_key))
        chosen += [order[:per_key], order[n - per_key :]]
    return points[np.unique(np.concatenate(chosen))]


def _check_range(name: str, rng_: tuple[float, float], lo: float, hi: float) -> None:
    if len(rng_) != 2 or not (lo <= rng_[0] <= rng_[1] <= hi):
        raise ValueError(
            f"{name}: expected (min, max) with {lo} <= min <= max <= {hi}, got {rng_}."
        )


def sample_side_camera(
    rng: np.random.Generator,
    body_points: np.ndarray,
    *,
    side: Literal["left", "right", "random"] = "random",
    distance_range: tuple[float, float] = (2.0, 5.0),
    yaw_range_deg: tuple[float, float] = (-30.0, 30.0),
    pitch_range_deg: tuple[float, float] = (-8.0, 12.0),
    roll_range_deg: tuple[float, float] = (-3.0, 3.0),
    fill_range: tuple[float, float] = (0.55, 0.85),
    image_size: tuple[int, int] | Sequence[tuple[int, int]] | None = None,
    margin_fraction: float = 0.03,
    principal_jitter_fraction: float = 0.005,
    offcentre_fraction: float = 0.5,
) -> Camera:
    """Sample a realistic side-view camera that keeps the whole body in frame.

    The camera is placed on the person's left (+x) or right (-x), ``distance`` metres (along the
    optical axis) from the centre of the body's bounding box, with its optical axis rotated by
    ``yaw`` about the vertical off the pure side view, tilted by ``pitch`` (positive = looking
    down) and rolled by ``roll``. Orientation is exactly the sampled one; the camera is then
    translated sideways/vertically so the body's projected bounding box sits near the image
    centre, and the focal length is chosen so the body fills a sampled fraction of the frame
    height (reduced if needed so every point stays ``margin_fraction`` inside the image).

    Args:
        rng: NumPy random generator (the only source of randomness).
        body_points: the body's vertices (or any points that must be visible), either one frame
            or a whole sequence; all points of all frames are kept in frame.
        side: camera side; ``"random"`` picks left or right with equal probability.
        distance_range: camera distance in metres.
        yaw_range_deg: yaw off the pure side view, degrees.
        pitch_range_deg: pitch (positive looking down), degrees.
        roll_range_deg: roll about the optical axis, degrees.
        fill_range: fraction of the image height covered by the body's projected bounding box
            (over all frames). MediaPipe needs ≳ 0.5 (DESIGN.md §8).
        image_size: (width, height), or a sequence of such pairs to choose from uniformly;
            default :data:`DEFAULT_IMAGE_SIZES`.
        margin_fraction: minimum free border, as a fraction of width/height.
        principal_jitter_fraction: std of the principal point's offset from the image centre,
            as a fraction of width/height (clipped at 3 std).
        offcentre_fraction: the body is shifted from the centre by up to this fraction of the
            free space on each side (0 = always centred).

    Returns:
        The camera.

    Raises:
        ValueError: on malformed inputs or if the body cannot be framed (e.g. an image far too
            narrow for a bending person at the requested margin).

    Shapes:
        body_points: (V, 3) or (T, V, 3).
    """
    pts = _as_points("body_points", body_points).reshape(-1, 3)
    if pts.shape[0] < 2 or not np.all(np.isfinite(pts)):
        raise ValueError("body_points: need at least 2 finite points (V, 3) or (T, V, 3).")
    _check_range("distance_range", distance_range, 0.1, 1e3)
    _check_range("yaw_range_deg", yaw_range_deg, -89.0, 89.0)
    _check_range("pitch_range_deg", pitch_range_deg, -60.0, 60.0)
    _check_range("roll_range_deg", roll_range_deg, -45.0, 45.0)
    _check_range("fill_range", fill_range, 0.01, 1.0)
    if not 0.0 <= margin_fraction < 0.5:
        raise ValueError(f"margin_fraction must be in [0, 0.5), got {margin_fraction}.")
    if side not in ("left", "right", "random"):
        raise ValueError(f"side must be 'left', 'right' or 'random', got {side!r}.")

    sizes = DEFAULT_IMAGE_SIZES if image_size is None else image_size
    if len(sizes) == 2 and all(isinstance(s, (int, np.integer)) for s in sizes):
        sizes = (tuple(sizes),)  # type: ignore[assignment]
    width, height = (int(s) for s in sizes[int(rng.integers(len(sizes)))])  # type: ignore[misc]

    side_sign = 1.0 if side == "left" else -1.0 if side == "right" else rng.choice([1.0, -1.0])
    distance = rng.uniform(*distance_range)
    yaw = math.radians(rng.uniform(*yaw_range_deg))
    pitch = math.radians(rng.uniform(*pitch_range_deg))
    roll = math.radians(rng.uniform(*roll_range_deg))
    fill = rng.uniform(*fill_range)
    jitter = np.clip(rng.normal(0.0, 1.0, size=2), -3.0, 3.0) * principal_jitter_fraction
    offcentre = rng.uniform(-1.0, 1.0, size=2) * offcentre_fraction

    # Optical axis: look along -x from the left (+x) side; yaw > 0 = camera towards the front,
    # so it looks slightly backwards (-z); pitch > 0 = looking down.
    horiz = np.array([-side_sign * math.cos(yaw), 0.0, -math.sin(yaw)])
    fwd = math.cos(pitch) * horiz + np.array([0.0, -math.sin(pitch), 0.0])
    rot = rotation_look_at(fwd, _WORLD_UP, roll)
    x_axis, y_axis, z_axis = rot

    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    all_pts = pts
    pts = _framing_candidates(pts, rot, centre, distance)
    cx = (width - 1) / 2 + jitter[0] * width
    cy = (height - 1) / 2 + jitter[1] * height
    focal = float(height)
    shift = np.zeros(2)  # camera offset along its own x and y axes, metres

    def make(f: float, sh: np.ndarray) -> Camera:
        eye = centre - distance * z_axis + sh[0] * x_axis + sh[1] * y_axis
        return Camera(fx=f, fy=f, cx=cx, cy=cy, width=width, height=height, R=rot, t=-rot @ eye)

    def centre_on(f: float, target_uv: np.ndarray, sh: np.ndarray) -> np.ndarray:
        for _ in range(6):
            box = _bbox_px(make(f, sh), pts)
            mid = 0.5 * (box[:2] + box[2:])
            # Moving the camera by +a along its x axis moves the image content by -f*a/z.
            sh = sh + (mid - target_uv) * distance / f
        return sh

    image_mid = np.array([(width - 1) / 2, (height - 1) / 2])
    usable = (1 - 2 * margin_fraction) * np.array([width, height])
    shift = centre_on(focal, np.array([cx, cy]), shift)
    for _ in range(4):
        box = _bbox_px(make(focal, shift), pts)
        size = box[2:] - box[:2]
        scale = min(fill * height / size[1], usable[0] / size[0], usable[1] / size[1])
        focal *= scale
        # Off-centre framing inside the free space left by the margin.
        free = np.maximum(usable - size * scale, 0.0)
        shift = centre_on(focal, image_mid + 0.5 * free * offcentre, shift)

    margin_px = margin_fraction * min(width, height)
    for _ in range(50):
        cam = make(focal, shift)
        if np.all(cam.in_frame(all_pts, margin_px=0.5 * margin_px)):
            return cam
        focal *= 0.97
        shift = centre_on(focal, image_mid, shift)
    raise ValueError(
        "sample_side_camera: could not fit the body in a "
        f"{width}x{height} image; use a wider image_size or a smaller margin_fraction."
    )
