"""Tests of humanmovenet.synth.render: the GL camera matches Camera.project, exact silhouettes,
metric depth, colours, backgrounds and determinism."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from humanmovenet.synth.camera import Camera, look_at, sample_side_camera
from humanmovenet.synth.render import Lighting, Renderer, gl_projection_matrix, render_mesh

FLAT = Lighting(ambient=1.0, diffuse=0.0, specular=0.0, key_intensity=0.0, fill_intensity=0.0)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    r = Renderer(160, 120)
    yield r
    r.close()


@pytest.fixture(scope="module")
def body_like() -> tuple[np.ndarray, np.ndarray]:
    """An ellipsoid the size of a person (1.7 m tall), feet at y = 0."""
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    verts = np.asarray(sphere.vertices) * [0.5, 1.7, 0.35] + [0.0, 0.85, 0.0]
    return verts, np.asarray(sphere.faces)


def _rectangle(
    x0: float, x1: float, y0: float, y1: float, z: float
) -> tuple[np.ndarray, np.ndarray]:
    verts = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], dtype=np.float64)
    return verts, np.array([[0, 1, 2], [0, 2, 3]])


def test_gl_projection_matches_camera_project():
    cam = Camera(
        fx=210.0, fy=190.0, cx=70.3, cy=64.8, width=160, height=120, R=np.eye(3), t=[0, 0, 0]
    )
    near, far = 0.5, 10.0
    pts = np.array([[0.3, -0.2, 2.0], [-0.5, 0.4, 4.0]])
    proj = gl_projection_matrix(cam, near, far)
    gl_eye = np.c_[pts * [1, -1, -1], np.ones(2)]  # OpenCV camera → OpenGL eye coordinates
    clip = gl_eye @ proj.T
    ndc = clip[:, :3] / clip[:, 3:]
    # OpenGL window coordinates: x_win = (ndc_x + 1) W / 2, fragment centres at i + 0.5.
    u = (ndc[:, 0] + 1) * cam.width / 2 - 0.5
    v = cam.height - (ndc[:, 1] + 1) * cam.height / 2 - 0.5
    np.testing.assert_allclose(np.c_[u, v], cam.project(pts), atol=1e-9)
    # Depth maps near → -1 and far → +1.
    for z, expected in ((near, -1.0), (far, 1.0)):
        c = np.array([0.0, 0.0, -z, 1.0]) @ proj.T
        assert c[2] / c[3] == pytest.approx(expected)


def test_rectangle_silhouette_is_exact(renderer):
    # Fronto-parallel rectangle: covered pixels are exactly those whose centres fall inside
    # the projected rectangle. Non-centred principal point and fx != fy.
    cam = Camera(
        fx=150.0, fy=170.0, cx=83.2, cy=55.7, width=160, height=120, R=np.eye(3), t=[0, 0, 0]
    )
    z = 3.0
    verts, faces = _rectangle(-0.61, 0.93, -0.47, 0.52, z)
    out = renderer.render(verts, faces, cam, (0.8, 0.2, 0.2), lighting=FLAT)
    uv = cam.project(verts)
    u0, v0 = uv.min(axis=0)
    u1, v1 = uv.max(axis=0)
    # Bounds are not within 1e-2 px of a pixel centre, so the expected coverage is unambiguous.
    for b in (u0, u1, v0, v1):
        assert abs(b - round(b)) > 1e-2
    us = np.arange(cam.width)
    vs = np.arange(cam.height)
    expected = ((vs[:, None] > v0) & (vs[:, None] < v1)) & ((us[None] > u0) & (us[None] < u1))
    np.testing.assert_array_equal(out.silhouette, expected)
    # Known point: the rectangle's centre projects onto the silhouette's centroid (< 0.5 px).
    ys, xs = np.nonzero(out.silhouette)
    centre_px = cam.project(verts.mean(axis=0))
    assert abs(xs.mean() - centre_px[0]) < 0.5 and abs(ys.mean() - centre_px[1]) < 0.5
    # Depth of a fronto-parallel plane is its distance everywhere.
    np.testing.assert_allclose(out.depth[out.silhouette], z, rtol=1e-5)
    assert np.all(np.isinf(out.depth[~out.silhouette]))


def test_depth_of_tilted_plane(renderer):
    # Plane z = a + b x in camera coordinates; along the ray of pixel u: z = a / (1 - b x/z).
    cam = Camera(
        fx=150.0, fy=150.0, cx=79.5, cy=59.5, width=160, height=120, R=np.eye(3), t=[0, 0, 0]
    )
    a, b = 3.0, 0.8
    xs_world = np.array([-0.8, 0.8])
    verts = np.array(
        [[x, y, a + b * x] for x, y in ((xs_world[0], -0.6), (xs_world[1], -0.6),
                                        (xs_world[1], 0.6), (xs_world[0], 0.6))]
    )  # fmt: skip
    out = renderer.render(verts, np.array([[0, 1, 2], [0, 2, 3]]), cam, lighting=FLAT)
    vs, us = np.nonzero(out.silhouette)
    assert len(us) > 1000
    ray_x = (us - cam.cx) / cam.fx
    expected = a / (1.0 - b * ray_x)
    np.testing.assert_allclose(out.depth[vs, us], expected, rtol=2e-4)


def test_projected_vertices_fall_inside_silhouette(renderer, body_like):
    verts, faces = body_like
    for seed in range(3):
        cam = sample_side_camera(np.random.default_rng(seed), verts, image_size=(160, 120))
        out = renderer.render(verts, faces, cam, (0.5, 0.5, 0.9), background=(0.1, 0.1, 0.1))
        uv = cam.project(verts)
        # Silhouette bbox vs projected bbox: pixel centres inside the projected extent.
        ys, xs = np.nonzero(out.silhouette)
        assert abs(xs.min() - np.ceil(uv[:, 0].min())) <= 1
        assert abs(xs.max() - np.floor(uv[:, 0].max())) <= 1
        assert abs(ys.min() - np.ceil(uv[:, 1].min())) <= 1
        assert abs(ys.max() - np.floor(uv[:, 1].max())) <= 1
        # Every vertex's pixel (or a neighbour, for vertices on the outline) is covered.
        dilated = out.silhouette.copy()
        dilated[1:] |= out.silhouette[:-1]
        dilated[:-1] |= out.silhouette[1:]
        dilated[:, 1:] |= dilated[:, :-1].copy()
        dilated[:, :-1] |= dilated[:, 1:].copy()
        iu = np.rint(uv).astype(int)
        assert np.all(dilated[iu[:, 1], iu[:, 0]])
        # Depth: silhouette and finite depth agree; nearest surface = nearest vertex depth.
        np.testing.assert_array_equal(np.isfinite(out.depth), out.silhouette)
        assert out.depth[out.silhouette].min() == pytest.approx(cam.depth(verts).min(), abs=5e-3)
        # Back-projected depth pixels lie on the ellipsoid's surface (within a few mm).
        vs, us = np.nonzero(out.silhouette)
        surface = cam.backproject(np.c_[us, vs], out.depth[vs, us])
        radii = np.array([0.25, 0.85, 0.175])
        level = np.linalg.norm((surface - [0.0, 0.85, 0.0]) / radii, axis=1)
        assert np.all(np.abs(level - 1.0) < 0.03)


def test_vertex_colors_and_background(renderer, body_like):
    verts, faces = body_like
    cam = sample_side_camera(np.random.default_rng(0), verts, image_size=(160, 120))
    colors = np.where(verts[:, 1:2] > 0.85, [200, 30, 40], [20, 60, 210]).astype(np.uint8)
    bg = np.random.default_rng(1).integers(0, 256, size=(120, 160, 3), dtype=np.uint8)
    out = renderer.render(verts, faces, cam, colors, background=bg, lighting=FLAT)
    np.testing.assert_array_equal(out.rgb[~out.silhouette], bg[~out.silhouette])
    # Unlit (ambient only): pixels show exactly the vertex colours (away from the colour seam).
    head = cam.project(np.array([0.0, 1.4, 0.0])).round().astype(int)
    legs = cam.project(np.array([0.0, 0.3, 0.0])).round().astype(int)
    np.testing.assert_allclose(out.rgb[head[1], head[0]], [200, 30, 40], atol=2)
    np.testing.assert_allclose(out.rgb[legs[1], legs[0]], [20, 60, 210], atol=2)
    # Float colours in [0, 1] and a single colour are accepted too.
    one = renderer.render(verts, faces, cam, (0.5, 0.25, 1.0), lighting=FLAT, with_depth=False)
    assert one.depth is None
    np.testing.assert_allclose(one.rgb[head[1], head[0]], [128, 64, 255], atol=2)


def test_lighting_shades_the_surface(renderer, body_like):
    verts, faces = body_like
    cam = sample_side_camera(np.random.default_rng(0), verts, image_size=(160, 120))
    out = renderer.render(verts, faces, cam, (0.6, 0.6, 0.6), lighting=Lighting())
    values = out.rgb[out.silhouette].astype(float).mean(axis=1)
    assert values.std() > 5.0  # Phong shading varies across the surface


def test_render_is_deterministic(renderer, body_like):
    verts, faces = body_like
    cam = sample_side_camera(np.random.default_rng(5), verts, image_size=(160, 120))
    colors = np.random.default_rng(2).integers(0, 256, size=(len(verts), 3), dtype=np.uint8)
    a = renderer.render(verts, faces, cam, colors, background=(0.3, 0.4, 0.5))
    renderer.render(verts[::-1].copy(), faces[:, ::-1].copy(), cam)  # something else in between
    b = renderer.render(verts, faces, cam, colors, background=(0.3, 0.4, 0.5))
    c = render_mesh(verts, faces, cam, colors, background=(0.3, 0.4, 0.5))  # a fresh context
    for other in (b, c):
        np.testing.assert_array_equal(a.rgb, other.rgb)
        np.testing.assert_array_equal(a.silhouette, other.silhouette)
        np.testing.assert_array_equal(a.depth, other.depth)


def test_camera_size_overrides_renderer_size(renderer, body_like):
    verts, faces = body_like
    cam = look_at([3.0, 0.9, 0.0], [0.0, 0.9, 0.0], fx=120, width=96, height=128)
    out = renderer.render(verts, faces, cam)
    assert out.rgb.shape == (128, 96, 3) and out.silhouette.shape == (128, 96)
    assert out.silhouette.any()


def test_render_input_errors(renderer, body_like):
    verts, faces = body_like
    cam = look_at([3.0, 0.9, 0.0], [0.0, 0.9, 0.0], fx=120, width=160, height=120)
    with pytest.raises(ValueError, match="vertices"):
        renderer.render(verts[:, :2], faces, cam)
    with pytest.raises(ValueError, match="face indices"):
        renderer.render(verts, faces + len(verts), cam)
    with pytest.raises(ValueError, match="vertex_colors"):
        renderer.render(verts, faces, cam, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="background"):
        renderer.render(verts, faces, cam, background=np.zeros((10, 10, 3), np.uint8))
    behind = look_at([0.0, 0.9, 0.0], [1.0, 0.9, 0.0], fx=120, width=160, height=120)
    with pytest.raises(ValueError, match="in front of the camera"):
        renderer.render(verts, faces, behind)


def test_render_sequence_matches_single_frames(renderer, body_like):
    verts, faces = body_like
    cam = sample_side_camera(np.random.default_rng(0), verts, image_size=(160, 120))
    seq = np.stack([verts, verts + [0.0, 0.0, 0.1]])
    out = renderer.render_sequence(seq, faces, cam, (0.2, 0.7, 0.3), with_depth=True)
    assert out.rgb.shape == (2, 120, 160, 3) and out.depth.shape == (2, 120, 160)
    single = renderer.render(seq[1], faces, cam, (0.2, 0.7, 0.3))
    np.testing.assert_array_equal(out.rgb[1], single.rgb)
    assert not np.array_equal(out.silhouette[0], out.silhouette[1])
    with pytest.raises(ValueError, match="T, V, 3"):
        renderer.render_sequence(verts, faces, cam)
