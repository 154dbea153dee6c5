"""Temporal models vs classic filters on the validation bends: which GCN+LSTM to ship.

On the *validation* bends of ``bench_standing.py`` (seeds 950 000+, forward/backward alternating,
10 fps, 512 px; 2D results cached in ``~/.cache/humanmovenet/bench_standing``; never the suite's
960 000+, which is refused), every clip is reconstructed with the default learned pipeline
(``reconstruct_spine``) and scored exactly like ``benchmarks/run.py`` scores its rows:

* ``per_frame``: ``reconstruct_spine(..., temporal=False)`` (the regressor's per-frame output);
* ``per_frame+savgol`` / ``per_frame+butter`` / ``per_frame+one_euro``: ``run.savgol``,
  ``run.butter_lowpass`` and ``run.one_euro`` applied to ``per_frame``'s angle series;
* one row per ``--models NAME=PATH``: the full pipeline with that temporal model file
  (``$HUMANMOVENET_TEMPORAL``), e.g. the shipped one and a candidate.

Angle MAE (deg) of lumbar L1–S1, pelvic tilt, mean hip flexion and thoracic as changes from
the standing frames (``run.angle_maes``; the detected standing frames, the same for every row),
mean over clips with a percentile-bootstrap 95 % CI (``run.bootstrap_ci``), per movement, and
for every model row the paired per-clip differences (model − other row) with their bootstrap
CI. Run::

    python benchmarks/bench_temporal_real.py --clips 40 \\
        --models shipped=benchmarks/results/temporal_shipped.pt new=benchmarks/results/temporal_real.pt

→ ``benchmarks/results/bench_temporal_real.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_standing import DEFAULT_CACHE, clip  # noqa: E402
from benchmarks.run import (  # noqa: E402
    angle_maes,
    bootstrap_ci,
    butter_lowpass,
    one_euro,
    savgol,
    spine_angle_series,
)
from humanmovenet.body import create  # noqa: E402
from humanmovenet.reconstruct import FitConfig, reconstruct_spine, standing_frames  # noqa: E402

ANGLES = ("lumbar", "pelvis", "hip", "thoracic")
FILTERS = ("per_frame+savgol", "per_frame+butter", "per_frame+one_euro")
ENV = "HUMANMOVENET_TEMPORAL"


def _parse_models(items: list[str]) -> dict[str, Path]:
    models = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not Path(path).is_file():
            raise ValueError(f"--models: expected NAME=PATH of an existing file, got {item!r}.")
        models[name] = Path(path).resolve()
    return models


def score_clip(kp, sil, truth, body, models: dict[str, Path], fps: float, iterations: int):
    """{row: angle MAEs} of one clip (see the module docstring)."""
    config = FitConfig(iterations=iterations)
    standing = np.asarray(standing_frames(kp), dtype=bool)
    spine, fit, _ = reconstruct_spine(kp, sil, body, config=config, standing=standing,
                                      temporal=False)  # fmt: skip
    series = spine_angle_series(spine, fit)
    rows = {"per_frame": angle_maes(series, truth, standing)}
    for name, filt in zip(FILTERS, (savgol, lambda x: butter_lowpass(x, fps),
                                    lambda x: one_euro(x, fps)), strict=True):  # fmt: skip
        rows[name] = angle_maes({k: filt(v) for k, v in series.items()}, truth, standing)
    old = os.environ.get(ENV)
    try:
        for name, path in models.items():
            os.environ[ENV] = str(path)
            spine, fit, _ = reconstruct_spine(kp, sil, body, config=config, standing=standing)
            rows[name] = angle_maes(spine_angle_series(spine, fit), truth, standing)
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
    return rows


def summarise(clips: list[dict], models: list[str]) -> dict:
    """Means, bootstrap CIs, per-movement means and the models' paired differences."""
    names = list(clips[0]["rows"])
    out = {"rows": {}, "paired": {}}
    for name in names:
        s = {}
        for a in ANGLES:
            v = np.array([c["rows"][name][f"{a}_mae_deg"] for c in clips])
            s[f"{a}_mae_deg"] = float(np.nanmean(v))
            s[f"{a}_mae_deg_ci95"] = bootstrap_ci(v)
            for mv in ("forward_bend", "backward_bend"):
                w = [c["rows"][name][f"{a}_mae_deg"] for c in clips if c["movement"] == mv]
                s[f"{a}_mae_deg_{mv}"] = float(np.nanmean(w)) if w else float("nan")
        out["rows"][name] = s
    for m in models:
        for other in names:
            if other == m:
                continue
            d = {}
            for a in ANGLES:
                v = np.array([c["rows"][m][f"{a}_mae_deg"] - c["rows"][other][f"{a}_mae_deg"]
                              for c in clips])  # fmt: skip
                d[a] = {"mean": float(np.nanmean(v)), "ci95": bootstrap_ci(v),
                        "wins": int((v < 0).sum()), "n": int(np.isfinite(v).sum())}  # fmt: skip
            out["paired"][f"{m} - {other}"] = d
    return out


