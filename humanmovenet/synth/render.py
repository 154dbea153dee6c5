"""Headless CPU rendering of body meshes with VTK (OpenGL through OSMesa or EGL).

One :class:`Renderer` holds one offscreen OpenGL context and renders a triangle mesh seen by a
:class:`~humanmovenet.synth.camera.Camera` into

* a shaded RGB image (per-vertex colours, Phong lighting, any background colour or image),
* an exact binary silhouette (the alpha channel of the same rasterisation; no anti-aliasing),
* optionally a metric depth map (camera-space z in metres, ``inf`` where there is no surface).

The OpenGL projection is built directly from the camera's intrinsics so that pixel ``(u, v)``
of the images is covered exactly when the mesh covers the point that :meth:`Camera.project`
maps to ``(u, v)`` (pixel centres at integer coordinates, OpenCV convention).

Backend: VTK's offscreen render window. Which OpenGL window VTK uses is read from the
environment variable ``VTK_DEFAULT_OPENGL_WINDOW``; if it is unset this module sets it *before
importing VTK* to ``vtkOSOpenGLRenderWindow`` when the OSMesa library is installed (Debian/Ubuntu
package ``libosmesa6``: software rendering, bit-identical on every machine) and otherwise to
``vtkEGLRenderWindow`` (``libegl1``; uses a GPU if there is one). Set the variable yourself to
choose, e.g. ``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow``.
"""

from __future__ import annotations

import ctypes.util
import math
import os
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from humanmovenet.synth.camera import Camera

_WINDOW_ENV = "VTK_DEFAULT_OPENGL_WINDOW"


def _choose_default_window() -> str:
    """OSMesa when its library is installed (deterministic software GL), else EGL."""
    if ctypes.util.find_library("OSMesa"):
        return "vtkOSOpenGLRenderWindow"
    return "vtkEGLRenderWindow"


if not os.environ.get(_WINDOW_ENV):
    os.environ[_WINDOW_ENV] = _choose_default_window()

try:  # VTK is imported after the window class has been chosen (see module docstring).
    import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (registers the OpenGL classes)
    from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
    from vtkmodules.vtkCommonCore import (
        vtkFloatArray,
        vtkPoints,
        vtkUnsignedCharArray,
    )
    from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
    from vtkmodules.vtkCommonMath import vtkMatrix4x4
    from vtkmodules.vtkRenderingCore import (
        vtkActor,
        vtkCamera,
        vtkLight,
        vtkPolyDataMapper,
        vtkRenderer,
        vtkRenderWindow,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "humanmovenet.synth.render needs VTK: `pip install vtk` and, for headless software "
        "rendering, the system package `libosmesa6` (Debian/Ubuntu: "
        "`apt-get install libosmesa6`)."
    ) from exc

__all__ = ["Lighting", "RenderResult", "Renderer", "gl_projection_matrix", "render_mesh"]


@dataclass(frozen=True)
class Lighting:
    """Light and material settings of a render.

    Lights are directional and defined relative to the camera, so the same settings look alike
    from every viewpoint: ``key_azimuth`` turns the key light to the camera's right (positive)
    or left, ``key_elevation`` raises it above the optical axis. A fill light comes from the
    opposite side, lower.

    Attributes:
        ambient: ambient coefficient (0–1).
        diffuse: diffuse coefficient (0–1).
        specular: specular coefficient (0–1).
        specular_power: Phong exponent.
        key_intensity: key light intensity (0–1.5).
        key_azimuth: key light azimuth in radians (0 = from the camera).
        key_elevation: key light elevation in radians.
        fill_intensity: fill light intensity (0 = no fill light).
        light_color: RGB of the lights in [0, 1].
    """

    ambient: float = 0.3
    diffuse: float = 0.75
    specular: float = 0.08
    specular_power: float = 12.0
    key_intensity: float = 0.9
    key_azimuth: float = math.radians(25.0)
    key_elevation: float = math.radians(35.0)
    fill_intensity: float = 0.35
    light_color: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True, eq=False)
