"""Temporal model (GCN+LSTM) against per-frame output, Savitzky–Golay and One-Euro, held-out data.

Two test sets, neither seen in training or tuning (seeds ≥ ``HELD_OUT_SEED_START``, subjects
drawn from the shifted age/BMI ranges ``HELD_OUT_AGE``/``HELD_OUT_BMI`` of
``humanmovenet.train.train_temporal``):

(a) **noise model**: commanded angle trajectories of all five synthetic movements at 10–30 fps,
    corrupted by the *measured* noise model (``weights/temporal_noise.json``, scale 1);
(b) **real**: rendered bends → real MediaPipe → per-frame fit (``fit_frames`` with
    ``smooth_weight=0``), against the commanded angles.

In both, extra frames are removed (NaN runs of 1–10 frames) to measure gap filling. The filters'
settings are tuned on *training-side* data only: on (a)-style sequences from training seeds for
(a), on the six training-side real renders of the noise measurement for (b).

Metrics (all angles in degrees):

* ``mae_deg``: mean |output − truth| over the observed frames, per angle and mean of angles;
  for (b) also ``mae_debiased_deg``: the same after removing each method's per-sequence mean
  error (the fit's constant offsets — no temporal model can see them — dominate raw MAE);
* ``gap_mae_deg``: the same over the artificially removed frames (per-frame output: linear
  interpolation);
* ``accel_err_deg_s2``: mean |a_out − a_true|, a = second difference × fps² (deg/s²), and its
  ratio to the per-frame output's (target ≤ 0.40);
* ``lag_frames``: shift (−8…8 frames) maximising the cross-correlation of output and true
  velocities, mean over angles that move > 10°; positive = the output lags;
* ``mpjpe_mm``: mean joint error of a planar forward-kinematics proxy (pelvis-rooted stick
  figure: lumbar 0.18 m, thoracic 0.30, thighs 0.44, shanks 0.43, upper arms 0.30, forearms
  0.27 m; arm adduction out of plane, ignored) posed with output vs truth angles;
* speed: frames/s of :func:`smooth_angles` on a 300-frame clip with 1 and 2 torch threads, and
  of :class:`TemporalStream` frame by frame (the machine is shared: timings are noisy).

Run: ``python benchmarks/bench_temporal.py`` (renders 6 held-out bends, ~5 min) or with
``--reuse-real`` to reuse ``benchmarks/results/temporal_real_heldout.npz``. Writes
``benchmarks/results/bench_temporal.json`` and ``bench_temporal.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running from a source checkout without installation
    sys.path.insert(0, str(ROOT))

from humanmovenet.reconstruct.fit import ANGLE_NAMES  # noqa: E402
from humanmovenet.reconstruct.temporal import (  # noqa: E402
    TemporalStream,
    fill_gaps,
    load_temporal_model,
    one_euro_angles,
    savgol_angles,
    smooth_angles,
)
from humanmovenet.synth.motion import MOVEMENTS, generate_motion  # noqa: E402
from humanmovenet.synth.subject import sample_subject  # noqa: E402
from humanmovenet.train.train_temporal import (  # noqa: E402
    HELD_OUT_AGE,
    HELD_OUT_BMI,
    HELD_OUT_SEED_START,
    TRAIN_AGE,
    TRAIN_BMI,
    TRAIN_FPS,
    add_dropouts,
    load_noise,
    load_records,
    render_many,
    save_records,
    truth_angles,
)

RESULTS = ROOT / "benchmarks" / "results"
A = len(ANGLE_NAMES)
_I = {n: i for i, n in enumerate(ANGLE_NAMES)}

SG_GRID = [{"window_s": w, "polyorder": p} for w in (0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4)
           for p in (2, 3)]  # fmt: skip
OE_GRID = [{"min_cutoff": m, "beta": b} for m in (0.3, 0.6, 1.0, 2.0, 4.0)
           for b in (0.0, 0.3, 1.0, 3.0, 10.0)]  # fmt: skip


# --------------------------------------------------------------------------- data


def synthetic_set(seeds, noise, *, age, bmi, gap_rate=0.015, scale=1.0):
    """Noise-model sequences: dicts with truth, estimate (NaN dropouts), removed (mask), fps."""
    out = []
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        subject = sample_subject(rng, age_range=age, bmi_range=bmi)
        movement = MOVEMENTS[i % len(MOVEMENTS)]
        fps = TRAIN_FPS[(i // len(MOVEMENTS)) % len(TRAIN_FPS)]
        motion = generate_motion(subject, movement, rng, fps=fps)
        truth = truth_angles(motion, float(rng.uniform(0.2, 0.8)))
        est = noise.sample(truth, fps, rng, scale=scale)
        out.append(_with_gaps({"truth": truth, "estimate": est, "fps": fps,
                               "movement": movement, "seed": seed}, rng, gap_rate))  # fmt: skip
    return out


def _with_gaps(rec, rng, rate):
    est = np.array(rec["estimate"], dtype=np.float64)
    before = np.isnan(est).all(1)
    add_dropouts(est, rng, rate)
    removed = np.isnan(est).all(1) & ~before
    removed[[0, -1]] = False  # keep the ends observed so every method is defined there
    est[[0, -1]] = np.asarray(rec["estimate"])[[0, -1]]
    return {**rec, "estimate": est, "removed": removed,
            "confidence": np.where(np.isnan(est).all(1), 0.0, 1.0)}  # fmt: skip


def real_set(args, *, heldout: bool):
    """Real per-frame estimates (render + MediaPipe + fit), cached as NPZ."""
    if heldout:
        cache = RESULTS / "temporal_real_heldout.npz"
        specs = [(HELD_OUT_SEED_START + i, ("forward_bend", "backward_bend")[i % 2])
                 for i in range(args.real)]  # fmt: skip
        age, bmi = HELD_OUT_AGE, HELD_OUT_BMI
    else:  # the training-side renders of the noise measurement (filter tuning)
        cache = RESULTS / "temporal_noise_sequences.npz"
        specs, age, bmi = None, TRAIN_AGE, TRAIN_BMI
    if cache.is_file() and (args.reuse_real or not heldout):
        recs = load_records(cache)
        if specs is None or [(int(r["seed"]), str(r["movement"])) for r in recs] == specs:
            return recs
    if specs is None:
        raise FileNotFoundError(f"{cache} missing: run train_temporal --measure-noise first.")
    recs = render_many(specs, args.real_fps, age_range=age, bmi_range=bmi)
    save_records(cache, recs)
    return recs


def prepare_real(recs, seed):
    rng = np.random.default_rng(seed)
    return [_with_gaps({**r, "movement": str(r["movement"])}, rng, 0.02) for r in recs]


# --------------------------------------------------------------------------- methods


def methods(sg: dict, oe: dict) -> dict:
    return {
        "per_frame": lambda x, c, f: fill_gaps(x),
        "savgol": lambda x, c, f: savgol_angles(x, f, **sg),
        "one_euro": lambda x, c, f: one_euro_angles(x, f, **oe),
        "gcn_lstm_bidir": lambda x, c, f: smooth_angles(x, c, f, causal=False),
        "gcn_lstm_causal": lambda x, c, f: smooth_angles(x, c, f, causal=True),
    }


# --------------------------------------------------------------------------- metrics


def stick_figure(angles: np.ndarray) -> np.ndarray:
    """Planar FK proxy: (T, 12) radians → (T, 11, 2) joint positions (z forward, y up), m."""
    g = lambda n: angles[:, _I[n]]  # noqa: E731
    up = lambda th: np.stack([np.sin(th), np.cos(th)], -1)  # noqa: E731
    down = lambda ph: np.stack([np.sin(ph), -np.cos(ph)], -1)  # noqa: E731
    a1 = g("pelvis_tilt") + g("lumbar_flexion")
    a2 = a1 + g("thoracic_flexion")
    l1 = 0.18 * up(a1)
    t1 = l1 + 0.30 * up(a2)
    pts = [np.zeros_like(l1), l1, t1]
    for side in ("left", "right"):
        thigh = g(f"hip_flexion_{side}") - g("pelvis_tilt")
        knee = 0.44 * down(thigh)
        ankle = knee + 0.43 * down(thigh - g(f"knee_flexion_{side}"))
        arm = -a2 + g(f"shoulder_flexion_{side}")
        elbow = t1 + 0.30 * down(arm)
        wrist = elbow + 0.27 * down(arm + g(f"elbow_flexion_{side}"))
        pts += [knee, ankle, elbow, wrist]
    return np.stack(pts, 1)


def _lag(out: np.ndarray, truth: np.ndarray, max_shift: int = 8) -> list[float]:
    """Per moving angle: shift (frames, sub-frame by a parabola) maximising the correlation
    of the mean-removed output with the mean-removed truth; positive = the output lags."""
    lags = []
    for a in range(A):
        if np.ptp(truth[:, a]) < np.radians(10.0) or not np.isfinite(out[:, a]).all():
            continue
        vo, vt = out[:, a] - out[:, a].mean(), truth[:, a] - truth[:, a].mean()
        n = len(vt)
        scores = []
        for s in range(-max_shift, max_shift + 1):
            lo, hi = max(0, -s), min(n, n - s)
            scores.append(np.dot(vo[lo + s : hi + s], vt[lo:hi]) / max(hi - lo, 1))
        k = int(np.argmax(scores))
        frac = 0.0
        if 0 < k < len(scores) - 1:
            y0, y1, y2 = scores[k - 1], scores[k], scores[k + 1]
            den = y0 - 2 * y1 + y2
            frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
        lags.append(float(k - max_shift + frac))
    return lags


def evaluate(recs, fns) -> dict:
    """Per-method metrics over a list of records (see the module docstring)."""
    res = {}
    for name, fn in fns.items():
        err_obs, err_gap, err_debiased, acc, lags, mpjpe = [], [], [], [], [], []
        err_gap_debiased = []
        for r in recs:
            x, truth, fps = r["estimate"], r["truth"], float(r["fps"])
            out = fn(x, r["confidence"], fps)
            known = np.isfinite(out).all(1)
            obs = np.isfinite(x).all(1) & known
            e = out - truth
            err_obs.append(np.abs(e[obs]))
            err_gap.append(np.abs(e[r["removed"] & known]))
            err_debiased.append(np.abs(e[obs] - e[obs].mean(0)))
            err_gap_debiased.append(np.abs(e[r["removed"] & known] - e[obs].mean(0)))
            k2 = known[2:] & known[1:-1] & known[:-2]
            a_err = (np.diff(out, 2, axis=0) - np.diff(truth, 2, axis=0)) * fps**2
            acc.append(np.abs(a_err[k2]))
            lags += _lag(out[known], truth[known]) if known.all() else []
            d = np.linalg.norm(stick_figure(out[known]) - stick_figure(truth[known]), axis=-1)
            mpjpe.append(d.mean(1))
        cat = lambda v: np.degrees(np.concatenate(v))  # noqa: E731
        res[name] = {
            "mae_deg": _per_angle(cat(err_obs)),
            "mae_debiased_deg": _per_angle(cat(err_debiased)),
            "gap_mae_deg": _per_angle(cat(err_gap)),
            "gap_mae_debiased_deg": _per_angle(cat(err_gap_debiased)),
            "accel_err_deg_s2": float(cat(acc).mean()),
            "lag_frames": float(np.mean(lags)) if lags else float("nan"),
            "lag_abs_frames": float(np.mean(np.abs(lags))) if lags else float("nan"),
            "mpjpe_mm": float(1000 * np.concatenate(mpjpe).mean()),
        }
    ref = res["per_frame"]["accel_err_deg_s2"]
    for v in res.values():
        v["accel_ratio_to_per_frame"] = v["accel_err_deg_s2"] / ref
    return res


def _per_angle(err: np.ndarray) -> dict:
    if err.size == 0:
        return {"mean": float("nan")}
    out = {n: float(err[:, i].mean()) for i, n in enumerate(ANGLE_NAMES)}
    out["mean"] = float(err.mean())
    return out


# --------------------------------------------------------------------------- tuning and speed


def tune(recs) -> tuple[dict, dict, dict]:
    """Best Savitzky–Golay and One-Euro settings by mean angle MAE (observed frames)."""

    def score(fn):
        errs = []
        for r in recs:
            out = fn(r["estimate"], r["fps"])
            ok = np.isfinite(r["estimate"]).all(1)
            errs.append(np.abs(out - r["truth"])[ok])
        return float(np.degrees(np.concatenate(errs).mean()))

    sg = {json.dumps(p): score(lambda x, f, p=p: savgol_angles(x, f, **p)) for p in SG_GRID}
    oe = {json.dumps(p): score(lambda x, f, p=p: one_euro_angles(x, f, **p)) for p in OE_GRID}
    best_sg = json.loads(min(sg, key=sg.get))
    best_oe = json.loads(min(oe, key=oe.get))
    return best_sg, best_oe, {"savgol": sg, "one_euro": oe}


def speed(n: int = 300) -> dict:
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(0, 0.01, (n, A)), 0)
    out = {}
    before = torch.get_num_threads()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for causal in (False, True):
            smooth_angles(x, None, 30.0, causal=causal, num_threads=threads)
            t0 = time.perf_counter()
            for _ in range(3):
                smooth_angles(x, None, 30.0, causal=causal, num_threads=threads)
            key = f"{'causal' if causal else 'bidir'}_fps_{threads}thread"
            out[key] = 3 * n / (time.perf_counter() - t0)
    torch.set_num_threads(1)
    stream = TemporalStream(30.0)
    t0 = time.perf_counter()
    for row in x:
        stream.step(row)
    out["stream_step_fps_1thread"] = n / (time.perf_counter() - t0)
    torch.set_num_threads(before)
    return out


# --------------------------------------------------------------------------- report


def table(res: dict, title: str) -> str:
    names = list(res)
    cols = ["mean"] + ["pelvis_tilt", "lumbar_flexion", "thoracic_flexion", "hip_flexion_left"]
    lines = [f"### {title}", "",
             "| method | MAE ° | debiased MAE ° | gap MAE ° | debiased gap MAE ° | accel err °/s² "
             "| ratio | lag fr | MPJPE mm | "
             + " | ".join(f"debiased {c} °" for c in cols[1:]) + " |",
             "|---" * (9 + len(cols) - 1) + "|"]  # fmt: skip
    for n in names:
        r = res[n]
        lines.append(
            f"| {n} | {r['mae_deg']['mean']:.2f} | {r['mae_debiased_deg']['mean']:.2f} | "
            f"{r['gap_mae_deg']['mean']:.2f} | {r['gap_mae_debiased_deg']['mean']:.2f} | "
            f"{r['accel_err_deg_s2']:.0f} | "
            f"{r['accel_ratio_to_per_frame']:.2f} | {r['lag_frames']:+.2f} | {r['mpjpe_mm']:.1f} | "
            + " | ".join(f"{r['mae_debiased_deg'][c]:.2f}" for c in cols[1:]) + " |"
        )  # fmt: skip
    return "\n".join(lines) + "\n"


def targets(res: dict) -> dict:
    best_filter = min(res["savgol"]["mae_deg"]["mean"], res["one_euro"]["mae_deg"]["mean"])
    g = res["gcn_lstm_bidir"]
    return {
        "best_filter_mae_deg": best_filter,
        "gcn_lstm_bidir_mae_deg": g["mae_deg"]["mean"],
        "beats_best_filter": bool(g["mae_deg"]["mean"] < best_filter),
        "accel_ratio": g["accel_ratio_to_per_frame"],
        "accel_ratio_le_0_40": bool(g["accel_ratio_to_per_frame"] <= 0.40),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sequences", type=int, default=150, help="held-out noise-model sequences")
    p.add_argument("--tune-sequences", type=int, default=60, help="training-side, for tuning")
    p.add_argument("--real", type=int, default=6, help="held-out rendered bends")
    p.add_argument("--real-fps", type=float, default=15.0)
    p.add_argument("--reuse-real", action="store_true", help="reuse the cached held-out renders")
    p.add_argument("--out", type=Path, default=RESULTS / "bench_temporal.json")
    args = p.parse_args()
    torch.set_num_threads(1)
    noise = load_noise()
    load_temporal_model()  # fail early if the weights are missing
    t0 = time.perf_counter()
    # (a) noise model
    tune_a = synthetic_set(range(800_000, 800_000 + args.tune_sequences), noise,
                           age=TRAIN_AGE, bmi=TRAIN_BMI)  # fmt: skip
    sg_a, oe_a, grid_a = tune(tune_a)
    test_a = synthetic_set(range(HELD_OUT_SEED_START + 1000,
                                 HELD_OUT_SEED_START + 1000 + args.sequences), noise,
                           age=HELD_OUT_AGE, bmi=HELD_OUT_BMI)  # fmt: skip
    res_a = evaluate(test_a, methods(sg_a, oe_a))
    print(table(res_a, "(a) noise model"), flush=True)
    # (b) real per-frame estimates
    tune_b = prepare_real(real_set(args, heldout=False), 1)
    sg_b, oe_b, grid_b = tune(tune_b)
    test_b = prepare_real(real_set(args, heldout=True), 2)
    res_b = evaluate(test_b, methods(sg_b, oe_b))
    print(table(res_b, "(b) real MediaPipe + per-frame fit"), flush=True)
    spd = speed()
    result = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "seconds": time.perf_counter() - t0,
        "noise_model": {"tuned_savgol": sg_a, "tuned_one_euro": oe_a, "results": res_a,
                        "targets": targets(res_a), "frames": int(sum(len(r["truth"])
                                                                     for r in test_a))},
        "real": {"tuned_savgol": sg_b, "tuned_one_euro": oe_b, "results": res_b,
                 "targets": targets(res_b),
                 "sequences": [{"seed": int(r["seed"]), "movement": r["movement"],
                                "frames": len(r["truth"])} for r in test_b]},
        "tuning_grids": {"noise_model": grid_a, "real": grid_b},
        "speed": spd,
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    md = ("# bench_temporal\n\nAngles in degrees, acceleration error in deg/s², lag in frames "
          "(+ = output lags), ratio = accel error / per-frame's.\n\n"
          f"Savitzky–Golay / One-Euro tuned on training data: (a) {sg_a} / {oe_a}; "
          f"(b) {sg_b} / {oe_b}.\n\n" + table(res_a, "(a) noise model, held out")
          + f"\ntargets: {targets(res_a)}\n\n" + table(res_b, "(b) real, held out")
          + f"\ntargets: {targets(res_b)}\n\nspeed (frames/s): "
          + json.dumps({k: round(v) for k, v in spd.items()}) + "\n")  # fmt: skip
    args.out.with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
