"""The ``humanmovenet`` command.

Exit codes: 0 success; 1 the analysis ran but flagged a problem the user must see; 2 bad usage
(unknown flag, missing argument); 3 bad input (missing/unreadable file, invalid data);
4 output cannot be written; 70 internal error (a bug: please report it with the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from . import __version__

__all__ = ["main", "EXIT_OK", "EXIT_FLAGGED", "EXIT_USAGE", "EXIT_INPUT", "EXIT_OUTPUT", "EXIT_BUG"]

EXIT_OK, EXIT_FLAGGED, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT, EXIT_BUG = 0, 1, 2, 3, 4, 70


class OutputError(OSError):
    """The output folder cannot be created or written."""


def _prepare_out(out: Path) -> tuple[Path, Path]:
    """A temporary folder beside ``out``; renamed onto ``out`` only when everything succeeded."""
    out = out.expanduser().resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {out.parent}: {exc.strerror or exc}") from exc
    return out, tmp


def _commit_out(tmp: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)


@contextlib.contextmanager
def _quiet_native_logs():
    """Hide the C++ log lines MediaPipe/LiteRT write straight to file descriptor 2.

    They cannot be switched off by environment variables; on an error the captured lines are
    printed after all, since they may explain it.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_body_demo

    out, tmp = _prepare_out(Path(args.out))
    comparison = None
    try:
        try:
            png = run_body_demo(tmp)
            if not args.body_only:
                from .demo import run_analysis_demo

                with _quiet_native_logs():
                    comparison = run_analysis_demo(tmp / "analysis_demo", progress=False)
            _commit_out(tmp, out)
        except FileNotFoundError:  # a missing input (weights): not an output problem
            raise
        except OSError as exc:  # disk full, permission lost mid-run, ...
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {out / png.name} and {out / 'spine_demo.json'}")
    if comparison is not None:
        print(f"analysis of a rendered forward bend (truth known), movement detected: "
              f"{comparison['movement_detected']}")  # fmt: skip
        print(f"  {'metric':26} {'estimated':>10} {'truth':>8} {'error':>8}")
        for row in comparison["metrics"]:
            cells = [("—" if row[k] is None else f"{row[k]:.2f}")
                     for k in ("estimated", "ground_truth", "error")]  # fmt: skip
            print(f"  {row['metric']:26} {cells[0]:>10} {cells[1]:>8} {cells[2]:>8}")
        print(f"wrote {out / 'analysis_demo'}: video/, analysis/, report.html, comparison.json")
    return EXIT_OK


