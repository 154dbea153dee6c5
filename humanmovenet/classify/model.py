"""FP / EP / neither classifiers: an interpretable logistic baseline and a small sequence model.

* ``"logistic"`` — multinomial logistic regression on the standardised scalar features
  (:data:`~humanmovenet.classify.features.SCALAR_FEATURES`), L2-penalised, fitted full-batch
  with L-BFGS. Each coefficient is "change in a class's log-odds per standard deviation of a
  metric", so the decision can be read off the metrics.
* ``"sequence"`` — a 1D convolutional network over the time-normalised angle trajectories
  (lumbar, pelvis, hip, thoracic per movement) whose pooled output is concatenated with the
  standardised scalars before a small MLP head (3,587 parameters with both bends). Trained with Adam and
  weight decay, fixed seed, full batch.

Both are wrapped in :class:`Classifier`, which standardises with the training statistics,
imputes undefined metrics with the training mean, predicts a
:class:`~humanmovenet.types.Phenotype` with evidence in plain words (occlusion: how much the
chosen class's log-probability drops when one input is replaced by its training mean), and
saves / loads itself (``torch.save`` of tensors + JSON metadata, loaded with
``weights_only=True``, format and version checked).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from humanmovenet._atomic import atomic_open
from humanmovenet.types import PHENOTYPE_LABELS, DynamicSpine, Phenotype

from .features import (
    SCALAR_FEATURES,
    TRAJECTORY_LENGTH,
    sample_features,
    scalar_names,
    trajectory_names,
)

__all__ = [
    "MODEL_KINDS",
    "FORMAT",
    "VERSION",
    "Classifier",
    "LogisticNet",
    "SequenceNet",
    "fit",
]

MODEL_KINDS: tuple[str, ...] = ("logistic", "sequence")
FORMAT = "humanmovenet.classifier"
VERSION = 1

_N_CLASSES = len(PHENOTYPE_LABELS)


class LogisticNet(nn.Module):
    """Multinomial logistic regression: logits = W·z + b on standardised scalars z.

    Shapes:
        scalars (B, S) → logits (B, 3); ``trajectories`` is ignored.
    """

    def __init__(self, n_scalars: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_scalars, _N_CLASSES)

    def forward(self, scalars: torch.Tensor, trajectories: torch.Tensor) -> torch.Tensor:
        return self.linear(scalars)


class SequenceNet(nn.Module):
    """1D conv over trajectories (mean + max pooled) ⊕ scalars → MLP → 3 logits.

    Shapes:
        scalars (B, S), trajectories (B, C, L) → logits (B, 3).
    """

    def __init__(self, n_scalars: int, n_channels: int, width: int = 16, hidden: int = 32) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_channels, width, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.Conv1d(width, width, kernel_size=5, padding=2, stride=2),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Linear(2 * width + n_scalars, hidden),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(hidden, _N_CLASSES),
        )

    def forward(self, scalars: torch.Tensor, trajectories: torch.Tensor) -> torch.Tensor:
        h = self.conv(trajectories)
        pooled = torch.cat([h.mean(-1), h.amax(-1)], dim=-1)
        return self.head(torch.cat([pooled, scalars], dim=-1))


def _build(kind: str, n_scalars: int, n_channels: int, hp: Mapping[str, float]) -> nn.Module:
    if kind == "logistic":
        return LogisticNet(n_scalars)
    return SequenceNet(n_scalars, n_channels, int(hp["width"]), int(hp["hidden"]))


DEFAULT_HYPERPARAMETERS: dict[str, dict[str, float]] = {
    "logistic": {"l2": 0.05, "max_iter": 200},
    "sequence": {
        "epochs": 200,
        "lr": 0.005,
        "weight_decay": 0.01,
        "label_smoothing": 0.1,
        "width": 16,
        "hidden": 32,
    },
}


# --------------------------------------------------------------------------- the classifier


class Classifier:
    """A trained FP / EP / neither classifier (see :func:`humanmovenet.classify.train`).

    Attributes:
        kind: ``"logistic"`` or ``"sequence"``.
        inputs: the movements it needs, e.g. ``("forward_bend", "backward_bend")``.
        net: the torch module (eval mode).
        scalar_mean, scalar_std: training statistics of the scalars (S,).
        traj_mean, traj_std: training mean trajectory (C, L) and per-channel scale (C,).
        metadata: JSON-serialisable facts (seed, training set, hyperparameters, scores).
    """

    def __init__(
        self,
        kind: str,
        inputs: Sequence[str],
        net: nn.Module,
        scalar_mean: np.ndarray,
        scalar_std: np.ndarray,
        traj_mean: np.ndarray,
        traj_std: np.ndarray,
        metadata: Mapping | None = None,
    ) -> None:
        self.kind = _check_kind(kind)
        self.inputs = _check_inputs(inputs)
        self.net = net.eval()
        self.scalar_mean = np.asarray(scalar_mean, dtype=np.float64)
        self.scalar_std = np.asarray(scalar_std, dtype=np.float64)
        self.traj_mean = np.asarray(traj_mean, dtype=np.float64)
        self.traj_std = np.asarray(traj_std, dtype=np.float64)
        self.metadata = dict(metadata or {})

    # -- inputs ---------------------------------------------------------------------------
    @property
    def scalar_names(self) -> tuple[str, ...]:
        return scalar_names(self.inputs)

    @property
    def trajectory_names(self) -> tuple[str, ...]:
        return trajectory_names(self.inputs)

    def _standardise(
        self, scalars: np.ndarray, traj: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        z = (np.asarray(scalars, dtype=np.float64) - self.scalar_mean) / self.scalar_std
        z = np.where(np.isfinite(z), z, 0.0)  # undefined metric → training mean
        t = (np.asarray(traj, dtype=np.float64) - self.traj_mean) / self.traj_std[:, None]
        return torch.as_tensor(z, dtype=torch.float32), torch.as_tensor(t, dtype=torch.float32)

    def predict_proba_features(self, scalars: np.ndarray, trajectories: np.ndarray) -> np.ndarray:
        """Class probabilities from precomputed features.

        Shapes:
            scalars (N, S), trajectories (N, C, L) → (N, 3), columns in PHENOTYPE_LABELS order.
        """
        s, t = self._standardise(scalars, trajectories)
        with torch.no_grad():
            return torch.softmax(self.net(s, t).double(), dim=-1).numpy()

    # -- prediction -----------------------------------------------------------------------
    def predict(self, data) -> Phenotype:
        """Classify one person.

        Args:
            data: a mapping movement → :class:`~humanmovenet.types.DynamicSpine` holding every
                movement in :attr:`inputs`; or any object with such a mapping in ``.spines``
                (a :class:`~humanmovenet.classify.datasets.Sample`, a future ``Analysis``).

        Returns:
            A :class:`~humanmovenet.types.Phenotype` with probabilities and plain-word evidence.
        """
        spines = _spines_of(data)
        scalars, traj, notes = sample_features(spines, self.inputs)
        return self._phenotype(scalars, traj, notes)

    def _phenotype(self, scalars: np.ndarray, traj: np.ndarray, notes: Sequence[str]) -> Phenotype:
        p = self.predict_proba_features(scalars[None], traj[None])[0]
        p = p / p.sum()
        k = int(np.argmax(p))
        label = PHENOTYPE_LABELS[k]
        evidence = self._evidence(scalars, traj, k) + tuple(f"note: {n}" for n in notes)
        probs = {c: float(v) for c, v in zip(PHENOTYPE_LABELS, p, strict=True)}
        # Rounding can leave the float sum 1 ± 1e-16; Phenotype checks to 1e-6.
        return Phenotype(label=label, probabilities=probs, evidence=evidence, model=self.kind,
                         inputs=self.inputs)  # fmt: skip

    def _evidence(self, scalars: np.ndarray, traj: np.ndarray, k: int, top: int = 3):
        """Occlusion evidence: drop in log P(label) when one input is set to its training mean."""
        names = self.scalar_names
        n_s = len(names)
        variants_s = np.repeat(scalars[None], n_s, axis=0)
        variants_s[np.arange(n_s), np.arange(n_s)] = self.scalar_mean
        variants_t = np.repeat(traj[None], n_s, axis=0)
        groups = [("scalar", i) for i in range(n_s)]
        if self.kind == "sequence":
            n_c = traj.shape[0]
            vs = np.repeat(scalars[None], n_c, axis=0)
            vt = np.repeat(traj[None], n_c, axis=0)
            vt[np.arange(n_c), np.arange(n_c)] = self.traj_mean
            variants_s = np.concatenate([variants_s, vs])
            variants_t = np.concatenate([variants_t, vt])
            groups += [("traj", c) for c in range(n_c)]
        base = math.log(max(self.predict_proba_features(scalars[None], traj[None])[0, k], 1e-12))
        occl = np.log(np.maximum(self.predict_proba_features(variants_s, variants_t)[:, k], 1e-12))
        effect = base - occl  # > 0: this input pushed towards the label
        order = np.argsort(-effect)
        label = PHENOTYPE_LABELS[k]
        out = []
        for j in order[:top]:
            if effect[j] <= 0.01:
                break
            kind, i = groups[j]
            if kind == "scalar":
                sentence = self._scalar_sentence(i, scalars[i], label)
            else:
                sentence = self._trajectory_sentence(i, traj[i], label)
            if sentence not in out:  # standing lordosis is measured in both bends
                out.append(sentence)
        if not out:
            out.append(f"no single input stands out; {label} by a small margin of several inputs")
        return tuple(out)

    def _scalar_sentence(self, i: int, value: float, label: str) -> str:
        mv, key = self.scalar_names[i].split(".", 1)
        feat = next(f for f in SCALAR_FEATURES[mv] if f.key == key)
        where = mv.replace("_", " ")
        mean, sd = self.scalar_mean[i], self.scalar_std[i]
        if not math.isfinite(value):
            return f"{feat.text} in the {where} is undefined (treated as typical)"
        fmt = "{:.2f}" if feat.unit == "" else "{:.0f}"
        z = (value - mean) / sd
        side = "above" if z > 0 else "below"
        what = feat.text if key == "standing_lumbar_lordosis" else f"{feat.text} in the {where}"
        return (
            f"{what} is {fmt.format(value)}{feat.unit}, {abs(z):.1f} SD {side} the training "
            f"mean ({fmt.format(mean)}{feat.unit}) → points to {label}"
        )

    def _trajectory_sentence(self, c: int, curve: np.ndarray, label: str) -> str:
        mv, ch = self.trajectory_names[c].split(".", 1)
        where = mv.replace("_", " ")
        peak = float(curve[np.argmax(np.abs(curve))])
        ref = float(self.traj_mean[c][np.argmax(np.abs(self.traj_mean[c]))])
        return (
            f"the {ch} angle curve of the {where} (peak {peak:+.0f}° from standing; training "
            f"mean {ref:+.0f}°) → points to {label}"
        )

    def coefficients(self) -> dict[str, dict[str, float]]:
        """Logistic model only: class → feature → coefficient (log-odds per SD)."""
        if self.kind != "logistic":
            raise ValueError("coefficients() is defined for the logistic model only.")
        w = self.net.linear.weight.detach().double().numpy()
        return {
            c: dict(zip(self.scalar_names, map(float, w[k]), strict=True))
            for k, c in enumerate(PHENOTYPE_LABELS)
        }

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the classifier (state dict, statistics, JSON metadata) atomically with
        ``torch.save``; :meth:`load` reads it back with ``weights_only=True``."""
        path = Path(path)
        meta = {
            "kind": self.kind,
            "inputs": list(self.inputs),
            "labels": list(PHENOTYPE_LABELS),
            "scalar_names": list(self.scalar_names),
            "trajectory_names": list(self.trajectory_names),
            "trajectory_length": TRAJECTORY_LENGTH,
            **self.metadata,
        }
        blob = {
            "format": FORMAT,
            "version": VERSION,
            "metadata_json": json.dumps(meta, sort_keys=True),
            "state_dict": {k: v.detach().clone() for k, v in self.net.state_dict().items()},
            "scalar_mean": torch.as_tensor(self.scalar_mean),
            "scalar_std": torch.as_tensor(self.scalar_std),
            "traj_mean": torch.as_tensor(self.traj_mean),
            "traj_std": torch.as_tensor(self.traj_std),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()  # in memory: the archive name inside the file is then fixed,
        torch.save(blob, buf)  # so the same model always gives the same bytes (and sha256)
        with atomic_open(path, "wb") as fh:
            fh.write(buf.getvalue())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Classifier:
        """Read a classifier written by :meth:`save` (``weights_only=True``).

        Raises:
            FileNotFoundError: no such file.
            ValueError: not a classifier file, another format version, or inconsistent content.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"classifier file {path} not found; train one with humanmovenet.classify.train "
                "and save it, or use the shipped weights (humanmovenet.classify.load_shipped)."
            )
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - any unpickling failure means a bad file
            raise ValueError(f"{path} is not a readable classifier file: {err}") from err
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise ValueError(f"{path} is not a humanmovenet classifier file (format {FORMAT!r}).")
        if blob.get("version") != VERSION:
            raise ValueError(
                f"{path} has classifier format version {blob.get('version')}, this humanmovenet "
                f"reads version {VERSION}; retrain with this version or install the matching one."
            )
        meta = json.loads(blob["metadata_json"])
        if tuple(meta["labels"]) != PHENOTYPE_LABELS:
            raise ValueError(f"{path}: class labels {meta['labels']} != {PHENOTYPE_LABELS}.")
        kind, inputs = meta.pop("kind"), tuple(meta.pop("inputs"))
        if (
            tuple(meta.pop("scalar_names")) != scalar_names(inputs)
            or int(meta.pop("trajectory_length")) != TRAJECTORY_LENGTH
        ):
            raise ValueError(
                f"{path} was trained with other features than this humanmovenet computes; retrain."
            )
        meta.pop("trajectory_names", None)
        meta.pop("labels", None)
        hp = meta.get("hyperparameters", DEFAULT_HYPERPARAMETERS[kind])
        net = _build(kind, len(scalar_names(inputs)), len(trajectory_names(inputs)), hp)
        try:
            net.load_state_dict(blob["state_dict"])
        except RuntimeError as err:
            raise ValueError(f"{path}: weights do not fit the {kind} model: {err}") from err
        return cls(
            kind, inputs, net,
            blob["scalar_mean"].numpy(), blob["scalar_std"].numpy(),
            blob["traj_mean"].numpy(), blob["traj_std"].numpy(), meta,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"Classifier(kind={self.kind!r}, inputs={self.inputs})"


# --------------------------------------------------------------------------- fitting


def _check_kind(kind: str) -> str:
    if kind not in MODEL_KINDS:
        raise ValueError(f"model must be one of {MODEL_KINDS}, got {kind!r}.")
    return kind


def _check_inputs(inputs: Sequence[str]) -> tuple[str, ...]:
    if isinstance(inputs, str):
        inputs = (inputs,)
    inputs = tuple(inputs)
    bad = [m for m in inputs if m not in SCALAR_FEATURES]
    if not inputs or bad or len(set(inputs)) != len(inputs):
        raise ValueError(
            f"inputs must be distinct movements from {tuple(SCALAR_FEATURES)}, got {inputs}."
        )
    return inputs


def _spines_of(data) -> Mapping[str, DynamicSpine]:
    if isinstance(data, Mapping):
        return data
    spines = getattr(data, "spines", None)
    if isinstance(spines, Mapping):
        return spines
    raise ValueError(
        "predict expects a mapping movement → DynamicSpine (e.g. {'backward_bend': spine}) or an "
        f"object with such a mapping in .spines; got {type(data).__name__}."
    )


def fit(
    kind: str,
    inputs: Sequence[str],
    scalars: np.ndarray,
    trajectories: np.ndarray,
    labels: np.ndarray,
    *,
    seed: int = 0,
    hyperparameters: Mapping[str, float] | None = None,
    progress: bool = False,
) -> Classifier:
    """Fit one classifier on precomputed features.

    Args:
        kind: ``"logistic"`` or ``"sequence"``.
        inputs: the movements the features come from (order of the feature blocks).
        scalars: raw scalar features (NaN = undefined).
        trajectories: raw trajectories (degrees).
        labels: class indices into ``PHENOTYPE_LABELS``.
        seed: torch seed (initialisation, dropout); same seed and data → same model.
        hyperparameters: overrides of ``DEFAULT_HYPERPARAMETERS[kind]``; besides the numeric
            ones, ``"exclude"``: scalar features to leave out (``"backward_bend.lumbar_hip_ratio"``
            or just ``"lumbar_hip_ratio"`` for every movement) — e.g. metrics a reconstruction
            does not preserve.
        progress: show a tqdm bar over epochs.

    Returns:
        The fitted :class:`Classifier` (classes weighted by inverse frequency).

    Shapes:
        scalars (N, S), trajectories (N, C, L), labels (N,).
    """
    kind = _check_kind(kind)
    inputs = _check_inputs(inputs)
    s_names, t_names = scalar_names(inputs), trajectory_names(inputs)
    x = np.asarray(scalars, dtype=np.float64)
    t = np.asarray(trajectories, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != len(s_names):
        raise ValueError(f"scalars: expected shape (N, {len(s_names)}), got {x.shape}.")
    if t.shape != (x.shape[0], len(t_names), TRAJECTORY_LENGTH):
        raise ValueError(
            f"trajectories: expected ({x.shape[0]}, {len(t_names)}, {TRAJECTORY_LENGTH}), "
            f"got {t.shape}."
        )
    if y.shape != (x.shape[0],) or y.min() < 0 or y.max() >= _N_CLASSES:
        raise ValueError(f"labels: expected (N,) class indices 0..{_N_CLASSES - 1}.")
    present = np.unique(y)
    if present.size < 2:
        raise ValueError(
            f"training needs at least two classes, got only {PHENOTYPE_LABELS[int(present[0])]}."
        )
    hp = dict(DEFAULT_HYPERPARAMETERS[kind])
    hp.update(hyperparameters or {})
    # Statistics (NaN-robust); a constant feature gets std 1.
    mean = np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.nanstd(np.where(np.isfinite(x), x, np.nan), axis=0)
    std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
    # Excluded scalars ("<movement>.<metric>" or "<metric>" in hp["exclude"]): an infinite
    # scale standardises them to 0 (= the training mean) for training and prediction alike,
    # so they carry no weight and never appear in the evidence; the file format is unchanged.
    exclude = [str(e) for e in hp.get("exclude", ())]
    unknown = [e for e in exclude if e not in s_names and not any(
        n.split(".", 1)[1] == e for n in s_names)]  # fmt: skip
    if unknown:
        raise ValueError(f"hyperparameters['exclude']: unknown features {unknown}; "
                         f"features of {inputs}: {s_names}.")  # fmt: skip
    for j, n in enumerate(s_names):
        if n in exclude or n.split(".", 1)[1] in exclude:
            std[j] = np.inf
    if np.isinf(std).all() and kind == "logistic":
        raise ValueError("hyperparameters['exclude'] leaves the logistic model no feature.")
    hp["exclude"] = exclude
    traj_mean = t.mean(axis=0)
    traj_std = np.maximum((t - traj_mean).std(axis=(0, 2)), 1e-6)
    torch.manual_seed(int(seed))
    net = _build(kind, len(s_names), len(t_names), hp)
    clf = Classifier(kind, inputs, net, mean, std, traj_mean, traj_std)
    zs, zt = clf._standardise(x, t)
    yt = torch.as_tensor(y)
    counts = np.bincount(y, minlength=_N_CLASSES).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / present.size, 0.0)
    loss_fn = nn.CrossEntropyLoss(
        weight=torch.as_tensor(w, dtype=torch.float32),
        label_smoothing=float(hp.get("label_smoothing", 0.0)),
    )
    net.train()
    if kind == "logistic":
        opt = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=int(hp["max_iter"]),
                                line_search_fn="strong_wolfe")  # fmt: skip

        def closure():
            opt.zero_grad()
            loss = loss_fn(net(zs, zt), yt) + hp["l2"] * net.linear.weight.pow(2).sum() / 2
            loss.backward()
            return loss

        opt.step(closure)
    else:
        opt = torch.optim.AdamW(net.parameters(), lr=hp["lr"], weight_decay=hp["weight_decay"])
        epochs = range(int(hp["epochs"]))
        if progress:
            from tqdm import tqdm

            epochs = tqdm(epochs, desc="sequence model", unit="epoch", leave=False)
        for _ in epochs:
            opt.zero_grad()
            loss = loss_fn(net(zs, zt), yt)
            loss.backward()
            opt.step()
    net.eval()
    clf.metadata = {
        "seed": int(seed),
        "hyperparameters": hp,
        "n_train": int(x.shape[0]),
        "class_counts": {c: int(n) for c, n in zip(PHENOTYPE_LABELS, counts, strict=True)},
        "n_parameters": int(sum(p.numel() for p in net.parameters())),
    }
    return clf
