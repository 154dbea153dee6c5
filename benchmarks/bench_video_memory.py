"""Peak memory of a long 1080p video through the 2D stage, ``analyze`` and the reconstruction.

Run: ``nice -n 10 python benchmarks/bench_video_memory.py [--minutes 10] [--model full]``.

1. Writes a ``--minutes`` long 1920x1080 30 fps H.264 video to a temporary folder (or re-uses
   ``--video``): frames 5-116 of the shipped real clip (the woman walking, detected in every
   one), upscaled and played forwards then backwards in a loop, so a person is in every frame.
2. Runs each stage (``--stages``) in a fresh subprocess (so each peak is its own) and samples the resident
   memory from ``/proc/self/status`` (``VmRSS`` = ``RssAnon`` + ``RssFile`` + shared memory;
   ``VmHWM`` = peak RSS) every ``--every`` frames:

   * ``replay``: the 2D stage's own memory over ``--replay-frames`` frames: one walking
     cycle of real MediaPipe detections of the 1080p video (every person, with masks)
     replayed through the real :func:`estimate_pose`, then the pose cache's
     :func:`save_silhouettes` / :func:`load_silhouettes` (MediaPipe's speed on 1080p frames,
     ~1-5 fps on a shared 2-core machine, makes the real 10-minute run take hours);
   * ``pose2d``: :func:`estimate_pose` over the whole video (masks on, default ``mask_scale``),
     then :func:`save_silhouettes` of the result (the pipeline's cache write);
   * ``analyze``: :func:`humanmovenet.analyze` end to end (cache on, in a temporary folder),
     then :meth:`Analysis.save`; the reconstruction part is sampled every 2 s
     (``--fit-iterations`` shortens the body fit, whose every step holds the same tensors);
     ``--steps`` adds the peak of each step after the 2D stage (:data:`STEPS`: back contour,
     shape model, regressor features and network, temporal model, static model, fusion, the
     spine's npz writes, the metrics), read from ``VmHWM`` reset before each step;
   * ``reconstruct``: :func:`reconstruct_spine` alone on ``--recon-frames`` frames of real
     landmarks and masks (the shipped clip's, looped) with ``--recon-iterations`` iterations:
     the memory of one optimisation step does not depend on the number of steps, so a few
     steps measure the peak of the full fit at that length.

Prints a table and writes ``benchmarks/results/bench_video_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "tests" / "data" / "sports2d_walk_1280x720.mp4"
PERSON_FRAMES = (5, 117)  # frames of the clip where MediaPipe finds the woman
SIZE = (1920, 1080)
OUT = ROOT / "benchmarks" / "results" / "bench_video_memory.json"


def memory_mb() -> dict[str, float]:
    """VmRSS, VmHWM (peak), RssAnon, RssFile of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[key] = round(float(value.split()[0]) / 1024.0, 1)
    return fields


#: (module, function) of the analysis steps after the 2D stage that ``--steps`` measures; none
#: calls another, so each peak is the step's own. Patched where the caller looks them up.
STEPS = (
    ("humanmovenet.reconstruct.fuse", "extract_back_contour"),
    ("humanmovenet.reconstruct.static_model", "predict_shape"),
    ("humanmovenet.reconstruct.regress", "frame_features"),
    ("humanmovenet.reconstruct.regress", "predict_outputs"),
    ("humanmovenet.reconstruct.temporal", "smooth_angles"),
    ("humanmovenet.reconstruct.fuse", "estimate_static"),
    ("humanmovenet.reconstruct.fuse", "fuse_spine"),
    ("humanmovenet.pipeline", "save_dynamic_spine"),
    ("humanmovenet.pipeline", "compute_metrics"),
)