def _cmd_pose(args: argparse.Namespace) -> int:
    import json

    import numpy as np
    from PIL import Image

    from .io import open_video
    from .io.arrays import save_keypoints, save_silhouettes
    from .pose2d import PoseConfig, estimate_pose
    from .pose2d.draw import draw_pose

    video = Path(args.video)
    if not video.exists():
        raise FileNotFoundError(f"{video}: no such file or folder. Give a video or image folder.")
    config = PoseConfig(
        model=args.model,
        max_people=args.max_people,
        output_masks=not args.no_masks,
        mask_scale=args.mask_scale,
        subject_box=tuple(args.box) if args.box else None,
    )
    out, tmp = _prepare_out(Path(args.out))
    try:
        import warnings

        with (
            open_video(video, start=args.start, stop=args.stop, target_fps=args.fps) as reader,
            warnings.catch_warnings(),  # reported below, once, in plain words
            _quiet_native_logs(),
        ):
            warnings.simplefilter("ignore", UserWarning)
            result = estimate_pose(reader, config)
        kp = result.keypoints
        try:
            save_keypoints(tmp / "keypoints.npz", kp)
            if result.silhouettes is not None:
                save_silhouettes(tmp / "silhouettes.npz", result.silhouettes)
            shown = None
            if kp.detected.any():  # overlay on the middle detected frame
                row = int(np.flatnonzero(kp.detected)[kp.detected.sum() // 2])
                index = int(kp.frame_indices[row])
                with open_video(video, start=index, stop=index + 1) as one:
                    frame = next(iter(one)).image
                mask = result.silhouettes.masks[row] if result.silhouettes is not None else None
                image = draw_pose(frame, kp.data[row], mask, config.mask_scale)
                Image.fromarray(image).save(tmp / "overlay.png")
                shown = index
            view = kp.view
            summary = {
                "video": str(video.resolve()),
                "frames": kp.num_frames,
                "fps": kp.fps,
                "image_size": list(kp.image_size),
                "detected_fraction": result.detection_rate,
                "interpolated_frames": int(kp.interpolated.sum()),
                "view": None if view is None else {
                    "facing": view.facing,
                    "is_side_view": view.is_side_view,
                    "sagittal_score": view.sagittal_score,
                },
                "warnings": list(result.warnings),
                "model": result.model,
                "overlay_frame": shown,
                "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
            }  # fmt: skip
            (tmp / "pose.json").write_text(json.dumps(summary, indent=2, default=list))
            _commit_out(tmp, out)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    view = result.keypoints.view
    print(
        f"{result.keypoints.num_frames} frames, subject detected in "
        f"{100 * result.detection_rate:.1f} %, facing {view.facing if view else 'unknown'}; "
        f"wrote keypoints.npz, pose.json{', silhouettes.npz' if not args.no_masks else ''}"
        f"{', overlay.png' if result.keypoints.detected.any() else ''} to {out}"
    )
    for message in result.warnings:
        print(f"humanmovenet: warning: {message}", file=sys.stderr)
    unusable = not result.keypoints.detected.any() or (view is not None and not view.is_side_view)
    return EXIT_FLAGGED if unusable else EXIT_OK


# ----------------------------------------------------------------------------- config flags


def _flag_type(hint):  # noqa: ANN001, ANN202 - typing objects
    """(converter, choices) for a dataclass field type, or None if it is not a simple scalar."""
    import types
    import typing

    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _flag_type(args[0])
    if origin is typing.Literal:
        return (type(args[0]), tuple(args))
    if hint in (int, float, str, bool):
        return (hint, None)
    return None


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One ``--<stage>-<setting>`` flag per scalar field of the PipelineConfig stages.

    Defaults are not repeated here: a flag left out keeps the dataclass default (or the value
    from ``--config``), so each default lives in one place.
    """
    import dataclasses
    import typing

    from .pipeline import PipelineConfig

    parser.add_argument("--config", metavar="TOML",
                        help="settings file: [video], [pose], [reconstruct], [biomech] tables")  # fmt: skip
    for section in dataclasses.fields(PipelineConfig):
        kind = (
            section.default_factory()
            if section.default_factory is not dataclasses.MISSING
            else None
        )
        if kind is None:
            continue
        group = parser.add_argument_group(f"{section.name} settings ([{section.name}] in --config)")
        hints = typing.get_type_hints(type(kind))
        doc = (type(kind).__doc__ or "").split("Attributes:")[-1]
        for f in dataclasses.fields(kind):
            flag = _flag_type(hints[f.name])
            if flag is None:
                continue
            conv, choices = flag
            name = f"--{section.name}-{f.name.replace('_', '-')}"
            dest = f"cfg__{section.name}__{f.name}"
            default = getattr(kind, f.name)
            described = _field_help(doc, f.name)
            text = f"{described} (default: {default})" if described else f"default: {default}"
            if conv is bool:
                group.add_argument(name, dest=dest, action=argparse.BooleanOptionalAction,
                                   default=None, help=text)  # fmt: skip
            else:
                group.add_argument(name, dest=dest, type=conv, choices=choices, default=None,
                                   metavar=None if choices else conv.__name__.upper(),
                                   help=text)  # fmt: skip


def _field_help(doc: str, name: str) -> str:
    import re

    match = re.search(rf"^\s*{name}(?:, [a-z_, ]+)?:\s*(.+?)(?=^\s*[a-z_]+(?:, [a-z_]+)*:|\Z)",
                      doc, flags=re.M | re.S)  # fmt: skip
    return " ".join(match.group(1).split()).replace("%", "%%") if match else ""


def config_from_args(args: argparse.Namespace):  # noqa: ANN201 - PipelineConfig
    """PipelineConfig from ``--config`` (TOML) overridden by explicit ``--<stage>-<setting>``."""
    import tomllib

    from .pipeline import PipelineConfig

    data: dict = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such config file.")
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc}).") from exc
    for key, value in vars(args).items():
        if key.startswith("cfg__") and value is not None:
            _, section, name = key.split("__")
            data.setdefault(section, {})[name] = value
    return PipelineConfig.from_dict(data)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .pipeline import analyze

    video = Path(args.video)
    if not video.exists():
        raise FileNotFoundError(f"{video}: no such file or folder. Give a video or image folder.")
    config = config_from_args(args)
    out = Path(args.out).expanduser().absolute()
    _prepare_out(out)[1].rmdir()  # fail early (before minutes of work) if out is unwritable
    with _quiet_native_logs():
        analysis = analyze(video, config, cache=not args.no_cache)
    try:
        analysis.save(out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(analysis.summary())
    print(f"wrote {out}")
    for flag in analysis.flags:
        print(f"humanmovenet: warning: {flag}", file=sys.stderr)
    view = analysis.keypoints.view
    return EXIT_FLAGGED if view is not None and not view.is_side_view else EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from .pipeline import Analysis
    from .viz import write_report

    folder = Path(args.analysis_dir)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder}: no such folder. Give a folder written by `humanmovenet analyze --out`."
        )
    analysis = Analysis.load(folder)  # FileNotFoundError / ValueError -> exit 3
    out = Path(args.out).expanduser().absolute()
    try:
        path = write_report(analysis, out, body_points=args.body_points)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"wrote {path} (open it in any browser; it works offline)")
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    config = config_from_args(args)
    out = Path(args.out).expanduser().absolute()
    _prepare_out(out / "results")[1].rmdir()  # fail early if out is unwritable
    try:
        result = run_batch(args.input, out, config, executor=args.executor,
                           workers=args.workers, address=args.address,
                           timeout_s=args.timeout or None, retry_failed=args.retry_failed,
                           cache=not args.no_cache)  # fmt: skip
    except ImportError as exc:  # --executor ray without Ray installed
        print(f"humanmovenet: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"{len(result.ok)} ok, {len(result.failed)} failed of {len(result.items)} videos "
        f"({len(result.computed)} analysed now); wrote {result.manifest} and {result.summary}"
    )
    for item in result.failed:
        print(f"humanmovenet: failed: {item.input}: {item.reason}", file=sys.stderr)
    return EXIT_FLAGGED if result.failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="humanmovenet",
        description=(
            "From one side-view video of a person bending or walking to a 3D body, a "
            "vertebra-level spine and lumbopelvic metrics. Run `humanmovenet demo` first."
        ),
    )
    parser.add_argument("--version", action="version", version=f"humanmovenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="body + spine picture, then a full analysis of a rendered bend vs its truth",
        description=(
            "1) Builds the shipped open body model with a population-mean spine, poses it "
            "neutral / forward bend / backward bend, and writes spine_demo.png and "
            "spine_demo.json (measured angles, degrees). 2) Renders a synthetic person bending "
            "forward, analyses the frames like a user's video (MediaPipe, body fit, spine, "
            "metrics), writes analysis_demo/ (frames, analysis folder, report.html) and prints "
            "the estimated metrics beside the exact ground truth. About a minute on 2 cores."
        ),
    )
    demo.add_argument(
        "--out", default="humanmovenet_demo", help="output folder (default: %(default)s)"
    )
    demo.add_argument("--body-only", action="store_true",
                      help="only the body + spine picture (seconds), skip the analysis demo")  # fmt: skip
    demo.set_defaults(func=_cmd_demo)

    pose = sub.add_parser(
        "pose",
        help="2D landmarks, silhouettes and view check of one video (MediaPipe, offline)",
        description=(
            "Runs the offline MediaPipe pose landmarker over VIDEO (a video file or a folder of "
            "images), tracks one person, fills short dropouts (flagged) and checks that the "
            "camera sees the person from the side. Writes keypoints.npz, silhouettes.npz, "
            "pose.json (summary and warnings) and overlay.png into --out. Exit code 1 when no "
            "person was found or the view is not a side view (sagittal metrics would be wrong)."
        ),
    )
    pose.add_argument("video", help="video file (mp4, mov, avi, mkv, ...) or folder of images")
    pose.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    pose.add_argument("--model", choices=("full", "lite"), default="full",
                      help="landmarker: full (more accurate, default) or lite (faster)")  # fmt: skip
    pose.add_argument("--start", type=int, default=None, help="first source frame index")
    pose.add_argument("--stop", type=int, default=None, help="source frame index to stop before")
    pose.add_argument("--fps", type=float, default=None, help="resample to this frame rate")
    pose.add_argument("--max-people", type=int, default=3,
                      help="people tracked per frame before choosing the subject (default 3)")  # fmt: skip
    pose.add_argument("--box", type=float, nargs=4, metavar=("X0", "Y0", "X1", "Y1"),
                      help="pixel box around the subject where it first appears")  # fmt: skip
    pose.add_argument("--no-masks", action="store_true", help="skip silhouettes (less memory)")
    pose.add_argument("--mask-scale", type=float, default=0.5,
                      help="silhouette resolution / frame resolution (default 0.5)")  # fmt: skip
    pose.set_defaults(func=_cmd_pose)

    analyze = sub.add_parser(
        "analyze",
        help="whole pipeline: video -> body, dynamic spine and clinical metrics",
        description=(
            "Analyses one side-view video of a person bending or walking: 2D landmarks and "
            "silhouettes (MediaPipe, offline), body fit to landmarks and back contour, "
            "vertebra-level spine, lumbopelvic metrics with uncertainties. Writes an analysis "
            "folder (--out) that `humanmovenet.Analysis.load` reads. Stage results are cached "
            "(~/.cache/humanmovenet or $HUMANMOVENET_CACHE_DIR), so re-running with other late "
            "settings is fast. Exit code 1 when the view is not a side view. Not a diagnosis."
        ),
    )
    analyze.add_argument("video", help="video file or folder of images")
    analyze.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    analyze.add_argument("--no-cache", action="store_true", help="recompute every stage")
    add_config_flags(analyze)
    analyze.set_defaults(func=_cmd_analyze)

    report = sub.add_parser(
        "report",
        help="one self-contained HTML report (3D spine viewer, metrics, flags) of an analysis",
        description=(
            "Reads an analysis folder written by `humanmovenet analyze --out` and writes ONE "
            "HTML file that opens offline in any browser: a playable 3D side/back view of the "
            "spine inside the fitted body, the metric table with units, uncertainties and "
            "literature ranges, the angle plots, the quality flags and the provenance. "
            "Not a diagnosis."
        ),
    )
    report.add_argument("analysis_dir", help="folder written by `humanmovenet analyze --out`")
    report.add_argument("--out", default="report.html",
                        help="HTML file to write (default: %(default)s)")  # fmt: skip
    report.add_argument("--body-points", type=int, default=1500,
                        help="body surface points per frame in the viewer; 0 = spine only "
                        "(default: %(default)s)")  # fmt: skip
    report.set_defaults(func=_cmd_report)

    batch = sub.add_parser(
        "batch",
        help="analyse every video of a folder or manifest CSV (local processes or Ray)",
        description=(
            "Runs `analyze` on every video of INPUT (a folder, searched recursively, or a CSV "
            "with a 'path' column) and writes one result folder per video (atomically), "
            "manifest.csv (input and config hashes, status, failure reason, seconds) and "
            "summary.csv (metrics and flags of the cohort) into --out. Bad videos are listed "
            "with their reason and never stop the batch. Re-running on the same --out resumes: "
            "finished videos (same input and config hash) are skipped. Exit code 1 when any "
            "video failed. See docs/batch.md."
        ),
    )
    batch.add_argument("input", help="folder of videos or manifest .csv with a 'path' column")
    batch.add_argument("--out", required=True, help="output folder (re-running on it resumes)")
    batch.add_argument("--executor", choices=("local", "ray"), default="local",
                       help="local processes (default) or Ray (pip install "
                            "'humanmovenet[batch]')")  # fmt: skip
    batch.add_argument("--address", default=None,
                       help="Ray cluster address ('auto', 'ray://host:10001'); default: start "
                            "a local Ray instance")  # fmt: skip
    batch.add_argument("--workers", type=int, default=None,
                       help="videos analysed in parallel (default: CPU count)")  # fmt: skip
    batch.add_argument("--timeout", type=float, default=1800.0, metavar="SECONDS",
                       help="per-video limit; the worker is killed and the video recorded as "
                            "failed (0 = no limit; default %(default)s)")  # fmt: skip
    batch.add_argument("--retry-failed", action="store_true",
                       help="re-run videos that failed in an earlier run")  # fmt: skip
    batch.add_argument("--no-cache", action="store_true", help="recompute every stage")
    add_config_flags(batch)
    batch.set_defaults(func=_cmd_batch)

    from .synth.dataset import add_synth_arguments, run_synth

    synth = sub.add_parser(
        "synth",
        help="render a synthetic dataset with exact ground truth (FP/EP/neither subjects)",
        description=(
            "Generates random subjects (body shape, spine morphology, FP/EP/neither pattern), "
            "their movements, side-view cameras and renders, and writes one folder per sequence "
            "with ground truth (body, vertebrae, angles, 2D landmarks; format: "
            "docs/synthetic_dataset.md). Deterministic for a seed."
        ),
    )
    add_synth_arguments(synth)
    synth.set_defaults(func=run_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help/--version
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except OutputError as exc:
        print(f"humanmovenet: error: {exc}", file=sys.stderr)
        return EXIT_OUTPUT
    except (FileNotFoundError, ValueError) as exc:
        print(f"humanmovenet: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("humanmovenet: interrupted", file=sys.stderr)
        return 130
    except Exception:  # a bug: show it, with a clear request
        traceback.print_exc()
        print(
            "humanmovenet: internal error — please report it with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
