"""Agreement scores with bootstrap confidence intervals and subject-wise stratified folds.

Scores (all on held-out subjects):

* **accuracy** — fraction of subjects whose predicted label equals the reference label.
* **balanced accuracy** — mean over the classes present in the reference of the per-class
  recall (so a classifier that always answers the majority class scores 1/#classes).
* **Cohen's κ** — (p_o − p_e) / (1 − p_e), p_o the observed agreement, p_e the agreement
  expected by chance from the two label distributions.

95 % confidence intervals: percentile bootstrap over subjects (``n_bootstrap`` resamples of
the held-out subjects with replacement, fixed seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from humanmovenet.types import PHENOTYPE_LABELS

__all__ = [
    "Score",
    "Scores",
    "accuracy",
    "balanced_accuracy",
    "cohen_kappa",
    "confusion_matrix",
    "score_predictions",
    "stratified_subject_folds",
]

_K = len(PHENOTYPE_LABELS)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Counts ``C[i, j]`` of reference class i predicted as class j (indices into PHENOTYPE_LABELS).

    Shapes:
        y_true, y_pred (N,) → (3, 3).
    """
    c = np.zeros((_K, _K), dtype=np.int64)
    np.add.at(c, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return c


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    c = confusion_matrix(y_true, y_pred)
    n = c.sum(axis=1)
    present = n > 0
    return float(np.mean(np.diag(c)[present] / n[present]))


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    c = confusion_matrix(y_true, y_pred).astype(np.float64)
    n = c.sum()
    po = np.trace(c) / n
    pe = float((c.sum(0) * c.sum(1)).sum() / n**2)
    return float((po - pe) / (1.0 - pe)) if pe < 1.0 else (1.0 if po == 1.0 else 0.0)


@dataclass(frozen=True)
class Score:
    """A score with its 95 % bootstrap confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.ci_low:.3f}, {self.ci_high:.3f}]"

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class Scores:
    """Accuracy, balanced accuracy and κ of one set of held-out predictions.

    Attributes:
        n: number of subjects.
        accuracy, balanced_accuracy, kappa: :class:`Score` with 95 % CI.
        confusion: counts, rows = reference, columns = predicted, PHENOTYPE_LABELS order.

    Shapes:
        confusion (3, 3).
    """

    n: int
    accuracy: Score
    balanced_accuracy: Score
    kappa: Score
    confusion: np.ndarray

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "accuracy": self.accuracy.as_dict(),
            "balanced_accuracy": self.balanced_accuracy.as_dict(),
            "kappa": self.kappa.as_dict(),
            "confusion": self.confusion.tolist(),
            "labels": list(PHENOTYPE_LABELS),
        }


def score_predictions(
    y_true: np.ndarray, y_pred: np.ndarray, *, n_bootstrap: int = 2000, seed: int = 0
) -> Scores:
    """Scores and percentile-bootstrap 95 % CIs (resampling subjects).

    Args:
        y_true, y_pred: class indices (one per subject).
        n_bootstrap: resamples (0: intervals collapse to the value).
        seed: bootstrap seed.

    Shapes:
        y_true, y_pred (N,), N ≥ 1.
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(
            "score_predictions: y_true and y_pred must be non-empty (N,) arrays of class indices "
            f"of the same length (one per subject), got y_true {y_true.shape}, y_pred "
            f"{y_pred.shape}."
        )
    fns = (accuracy, balanced_accuracy, cohen_kappa)
    values = [fn(y_true, y_pred) for fn in fns]
    rng = np.random.default_rng(seed)
    boots = np.empty((n_bootstrap, len(fns)))
    n = y_true.size
    for b in range(n_bootstrap):
        idx = rng.integers(0, n, n)
        boots[b] = [fn(y_true[idx], y_pred[idx]) for fn in fns]
    out = []
    for i, v in enumerate(values):
        lo, hi = np.percentile(boots[:, i], [2.5, 97.5]) if n_bootstrap else (v, v)
        out.append(Score(float(v), float(lo), float(hi)))
    return Scores(n, *out, confusion=confusion_matrix(y_true, y_pred))


def stratified_subject_folds(
    labels: Sequence[int], subjects: Sequence[str], folds: int = 5, *, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split samples into ``folds`` (train, test) index pairs, stratified by class, by subject.

    All samples of one subject land in the same fold (a subject is never in both train and
    test). Subjects of each class are shuffled (fixed ``seed``) and dealt round-robin to the
    folds, so every fold holds about 1/folds of each class.

    Args:
        labels: class index per sample (a subject must have one label).
        subjects: subject id per sample.
        folds: number of folds (≥ 2).
        seed: shuffling seed.

    Raises:
        ValueError: folds < 2, a subject with two labels, fewer than two classes, or a class
            with fewer subjects than folds (the message names the class and its count).

    Shapes:
        labels, subjects (N,) → list of (train_idx, test_idx) int arrays.
    """
    labels = np.asarray(labels, dtype=np.int64)
    subjects = np.asarray([str(s) for s in subjects])
    if labels.shape != subjects.shape:
        raise ValueError("labels and subjects must have one entry per sample.")
    if int(folds) < 2:
        raise ValueError(f"folds must be >= 2, got {folds}.")
    subj_label: dict[str, int] = {}
    for s, y in zip(subjects, labels, strict=True):
        if subj_label.setdefault(s, int(y)) != int(y):
            raise ValueError(f"subject {s!r} has two different labels; one label per subject.")
    by_class: dict[int, list[str]] = {}
    for s, y in subj_label.items():
        by_class.setdefault(y, []).append(s)
    if len(by_class) < 2:
        raise ValueError(
            f"cross-validation needs at least two classes; all subjects are "
            f"{PHENOTYPE_LABELS[next(iter(by_class))]}."
        )
    small = {PHENOTYPE_LABELS[y]: len(v) for y, v in by_class.items() if len(v) < folds}
    if small:
        raise ValueError(
            f"class(es) {small} have fewer subjects than folds={folds}; every fold needs each "
            "class in its test part. Label more subjects of that class or use fewer folds "
            f"(at most {min(len(v) for v in by_class.values())})."
        )
    rng = np.random.default_rng(seed)
    fold_of: dict[str, int] = {}
    offset = 0
    for y in sorted(by_class):
        subj = sorted(by_class[y])
        rng.shuffle(subj)
        for i, s in enumerate(subj):
            fold_of[s] = (offset + i) % folds
        offset += len(subj)  # keep fold sizes balanced across classes
    fold_idx = np.array([fold_of[s] for s in subjects])
    return [
        (np.flatnonzero(fold_idx != f), np.flatnonzero(fold_idx == f)) for f in range(int(folds))
    ]
