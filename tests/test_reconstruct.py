"""Tests of humanmovenet.reconstruct: back contour, per-frame fit, static step, fusion.

Synthetic ground truth: the anny body posed by known sagittal angles, rendered from a sampled
side camera (VTK); its joints projected as landmarks (and, in one test, real MediaPipe on the
render). Tolerances are about twice what was measured (docs/reconstruction.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from humanmovenet.body import create
from humanmovenet.reconstruct import (
    ANGLE_NAMES,
    FitConfig,
    SagittalBody,
    contour_features,
    estimate_static,
    extract_back_contour,
    fit_frames,
    fuse_spine,
    profile_curvature,
    standing_frames,
)
from humanmovenet.reconstruct.contour import back_profile
from humanmovenet.reconstruct.fit import LANDMARK_JOINTS
from humanmovenet.spine.morphology import lumbar_angle
from humanmovenet.types import MEDIAPIPE_LANDMARK_NAMES, Keypoints2D, ShapeSliders, Silhouettes

A = {name: i for i, name in enumerate(ANGLE_NAMES)}
FPS = 5.0  # a ~1.5 s bend sampled sparsely: few frames, realistic accelerations


# --------------------------------------------------------------------------- contour, analytic


def _upright_frame(t: int = 1):
    """Chord vertical at x = 100 from y = 330 (hips) up 250 px; person faces image-right."""
    origin = np.tile([[100.0, 330.0]], (t, 1))
    axis = np.tile([[0.0, -1.0]], (t, 1))
    normal = np.tile([[-1.0, 0.0]], (t, 1))
    return origin, axis, normal, np.full(t, 250.0)


def test_back_profile_rectangle_with_hollow():
    masks = np.zeros((1, 400, 300), bool)
    masks[0, 50:350, 60:160] = True  # back edge at x = 59.5 → 40.5 px behind the chord
    masks[0, 200:260, 60:70] = False  # a 10 px hollow between rows 200 and 259
    stations = np.linspace(0.0, 1.0, 41)
    depth = back_profile(masks, *_upright_frame(), stations)[0] * 250.0
    rows = 330.0 - stations * 250.0
    expected = np.where((rows >= 199.5) & (rows < 259.5), 30.5, 40.5)
    assert np.all(np.abs(depth - expected) <= 1.4)  # one search sample (0.7 L / 128)
    assert np.abs(depth - expected).mean() < 0.8


def test_back_profile_jumps_holes_and_ignores_a_separate_arm():
    masks = np.zeros((1, 400, 300), bool)
    masks[0, 50:350, 60:160] = True
    masks[0, 150:160, 80:84] = True
    masks[0, 100:300, 85:88] = False  # a 3 px crack inside the body (< min_gap)
    masks[0, 120:300, 20:40] = True  # an arm behind the back with a 20 px gap
    depth = back_profile(masks, *_upright_frame(), np.linspace(0.1, 0.9, 9))[0] * 250.0
    np.testing.assert_allclose(depth, 40.5, atol=1.4)


def test_back_profile_of_disk_backed_masks_in_chunks_equals_in_memory(tmp_path):
    """A long video's masks are a read-only memory map, profiled in chunks whose pages are
    released; the depths must not depend on that."""
    from humanmovenet.reconstruct import contour as contour_module

    t = contour_module._PROFILE_CHUNK + 37  # two chunks
    rng = np.random.default_rng(3)
    masks = np.zeros((t, 400, 300), bool)
    edges = rng.integers(40, 80, t)
    for k, e in enumerate(edges):
        masks[k, 50:350, e:160] = True
    np.save(tmp_path / "m.npy", masks)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    stations = np.linspace(0.1, 0.9, 5)
    frames = _upright_frame(t)
    on_disk = back_profile(mapped, *frames, stations)
    np.testing.assert_array_equal(on_disk, back_profile(masks, *frames, stations))
    np.testing.assert_allclose(on_disk[:, 0] * 250.0, 100.0 - edges + 0.5, atol=1.4)


def test_back_profile_missing_body_and_bad_shapes():
    masks = np.zeros((2, 100, 100), bool)
    origin, axis, normal, length = _upright_frame(2)
    assert np.isnan(back_profile(masks, origin, axis, normal, length)).all()
    with pytest.raises(ValueError, match="origin_px"):
        back_profile(masks, origin[:1], axis, normal, length)
    with pytest.raises(ValueError, match="masks"):
        back_profile(masks[0], origin, axis, normal, length)


def test_curvature_of_a_parabola_and_features():
    stations = np.linspace(-0.15, 1.0, 32)
    depth = 0.3 + 0.5 * (stations - 0.3) ** 2  # a hollow: concave from behind, d'' = 1
    value, slope, curv = profile_curvature(depth[None], stations)
    inner = slice(4, -4)
    np.testing.assert_allclose(value[0, inner], depth[inner], atol=1e-6)
    np.testing.assert_allclose(slope[0, inner], (stations - 0.3)[inner], atol=1e-6)
    expected = 1.0 / (1.0 + (stations - 0.3) ** 2) ** 1.5
    np.testing.assert_allclose(curv[0, inner], expected[inner], atol=1e-4)
    feats = contour_features(depth[None], stations)
    assert feats.shape == (1, 2 * 32 + 4)
    assert feats[0, 64] > 0.01  # the hollow below the buttock–shoulder line
    flat = contour_features(np.full((1, 32), 0.3), stations)
    assert abs(flat[0, 64]) < 1e-9 and abs(flat[0, 67]) < 1e-9


def test_curvature_and_arm_distance_in_frame_blocks_equal_one_block(monkeypatch):
    """A long video's curvature fit and arm distances run in blocks of frames (bounded
    memory); the blocks must not change a single value."""
    from humanmovenet.reconstruct import contour as contour_module

    rng = np.random.default_rng(5)
    t, stations = 23, np.linspace(-0.15, 1.0, 32)
    depth = 0.3 + 0.5 * (stations - rng.uniform(0.2, 0.4, (t, 1))) ** 2
    depth = depth + rng.normal(0.0, 0.01, (t, 32))
    depth[rng.random((t, 32)) < 0.3] = np.nan
    depth[4] = np.nan
    data = rng.uniform(50.0, 350.0, (t, 33, 3))
    data[..., 2] = 1.0
    data[7, :, :2] = np.nan  # no arm in frame 7
    keypoints = Keypoints2D(data, 30.0, (400, 400), np.arange(t), np.ones(t, bool),
                            np.zeros(t, bool))  # fmt: skip
    points = rng.uniform(50.0, 350.0, (t, 32, 2))
    one = profile_curvature(depth, stations), contour_module._arm_distance(keypoints, points)
    monkeypatch.setattr(contour_module, "_CURVATURE_CHUNK", 5)
    monkeypatch.setattr(contour_module, "_ARM_CHUNK", 4)
    blocks = profile_curvature(depth, stations), contour_module._arm_distance(keypoints, points)
    for a, b in zip(one[0], blocks[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one[1], blocks[1])
    assert np.isnan(one[0][0][4]).all() and np.isfinite(one[0][0]).mean() > 0.5
    assert np.isinf(one[1][7]).all() and np.isfinite(one[1][:7]).all()


# --------------------------------------------------------------------------- synthetic renders


@pytest.fixture(scope="module")
def body():
    return create("anny")


def _bend_angles(kind: str, t: int, standing_lumbar_deg: float = 0.0) -> np.ndarray:
    s = np.sin(np.linspace(0.0, np.pi, t)) ** 2
    pel, lum, tho, knee = (55.0, 45.0, 12.0, 4.0) if kind == "forward" else (-8.0, -22.0, -5.0, 6.0)
    a = np.zeros((t, len(ANGLE_NAMES)))
    d = np.radians
    a[:, A["pelvis_tilt"]] = d(pel) * s
    a[:, A["lumbar_flexion"]] = d(lum) * s + d(standing_lumbar_deg)
    a[:, A["thoracic_flexion"]] = d(tho) * s
    a[:, [A["hip_flexion_left"], A["hip_flexion_right"]]] = (d(pel + knee) * s)[:, None]
    a[:, [A["knee_flexion_left"], A["knee_flexion_right"]]] = (d(knee) * s)[:, None]
    trunk = d(pel + lum + tho) * s
    a[:, [A["shoulder_flexion_left"], A["shoulder_flexion_right"]]] = (0.85 * trunk + d(3))[:, None]
    a[:, [A["elbow_flexion_left"], A["elbow_flexion_right"]]] = d(12.0)
    a[:, A["arm_adduction"]] = d(38.0)
    return a


def _render_case(body, angles: np.ndarray, seed: int, betas: torch.Tensor, rgb: bool = False):
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.render import Renderer

    t = len(angles)
    layer = SagittalBody(body, betas, dtype=torch.float64)
    with torch.no_grad():
        pose, root = layer.pose(torch.as_tensor(angles))
        out = body(betas.expand(t, -1), pose, root, torch.zeros(t, 3, dtype=torch.float64))
    verts, joints = out.vertices.numpy(), out.joints.numpy()
    camera = sample_side_camera(np.random.default_rng(seed), verts, side="left",
                                image_size=(384, 384))  # fmt: skip
    colors = None
    if rgb:
        from humanmovenet.synth.appearance import (
            assign_body_regions,
            region_vertex_colors,
            sample_appearance,
        )

        rng = np.random.default_rng(seed)
        app = sample_appearance(rng)
        regions = assign_body_regions(body.lbs_weights.numpy(), body.joint_names,
                                      long_sleeves=app.long_sleeves, shorts=app.shorts,
                                      rest_vertices=body.rest_vertices(betas)[0].numpy())  # fmt: skip
        colors = region_vertex_colors(regions, app)
    with Renderer(384, 384) as renderer:
        render = renderer.render_sequence(verts, body.faces.numpy(), camera, colors,
                                          background=(0.55, 0.6, 0.58))  # fmt: skip
    data = np.full((t, 33, 3), np.nan)
    data[..., 2] = 0.0
    for mp_name, joint in LANDMARK_JOINTS:
        j = MEDIAPIPE_LANDMARK_NAMES.index(mp_name)
        data[:, j, :2] = camera.project(joints[:, body.joint_index(joint)])
        data[:, j, 2] = 1.0
    keypoints = Keypoints2D(
        data, FPS, (384, 384), np.arange(t), np.ones(t, bool), np.zeros(t, bool)
    )
    silhouettes = Silhouettes(render.silhouette, FPS, (384, 384))
    return keypoints, silhouettes, camera, render, layer.embedding


@pytest.fixture(scope="module")
def betas(body):
    return body.shape_from_sliders(ShapeSliders(gender=0.8, weight=0.6, height=0.6))


@pytest.fixture(scope="module", params=["forward", "backward"])
def bend_fit(request, body, betas):
    angles = _bend_angles(request.param, 8)
    keypoints, silhouettes, camera, _, embedding = _render_case(body, angles, 3, betas)
    config = FitConfig(focal_px=camera.fx, iterations=120)
    layer = SagittalBody(body, betas, embedding)
    fit = fit_frames(keypoints, silhouettes, body, betas, config, facing="left", layer=layer)
    return request.param, angles, fit, keypoints, layer.embedding.morphology


# Measured on these two cases (seed 3, 8 frames, 120 iterations; `python
# tests/test_reconstruct.py`), forward / backward MAE: lumbar 3.0 / 1.9°, pelvis 0.7 / 3.8°,
# hip 4.5 / 2.4°, lumbar range error 0.8 / 5.5° (the hanging hands hide ~40 % of the lower back
# in the backward bend). Tolerances ≈ 1.5× those, rounded up.
TOLERANCE_DEG = {"lumbar_flexion": 5.0, "pelvis_tilt": 6.0, "hip_flexion_left": 7.0}


def test_fit_recovers_bend_angles_from_projected_joints_and_silhouette(bend_fit):
    kind, angles, fit, _, _ = bend_fit
    assert fit.angles.shape == angles.shape
    # pelvic tilt: a constant offset is a camera roll (not modelled), so compare changes too
    for name, tol in TOLERANCE_DEG.items():
        err = np.degrees(fit.angle(name) - angles[:, A[name]])
        assert np.abs(err).mean() < tol, (kind, name, np.abs(err).mean())
    change = np.degrees(
        np.ptp(fit.angle("lumbar_flexion")) - np.ptp(angles[:, A["lumbar_flexion"]])
    )
    assert abs(change) < 9.0, (kind, change)
    assert np.all(fit.keypoint_error < 0.05)
    assert np.nanmean(fit.contour_error) < 0.03


def test_fuse_gives_a_dynamic_spine_consistent_with_the_fit(bend_fit, body):
    kind, angles, fit, keypoints, template = bend_fit
    standing = np.zeros(fit.num_frames, bool)
    standing[[0, -1]] = True
    static = estimate_static(fit, keypoints, template, standing=standing)
    spine = fuse_spine(fit, static, body)
    t = fit.num_frames
    assert spine.positions.shape == (t, 25, 3) and spine.frames.shape == (t, 25, 3, 3)
    assert spine.pelvis_frames.shape == (t, 3, 3) and spine.hip_flexion.shape == (t,)
    assert np.all((spine.confidence >= 0) & (spine.confidence <= 1))
    assert spine.pose is not None and spine.pose.body_pose.shape == (t, body.num_body_joints, 3)
    lum = np.degrees(lumbar_angle(torch.as_tensor(spine.frames)).numpy())
    # standing frames show the personal lordosis; the motion is the fitted change
    np.testing.assert_allclose(-lum[standing].mean(), static.morphology.lumbar_lordosis_deg,
                               atol=0.5)  # fmt: skip
    fitted_change = np.degrees(fit.angle("lumbar_flexion") - static.standing_lumbar_flexion)
    np.testing.assert_allclose(lum - lum[standing].mean(), fitted_change, atol=0.5)
    np.testing.assert_allclose(spine.hip_flexion, 0.5 * (fit.angle("hip_flexion_left")
                               + fit.angle("hip_flexion_right")))  # fmt: skip
    # pelvis frame = the root rotation: its cranial axis tilts by the fitted pelvic tilt
    tilt = np.arctan2(spine.pelvis_frames[:, 2, 1], spine.pelvis_frames[:, 1, 1])
    np.testing.assert_allclose(tilt, fit.angle("pelvis_tilt"), atol=1e-6)


def test_static_step_recovers_extra_lordosis(body, betas):
    # Standing with the lumbar spine 8° more extended than the body's rest posture = 8° more
    # lordosis than the template.
    angles = _bend_angles("forward", 2, standing_lumbar_deg=-8.0)
    angles[:, :11] = angles[0, :11]  # all frames standing
    angles[:, A["lumbar_flexion"]] = math.radians(-8.0)
    keypoints, silhouettes, camera, _, embedding = _render_case(body, angles, 5, betas)
    assert standing_frames(keypoints).all()
    layer = SagittalBody(body, betas, embedding)
    fit = fit_frames(keypoints, silhouettes, body, betas, FitConfig(focal_px=camera.fx,
                     iterations=80), facing="left", layer=layer)  # fmt: skip
    static = estimate_static(fit, keypoints, layer.embedding.morphology)
    extra = static.morphology.lumbar_lordosis_deg - layer.embedding.morphology.lumbar_lordosis_deg
    assert abs(extra - 8.0) < 4.0, extra  # measured: +5.0°


def test_learned_reconstruction_estimates_the_body_shape_and_keeps_the_angles(body, betas):
    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.types import BodyShape

    angles = _bend_angles("forward", 8)
    keypoints, silhouettes, _, _, _ = _render_case(body, angles, 3, betas)
    kw = {"facing": "left", "temporal": False}
    spine, fit, static = reconstruct_spine(keypoints, silhouettes, body, **kw)
    assert static.shape_method == "learned" and static.shape.sliders is not None
    assert static.shape.betas.shape == (body.num_betas,) and np.abs(static.shape.betas).max() > 0
    np.testing.assert_allclose(fit.betas, static.shape.betas)  # the fit used the estimate
    assert spine.pose.shape is static.shape
    # the old default (average body) on request; the joint angles do not depend on the shape
    spine0, fit0, static0 = reconstruct_spine(keypoints, silhouettes, body, estimate_shape=False,
                                              **kw)  # fmt: skip
    assert static0.shape_method == "average" and not np.any(fit0.betas)
    np.testing.assert_allclose(fit.angles, fit0.angles)
    assert not np.allclose(spine.positions, spine0.positions)  # the spine sits in another body
    # a shape given by the caller wins
    given = BodyShape(betas[0].numpy(), "anny")
    _, fit2, static2 = reconstruct_spine(keypoints, silhouettes, body, shape=given, **kw)
    assert static2.shape_method == "given" and static2.shape is given
    np.testing.assert_allclose(fit2.betas, given.betas)
    # no silhouettes: nothing to estimate the shape from
    _, fit3, static3 = reconstruct_spine(keypoints, None, body, **kw)
    assert static3.shape_method == "average" and not np.any(fit3.betas)


def test_temporal_model_runs_from_8_fps_and_not_below(body, betas):
    import dataclasses

    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.reconstruct.fuse import MIN_TEMPORAL_FPS

    assert MIN_TEMPORAL_FPS == 8.0
    keypoints, silhouettes, _, _, _ = _render_case(body, _bend_angles("forward", 10), 5, betas)
    for fps, smoothed in ((8.0, True), (5.0, False)):
        kp = dataclasses.replace(keypoints, fps=fps)
        sil = dataclasses.replace(silhouettes, fps=fps)
        kw = {"facing": "left", "estimate_shape": False}
        _, raw, _ = reconstruct_spine(kp, sil, body, temporal=False, **kw)
        _, out, _ = reconstruct_spine(kp, sil, body, temporal=True, **kw)
        assert (not np.allclose(out.angles, raw.angles)) == smoothed, fps


@pytest.mark.slow
def test_fit_with_mediapipe_on_renders(body, betas):
    pytest.importorskip("mediapipe")
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose

    angles = _bend_angles("forward", 6)
    _, _, camera, render, _ = _render_case(body, angles, 7, betas, rgb=True)
    frames = [Frame(i, i / FPS, im) for i, im in enumerate(render.rgb)]
    result = estimate_pose(frames, PoseConfig())
    kp, sil = result.keypoints, result.silhouettes
    assert kp.fps == FPS  # exactly, though the timestamps i / FPS are not exact in binary
    if kp.detected.mean() < 0.8:
        pytest.skip(f"MediaPipe found the render in only {kp.detected.mean():.0%} of frames")
    fit = fit_frames(kp, sil, body, betas, FitConfig(focal_px=camera.fx, iterations=120))
    ok = kp.detected
    for name, tol in (("lumbar_flexion", 8.0), ("hip_flexion_left", 10.0)):
        err = np.degrees(fit.angle(name)[ok] - angles[ok, A[name]])
        assert np.abs(err).mean() < tol, (name, np.abs(err).mean())
    # the learned path (regressor → GCN+LSTM → static model → fuse) on the same MediaPipe output
    from humanmovenet.reconstruct import reconstruct_spine

    for temporal in (False, True):
        spine, learned, static = reconstruct_spine(kp, sil, body, method="learned",
                                                   temporal=temporal)  # fmt: skip
        assert np.isfinite(spine.positions).all() and spine.positions.shape == (6, 25, 3)
        # the learned estimate, refined by the standing fit (the default)
        assert static.method == "learned+fit" and np.isfinite(learned.angles).all()

        def change(a, names):
            """Summed change from the first (standing) frame at the peak, degrees."""
            peak = int(np.argmax(angles[:, A["lumbar_flexion"]]))
            return float(np.degrees(sum(a[peak, A[n]] - a[0, A[n]] for n in names)))

        trunk = ("pelvis_tilt", "lumbar_flexion", "thoracic_flexion")
        if not temporal:  # per-frame regressor: measured 95.8° vs 101.3° trunk, 42.1° vs 40.7°
            assert abs(change(learned.angles, trunk) - change(angles, trunk)) < 15.0
            assert (
                abs(change(learned.angles, ["lumbar_flexion"]) - change(angles, ["lumbar_flexion"]))
                < 10.0
            )
        # With the GCN+LSTM this 6-frame, 1 s, 100° bend is far faster than the training
        # movements and is flattened (measured 41° of 101°; docs/temporal.md, limits): only
        # the code path is checked here; tests/test_temporal.py and bench_temporal test accuracy.
    with pytest.raises(ValueError, match="method"):
        reconstruct_spine(kp, sil, body, method="magic")


def test_inputs_are_checked(body):
    kp = Keypoints2D(np.full((3, 33, 3), np.nan), 30.0, (100, 100), np.arange(3),
                     np.zeros(3, bool), np.zeros(3, bool))  # fmt: skip
    with pytest.raises(ValueError, match="hips and both shoulders"):
        fit_frames(kp, None, body, config=FitConfig(iterations=1), facing="left")
    with pytest.raises(ValueError, match="facing"):
        extract_back_contour(Silhouettes(np.zeros((3, 10, 10), bool), 30.0, (100, 100)), kp)
    with pytest.raises(ValueError, match="frames"):
        extract_back_contour(Silhouettes(np.zeros((2, 10, 10), bool), 30.0, (100, 100)), kp,
                             facing="left")  # fmt: skip
    with pytest.raises(ValueError, match="iterations"):
        FitConfig(iterations=0)


if __name__ == "__main__":  # python tests/test_reconstruct.py: the numbers quoted above
    _body = create("anny")
    _betas = _body.shape_from_sliders(ShapeSliders(gender=0.8, weight=0.6, height=0.6))
    for _kind in ("forward", "backward"):
        _angles = _bend_angles(_kind, 8)
        _kp, _sil, _cam, _, _ = _render_case(_body, _angles, 3, _betas)
        _fit = fit_frames(_kp, _sil, _body, _betas, FitConfig(focal_px=_cam.fx, iterations=120),
                          facing="left")  # fmt: skip
        _err = np.degrees(_fit.angles - _angles)
        _names = ("lumbar_flexion", "pelvis_tilt", "hip_flexion_left", "hip_flexion_right",
                  "thoracic_flexion")  # fmt: skip
        _mae = {n: round(float(np.abs(_err[:, A[n]]).mean()), 2) for n in _names}
        _rom = np.degrees(
            np.ptp(_fit.angle("lumbar_flexion")) - np.ptp(_angles[:, A["lumbar_flexion"]])
        )
        print(_kind, _mae, f"lumbar range error {_rom:.2f}",
              f"contour coverage {_fit.contour_coverage.mean():.2f}")  # fmt: skip
