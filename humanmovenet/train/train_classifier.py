"""Train the shipped FP / EP / neither classifiers on synthetic subjects.

    python -m humanmovenet.train.train_classifier            # defaults below, ~minutes + posing

Steps (fixed seeds throughout):

1. Training subjects: ``SyntheticDataset(n_train, seed=seed)``; held-out subjects:
   ``SyntheticDataset(n_test, seed=seed + 1)`` — different seeds, so no subject is shared.
   Both balanced over FP / EP / neither, forward and backward bends at 10 fps, exact
   ground-truth spines (``synth.spine_truth``). Posed subjects are cached (see
   ``classify.default_cache_dir``); features too (``features_n<N>_<hash of the feature and
   biomech code>.npz`` next to them, so a change of a metric definition recomputes them).
2. Fit the logistic baseline and the sequence model on both bends (``seed``).
3. Score both on the held-out subjects (accuracy, balanced accuracy, Cohen's κ with
   bootstrap 95 % CIs), store the scores in the files' metadata, save
   ``weights/classifier_logistic.pt`` and ``weights/classifier_sequence.pt`` and print the
   model-card numbers and sha256s (also written to ``benchmarks/results/train_classifier.json``);
   after a retrain, copy the sha256s into ``classify.api.SHIPPED_SHA256``.

The shipped models are trained on SYNTHETIC phenotypes, not on patients.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import torch

from humanmovenet import classify
from humanmovenet._paths import sha256_of
from humanmovenet.classify.api import FeatureTable

DEFAULT_N_TRAIN = 120
DEFAULT_N_TEST = 90
DEFAULT_SEED = 0
DEFAULT_FPS = 10.0


def _feature_code_hash() -> str:
    """Short hash of the code that computes features, so a changed metric never reuses a
    stale feature cache."""
    import humanmovenet.biomech as biomech
    import humanmovenet.classify.features as features

    h = hashlib.sha256()
    for path in [Path(features.__file__), *sorted(Path(biomech.__file__).parent.glob("*.py"))]:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def synthetic_table(
    n: int, seed: int, fps: float = DEFAULT_FPS, cache_dir: Path | None = None
) -> FeatureTable:
    """Features of ``SyntheticDataset(n, seed=seed, fps=fps)``, cached on disk."""
    data = classify.SyntheticDataset(n, seed=seed, fps=fps, cache_dir=cache_dir)
    path = data.cache_dir / f"features_n{n}_{_feature_code_hash()}.npz" if data.cache_dir else None
    if path is not None and path.exists():
        try:
            return FeatureTable.load(path)
        except ValueError:
            pass
    table = classify.extract_features(data, progress=True)
    if path is not None:
        table.save(path)
    return table


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN, help="training subjects")
    ap.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="held-out subjects")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--fps", type=float, default=DEFAULT_FPS)
    ap.add_argument("--cache-dir", type=Path, default=None, help="synthetic subject cache")
    ap.add_argument("--out", type=Path, default=Path("weights"), help="where to save the .pt files")
    ap.add_argument("--json", type=Path, default=Path("benchmarks/results/train_classifier.json"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest here)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    train = synthetic_table(args.n_train, args.seed, args.fps, args.cache_dir)
    test = synthetic_table(args.n_test, args.seed + 1, args.fps, args.cache_dir)
    t_data = time.time() - t0
    report: dict = {
        "trained_on": "synthetic FP/EP/neither subjects (humanmovenet.synth), ground-truth spines",
        "n_train": len(train),
        "n_test": len(test),
        "seed": args.seed,
        "fps": args.fps,
        "inputs": list(classify.MOVEMENTS),
        "models": {},
    }
    for kind in classify.MODEL_KINDS:
        t1 = time.time()
        clf = classify.train(train, model=kind, inputs=classify.MOVEMENTS, seed=args.seed,
                             progress=True)  # fmt: skip
        fit_s = time.time() - t1
        scores = classify.evaluate(clf, test, seed=args.seed)
        clf.metadata.update(
            trained_on="SYNTHETIC phenotypes (humanmovenet.synth), not patients",
            train_data=f"SyntheticDataset(n={args.n_train}, seed={args.seed}, fps={args.fps:g})",
            test_data=f"SyntheticDataset(n={args.n_test}, seed={args.seed + 1}, fps={args.fps:g})",
            held_out=scores.as_dict(),
        )
        path = clf.save(args.out / f"classifier_{kind}.pt")
        report["models"][kind] = {
            "file": str(path),
            "bytes": path.stat().st_size,
            "parameters": clf.metadata["n_parameters"],
            "fit_seconds": round(fit_s, 1),
            "held_out": scores.as_dict(),
        }
        print(f"{kind:9s} held-out n={scores.n}: accuracy {scores.accuracy}, balanced "
              f"{scores.balanced_accuracy}, kappa {scores.kappa}; {path} "
              f"({path.stat().st_size} B, {clf.metadata['n_parameters']} parameters, fit "
              f"{fit_s:.1f} s)")  # fmt: skip
        print("  confusion (rows true FP/EP/neither, cols predicted):", scores.confusion.tolist())
        report["models"][kind]["sha256"] = sha256_of(path)
        print(f"  sha256 {report['models'][kind]['sha256']} (classify.api.SHIPPED_SHA256)")
    report["seconds_data"] = round(t_data, 1)
    report["seconds_total"] = round(time.time() - t0, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"data {t_data:.0f} s, total {report['seconds_total']:.0f} s; report: {args.json}")
    return report


if __name__ == "__main__":
    main()