def _reset_peak() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux ``clear_refs`` 5); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _measure_steps(sampler: _Sampler) -> None:
    """Wrap every :data:`STEPS` function: its RSS before and after and its own peak go to
    ``sampler.steps`` (the process peak so far is kept in ``sampler.hwm`` before each reset)."""
    import functools
    import importlib

    for module_name, name in STEPS:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def step(*a, _f=original, _name=name, **k):  # noqa: ANN002, ANN003, ANN202
            before = memory_mb()
            sampler.hwm = max(sampler.hwm, before["VmHWM"])
            reset = _reset_peak()
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                after = memory_mb()
                sampler.hwm = max(sampler.hwm, after["VmHWM"])
                sampler.steps.append({"step": _name, "phase": sampler.phase,
                                      "rss_before": before["VmRSS"], "rss_after": after["VmRSS"],
                                      "peak": after["VmHWM"] if reset else None,
                                      "seconds": round(time.perf_counter() - t0, 1)})  # fmt: skip

        setattr(module, name, functools.wraps(original)(step))


def write_video(path: Path, frames_total: int, size: tuple[int, int] = SIZE) -> None:
    """Loop the clip's walking frames forwards and backwards into a ``size`` 30 fps video."""
    import av

    from humanmovenet.io import open_video

    with open_video(CLIP, start=PERSON_FRAMES[0], stop=PERSON_FRAMES[1]) as reader:
        frames = [
            av.VideoFrame.from_ndarray(f.image, format="rgb24").reformat(*size, format="yuv420p")
            for f in reader
        ]
    sequence = frames + frames[::-1][1:-1]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for k in range(frames_total):
            frame = sequence[k % len(sequence)]
            frame.pts, frame.time_base = k, Fraction(1, 30)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


class _Sampler:
    """Samples memory every ``every`` frames (``tick``) and every ``period`` seconds (thread)."""

    def __init__(self, every: int, period: float = 2.0, limit_mb: float = 6000.0,
                 partial: Path | None = None) -> None:  # fmt: skip
        self.every, self.period, self.limit_mb, self.partial = every, period, limit_mb, partial
        self.frames, self.phase, self.samples = 0, "start", []
        self.hwm, self.steps = 0.0, []  # process peak before --steps resets; per-step peaks
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def record(self, why: str) -> None:
        self.samples.append({"t_s": round(time.perf_counter() - self.t0, 1), "phase": self.phase,
                             "frames": self.frames, "why": why, **memory_mb()})  # fmt: skip
        if self.partial is not None:  # survives the process if it is stopped below
            self.partial.write_text(json.dumps(self.samples))
        if self.samples[-1]["VmRSS"] > self.limit_mb:  # protect the shared machine
            print(f"RSS above --rss-limit-mb {self.limit_mb:.0f}; stopping", file=sys.stderr)
            os._exit(3)

    def tick(self) -> None:
        self.frames += 1
        if self.frames % self.every == 0:
            self.record("frames")

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            if self.phase != "pose2d":
                self.record("timer")

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        self.record("end")
        peak = max(self.hwm, memory_mb()["VmHWM"])
        out = {"seconds": round(time.perf_counter() - self.t0, 1), "peak_rss_mb": peak,
               "samples": self.samples}  # fmt: skip
        return out | ({"steps": self.steps} if self.steps else {})


def _partial(stage: str) -> Path:
    return OUT.with_name(f"bench_video_memory.{stage}.partial.json")


def _count_frames(sampler: _Sampler) -> None:
    """Make the 2D stage call ``sampler.tick()`` once per frame (wraps iter_detections)."""
    import humanmovenet.pose2d.estimate as estimate

    original = estimate.iter_detections

    def counted(video, config=None):  # noqa: ANN001, ANN202 - same signature as the original
        for det in original(video, config):
            sampler.tick()
            yield det

    estimate.iter_detections = counted


