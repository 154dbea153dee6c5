"""humanmovenet.classify: flexion-pattern / extension-pattern / neither classification.

Inputs are one :class:`~humanmovenet.types.DynamicSpine` per movement (forward bend, backward
bend); outputs a :class:`~humanmovenet.types.Phenotype`. Two models: an interpretable
multinomial logistic regression on clinical metrics and a small 1D-conv sequence model over the
angle trajectories plus those metrics. Researchers retrain them on their own expert labels with
:class:`LabelledFolder`, :func:`cross_validate` and :func:`train` (docs/classifier.md).

The shipped weights (``weights/classifier_*.pt``) were trained on SYNTHETIC phenotypes, not
patients. This stage reads only ``types``, ``biomech`` and (for user folders) ``io``; the
synthetic stage is imported lazily by :class:`SyntheticDataset` only.
"""

from .api import (
    CrossValidation,
    FeatureTable,
    cross_validate,
    evaluate,
    extract_features,
    load,
    load_shipped,
    predict,
    shipped_path,
    train,
)
from .datasets import MOVEMENTS, LabelledFolder, Sample, SyntheticDataset, default_cache_dir
from .evaluation import Score, Scores, score_predictions, stratified_subject_folds
from .features import SCALAR_FEATURES, TRAJECTORY_CHANNELS, TRAJECTORY_LENGTH, movement_features
from .model import MODEL_KINDS, Classifier

__all__ = [
    "MOVEMENTS",
    "MODEL_KINDS",
    "SCALAR_FEATURES",
    "TRAJECTORY_CHANNELS",
    "TRAJECTORY_LENGTH",
    "Classifier",
    "CrossValidation",
    "FeatureTable",
    "LabelledFolder",
    "Sample",
    "Score",
    "Scores",
    "SyntheticDataset",
    "cross_validate",
    "default_cache_dir",
    "evaluate",
    "extract_features",
    "load",
    "load_shipped",
    "movement_features",
    "predict",
    "score_predictions",
    "shipped_path",
    "stratified_subject_folds",
    "train",
]
