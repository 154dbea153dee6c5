"""Tests of synthetic subjects and semantic-angle motions (humanmovenet.synth.subject/motion)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanmovenet.synth.motion import (
    LUMBAR_LEVEL_RATIOS,
    MOVEMENTS,
    THORACOLUMBAR_LEVEL_RATIOS,
    Phase,
    SagittalMotion,
    backward_bend,
    forward_bend,
    gait,
    generate_motion,
    lateral_bend,
    lumbar_hip_ratio,
    lumbar_rom_deg,
    mean_hip_flexion,
    minimum_jerk,
    pelvic_tilt_range_deg,
    split_lumbar_angle,
    standing,
    summarize_motion,
    symmetry_index,
    symmetry_index_from_peaks,
    trunk_inclination,
)
from humanmovenet.synth.subject import (
    PATTERN_LABELS,
    age_to_slider,
    bmi_to_weight_slider,
    sample_pattern,
    sample_subject,
    slider_to_age,
)

N_PER_CLASS = 60
BENDS = ("forward_bend", "backward_bend", "lateral_bend")


def _arrays_equal(a: SagittalMotion, b: SagittalMotion) -> bool:
    for f in dataclasses.fields(SagittalMotion):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if x.shape != y.shape or not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


@pytest.fixture(scope="module")
def cohort():
    """N_PER_CLASS subjects per pattern with their forward and backward bends' summaries."""
    out = {}
    for k, label in enumerate(PATTERN_LABELS):
        rows = []
        for i in range(N_PER_CLASS):
            seed = 1000 * k + i
            subj = sample_subject(seed, phenotype=label)
            rows.append(
                (
                    subj,
                    summarize_motion(forward_bend(subj, seed)),
                    summarize_motion(backward_bend(subj, seed)),
                )
            )
        out[label] = rows
    return out


# ----------------------------------------------------------------------------- determinism


def test_subject_is_deterministic_per_seed_and_differs_between_seeds():
    assert sample_subject(7) == sample_subject(7)
    assert sample_subject(np.random.default_rng(7)) == sample_subject(7)
    assert sample_subject(7) != sample_subject(8)


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_motion_is_deterministic_per_seed(movement):
    subj = sample_subject(3)
    a = generate_motion(subj, movement, 11)
    b = generate_motion(subj, movement, 11)
    assert _arrays_equal(a, b)
    if movement != "standing":
        c = generate_motion(subj, movement, 12)
        assert not _arrays_equal(a, c)


# ----------------------------------------------------------------------------- subjects


def test_age_slider_mapping_knots_and_round_trip():
    assert age_to_slider(25.0) == pytest.approx(0.5)
    assert age_to_slider(90.0) == pytest.approx(1.0)
    assert age_to_slider(57.5) == pytest.approx(0.75)
    ages = np.linspace(18, 90, 13)
    np.testing.assert_allclose(slider_to_age(age_to_slider(ages)), ages)


def test_subject_fields_are_consistent_and_in_range():
    for seed in range(100):
        s = sample_subject(seed, age_range=(30.0, 70.0), bmi_range=(20.0, 30.0))
        assert 30.0 <= s.age_years <= 70.0 and 20.0 <= s.bmi <= 30.0
        assert s.sliders.age == pytest.approx(age_to_slider(s.age_years))
        assert s.sliders.weight == pytest.approx(bmi_to_weight_slider(s.bmi))
        assert all(0.0 <= v <= 1.0 for v in s.sliders.as_array())
        assert (s.sliders.gender < 0.5) == (s.sex == "female")
        m = s.morphology
        assert 10 <= m.lumbar_lordosis_deg <= 60 and 20 <= m.thoracic_kyphosis_deg <= 70
        assert 15 <= m.sacral_slope_deg <= 65 and abs(m.lateral_deviation_deg) <= 8
        assert s.pelvic_incidence_deg == pytest.approx(
            s.radiographic_pelvic_tilt_deg + m.sacral_slope_deg
        )
        assert s.phenotype in PATTERN_LABELS


