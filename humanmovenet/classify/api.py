"""Train, cross-validate, evaluate and apply the FP / EP / neither classifier.

Typical use (a researcher's own expert labels)::

    from humanmovenet import classify
    data = classify.LabelledFolder("my_study/")               # labels.csv + spine NPZ files
    cv = classify.cross_validate(data, folds=5, model="logistic", inputs=("backward_bend",))
    print(cv.summary())
    clf = classify.train(data, model="logistic", inputs=("backward_bend",))
    clf.save("my_study/classifier.pt")
    phenotype = clf.predict({"backward_bend": spine})

A ``dataset`` is any sequence of :class:`~humanmovenet.classify.datasets.Sample`
(:class:`SyntheticDataset`, :class:`LabelledFolder`, or a plain list).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from humanmovenet.types import PHENOTYPE_LABELS, Phenotype

from .datasets import MOVEMENTS, LabelledFolder, Sample
from .evaluation import Scores, score_predictions, stratified_subject_folds
from .features import sample_features
from .model import Classifier, _check_inputs, _check_kind, fit

__all__ = [
    "FeatureTable",
    "CrossValidation",
    "extract_features",
    "train",
    "cross_validate",
    "evaluate",
    "predict",
    "load",
    "load_shipped",
    "shipped_path",
]

_SHIPPED = {"logistic": "classifier_logistic.pt", "sequence": "classifier_sequence.pt"}
_ENV = "HUMANMOVENET_CLASSIFIER"
_TABLE_VERSION = 1  # bump when features.py changes what it computes


@dataclass(frozen=True)
class FeatureTable:
    """Features of a whole dataset, per movement, computed once and sliced by ``inputs``.

    Attributes:
        subjects: subject id per sample.
        labels: class index per sample (into PHENOTYPE_LABELS).
        scalars: movement → raw scalars (N, S_m).
        trajectories: movement → raw trajectories (N, 4, L).

    Shapes:
        subjects, labels (N,).
    """

    subjects: np.ndarray
    labels: np.ndarray
    scalars: Mapping[str, np.ndarray]
    trajectories: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the table as NPZ (reuse features of a large dataset across runs)."""
        path = Path(path)
        arrays = {"version": np.array(_TABLE_VERSION), "subjects": self.subjects.astype(str),
                  "labels": self.labels}  # fmt: skip
        for m in self.scalars:
            arrays[f"scalars/{m}"] = self.scalars[m]
            arrays[f"trajectories/{m}"] = self.trajectories[m]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FeatureTable:
        """Read a table written by :meth:`save` (ValueError if another feature version)."""
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != _TABLE_VERSION:
                raise ValueError(f"{path}: feature table version {int(z['version'])}, "
                                 f"expected {_TABLE_VERSION}; recompute the features.")  # fmt: skip
            moves = [k.split("/", 1)[1] for k in z.files if k.startswith("scalars/")]
            return cls(
                subjects=z["subjects"].astype(str),
                labels=z["labels"].astype(np.int64),
                scalars={m: z[f"scalars/{m}"] for m in moves},
                trajectories={m: z[f"trajectories/{m}"] for m in moves},
            )

    def select(self, inputs: Sequence[str], idx: np.ndarray | None = None):
        """(scalars (n, S), trajectories (n, C, L), labels (n,)) for ``inputs`` and rows ``idx``."""
        lack = [m for m in inputs if m not in self.scalars]
        if lack:
            raise ValueError(
                f"the dataset has no {lack} recordings for every subject; available: "
                f"{sorted(self.scalars)}."
            )
        idx = np.arange(len(self)) if idx is None else np.asarray(idx)
        x = np.concatenate([self.scalars[m][idx] for m in inputs], axis=1)
        t = np.concatenate([self.trajectories[m][idx] for m in inputs], axis=1)
        return x, t, self.labels[idx]


