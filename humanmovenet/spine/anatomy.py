"""Anatomical tables of the vertebra-level spine: levels, discs, lengths, motion shares.

All tables are keyed by name and built once; no other module uses raw level indices.

Sources (see docs/spine_model.md for the full discussion):

* Segment lengths: vertebral body heights and disc heights of an average adult, as summarised
  in anatomy texts (lumbar bodies ≈ 2.7–2.9 cm + discs ≈ 1.0–1.2 cm; thoracic bodies 1.5–2.4 cm +
  discs 0.5–0.8 cm; cervical ≈ 1.4–1.7 cm centre to centre). Only the *proportions* are used: the
  lengths are rescaled so that the S1–T1/C7 arc fits the body model's own spine.
* Flexion shares of the lumbar levels relative to L5/S1 from the widely used OpenSim lumbar model
  (DESIGN.md §4): L4/L5 1.857, L3/L4 1.643, L2/L3 1.143, L1/L2 0.929, T12/L1 0.571.
* Standing lordosis is concentrated caudally (about two thirds at L4–S1; Roussouly et al. 2005,
  Been & Kalichman 2014); thoracic kyphosis peaks mid-thoracic.
"""

from __future__ import annotations

import numpy as np

from ..types import VERTEBRA_NAMES

__all__ = [
    "VERTEBRA_NAMES",
    "DISC_NAMES",
    "LUMBAR_DISCS",
    "THORACIC_DISCS",
    "CERVICAL_DISCS",
    "segment_length_proportions",
    "flexion_weights",
    "lordosis_shares",
    "kyphosis_shares",
    "cervical_lordosis_shares",
]

#: Intervertebral joints between consecutive levels, caudal to cranial ("L5/S1" … "C1/C2").
DISC_NAMES: tuple[str, ...] = tuple(
    f"{upper}/{lower}" for lower, upper in zip(VERTEBRA_NAMES[:-1], VERTEBRA_NAMES[1:], strict=True)
)
#: The five discs whose sum is the L1–S1 (lumbar) angle.
LUMBAR_DISCS: tuple[str, ...] = ("L5/S1", "L4/L5", "L3/L4", "L2/L3", "L1/L2")
#: The eleven discs whose sum is the T1–T12 (thoracic) angle.
THORACIC_DISCS: tuple[str, ...] = tuple(f"T{i}/T{i + 1}" for i in range(11, 0, -1))
#: Cervical discs from C7/T1 to C1/C2.
CERVICAL_DISCS: tuple[str, ...] = ("C7/T1",) + tuple(f"C{i}/C{i + 1}" for i in range(6, 0, -1))

# Centre-to-centre distance (cm) from each level to the next cranial one, for an average adult.
_SEGMENT_CM = {
    "S1": 4.0, "L5": 3.9, "L4": 3.8, "L3": 3.8, "L2": 3.7, "L1": 3.5,
    "T12": 3.0, "T11": 2.9, "T10": 2.8, "T9": 2.7, "T8": 2.6, "T7": 2.5, "T6": 2.4, "T5": 2.3,
    "T4": 2.2, "T3": 2.1, "T2": 2.0, "T1": 1.9,
    "C7": 1.7, "C6": 1.6, "C5": 1.6, "C4": 1.6, "C3": 1.6, "C2": 1.5,
}  # fmt: skip

# Sagittal flexion share of each disc, relative to L5/S1 (lumbar: OpenSim lumbar model; thoracic
# and cervical: per-level flexion ROM ≈ 4° and ≈ 9° against ≈ 12° at L5/S1, White & Panjabi 1990).
_LUMBAR_FLEXION_RATIOS = {
    "L5/S1": 1.0, "L4/L5": 1.857, "L3/L4": 1.643, "L2/L3": 1.143, "L1/L2": 0.929, "T12/L1": 0.571,
}  # fmt: skip
_THORACIC_FLEXION_RATIO = 0.35
_CERVICAL_FLEXION_RATIO = 0.75

# Share of the standing L1–S1 lordosis per disc (sums to 1).
_LORDOSIS_SHARES = {"L5/S1": 0.38, "L4/L5": 0.27, "L3/L4": 0.17, "L2/L3": 0.11, "L1/L2": 0.07}


def segment_length_proportions() -> np.ndarray:
    """Relative centre-to-centre distances of consecutive levels, summing to 1.

    Returns:
        (K-1,) array, one entry per disc in ``DISC_NAMES`` order.
    """
    lengths = np.array([_SEGMENT_CM[name] for name in VERTEBRA_NAMES[:-1]], dtype=np.float64)
    return lengths / lengths.sum()


def flexion_weights() -> np.ndarray:
    """Relative sagittal flexion share of every disc (L5/S1 = 1).

    Returns:
        (K-1,) array in ``DISC_NAMES`` order.
    """
    out = np.empty(len(DISC_NAMES))
    for i, disc in enumerate(DISC_NAMES):
        if disc in _LUMBAR_FLEXION_RATIOS:
            out[i] = _LUMBAR_FLEXION_RATIOS[disc]
        elif disc.startswith("T"):
            out[i] = _THORACIC_FLEXION_RATIO
        else:
            out[i] = _CERVICAL_FLEXION_RATIO
    return out


def _shares(names: tuple[str, ...], values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(DISC_NAMES))
    for name, value in zip(names, values, strict=True):
        out[DISC_NAMES.index(name)] = value
    return out / out.sum()


def lordosis_shares() -> np.ndarray:
    """Share of the L1–S1 lordosis carried by each disc (zeros outside L5/S1…L1/L2).

    Returns:
        (K-1,) array in ``DISC_NAMES`` order, summing to 1.
    """
    return _shares(LUMBAR_DISCS, np.array([_LORDOSIS_SHARES[d] for d in LUMBAR_DISCS]))


def kyphosis_shares() -> np.ndarray:
    """Share of the T1–T12 kyphosis per disc: a half-sine peaking mid-thoracic, sums to 1.

    Returns:
        (K-1,) array in ``DISC_NAMES`` order.
    """
    n = len(THORACIC_DISCS)
    return _shares(THORACIC_DISCS, np.sin(np.pi * (np.arange(n) + 0.5) / n))


def cervical_lordosis_shares() -> np.ndarray:
    """Share of the cervical lordosis (C7/T1…C1/C2), uniform, sums to 1.

    Returns:
        (K-1,) array in ``DISC_NAMES`` order.
    """
    return _shares(CERVICAL_DISCS, np.ones(len(CERVICAL_DISCS)))
