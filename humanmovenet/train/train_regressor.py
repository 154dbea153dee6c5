"""Train the per-frame pose regressor (``humanmovenet.reconstruct.regress``) on synthetic data.

Data (cached, re-runnable: each sequence is one ``.npz`` in a folder keyed by the settings and
the sha256 of the synthetic-engine sources, so a change of ``synth/`` regenerates it):

1. a subject (``synth.subject.sample_subject``, training BMI/age range), a movement (forward,
   backward and lateral bends, gait, standing), posed with ground truth
   (``synth.sequence.pose_sequence``);
2. a random side camera (``synth.camera.sample_side_camera``: yaw ±30°, pitch −8…12°, roll
   ±3°, distance 2–5 m) and a VTK render of the silhouette at a low resolution (192–320 px, the
   size of MediaPipe's masks at ``mask_scale=0.5``);
3. the projected ground-truth landmarks in MediaPipe's layout (``synth.landmarks``);
4. targets in the fit's parameterisation (:func:`sequence_targets`): pelvis tilt change,
   lumbar/thoracic bone flexion (+ the standing offsets of the subject's curves), hips and
   knees in the body's rest-relative convention, and the arm angles fitted to the true 3D arm
   joints; camera yaw and pitch in :func:`reconstruct.fit.side_camera_rotation`'s convention.

Training examples: each sequence is corrupted ``--draws`` times by the MEASURED MediaPipe noise
model (``synth.landmark_noise``, ``weights/landmark_noise.json``: correlated offsets and AR(2)
jitter, gross errors, left/right swaps, dropouts, visibilities) and the silhouette by a random
blur-and-threshold (softer, slightly eroded/dilated edges like MediaPipe's masks); the back
contour is then extracted from that silhouette with the noisy landmarks, exactly as at run time.

Two networks are trained with the same data and seed: with and without back-contour input.
``--dropout p`` adds dropout after every hidden layer in training (default 0, the shipped
model): without it the networks memorise the training subjects (training MAE pelvis 0.29°,
lumbar 0.65° vs 1.51° / 4.79° on the validation subjects). Dropout 0.2 with 500 sequences
improved the noise-model validation (pelvis 0.93° vs 1.11°, lumbar 2.61° vs 3.14° on seeds
10450–10499) but not clearly the real-MediaPipe bends (``docs/regressor.md``, "Retraining
attempts"), so the shipped model keeps the defaults.

Run (data: ~11 s per sequence on a busy shared machine, so generate it in shards in
parallel first; then features ~2 min and training ~2 × 3 min on one thread)::

    python -m humanmovenet.train.train_regressor --shard 0/2 &   # optional, parallel data
    python -m humanmovenet.train.train_regressor --shard 1/2; wait
    python -m humanmovenet.train.train_regressor --out weights/regressor_frame.pt

``--resume`` continues from the last checkpoint (``--checkpoint``). ``--data-key`` reuses a
cache folder made by earlier engine sources (only when the change is known not to alter the
data: ``0fc54144c2f5d853``, the shipped model's sequences, predates a speed-only change of
``spine/body.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
MOVEMENT_MIX = {"forward_bend": 0.32, "backward_bend": 0.24, "lateral_bend": 0.14, "gait": 0.2,
                "standing": 0.1}  # fmt: skip
TRAIN_BMI = (18.0, 31.0)
TRAIN_AGE = (20.0, 70.0)
_ARM_JOINTS = ("upperarm02.L", "lowerarm01.L", "lowerarm02.L", "wrist.L",
               "upperarm02.R", "lowerarm01.R", "lowerarm02.R", "wrist.R")  # fmt: skip
_DATA_VERSION = 1


# --------------------------------------------------------------------------- targets


def sequence_targets(posed, body, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth of a posed sequence in the fit's angles, and the check of that mapping.

    Pelvis: commanded tilt minus the standing tilt (the body's rest is the standing pelvis).
    Lumbar/thoracic: the measured L1–S1 / T1–T12 change plus ``posed.standing_spine_flexion``
    (the spine bones' standing offset from the template, when the engine has it). Hips and
    knees: the motion's anatomical angles converted to the rest-relative bone rotations the
    fit uses (``synth.sequence.rest_leg_angles``). Arms (shoulder, elbow flexion, adduction):
    the arms are set absolutely by the engine, so these five are fitted (L-BFGS, all frames
    at once) to the true 3D elbow/forearm/wrist joints with the rest held fixed.

    Returns:
        (angles (T, 12) radians, residual (T,) mm: mean distance over the SagittalBody's
        joints between the body posed with these angles and ``posed.joints``).
    """
    from humanmovenet.reconstruct.fit import SagittalBody
    from humanmovenet.synth.sequence import rest_leg_angles

    m = posed.motion
    layer = layer or SagittalBody(body, posed.betas, dtype=torch.float64)
    rest = body.rest_joints(torch.as_tensor(posed.betas, dtype=torch.float64).reshape(1, -1))[0]
    t = len(posed.joints)
    a = np.zeros((t, 12))
    ssf = getattr(posed, "standing_spine_flexion", (0.0, 0.0))
    a[:, 0] = m.pelvis_tilt - m.standing_pelvic_tilt
    a[:, 1] = posed.angles.lumbar_flexion + ssf[0]
    a[:, 2] = posed.angles.thoracic_flexion + ssf[1]
    for k, side in enumerate(("left", "right")):
        thigh0, shank0 = rest_leg_angles(body, rest, side)
        a[:, 3 + k] = getattr(m, f"hip_flexion_{side}") + thigh0
        a[:, 5 + k] = getattr(m, f"knee_flexion_{side}") + thigh0 - shank0
        a[:, 7 + k] = getattr(m, f"shoulder_flexion_{side}")
    a[:, 9:11], a[:, 11] = 0.2, 0.6
    names = [body.joint_names[i] for i in layer.sub_joints]
    idx = [names.index(n) for n in _ARM_JOINTS]
    base = torch.as_tensor(a)
    transl = torch.as_tensor(posed.transl)
    truth = torch.as_tensor(posed.joints)[:, layer.sub_joints]
    free = [7, 8, 9, 10, 11]
    x = base[:, free].clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=60, line_search_fn="strong_wolfe")

    def full() -> torch.Tensor:
        out = base.clone()
        out[:, free] = x
        return out

    def closure() -> torch.Tensor:
        opt.zero_grad()
        joints, _, _ = layer(full(), transl)
        loss = ((joints[:, idx] - truth[:, idx]) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        angles = full()
        joints, _, _ = layer(angles, transl)
        residual = 1000.0 * (joints - truth).norm(dim=-1).mean(-1)
    return angles.numpy(), residual.numpy()


def camera_targets(camera) -> tuple[int, float, float]:
    """(facing sign, yaw, pitch) of a synthetic camera in the fit's camera convention.

    The fit's rotation is ``base(sign) · Ry(yaw) · Rz(pitch)``; the render camera's roll
    (±3°) has no counterpart and is ignored.
    """
    from humanmovenet.synth.camera import side_view_angles

    sign = 1 if side_view_angles(camera).side == "right" else -1
    base = np.array([[0.0, 0.0, sign], [0.0, -1.0, 0.0], [sign, 0.0, 0.0]])
    m = base.T @ np.asarray(camera.R)
    yaw = math.atan2(m[0, 2], m[2, 2])
    pitch = math.asin(float(np.clip(m[1, 0], -1.0, 1.0)))
    return sign, yaw, pitch


# --------------------------------------------------------------------------- data


def source_key(settings: dict) -> str:
    """Cache key: the data settings and the sha256 of the synthetic engine's sources."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    synth = ROOT / "humanmovenet" / "synth"
    for name in ("sequence.py", "motion.py", "subject.py", "landmarks.py", "camera.py"):
        h.update((synth / name).read_bytes())
    h.update((ROOT / "humanmovenet" / "spine" / "body.py").read_bytes())
    return h.hexdigest()[:16]


def make_sequence(seed: int, body, renderer, settings: dict) -> dict[str, np.ndarray]:
    """One rendered synthetic sequence with targets (module docstring, steps 1–4).

    Args:
        seed: the only source of randomness.
        body: the anny body.
        renderer: a ``synth.render.Renderer``.
        settings: ``bmi``, ``age`` ranges, ``fps`` range, ``sizes`` (square image sides).

    Returns:
        Arrays: ``clean_2d`` (T, 33, 2) px, ``masks`` packed bits of (T, S, S), ``size``,
        ``targets`` (T, 12), ``residual_mm`` (T,), ``camera`` (sign, yaw, pitch),
        ``height_px``, ``near_side`` (0 left / 1 right), ``fps``, ``movement``, ``bmi``.
    """
    from humanmovenet.synth.camera import sample_side_camera, side_view_angles
    from humanmovenet.synth.landmarks import landmark_sources_for, mediapipe_landmarks_from_arrays
    from humanmovenet.synth.motion import generate_motion
    from humanmovenet.synth.sequence import pose_sequence
    from humanmovenet.synth.subject import sample_subject

    rng = np.random.default_rng(seed)
    subject = sample_subject(
        rng, age_range=tuple(settings["age"]), bmi_range=tuple(settings["bmi"])
    )
    names = list(MOVEMENT_MIX)
    movement = names[rng.choice(len(names), p=np.array(list(MOVEMENT_MIX.values())))]
    fps = float(rng.uniform(*settings["fps"]))
    motion = generate_motion(subject, movement, rng, fps=fps)
    posed = pose_sequence(subject, motion, body, keep_vertices=True)
    size = int(rng.choice(settings["sizes"]))
    step = max(1, len(posed.vertices) // 30)
    camera = sample_side_camera(rng, posed.vertices[::step, ::3].reshape(-1, 3),
                                image_size=(size, size))  # fmt: skip
    faces = body.faces.numpy()
    masks = np.stack([renderer.render(v, faces, camera, with_depth=False).silhouette
                      for v in posed.vertices])  # fmt: skip
    lm3d = mediapipe_landmarks_from_arrays(posed.vertices, posed.joints, landmark_sources_for(body))
    clean = camera.project(lm3d.reshape(-1, 3)).reshape(len(lm3d), -1, 2)
    uv0 = camera.project(posed.vertices[0][::5])
    targets, residual = sequence_targets(posed, body)
    sign, yaw, pitch = camera_targets(camera)
    return {
        "clean_2d": clean.astype(np.float32),
        "masks": np.packbits(masks, axis=-1),
        "size": np.array(size),
        "targets": targets.astype(np.float32),
        "residual_mm": residual.astype(np.float32),
        "camera": np.array([sign, yaw, pitch]),
        "height_px": np.array(float(np.ptp(uv0[:, 1]))),
        "near_side": np.array(int(side_view_angles(camera).side == "right")),
        "fps": np.array(fps),
        "movement": np.array(movement),
        "bmi": np.array(subject.bmi),
        "seed": np.array(seed),
    }


def generate_data(
    folder: Path, seeds: list[int], settings: dict, progress: bool = True
) -> list[Path]:
    """Make (or reuse) one cached ``.npz`` per seed in ``folder``; returns the files in order."""
    from tqdm import tqdm

    from humanmovenet.body import create
    from humanmovenet.synth.render import Renderer

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"seq_{s:06d}.npz" for s in seeds]
    todo = [(s, p) for s, p in zip(seeds, paths, strict=True) if not p.exists()]
    if todo:
        body = create("anny")
        with Renderer(256, 256) as renderer:
            for seed, path in tqdm(todo, desc="synthetic sequences", disable=not progress):
                arrays = make_sequence(seed, body, renderer, settings)
                tmp = path.with_suffix(".tmp.npz")
                np.savez_compressed(tmp, **arrays)
                tmp.replace(path)
    return paths


def _degrade_masks(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur-and-threshold: rounder, slightly grown or shrunk outlines (MediaPipe-like masks)."""
    from scipy.ndimage import uniform_filter

    if rng.random() < 0.3:
        return masks
    width = int(rng.choice([3, 5]))
    level = float(rng.uniform(0.3, 0.7))
    soft = uniform_filter(masks.astype(np.float32), size=(1, width, width))
    return soft > level


def draw_examples(
    rec: dict[str, np.ndarray], rng: np.random.Generator, noise, use_both: bool = True
) -> dict[str, np.ndarray]:
    """One noisy draw of a cached sequence → features (with / without contour) and targets.

    Returns:
        ``{"x_contour" (n, F1), "x_plain" (n, F2), "y" (n, 14) canonical, "frame" (n,)}`` over
        the frames whose trunk is visible.
    """
    from humanmovenet.reconstruct.contour import extract_back_contour
    from humanmovenet.reconstruct.regress import _OUT_MIRROR, frame_features
    from humanmovenet.types import Keypoints2D, Silhouettes

    clean = rec["clean_2d"].astype(np.float64)
    t, size = len(clean), int(rec["size"])
    sign = int(rec["camera"][0])
    face = "right" if sign > 0 else "left"
    near = "right" if int(rec["near_side"]) else "left"
    noisy = noise.apply(clean, float(rec["height_px"]), rng, near_side=near, facing=float(sign))
    fps = float(rec["fps"])
    kp = Keypoints2D(data=noisy, fps=fps, image_size=(size, size), frame_indices=np.arange(t),
                     detected=np.isfinite(noisy[..., 0]).all(-1), interpolated=np.zeros(t, bool))  # fmt: skip
    masks = np.unpackbits(rec["masks"], axis=-1, count=size).astype(bool)
    sil = Silhouettes(masks=_degrade_masks(masks, rng), fps=fps, image_size=(size, size))
    contour = extract_back_contour(sil, kp, facing=face)
    xc, ok, _ = frame_features(kp, contour, facing=face)
    xp, _, _ = frame_features(kp, None, facing=face, use_contour=False)
    y = np.concatenate([rec["targets"], np.broadcast_to(rec["camera"][1:], (t, 2))], -1)
    if sign < 0:
        y = y[:, _OUT_MIRROR].copy()
        y[:, -2:] = -y[:, -2:]
    return {"x_contour": xc[ok], "x_plain": xp[ok], "y": y[ok].astype(np.float32),
            "frame": np.flatnonzero(ok)}  # fmt: skip


def build_examples(paths: list[Path], draws: int, seed: int, progress: bool = True) -> dict:
    """Features of every sequence × draw, with the sequence index of each row."""
    from tqdm import tqdm

    from humanmovenet.synth.landmark_noise import LandmarkNoiseModel

    noise = LandmarkNoiseModel.load()
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {"x_contour": [], "x_plain": [], "y": [], "seq": []}
    for i, path in enumerate(tqdm(paths, desc="noisy draws", disable=not progress)):
        rec = dict(np.load(path))
        for _ in range(draws):
            ex = draw_examples(rec, rng, noise)
            for k in ("x_contour", "x_plain", "y"):
                out[k].append(ex[k])
            out["seq"].append(np.full(len(ex["y"]), i))
    return {k: np.concatenate(v) for k, v in out.items()}


# --------------------------------------------------------------------------- training

#: Loss weight per output (pelvis, lumbar, thoracic and hips count most).
LOSS_WEIGHTS = (3.0, 3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.3, 0.5, 0.5)


def _standardise(model, x: np.ndarray, y: np.ndarray) -> None:
    with torch.no_grad():
        model.x_mean.copy_(torch.from_numpy(x.mean(0)))
        model.x_std.copy_(torch.from_numpy(x.std(0) + 1e-3))
        model.y_mean.copy_(torch.from_numpy(y.mean(0)))
        model.y_std.copy_(torch.from_numpy(y.std(0) + 1e-3))


def _training_net(model, dropout: float) -> torch.nn.Module:
    """``model.net`` with dropout after every hidden activation, sharing its layers.

    The layers are the model's own modules, so the saved state dict (and the shipped file's
    format) is that of the plain :class:`FrameRegressor`; dropout acts only in training.
    """
    if dropout <= 0:
        return model.net
    layers: list[torch.nn.Module] = []
    for m in model.net:
        layers.append(m)
        if isinstance(m, torch.nn.SiLU):
            layers.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*layers)