def extract_features(
    dataset: Sequence[Sample] | FeatureTable,
    movements: Sequence[str] | None = None,
    *,
    progress: bool = False,
) -> FeatureTable:
    """Compute the classifier features of every sample (once; reuse the table for many fits).

    Args:
        dataset: sequence of :class:`Sample` (or a FeatureTable, returned as is).
        movements: movements to compute (default: those every sample has, in MOVEMENTS order).
        progress: tqdm bar over subjects.

    Raises:
        ValueError: an empty dataset, repeated subject ids, a sample missing a movement, or a
            spine the metrics stage rejects (the message names the subject).
    """
    if isinstance(dataset, FeatureTable):
        return dataset
    n = len(dataset)
    if n == 0:
        raise ValueError("the dataset is empty.")
    items = range(n)
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc="features", unit="subject", leave=False)
    samples = []
    for i in items:
        samples.append(dataset[i])
    if movements is None:
        movements = [m for m in MOVEMENTS if all(m in s.spines for s in samples)]
        if not movements:
            raise ValueError("no movement is recorded for every subject.")
    subjects = [s.subject for s in samples]
    if len(set(subjects)) != len(subjects):
        dup = sorted({s for s in subjects if subjects.count(s) > 1})[:5]
        raise ValueError(f"subject ids must be unique per sample; repeated: {dup}.")
    scal = {m: [] for m in movements}
    traj = {m: [] for m in movements}
    for s in samples:
        for m in movements:
            if m not in s.spines:
                raise ValueError(f"subject {s.subject!r} has no {m} recording.")
            try:
                x, t, _ = sample_features(s.spines, (m,))
            except ValueError as err:
                raise ValueError(f"subject {s.subject!r}: {err}") from err
            scal[m].append(x)
            traj[m].append(t)
    return FeatureTable(
        subjects=np.asarray(subjects),
        labels=np.asarray([PHENOTYPE_LABELS.index(s.label) for s in samples], dtype=np.int64),
        scalars={m: np.stack(v) for m, v in scal.items()},
        trajectories={m: np.stack(v) for m, v in traj.items()},
    )


def train(
    dataset: Sequence[Sample] | FeatureTable,
    model: str = "logistic",
    inputs: Sequence[str] = MOVEMENTS,
    seed: int = 0,
    *,
    hyperparameters: Mapping[str, float] | None = None,
    progress: bool = False,
) -> Classifier:
    """Train a classifier on every subject of ``dataset``.

    Args:
        dataset: labelled samples (or their :class:`FeatureTable`).
        model: ``"logistic"`` (interpretable baseline) or ``"sequence"`` (1D-conv + scalars).
        inputs: movements to use: ``("forward_bend",)``, ``("backward_bend",)`` or both.
        seed: torch seed; same data and seed → identical weights.
        hyperparameters: overrides of ``model.DEFAULT_HYPERPARAMETERS[model]``.
        progress: show progress bars.

    Returns:
        The trained :class:`Classifier` (``.save(path)`` to keep it).
    """
    _check_kind(model)
    inputs = _check_inputs(inputs)
    table = extract_features(dataset, progress=progress)
    x, t, y = table.select(inputs)
    clf = fit(model, inputs, x, t, y, seed=seed, hyperparameters=hyperparameters,
              progress=progress)  # fmt: skip
    clf.metadata["train_subjects"] = int(len(y))
    return clf


@dataclass(frozen=True)
class CrossValidation:
    """Result of :func:`cross_validate`.

    Attributes:
        model, inputs, folds, seed: the settings.
        per_fold: :class:`Scores` of each fold's held-out subjects.
        pooled: :class:`Scores` over all held-out predictions (each subject predicted once,
            by the model that did not see it), with bootstrap 95 % CIs.
        subjects, y_true, y_pred, probabilities, fold: per-subject held-out predictions.

    Shapes:
        y_true, y_pred, fold (N,); probabilities (N, 3).
    """

    model: str
    inputs: tuple[str, ...]
    folds: int
    seed: int
    per_fold: tuple[Scores, ...]
    pooled: Scores
    subjects: np.ndarray = field(repr=False)
    y_true: np.ndarray = field(repr=False)
    y_pred: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    fold: np.ndarray = field(repr=False)

    def summary(self) -> str:
        p = self.pooled
        lines = [
            f"{self.model} on {'+'.join(self.inputs)}, {self.folds}-fold CV by subject, n={p.n}:",
            f"  accuracy           {p.accuracy}",
            f"  balanced accuracy  {p.balanced_accuracy}",
            f"  Cohen's kappa      {p.kappa}",
            "  per-fold accuracy  " + ", ".join(f"{s.accuracy.value:.3f}" for s in self.per_fold),
            "  confusion (rows true, cols predicted; " + ", ".join(PHENOTYPE_LABELS) + "):",
        ]
        lines += ["    " + " ".join(f"{v:4d}" for v in row) for row in p.confusion]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "inputs": list(self.inputs),
            "folds": self.folds,
            "seed": self.seed,
            "pooled": self.pooled.as_dict(),
            "per_fold": [s.as_dict() for s in self.per_fold],
        }