def markdown(summary: dict, header: str) -> str:
    lines = [header, "", "| row | " + " | ".join(f"{a} MAE ° [95 % CI]" for a in ANGLES)
             + " | lumbar fwd / bwd | pelvis fwd / bwd |", "|---" * (len(ANGLES) + 3) + "|"]  # fmt: skip
    for name, s in summary["rows"].items():
        cells = [f"{s[f'{a}_mae_deg']:.2f} [{s[f'{a}_mae_deg_ci95'][0]:.2f}, "
                 f"{s[f'{a}_mae_deg_ci95'][1]:.2f}]" for a in ANGLES]  # fmt: skip
        cells += [f"{s['lumbar_mae_deg_forward_bend']:.2f} / {s['lumbar_mae_deg_backward_bend']:.2f}",
                  f"{s['pelvis_mae_deg_forward_bend']:.2f} / {s['pelvis_mae_deg_backward_bend']:.2f}"]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Paired per-clip differences (deg, row − other; mean [bootstrap 95 % CI], "
              "clips where the row is better):", "",
              "| difference | " + " | ".join(ANGLES) + " |", "|---" * (len(ANGLES) + 1) + "|"]  # fmt: skip
    for key, d in summary["paired"].items():
        cells = [f"{d[a]['mean']:+.2f} [{d[a]['ci95'][0]:+.2f}, {d[a]['ci95'][1]:+.2f}] "
                 f"{d[a]['wins']}/{d[a]['n']}" for a in ANGLES]  # fmt: skip
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=40, help="clips (forward/backward alternate)")
    ap.add_argument("--seed", type=int, default=950_000, help="first seed (validation range)")
    ap.add_argument("--fps", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--iterations", type=int, default=250, help="fit iterations (FitConfig)")
    ap.add_argument("--models", nargs="+", default=[],
                    help="NAME=PATH temporal model files, one full-pipeline row each")  # fmt: skip
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/bench_temporal_real.json"
    )
    args = ap.parse_args(argv)
    if args.seed + args.clips > 960_000 and args.seed < 970_000:
        ap.error("seeds 960 000+ are the suite's held-out bends; validate on 950 000–959 999")
    try:
        models = _parse_models(args.models)
    except ValueError as err:
        ap.error(str(err))
    torch.set_num_threads(1)
    body = create("anny")
    renderer = None
    clips = []
    t0 = time.perf_counter()
    try:
        for i in range(args.clips):
            movement = ("forward_bend", "backward_bend")[i % 2]
            path = args.cache_dir / f"{movement}_{args.seed + i}_fps{args.fps:g}_s{args.size}.pkl"
            if renderer is None and not path.exists():
                from humanmovenet.synth.render import Renderer

                renderer = Renderer(args.size, args.size).__enter__()
            kp, sil, truth, _true_standing = clip(args.seed + i, movement, args.fps, args.size,
                                                  body, renderer, args.cache_dir)  # fmt: skip
            rows = score_clip(kp, sil, truth, body, models, args.fps, args.iterations)
            clips.append({"seed": args.seed + i, "movement": movement, "rows": rows})
            line = "  ".join(f"{n} {r['lumbar_mae_deg']:.2f}/{r['pelvis_mae_deg']:.2f}/"
                             f"{r['hip_mae_deg']:.2f}" for n, r in rows.items())  # fmt: skip
            print(f"[{i + 1}/{args.clips}] {movement:13s} lumbar/pelvis/hip  {line}", flush=True)
    finally:
        if renderer is not None:
            renderer.__exit__(None, None, None)
    summary = summarise(clips, list(models))
    cmd = "python benchmarks/bench_temporal_real.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    header = (f"Command: `{cmd.strip()}`; {len(clips)} validation bends (seeds {args.seed}–"
              f"{args.seed + args.clips - 1}), {args.fps:g} fps, {args.size} px; models: "
              + ", ".join(f"{k} = {v.name}" for k, v in models.items()))  # fmt: skip
    text = markdown(summary, header)
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "summary": summary,
              "clips": clips, "seconds": time.perf_counter() - t0}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    args.out.with_suffix(".md").write_text(text)
    print(text)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return result


if __name__ == "__main__":
    main()
