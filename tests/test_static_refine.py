"""Static refinement: the learned morphology refined by fitting the standing frames (MAP)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from humanmovenet.reconstruct.fit import FitConfig, SagittalBody
from humanmovenet.reconstruct.static import (
    estimate_static,
    morphology_angles,
    refine_static,
)
from humanmovenet.types import SpineMorphology

TRUE_LORDOSIS = 44.0


@pytest.fixture(scope="module")
def standing_subject():
    """One subject rendered standing (2 frames, real renderer and MediaPipe) with a 44° lordosis,
    its true body, the back contour and the per-frame regressor's solution."""
    from humanmovenet.body import create
    from humanmovenet.reconstruct.contour import extract_back_contour
    from humanmovenet.reconstruct.regress import regress_frames
    from humanmovenet.synth.render import Renderer
    from humanmovenet.synth.subject import sample_subject
    from humanmovenet.train.train_static import TEST_RANGES, render_subject, row_inputs

    torch.set_num_threads(1)
    body = create("anny")
    base = sample_subject(np.random.default_rng(123), **TEST_RANGES)
    morph = dataclasses.replace(base.morphology, lumbar_lordosis_deg=TRUE_LORDOSIS)
    subject = dataclasses.replace(base, morphology=morph)
    args = SimpleNamespace(fps=5.0, frames=2, size=384)
    with Renderer(384, 384) as renderer:
        row = render_subject(7, 0, TEST_RANGES, args, body, renderer, subject=subject)
    kp, sil = row_inputs(row)
    assert kp.detected.all()
    betas = body.shape_from_sliders(np.asarray(row["sliders"], float)[None])[0].numpy()
    layer = SagittalBody(body, betas)
    contour = extract_back_contour(sil, kp)
    init = regress_frames(kp, sil, body=body, betas=betas, contour=contour)
    return SimpleNamespace(kp=kp, sil=sil, contour=contour, layer=layer, init=init,
                           subject=subject, body=body)  # fmt: skip


def _refine(s, learned: SpineMorphology, weight: float):
    standing = np.ones(s.kp.num_frames, bool)
    template = s.layer.embedding.morphology
    return refine_static(s.kp, s.contour, standing, learned, template, s.layer,
                         standing_pelvic_tilt_deg=10.0, prior_weight=weight, iterations=60,
                         init=s.init)  # fmt: skip


def test_refinement_moves_a_wrong_lordosis_toward_the_truth(standing_subject):
    s = standing_subject
    truth = s.subject.morphology
    # a learned estimate 14° too flat (kyphosis and sacral slope right)
    wrong = dataclasses.replace(truth, lumbar_lordosis_deg=TRUE_LORDOSIS - 14.0)
    weak = _refine(s, wrong, weight=0.1)
    # the back outline pulls the lordosis back toward the true 44°
    assert weak.morphology.lumbar_lordosis_deg > wrong.lumbar_lordosis_deg + 5.0
    assert abs(weak.morphology.lumbar_lordosis_deg - TRUE_LORDOSIS) < 9.0
    # a strong prior keeps the learned estimate (the MAP interpolates between the two)
    strong = _refine(s, wrong, weight=1e4)
    assert abs(strong.morphology.lumbar_lordosis_deg - wrong.lumbar_lordosis_deg) < 1.0
    # lumbar and thoracic priors are the learned estimate through the template; the pelvis's
    # the per-frame step's standing pelvis
    template = s.layer.embedding.morphology
    np.testing.assert_allclose(strong.prior_deg[1:],
                               np.degrees(morphology_angles(wrong, template))[1:])  # fmt: skip
    assert strong.prior_deg[0] == pytest.approx(np.degrees(np.median(s.init.angle("pelvis_tilt"))))
    # sacral slope and tilt stay the learned ones (the pelvis is fitted as a nuisance)
    assert weak.standing_pelvic_tilt_deg == 10.0
    assert weak.morphology.sacral_slope_deg == wrong.sacral_slope_deg
    assert np.isfinite(weak.contour_error) and weak.contour_error < 0.05
    assert list(weak.frames) == list(range(s.kp.num_frames))


def test_estimate_static_keeps_learned_and_refined(standing_subject):
    s = standing_subject
    template = s.layer.embedding.morphology
    kw = dict(standing=np.ones(s.kp.num_frames, bool), contour=s.contour, layer=s.layer)
    plain = estimate_static(s.init, s.kp, template, **kw)
    assert plain.method == "learned" and plain.refined_morphology is None
    assert plain.learned_morphology == plain.morphology
    refined = estimate_static(s.init, s.kp, template, refine_iterations=30, prior_weight=1.0, **kw)
    assert refined.method == "learned+fit"
    assert refined.learned_morphology == plain.morphology
    assert refined.morphology == refined.refined_morphology == refined.refinement.morphology
    assert refined.fit_morphology is not None


def test_reconstruct_spine_refines_by_default_and_not_when_off(standing_subject):
    from humanmovenet.reconstruct import reconstruct_spine

    s = standing_subject
    _, _, default = reconstruct_spine(s.kp, s.sil, s.body)
    assert default.method == "learned+fit" and default.refinement.iterations == 60  # default
    off = FitConfig(static_refine_iterations=0)
    spine, _, static = reconstruct_spine(s.kp, s.sil, s.body, config=off)
    assert static.method == "learned" and static.refinement is None
    config = FitConfig(static_refine_iterations=20, static_prior_weight=0.3)
    spine2, _, static2 = reconstruct_spine(s.kp, s.sil, s.body, config=config)
    assert static2.method == "learned+fit" and static2.refinement.iterations == 20
    assert static2.refinement.prior_weight == 0.3
    assert static2.learned_morphology == static.morphology  # same learned start
    assert spine2.morphology == static2.refined_morphology  # the refined spine is the one used
    assert spine2.morphology != spine.morphology


def test_input_checks(standing_subject):
    s = standing_subject
    template = s.layer.embedding.morphology
    learned = SpineMorphology()
    with pytest.raises(ValueError, match="bool mask"):
        refine_static(
            s.kp, s.contour, np.ones(s.kp.num_frames + 1, bool), learned, template, s.layer
        )
    with pytest.raises(ValueError, match="bool mask"):
        refine_static(s.kp, s.contour, np.zeros(s.kp.num_frames, bool), learned, template, s.layer)
    with pytest.raises(ValueError, match="prior_weight"):
        refine_static(s.kp, s.contour, np.ones(s.kp.num_frames, bool), learned, template, s.layer,
                      prior_weight=-1.0)  # fmt: skip
    with pytest.raises(ValueError, match="needs the body layer"):
        estimate_static(s.init, s.kp, template, contour=s.contour, refine_iterations=5)
    with pytest.raises(ValueError, match="static_refine_iterations"):
        FitConfig(static_refine_iterations=-1)
    with pytest.raises(ValueError, match="static_prior_weight"):
        FitConfig(static_prior_weight=float("nan"))
    from humanmovenet.reconstruct.fit import fit_frames

    with pytest.raises(ValueError, match="angle_prior"):
        fit_frames(s.kp, None, s.layer.body, layer=s.layer, contour=s.contour,
                   angle_prior=(np.zeros(3), np.zeros(3)))  # fmt: skip
