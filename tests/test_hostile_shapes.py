"""Wrong array shapes to every public function that takes arrays or array dataclasses.

The public API is enumerated from ``humanmovenet.__all__`` and the ``__all__`` of each stage
package; every function there that takes an array (or a dataclass of arrays whose shapes must
agree with another argument) is called once with a wrong shape. Each call must raise a
``ValueError`` or ``TypeError`` whose message names the offending argument - never an
IndexError, a RuntimeError from deep inside NumPy/torch, or a silent wrong result.

Functions that take no arrays (paths, configs, names) are listed in ``NO_ARRAYS`` so that a new
public function without a case here fails :func:`test_every_public_array_function_is_covered`.
Cases that still fail in modules owned by others are marked ``xfail(strict=True)`` with the
failure seen, so they turn red (XPASS) when fixed and the marker must go.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

from humanmovenet.types import Keypoints2D, Silhouettes

PACKAGES = ("humanmovenet", "humanmovenet.io", "humanmovenet.pose2d", "humanmovenet.reconstruct",
            "humanmovenet.spine", "humanmovenet.biomech", "humanmovenet.body",
            "humanmovenet.evaluate", "humanmovenet.classify", "humanmovenet.synth",
            "humanmovenet.viz")  # fmt: skip

#: Public functions whose arguments are paths, settings, names or dataclasses without shapes
#: to disagree (their own dataclasses validate shapes on construction: types.py).
NO_ARRAYS = {
    "apply_calibration", "load_calibration", "morphology_angles", "analyze", "open_video", "save_keypoints", "load_keypoints", "load_silhouettes",
    "save_dynamic_spine", "load_dynamic_spine", "save_pose_sequence", "load_pose_sequence",
    "save_body_shape", "load_body_shape", "pose_vertices", "export_bvh", "export_opensim_mot",
    "opensim_coordinates", "hip_flexion_from_pose", "read_mot", "iter_detections", "iter_poses",
    "resolve_pose_model", "estimate_static", "frame_confidence", "fuse_spine",
    "reconstruct_spine", "standing_frames", "rest_disc_angles", "compute_metrics",
    "symmetry_index_from_peaks", "check_spine", "lumbar_angle_series", "thoracic_angle_series",
    "level_angle_series", "lumbar_lateral_series", "pelvic_tilt_series",
    "trunk_inclination_series", "age_slider_from_years", "create", "spine_chain_names",
    "default_data_range", "as_trimesh", "shared_voxel_grid", "voxel_iou", "voxelize_interior",
    "mesh_surface_distances", "compare_renders", "wrap_angle", "to_mm", "cross_validate",
    "default_cache_dir", "evaluate", "extract_features", "load", "load_shipped",
    "movement_features", "predict", "shipped_path", "train", "sample_subject",
    "generate_motion", "summarize_motion", "pose_sequence", "write_dataset", "plot_angles",
    "plot_spine_phases", "write_report", "report_data", "key_frames", "plot_spine_panels",
    "write_overlay_video", "overlay_camera", "embed_spine", "pose_spine", "bootstrap_statistics",
    "save_silhouettes", "estimate_pose", "load_static_model", "load_regressor",
    "load_temporal_model", "load_shape_model",
}  # fmt: skip


def _keypoints(t: int = 4) -> Keypoints2D:
    data = np.zeros((t, 33, 3))
    data[..., 0] = np.linspace(100, 200, 33)
    data[..., 1] = np.linspace(50, 350, 33)
    data[..., 2] = 1.0
    ones = np.ones(t, bool)
    return Keypoints2D(data, 30.0, (640, 360), np.arange(t), ones, ~ones)


def _silhouettes(t: int = 3) -> Silhouettes:
    return Silhouettes(np.zeros((t, 18, 32), bool), 30.0, (64, 36), 0.5, np.ones(t, bool))


def _spine(t: int = 4):
    from humanmovenet.types import DynamicSpine, SpineMorphology

    eye = np.broadcast_to(np.eye(3), (t, 25, 3, 3)).copy()
    positions = np.zeros((t, 25, 3))
    positions[..., 1] = np.linspace(1.0, 1.6, 25)
    return DynamicSpine(positions, eye, 30.0, np.ones(t), SpineMorphology(), eye[:, 0])


def _camera():
    from humanmovenet.viz.overlay import OverlayCamera

    return OverlayCamera(np.eye(3), np.array([[500.0, 0, 320], [0, 500, 180], [0, 0, 1]]), 0.0)


def _frames(image: np.ndarray):
    from humanmovenet.io.video import Frame

    return [Frame(0, 0.0, image)]


def _save_silhouettes(tmp_path):
    from humanmovenet.io import save_silhouettes

    class Fake:  # a Silhouettes-like object with 2-D masks (the dataclass would refuse it)
        masks, fps, image_size, scale, valid = np.zeros((4, 5), bool), 30.0, (5, 4), 1.0, None

    return save_silhouettes(tmp_path / "s.npz", Fake())


def _cases():
    """(id, call(tmp_path), word the message must contain, xfail reason or None)."""
    from humanmovenet import biomech, classify, evaluate, io, pose2d, reconstruct, spine, synth, viz
    from humanmovenet.io import export_animated_glb, export_meshes
    from humanmovenet.types import SpineMorphology

    r = np.random.default_rng(0)
    tri = np.array([[0, 1, 2]])
    return [
        ("export_meshes", lambda p: export_meshes(p / "m.glb", r.random((3, 2)), tri), "vertices", None),
        ("export_animated_glb", lambda p: export_animated_glb(p / "m.glb", r.random((2, 3, 2)), tri, 30.0), "vertices", None),
        ("estimate_view", lambda p: pose2d.estimate_view(r.random((5, 33, 2))), "data", None),
        ("estimate_pose:gray_frames", lambda p: pose2d.estimate_pose(_frames(np.zeros((64, 64), np.uint8))), "image", None),
        ("estimate_pose:rgba_frames", lambda p: pose2d.estimate_pose(_frames(np.zeros((64, 64, 4), np.uint8))), "image", None),
        ("save_silhouettes", _save_silhouettes, "masks", None),
        ("contour_features", lambda p: reconstruct.contour_features(r.random((4, 5)), np.linspace(0, 1, 7)), "stations", None),
        ("extract_back_contour", lambda p: reconstruct.extract_back_contour(_silhouettes(3), _keypoints(4)), "silhouettes", None),
        ("fit_frames", lambda p: reconstruct.fit_frames(_keypoints(4), _silhouettes(3), None), "silhouettes", None),
        ("predict_static", lambda p: reconstruct.predict_static(_keypoints(4), _silhouettes(4), np.ones(3, bool)), "standing", None),
        ("shape_features", lambda p: reconstruct.shape_features(_keypoints(4), _silhouettes(4), np.ones(3, bool)), "standing", None),
        ("body_shape_features", lambda p: reconstruct.body_shape_features(_keypoints(4), _silhouettes(3), np.ones(4, bool)), "silhouettes", None),
        ("predict_shape", lambda p: reconstruct.predict_shape(_keypoints(4), _silhouettes(4), np.ones(5, bool)), "standing", None),
        ("standing_features", lambda p: reconstruct.standing_features(
            _keypoints(4), reconstruct.extract_back_contour(_silhouettes(4), _keypoints(4)), np.ones(3, bool)), "standing", None),
        ("refine_static", lambda p: reconstruct.refine_static(
            _keypoints(4), reconstruct.extract_back_contour(_silhouettes(4), _keypoints(4)), np.ones(3, bool),
            SpineMorphology(), SpineMorphology(), None), "standing", None),
        ("save_metrics_csv", lambda p: io.save_metrics_csv(p / "m.csv", r.random((3, 2))), "metrics", None),
        ("save_metrics_json", lambda p: io.save_metrics_json(p / "m.json", r.random(3)), "metrics", None),
        ("regress_frames", lambda p: reconstruct.regress_frames(_keypoints(4), _silhouettes(3)), "silhouettes", None),
        ("smooth_angles", lambda p: reconstruct.smooth_angles(r.random((6, 5)), None, 30.0), "angles", None),
        ("profile_curvature", lambda p: reconstruct.profile_curvature(r.random((4, 5))), "depth", None),
        ("measure_morphology", lambda p: spine.measure_morphology(r.random((25, 3))), "frames", None),
        ("lumbar_angle", lambda p: spine.lumbar_angle(__import__("torch").zeros(25, 3)), "frames", None),
        ("thoracic_angle", lambda p: spine.thoracic_angle(__import__("torch").zeros(25, 3)), "frames", None),
        ("sagittal_angle", lambda p: spine.sagittal_angle(__import__("torch").zeros(4, 3), __import__("torch").zeros(5, 3)), "lower", None),
        ("lateral_angle", lambda p: spine.lateral_angle(__import__("torch").zeros(4, 3), __import__("torch").zeros(5, 3)), "lower", None),
        ("detect_movement", lambda p: biomech.detect_movement(np.zeros(10), np.zeros(9), np.zeros(10), 30.0), "lumbar_lateral", None),
        ("detect_phases", lambda p: biomech.detect_phases(np.zeros((10, 2)), np.zeros(10), 30.0), "lumbar_angle", None),
        ("split_cycles", lambda p: biomech.split_cycles(np.zeros((10, 2)), 30.0), "signal", None),
        ("psnr", lambda p: evaluate.psnr(np.zeros((4, 4)), np.zeros((4, 5))), "shape", None),
        ("psnr_frames", lambda p: evaluate.psnr_frames(np.zeros((2, 4, 4)), np.zeros((3, 4, 4))), "shape", None),
        ("silhouette_iou", lambda p: evaluate.silhouette_iou(np.zeros((4, 4), bool), np.zeros((4, 5), bool)), "shape", None),
        ("person_mask", lambda p: evaluate.person_mask(np.zeros((4, 4), bool), np.zeros((4, 5), bool)), "shape", None),
        ("chamfer_distance", lambda p: evaluate.chamfer_distance(r.random((5, 2)), r.random((6, 3))), "points", None),
        ("hausdorff_distance", lambda p: evaluate.hausdorff_distance(r.random((5, 2)), r.random((6, 3))), "points", None),
        ("mean_surface_distance", lambda p: evaluate.mean_surface_distance(r.random((5, 2)), r.random((6, 3))), "points", None),
        ("nearest_neighbor_distances", lambda p: evaluate.nearest_neighbor_distances(r.random((5, 2)), r.random((6, 3))), "points", None),
        ("resample_curve", lambda p: evaluate.resample_curve(r.random(5), 10), "points", None),
        ("acceleration_error", lambda p: evaluate.acceleration_error(r.random((5, 3, 3)), r.random((6, 3, 3))), "shape", None),
        ("angle_error_deg", lambda p: evaluate.angle_error_deg(r.random(5), r.random(6)), "shape", None),
        ("angle_mae_deg", lambda p: evaluate.angle_mae_deg(r.random(5), r.random(6)), "shape", None),
        ("fit_similarity_transform", lambda p: evaluate.fit_similarity_transform(r.random((5, 3)), r.random((6, 3))), "shape", None),
        ("jitter", lambda p: evaluate.jitter(r.random(5)), "points", None),
        ("mpjpe", lambda p: evaluate.mpjpe(r.random((5, 3)), r.random((6, 3))), "shape", None),
        ("pa_mpjpe", lambda p: evaluate.pa_mpjpe(r.random((5, 3)), r.random((6, 3))), "shape", None),
        ("procrustes_align", lambda p: evaluate.procrustes_align(r.random((5, 3)), r.random((6, 3))), "shape", None),
        ("pve", lambda p: evaluate.pve(r.random((5, 3)), r.random((6, 3))), "shape", None),
        ("score_predictions", lambda p: classify.score_predictions(np.zeros(5, int), np.zeros(4, int)), "y_pred", None),
        ("stratified_subject_folds", lambda p: classify.stratified_subject_folds([0, 1, 0, 1, 0], ["a", "b"], 2), "subjects", None),
        ("sample_side_camera", lambda p: synth.sample_side_camera(np.random.default_rng(0), r.random((10, 2))), "body_points", None),
        ("phase_runs", lambda p: viz.phase_runs(np.zeros((4, 2), int)), "phase", None),
        ("project_points", lambda p: viz.project_points(r.random((5, 2)), _camera()), "points", None),
        ("display_coordinates", lambda p: viz.display_coordinates(_spine(4), r.random((4, 6, 2))), "points", None),
    ]  # fmt: skip


_CASES = _cases()


def _public_functions() -> set[str]:
    names = set()
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            if inspect.isfunction(getattr(module, name, None)):
                names.add(name)
    return names


def test_every_public_array_function_is_covered():
    covered = {case[0].split(":")[0] for case in _CASES}
    missing = _public_functions() - covered - NO_ARRAYS
    assert not missing, f"public functions without a wrong-shape case: {sorted(missing)}"


_PARAMS = [
    pytest.param(name, call, word, id=name,
                 marks=[pytest.mark.xfail(strict=True, reason=known)] if known else [])
    for name, call, word, known in _CASES
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "word"), _PARAMS)
def test_wrong_shape_gives_a_clear_error(name, call, word, tmp_path):
    with pytest.raises((ValueError, TypeError)) as info:
        call(tmp_path)
    message = str(info.value)
    assert word.lower() in message.lower(), f"{name}: message does not name {word!r}: {message}"
