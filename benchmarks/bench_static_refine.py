"""Does fitting the standing frames refine the learned static morphology? (issue 5, static step)

    python benchmarks/bench_static_refine.py                 # choose the prior weight, then test
    python benchmarks/bench_static_refine.py --stage cv      # only the training-side choice

Data: the static model's cached training and held-out subjects
(``~/.cache/humanmovenet/train_static/{train,test}_v1r_seed{0,1}_f2_s384``, written by
``python -m humanmovenet.train.train_static``): two rendered standing frames per subject with
real MediaPipe landmarks and masks, and the subject's true lordosis, kyphosis, sacral slope and
standing pelvic tilt.

Per subject, the default learned path's pieces as ``reconstruct_spine`` runs them: back contour,
body shape (``predict_shape``), per-frame regressor (``regress_frames``, the refinement's start),
learned morphology, then ``refine_static`` with each prior weight.

1. **Prior weight, training subjects only** (``--stage cv``): the learned morphology of each
   training subject comes from a ridge model fitted *without* that subject (5-fold, the shipped
   model's ridge penalty), so the prior is as wrong as it is on unseen people; the weight with
   the lowest lordosis + kyphosis MAE over the training subjects is chosen.
2. **Held-out, once** (``--stage test``): the 60 held-out subjects (other seed, shifted age/BMI
   range) with the shipped learned model; learned alone vs refined with the chosen weight: MAE
   and r per target, and the paired difference of absolute errors (refined − learned, negative
   = the refinement helps) with a percentile-bootstrap 95 % CI over subjects.

Writes ``benchmarks/results/bench_static_refine.json`` (the per-subject values too).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

TARGETS = ("lumbar_lordosis_deg", "thoracic_kyphosis_deg", "sacral_slope_deg",
           "standing_pelvic_tilt_deg")  # fmt: skip
WEIGHTS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
REFINE_PELVIS = False  # set by --refine-pelvis


def load_rows(folder: Path, n: int) -> list[dict]:
    """The first ``n`` cached subjects MediaPipe found (as ``train_static.build_split`` keeps)."""
    rows = []
    for i in range(n):
        z = np.load(folder / f"{i:05d}.npz", allow_pickle=False)
        row = {k: z[k] for k in z.files}
        if np.isfinite(np.asarray(row["features"], float)).any():
            row["index"] = i
            rows.append(row)
    return rows


def out_of_fold(rows: list[dict], ridge, folds: int = 5) -> np.ndarray:
    """(B, 4) learned predictions of each subject by a model fitted without its fold."""
    from humanmovenet.reconstruct.static_model import StaticModel

    x = np.stack([np.asarray(r["features"], float) for r in rows])
    y = np.stack([np.asarray(r["targets"], float) for r in rows])
    idx = np.arange(len(x))
    pred = np.zeros_like(y)
    for k in range(folds):
        test = idx % folds == k
        pred[test] = StaticModel.fit(x[~test], y[~test], ridge).predict(x[test])
    return pred


def prepare(row: dict, body) -> dict:
    """What the refinement needs for one subject, built as ``reconstruct_spine`` does."""
    from humanmovenet.reconstruct.contour import extract_back_contour
    from humanmovenet.reconstruct.fit import SagittalBody
    from humanmovenet.reconstruct.regress import regress_frames
    from humanmovenet.reconstruct.static_model import predict_shape
    from humanmovenet.train.train_static import row_inputs

    kp, sil = row_inputs(row)
    standing = kp.detected.copy()
    contour = extract_back_contour(sil, kp)
    shape = predict_shape(kp, sil, standing, body=body, contour=contour)
    layer = SagittalBody(body, shape.betas)
    init = regress_frames(kp, sil, body=body, betas=shape.betas, contour=contour)
    return dict(kp=kp, contour=contour, standing=standing, layer=layer, init=init)


def refine(
    prep: dict, learned: np.ndarray, weight: float, iterations: int, pelvis: str, offset
) -> np.ndarray:
    """(4,) refined (lordosis, kyphosis, sacral slope, tilt) from a learned (4,) estimate."""
    from humanmovenet.reconstruct.static import refine_static
    from humanmovenet.types import SpineMorphology

    ll, tk, ss, apt = (float(v) for v in learned)
    morph = SpineMorphology(sacral_slope_deg=ss, lumbar_lordosis_deg=ll,
                            thoracic_kyphosis_deg=tk, lateral_deviation_deg=0.0)  # fmt: skip
    layer = prep["layer"]
    out = refine_static(prep["kp"], prep["contour"], prep["standing"], morph,
                        layer.embedding.morphology, layer, standing_pelvic_tilt_deg=apt,
                        prior_weight=weight, iterations=iterations, init=prep["init"],
                        pelvis_prior=pelvis, fit_offset_deg=offset,
                        refine_pelvis=REFINE_PELVIS)  # fmt: skip
    m = out.morphology
    return np.array([m.lumbar_lordosis_deg, m.thoracic_kyphosis_deg, m.sacral_slope_deg,
                     out.standing_pelvic_tilt_deg])  # fmt: skip


def scores(pred: np.ndarray, truth: np.ndarray) -> dict:
    out = {}
    for j, name in enumerate(TARGETS):
        e = pred[:, j] - truth[:, j]
        r = np.corrcoef(pred[:, j], truth[:, j])[0, 1] if pred[:, j].std() > 0 else 0.0
        out[name] = {"mae": float(np.abs(e).mean()), "bias": float(e.mean()), "r": float(r)}
    return out


def paired(learned: np.ndarray, refined: np.ndarray, truth: np.ndarray, boot: int) -> dict:
    """Mean paired difference of absolute errors (refined − learned) with a bootstrap CI."""
    rng = np.random.default_rng(0)
    d = np.abs(refined - truth) - np.abs(learned - truth)  # (B, 4)
    cols = {**{n: d[:, j] for j, n in enumerate(TARGETS)}, "lordosis+kyphosis": d[:, :2].sum(1)}
    draws = rng.integers(0, len(d), size=(boot, len(d)))
    out = {}
    for name, v in cols.items():
        means = v[draws].mean(1)
        lo, hi = np.percentile(means, [2.5, 97.5])
        out[name] = {"mean": float(v.mean()), "ci95": [float(lo), float(hi)],
                     "better": int((v < 0).sum()), "worse": int((v > 0).sum())}  # fmt: skip
    return out


def run_split(rows, learned, body, weights, iterations, label, pelvis, offset):
    """Refined predictions per weight, (W, B, 4), and seconds per refinement."""
    from tqdm import tqdm

    preds = {w: [] for w in weights}
    t_refine, n_refine = 0.0, 0
    for row, est in tqdm(list(zip(rows, learned, strict=True)), desc=label, unit="subject"):
        prep = prepare(row, body)
        for w in weights:
            t0 = time.perf_counter()
            preds[w].append(refine(prep, est, w, iterations, pelvis, offset))
            t_refine += time.perf_counter() - t0
            n_refine += 1
    return {w: np.stack(v) for w, v in preds.items()}, t_refine / max(n_refine, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", type=Path,
                    default=Path.home() / ".cache" / "humanmovenet" / "train_static")  # fmt: skip
    ap.add_argument("--n-train", type=int, default=200, help="training subjects (the model's)")
    ap.add_argument("--n-test", type=int, default=60)
    ap.add_argument("--cv-subjects", type=int, default=None,
                    help="refine only the first this many training subjects (their out-of-fold "
                         "learned estimates still come from all --n-train)")  # fmt: skip
    ap.add_argument("--weights", type=float, nargs="+", default=list(WEIGHTS))
    ap.add_argument("--iterations", type=int, default=60, help="refinement fit iterations")
    ap.add_argument("--boot", type=int, default=5000, help="bootstrap resamples")
    ap.add_argument("--stage", choices=("cv", "test", "both"), default="both")
    ap.add_argument("--pelvis-prior", choices=("per_frame", "learned"), default="per_frame",
                    help="centre of the pelvis angle's prior (refine_static)")  # fmt: skip
    ap.add_argument("--refine-pelvis", action="store_true",
                    help="move sacral slope and tilt with the refined pelvis angle")  # fmt: skip
    ap.add_argument("--fit-offset", type=float, nargs=3, default=None,
                    metavar=("PELVIS", "LUMBAR", "THORACIC"),
                    help="the fit's angle offset in degrees (default: static.FIT_OFFSET_DEG; "
                         "0 0 0 to measure it)")  # fmt: skip
    ap.add_argument(
        "--weight",
        type=float,
        default=None,
        help="--stage test: the prior weight (default: from --json's cv stage)",
    )
    ap.add_argument("--json", type=Path,
                    default=Path("benchmarks/results/bench_static_refine.json"))  # fmt: skip
    args = ap.parse_args(argv)
    import torch

    from humanmovenet.body import create
    from humanmovenet.reconstruct.static_model import load_static_model

    torch.set_num_threads(1)
    global REFINE_PELVIS
    REFINE_PELVIS = args.refine_pelvis
    body = create("anny")
    shipped = load_static_model()
    result = json.loads(args.json.read_text()) if args.json.exists() else {}
    import sys

    command = " ".join(["python benchmarks/bench_static_refine.py", *(argv or sys.argv[1:])])
    result["iterations"] = args.iterations
    result["pelvis_prior"] = args.pelvis_prior
    result["refine_pelvis"] = args.refine_pelvis
    from humanmovenet.reconstruct.static import FIT_OFFSET_DEG

    result["fit_offset_deg"] = list(args.fit_offset or FIT_OFFSET_DEG)
    if args.stage in ("cv", "both"):
        rows = load_rows(args.cache_dir / "train_v1r_seed0_f2_s384", args.n_train)
        truth = np.stack([np.asarray(r["targets"], float) for r in rows])
        learned = out_of_fold(rows, shipped.ridge)
        rows, truth, learned = (
            rows[: args.cv_subjects],
            truth[: args.cv_subjects],
            learned[: args.cv_subjects],
        )
        preds, sec = run_split(rows, learned, body, args.weights, args.iterations, "train",
                               args.pelvis_prior, args.fit_offset)  # fmt: skip
        table = {str(w): scores(p, truth) for w, p in preds.items()}
        cost = {w: table[str(w)]["lumbar_lordosis_deg"]["mae"]
                + table[str(w)]["thoracic_kyphosis_deg"]["mae"] for w in args.weights}  # fmt: skip
        best = min(cost, key=cost.get)
        result["cv"] = {
            "command": command,
            "n": len(rows),
            "learned_out_of_fold": scores(learned, truth),
            "refined": table,
            "lordosis_plus_kyphosis_mae": {str(w): float(c) for w, c in cost.items()},
            "chosen_weight": best,
            "seconds_per_refinement": sec,
            "per_subject": {"index": [int(r["index"]) for r in rows], "truth": truth.tolist(),
                            "learned": learned.tolist(),
                            "refined": {str(w): p.tolist() for w, p in preds.items()}},
        }  # fmt: skip
        ll = result["cv"]["learned_out_of_fold"]
        print(f"training ({len(rows)}), learned out-of-fold: lordosis "
              f"{ll['lumbar_lordosis_deg']['mae']:.2f}, kyphosis "
              f"{ll['thoracic_kyphosis_deg']['mae']:.2f}")  # fmt: skip
        for w in args.weights:
            t = table[str(w)]
            print(f"  weight {w:6g}: lordosis {t['lumbar_lordosis_deg']['mae']:.2f}, kyphosis "
                  f"{t['thoracic_kyphosis_deg']['mae']:.2f}, sacral slope "
                  f"{t['sacral_slope_deg']['mae']:.2f}")  # fmt: skip
        print(f"chosen weight {best} ({sec:.2f} s per refinement)")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    if args.stage in ("test", "both"):
        weight = args.weight if args.weight is not None else result["cv"]["chosen_weight"]
        rows = load_rows(args.cache_dir / "test_v1r_seed1_f2_s384", args.n_test)
        truth = np.stack([np.asarray(r["targets"], float) for r in rows])
        learned = shipped.predict(np.stack([np.asarray(r["features"], float) for r in rows]))
        preds, sec = run_split(rows, learned, body, [weight], args.iterations, "test",
                               args.pelvis_prior, args.fit_offset)  # fmt: skip
        refined = preds[weight]
        result["test"] = {
            "command": command,
            "n": len(rows),
            "weight": weight,
            "learned": scores(learned, truth),
            "refined": scores(refined, truth),
            "paired_refined_minus_learned_abs_error": paired(learned, refined, truth, args.boot),
            "seconds_per_refinement": sec,
            "per_subject": {"index": [int(r["index"]) for r in rows], "truth": truth.tolist(),
                            "learned": learned.tolist(), "refined": refined.tolist()},
        }  # fmt: skip
        for name in TARGETS:
            a, b = result["test"]["learned"][name], result["test"]["refined"][name]
            d = result["test"]["paired_refined_minus_learned_abs_error"][name]
            print(f"{name:26s} learned MAE {a['mae']:.2f} (r {a['r']:.2f})  refined "
                  f"{b['mae']:.2f} (r {b['r']:.2f})  diff {d['mean']:+.2f} "
                  f"[{d['ci95'][0]:+.2f}, {d['ci95'][1]:+.2f}]")  # fmt: skip
        d = result["test"]["paired_refined_minus_learned_abs_error"]["lordosis+kyphosis"]
        print(f"lordosis+kyphosis paired diff {d['mean']:+.2f} [{d['ci95'][0]:+.2f}, "
              f"{d['ci95'][1]:+.2f}]")  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