def evaluate(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """MAE per output in degrees."""
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).numpy()
    return np.degrees(np.abs(pred - y).mean(0))


def train(args: argparse.Namespace) -> dict:
    from tqdm import tqdm

    from humanmovenet.reconstruct.regress import OUTPUT_NAMES, FrameRegressor, RegressorBundle

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    settings = {"bmi": list(TRAIN_BMI), "age": list(TRAIN_AGE), "fps": [3.0, 6.0],
                "sizes": [192, 256, 320], "version": _DATA_VERSION}  # fmt: skip
    key = args.data_key or source_key(settings)
    folder = Path(args.cache) / key
    seeds = list(range(args.seed_base, args.seed_base + args.sequences))
    t0 = time.perf_counter()
    if args.shard:
        index, count = (int(v) for v in args.shard.split("/"))
        generate_data(folder, seeds[index::count], settings)
        print(f"shard {args.shard} done: {folder}")
        return {}
    paths = generate_data(folder, seeds, settings)
    t_data = time.perf_counter() - t0
    feats_path = folder / f"examples_d{args.draws}_s{args.seed}_n{args.sequences}.npz"
    if feats_path.exists():
        data = dict(np.load(feats_path))
    else:
        data = build_examples(paths, args.draws, args.seed)
        np.savez(feats_path, **data)
    t_feats = time.perf_counter() - t0 - t_data
    residual = np.concatenate([np.load(p)["residual_mm"] for p in paths])
    n_val = max(1, int(round(args.val_fraction * len(paths))))
    val = data["seq"] >= len(paths) - n_val
    print(f"data: {len(paths)} sequences, {len(data['y'])} examples ({val.sum()} validation), "
          f"cache {folder}; target-mapping residual {residual.mean():.1f} mm mean")  # fmt: skip

    ckpt_path = Path(args.checkpoint)
    state = torch.load(ckpt_path, weights_only=True) if args.resume and ckpt_path.exists() else None
    run_id = (f"{key}/d{args.draws}/s{args.seed}/n{args.sequences}/e{args.epochs}/b{args.batch}"
              f"/h{args.hidden}x{args.depth}/p{args.dropout}")  # fmt: skip
    if state is not None and state.get("run") != run_id:
        raise SystemExit(
            f"--resume: the checkpoint {ckpt_path} belongs to run {state.get('run')!r}, not "
            f"{run_id!r} (data, draws, seed, sequences, epochs and batch must match); drop "
            "--resume to start afresh."
        )
    models, results = {}, {}
    weights = torch.tensor(LOSS_WEIGHTS)
    for name, xkey in (("contour", "x_contour"), ("no_contour", "x_plain")):
        x, y = data[xkey].astype(np.float32), data["y"].astype(np.float32)
        model = FrameRegressor(x.shape[1], args.hidden, args.depth)
        _standardise(model, x[~val], y[~val])
        net = _training_net(model, args.dropout)
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        steps_per_epoch = math.ceil((~val).sum() / args.batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch)  # fmt: skip
        start = 0
        if state is not None and name in state:
            model.load_state_dict(state[name]["model"])
            opt.load_state_dict(state[name]["opt"])
            sched.load_state_dict(state[name]["sched"])
            start = int(state[name]["epoch"])
        xt, yt = torch.from_numpy(x[~val]), torch.from_numpy(y[~val])
        gen = torch.Generator().manual_seed(args.seed)
        for _ in range(start):  # keep the shuffles of a resumed run identical
            torch.randperm(len(xt), generator=gen)
        bar = tqdm(range(start, args.epochs), desc=f"train {name}")
        for epoch in bar:
            net.train()
            perm = torch.randperm(len(xt), generator=gen)
            total = 0.0
            for lo in range(0, len(perm), args.batch):
                b = perm[lo : lo + args.batch]
                pred = net((xt[b] - model.x_mean) / model.x_std) * model.y_std + model.y_mean
                err = (pred - yt[b]) / model.y_std
                loss = (torch.nn.functional.smooth_l1_loss(err, torch.zeros_like(err), beta=0.1,
                                                           reduction="none") * weights).mean()  # fmt: skip
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(b)
            net.eval()
            if epoch % 5 == 4 or epoch == args.epochs - 1:
                mae = evaluate(model, x[val], y[val])
                bar.set_postfix(loss=total / len(xt), val_lumbar=mae[1], val_pelvis=mae[0])
            state = state or {"run": run_id}
            state[name] = {"model": model.state_dict(), "opt": opt.state_dict(),
                           "sched": sched.state_dict(), "epoch": epoch + 1}  # fmt: skip
            ckpt_path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(state, ckpt_path)
        model.eval()
        models[name] = model
        mae = evaluate(model, x[val], y[val])
        results[name] = {n: float(v) for n, v in zip(OUTPUT_NAMES, mae, strict=True)}
    t_train = time.perf_counter() - t0 - t_data - t_feats
    meta = {
        "seed": args.seed, "sequences": args.sequences, "seed_base": args.seed_base,
        "draws": args.draws, "examples": int(len(data["y"])), "validation_sequences": n_val,
        "train_bmi": json.dumps(TRAIN_BMI), "train_age": json.dumps(TRAIN_AGE),
        "movements": json.dumps(MOVEMENT_MIX), "data_key": key, "epochs": args.epochs,
        "hidden": args.hidden, "depth": args.depth, "dropout": args.dropout,
        "validation_mae_deg": json.dumps(results),
        "target_residual_mm": float(residual.mean()),
    }  # fmt: skip
    bundle = RegressorBundle(models, meta)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    bundle.save(out)
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    report = {"out": str(out), "sha256": sha, "bytes": out.stat().st_size, "meta": meta,
              "seconds": {"data": t_data, "features": t_feats, "train": t_train},
              "validation_mae_deg": results}  # fmt: skip
    print(json.dumps(report, indent=2))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "weights" / "regressor_frame.pt"))
    parser.add_argument("--cache", default=str(Path.home() / ".cache/humanmovenet/regressor"))
    parser.add_argument(
        "--checkpoint", default=str(Path.home() / ".cache/humanmovenet/regressor/ckpt.pt")
    )
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--sequences", type=int, default=300)
    parser.add_argument("--seed-base", type=int, default=10_000, help="first training seed")
    parser.add_argument("--draws", type=int, default=6, help="noise draws per sequence")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        help="dropout after each hidden layer in training (0 = none, the shipped model)",
    )
    parser.add_argument(
        "--data-key",
        default="",
        help="use this cache folder instead of the one keyed by the current synthetic-engine "
        "sources (e.g. after a change known not to alter the data); default: the current key",
    )
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--shard",
        default="",
        help="i/n: only generate every n-th sequence "
        "from the i-th (run n processes in parallel), then exit",
    )
    args = parser.parse_args(argv)
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