def cross_validate(
    dataset: Sequence[Sample] | FeatureTable,
    folds: int = 5,
    model: str = "logistic",
    inputs: Sequence[str] = MOVEMENTS,
    seed: int = 0,
    *,
    n_bootstrap: int = 2000,
    hyperparameters: Mapping[str, float] | None = None,
    progress: bool = False,
) -> CrossValidation:
    """Stratified k-fold cross-validation by subject.

    Each subject is held out exactly once; a model trained on the other folds predicts it.
    Scores are reported per fold and pooled over all held-out predictions (bootstrap CIs).

    Args:
        dataset: labelled samples (or their :class:`FeatureTable`).
        folds: number of folds (every class needs at least ``folds`` subjects).
        model, inputs, hyperparameters: as in :func:`train`.
        seed: seeds the fold assignment, the models and the bootstrap.
        n_bootstrap: bootstrap resamples for the CIs.
        progress: show progress bars.

    Raises:
        ValueError: see :func:`~humanmovenet.classify.evaluation.stratified_subject_folds`.
    """
    _check_kind(model)
    inputs = _check_inputs(inputs)
    if isinstance(dataset, LabelledFolder):  # check the folds before loading any file
        stratified_subject_folds([PHENOTYPE_LABELS.index(v) for v in dataset.labels],
                                 dataset.subjects, folds, seed=seed)  # fmt: skip
    table = extract_features(dataset, progress=progress)
    splits = stratified_subject_folds(table.labels, table.subjects, folds, seed=seed)
    x, t, y = table.select(inputs)
    pred = np.full(len(y), -1)
    proba = np.zeros((len(y), len(PHENOTYPE_LABELS)))
    fold_of = np.full(len(y), -1)
    per_fold = []
    for f, (tr, te) in enumerate(splits):
        clf = fit(model, inputs, x[tr], t[tr], y[tr], seed=seed + f,
                  hyperparameters=hyperparameters)  # fmt: skip
        p = clf.predict_proba_features(x[te], t[te])
        proba[te], pred[te], fold_of[te] = p, p.argmax(1), f
        per_fold.append(score_predictions(y[te], pred[te], n_bootstrap=0))
    pooled = score_predictions(y, pred, n_bootstrap=n_bootstrap, seed=seed)
    return CrossValidation(model, inputs, int(folds), int(seed), tuple(per_fold), pooled,
                           table.subjects, y, pred, proba, fold_of)  # fmt: skip


def evaluate(
    classifier: Classifier,
    dataset: Sequence[Sample] | FeatureTable,
    *,
    n_bootstrap: int = 2000,
    seed: int = 0,
) -> Scores:
    """Scores of a trained classifier on held-out labelled subjects (bootstrap 95 % CIs)."""
    table = extract_features(dataset)
    x, t, y = table.select(classifier.inputs)
    pred = classifier.predict_proba_features(x, t).argmax(1)
    return score_predictions(y, pred, n_bootstrap=n_bootstrap, seed=seed)


# --------------------------------------------------------------------------- shipped weights


def shipped_path(model: str = "logistic") -> Path:
    """Path of a shipped classifier file in ``weights/`` (see ``weights/README.md``)."""
    from humanmovenet._paths import shipped_weights_dir

    return shipped_weights_dir() / _SHIPPED[_check_kind(model)]


def load(path: str | os.PathLike[str]) -> Classifier:
    """Load a classifier saved with :meth:`Classifier.save`."""
    return Classifier.load(path)


def load_shipped(model: str = "logistic", path: str | os.PathLike[str] | None = None) -> Classifier:
    """The classifier shipped in ``weights/`` — trained on SYNTHETIC phenotypes only.

    Resolution: ``path`` argument, then ``$HUMANMOVENET_CLASSIFIER``, then
    ``weights/classifier_<model>.pt``.
    """
    _check_kind(model)
    if path is None:
        path = os.environ.get(_ENV) or shipped_path(model)
    try:
        return Classifier.load(path)
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"{err} Ways to fix: pass path=..., set {_ENV}, or regenerate the shipped files with "
            "`python -m humanmovenet.train.train_classifier`."
        ) from None


def predict(data, classifier: Classifier | str | os.PathLike[str] | None = None) -> Phenotype:
    """Classify one person (movement → DynamicSpine mapping, or an object with ``.spines``).

    Args:
        data: e.g. ``{"forward_bend": spine_fb, "backward_bend": spine_bb}``.
        classifier: a :class:`Classifier`, a path to a saved one, or None for the shipped
            logistic model (trained on synthetic phenotypes; uses both bends).
    """
    if classifier is None:
        classifier = load_shipped("logistic")
    elif not isinstance(classifier, Classifier):
        classifier = Classifier.load(classifier)
    return classifier.predict(data)
