"""Measure the per-frame estimator's noise, then train the GCN+LSTM temporal model on it.

Two steps, both reproducible from fixed seeds:

1. ``--measure-noise``: render a few *training-side* synthetic sequences (random subject,
   forward/backward bend or gait, random side camera, clothes, background, lighting), run the
   real MediaPipe landmarker (VIDEO mode, masks) and the model-based per-frame fit
   (:func:`humanmovenet.reconstruct.fit.fit_frames` with ``smooth_weight=0``, so every frame is
   estimated on its own; or, with ``--noise-source regressor``, the default pipeline's learned
   per-frame regressor, ``reconstruct_spine(..., temporal=False)``, i.e. exactly what the
   GCN+LSTM is fed at run time), compare with the commanded angles and fit the noise model
   (:func:`fit_noise_model`): per-sequence bias, a slow AR(1) error with a time constant, white
   jitter with a heavy-tailed outlier mixture, and MediaPipe's dropout rate. Writes
   ``weights/temporal_noise.json``.
2. training (default): draws ground-truth angle trajectories from the synthetic engine
   (``synth.subject.sample_subject`` + ``synth.motion.generate_motion``; no rendering), corrupts
   them with the measured noise model plus NaN dropouts of 1–10 frames, and trains a
   bidirectional and a causal :class:`~humanmovenet.reconstruct.temporal.TemporalGCNLSTM` to
   recover the truth. Writes ``weights/temporal_gcn_lstm.pt`` (both state dicts + metadata).

3. ``--build-real-pairs``: *real pairs* — the shipped per-frame regressor's output on real
   MediaPipe of rendered bends → the true angles. The renders are the classifier's cached
   training subjects (``train_classifier_video``: ``train_seed7000_fps8_s384``, 150 subjects ×
   forward/backward bend, ``SeedSequence([7000, i])``); the per-frame estimate is
   ``reconstruct_spine(kp, sil, body, temporal=False)`` (exactly the GCN+LSTM's run-time
   input) and the truth :func:`humanmovenet.train.train_regressor.sequence_targets` of the
   re-generated posed sequence (the regressor's own targets, i.e. the convention the temporal
   model outputs), checked against the cached ground-truth spine. Cached in one NPZ
   (:data:`REAL_PAIRS`). ``--real-pairs FILE --real-fraction 0.5`` then mixes such windows into
   every batch (:func:`sample_real_window`: the truth re-aligned to the estimate on the true
   standing frames, since every reported angle is a change from standing; the same random
   offset and dropout augmentation as the synthetic windows); ``--init FILE`` fine-tunes a
   trained model instead of starting from scratch.

Training subjects use seeds ``< HELD_OUT_SEED_START`` and age 20–65 y, BMI 18–31; the benchmark
(``benchmarks/bench_temporal.py``) uses seeds ≥ ``HELD_OUT_SEED_START`` and the shifted ranges
:data:`HELD_OUT_AGE`, :data:`HELD_OUT_BMI`.

Run::

    python -m humanmovenet.train.train_temporal --measure-noise      # ~5 min, renders
    python -m humanmovenet.train.train_temporal                      # ~10 min on 2 cores
    python -m humanmovenet.train.train_temporal --resume             # continue a checkpoint
    python -m humanmovenet.train.train_temporal --build-real-pairs   # ~10 min, no rendering
    python -m humanmovenet.train.train_temporal --real-pairs benchmarks/results/temporal_real_pairs.npz \
        --real-fraction 0.5 --out benchmarks/results/temporal_real.pt
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from humanmovenet._atomic import atomic_open
from humanmovenet.reconstruct.fit import ANGLE_NAMES
from humanmovenet.synth.motion import generate_motion
from humanmovenet.synth.subject import sample_subject

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "weights" / "temporal_gcn_lstm.pt"
NOISE_JSON = ROOT / "weights" / "temporal_noise.json"
#: Default cache of the real (regressor output → truth) pairs.
REAL_PAIRS = ROOT / "benchmarks" / "results" / "temporal_real_pairs.npz"
#: The classifier's cached training renders (2D results + true spines) the real pairs come from.
REAL_PAIRS_2D = (Path.home() / ".cache" / "humanmovenet" / "bench_classify_video"
                 / "train_seed7000_fps8_s384")  # fmt: skip
#: Real-pair clips are resampled to this frame rate (the renders are 8 fps, below the trained
#: 10–30 fps; the validation bends and the suite run at 10 fps).
REAL_FPS = 10.0
#: Real-pair subjects with ``i % REAL_VAL_EVERY == REAL_VAL_EVERY - 1`` are kept out of training
#: (the validation loss of the real windows).
REAL_VAL_EVERY = 10

#: Seeds at and above this are never used for training (benchmarks draw from here on).
HELD_OUT_SEED_START = 900_000
TRAIN_AGE = (20.0, 65.0)
TRAIN_BMI = (18.0, 31.0)
#: Shifted shape ranges of the held-out subjects.
HELD_OUT_AGE = (60.0, 85.0)
HELD_OUT_BMI = (29.0, 38.0)
#: Movements (and their sampling weights) of the training trajectories.
TRAIN_MOVEMENTS = (
    ("forward_bend", 0.3),
    ("backward_bend", 0.25),
    ("gait", 0.25),
    ("lateral_bend", 0.1),
    ("standing", 0.1),
)
#: Frame rates seen in training (the model also gets 1/fps as an input).
TRAIN_FPS = (10.0, 15.0, 20.0, 25.0, 30.0)
A = len(ANGLE_NAMES)


# --------------------------------------------------------------------------- ground truth


def truth_angles(motion, arm_adduction: float = 0.0) -> np.ndarray:
    """The commanded angles of a synthetic motion in :data:`ANGLE_NAMES` order (radians).

    pelvis_tilt is the change from the subject's standing tilt (the fit's pelvis is relative
    to the body's neutral, which is the standing posture); arm_adduction is a per-sequence
    constant (the synthetic engine keeps the arms' abduction fixed).

    Shapes:
        → (T, 12).
    """
    cols = [
        motion.pelvis_tilt - motion.standing_pelvic_tilt,
        motion.lumbar_flexion,
        motion.thoracic_flexion,
        motion.hip_flexion_left,
        motion.hip_flexion_right,
        motion.knee_flexion_left,
        motion.knee_flexion_right,
        motion.shoulder_flexion_left,
        motion.shoulder_flexion_right,
        motion.elbow_flexion_left,
        motion.elbow_flexion_right,
        np.full(len(motion.time), arm_adduction),
    ]
    return np.stack(cols, -1).astype(np.float64)


# --------------------------------------------------------------------------- real per-frame estimates


def render_per_frame(
    body,
    renderer,
    seed: int,
    movement: str,
    fps: float,
    *,
    size: int = 512,
    age_range: tuple[float, float] = TRAIN_AGE,
    bmi_range: tuple[float, float] = TRAIN_BMI,
    iterations: int = 250,
    source: str = "fit",
) -> dict[str, np.ndarray | float | str | int]:
    """Render one synthetic sequence, run MediaPipe and the per-frame fit (no smoothing).

    ``source`` picks the per-frame estimator: ``"fit"`` = ``fit_frames(smooth_weight=0)``
    (average body shape); ``"regressor"`` = the default pipeline without the temporal model,
    ``reconstruct_spine(kp, sil, body, temporal=False)`` (learned shape, learned per-frame
    regressor), whose FrameFit angles are the GCN+LSTM's run-time input.

    Returns a dict with ``truth`` (T, 12) commanded angles, ``estimate`` (T, 12) fitted angles
    (NaN where MediaPipe missed the person), ``confidence`` (T,) mean landmark visibility,
    ``fps``, ``movement``, ``seed`` and timings.
    """
    from humanmovenet.io.video import Frame
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.reconstruct.fit import FitConfig, fit_frames
    from humanmovenet.synth.appearance import sample_scene
    from humanmovenet.synth.camera import sample_side_camera
    from humanmovenet.synth.sequence import pose_sequence

    rng = np.random.default_rng(seed)
    subject = sample_subject(rng, age_range=age_range, bmi_range=bmi_range)
    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    camera = sample_side_camera(rng, posed.vertices, image_size=(size, size))
    scene = sample_scene(rng, body, subject.sliders, size, size, avoid_camouflage=False)
    faces = body.faces.numpy()
    t0 = time.perf_counter()
    rgb = [renderer.render(v, faces, camera, scene.colors, scene.background, scene.lighting,
                           with_depth=False).rgb for v in posed.vertices]  # fmt: skip
    t_render = time.perf_counter() - t0
    frames = [Frame(t, t / fps, im) for t, im in enumerate(rgb)]
    t0 = time.perf_counter()
    pose = estimate_pose(frames, PoseConfig(mask_scale=0.5))
    t_mp = time.perf_counter() - t0
    kp, sil = pose.keypoints, pose.silhouettes
    t0 = time.perf_counter()
    if source == "regressor":
        from humanmovenet.reconstruct import reconstruct_spine

        _spine, fit, _static = reconstruct_spine(kp, sil, body, temporal=False)
    elif source == "fit":
        fit = fit_frames(kp, sil, body, None, FitConfig(iterations=iterations, smooth_weight=0.0))
    else:
        raise ValueError(f"source must be 'fit' or 'regressor', got {source!r}.")
    t_fit = time.perf_counter() - t0
    est = fit.angles.copy()
    est[~np.asarray(kp.detected, bool)] = np.nan
    return {
        "truth": truth_angles(motion),
        "estimate": est,
        "confidence": np.where(kp.detected, fit.visibility, 0.0),
        "fps": float(fps),
        "movement": movement,
        "seed": int(seed),
        "seconds_render": t_render,
        "seconds_mediapipe": t_mp,
        "seconds_fit": t_fit,
    }


def render_many(specs, fps: float, *, age_range, bmi_range, size: int = 512, iterations: int = 250,
                source: str = "fit"):  # fmt: skip
    """:func:`render_per_frame` over ``specs`` = [(seed, movement), ...] with one renderer."""
    from humanmovenet.body import create
    from humanmovenet.synth.render import Renderer

    body = create("anny")
    out = []
    with Renderer(size, size) as renderer:
        for seed, movement in specs:
            rec = render_per_frame(body, renderer, seed, movement, fps, size=size,
                                   age_range=age_range, bmi_range=bmi_range,
                                   iterations=iterations, source=source)  # fmt: skip
            err = np.degrees(np.nanmean(np.abs(rec["estimate"] - rec["truth"]), 0))
            print(f"seed {seed} {movement}: {len(rec['truth'])} frames, "
                  f"missed {int(np.isnan(rec['estimate'][:, 0]).sum())}, "
                  f"raw MAE deg {np.round(err, 1).tolist()}", flush=True)  # fmt: skip
            out.append(rec)
    return out


def save_records(path: Path, records) -> None:
    """Write per-frame records (see :func:`render_per_frame`) to one NPZ."""
    arrays = {}
    for i, r in enumerate(records):
        for k, v in r.items():
            arrays[f"{i}/{k}"] = np.asarray(v)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def load_records(path: Path) -> list[dict]:
    """Inverse of :func:`save_records`."""
    with np.load(path) as z:
        n = 1 + max(int(k.split("/")[0]) for k in z.files)
        recs = [{} for _ in range(n)]
        for k in z.files:
            i, name = k.split("/", 1)
            v = z[k]
            recs[int(i)][name] = v.item() if v.ndim == 0 else v
    return recs


# --------------------------------------------------------------------------- noise model


@dataclass(frozen=True)
class NoiseModel:
    """Measured error model of a per-frame angle estimator (radians, seconds).

    error(t) = bias + slow(t) + white(t), per angle, with

    * bias ~ N(bias_mean, bias_std²) per sequence;
    * slow: AR(1) in continuous time, std ``slow_std``, time constant ``slow_tau_s``;
    * white: N(0, white_std²), and with probability ``outlier_rate`` per frame and angle an
      outlier N(0, outlier_std²) instead;
    * dropouts: runs of NaN frames (all angles), ``dropout_rate`` starts per frame, lengths
      uniform 1–``max_gap`` frames (training adds them at a fixed, larger rate too).

    Shapes:
        every per-angle field: (12,).
    """

    bias_mean: np.ndarray
    bias_std: np.ndarray
    slow_std: np.ndarray
    slow_tau_s: np.ndarray
    white_std: np.ndarray
    outlier_rate: np.ndarray
    outlier_std: np.ndarray
    dropout_rate: float

    def to_json(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                for k, v in self.__dict__.items()}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> NoiseModel:
        return cls(**{k: (np.asarray(v, float) if isinstance(v, list) else float(v))
                      for k, v in d.items() if k in cls.__dataclass_fields__})  # fmt: skip

    def sample(self, truth: np.ndarray, fps: float, rng: np.random.Generator,
               scale: float = 1.0) -> np.ndarray:  # fmt: skip
        """Noisy copy of ``truth`` (T, 12) at ``fps``; ``scale`` multiplies every std."""
        t = truth.shape[0]
        bias = rng.normal(self.bias_mean * 0.0, self.bias_std * scale)
        rho = np.exp(-1.0 / (fps * self.slow_tau_s))
        innov = rng.normal(size=(t, A)) * self.slow_std * scale * np.sqrt(1 - rho**2)
        slow = np.empty((t, A))
        slow[0] = rng.normal(size=A) * self.slow_std * scale
        for i in range(1, t):
            slow[i] = rho * slow[i - 1] + innov[i]
        white = rng.normal(size=(t, A)) * self.white_std * scale
        out = rng.random((t, A)) < self.outlier_rate
        white[out] = rng.normal(size=int(out.sum())) * np.broadcast_to(self.outlier_std,
                                                                       (t, A))[out] * scale  # fmt: skip
        return truth + bias + slow + white


def _ar1_tau(x: np.ndarray, fps: float) -> float:
    """Time constant (s) of an AR(1) fit to a zero-mean series (lag-1 autocorrelation)."""
    x = x - x.mean()
    rho = float(np.clip((x[1:] * x[:-1]).sum() / max((x * x).sum(), 1e-12), 0.05, 0.995))
    return -1.0 / (fps * math.log(rho))


def fit_noise_model(records) -> tuple[NoiseModel, dict]:
    """Fit :class:`NoiseModel` to per-frame estimates against the truth.

    Method, per angle: error e = estimate − truth over the detected frames; bias = each
    sequence's median error; the white part is e minus a centred 5-frame running median of
    e (a median follows the slow error but not single-frame jitter). Identical rendered frames
    (the holds of a bend) give identical fits, so the white part is ~0 when the body is still;
    its statistics are taken over the *moving* frames only (truth speed > 0.1 rad/s in any
    angle), which makes the model's jitter level that of motion: std from the MAD ×1.4826
    (robust), outliers = white residuals beyond 4 robust stds (rate and RMS). The slow part is
    the running median minus the bias: its std, and its AR(1) time constant from the lag-1
    autocorrelation (median over sequences).

    Returns:
        (model, diagnostics dict with the raw per-sequence numbers).
    """
    from scipy.ndimage import median_filter

    if not records:
        raise ValueError("fit_noise_model needs at least one record.")

    biases, whites, slows, taus = [], [], [], []
    drop_frames, total_frames, drop_starts = 0, 0, 0
    for r in records:
        est, truth, fps = np.asarray(r["estimate"]), np.asarray(r["truth"]), float(r["fps"])
        ok = np.isfinite(est).all(1)
        total_frames += len(ok)
        drop_frames += int((~ok).sum())
        drop_starts += int(((~ok[1:]) & ok[:-1]).sum() + (~ok[0]))
        e = (est - truth)[ok]
        bias = np.median(e, 0)
        med = median_filter(e, size=(5, 1), mode="nearest")
        biases.append(bias)
        speed = np.abs(np.gradient(truth, axis=0)).max(1)[ok] * fps
        whites.append((e - med)[speed > 0.1])
        slow = med - bias
        slows.append(slow)
        taus.append([_ar1_tau(slow[:, a], fps) for a in range(A)])
    white = np.concatenate(whites)
    robust = 1.4826 * np.median(np.abs(white), 0)
    robust = np.maximum(robust, np.radians(0.05))
    big = np.abs(white) > 4 * robust
    rate = big.mean(0)
    out_std = np.array([np.sqrt(np.mean(white[big[:, a], a] ** 2)) if big[:, a].any() else
                        4 * robust[a] for a in range(A)])  # fmt: skip
    slow_all = np.concatenate(slows)
    bias_arr = np.stack(biases)
    model = NoiseModel(
        bias_mean=bias_arr.mean(0),
        bias_std=np.sqrt((bias_arr**2).mean(0)),  # RMS about zero: the offset a model must ignore
        slow_std=slow_all.std(0),
        slow_tau_s=np.median(np.asarray(taus), 0),
        white_std=robust,
        outlier_rate=rate,
        outlier_std=out_std,
        dropout_rate=drop_starts / max(total_frames, 1),
    )
    diag = {
        "sequences": [{"seed": int(r["seed"]), "movement": str(r["movement"]),
                       "frames": int(len(r["truth"])), "fps": float(r["fps"])}
                      for r in records],  # fmt: skip
        "dropped_frames": drop_frames,
        "total_frames": total_frames,
        "per_sequence_bias_deg": np.degrees(bias_arr).round(2).tolist(),
        "raw_error_mae_deg": np.round(np.degrees(np.nanmean(np.abs(np.concatenate(
            [np.asarray(r["estimate"]) - np.asarray(r["truth"]) for r in records])), 0)), 2)
        .tolist(),
    }  # fmt: skip
    return model, diag


def load_noise(path: Path = NOISE_JSON) -> NoiseModel:
    """The measured noise model from ``weights/temporal_noise.json``."""
    return NoiseModel.from_json(json.loads(Path(path).read_text())["model"])


# --------------------------------------------------------------------------- real pairs


def _parse_2d_folder(folder: Path) -> tuple[int, float]:
    """(subject seed, fps) of a ``train_classifier_video`` 2D cache folder name.

    Only a *training* folder (``train_seed<seed>_fps<fps>_s<size>``) is accepted: the
    classifier's held-out subjects (``test_…``) must stay unseen.
    """
    import re

    m = re.fullmatch(r"train_seed(\d+)_fps([0-9.]+)_s(\d+)", Path(folder).name)
    if m is None:
        raise ValueError(
            f"{folder}: expected a train_classifier_video training cache folder named "
            "train_seed<seed>_fps<fps>_s<size> (held-out test_… folders are refused); run "
            "`python -m humanmovenet.train.train_classifier_video` to make it."
        )
    return int(m.group(1)), float(m.group(2))


def real_pair(body, folder: Path, seed: int, index: int, movement: str, fps: float) -> dict:
    """One real pair: the regressor's per-frame angles and the truth of one cached render.

    The subject and motion are re-generated exactly as ``train_classifier_video.build`` drew
    them (``SeedSequence([seed, i])`` with phenotype ``PHENOTYPE_LABELS[i % 3]``; the bend from
    ``SeedSequence([seed, i, 1 + len(movement)])``), posed, and checked against the cached
    ground-truth spine (vertebra frames within 1e-4).

    Returns:
        ``estimate`` (T, 12) radians, NaN where MediaPipe missed the person; ``confidence``
        (T,); ``truth`` (T, 12) (:func:`train_regressor.sequence_targets`); ``standing`` (T,)
        bool, the true standing phase; ``fps``, ``movement``, ``index``.

    Raises:
        ValueError: the re-generated motion does not match the cached truth.
    """
    from humanmovenet.io.arrays import load_keypoints, load_silhouettes
    from humanmovenet.io.export_npz import load_dynamic_spine
    from humanmovenet.reconstruct import reconstruct_spine
    from humanmovenet.synth.sequence import pose_sequence
    from humanmovenet.train.train_regressor import sequence_targets
    from humanmovenet.types import PHENOTYPE_LABELS, MovementPhase

    stem = Path(folder) / f"{index:04d}_{movement}"
    kp = load_keypoints(f"{stem}_kp.npz")
    sil = load_silhouettes(f"{stem}_sil.npz")
    truth_spine = load_dynamic_spine(f"{stem}_truth.npz")
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    subject = sample_subject(rng, phenotype=PHENOTYPE_LABELS[index % len(PHENOTYPE_LABELS)])
    mv_rng = np.random.default_rng(np.random.SeedSequence([seed, index, 1 + len(movement)]))
    motion = generate_motion(subject, movement, mv_rng, fps=fps)
    posed = pose_sequence(subject, motion, body)
    dev = float(np.abs(np.asarray(posed.vertebra_frames) - truth_spine.frames).max())
    if posed.num_frames != kp.num_frames or dev > 1e-4:
        raise ValueError(
            f"{stem}: the re-generated motion does not match the cached truth (frames "
            f"{posed.num_frames} vs {kp.num_frames}, max frame deviation {dev:.2g}); was the "
            "cache made with another seed or synth version?"
        )
    truth, _residual = sequence_targets(posed, body)
    _spine, fit, _static = reconstruct_spine(kp, sil, body, temporal=False)
    est = np.asarray(fit.angles, dtype=np.float64).copy()
    detected = np.asarray(kp.detected, bool)
    est[~detected] = np.nan
    conf = np.where(detected, np.clip(np.nan_to_num(fit.visibility, nan=0.0), 0.0, 1.0), 0.0)
    return {
        "estimate": est,
        "confidence": conf,
        "truth": np.asarray(truth, dtype=np.float64),
        "standing": np.asarray(motion.phase) == int(MovementPhase.STANDING),
        "fps": float(fps),
        "movement": movement,
        "index": int(index),
    }


def build_real_pairs(folder: Path = REAL_PAIRS_2D, out: Path = REAL_PAIRS) -> list[dict]:
    """:func:`real_pair` for every cached subject and bend of ``folder``; writes ``out`` (NPZ).

    Resumable: pairs already in ``out`` are kept (it is rewritten every 20 clips).
    """
    from tqdm import tqdm

    from humanmovenet.body import create

    torch.set_num_threads(1)
    seed, fps = _parse_2d_folder(folder)
    stems = sorted(p.name[: -len("_kp.npz")] for p in Path(folder).glob("*_kp.npz"))
    if not stems:
        raise ValueError(f"{folder}: no *_kp.npz renders found.")
    done = load_records(out) if Path(out).is_file() else []
    have = {(int(r["index"]), str(r["movement"])) for r in done}
    body = create("anny")
    records = list(done)
    for n, stem in enumerate(tqdm(stems, desc="real pairs", unit="clip")):
        index, movement = int(stem[:4]), stem[5:]
        if (index, movement) in have:
            continue
        records.append(real_pair(body, folder, seed, index, movement, fps))
        if n % 20 == 19:
            save_records(out, records)
    save_records(out, records)
    err = np.concatenate([r["estimate"] - r["truth"] for r in records])
    print(f"wrote {out}: {len(records)} clips, {len(err)} frames; per-frame MAE deg "
          f"{np.round(np.degrees(np.nanmean(np.abs(err), 0)), 2).tolist()}")  # fmt: skip
    return records


def prepare_real(records, fps: float = REAL_FPS) -> list[dict]:
    """Real pairs resampled to ``fps`` with the truth aligned on the true standing frames.

    Every angle humanmovenet reports is a change from the standing frames, so the per-clip
    offset between estimate and truth is irrelevant: the target is ``truth + mean over the
    standing frames of (estimate − truth)`` per angle (the whole clip's median error if no
    standing frame was observed). What is left for the model is the error's change during
    the movement — the regressor's pose-dependent bias and its jitter.

    Shapes:
        each returned record: ``estimate``, ``target`` (T', 12), ``confidence`` (T',).
    """
    from humanmovenet.reconstruct.temporal import _resample  # the run-time resampling

    out = []
    for r in records:
        est, truth = np.asarray(r["estimate"], float), np.asarray(r["truth"], float)
        standing = np.asarray(r["standing"], bool)
        err = est - truth
        ok = standing & np.isfinite(err).all(1)
        off = err[ok].mean(0) if ok.any() else np.nanmedian(err, 0)
        n_out = int(round((len(est) - 1) * fps / float(r["fps"]))) + 1
        out.append({
            "estimate": _resample(est, n_out),
            "target": _resample(truth + off, n_out),
            "confidence": _resample(np.asarray(r["confidence"], float)[:, None], n_out)[:, 0],
            "index": int(r["index"]),
            "movement": str(r["movement"]),
        })  # fmt: skip
    return out


def sample_real_window(rec: dict, rng: np.random.Generator, length: int, fps: float = REAL_FPS):
    """One training window from a prepared real pair (:func:`prepare_real`).

    The clip is cropped to ``length`` frames at a random start, or padded by holding its last
    frame (a person standing still afterwards); both estimate and target get the same random
    constant offset per angle (±0.3 rad) as the synthetic windows, and the estimate the same
    NaN dropouts (start rate U(0, 0.04) per frame, 1–10 frames).

    Shapes:
        → noisy (L, 12) with NaN gaps, confidence (L, 12), target (L, 12), fps ().
    """
    est, tgt, conf = rec["estimate"].copy(), rec["target"].copy(), rec["confidence"].copy()
    t = len(est)
    if t < length:
        pad = length - t
        est = np.concatenate([est, np.repeat(est[-1:], pad, 0)])
        tgt = np.concatenate([tgt, np.repeat(tgt[-1:], pad, 0)])
        conf = np.concatenate([conf, np.repeat(conf[-1:], pad, 0)])
    start = int(rng.integers(0, len(est) - length + 1))
    sl = slice(start, start + length)
    offset = rng.uniform(-0.3, 0.3, size=A)
    noisy, target = est[sl] + offset, tgt[sl] + offset
    c = np.repeat(conf[sl, None], A, 1)
    add_dropouts(noisy, rng, rate=float(rng.uniform(0.0, 0.04)))
    bad = ~np.isfinite(noisy)
    noisy[bad] = np.nan
    c[bad] = 0.0
    return noisy, c, target, fps


def make_real_batch(records, rng: np.random.Generator, n: int, length: int):
    """``n`` windows of randomly drawn prepared real pairs as float32 tensors."""
    picks = rng.integers(0, len(records), size=n)
    pairs = [sample_real_window(records[int(i)], rng, length) for i in picks]
    xs, cs, ys, fs = zip(*pairs, strict=True)
    as_t = lambda a: torch.as_tensor(np.stack(a), dtype=torch.float32)  # noqa: E731
    return as_t(xs), as_t(cs), as_t(ys), torch.as_tensor(fs, dtype=torch.float32)


def split_real(records) -> tuple[list[dict], list[dict]]:
    """(training, validation) real pairs by subject (:data:`REAL_VAL_EVERY`)."""
    val = [r for r in records if int(r["index"]) % REAL_VAL_EVERY == REAL_VAL_EVERY - 1]
    train = [r for r in records if int(r["index"]) % REAL_VAL_EVERY != REAL_VAL_EVERY - 1]
    return train, val


# --------------------------------------------------------------------------- training data


def add_dropouts(x: np.ndarray, rng: np.random.Generator, rate: float, max_gap: int = 10):
    """NaN runs of 1–``max_gap`` frames starting with probability ``rate`` per frame (in place)."""
    t = x.shape[0]
    starts = np.flatnonzero(rng.random(t) < rate)
    for s in starts:
        x[s : s + int(rng.integers(1, max_gap + 1))] = np.nan
    return x


def sample_training_pair(seed: int, noise: NoiseModel, length: int,
                         age_range=TRAIN_AGE, bmi_range=TRAIN_BMI):  # fmt: skip
    """One (noisy input, confidence, truth, fps) training window from a seed.

    The truth gets a random constant offset per angle (±0.3 rad) so the model cannot rely
    on absolute levels; the noise is scaled by a random factor 0.3–1.3 per sequence, and 15 %
    of the windows are clean (scale 0) so the model learns to leave a clean signal alone.

    Shapes:
        → noisy (L, 12) with NaN gaps, confidence (L, 12), truth (L, 12), fps ().
    """
    rng = np.random.default_rng(seed)
    subject = sample_subject(rng, age_range=age_range, bmi_range=bmi_range)
    names = [m for m, _ in TRAIN_MOVEMENTS]
    weights = np.array([w for _, w in TRAIN_MOVEMENTS])
    movement = str(rng.choice(names, p=weights / weights.sum()))
    fps = float(rng.choice(TRAIN_FPS))
    kwargs = {"n_cycles": float(rng.uniform(3.0, 6.0))} if movement == "gait" else {}
    motion = generate_motion(subject, movement, rng, fps=fps, **kwargs)
    truth = truth_angles(motion, float(rng.uniform(0.2, 0.8)))
    if truth.shape[0] < length:  # pad with the last pose (a person standing still afterwards)
        truth = np.concatenate([truth, np.repeat(truth[-1:], length - truth.shape[0], 0)])
    start = int(rng.integers(0, truth.shape[0] - length + 1))
    truth = truth[start : start + length] + rng.uniform(-0.3, 0.3, size=A)
    scale = 0.0 if rng.random() < 0.15 else float(rng.uniform(0.3, 1.3))
    noisy = noise.sample(truth, fps, rng, scale=scale)
    conf = np.clip(rng.normal(0.9, 0.08, size=(length, 1)), 0.3, 1.0) * np.ones((1, A))
    add_dropouts(noisy, rng, rate=float(rng.uniform(0.0, 0.04)))
    conf[np.isnan(noisy)] = 0.0
    return noisy, conf, truth, fps


def make_batch(seeds, noise: NoiseModel, length: int):
    """Stacked :func:`sample_training_pair` windows as float32 tensors."""
    pairs = [sample_training_pair(int(s), noise, length) for s in seeds]
    xs, cs, ys, fs = zip(*pairs, strict=True)
    as_t = lambda a: torch.as_tensor(np.stack(a), dtype=torch.float32)  # noqa: E731
    return as_t(xs), as_t(cs), as_t(ys), torch.as_tensor(fs, dtype=torch.float32)


# --------------------------------------------------------------------------- training


def _loss(model, x, c, y, fps) -> torch.Tensor:
    """L1 on angles + L1 on per-second velocity and acceleration (against jitter).

    Frames with nothing observed yet (causal model, a leading gap) are left out.
    """
    from humanmovenet.reconstruct.temporal import prepare_inputs

    base, feats, known = prepare_inputs(x, c, fps, causal=model.causal, return_known=True)
    pred = base + model(feats)
    f = fps.reshape(-1, 1, 1)
    k = known.float()
    err = (pred - y) * k
    vel = (err[:, 1:] - err[:, :-1]) * f * k[:, 1:] * k[:, :-1]
    acc = (err[:, 2:] - 2 * err[:, 1:-1] + err[:, :-2]) * f**2 * k[:, 2:] * k[:, :-2]
    n = k.sum().clamp_min(1.0)
    return (err.abs().sum() + 0.05 * vel.abs().sum() + 0.002 * acc.abs().sum()) / n


def train(args) -> None:
    from tqdm import tqdm

    from humanmovenet.reconstruct.temporal import TemporalGCNLSTM

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    noise_doc = json.loads(Path(args.noise).read_text())
    noise = NoiseModel.from_json(noise_doc["model"])
    models = {"bidirectional": TemporalGCNLSTM(causal=False, hidden=args.hidden),
              "causal": TemporalGCNLSTM(causal=True, hidden=args.hidden)}  # fmt: skip
    if args.init:  # fine-tune a trained model (e.g. the shipped one)
        init = torch.load(args.init, map_location="cpu", weights_only=True)
        for k, m in models.items():
            m.load_state_dict(init[k])
        print(f"initialised from {args.init}")
    real_train, real_val, n_real = [], [], 0
    if args.real_pairs:
        if not 0.0 < args.real_fraction <= 1.0:
            raise ValueError(f"--real-fraction must be in (0, 1], got {args.real_fraction}.")
        real_train, real_val = split_real(prepare_real(load_records(Path(args.real_pairs))))
        n_real = int(round(args.batch * args.real_fraction))
        print(f"real pairs: {len(real_train)} training clips, {len(real_val)} validation clips, "
              f"{n_real} of {args.batch} windows per batch")  # fmt: skip
    params = [p for m in models.values() for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=0.1)  # fmt: skip
    step, history = 0, []
    ckpt = Path(args.checkpoint)
    if args.resume and ckpt.is_file():
        state = torch.load(ckpt, weights_only=True)
        for k, m in models.items():
            m.load_state_dict(state["models"][k])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step, history = int(state["step"]), list(state["history"])
        print(f"resumed at step {step}")
    # Validation: fixed training-side seeds not used by the batches (the batch seeds are
    # 1 + step * batch + i < 600_000; validation 700_000+).
    val = make_batch(range(700_000, 700_000 + 64), noise, args.length)
    vals_real = None
    if real_val:  # every held-out subject's clips, one fixed window each
        rng_val = np.random.default_rng([args.seed, 2])
        pairs = [sample_real_window(r, rng_val, args.length) for r in real_val]
        vals_real = tuple(torch.as_tensor(np.stack(a), dtype=torch.float32)
                          for a in zip(*pairs, strict=True))  # fmt: skip
    t0, start = time.perf_counter(), step
    bar = tqdm(range(step, args.steps), initial=step, total=args.steps, desc="temporal")
    for step in bar:
        seeds = [1 + step * args.batch + i for i in range(args.batch - n_real)]
        x, c, y, fps = make_batch(seeds, noise, args.length)
        if n_real:
            rng = np.random.default_rng([args.seed, 1, step])
            xr, cr, yr, fr = make_real_batch(real_train, rng, n_real, args.length)
            x, c, y, fps = (torch.cat(p) for p in ((x, xr), (c, cr), (y, yr), (fps, fr)))
        opt.zero_grad()
        loss = sum(_loss(m, x, c, y, fps) for m in models.values())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            with torch.no_grad():
                vals = {k: float(_loss(m, *val)) for k, m in models.items()}
                if vals_real is not None:
                    vals.update({f"real_{k}": float(_loss(m, *vals_real))
                                 for k, m in models.items()})  # fmt: skip
            history.append({"step": step + 1, "train_loss": float(loss.detach()), **vals})
            bar.set_postfix({k[:6]: f"{v:.4f}" for k, v in vals.items()})
            torch.save({"models": {k: m.state_dict() for k, m in models.items()},
                        "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": step + 1, "history": history}, ckpt)  # fmt: skip
    print(f"trained steps {start}–{args.steps} in {time.perf_counter() - t0:.0f} s this run")
    meta = {
        "angle_names": list(ANGLE_NAMES),
        "hidden": args.hidden,
        "train_fps": list(TRAIN_FPS),
        "seed": args.seed,
        "steps": args.steps,
        "batch": args.batch,
        "length": args.length,
        "train_age": list(TRAIN_AGE),
        "train_bmi": list(TRAIN_BMI),
        "noise_model": noise_doc["model"],
        "init": str(args.init) if args.init else None,
        "lr": args.lr,
        "real_pairs": None
        if not args.real_pairs
        else {
            "file": Path(args.real_pairs).name,
            "fraction": args.real_fraction,
            "windows_per_batch": n_real,
            "training_clips": len(real_train),
            "validation_clips": len(real_val),
            "what": "reconstruct_spine(temporal=False) angles on real MediaPipe of the "
            "classifier's training renders (train_classifier_video, SeedSequence([7000, i]), "
            "8 fps, 384 px, resampled to 10 fps) -> train_regressor.sequence_targets, truth "
            "aligned on the true standing frames; subjects i % 10 == 9 held out",
        },  # fmt: skip
        "history": history[-5:],
    }
    state = {
        "bidirectional": {k: v.clone() for k, v in models["bidirectional"].state_dict().items()},
        "causal": {k: v.clone() for k, v in models["causal"].state_dict().items()},
        "meta_json": json.dumps(meta),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out, "wb") as fh:
        torch.save(state, fh)
    from humanmovenet._paths import sha256_of

    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} kB, sha256 {sha256_of(out)})")


def measure(args) -> None:
    """Render training-side sequences, fit the noise model, write the JSON."""
    torch.set_num_threads(1)
    movements = ("forward_bend", "backward_bend", "gait")
    specs = [(args.noise_seed + i, movements[i % 3]) for i in range(args.noise_sequences)]
    suffix = "" if args.noise_source == "fit" else f"_{args.noise_source}"
    cache = ROOT / f"benchmarks/results/temporal_noise_sequences{suffix}.npz"
    if args.reuse_renders and cache.is_file():
        records = load_records(cache)
        print(f"reusing the per-frame estimates in {cache}")
    else:
        records = render_many(specs, args.noise_fps, age_range=TRAIN_AGE, bmi_range=TRAIN_BMI,
                              source=args.noise_source)  # fmt: skip
        save_records(cache, records)
    model, diag = fit_noise_model(records)
    estimator = {
        "fit": "fit_frames(smooth_weight=0, 250 iterations, average body shape)",
        "regressor": "reconstruct_spine(kp, sil, body, temporal=False) (learned shape + the "
        "learned per-frame regressor: the GCN+LSTM's run-time input)",
    }[args.noise_source]
    doc = {
        "how": "python -m humanmovenet.train.train_temporal --measure-noise "
        f"--noise-source {args.noise_source} "
        f"--noise-sequences {args.noise_sequences} --noise-fps {args.noise_fps} "
        f"--noise-seed {args.noise_seed}: anny renders 512x512 (random subject, side camera, "
        f"clothes, background, light), MediaPipe full (VIDEO mode), {estimator}, error = "
        "estimate - commanded angle; see fit_noise_model for the estimators. Radians and "
        "seconds.",
        "noise_source": args.noise_source,
        "angle_names": list(ANGLE_NAMES),
        "model": model.to_json(),
        "diagnostics": diag,
    }
    with atomic_open(Path(args.noise), "w") as fh:
        fh.write(json.dumps(doc, indent=1))
    deg = lambda v: np.round(np.degrees(v), 2).tolist()  # noqa: E731
    print("white std deg", deg(model.white_std))
    print("slow std deg", deg(model.slow_std), "tau s", np.round(model.slow_tau_s, 2).tolist())
    print("bias rms deg", deg(model.bias_std), "outlier rate", np.round(model.outlier_rate, 3))
    print("dropout rate", model.dropout_rate, "wrote", args.noise)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--measure-noise", action="store_true", help="render + fit the noise model")
    p.add_argument("--noise-sequences", type=int, default=6)
    p.add_argument("--noise-fps", type=float, default=15.0)
    p.add_argument("--noise-seed", type=int, default=500_000)
    p.add_argument(
        "--noise-source",
        choices=("fit", "regressor"),
        default="fit",
        help="--measure-noise: per-frame estimator to measure (fit = fit_frames(smooth_weight=0),"
        " the shipped noise model; regressor = the default pipeline's per-frame regressor, "
        "reconstruct_spine(temporal=False))",
    )
    p.add_argument(
        "--reuse-renders",
        action="store_true",
        help="--measure-noise: refit from the cached per-frame estimates",
    )
    p.add_argument("--noise", default=str(NOISE_JSON), help="noise-model JSON (read / written)")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--length", type=int, default=96, help="frames per training window")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1: on the shared 2-core machine 2 threads were ~10x "
        "slower for this small LSTM, measured under load)",
    )
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument(
        "--build-real-pairs",
        action="store_true",
        help="run the shipped per-frame regressor on the classifier's cached training renders "
        "(--real-pairs-2d) and cache (estimate, truth) pairs in --real-pairs",
    )
    p.add_argument("--real-pairs-2d", default=str(REAL_PAIRS_2D),
                   help="train_classifier_video 2D cache folder (train_seed…_fps…_s…)")  # fmt: skip
    p.add_argument("--real-pairs", default=None,
                   help=f"train with real pairs from this NPZ (made by --build-real-pairs; "
                   f"default file {REAL_PAIRS.relative_to(ROOT)})")  # fmt: skip
    p.add_argument("--real-fraction", type=float, default=0.5,
                   help="with --real-pairs: fraction of each batch's windows that are real pairs")  # fmt: skip
    p.add_argument("--init", default=None,
                   help="start from this temporal model file (fine-tuning) instead of scratch")  # fmt: skip
    p.add_argument("--checkpoint", default=str(ROOT / "benchmarks/results/temporal_ckpt.pt"))
    p.add_argument("--resume", action="store_true")
    p.add_argument("--out", default=str(WEIGHTS))
    args = p.parse_args(argv)
    if args.build_real_pairs:
        build_real_pairs(Path(args.real_pairs_2d), Path(args.real_pairs or REAL_PAIRS))
    elif args.measure_noise:
        measure(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
