"""Vertebral chain math: morphology round trip, level ratios, smoothness, gradients, batching.

These tests use a simple straight body chain (the anny spine bone heights of DESIGN.md §8) so
they exercise the spine module alone; tests/test_spine_body.py embeds it in the shipped body.
"""

import math

import numpy as np
import pytest
import torch

from humanmovenet.spine import anatomy
from humanmovenet.spine.chain import rotation_x, sagittal_angle
from humanmovenet.spine.embed import embed_spine, pose_spine
from humanmovenet.spine.morphology import lumbar_angle, measure_morphology
from humanmovenet.types import VERTEBRA_NAMES, SpineMorphology

NAMES = ("root", "spine05", "spine04", "spine03", "spine02", "spine01", "neck01", "neck02", "head")
HEIGHTS = np.array([0.05, 0.05, 0.118, 0.186, 0.261, 0.394, 0.56, 0.62, 0.70])
SPINE_JOINTS = [1, 2, 3, 4, 5]


def _chain() -> np.ndarray:
    return np.stack([np.zeros_like(HEIGHTS), HEIGHTS, np.full_like(HEIGHTS, -0.05)], axis=1)


def _embed(morph: SpineMorphology | None = None):
    chain = _chain()
    return embed_spine(chain, NAMES, morph or SpineMorphology(), chain[1], chain[6], anchor_index=6)


