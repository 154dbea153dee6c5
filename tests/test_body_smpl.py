"""SMPL backend through the real smplx code path, on a tiny random fake model in SMPL's layout."""

from __future__ import annotations

import numpy as np
import pytest
import roma
import torch

from humanmovenet.body import SMPLBody, create
from humanmovenet.body.smpl_body import SMPL_DIR_ENV

SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
N_VERTS = 6890  # smplx picks extra joints by SMPL vertex ids, so keep SMPL's vertex count


def write_fake_smpl(folder, seed: int = 0):
    """A random model with the keys, shapes and dtypes of a converted SMPL_NEUTRAL.npz."""
    rng = np.random.default_rng(seed)
    j_reg = np.zeros((24, N_VERTS))
    for j in range(24):
        j_reg[j, rng.choice(N_VERTS, 4, replace=False)] = 0.25
    weights = rng.random((N_VERTS, 24)) ** 4
    weights /= weights.sum(1, keepdims=True)
    kintree = np.stack([np.array(SMPL_PARENTS) % 4294967296, np.arange(24)]).astype(np.int64)
    path = folder / "SMPL_NEUTRAL.npz"
    np.savez(
        path,
        v_template=rng.normal(size=(N_VERTS, 3)) * 0.3,
        shapedirs=rng.normal(size=(N_VERTS, 3, 10)) * 0.01,
        posedirs=rng.normal(size=(N_VERTS, 3, 207)) * 0.001,
        J_regressor=j_reg,
        weights=weights,
        kintree_table=kintree,
        f=rng.integers(0, N_VERTS, size=(32, 3)),
    )
    return path


@pytest.fixture(scope="module")
def fake_smpl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smpl")
    write_fake_smpl(folder)
    return folder


def test_fake_smpl_shapes_and_names(fake_smpl):
    body = create("smpl", path=fake_smpl)
    assert isinstance(body, SMPLBody) and body.num_body_joints == 23 and body.num_betas == 10
    out = body(**body.zero_inputs(batch_size=2))
    assert out.vertices.shape == (2, N_VERTS, 3)
    assert out.joints.shape == (2, 24, 3) and out.joint_rotations.shape == (2, 24, 3, 3)
    assert out.joint_names[body.joint_index("hip_left")] == "left_hip"
    assert body.spine_chain() == ("pelvis", "spine1", "spine2", "spine3", "neck", "head")


def test_fake_smpl_rest_is_template_and_env_var_works(fake_smpl, monkeypatch):
    monkeypatch.setenv(SMPL_DIR_ENV, str(fake_smpl))
    body = SMPLBody("smpl")
    data = np.load(fake_smpl / "SMPL_NEUTRAL.npz")
    out = body(**body.zero_inputs(dtype=torch.float64))
    assert np.allclose(out.vertices[0].numpy(), data["v_template"], atol=1e-6)
    assert np.allclose(out.joints[0].numpy(), data["J_regressor"] @ data["v_template"], atol=1e-6)


def test_root_rotation_is_rigid_about_root_joint(fake_smpl):
    body = create("smpl", path=fake_smpl)
    inputs = body.zero_inputs(dtype=torch.float64)
    rest = body(**inputs)
    root = torch.tensor([[0.3, -0.5, 0.2]], dtype=torch.float64)
    transl = torch.tensor([[0.1, 0.2, -0.3]], dtype=torch.float64)
    out = body(**{**inputs, "root_orient": root, "transl": transl})
    rot = roma.rotvec_to_rotmat(root)[0]
    j0 = rest.joints[0, 0]
    expected = (rest.vertices[0] - j0) @ rot.T + j0 + transl[0]
    assert torch.allclose(out.vertices[0], expected, atol=1e-9)
    assert torch.allclose(out.joint_rotations[0], rot.expand(24, 3, 3), atol=1e-12)


def test_global_rotations_chain_local_ones(fake_smpl):
    body = create("smpl", path=fake_smpl)
    inputs = body.zero_inputs(dtype=torch.float64)
    rv = torch.tensor([0.4, 0.1, -0.2], dtype=torch.float64)
    inputs["body_pose"] = body.pose_from_named(
        {"spine_lower": rv, "spine_mid": rv}, dtype=torch.float64
    )
    out = body(**inputs)
    r = roma.rotvec_to_rotmat(rv)
    assert torch.allclose(
        out.joint_rotations[0, body.joint_index("spine_upper")], r @ r, atol=1e-12
    )
    assert torch.allclose(
        out.joint_rotations[0, body.joint_index("hip_left")], torch.eye(3, dtype=torch.float64)
    )
    # the joints follow the global rotations: spine3 moved about spine2 by r @ r
    rest = body(**body.zero_inputs(dtype=torch.float64))
    s2, s3 = body.joint_index("spine_mid"), body.joint_index("spine_upper")
    offset = out.joints[0, s3] - out.joints[0, s2]
    assert torch.allclose(offset, (r @ r) @ (rest.joints[0, s3] - rest.joints[0, s2]), atol=1e-9)


def test_fake_smpl_shape_errors(fake_smpl):
    body = create("smpl", path=fake_smpl)
    good = body.zero_inputs()
    with pytest.raises(ValueError, match=r"\(B, 23, 3\)"):
        body(**{**good, "body_pose": torch.zeros(1, 103, 3)})
    with pytest.raises(ValueError, match="betas"):
        body(**{**good, "betas": torch.zeros(1, 11)})


def test_missing_smpl_names_every_fix(tmp_path, monkeypatch):
    monkeypatch.delenv(SMPL_DIR_ENV, raising=False)
    with pytest.raises(FileNotFoundError) as info:
        create("smpl")
    msg = str(info.value)
    for needle in ("model_path=", SMPL_DIR_ENV, "smpl.is.tue.mpg.de", "NON-COMMERCIAL", "anny"):
        assert needle in msg
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        create("smplx", path=tmp_path)
    with pytest.raises(ValueError, match="unknown body model"):
        create("mano")
