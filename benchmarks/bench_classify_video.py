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
import warnings
from pathlib import Path

import numpy as np
import torch

from humanmovenet import classify
from humanmovenet.classify.datasets import Sample
from humanmovenet.io.arrays import (
    load_keypoints,
    load_silhouettes,
    save_keypoints,
    save_silhouettes,
)
from humanmovenet.io.export_npz import load_dynamic_spine, save_dynamic_spine
from humanmovenet.types import PHENOTYPE_LABELS

MOVEMENTS = ("forward_bend", "backward_bend")
INPUTS = {
    "backward bend only": ("backward_bend",),
    "forward bend only": ("forward_bend",),
    "both": ("forward_bend", "backward_bend"),
}


def render_bend(body, renderer, subject, movement: str, rng, fps: float, size: int):
    """Pose, render and run MediaPipe on one bend; returns (posed, keypoints, silhouettes)."""
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.synth.appearance import sample_scene
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence

    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    camera = sample_side_camera(rng, posed.vertices, image_size=(size, size))
    scene = sample_scene(rng, body, subject.sliders, size, size)
    faces = body.faces.numpy()
    frames = [
        Frame(t, t / fps, renderer.render(v, faces, camera, scene.colors, scene.background,
                                          scene.lighting, with_depth=False).rgb)
        for t, v in enumerate(posed.vertices)
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
    return posed, pose.keypoints, pose.silhouettes


def build(split: str, seed: int, n: int, args, cache: Path) -> tuple[list, list, dict]:
    """Reconstructed and ground-truth samples of ``n`` balanced subjects (cached)."""
    from tqdm import tqdm

    from humanmovenet.body import create
    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.synth.render import Renderer
    from humanmovenet.synth.spine_truth import ground_truth_spine
    from humanmovenet.synth.subject import sample_subject

    twod = cache / f"{split}_seed{seed}_fps{args.fps:g}_s{args.size}"  # renders' 2D results
    folder = twod if args.method == "fit" else twod / args.method
    folder.mkdir(parents=True, exist_ok=True)
    body = create("anny")
    recon, truth = [], []
    stats = {"frames": 0, "reconstruct_s": 0.0, "failed": []}
    with Renderer(args.size, args.size) as renderer:
        for i in tqdm(range(n), desc=f"{split} subjects", unit="subject"):
            label = PHENOTYPE_LABELS[i % len(PHENOTYPE_LABELS)]
            rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
            subject = sample_subject(rng, phenotype=label)
            spines, gts = {}, {}
            for mv in MOVEMENTS:
                path, gt_path = folder / f"{i:04d}_{mv}.npz", twod / f"{i:04d}_{mv}_truth.npz"
                if path.exists() and gt_path.exists():
                    spines[mv], gts[mv] = load_dynamic_spine(path), load_dynamic_spine(gt_path)
                    continue
                mv_rng = np.random.default_rng(np.random.SeedSequence([seed, i, 1 + len(mv)]))
                kp_path, sil_path = twod / f"{i:04d}_{mv}_kp.npz", twod / f"{i:04d}_{mv}_sil.npz"
                if kp_path.exists() and sil_path.exists() and gt_path.exists():
                    kp, sil = load_keypoints(kp_path), load_silhouettes(sil_path)
                    truth_spine = load_dynamic_spine(gt_path)
                else:
                    posed, kp, sil = render_bend(body, renderer, subject, mv, mv_rng, args.fps,
                                                 args.size)  # fmt: skip
                    truth_spine = ground_truth_spine(posed)
                    save_keypoints(kp_path, kp)
                    save_silhouettes(sil_path, sil)
                t0 = time.perf_counter()
                try:
                    spine, _, _ = reconstruct_spine(kp, sil, body, method=args.method)
                except ValueError as err:
                    stats["failed"].append(f"{split} {i} {mv}: {err}")
                    break
                stats["reconstruct_s"] += time.perf_counter() - t0
                stats["frames"] += kp.num_frames
                save_dynamic_spine(path, spine)
                save_dynamic_spine(gt_path, truth_spine)
                spines[mv], gts[mv] = spine, truth_spine
            if len(spines) == len(MOVEMENTS):
                recon.append(Sample(f"{split}{i}", label, spines))
                truth.append(Sample(f"{split}{i}", label, gts))
    return recon, truth, stats


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
