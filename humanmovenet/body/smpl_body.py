"""SMPL / SMPL-X backend through the ``smplx`` package, for users with licensed model files.

The official files cannot be shipped (registration, MPI non-commercial licence). Point
``HUMANMOVENET_SMPL_DIR`` (or the ``model_path`` argument) at them. Both the ``smplx`` code and
the SMPL/SMPL-X files are under MPI's non-commercial licence terms.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from humanmovenet.body._lbs import rotvec_to_rotmat
from humanmovenet.body.base import BodyModel, BodyOutput, check_inputs

__all__ = ["SMPLBody", "SMPL_DIR_ENV", "find_smpl_file"]

SMPL_DIR_ENV = "HUMANMOVENET_SMPL_DIR"
_NUM_BODY_JOINTS = {"smpl": 23, "smplx": 21}
_REGISTER_URLS = {"smpl": "https://smpl.is.tue.mpg.de", "smplx": "https://smpl-x.is.tue.mpg.de"}


def _candidates(folder: Path, model_type: str, gender: str) -> list[Path]:
    stem = f"{model_type.upper()}_{gender.upper()}"
    names = [f"{stem}.npz", f"{stem}.pkl"]
    return [folder / n for n in names] + [folder / model_type / n for n in names]


def find_smpl_file(
    model_type: str, gender: str = "neutral", model_path: str | os.PathLike[str] | None = None
) -> Path:
    """Locate an SMPL/SMPL-X model file: argument, then ``$HUMANMOVENET_SMPL_DIR``.

    Args:
        model_type: ``"smpl"`` or ``"smplx"``.
        gender: ``"neutral"``, ``"female"`` or ``"male"``.
        model_path: a model file, or a folder holding ``SMPL_NEUTRAL.npz``/``.pkl`` (or a
            ``smpl/`` subfolder with them).

    Returns:
        The model file path.

    Raises:
        FileNotFoundError: nothing found; the message names every fix.
    """
    tried: list[Path] = []
    roots = [Path(model_path).expanduser()] if model_path is not None else []
    if model_path is None and os.environ.get(SMPL_DIR_ENV):
        roots.append(Path(os.environ[SMPL_DIR_ENV]).expanduser())
    for root in roots:
        if root.is_file():
            return root
        for cand in _candidates(root, model_type, gender):
            tried.append(cand)
            if cand.is_file():
                return cand
    raise FileNotFoundError(
        f"{model_type.upper()} model file not found"
        + (
            f" (tried {', '.join(map(str, tried))})"
            if tried
            else " (no path given and $" + SMPL_DIR_ENV + " unset)"
        )
        + f". To fix: pass model_path=/path/to/{model_type.upper()}_{gender.upper()}.npz (or its folder), "
        f"or set {SMPL_DIR_ENV}=/folder/with/the/files. The files are not shipped with humanmovenet: "
        f"register and download them at {_REGISTER_URLS[model_type]} (MPI licence, NON-COMMERCIAL use only; "
        "convert .pkl files to plain .npz if chumpy does not import). Or use the shipped open "
        "default body: humanmovenet.body.create('anny')."
    )


class SMPLBody(BodyModel):
    """SMPL or SMPL-X through ``smplx.create``, converted to :class:`BodyOutput`.

    ``joints``/``joint_rotations`` cover the kinematic body joints only (SMPL: 24, SMPL-X: the
    first 22 of 55; SMPL-X hands, jaw and eyes stay at rest). SMPL's frame already is the
    humanmovenet body frame (+y up, +z forward, +x left).

    Args:
        model_type: ``"smpl"`` or ``"smplx"``.
        model_path: model file or folder (else ``$HUMANMOVENET_SMPL_DIR``).
        gender: ``"neutral"``, ``"female"`` or ``"male"``.
        num_betas: number of shape components to use.

    Shapes:
        forward: betas (B, S≤num_betas), body_pose (B, J, 3) with J = 23 (SMPL) or 21
        (SMPL-X), root_orient, transl (B, 3) -> vertices (B, V, 3), joints (B, J + 1, 3),
        joint_rotations (B, J + 1, 3, 3).
    """

    def __init__(
        self,
        model_type: str = "smpl",
        model_path: str | os.PathLike[str] | None = None,
        gender: str = "neutral",
        num_betas: int = 10,
    ) -> None:
        super().__init__()
        if model_type not in _NUM_BODY_JOINTS:
            raise ValueError(f"model_type must be 'smpl' or 'smplx', got {model_type!r}.")
        import smplx
        from smplx.joint_names import JOINT_NAMES

        self.backend = model_type
        self.path = find_smpl_file(model_type, gender, model_path)
        kwargs: dict = {"num_betas": num_betas, "gender": gender}
        if self.path.suffix == ".npz" and model_type == "smpl":
            with np.load(self.path, allow_pickle=False) as data:
                kwargs["data_struct"] = smplx.utils.Struct(**{k: data[k] for k in data.files})
        if model_type == "smplx":
            kwargs.update(ext=self.path.suffix.lstrip("."), use_pca=False)
        self.layer = smplx.create(str(self.path), model_type=model_type, **kwargs)
        n = _NUM_BODY_JOINTS[model_type] + 1
        self.joint_names = tuple(JOINT_NAMES[:n])
        self.num_betas = int(self.layer.num_betas)
        self.parents = tuple(int(p) for p in self.layer.parents[:n])
        self.faces = torch.as_tensor(np.asarray(self.layer.faces, dtype=np.int64))

    def __repr__(self) -> str:
        return (
            f"SMPLBody(model_type={self.backend!r}, num_betas={self.num_betas}, path='{self.path}')"
        )

    def _global_rotations(self, root_orient: torch.Tensor, body_pose: torch.Tensor) -> torch.Tensor:
        local = rotvec_to_rotmat(torch.cat([root_orient.unsqueeze(1), body_pose], 1))
        rots = [local[:, 0]]
        for j in range(1, local.shape[1]):  # SMPL parents precede their children
            rots.append(rots[self.parents[j]] @ local[:, j])
        return torch.stack(rots, 1)

    def forward(
        self,
        betas: torch.Tensor,
        body_pose: torch.Tensor,
        root_orient: torch.Tensor,
        transl: torch.Tensor,
    ) -> BodyOutput:
        """Pose the SMPL/SMPL-X body (same contract as :meth:`AnnyBody.forward`)."""
        check_inputs(betas, body_pose, root_orient, transl, self.num_body_joints, self.num_betas)
        layer = self.layer.to(betas.dtype)
        batch = betas.shape[0]
        full_betas = torch.cat([betas, betas.new_zeros(batch, self.num_betas - betas.shape[1])], 1)
        kwargs = {}
        if self.backend == "smplx":  # explicit zeros: smplx's defaults have batch size 1
            zeros3 = betas.new_zeros(batch, 3)
            kwargs = {
                "jaw_pose": zeros3,
                "leye_pose": zeros3,
                "reye_pose": zeros3,
                "left_hand_pose": betas.new_zeros(batch, 45),
                "right_hand_pose": betas.new_zeros(batch, 45),
                "expression": betas.new_zeros(batch, layer.num_expression_coeffs),
            }
        out = layer(
            betas=full_betas,
            body_pose=body_pose.reshape(batch, -1),
            global_orient=root_orient,
            transl=transl,
            **kwargs,
        )
        n = len(self.joint_names)
        return BodyOutput(
            out.vertices,
            out.joints[:, :n],
            self._global_rotations(root_orient, body_pose),
            self.joint_names,
        )
