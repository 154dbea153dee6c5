"""Study-style FP / EP / neither table from VIDEO: rendered subjects, MediaPipe, reconstruction.

The end-to-end version of ``bench_classify.py``: every held-out synthetic subject (balanced
FP / EP / neither) does a forward and a backward bend that is rendered (VTK, random side camera,
clothes, background, light), run through real MediaPipe and ``reconstruct.reconstruct_spine``;
the classifier then sees the *reconstructed* DynamicSpine, as it would in a clinic.

Rows (per input: backward bend only, forward bend only, both; logistic beside sequence model):

* ``shipped → video``: the shipped classifiers (trained on exact ground-truth spines of other
  synthetic subjects) applied to the reconstructed spines — the domain transfer a user gets;
* ``retrained on video`` (if ``--n-train`` > 0): trained on reconstructed spines of other
  rendered subjects, tested on the reconstructed test spines;
* ``shipped → exact spines``: the same test subjects' ground-truth spines, for reference.

Accuracy, balanced accuracy and Cohen's κ with bootstrap 95 % CIs (subjects resampled), and the
study's two-class FP vs EP accuracy. Every reconstructed spine is cached (one NPZ per subject and
movement), so an interrupted run resumes.

    python benchmarks/bench_classify_video.py --n-test 30 --n-train 30 --fps 8 --method learned

The 2D results (MediaPipe keypoints and masks) are cached too, so another ``--method`` re-uses
the renders.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from humanmovenet import classify

INPUTS = {
    "backward bend only": ("backward_bend",),
    "forward bend only": ("forward_bend",),
    "both": ("forward_bend", "backward_bend"),
}


def build(split: str, seed: int, n: int, args, cache: Path) -> tuple[list, list, dict]:
    """Reconstructed and ground-truth samples of ``n`` balanced subjects (cached; the renders,
    MediaPipe and reconstruction live in ``humanmovenet.train.train_classifier_video``)."""
    from humanmovenet.train.train_classifier_video import build as build_video

    return build_video(split, seed, n, fps=args.fps, size=args.size, method=args.method,
                       cache=cache)  # fmt: skip


def score_rows(name: str, make_clf, test: classify.FeatureTable, args) -> list[dict]:
    rows = []
    for input_name, inputs in INPUTS.items():
        for kind in classify.MODEL_KINDS:
            clf = make_clf(kind, inputs)
            x, t, y = test.select(clf.inputs)
            p = clf.predict_proba_features(x, t)
            s = classify.score_predictions(y, p.argmax(1), n_bootstrap=args.n_bootstrap,
                                           seed=args.seed)  # fmt: skip
            keep = y < 2
            binary = classify.score_predictions(y[keep], p[keep, :2].argmax(1),
                                                n_bootstrap=args.n_bootstrap, seed=args.seed)  # fmt: skip
            rows.append({"setting": name, "input": input_name, "model": kind, **s.as_dict(),
                         "fp_vs_ep": binary.as_dict()})  # fmt: skip
            print(f"{name:24s} {input_name:20s} {kind:9s} acc {s.accuracy}  kappa {s.kappa}  "
                  f"FP-vs-EP {binary.accuracy}", flush=True)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-test", type=int, default=30)
    ap.add_argument("--n-train", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--method", choices=("fit", "learned"), default="learned",
                    help="per-frame reconstruction (reconstruct_spine(method=...))")  # fmt: skip
    ap.add_argument("--n-bootstrap", type=int, default=2000)
    ap.add_argument("--cache-dir", type=Path,
                    default=Path.home() / ".cache" / "humanmovenet" / "bench_classify_video")  # fmt: skip
    ap.add_argument("--out", type=Path,
                    default=Path("benchmarks/results/bench_classify_video.json"))  # fmt: skip
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.time()
    test_recon, test_truth, stats = build("test", args.seed + 1, args.n_test, args, args.cache_dir)
    test_table = classify.extract_features(test_recon)
    truth_table = classify.extract_features(test_truth)

    rows = []
    # classifiers trained on exact spines of other subjects (as the shipped ones), per input
    from humanmovenet.train.train_classifier import (
        DEFAULT_FPS,
        DEFAULT_N_TRAIN,
        synthetic_table,
    )

    exact_train = synthetic_table(DEFAULT_N_TRAIN, 0, DEFAULT_FPS)

    def exact(kind, inputs):
        return classify.train(exact_train, model=kind, inputs=inputs, seed=0)

    rows += score_rows("exact-trained → video", exact, test_table, args)
    rows += score_rows("exact-trained → exact", exact, truth_table, args)
    if args.n_train > 0:
        train_recon, _, train_stats = build("train", args.seed, args.n_train, args,
                                            args.cache_dir)  # fmt: skip
        train_table = classify.extract_features(train_recon)

        def video(kind, inputs):
            return classify.train(train_table, model=kind, inputs=inputs, seed=0)

        rows += score_rows("video-trained → video", video, test_table, args)
        stats["train"] = train_stats

    def fmt(d: dict) -> str:
        return f"{d['value']:.2f} [{d['ci_low']:.2f}, {d['ci_high']:.2f}]"

    lines = [
        "| setting | input | model | accuracy [95 % CI] | balanced accuracy | Cohen's κ "
        "| FP vs EP accuracy |",
        "|---|---|---|---|---|---|---|",
    ] + [
        f"| {r['setting']} | {r['input']} | {r['model']} | {fmt(r['accuracy'])} | "
        f"{fmt(r['balanced_accuracy'])} | {fmt(r['kappa'])} | {fmt(r['fp_vs_ep']['accuracy'])} |"
        for r in rows
    ]
    table = "\n".join(lines)
    print(table)
    result = {
        "n_test": len(test_recon),
        "n_train_video": args.n_train,
        "exact_training_subjects": DEFAULT_N_TRAIN,
        "seed": args.seed,
        "method": args.method,
        "fps": args.fps,
        "size": args.size,
        "stats": stats,
        "rows": rows,
        "markdown": table,
        "seconds": round(time.time() - t0, 1),
    }
    if args.out.name == "bench_classify_video.json":
        args.out = args.out.with_name(f"bench_classify_video_{args.method}.json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    args.out.with_suffix(".md").write_text(table + "\n")
    print(f"wrote {args.out} in {result['seconds']:.0f} s")
    return result


if __name__ == "__main__":
    main()