def stage_pose2d(args: argparse.Namespace) -> dict:
    from humanmovenet.io.arrays import save_silhouettes
    from humanmovenet.pose2d import PoseConfig, estimate_pose

    sampler = _Sampler(args.every, limit_mb=args.rss_limit_mb, partial=_partial(args.stage))
    _count_frames(sampler)
    sampler.phase = "pose2d"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate_pose(args.video, PoseConfig(model=args.model))
    sampler.phase = "save_silhouettes"
    sampler.record("after estimate_pose")
    masks = result.silhouettes.masks
    info = {"frames": result.keypoints.num_frames, "detection_rate": result.detection_rate,
            "mask_shape": list(masks.shape), "mask_gb": masks.nbytes / 1e9,
            "masks_on_disk": type(masks).__name__ == "memmap"}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        save_silhouettes(Path(tmp) / "silhouettes.npz", result.silhouettes)
        info["save_silhouettes_s"] = round(time.perf_counter() - t0, 1)
        info["silhouettes_npz_mb"] = round((Path(tmp) / "silhouettes.npz").stat().st_size / 1e6, 1)
    return info | sampler.stop()


def stage_replay(args: argparse.Namespace) -> dict:
    """The 2D stage's own memory at full length without MediaPipe's run time: real MediaPipe
    detections of one walking cycle of the 1080p video (every person, masks at the default
    ``mask_scale``) replayed with new frame numbers until ``--replay-frames``, through the real
    :func:`estimate_pose` (spool, tracking, MaskWriter), then the pose-stage cache write and
    read (:func:`save_silhouettes`, :func:`load_silhouettes`). The held cycle (bit-packed) is
    part of every sample."""
    import dataclasses
    import gc

    import numpy as np

    import humanmovenet.pose2d.estimate as estimate
    from humanmovenet.io import open_video
    from humanmovenet.io.arrays import load_silhouettes, save_silhouettes
    from humanmovenet.pose2d import PoseConfig, estimate_pose

    config = PoseConfig(model=args.model)
    cycle = 2 * (PERSON_FRAMES[1] - PERSON_FRAMES[0]) - 2
    recorded = []  # masks bit-packed, so the held cycle stays small
    with open_video(args.video, stop=cycle) as reader:
        for det in estimate.iter_detections(reader, config):
            packed = None if det.masks is None else np.packbits(det.masks, axis=-1)
            recorded.append((dataclasses.replace(det, masks=None), packed))
    width = round(recorded[0][0].image_size[0] * config.mask_scale)
    gc.collect()
    sampler = _Sampler(args.every, limit_mb=args.rss_limit_mb, partial=_partial(args.stage))
    sampler.record("cycle recorded")

    def replay(video, config=None):  # noqa: ANN001, ANN202 - same signature as the original
        for k in range(args.replay_frames):
            det, packed = recorded[k % len(recorded)]
            masks = None if packed is None else np.unpackbits(packed, -1, count=width).astype(bool)
            sampler.tick()
            yield dataclasses.replace(det, index=k, time_s=k / 30.0, masks=masks)

    estimate.iter_detections = replay
    sampler.phase = "pose2d"
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate_pose(iter(()), config)
    info = {"frames": result.keypoints.num_frames, "cycle_frames": len(recorded),
            "estimate_pose_s": round(time.perf_counter() - t0, 1),
            "mask_shape": list(result.silhouettes.masks.shape),
            "mask_gb": result.silhouettes.masks.nbytes / 1e9,
            "masks_on_disk": type(result.silhouettes.masks).__name__ == "memmap"}  # fmt: skip
    sampler.phase = "save_silhouettes"
    sampler.record("after estimate_pose")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = save_silhouettes(Path(tmp) / "silhouettes.npz", result.silhouettes)
        info["save_silhouettes_s"] = round(time.perf_counter() - t0, 1)
        info["silhouettes_npz_mb"] = round(path.stat().st_size / 1e6, 1)
        sampler.record("saved")
        del result
        sampler.phase = "load_silhouettes"
        t0 = time.perf_counter()
        back = load_silhouettes(path)
        info["load_silhouettes_s"] = round(time.perf_counter() - t0, 1)
        info["loaded_on_disk"] = type(back.masks).__name__ == "memmap"
        sampler.record("loaded")
    return info | sampler.stop()