class RenderResult:
    """One rendered frame.

    Attributes:
        rgb: shaded image composited over the background.
        silhouette: True where the mesh covers the pixel centre.
        depth: camera-space z of the visible surface in metres, ``inf`` where empty; None if
            depth was not requested.

    Shapes:
        rgb: (H, W, 3) uint8; silhouette: (H, W) bool; depth: (H, W) float32.
    """

    rgb: np.ndarray
    silhouette: np.ndarray
    depth: np.ndarray | None = None


def gl_projection_matrix(camera: Camera, near: float, far: float) -> np.ndarray:
    """OpenGL projection matrix that reproduces :meth:`Camera.project` on the pixel grid.

    Camera-frame points are first flipped to OpenGL's axes (y up, looking down -z). Pixel
    centres of the OpenCV convention (integers) land on OpenGL fragment centres (i + 0.5), and
    image row 0 is the top row.

    Args:
        camera: the camera (its intrinsics and image size are used).
        near, far: clipping distances along the optical axis, metres (0 < near < far).

    Returns:
        The 4x4 projection matrix (OpenGL eye coordinates → clip coordinates).

    Shapes:
        → (4, 4).
    """
    if not 0 < near < far:
        raise ValueError(f"gl_projection_matrix: need 0 < near < far, got {near}, {far}.")
    w, h = camera.width, camera.height
    proj = np.zeros((4, 4))
    proj[0, 0] = 2.0 * camera.fx / w
    proj[0, 2] = 1.0 - (2.0 * camera.cx + 1.0) / w
    proj[1, 1] = 2.0 * camera.fy / h
    proj[1, 2] = (2.0 * camera.cy + 1.0) / h - 1.0
    proj[2, 2] = -(far + near) / (far - near)
    proj[2, 3] = -2.0 * far * near / (far - near)
    proj[3, 2] = -1.0
    return proj


def _vertex_face_adjacency(faces: np.ndarray, num_vertices: int) -> sparse.csr_matrix:
    """Sparse (V, F) incidence matrix: 1 where a face uses a vertex."""
    rows = faces.reshape(-1)
    cols = np.repeat(np.arange(len(faces)), 3)
    return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(num_vertices, len(faces)))