def test_morphology_correlations_follow_published_direction():
    subs = [sample_subject(seed, phenotype="neither") for seed in range(400)]
    ll = np.array([s.morphology.lumbar_lordosis_deg for s in subs])
    ss = np.array([s.morphology.sacral_slope_deg for s in subs])
    pi = np.array([s.pelvic_incidence_deg for s in subs])
    apt = np.array([s.standing_pelvic_tilt_deg for s in subs])
    assert np.corrcoef(ll, ss)[0, 1] > 0.4  # lordosis follows sacral slope (Roussouly 2005)
    assert np.corrcoef(ss, pi)[0, 1] > 0.6  # and sacral slope follows incidence (Legaye 1998)
    assert 28.0 < ll.mean() < 36.0 and 4.0 < ll.std() < 8.0  # DESIGN §4: 32 ± 6
    assert 11.0 < apt.mean() < 15.0 and apt.min() >= 0.0 and apt.max() <= 25.0  # 13 ± 5, 0–23


def test_lumbar_rom_decreases_with_age():
    young = [sample_subject(s, age_range=(20, 25)) for s in range(60)]
    old = [sample_subject(s, age_range=(75, 80)) for s in range(60)]
    assert np.mean([s.lumbar_flexion_rom_deg for s in young]) > 60
    assert np.mean([s.lumbar_flexion_rom_deg for s in old]) < 50
    assert np.mean([s.lumbar_extension_rom_deg for s in young]) > 22
    assert np.mean([s.lumbar_extension_rom_deg for s in old]) < 10


# ----------------------------------------------------------------------------- timing


def _phase_duration_s(motion: SagittalMotion, phase: Phase) -> float:
    idx = np.flatnonzero(motion.phase == phase)
    assert idx.size and np.all(np.diff(idx) == 1)  # one contiguous block
    return idx.size / motion.fps


@pytest.mark.parametrize(
    ("movement", "phases"),
    (
        ("forward_bend", (Phase.FLEXION, Phase.FLEXION_RETURN)),
        ("backward_bend", (Phase.EXTENSION, Phase.EXTENSION_RETURN)),
    ),
)
def test_bend_and_return_last_2_to_4_s_with_standing_before_and_after(movement, phases):
    tol = 1.5 / 30.0
    for seed in range(20):
        m = generate_motion(sample_subject(seed), movement, seed, fps=30.0)
        for phase in phases:
            assert 2.0 - tol <= _phase_duration_s(m, phase) <= 4.0 + tol
        assert m.phase[0] == Phase.STANDING and m.phase[-1] == Phase.STANDING
        assert np.allclose(m.angles()[0], m.angles()[-1])  # returns to the start posture
    fixed = generate_motion(sample_subject(0), movement, 0, duration_s=2.5, hold_s=0.5)
    assert _phase_duration_s(fixed, phases[0]) == pytest.approx(2.5, abs=tol)
    assert fixed.time[-1] == pytest.approx(0.5 + 2.5 + 2.5 + 0.5, abs=0.45)


@pytest.mark.parametrize(
    ("movement", "out_phase"),
    (("forward_bend", Phase.FLEXION), ("backward_bend", Phase.EXTENSION)),
)
def test_trunk_velocity_peaks_mid_movement(movement, out_phase):
    for seed in range(20):
        m = generate_motion(sample_subject(seed), movement, seed, fps=60.0)
        idx = np.flatnonzero(m.phase == out_phase)
        speed = np.abs(np.gradient(trunk_inclination(m), 1.0 / m.fps))[idx]
        where = np.argmax(speed) / (len(idx) - 1)
        assert 0.4 <= where <= 0.6
        # smooth start: velocity at the first frames is a small fraction of the peak
        assert speed[0] < 0.1 * speed.max()