def stage_analyze(args: argparse.Namespace) -> dict:
    import humanmovenet.pipeline as pipeline
    from humanmovenet.pose2d import PoseConfig

    sampler = _Sampler(args.every, limit_mb=args.rss_limit_mb, partial=_partial(args.stage))
    _count_frames(sampler)
    original_reconstruct = pipeline._reconstruct_stage

    def reconstruct(*a, **k):  # noqa: ANN002, ANN003, ANN202
        sampler.phase = "reconstruct"
        sampler.record("reconstruct starts")
        return original_reconstruct(*a, **k)

    pipeline._reconstruct_stage = reconstruct
    if args.steps:
        _measure_steps(sampler)
    from humanmovenet.reconstruct import FitConfig

    fit = FitConfig() if args.fit_iterations is None else FitConfig(iterations=args.fit_iterations)
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or Path(tmp) / "cache"
        config = pipeline.PipelineConfig(pose=PoseConfig(model=args.model), reconstruct=fit,
                                         cache_dir=str(cache))  # fmt: skip
        sampler.phase = "pose2d"
        analysis = pipeline.analyze(args.video, config)
        sampler.phase = "save"
        sampler.record("analyze returned")
        analysis.save(Path(tmp) / "analysis")
        info = {"frames": analysis.keypoints.num_frames, "movement": analysis.metrics.movement,
                "flags": list(analysis.flags)}  # fmt: skip
    return info | sampler.stop()


def stage_reconstruct(args: argparse.Namespace) -> dict:
    import numpy as np

    from humanmovenet.io.arrays import MaskWriter
    from humanmovenet.pose2d import PoseConfig, estimate_pose
    from humanmovenet.reconstruct import FitConfig, reconstruct_spine
    from humanmovenet.types import Keypoints2D, Silhouettes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clip = estimate_pose(CLIP, PoseConfig(model=args.model))
    kp, sil = clip.keypoints, clip.silhouettes
    keep = np.arange(*PERSON_FRAMES)
    order = np.concatenate([keep, keep[::-1][1:-1]])
    rows = order[np.arange(args.recon_frames) % len(order)]
    keypoints = Keypoints2D(kp.data[rows], kp.fps, kp.image_size, np.arange(len(rows)),
                            kp.detected[rows], kp.interpolated[rows], kp.world[rows],
                            kp.view)  # fmt: skip
    with MaskWriter((len(rows),) + sil.masks.shape[1:]) as writer:
        for t, r in enumerate(rows):
            writer.write(t, sil.masks[r])
        masks = writer.finish()
    silhouettes = Silhouettes(masks, sil.fps, sil.image_size, sil.scale, sil.valid[rows])
    del clip, kp, sil
    sampler = _Sampler(args.every, limit_mb=args.rss_limit_mb, partial=_partial(args.stage))
    sampler.phase = "reconstruct"
    sampler.record("inputs ready")
    facing = keypoints.view.facing if keypoints.view.facing in ("left", "right") else None
    t0 = time.perf_counter()
    reconstruct_spine(keypoints, silhouettes,
                      config=FitConfig(iterations=args.recon_iterations), facing=facing)  # fmt: skip
    info = {"frames": len(rows), "iterations": args.recon_iterations,
            "mask_shape": list(masks.shape), "fit_s": round(time.perf_counter() - t0, 1)}  # fmt: skip
    return info | sampler.stop()


def _run_stage(stage: str, args: argparse.Namespace, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--stage", stage, "--model", args.model,
           "--every", str(args.every), "--rss-limit-mb", str(args.rss_limit_mb), *extra]  # fmt: skip
    _partial(stage).unlink(missing_ok=True)
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})  # fmt: skip
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        partial = _partial(stage)
        samples = json.loads(partial.read_text()) if partial.is_file() else []
        return {"error": done.stderr[-3000:], "returncode": done.returncode, "samples": samples}
    return json.loads(lines[-1])