def _posed_chain(local: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Global rotations and positions of the straight test chain for local rotations (C,3,3)."""
    chain = torch.as_tensor(_chain(), dtype=local.dtype)
    glob, pos = [local[0]], [chain[0]]
    for j in range(1, len(NAMES)):
        pos.append(pos[-1] + glob[-1] @ (chain[j] - chain[j - 1]))
        glob.append(glob[-1] @ local[j])
    return torch.stack(glob), torch.stack(pos)


def _bend_locals(total_deg: float, dtype=torch.float64) -> torch.Tensor:
    """Local rotations sharing a flexion of total_deg over the spine joints by flexion weights."""
    emb = _embed()
    w = anatomy.flexion_weights()
    group = np.array([w[emb.disc_joint == j].sum() for j in range(len(NAMES))])
    share = np.zeros(len(NAMES))
    share[SPINE_JOINTS] = group[SPINE_JOINTS] / group[SPINE_JOINTS].sum()
    return rotation_x(torch.tensor(np.radians(total_deg) * share, dtype=dtype))


def test_vertebra_names_cover_s1_to_c1():
    assert len(VERTEBRA_NAMES) == 25
    assert VERTEBRA_NAMES[:7] == ("S1", "L5", "L4", "L3", "L2", "L1", "T12")
    assert VERTEBRA_NAMES[-1] == "C1"
    assert anatomy.DISC_NAMES[0] == "L5/S1" and anatomy.DISC_NAMES[5] == "T12/L1"


@pytest.mark.parametrize(
    "morph",
    [
        SpineMorphology(),
        SpineMorphology(40.0, 48.0, 30.0, 0.0),
        SpineMorphology(30.0, 20.0, 55.0, 8.0),
    ],
)
def test_embedding_keeps_requested_curvature(morph):
    measured = _embed(morph).morphology
    # exact in the sagittal plane; a lateral curve couples in ≲ 0.5° (projection of 3D angles)
    tol = 1e-6 if morph.lateral_deviation_deg == 0 else 0.5
    assert measured.lumbar_lordosis_deg == pytest.approx(morph.lumbar_lordosis_deg, abs=tol)
    assert measured.thoracic_kyphosis_deg == pytest.approx(morph.thoracic_kyphosis_deg, abs=tol)
    assert measured.lateral_deviation_deg == pytest.approx(morph.lateral_deviation_deg, abs=tol)


def test_default_standing_curve_in_published_ranges():
    m = _embed().morphology
    assert 26.0 <= m.lumbar_lordosis_deg <= 38.0  # 32 ± 6° (EOS, LBP)
    assert 38.0 <= m.thoracic_kyphosis_deg <= 50.0  # 44 ± 6°
    assert 0.0 < m.sacral_slope_deg < 50.0


def test_rest_pose_reproduces_rest_spine():
    emb = _embed()
    glob, pos = _posed_chain(torch.eye(3, dtype=torch.float64).repeat(len(NAMES), 1, 1))
    p, f = pose_spine(emb, glob, pos)
    np.testing.assert_allclose(p.numpy(), emb.rest_positions, atol=1e-9)
    np.testing.assert_allclose(f.numpy(), emb.rest_frames, atol=1e-9)


def test_forty_degree_bend_follows_level_ratios():
    emb = _embed()
    glob, pos = _posed_chain(_bend_locals(40.0))
    _, frames = pose_spine(emb, glob, pos)
    rest = torch.as_tensor(emb.rest_frames)
    per_disc = np.degrees(
        (sagittal_angle(frames[:-1], frames[1:]) - sagittal_angle(rest[:-1], rest[1:])).numpy()
    )
    lumbar = per_disc[: len(anatomy.LUMBAR_DISCS) + 1]
    np.testing.assert_allclose(
        lumbar / lumbar[0], [1.0, 1.857, 1.643, 1.143, 0.929, 0.571], rtol=1e-6
    )
    # the whole bend is distributed over the levels, nothing lost or invented
    total = math.degrees(
        float(
            sagittal_angle(frames[0], frames[VERTEBRA_NAMES.index("T1")])
            - sagittal_angle(rest[0], rest[VERTEBRA_NAMES.index("T1")])
        )
    )
    assert total == pytest.approx(40.0, abs=1e-6)
    flex = math.degrees(float(lumbar_angle(frames) - lumbar_angle(rest)))
    assert flex == pytest.approx(lumbar[:5].sum(), abs=1e-6)


def test_posed_curve_is_smooth_and_follows_the_body():
    emb = _embed()
    glob, pos = _posed_chain(_bend_locals(60.0))
    p, f = pose_spine(emb, glob, pos)
    seg = torch.diff(p, dim=0)
    cos = torch.nn.functional.cosine_similarity(seg[:-1], seg[1:], dim=-1)
    assert float(torch.rad2deg(torch.arccos(cos.clamp(-1, 1))).max()) < 15.0
    # the C7/T1 disc lands on the body's anchor joint (to < 1 mm: the correction is applied at
    # the vertebral centres, the disc lies half a segment above T1)
    ct = anatomy.DISC_NAMES.index("C7/T1")
    disc = p[ct] + 0.5 * float(emb.lengths[ct]) * f[ct][:, 1]
    target = pos[6] + glob[6] @ torch.as_tensor(emb.anchor_offset)
    assert float((disc - target).norm()) < 1e-3


def test_batched_equals_single():
    emb = _embed()
    batch = [_posed_chain(_bend_locals(a)) for a in (-20.0, 0.0, 35.0, 70.0)]
    glob = torch.stack([b[0] for b in batch])
    pos = torch.stack([b[1] for b in batch])
    p, f = pose_spine(emb, glob, pos)
    for i, (g1, p1) in enumerate(batch):
        ps, fs = pose_spine(emb, g1, p1)
        torch.testing.assert_close(p[i], ps)
        torch.testing.assert_close(f[i], fs)


def test_pose_spine_gradcheck():
    emb = _embed(SpineMorphology(36.0, 32.0, 44.0, 5.0))
    angles = torch.tensor([0.1, 0.2, -0.15, 0.3, 0.05], dtype=torch.float64, requires_grad=True)

    def fn(a):
        local = torch.eye(3, dtype=torch.float64).repeat(len(NAMES), 1, 1).clone()
        local[SPINE_JOINTS] = rotation_x(a)
        glob, pos = _posed_chain(local)
        p, f = pose_spine(emb, glob, pos)
        return p, f

    assert torch.autograd.gradcheck(fn, (angles,), eps=1e-6, atol=1e-5)


def test_measure_morphology_rejects_sequences():
    with pytest.raises(ValueError, match="expected shape"):
        measure_morphology(np.zeros((3, 25, 3, 3)))


def test_pose_spine_rejects_wrong_chain():
    emb = _embed()
    with pytest.raises(ValueError, match="expected chain_rotations"):
        pose_spine(emb, torch.eye(3).repeat(4, 1, 1), torch.zeros(4, 3))