def _vertex_normals(
    vertices: np.ndarray, faces: np.ndarray, adjacency: sparse.csr_matrix | None = None
) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Shapes:
        vertices: (V, 3); faces: (F, 3); adjacency: (V, F) → (V, 3) float32.
    """
    if adjacency is None:
        adjacency = _vertex_face_adjacency(faces, len(vertices))
    a = vertices[faces[:, 0]]
    b = vertices[faces[:, 1]] - a
    c = vertices[faces[:, 2]] - a
    face_n = np.empty_like(b)
    face_n[:, 0] = b[:, 1] * c[:, 2] - b[:, 2] * c[:, 1]
    face_n[:, 1] = b[:, 2] * c[:, 0] - b[:, 0] * c[:, 2]
    face_n[:, 2] = b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0]
    normals = adjacency @ face_n
    length = np.sqrt(np.einsum("ij,ij->i", normals, normals))[:, None]
    return (normals / np.maximum(length, 1e-12)).astype(np.float32)


def _check_mesh(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    verts = np.asarray(vertices, dtype=np.float64)
    tris = np.asarray(faces)
    if verts.ndim != 2 or verts.shape[1] != 3:
        raise ValueError(f"render: vertices must be (V, 3) metres, got {verts.shape}.")
    if tris.ndim != 2 or tris.shape[1] != 3 or not np.issubdtype(tris.dtype, np.integer):
        raise ValueError(f"render: faces must be (F, 3) integer indices, got {tris.shape}.")
    if tris.size and (tris.min() < 0 or tris.max() >= len(verts)):
        raise ValueError(f"render: face indices must be in [0, {len(verts)}).")
    if not np.all(np.isfinite(verts)):
        raise ValueError("render: vertices contain NaN or inf.")
    return verts, tris.astype(np.int64)


def _colors_uint8(colors: np.ndarray | tuple[float, ...] | None, num_vertices: int) -> np.ndarray:
    """Per-vertex RGB uint8 from (V,3|4) or (3,) uint8 / float in [0, 1]; alpha is dropped."""
    if colors is None:
        colors = (0.7, 0.7, 0.7)
    arr = np.asarray(colors)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (num_vertices, arr.shape[0]))
    if arr.ndim != 2 or arr.shape[0] != num_vertices or arr.shape[1] not in (3, 4):
        raise ValueError(
            f"render: vertex_colors must be (V, 3), (V, 4) or (3,) with V={num_vertices}, "
            f"got {np.shape(colors)}."
        )
    arr = arr[:, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(np.asarray(arr, dtype=np.float64) * 255.0), 0, 255)
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _background_image(
    background: np.ndarray | tuple[float, ...] | None, h: int, w: int
) -> np.ndarray:
    if background is None:
        return np.zeros((h, w, 3), dtype=np.uint8)
    arr = np.asarray(background)
    if arr.ndim == 1 and arr.shape[0] == 3:
        col = arr if arr.dtype == np.uint8 else np.clip(np.rint(arr * 255.0), 0, 255)
        return np.broadcast_to(col.astype(np.uint8), (h, w, 3))
    if arr.shape != (h, w, 3) or arr.dtype != np.uint8:
        raise ValueError(
            f"render: background must be an RGB colour (3,) or an image ({h}, {w}, 3) uint8 "
            f"matching the camera size, got {arr.shape} {arr.dtype}. Resize it first, e.g. with "
            "humanmovenet.synth.appearance.fit_background."
        )
    return arr


class Renderer:
    """Reusable headless renderer holding one offscreen OpenGL context.

    Args:
        width, height: default image size in pixels; a camera of another size resizes the
            window on the fly.

    Example:
        >>> r = Renderer(512, 512)
        >>> out = r.render(vertices, faces, camera, vertex_colors=colors, background=photo)
        >>> out.rgb.shape, out.silhouette.shape
        ((512, 512, 3), (512, 512))
    """

    def __init__(self, width: int = 512, height: int = 512) -> None:
        if int(width) < 1 or int(height) < 1:
            raise ValueError(f"Renderer: size must be >= 1 pixel, got {width}x{height}.")
        self.width = int(width)
        self.height = int(height)
        self._window = vtkRenderWindow()
        self._window.SetOffScreenRendering(1)
        self._window.SetMultiSamples(0)
        self._window.SetAlphaBitPlanes(1)
        self._window.SetSize(self.width, self.height)
        self._renderer = vtkRenderer()
        self._renderer.SetBackground(0.0, 0.0, 0.0)
        self._renderer.SetBackgroundAlpha(0.0)
        self._renderer.AutomaticLightCreationOff()
        self._renderer.SetUseFXAA(False)
        self._window.AddRenderer(self._renderer)

        self._polydata = vtkPolyData()
        self._mapper = vtkPolyDataMapper()
        self._mapper.SetInputData(self._polydata)
        self._mapper.SetScalarModeToUsePointData()
        self._mapper.SetColorModeToDirectScalars()
        self._mapper.ScalarVisibilityOn()
        self._actor = vtkActor()
        self._actor.SetMapper(self._mapper)
        self._actor.GetProperty().SetInterpolationToPhong()
        self._renderer.AddActor(self._actor)

        self._vtk_camera = vtkCamera()
        self._renderer.SetActiveCamera(self._vtk_camera)
        self._proj = vtkMatrix4x4()
        self._vtk_camera.SetUseExplicitProjectionTransformMatrix(True)
        self._lights = (vtkLight(), vtkLight())
        for light in self._lights:
            light.SetLightTypeToSceneLight()
            light.SetPositional(False)
            self._renderer.AddLight(light)

        self._faces: np.ndarray | None = None
        self._adjacency: sparse.csr_matrix | None = None
        self._keep: list[object] = []  # numpy buffers shared with VTK arrays

    def __repr__(self) -> str:
        return f"Renderer(width={self.width}, height={self.height}, window={self.backend!r})"

    @property
    def backend(self) -> str:
        """Class name of the OpenGL window in use (e.g. ``vtkOSOpenGLRenderWindow``)."""
        return self._window.GetClassName()

    def _set_mesh(self, verts: np.ndarray, tris: np.ndarray, colors: np.ndarray) -> None:
        if self._faces is None or not np.array_equal(self._faces, tris):
            cells = vtkCellArray()
            offsets = np.arange(0, 3 * len(tris) + 1, 3, dtype=np.int64)
            conn = np.ascontiguousarray(tris.reshape(-1), dtype=np.int64)
            cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True),
                          numpy_to_vtkIdTypeArray(conn, deep=True))  # fmt: skip
            self._polydata.SetPolys(cells)
            self._faces = tris.copy()
            self._adjacency = _vertex_face_adjacency(tris, len(verts))
        if self._adjacency.shape[0] != len(verts):
            self._adjacency = _vertex_face_adjacency(tris, len(verts))
        pts32 = np.ascontiguousarray(verts, dtype=np.float32)
        normals = _vertex_normals(verts, tris, self._adjacency)
        points = vtkPoints()
        points.SetData(numpy_to_vtk(pts32, deep=False))
        self._polydata.SetPoints(points)
        vtk_normals = numpy_to_vtk(normals, deep=False)
        vtk_normals.SetName("Normals")
        self._polydata.GetPointData().SetNormals(vtk_normals)
        vtk_colors = numpy_to_vtk(colors, deep=False, array_type=None)
        vtk_colors.SetName("Colors")
        self._polydata.GetPointData().SetScalars(vtk_colors)
        self._keep = [pts32, normals, colors]
        self._polydata.Modified()

    def _set_camera(self, camera: Camera, near: float, far: float) -> None:
        rot = camera.R
        eye = camera.position
        cam = self._vtk_camera
        cam.SetPosition(*eye)
        cam.SetFocalPoint(*(eye + rot[2]))
        cam.SetViewUp(*(-rot[1]))
        proj = gl_projection_matrix(camera, near, far)
        self._proj.DeepCopy(proj.reshape(-1).tolist())
        cam.SetExplicitProjectionTransformMatrix(self._proj)
        cam.SetClippingRange(near, far)

    def _set_lighting(self, camera: Camera, lighting: Lighting, centre: np.ndarray) -> None:
        prop = self._actor.GetProperty()
        prop.SetAmbient(lighting.ambient)
        prop.SetDiffuse(lighting.diffuse)
        prop.SetSpecular(lighting.specular)
        prop.SetSpecularPower(lighting.specular_power)
        prop.SetSpecularColor(*lighting.light_color)
        prop.SetAmbientColor(1.0, 1.0, 1.0)
        specs = (
            (lighting.key_intensity, lighting.key_azimuth, lighting.key_elevation),
            (lighting.fill_intensity, -lighting.key_azimuth * 1.5, -0.3 * lighting.key_elevation),
        )
        for light, (intensity, az, el) in zip(self._lights, specs, strict=True):
            # Direction towards the light in the camera frame (x right, y down, z forward).
            to_light_cam = np.array(
                [math.sin(az) * math.cos(el), -math.sin(el), -math.cos(az) * math.cos(el)]
            )
            to_light = camera.R.T @ to_light_cam
            light.SetFocalPoint(*centre)
            light.SetPosition(*(centre + 10.0 * to_light))
            light.SetColor(*lighting.light_color)
            light.SetIntensity(float(intensity))
            light.SetSwitch(bool(intensity > 0))

    def render(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        camera: Camera,
        vertex_colors: np.ndarray | tuple[float, ...] | None = None,
        background: np.ndarray | tuple[float, ...] | None = None,
        lighting: Lighting | None = None,
        *,
        with_depth: bool = True,
    ) -> RenderResult:
        """Render a triangle mesh.

        Args:
            vertices: mesh vertices in world coordinates, metres.
            faces: triangle vertex indices (counter-clockwise seen from outside; both sides are
                lit, so the winding only affects nothing visible).
            camera: the camera (its size sets the image size).
            vertex_colors: per-vertex RGB (or RGBA, alpha ignored) as uint8 or floats in [0, 1],
                or one colour (3,) for the whole mesh; default light grey.
            background: an RGB colour (3,) (uint8 or floats in [0, 1]) or an image
                (H, W, 3) uint8 of the camera's size; default black.
            lighting: light and material settings; default :class:`Lighting()`.
            with_depth: also read back the depth buffer (slightly slower).

        Returns:
            The :class:`RenderResult`.

        Raises:
            ValueError: on malformed inputs, or if the mesh is (partly) behind the camera.

        Shapes:
            vertices: (V, 3); faces: (F, 3); vertex_colors: (V, 3), (V, 4) or (3,);
            background: (3,) or (H, W, 3).
        """
        verts, tris = _check_mesh(vertices, faces)
        colors = _colors_uint8(vertex_colors, len(verts))
        w, h = camera.width, camera.height
        bg = _background_image(background, h, w)
        lighting = Lighting() if lighting is None else lighting

        z = camera.depth(verts)
        if z.size == 0 or z.min() <= 1e-3:
            raise ValueError(
                "render: every vertex must be in front of the camera (camera-space z > 1 mm); "
                "move the camera back."
            )
        near, far = 0.9 * float(z.min()), 1.1 * float(z.max()) + 1e-3

        if self._window.GetSize() != (w, h):
            self._window.SetSize(w, h)
        self._set_mesh(verts, tris, colors)
        self._set_camera(camera, near, far)
        self._set_lighting(camera, lighting, 0.5 * (verts.min(axis=0) + verts.max(axis=0)))
        self._window.Render()

        rgba_vtk = vtkUnsignedCharArray()
        self._window.GetRGBACharPixelData(0, 0, w - 1, h - 1, 0, rgba_vtk, 0)
        rgba = vtk_to_numpy(rgba_vtk).reshape(h, w, 4)[::-1]
        silhouette = rgba[..., 3] > 0
        rgb = np.where(silhouette[..., None], rgba[..., :3], bg)

        depth = None
        if with_depth:
            zbuf_vtk = vtkFloatArray()
            self._window.GetZbufferData(0, 0, w - 1, h - 1, zbuf_vtk)
            zbuf = vtk_to_numpy(zbuf_vtk).reshape(h, w)[::-1].astype(np.float64)
            z_ndc = 2.0 * zbuf - 1.0
            metric = 2.0 * far * near / ((far + near) - z_ndc * (far - near))
            depth = np.where(silhouette, metric, np.inf).astype(np.float32)
        return RenderResult(
            rgb=np.ascontiguousarray(rgb, dtype=np.uint8),
            silhouette=np.ascontiguousarray(silhouette),
            depth=depth,
        )

    def render_sequence(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        camera: Camera,
        vertex_colors: np.ndarray | tuple[float, ...] | None = None,
        background: np.ndarray | tuple[float, ...] | None = None,
        lighting: Lighting | None = None,
        *,
        with_depth: bool = False,
    ) -> RenderResult:
        """Render every frame of an animated mesh with one camera, colours and background.

        Args:
            vertices: mesh vertices per frame, metres.
            faces, camera, vertex_colors, background, lighting: as :meth:`render`.
            with_depth: also return depth maps.

        Returns:
            A :class:`RenderResult` whose arrays have a leading time axis.

        Shapes:
            vertices: (T, V, 3) → rgb (T, H, W, 3), silhouette (T, H, W), depth (T, H, W).
        """
        verts = np.asarray(vertices)
        if verts.ndim != 3 or verts.shape[-1] != 3:
            raise ValueError(f"render_sequence: vertices must be (T, V, 3), got {verts.shape}.")
        frames = [
            self.render(
                v, faces, camera, vertex_colors, background, lighting, with_depth=with_depth
            )
            for v in verts
        ]
        return RenderResult(
            rgb=np.stack([f.rgb for f in frames]),
            silhouette=np.stack([f.silhouette for f in frames]),
            depth=np.stack([f.depth for f in frames]) if with_depth else None,
        )

    def close(self) -> None:
        """Release the OpenGL context (the renderer cannot be used afterwards)."""
        self._window.Finalize()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    camera: Camera,
    vertex_colors: np.ndarray | tuple[float, ...] | None = None,
    background: np.ndarray | tuple[float, ...] | None = None,
    lighting: Lighting | None = None,
    *,
    with_depth: bool = True,
) -> RenderResult:
    """One-off render with a temporary :class:`Renderer` (use a Renderer for many frames).

    Shapes:
        As :meth:`Renderer.render`.
    """
    renderer = Renderer(camera.width, camera.height)
    try:
        return renderer.render(
            vertices, faces, camera, vertex_colors, background, lighting, with_depth=with_depth
        )
    finally:
        renderer.close()