def test_lateral_bend_both_sides_timing():
    m = lateral_bend(sample_subject(5), 5, side="both")
    left = np.flatnonzero(np.isin(m.phase, (Phase.LATERAL_LEFT, Phase.LATERAL_LEFT_RETURN)))
    right = np.flatnonzero(np.isin(m.phase, (Phase.LATERAL_RIGHT, Phase.LATERAL_RIGHT_RETURN)))
    assert left.size and right.size and left.max() < right.min()
    for phase in (
        Phase.LATERAL_LEFT,
        Phase.LATERAL_LEFT_RETURN,
        Phase.LATERAL_RIGHT,
        Phase.LATERAL_RIGHT_RETURN,
    ):
        assert 2.0 - 0.05 <= _phase_duration_s(m, phase) <= 4.0 + 0.05
    assert m.lumbar_lateral[left].max() > 0 > m.lumbar_lateral[right].min()


# ----------------------------------------------------------------------------- rhythm


def test_forward_bend_lumbar_leads_early_hips_dominate_late():
    for seed in range(20):
        m = forward_bend(sample_subject(seed, phenotype="neither"), seed)
        idx = np.flatnonzero(m.phase == Phase.FLEXION)
        early, late = idx[len(idx) // 4], idx[3 * len(idx) // 4]
        hip = mean_hip_flexion(m)
        ratio_early = m.lumbar_flexion[early] / hip[early]
        ratio_late = (m.lumbar_flexion[idx[-1]] - m.lumbar_flexion[late]) / (
            hip[idx[-1]] - hip[late]
        )
        assert ratio_early > ratio_late


def test_trunk_is_the_sum_of_pelvis_lumbar_thoracic_and_pelvis_follows_leg_chain():
    m = forward_bend(sample_subject(2), 2)
    pelvis_change = m.pelvis_tilt - m.standing_pelvic_tilt
    chain = m.ankle_dorsiflexion_right - m.knee_flexion_right + m.hip_flexion_right
    np.testing.assert_allclose(pelvis_change, chain, atol=1e-12)
    np.testing.assert_allclose(
        trunk_inclination(m), pelvis_change + m.lumbar_flexion + m.thoracic_flexion
    )


def test_hips_move_backward_in_forward_bend_and_forward_in_backward_bend():
    for seed in range(10):
        subj = sample_subject(seed)
        fwd, bwd = forward_bend(subj, seed), backward_bend(subj, seed)
        assert fwd.root_translation[:, 2].min() < -0.03
        assert bwd.root_translation[:, 2].max() > 0.01
        assert np.all(np.abs(fwd.root_translation[:, 0]) < 1e-12)


# ----------------------------------------------------------------------------- phenotypes


def _mean(rows, fn):
    return float(np.nanmean([fn(r) for r in rows]))


def test_fp_has_higher_lumbar_hip_ratio_in_forward_bend(cohort):
    ratio = {lab: _mean(rows, lambda r: r[1].lumbar_hip_ratio) for lab, rows in cohort.items()}
    assert ratio["FP"] > ratio["neither"] + 0.15 and ratio["FP"] > ratio["EP"] + 0.15
    hip = {lab: _mean(rows, lambda r: r[1].peak_hip_flexion_deg) for lab, rows in cohort.items()}
    assert hip["FP"] < hip["neither"]  # "the hips too little"


def test_ep_has_more_lumbar_extension_in_backward_bend(cohort):
    ratio = {lab: _mean(rows, lambda r: r[2].lumbar_hip_ratio) for lab, rows in cohort.items()}
    assert ratio["EP"] > ratio["neither"] + 0.2 and ratio["EP"] > ratio["FP"] + 0.2
    assert 1.2 <= ratio["neither"] <= 1.9  # DESIGN §4 normal range
    # per unit of available extension ROM, EP uses more of it
    use = {
        lab: _mean(rows, lambda r: r[2].peak_lumbar_extension_deg / r[0].lumbar_extension_rom_deg)
        for lab, rows in cohort.items()
    }
    assert use["EP"] > use["neither"] > use["FP"]


def test_standing_posture_differs_by_pattern(cohort):
    lordosis = {
        lab: _mean(r, lambda x: x[1].standing_lumbar_lordosis_deg) for lab, r in cohort.items()
    }
    tilt = {lab: _mean(r, lambda x: x[1].standing_pelvic_tilt_deg) for lab, r in cohort.items()}
    assert lordosis["EP"] > lordosis["neither"] + 2 > lordosis["FP"] + 4
    assert tilt["EP"] > tilt["neither"] + 1.5 > tilt["FP"] + 3


def test_classes_overlap_so_they_are_not_trivially_separable(cohort):
    fp = [r[1].lumbar_hip_ratio for r in cohort["FP"]]
    no = [r[1].lumbar_hip_ratio for r in cohort["neither"]]
    assert min(fp) < max(no)
    ep = [r[0].morphology.lumbar_lordosis_deg for r in cohort["EP"]]
    no_ll = [r[0].morphology.lumbar_lordosis_deg for r in cohort["neither"]]
    assert min(ep) < max(no_ll)


def test_pattern_sampling_rejects_unknown_label():
    with pytest.raises(ValueError, match="phenotype"):
        sample_pattern(0, "XP")
    with pytest.raises(ValueError, match="phenotype"):
        sample_subject(0, phenotype="flexion")


# ----------------------------------------------------------------------------- per-level split


def test_split_lumbar_angle_sums_to_total_and_follows_ratios():
    total = np.deg2rad(np.array([[40.0, -12.0], [0.0, 7.5]]))
    levels = split_lumbar_angle(total)
    assert levels.shape == (2, 2, 5)
    np.testing.assert_allclose(levels.sum(-1), total)
    l5s1 = levels[..., 0]
    for k, (_, ratio) in enumerate(LUMBAR_LEVEL_RATIOS):
        np.testing.assert_allclose(levels[..., k], ratio * l5s1)
    six = split_lumbar_angle(1.0, THORACOLUMBAR_LEVEL_RATIOS)
    assert six.shape == (6,) and six.sum() == pytest.approx(1.0)
    assert six[-1] / six[0] == pytest.approx(0.571)
    with pytest.raises(ValueError):
        split_lumbar_angle(1.0, ())


# ----------------------------------------------------------------------------- limits & shapes


def test_angles_stay_within_physiological_limits():
    for seed in range(40):
        subj = sample_subject(seed)
        for movement in MOVEMENTS:
            m = generate_motion(subj, movement, seed)
            deg = {n: np.rad2deg(getattr(m, n)) for n in m.angle_names}
            assert deg["lumbar_flexion"].max() <= subj.lumbar_flexion_rom_deg + 1e-6
            assert -deg["lumbar_flexion"].min() <= subj.lumbar_extension_rom_deg + 3.0
            assert np.abs(deg["lumbar_lateral"]).max() <= subj.lumbar_lateral_rom_deg * 1.3
            for side in ("left", "right"):
                assert (
                    -25 <= deg[f"hip_flexion_{side}"].min()
                    and deg[f"hip_flexion_{side}"].max() <= 100
                )
                assert (
                    0 <= deg[f"knee_flexion_{side}"].min()
                    and deg[f"knee_flexion_{side}"].max() <= 75
                )
                assert -25 <= deg[f"ankle_dorsiflexion_{side}"].min()
                assert deg[f"ankle_dorsiflexion_{side}"].max() <= 20
                assert deg[f"shoulder_flexion_{side}"].max() <= 130
            assert np.abs(deg["thoracic_flexion"]).max() <= 25
            assert np.rad2deg(np.abs(trunk_inclination(m))).max() <= 135 + 1e-6
            assert -35 <= deg["pelvis_tilt"].min() and deg["pelvis_tilt"].max() <= 120


@pytest.mark.parametrize("movement", MOVEMENTS)
def test_shapes_units_and_time_axis(movement):
    m = generate_motion(sample_subject(4), movement, 4, fps=25.0)
    t = m.num_frames
    assert m.time.shape == (t,) and m.root_translation.shape == (t, 3)
    assert m.phase.shape == (t,) and m.phase.dtype.kind == "i"
    assert m.angles().shape == (t, len(m.angle_names))
    np.testing.assert_allclose(np.diff(m.time), 1.0 / 25.0)
    assert np.all(np.isfinite(m.angles())) and np.abs(m.angles()).max() < np.pi  # radians
    assert m.movement == movement and m.pattern in PATTERN_LABELS
    assert set(np.unique(m.phase)) <= {int(p) for p in Phase}
    assert m.standing_pelvic_tilt == pytest.approx(
        np.deg2rad(sample_subject(4).standing_pelvic_tilt_deg)
    )


def test_sagittal_motion_rejects_mismatched_shapes():
    m = standing(sample_subject(0), 0, duration_s=1.0)
    with pytest.raises(ValueError, match="lumbar_flexion"):
        dataclasses.replace(m, lumbar_flexion=np.zeros(m.num_frames + 1))
    with pytest.raises(ValueError, match="root_translation"):
        dataclasses.replace(m, root_translation=np.zeros((m.num_frames, 2)))


def test_gait_progresses_forward_with_cycles_and_phases():
    subj = sample_subject(9)
    m = gait(subj, 9, n_cycles=3)
    z = m.root_translation[:, 2]
    assert np.all(np.diff(z) > 0)
    stride = z[-1] / 3
    assert 0.6 * subj.stature_m <= stride <= 0.9 * subj.stature_m
    assert set(np.unique(m.gait_cycle)) >= {0, 1, 2}
    codes = {
        int(Phase.GAIT_DOUBLE_SUPPORT),
        int(Phase.GAIT_RIGHT_STANCE),
        int(Phase.GAIT_LEFT_STANCE),
    }
    assert set(np.unique(m.phase)) == codes
    # hips alternate: left and right hip flexion are out of phase
    assert np.corrcoef(m.hip_flexion_left, m.hip_flexion_right)[0, 1] < -0.5
    # pelvic tilt oscillates by a few degrees around the standing tilt
    assert 1.5 <= pelvic_tilt_range_deg(m) <= 7.5
    assert abs(np.rad2deg(np.mean(m.pelvis_tilt - m.standing_pelvic_tilt))) < 1.0


def test_walking_lumbar_offset_follows_pattern():
    def mean_lumbar(label):
        return np.mean(
            [np.mean(gait(sample_subject(s, phenotype=label), s).lumbar_flexion) for s in range(30)]
        )

    assert mean_lumbar("FP") > mean_lumbar("neither") > mean_lumbar("EP")


# ----------------------------------------------------------------------------- ground truth


@pytest.mark.parametrize("asym", (-30.0, 0.0, 12.5))
def test_lateral_bend_symmetry_index_matches_request(asym):
    m = lateral_bend(sample_subject(6), 6, side="both", asymmetry_pct=asym)
    assert symmetry_index(m) == pytest.approx(abs(asym), abs=1e-6)
    left = np.rad2deg(m.lumbar_lateral.max())
    right = np.rad2deg(-m.lumbar_lateral.min())
    assert (left > right) == (asym > 0) or asym == 0


def test_single_sided_lateral_bends_combine_to_requested_si():
    subj = sample_subject(8)
    left = lateral_bend(subj, 1, side="left", asymmetry_pct=20.0, fps=30.0)
    right = lateral_bend(subj, 1, side="right", asymmetry_pct=20.0, fps=30.0)
    si = symmetry_index_from_peaks(left.lumbar_lateral.max(), -right.lumbar_lateral.min())
    assert si == pytest.approx(20.0, abs=1e-6)
    with pytest.raises(ValueError, match="both"):
        symmetry_index(left)


@pytest.mark.parametrize("asym", (0.0, 15.0))
def test_gait_symmetry_index_matches_request(asym):
    m = gait(sample_subject(10), 10, n_cycles=4, asymmetry_pct=asym, fps=60.0)
    assert symmetry_index(m) == pytest.approx(asym, abs=1.0)


def test_summaries_are_consistent_with_the_trajectories():
    subj = sample_subject(12, phenotype="FP")
    m = forward_bend(subj, 12)
    s = summarize_motion(m)
    assert s.lumbar_rom_deg == pytest.approx(lumbar_rom_deg(m))
    assert s.lumbar_rom_deg == pytest.approx(s.peak_lumbar_flexion_deg)  # starts at 0
    assert s.peak_lumbar_flexion_deg == pytest.approx(
        subj.pattern.forward_lumbar_rom_use * subj.lumbar_flexion_rom_deg
    )
    assert s.lumbar_hip_ratio == pytest.approx(lumbar_hip_ratio(m))
    assert s.lumbar_hip_ratio == pytest.approx(s.peak_lumbar_flexion_deg / s.peak_hip_flexion_deg)
    assert s.pelvic_tilt_range_deg == pytest.approx(pelvic_tilt_range_deg(m))
    assert np.isnan(s.symmetry_index)
    b = summarize_motion(backward_bend(subj, 12))
    assert b.peak_lumbar_flexion_deg == 0.0 and b.peak_lumbar_extension_deg > 0
    assert b.peak_trunk_inclination_deg < 0


def test_standing_has_no_range_and_no_ratio():
    m = standing(sample_subject(1), 1, duration_s=2.0)
    s = summarize_motion(m)
    assert s.lumbar_rom_deg == 0.0 and s.pelvic_tilt_range_deg == 0.0
    assert np.isnan(s.lumbar_hip_ratio)
    with pytest.raises(ValueError, match="bend"):
        lumbar_hip_ratio(m)


def test_minimum_jerk_profile():
    tau = np.linspace(0, 1, 101)
    s = minimum_jerk(tau)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[50] == pytest.approx(0.5)
    v = np.gradient(s, tau)
    assert np.argmax(v) == 50 and np.all(np.diff(s) >= 0)


@pytest.mark.parametrize(
    ("call", "match"),
    (
        (lambda s: forward_bend(s, 0, fps=0.0), "fps"),
        (lambda s: forward_bend(s, 0, duration_s=-1.0), "duration_s"),
        (lambda s: lateral_bend(s, 0, side="up"), "side"),
        (lambda s: lateral_bend(s, 0, asymmetry_pct=150.0), "asymmetry_pct"),
        (lambda s: gait(s, 0, n_cycles=0.5), "n_cycles"),
        (lambda s: generate_motion(s, "jump", 0), "movement"),
        (lambda s: sample_subject(0, age_range=(5.0, 30.0)), "age_range"),
        (lambda s: sample_subject(0, sex="x"), "sex"),
        (lambda s: sample_subject("seed"), "rng"),
        (lambda s: forward_bend("subject", 0), "SyntheticSubject"),
    ),
)
def test_invalid_inputs_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(sample_subject(0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    fps=st.sampled_from((24.0, 25.0, 30.0, 50.0, 60.0)),
    movement=st.sampled_from(("forward_bend", "backward_bend")),
    label=st.sampled_from(PATTERN_LABELS),
)
def test_bend_invariants_hold_for_any_seed(seed, fps, movement, label):
    m = generate_motion(sample_subject(seed, phenotype=label), movement, seed, fps=fps)
    trunk = trunk_inclination(m)
    hip, lumbar = mean_hip_flexion(m), m.lumbar_flexion
    sign = 1.0 if movement == "forward_bend" else -1.0
    # lumbar and hip move in the bend's direction and never overshoot standing
    assert np.all(sign * lumbar >= -1e-12) and np.all(sign * hip >= -1e-12)
    assert np.all(sign * trunk >= -1e-12)
    # the bend's peak is where the phase says the end of range is
    hold = np.flatnonzero(np.isin(m.phase, (Phase.FLEXION_HOLD, Phase.EXTENSION_HOLD)))
    assert hold.size and np.argmax(sign * trunk) in set(hold.tolist()) | {hold[0] - 1}
    s = summarize_motion(m)
    assert s.lumbar_rom_deg == pytest.approx(np.rad2deg(np.abs(lumbar).max()))
