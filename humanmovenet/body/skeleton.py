"""A named skeleton shared by every body backend, so later stages never use magic indices.

Semantic joint names (``SEMANTIC_JOINTS``) map onto each backend's own joint names; the spine
chain from the pelvis to the head is given per backend by :func:`spine_chain_names`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "SEMANTIC_JOINTS",
    "BACKEND_JOINT_MAPS",
    "SPINE_CHAINS",
    "backend_joint_name",
    "spine_chain_names",
]

SEMANTIC_JOINTS: tuple[str, ...] = (
    "pelvis",
    "spine_lower",
    "spine_mid",
    "spine_upper",
    "neck",
    "head",
    "hip_left",
    "hip_right",
    "knee_left",
    "knee_right",
    "ankle_left",
    "ankle_right",
    "shoulder_left",
    "shoulder_right",
    "elbow_left",
    "elbow_right",
    "wrist_left",
    "wrist_right",
)

# anny: the root bone is the pelvis (its head sits at the lumbosacral junction, shared with
# spine05 and pelvis.L/R). spine05 ≈ L5/S1 joint, spine03 ≈ thoracolumbar, spine01 ≈ upper
# thoracic (see docs/body_model.md for measured heights).
_ANNY = {
    "pelvis": "root",
    "spine_lower": "spine05",
    "spine_mid": "spine03",
    "spine_upper": "spine01",
    "neck": "neck01",
    "head": "head",
    "hip_left": "upperleg01.L",
    "hip_right": "upperleg01.R",
    "knee_left": "lowerleg01.L",
    "knee_right": "lowerleg01.R",
    "ankle_left": "foot.L",
    "ankle_right": "foot.R",
    "shoulder_left": "upperarm01.L",
    "shoulder_right": "upperarm01.R",
    "elbow_left": "lowerarm01.L",
    "elbow_right": "lowerarm01.R",
    "wrist_left": "wrist.L",
    "wrist_right": "wrist.R",
}

# SMPL and SMPL-X share the names of the first 22 joints (smplx.joint_names.JOINT_NAMES).
_SMPL = {
    "pelvis": "pelvis",
    "spine_lower": "spine1",
    "spine_mid": "spine2",
    "spine_upper": "spine3",
    "neck": "neck",
    "head": "head",
    "hip_left": "left_hip",
    "hip_right": "right_hip",
    "knee_left": "left_knee",
    "knee_right": "right_knee",
    "ankle_left": "left_ankle",
    "ankle_right": "right_ankle",
    "shoulder_left": "left_shoulder",
    "shoulder_right": "right_shoulder",
    "elbow_left": "left_elbow",
    "elbow_right": "right_elbow",
    "wrist_left": "left_wrist",
    "wrist_right": "right_wrist",
}

BACKEND_JOINT_MAPS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "anny": MappingProxyType(_ANNY),
        "smpl": MappingProxyType(_SMPL),
        "smplx": MappingProxyType(_SMPL),
    }
)

SPINE_CHAINS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "anny": (
            "root",
            "spine05",
            "spine04",
            "spine03",
            "spine02",
            "spine01",
            "neck01",
            "neck02",
            "neck03",
            "head",
        ),
        "smpl": ("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
        "smplx": ("pelvis", "spine1", "spine2", "spine3", "neck", "head"),
    }
)


def _check_backend(backend: str) -> None:
    if backend not in BACKEND_JOINT_MAPS:
        raise ValueError(
            f"unknown body backend {backend!r}; expected one of {sorted(BACKEND_JOINT_MAPS)}."
        )


def backend_joint_name(backend: str, name: str) -> str:
    """The backend's own joint name for a semantic name (backend names pass through unchanged).

    Args:
        backend: ``"anny"``, ``"smpl"`` or ``"smplx"``.
        name: a semantic name from ``SEMANTIC_JOINTS`` or a backend joint name.

    Returns:
        The backend joint name (not checked against the model's joint list here).
    """
    _check_backend(backend)
    return BACKEND_JOINT_MAPS[backend].get(name, name)


def spine_chain_names(backend: str) -> tuple[str, ...]:
    """Ordered backend joint names of the spine chain, pelvis (root) first, head last."""
    _check_backend(backend)
    return SPINE_CHAINS[backend]
