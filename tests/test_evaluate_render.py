"""Renders of a reconstruction and its ground truth are compared like with like."""

import numpy as np
import pytest

from humanmovenet.body import create
from humanmovenet.evaluate.render_compare import compare_renders
from humanmovenet.synth.camera import look_at


@pytest.fixture(scope="module")
def scene():
    body = create("anny")
    verts = body(**body.zero_inputs(1)).vertices[0].double().numpy()
    faces = body.faces.numpy()
    centre = verts.mean(axis=0)
    camera = look_at(centre + np.array([3.0, 0.0, 0.0]), centre, fx=300.0, width=160, height=160)
    return verts, faces, camera


def test_identical_meshes_score_perfectly(scene):
    verts, faces, camera = scene
    result = compare_renders(np.stack([verts, verts]), np.stack([verts, verts]), faces, camera)
    assert np.all(np.isinf(result.psnr_db)) and np.all(np.isinf(result.psnr_person_db))
    np.testing.assert_array_equal(result.silhouette_iou, [1.0, 1.0])
    assert result.summary()["silhouette_iou"] == 1.0


def test_scores_fall_as_the_reconstruction_moves_away(scene):
    verts, faces, camera = scene
    shifts = [0.01, 0.03, 0.08]  # metres forward (+z), seen side-on
    pred = np.stack([verts + [0.0, 0.0, s] for s in shifts])
    result = compare_renders(pred, np.stack([verts] * 3), faces, camera, keep_images=True)
    assert np.all(np.diff(result.silhouette_iou) < 0) and result.silhouette_iou[0] < 1.0
    assert np.all(np.diff(result.psnr_db) < 0) and np.all(np.isfinite(result.psnr_db))
    # over the person only, the score is lower than over the whole (mostly empty) image
    assert np.all(result.psnr_person_db < result.psnr_db)
    assert result.pred_rgb.shape == (3, 160, 160, 3) and result.gt_rgb.dtype == np.uint8


def test_different_topology_and_per_frame_cameras(scene):
    verts, faces, camera = scene
    flipped = faces[:, ::-1]  # same surface, other winding: both sides are lit alike
    result = compare_renders(verts, verts, faces, [camera], gt_faces=flipped)
    assert result.silhouette_iou[0] == 1.0


@pytest.mark.parametrize(
    "pred, gt, message",
    [
        (np.zeros((2, 10, 3)), np.zeros((3, 10, 3)), "same frames"),
        (np.full((1, 10, 3), np.nan), np.zeros((1, 10, 3)), "NaN or inf"),
        (np.zeros((1, 10, 2)), np.zeros((1, 10, 3)), r"expected \(T, V, 3\)"),
    ],
)
def test_bad_inputs(scene, pred, gt, message):
    _, faces, camera = scene
    with pytest.raises(ValueError, match=message):
        compare_renders(pred, gt, faces[:2], camera)
