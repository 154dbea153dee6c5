"""Study-style FP / EP / neither table: accuracy, balanced accuracy and Cohen's κ (95 % CIs)
per input (backward bend only, forward bend only, both), logistic baseline beside the
sequence model, on held-out synthetic subjects. Three classes (FP / EP / neither); the last
column is the study's two-class question (FP vs EP subjects only, the more probable of the two).

    python benchmarks/bench_classify.py [--n-train 120] [--n-test 90] [--seed 0]

Inputs today are the EXACT ground-truth spines of the synthetic subjects
(``synth.spine_truth``), not spines reconstructed from video: the table measures how well the
models separate the synthetic phenotypes, not the whole pipeline. The version with measured
MediaPipe landmark noise (``synth.landmark_noise``) needs the reconstruction stage
(landmarks → DynamicSpine), which does not exist yet; it is pending.

Training and held-out subjects come from different dataset seeds (``seed``, ``seed + 1``), so
no subject is shared. Writes ``benchmarks/results/bench_classify.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from humanmovenet import classify
from humanmovenet.train.train_classifier import (
    DEFAULT_FPS,
    DEFAULT_N_TEST,
    DEFAULT_N_TRAIN,
    synthetic_table,
)

INPUTS = {
    "backward bend only": ("backward_bend",),
    "forward bend only": ("forward_bend",),
    "both": ("forward_bend", "backward_bend"),
}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN)
    ap.add_argument("--n-test", type=int, default=DEFAULT_N_TEST)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fps", type=float, default=DEFAULT_FPS)
    ap.add_argument("--n-bootstrap", type=int, default=2000)
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/bench_classify.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    train = synthetic_table(args.n_train, args.seed, args.fps, args.cache_dir)
    test = synthetic_table(args.n_test, args.seed + 1, args.fps, args.cache_dir)
    rows = []
    for name, inputs in INPUTS.items():
        for kind in classify.MODEL_KINDS:
            t1 = time.time()
            clf = classify.train(train, model=kind, inputs=inputs, seed=args.seed)
            s = classify.evaluate(clf, test, n_bootstrap=args.n_bootstrap, seed=args.seed)
            # FP vs EP as in the study: FP and EP subjects only, the larger of P(FP), P(EP).
            x, t, y = test.select(inputs)
            p = clf.predict_proba_features(x, t)
            keep = y < 2
            binary = classify.score_predictions(
                y[keep], p[keep, :2].argmax(1), n_bootstrap=args.n_bootstrap, seed=args.seed
            )
            rows.append({"input": name, "model": kind, "fit_seconds": round(time.time() - t1, 1),
                         **s.as_dict(), "fp_vs_ep": binary.as_dict()})  # fmt: skip
            print(f"{name:20s} {kind:9s} acc {s.accuracy}  bal {s.balanced_accuracy}  "
                  f"kappa {s.kappa}  FP-vs-EP acc {binary.accuracy}", flush=True)  # fmt: skip
    header = (
        "| input | model | accuracy [95 % CI] | balanced accuracy [95 % CI] | Cohen's κ [95 % CI] "
        "| FP vs EP accuracy [95 % CI] |\n|---|---|---|---|---|---|"
    )

    def fmt(d: dict) -> str:
        return f"{d['value']:.2f} [{d['ci_low']:.2f}, {d['ci_high']:.2f}]"

    lines = [header] + [
        f"| {r['input']} | {r['model']} | {fmt(r['accuracy'])} | "
        f"{fmt(r['balanced_accuracy'])} | {fmt(r['kappa'])} | {fmt(r['fp_vs_ep']['accuracy'])} |"
        for r in rows
    ]
    table = "\n".join(lines)
    print(table)
    result = {
        "spines": "ground truth (synth.spine_truth); MediaPipe-noise version pending on the "
        "reconstruction stage",
        "n_train": len(train),
        "n_test": len(test),
        "seed": args.seed,
        "fps": args.fps,
        "n_bootstrap": args.n_bootstrap,
        "rows": rows,
        "markdown": table,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out} in {result['seconds']:.0f} s")
    return result


if __name__ == "__main__":
    main()