def _print(name: str, result: dict) -> None:
    if "error" in result:
        print(f"{name}: FAILED (exit {result['returncode']})\n{result['error'][-1500:]}")
        for s in result["samples"]:
            print(f"  {s['phase']:>16} t {s['t_s']:7.0f} s frames {s['frames']:>6}  RSS "
                  f"{s['VmRSS']:7.0f}  peak {s['VmHWM']:7.0f} MB")  # fmt: skip
        return
    peaks: dict[str, float] = {}
    for s in result["samples"]:
        peaks[s["phase"]] = max(peaks.get(s["phase"], 0.0), s["VmRSS"])
    print(f"{name}: {result.get('frames')} frames in {result['seconds']:.0f} s, peak RSS "
          f"{result['peak_rss_mb']:.0f} MB; highest sampled RSS per phase: "
          + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()))  # fmt: skip
    for st in result.get("steps", []):
        peak = "n/a" if st["peak"] is None else f"{st['peak']:7.0f}"
        print(f"  step {st['step']:>22} RSS {st['rss_before']:7.0f} -> {st['rss_after']:7.0f}  "
              f"peak {peak} MB  {st['seconds']:6.1f} s")  # fmt: skip
    for s in result["samples"]:
        if s["why"] == "frames" or s["why"] != "timer":
            print(f"  {s['phase']:>16} frames {s['frames']:>6}  RSS {s['VmRSS']:7.0f}  anon "
                  f"{s['RssAnon']:7.0f}  file {s['RssFile']:6.0f}  peak {s['VmHWM']:7.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--video", type=Path, help="re-use this video instead of writing one")
    parser.add_argument("--keep-video", type=Path, help="write the video here and keep it")
    parser.add_argument("--model", default="full", choices=("full", "lite"))
    parser.add_argument("--every", type=int, default=1000, help="sample memory every N frames")
    parser.add_argument("--stages", default="replay,reconstruct,pose2d,analyze")
    parser.add_argument("--recon-frames", type=int, default=18000)
    parser.add_argument("--replay-frames", type=int, default=18000)
    parser.add_argument("--recon-iterations", type=int, default=3)
    parser.add_argument("--fit-iterations", type=int, default=None,
                        help="analyze: body-fit iterations (default: the library's; a few "
                        "measure the same peak, each step holds the same tensors)")  # fmt: skip
    parser.add_argument(
        "--rss-limit-mb",
        type=float,
        default=6000.0,
        help="stop a stage whose RSS passes this (the machine is shared)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="analyze: keep the stage cache here (a re-run then skips the 2D "
                        "stage and measures the rest); default: a temporary folder")  # fmt: skip
    parser.add_argument("--steps", action="store_true",
                        help="analyze: also the peak of each step after the 2D stage (STEPS)")  # fmt: skip
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:  # child process: one stage, JSON on the last line of stdout
        run = {"pose2d": stage_pose2d, "analyze": stage_analyze, "replay": stage_replay,
               "reconstruct": stage_reconstruct}[args.stage]  # fmt: skip
        print(json.dumps(run(args)))
        return
    report: dict = {"size": SIZE, "model": args.model, "every": args.every}
    with tempfile.TemporaryDirectory() as tmp:
        video = args.video
        if video is None:
            video = args.keep_video or Path(tmp) / "long.mp4"
            t0 = time.perf_counter()
            write_video(video, int(round(args.minutes * 60 * 30)))
            report["write_seconds"] = round(time.perf_counter() - t0, 1)
        report["video"] = str(video)
        report["video_mb"] = round(video.stat().st_size / 1e6, 1)
        for stage in args.stages.split(","):
            extra = ["--video", str(video)]
            if stage == "reconstruct":
                extra = ["--recon-frames", str(args.recon_frames), "--recon-iterations",
                         str(args.recon_iterations)]  # fmt: skip
            elif stage == "replay":
                extra += ["--replay-frames", str(args.replay_frames)]
            elif stage == "analyze":
                if args.fit_iterations is not None:
                    extra += ["--fit-iterations", str(args.fit_iterations)]
                if args.cache_dir is not None:
                    extra += ["--cache-dir", str(args.cache_dir)]
                if args.steps:
                    extra += ["--steps"]
            report[stage] = _run_stage(stage, args, extra)
            _print(stage, report[stage])
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
