"""Memory while streaming a long video: the real clip looped to 10 minutes.

Run: ``python benchmarks/bench_video_memory.py [--minutes 10] [--model lite]``. Writes the looped
video (640x360, H.264) to a temporary folder, then measures resident memory (RSS, from
``/proc/self/status``) sampled every 30 s of video while

1. decoding it with ``open_video`` (frames are never kept);
2. streaming ``iter_poses`` over it (landmarker + tracking + masks at scale 0.25, results not
   kept) - the constant-memory API for long videos;
3. ``estimate_pose`` over the first ``--collect-minutes`` minutes with masks off and on - this
   API returns whole arrays, so its memory grows with the video length by design.

Prints a table and writes ``benchmarks/results/bench_video_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from humanmovenet.io import open_video
from humanmovenet.pose2d import PoseConfig, estimate_pose, iter_poses

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "tests" / "data" / "sports2d_walk_1280x720.mp4"
SIZE = (640, 360)
SAMPLE_EVERY_S = 30.0


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = float(value.split()[0]) / 1024.0
    return fields["VmRSS"], fields["VmHWM"]


def write_looped(path: Path, minutes: float) -> int:
    """Loop the clip (downscaled) until ``minutes`` of 30 fps video; return the frame count."""
    with open_video(CLIP) as reader:
        frames = [
            av.VideoFrame.from_ndarray(f.image, format="rgb24").reformat(*SIZE, format="yuv420p")
            for f in reader
        ]
    total = int(round(minutes * 60 * 30))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for k in range(total):
            frame = frames[k % len(frames)]
            frame.pts, frame.time_base = k, Fraction(1, 30)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return total


def sample_stream(items, fps: float) -> dict:  # noqa: ANN001 - any iterator of frame-like items
    """Consume an iterator, sampling RSS every 30 s of video."""
    samples, n, t0 = [], 0, time.perf_counter()
    every = int(SAMPLE_EVERY_S * fps)
    for n, _ in enumerate(items, start=1):
        if n % every == 0:
            samples.append((n / fps, *rss_mb()))
    elapsed = time.perf_counter() - t0
    rss = [s[1] for s in samples]
    return {
        "frames": n,
        "seconds": elapsed,
        "fps": n / elapsed,
        "rss_first_sample_mb": rss[0] if rss else None,
        "rss_last_sample_mb": rss[-1] if rss else None,
        "rss_max_sample_mb": max(rss) if rss else None,
        "peak_rss_mb": rss_mb()[1],
        "samples_video_s_rss_mb_peak_mb": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--collect-minutes", type=float, default=1.0)
    parser.add_argument("--model", default="lite", choices=("full", "lite"))
    args = parser.parse_args()
    report = {"size": SIZE, "minutes": args.minutes, "model": args.model, "start_rss_mb": rss_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "looped.mp4"
        t0 = time.perf_counter()
        report["frames"] = write_looped(path, args.minutes)
        report["write_seconds"] = time.perf_counter() - t0
        report["file_mb"] = path.stat().st_size / 1e6
        print(
            f"wrote {report['frames']} frames ({report['file_mb']:.1f} MB) in {report['write_seconds']:.0f} s"
        )
        with open_video(path) as reader:
            report["decode"] = sample_stream(reader, reader.fps)
        print(f"decode: {report['decode']['fps']:.0f} fps, RSS {report['decode']['rss_first_sample_mb']:.0f}"
              f" -> {report['decode']['rss_last_sample_mb']:.0f} MB")  # fmt: skip
        config = PoseConfig(model=args.model, mask_scale=0.25)
        report["iter_poses"] = sample_stream(iter_poses(path, config), 30.0)
        r = report["iter_poses"]
        print(f"iter_poses: {r['fps']:.1f} fps, RSS {r['rss_first_sample_mb']:.0f} -> "
              f"{r['rss_last_sample_mb']:.0f} MB (max sample {r['rss_max_sample_mb']:.0f})")  # fmt: skip
        stop = int(args.collect_minutes * 60 * 30)
        for masks in (False, True):
            before = rss_mb()[0]
            with open_video(path, stop=stop) as reader:
                result = estimate_pose(
                    reader, PoseConfig(model=args.model, output_masks=masks, mask_scale=0.25)
                )
            after = rss_mb()[0]
            key = f"estimate_pose_masks_{masks}"
            report[key] = {"frames": result.keypoints.num_frames, "rss_before_mb": before, "rss_after_mb": after,
                           "mask_bytes": 0 if result.silhouettes is None else result.silhouettes.masks.nbytes}  # fmt: skip
            print(
                f"{key}: {stop} frames, RSS {before:.0f} -> {after:.0f} MB, masks {report[key]['mask_bytes'] / 1e6:.1f} MB"
            )
            del result
    report["peak_rss_mb"] = rss_mb()[1]
    print(f"peak RSS of the whole run: {report['peak_rss_mb']:.0f} MB")
    out = ROOT / "benchmarks" / "results" / "bench_video_memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
