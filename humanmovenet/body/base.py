"""The common interface of the body backends: output dataclass, input checks, named joints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from humanmovenet.body.skeleton import SEMANTIC_JOINTS, backend_joint_name, spine_chain_names

__all__ = ["BodyOutput", "BodyModel", "check_inputs"]


@dataclass(frozen=True)
class BodyOutput:
    """Posed body, in the humanmovenet body frame (+y up, +z forward, +x person's left), metres.

    Attributes:
        vertices: posed mesh vertices (root translation included).
        joints: posed joint positions, root first, in the backend's joint order.
        joint_rotations: GLOBAL rotation of every joint relative to the rest pose (SMPL
            convention: the rotation applied to the rest bone; identity at rest).
        joint_names: backend joint names, root first (len J + 1).

    Shapes:
        vertices: (B, V, 3); joints: (B, J + 1, 3); joint_rotations: (B, J + 1, 3, 3).
    """

    vertices: torch.Tensor
    joints: torch.Tensor
    joint_rotations: torch.Tensor
    joint_names: tuple[str, ...]


def _fmt(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_inputs(
    betas: torch.Tensor,
    body_pose: torch.Tensor,
    root_orient: torch.Tensor,
    transl: torch.Tensor,
    num_joints: int,
    max_betas: int,
) -> None:
    """Raise ValueError unless the forward inputs have consistent shapes.

    Shapes:
        betas: (B, S) with S <= max_betas; body_pose: (B, num_joints, 3); root_orient,
        transl: (B, 3).
    """
    for name, t in (
        ("betas", betas),
        ("body_pose", body_pose),
        ("root_orient", root_orient),
        ("transl", transl),
    ):
        if not isinstance(t, torch.Tensor):
            raise ValueError(
                f"{name} must be a torch.Tensor, got {type(t).__name__}; wrap it with torch.as_tensor."
            )
    if body_pose.ndim != 3 or body_pose.shape[1:] != (num_joints, 3):
        raise ValueError(
            f"body_pose: expected shape (B, {num_joints}, 3) (axis-angle per non-root joint), "
            f"got {_fmt(body_pose.shape)}."
        )
    batch = body_pose.shape[0]
    if betas.ndim != 2 or betas.shape[0] != batch or betas.shape[1] > max_betas:
        raise ValueError(
            f"betas: expected shape ({batch}, S) with S <= {max_betas}, got {_fmt(betas.shape)}; "
            "use betas.expand(B, -1) to share one shape over a batch."
        )
    for name, t in (("root_orient", root_orient), ("transl", transl)):
        if t.shape != (batch, 3):
            raise ValueError(f"{name}: expected shape ({batch}, 3), got {_fmt(t.shape)}.")
    dtypes = {t.dtype for t in (betas, body_pose, root_orient, transl)}
    if len(dtypes) != 1 or not next(iter(dtypes)).is_floating_point:
        raise ValueError(
            f"all inputs must share one floating dtype (float32 or float64), got {sorted(map(str, dtypes))}."
        )


class BodyModel(torch.nn.Module):
    """Common behaviour of the body backends (named joints, zero inputs, pose helpers).

    Subclasses set ``backend`` (``"anny"``, ``"smpl"``, ``"smplx"``), ``joint_names`` (root
    first), ``num_betas`` and implement ``forward(betas, body_pose, root_orient, transl)``.
    """

    backend: str = ""
    joint_names: tuple[str, ...] = ()
    num_betas: int = 0

    @property
    def num_body_joints(self) -> int:
        """J: number of posable joints excluding the root (``body_pose`` is (B, J, 3))."""
        return len(self.joint_names) - 1

    def joint_index(self, name: str) -> int:
        """Index (into ``joints``/``joint_rotations``) of a semantic or backend joint name.

        ``body_pose`` excludes the root, so a non-root joint's pose row is ``joint_index - 1``.

        Raises:
            ValueError: unknown name; the message lists the valid names.
        """
        backend_name = backend_joint_name(self.backend, name)
        if backend_name not in self.joint_names:
            raise ValueError(
                f"unknown joint {name!r} for the {self.backend} body. Semantic names: "
                f"{', '.join(SEMANTIC_JOINTS)}. Backend names: {', '.join(self.joint_names)}."
            )
        return self.joint_names.index(backend_name)

    def spine_chain(self) -> tuple[str, ...]:
        """Backend joint names of the spine from the pelvis (root) to the head, in order."""
        return spine_chain_names(self.backend)

    def spine_chain_indices(self) -> tuple[int, ...]:
        """Indices into ``joints`` of :meth:`spine_chain`."""
        return tuple(self.joint_index(n) for n in self.spine_chain())

    def pose_from_named(
        self,
        rotations: Mapping[str, torch.Tensor | tuple[float, float, float]],
        batch_size: int = 1,
        dtype: torch.dtype = torch.float32,
    ) -> torch.Tensor:
        """Build a ``body_pose`` from per-joint axis-angles given by (semantic or backend) name.

        Args:
            rotations: name -> axis-angle (3,) or (B, 3), radians, local and world-aligned
                (a positive rotation about +x of a spine joint flexes forward). The root is
                not part of ``body_pose``; pass it as ``root_orient``.
            batch_size: B, used when every value is a (3,) vector.
            dtype: dtype of the result.

        Returns:
            (B, J, 3) body pose, zero for joints not named.
        """
        pose = torch.zeros(batch_size, self.num_body_joints, 3, dtype=dtype)
        for name, value in rotations.items():
            index = self.joint_index(name)
            if index == 0:
                raise ValueError(
                    f"{name!r} is the root joint: pass its rotation as root_orient, not in body_pose."
                )
            value = torch.as_tensor(value, dtype=dtype)
            if value.shape not in ((3,), (batch_size, 3)):
                raise ValueError(
                    f"rotation of {name!r}: expected shape (3,) or ({batch_size}, 3), got {_fmt(value.shape)}."
                )
            pose = pose.index_copy(
                1, torch.tensor([index - 1]), value.expand(batch_size, 3).unsqueeze(1)
            )
        return pose

    def zero_inputs(
        self, batch_size: int = 1, dtype: torch.dtype = torch.float32
    ) -> dict[str, torch.Tensor]:
        """Rest-pose inputs for :meth:`forward` (average shape, zero pose, zero translation)."""
        return {
            "betas": torch.zeros(batch_size, self.num_betas, dtype=dtype),
            "body_pose": torch.zeros(batch_size, self.num_body_joints, 3, dtype=dtype),
            "root_orient": torch.zeros(batch_size, 3, dtype=dtype),
            "transl": torch.zeros(batch_size, 3, dtype=dtype),
        }
