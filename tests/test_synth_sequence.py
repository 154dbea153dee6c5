"""Posing the shipped body with synthetic motions: ground truth measured on the posed body."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from humanmovenet.spine.body import embed_in_body
from humanmovenet.spine.morphology import measure_morphology
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.sequence import (
    PosedSequence,
    default_body,
    iter_vertices,
    pose_sequence,
    subject_embedding,
)
from humanmovenet.synth.subject import sample_subject
from humanmovenet.types import SpineMorphology

FPS = 6.0  # few frames: the code path is the same at any rate
DEG = np.pi / 180.0


@pytest.fixture(scope="module")
def body():
    return default_body()


@pytest.fixture(scope="module")
def subject():
    return sample_subject(11, phenotype="neither")


@pytest.fixture(scope="module")
def embedding(body, subject):
    return subject_embedding(body, body.shape_from_sliders(subject.sliders)[0], subject)


@pytest.fixture(scope="module")
def posed(body, subject, embedding):
    out = {}
    for movement in ("forward_bend", "backward_bend", "lateral_bend", "gait"):
        kw = {"n_cycles": 1.0} if movement == "gait" else {"duration_s": 2.0, "hold_s": 0.5}
        motion = generate_motion(subject, movement, 3, fps=FPS, **kw)
        out[movement] = pose_sequence(subject, motion, body, embedding=embedding)
    return out


MOVEMENTS = ("forward_bend", "backward_bend", "lateral_bend", "gait")


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_measured_angles_equal_commanded(posed, movement):
    seq: PosedSequence = posed[movement]
    m, a = seq.motion, seq.angles
    for measured, commanded in (
        (a.lumbar_flexion, m.lumbar_flexion),
        (a.thoracic_flexion, m.thoracic_flexion),
        (a.lumbar_lateral, m.lumbar_lateral),
        (a.thoracic_lateral, m.thoracic_lateral),
        (a.pelvic_tilt, m.pelvis_tilt),
    ):
        np.testing.assert_allclose(measured, commanded, atol=0.01 * DEG)
    # hips: the frontal leg tilt that realises a sideways pelvis shift (gait sway, lateral
    # bend) changes the sagittal femur angle by a few hundredths of a degree
    for measured, commanded in (
        (a.hip_flexion_left, m.hip_flexion_left),
        (a.hip_flexion_right, m.hip_flexion_right),
    ):
        np.testing.assert_allclose(measured, commanded, atol=0.1 * DEG)
    # the motion really moves (a test on zeros could not fail)
    if movement == "forward_bend":
        assert a.lumbar_flexion.max() > 20 * DEG and a.hip_flexion_left.max() > 20 * DEG
    if movement == "lateral_bend":
        assert a.lumbar_lateral.max() > 5 * DEG and a.lumbar_lateral.min() < -5 * DEG


def test_gt_lumbar_angle_is_the_spine_models_own_measurement(posed, subject, embedding):
    seq = posed["forward_bend"]
    # absolute L1–S1 angle per frame, as measure_morphology reports it (lordosis = −angle)
    for t in (0, int(np.argmax(seq.angles.lumbar_flexion))):
        morph = measure_morphology(seq.vertebra_frames[t])
        assert morph.lumbar_lordosis_deg == pytest.approx(-np.degrees(seq.angles.lumbar_angle[t]))
    # standing: the subject's requested lordosis and kyphosis
    standing = measure_morphology(seq.vertebra_frames[0])
    assert standing.lumbar_lordosis_deg == pytest.approx(
        subject.morphology.lumbar_lordosis_deg, abs=0.05
    )
    assert standing.thoracic_kyphosis_deg == pytest.approx(
        subject.morphology.thoracic_kyphosis_deg, abs=0.05
    )


def test_hip_sign_thigh_moves_forward_in_gait_flexion(posed, body):
    seq = posed["gait"]
    t = int(np.argmax(seq.motion.hip_flexion_right))
    hip, knee = seq.joint("hip_right", body)[t], seq.joint("knee_right", body)[t]
    # a flexed hip puts the knee in front of the hip (+z forward), pelvis barely tilted
    assert seq.motion.hip_flexion_right[t] > 20 * DEG
    assert knee[2] - hip[2] > 0.1


def test_forward_bend_moves_head_forward_and_down(posed, body):
    seq = posed["forward_bend"]
    t = int(np.argmax(seq.angles.lumbar_flexion))
    head0, head = seq.joint("head", body)[0], seq.joint("head", body)[t]
    assert head[2] - head0[2] > 0.3 and head[1] < head0[1] - 0.4


def test_feet_on_floor_and_planted(posed, body):
    for movement, seq in posed.items():
        lowest = np.concatenate([v[..., 1].min(axis=1) for v in iter_vertices(seq, body, 16)])
        np.testing.assert_allclose(lowest, 0.0, atol=1e-5)
        mid = 0.5 * (seq.joint("ankle_left", body) + seq.joint("ankle_right", body))
        np.testing.assert_allclose(mid[0, [0, 2]], 0.0, atol=1e-6)
        if movement in ("forward_bend", "backward_bend"):
            np.testing.assert_allclose(mid[:, [0, 2]], 0.0, atol=1e-5)
        if movement == "gait":  # walks forward by about a stride, the stance foot does not slide
            assert mid[-1, 2] > 0.8
            pelvis = seq.joint("pelvis", body)[:, 2]
            speed = (pelvis[-1] - pelvis[0]) / seq.motion.time[-1]
            assert 0.8 < speed < 2.0  # m/s, from the legs' own kinematics


def test_vertices_kept_equal_recomputed_and_joints_consistent(body, subject, embedding):
    motion = generate_motion(subject, "backward_bend", 5, fps=4.0, duration_s=2.0, hold_s=0.5)
    kept = pose_sequence(subject, motion, body, embedding=embedding, keep_vertices=True)
    lazy = pose_sequence(subject, motion, body, embedding=embedding)
    assert kept.vertices.shape == (motion.num_frames, 13718, 3) and lazy.vertices is None
    again = np.concatenate(list(iter_vertices(lazy, body)))
    np.testing.assert_array_equal(again, kept.vertices)  # same batching: bit-identical
    chunks = np.concatenate(list(iter_vertices(lazy, body, batch_size=3)))
    np.testing.assert_allclose(chunks, kept.vertices, atol=1e-6)  # float32 GEMM blocking
    # the stored body inputs reproduce the stored joints
    n = motion.num_frames
    with torch.no_grad():
        out = body(
            torch.as_tensor(kept.betas).reshape(1, -1).expand(n, -1),
            torch.as_tensor(kept.body_pose),
            torch.as_tensor(kept.root_orient),
            torch.as_tensor(kept.transl),
        )
    np.testing.assert_allclose(out.joints.numpy(), kept.joints, atol=1e-5)
    # hip flexion measured independently: the femur (hip → knee) in the pelvis frame,
    # 0 = along the pelvis's vertical axis (straight standing)
    pelvis = out.joint_rotations[:, 0].numpy()
    femur = (
        out.joints[:, body.joint_index("knee_left")] - out.joints[:, body.joint_index("hip_left")]
    )
    local = np.einsum("tji,tj->ti", pelvis, femur.numpy())
    np.testing.assert_allclose(np.arctan2(local[:, 2], -local[:, 1]), motion.hip_flexion_left,
                               atol=1e-4)  # fmt: skip


def test_deterministic(body, subject, embedding):
    motion = generate_motion(subject, "gait", 9, fps=4.0, n_cycles=1.0)
    a = pose_sequence(subject, motion, body, embedding=embedding)
    b = pose_sequence(subject, motion, body)  # embedding recomputed
    for name in ("betas", "body_pose", "root_orient", "transl", "joints", "vertebra_positions"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_arms_hang_beside_the_trunk(posed, body):
    seq = posed["backward_bend"]
    wrist, shoulder = seq.joint("wrist_left", body)[0], seq.joint("shoulder_left", body)[0]
    assert wrist[1] < shoulder[1] - 0.4  # hanging, not the rest A-pose
    assert wrist[0] > 0.1  # left wrist on the left of the body


def test_input_errors(body, subject):
    other = sample_subject(2, phenotype="FP")
    motion = generate_motion(other, "standing", 0, fps=2.0, duration_s=1.0)
    with pytest.raises(ValueError, match="generated for"):
        pose_sequence(subject, motion, body)
    with pytest.raises(ValueError, match="SyntheticSubject"):
        pose_sequence("subject", motion, body)
    with pytest.raises(ValueError, match="batch_size"):
        pose_sequence(other, motion, body, batch_size=0)


def test_standing_lordosis_shows_on_the_skin(body):
    """Two subjects differing only in lordosis: the more lordotic one has a hollower low back."""
    import dataclasses

    base = sample_subject(11, phenotype="neither")
    hollow = []
    for lordosis in (20.0, 50.0):
        subject = dataclasses.replace(
            base, morphology=dataclasses.replace(base.morphology, lumbar_lordosis_deg=lordosis)
        )
        motion = generate_motion(subject, "forward_bend", rng=2, fps=FPS)
        seq = pose_sequence(subject, motion, body, keep_vertices=True)
        standing = measure_morphology(seq.vertebra_frames[0])
        assert standing.lumbar_lordosis_deg == pytest.approx(lordosis, abs=0.05)
        assert seq.standing_spine_flexion[0] == pytest.approx(np.radians(32.0 - lordosis), abs=0.02)
        # back skin on the mid-line: depth of the waist hollow behind the buttock/upper-back line
        v = seq.vertices[0].astype(np.float64)
        mid = v[np.abs(v[:, 0] - np.median(v[:, 0])) < 0.02]
        pelvis_y = seq.joint("pelvis")[0, 1]
        neck_y = seq.joint("neck")[0, 1]
        ys = np.linspace(pelvis_y - 0.05, neck_y - 0.1, 24)
        back = np.array([mid[np.abs(mid[:, 1] - y) < 0.015, 2].min() for y in ys])
        hollow.append(float(back.max() - 0.5 * (back[0] + back[-1])))
    assert hollow[1] > hollow[0] + 0.01  # ≥ 1 cm deeper hollow with 30° more lordosis


def test_mean_curve_embedding_required(body):
    subject = sample_subject(11, phenotype="neither")
    subject = subject.__class__(**{**subject.__dict__,
                                   "morphology": SpineMorphology(36.0, 45.0, 44.0, 0.0)})  # fmt: skip
    motion = generate_motion(subject, "forward_bend", rng=2, fps=FPS)
    betas = body.shape_from_sliders(subject.sliders)[0]
    with pytest.raises(ValueError, match="subject_embedding"):
        pose_sequence(
            subject, motion, body, embedding=embed_in_body(body, betas, subject.morphology)
        )
    emb = subject_embedding(body, betas, subject)
    assert emb.morphology.lumbar_lordosis_deg == pytest.approx(32.0, abs=0.5)
