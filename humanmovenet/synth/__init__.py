"""humanmovenet.synth: synthetic subjects, motions, posed bodies, renders and datasets.

The flow, one module per step::

    subject.sample_subject ─► motion.generate_motion ─► sequence.pose_sequence
        (shape, spine, FP/EP)   (semantic angle curves)   (posed body + spine, measured GT)
                                                              │
    camera.sample_side_camera ─► render.Renderer (+ appearance) ─► dataset.write_dataset
                                                                   (versioned files on disk)

The names below are imported lazily (on first use), so ``import humanmovenet.synth`` does not
load the body model, torch or VTK.
"""

from __future__ import annotations

import importlib

__all__ = [
    "sample_subject",
    "SyntheticSubject",
    "generate_motion",
    "SagittalMotion",
    "summarize_motion",
    "pose_sequence",
    "PosedSequence",
    "Camera",
    "sample_side_camera",
    "Renderer",
    "SynthConfig",
    "SynthDataset",
    "write_dataset",
]

_WHERE = {
    "sample_subject": "subject",
    "SyntheticSubject": "subject",
    "generate_motion": "motion",
    "SagittalMotion": "motion",
    "summarize_motion": "motion",
    "pose_sequence": "sequence",
    "PosedSequence": "sequence",
    "Camera": "camera",
    "sample_side_camera": "camera",
    "Renderer": "render",
    "SynthConfig": "dataset",
    "SynthDataset": "dataset",
    "write_dataset": "dataset",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
