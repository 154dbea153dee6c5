"""Benchmark batch processing: a cohort of short clips, local processes vs a local Ray cluster.

Run: ``python benchmarks/bench_batch.py`` (defaults: 40 clips of 10 frames, 10 % corrupt,
2 workers). Writes ``benchmarks/results/bench_batch.json`` and prints a summary.

The cohort: real clips (windows of ``tests/data/sports2d_walk_1280x720.mp4`` downscaled to
640x360), rendered clips (windows of synthetic sequences from :mod:`humanmovenet.synth`,
rendered here) and corrupt files (a text file renamed .mp4, a zero-length file, a truncated
video, cycled). Every run uses ``cache=False``, so nothing is re-used between runs.

Measured:

1. reference: ``analyze`` called once per good clip, one after the other, in this process;
2. ``run_batch`` local (spawned processes, ``--workers``): clips/min, failures with reasons,
   and max |difference| of every good clip's spine from the reference;
3. ``run_batch`` on a local Ray cluster started by ``run_batch``, with ``--workers`` and with
   1 worker (the throughput ratio). Two rates per run: over the whole call (``clips_per_min``:
   starting Ray and importing the pipeline in each worker included, a fixed cost that does not
   shrink with more workers) and in steady state (``steady_clips_per_min``: from the moment
   every worker has finished its first clip to the last finished clip, from the result
   folders' write times; what a long screening batch runs at);
4. kill and resume: a ``run_batch`` in a subprocess is killed (its whole process group) once
   ``--kill-after`` videos are in its manifest; a second ``run_batch`` on the same folder must
   finish the rest without recomputing the finished ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from humanmovenet.batch import run_batch
from humanmovenet.pipeline import Analysis, BiomechConfig, PipelineConfig, analyze

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "sports2d_walk_1280x720.mp4"
REAL_WINDOW = (40, 150)  # source frames where the walking woman is in side view


def _encode(frames, dst: Path, fps: int, size: tuple[int, int]) -> None:
    with av.open(str(dst), "w") as out:
        enc = out.add_stream("libx264", rate=fps)
        enc.width, enc.height, enc.pix_fmt = size[0], size[1], "yuv420p"
        for image in frames:
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            for packet in enc.encode(frame.reformat(width=size[0], height=size[1],
                                                    format="yuv420p")):  # fmt: skip
                out.mux(packet)
        for packet in enc.encode():
            out.mux(packet)


def make_cohort(folder: Path, n: int, frames: int, corrupt_frac: float, seed: int) -> dict:
    """Write the clips; returns {"real": [...], "rendered": [...], "corrupt": [...]} names."""
    from humanmovenet.synth.dataset import SynthConfig, SynthDataset, write_dataset

    rng = np.random.default_rng(seed)
    n_bad = max(1, round(corrupt_frac * n))
    n_real = (n - n_bad) // 2
    n_rend = n - n_bad - n_real
    names: dict[str, list[str]] = {"real": [], "rendered": [], "corrupt": []}
    with av.open(str(REAL)) as inp:  # decode the useful window once
        real_frames = [f.to_ndarray(format="rgb24") for i, f in enumerate(inp.decode(video=0))
                       if REAL_WINDOW[0] <= i < REAL_WINDOW[1]]  # fmt: skip
    for k in range(n_real):
        s = int(rng.integers(0, len(real_frames) - frames))
        name = f"real_{k:02d}_f{REAL_WINDOW[0] + s}"
        _encode(real_frames[s : s + frames], folder / f"{name}.mp4", 30, (640, 360))
        names["real"].append(name)
    synth_dir = folder.parent / "synth"
    if not synth_dir.exists():
        write_dataset(synth_dir, SynthConfig(n_subjects=2, movements=("forward_bend", "gait"),
                                             fps=10.0, image_size=(384, 384), seed=seed),
                      progress=False)  # fmt: skip
    seqs = list(SynthDataset(synth_dir))
    for k in range(n_rend):
        seq = seqs[k % len(seqs)]
        s = int(rng.integers(0, max(1, seq.num_frames - frames)))
        name = f"rendered_{k:02d}_{seq.name}_f{s}"
        images = [seq.rgb(t) for t in range(s, min(s + frames, seq.num_frames))]
        _encode(images, folder / f"{name}.mp4", 10, (384, 384))
        names["rendered"].append(name)
    good = (folder / f"{names['real'][0]}.mp4").read_bytes()
    for k in range(n_bad):
        name = f"corrupt_{k:02d}"
        kind = k % 3
        if kind == 0:
            (folder / f"{name}.mp4").write_text("not a video\n" * 50)
        elif kind == 1:
            (folder / f"{name}.mp4").write_bytes(b"")
        else:
            (folder / f"{name}.mp4").write_bytes(good[: len(good) // 3])
        names["corrupt"].append(name)
    return names


def _spine_diff(result, reference: dict[str, np.ndarray]) -> float:
    worst = 0.0
    for item in result.ok:
        if item.name in reference:
            pos = Analysis.load(result.output(item)).spine.positions
            worst = max(worst, float(np.max(np.abs(pos - reference[item.name]))))
    return worst


def _steady_rate(result, workers: int, started: float) -> tuple[float, float]:
    """Clips/min after every worker finished its first clip, and the seconds until then.

    Completion times are the write times of the ``analysis.json`` of each computed good clip
    (``Analysis.save`` writes it last); failed clips have none and are not counted.
    """
    done = sorted(
        Path(result.output(i), "analysis.json").stat().st_mtime
        for i in result.ok if not i.resumed
    )  # fmt: skip
    if len(done) <= workers:
        return float("nan"), float("nan")
    first_round = done[workers - 1]
    return 60.0 * (len(done) - workers) / (done[-1] - first_round), first_round - started


def _report(result, label: str, n_good: int, reference, workers: int, started: float) -> dict:
    computed = len(result.computed)
    steady, first_round_s = _steady_rate(result, workers, started)
    out = {
        "label": label,
        "videos": len(result.items),
        "ok": len(result.ok),
        "failed": len(result.failed),
        "computed": computed,
        "wall_s": result.wall_s,
        "clips_per_min": 60.0 * computed / result.wall_s,
        "steady_clips_per_min": steady,
        "seconds_until_every_worker_finished_a_clip": first_round_s,
        "good_clips_ok": len(result.ok) == n_good,
        "max_spine_diff_m": _spine_diff(result, reference),
        "failures": {i.name: i.reason for i in result.failed},
    }
    print(f"{label}: {out['ok']} ok, {out['failed']} failed, {computed} in {result.wall_s:.1f} s "
          f"= {out['clips_per_min']:.1f} clips/min (steady state {steady:.1f} after "
          f"{first_round_s:.1f} s); max spine diff vs analyze "
          f"{out['max_spine_diff_m']:.2e} m", flush=True)  # fmt: skip
    return out


def kill_and_resume(clips: Path, out: Path, config, workers: int, kill_after: int) -> dict:
    """Run a batch in a subprocess, kill it after ``kill_after`` results, then resume here."""
    code = (
        "import sys\nfrom humanmovenet.batch import run_batch\n"
        "from humanmovenet.pipeline import PipelineConfig\nimport json\n"
        "if __name__ == '__main__':\n"
        f"    run_batch({str(clips)!r}, {str(out)!r}, PipelineConfig.from_dict("
        f"json.loads({json.dumps(json.dumps(config.to_dict()))})), workers={workers}, "
        "cache=False, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, cwd=ROOT)
    manifest = out / "manifest.csv"
    t0 = time.perf_counter()
    finished: dict[str, str] = {}
    while proc.poll() is None:
        if manifest.is_file():
            with manifest.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if r["status"] != "pending"]
            if len(rows) >= kill_after:
                os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers
                proc.wait()
                finished = {Path(r["input"]).stem: r["status"] for r in rows}
                break
        time.sleep(0.2)
    killed_at = time.perf_counter() - t0
    mtimes = {n: (out / "results" / n / "analysis.json").stat().st_mtime_ns
              for n, s in finished.items() if s == "ok"}  # fmt: skip
    resumed = run_batch(clips, out, config, workers=workers, cache=False, progress=False)
    redone = [i.name for i in resumed.computed if i.name in finished]
    touched = [n for n, m in mtimes.items()
               if (out / "results" / n / "analysis.json").stat().st_mtime_ns != m]  # fmt: skip
    res = {
        "killed_after_s": killed_at,
        "finished_before_kill": len(finished),
        "killed": bool(finished),
        "resume_computed": len(resumed.computed),
        "resume_resumed": len(resumed.items) - len(resumed.computed),
        "finished_but_redone": redone,
        "outputs_rewritten": touched,
        "resume_wall_s": resumed.wall_s,
        "all_done": all(i.status in ("ok", "failed") for i in resumed.items),
        "ok": len(resumed.ok),
        "failed": len(resumed.failed),
    }
    print(f"kill/resume: killed after {len(finished)} results ({killed_at:.1f} s); resume "
          f"computed {res['resume_computed']}, kept {res['resume_resumed']}, redone finished: "
          f"{redone}, rewritten outputs: {touched}", flush=True)  # fmt: skip
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n-clips", type=int, default=40)
    ap.add_argument("--frames", type=int, default=10, help="frames per clip")
    ap.add_argument("--corrupt-frac", type=float, default=0.1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kill-after", type=int, default=None, help="default: half the clips")
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["reference", "local", "ray", "ray1", "resume"])  # fmt: skip
    ap.add_argument("--work", default=None, help="working folder (default: a temp folder)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_batch.json"))
    args = ap.parse_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_batch-"))
    clips = work / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    names = make_cohort(clips, args.n_clips, args.frames, args.corrupt_frac, args.seed)
    print(f"cohort: {len(names['real'])} real, {len(names['rendered'])} rendered, "
          f"{len(names['corrupt'])} corrupt clips in {time.perf_counter() - t0:.0f} s ({clips})",
          flush=True)  # fmt: skip
    good = names["real"] + names["rendered"]
    config = PipelineConfig(biomech=BiomechConfig(n_bootstrap=0))
    report: dict = {"n_clips": args.n_clips, "frames": args.frames, "workers": args.workers,
                    "cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg(),
                    "cohort": {k: len(v) for k, v in names.items()}, "runs": {}}  # fmt: skip

    reference: dict[str, np.ndarray] = {}
    if "reference" not in args.skip:
        t0, failures = time.perf_counter(), {}
        for name in good:
            try:
                reference[name] = analyze(
                    clips / f"{name}.mp4", config, cache=False
                ).spine.positions
            except Exception as exc:  # noqa: BLE001 - a good clip may still have no person
                failures[name] = f"{type(exc).__name__}: {exc}"
        wall = time.perf_counter() - t0
        report["runs"]["reference_analyze"] = {"clips": len(good), "wall_s": wall,
                                               "clips_per_min": 60 * len(good) / wall,
                                               "failures": failures}  # fmt: skip
        print(
            f"reference analyze: {len(good)} clips in {wall:.1f} s = "
            f"{60 * len(good) / wall:.1f} clips/min; failures {failures}",
            flush=True,
        )
    n_ok_expected = len(good) - len(report["runs"].get("reference_analyze", {}).get("failures", {}))

    runs = [
        ("local", "local", args.workers),
        ("resume", None, args.workers),
        ("ray", "ray", args.workers),
        ("ray1", "ray", 1),
    ]
    for key, executor, workers in runs:
        if key in args.skip:
            continue
        if key == "resume":  # a run killed halfway, then resumed
            report["kill_resume"] = kill_and_resume(
                clips, work / "out_resume", config, workers, args.kill_after or args.n_clips // 2
            )
            continue
        started = time.time()
        result = run_batch(clips, work / f"out_{key}", config, executor=executor,
                           workers=workers, cache=False, progress=False)  # fmt: skip
        report["runs"][f"{key}_{workers}w"] = _report(result, f"{executor} {workers} workers",
                                                     n_ok_expected, reference, workers,
                                                     started)  # fmt: skip
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2))
    r = report["runs"]
    if f"ray_{args.workers}w" in r and "ray1_1w" in r:
        report["ray_speedup"] = (
            r[f"ray_{args.workers}w"]["clips_per_min"] / r["ray1_1w"]["clips_per_min"]
        )
        report["ray_speedup_steady"] = (
            r[f"ray_{args.workers}w"]["steady_clips_per_min"] / r["ray1_1w"]["steady_clips_per_min"]
        )
        print(f"Ray {args.workers} workers vs 1: {report['ray_speedup']:.2f}x over the whole call, "
              f"{report['ray_speedup_steady']:.2f}x in steady state", flush=True)  # fmt: skip
    report["load_avg_end"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
