"""Vertebra-level spine: anatomy tables, static morphology, embedding in a body, posing.

* :mod:`~humanmovenet.spine.anatomy` — levels S1…C1, discs, segment proportions, motion shares.
* :mod:`~humanmovenet.spine.chain` — rotations, chain forward kinematics, angle measurement.
* :mod:`~humanmovenet.spine.morphology` — ``SpineMorphology`` ↔ rest disc angles.
* :mod:`~humanmovenet.spine.embed` — place the spine in a body's spine bones and pose it.
"""

from .anatomy import DISC_NAMES, VERTEBRA_NAMES
from .chain import lateral_angle, sagittal_angle
from .embed import SpineEmbedding, embed_spine, pose_spine
from .morphology import lumbar_angle, measure_morphology, rest_disc_angles, thoracic_angle

__all__ = [
    "DISC_NAMES",
    "VERTEBRA_NAMES",
    "SpineEmbedding",
    "embed_spine",
    "pose_spine",
    "measure_morphology",
    "rest_disc_angles",
    "lumbar_angle",
    "thoracic_angle",
    "sagittal_angle",
    "lateral_angle",
]
