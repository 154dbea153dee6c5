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
def _quiet_native_logs(keep_python_stderr: bool = False):
    """Hide the C++ log lines MediaPipe/LiteRT write straight to file descriptor 2.

    They cannot be switched off by environment variables; on an error the captured lines are
    printed after all, since they may explain it. With ``keep_python_stderr``, Python's own
    ``sys.stderr`` (progress bars) keeps writing to the real stderr meanwhile.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        if keep_python_stderr:
            sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            python_stderr.write(capture.read().decode(errors="replace"))
            raise
        finally:
            if sys.stderr is not python_stderr:
                sys.stderr.close()
                sys.stderr = python_stderr
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
                from .demo import run_analysis_demo, run_pattern_pair_demo, run_real_clip_demo

                with _quiet_native_logs():
                    comparison = run_analysis_demo(tmp / "analysis_demo", progress=False)
                    walk = run_real_clip_demo(tmp / "real_clip_demo")
                    pair = run_pattern_pair_demo(tmp / "pattern_pair_demo")
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
        print(f"real walking clip ({walk['video']}, {walk['frames']} frames, movement detected: "
              f"{walk['movement']}): "
              f"{walk['gait_cycles']} gait cycles, standing lordosis "
              f"{walk['standing_lumbar_lordosis_deg']:.1f} deg; {len(walk['flags'])} quality "
              f"flag(s)")  # fmt: skip
        for name, value in walk["metrics"].items():
            if value is not None:
                print(f"  {name:26} {value['value']:10.2f} {value['unit']}")
        print(f"wrote {out / 'real_clip_demo'}: analysis/, report.html, summary.json")
        print("flexion-pattern vs extension-pattern person, backward bend (rendered, truth known):")
        print(f"  {'metric':26} {'FP est':>8} {'FP true':>8} {'EP est':>8} {'EP true':>8}")
        for i, row in enumerate(pair["people"]["FP"]["metrics"]):
            ep = pair["people"]["EP"]["metrics"][i]
            cells = [("—" if r[k] is None else f"{r[k]:.2f}")
                     for r in (row, ep) for k in ("estimated", "ground_truth")]  # fmt: skip
            print(f"  {row['metric']:26} " + " ".join(f"{c:>8}" for c in cells))
        for label, person in pair["people"].items():
            est = person["phenotype_estimated"]
            said = (f"{est} (p = {person['phenotype_probability']:.2f})" if est
                    else f"none ({person['phenotype_unavailable']})")  # fmt: skip
            print(f"  phenotype of the {label} person: {said}")
        print(
            f"wrote {out / 'pattern_pair_demo'}: analysis_FP/, analysis_EP/, report_FP.html, "
            "report_EP.html, pair.json (classifier trained on synthetic phenotypes; one pair "
            "is an example, not an accuracy: docs/classifier.md)"
        )
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
    from ``--config``), so each default lives in one place. The fields are read from the
    package's source (:func:`config_field_specs`), so ``--help`` does not import torch.
    """
    parser.add_argument("--config", metavar="TOML",
                        help="settings file: [video], [pose], [reconstruct], [biomech], [classify] tables")  # fmt: skip
    for section, doc, fields in config_field_specs():
        group = parser.add_argument_group(f"{section} settings ([{section}] in --config)")
        doc = doc.split("Attributes:")[-1]
        for name, (conv, choices), default in fields:
            flag = f"--{section}-{name.replace('_', '-')}"
            dest = f"cfg__{section}__{name}"
            described = _field_help(doc, name)
            text = f"{described} (default: {default})" if described else f"default: {default}"
            if conv is bool:
                group.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction,
                                   default=None, help=text)  # fmt: skip
            else:
                group.add_argument(flag, dest=dest, type=conv, choices=choices, default=None,
                                   metavar=None if choices else conv.__name__.upper(),
                                   help=text)  # fmt: skip


_Spec = list[tuple[str, str, list[tuple[str, tuple, object]]]]


def config_field_specs(*, from_source: bool = True) -> _Spec:
    """[(section, class docstring, [(field, (converter, choices), default)])] of the scalar
    settings of :class:`humanmovenet.pipeline.PipelineConfig`.

    Read from the source files with :mod:`ast` (importing the pipeline would load torch and
    MediaPipe, seconds before ``--help`` could print); falls back to importing the dataclasses
    when the source cannot be read that way (e.g. a default that is not a literal). Both ways
    give the same list (tested).
    """
    if from_source:
        try:
            return _specs_from_source()
        except (OSError, SyntaxError, ValueError, KeyError):
            pass
    return _specs_from_classes()


def _specs_from_classes() -> _Spec:
    import dataclasses
    import typing

    from .pipeline import PipelineConfig

    out = []
    for section in dataclasses.fields(PipelineConfig):
        if section.default_factory is dataclasses.MISSING:
            continue
        kind = type(section.default_factory())
        hints = typing.get_type_hints(kind)
        fields = []
        for f in dataclasses.fields(kind):
            flag = _flag_type(hints[f.name])
            if flag is not None:
                fields.append((f.name, flag, f.default))
        out.append((section.name, kind.__doc__ or "", fields))
    return out


def _specs_from_source() -> _Spec:
    import ast

    root = Path(__file__).resolve().parent
    cache: dict[Path, ast.Module] = {}

    def module(path: Path) -> ast.Module:
        if path not in cache:
            cache[path] = ast.parse(path.read_text(encoding="utf-8"))
        return cache[path]

    def find(path: Path, name: str) -> ast.ClassDef:
        tree = module(path)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        for node in tree.body:  # re-exported: follow `from .x import Name`
            if isinstance(node, ast.ImportFrom) and any(
                a.name == name and a.asname is None for a in node.names
            ):
                parts = (node.module or "").split(".")
                if node.level == 0 and parts[0] == root.name:  # from humanmovenet.x import
                    base = root.joinpath(*parts[1:])
                elif node.level >= 1:  # from .x import / from ..x import
                    base = path.parents[node.level - 1].joinpath(*parts)
                else:
                    continue
                target = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
                return find(target, name)
        raise KeyError(name)

    def default_factory(value: ast.expr | None) -> str | None:
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "field":
            for kw in value.keywords:
                if kw.arg == "default_factory" and isinstance(kw.value, ast.Name):
                    return kw.value.id
        return None

    pipeline = root / "pipeline.py"
    out = []
    for node in find(pipeline, "PipelineConfig").body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        kind = default_factory(node.value)
        if kind is None:
            continue
        cls = find(pipeline, kind)
        fields = []
        for f in cls.body:
            if not (isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name)):
                continue
            flag = _flag_type_from_text(ast.unparse(f.annotation))
            if flag is None:
                continue
            if f.value is None:
                raise ValueError(f"{kind}.{f.target.id} has no default")
            fields.append((f.target.id, flag, ast.literal_eval(f.value)))
        out.append((node.target.id, ast.get_docstring(cls, clean=False) or "", fields))
    return out


def _flag_type_from_text(text: str):  # noqa: ANN202 - (converter, choices) | None
    """:func:`_flag_type` of an annotation written as source text."""
    import ast

    parts = [p.strip() for p in text.split("|")]
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1:
        return None
    one = parts[0]
    if one.startswith("Optional[") and one.endswith("]"):
        return _flag_type_from_text(one[len("Optional[") : -1])
    scalars = {"int": int, "float": float, "str": str, "bool": bool}
    if one in scalars:
        return (scalars[one], None)
    if one.startswith("Literal[") and one.endswith("]"):
        values = ast.literal_eval(f"({one[len('Literal[') : -1]},)")
        return (type(values[0]), tuple(values))
    return None


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
    if args.overlay:
        from .viz.overlay import write_overlay_video

        try:
            write_overlay_video(analysis, video, out / "overlay.mp4", progress=True)
        except OSError as exc:
            raise OutputError(f"cannot write {out / 'overlay.mp4'}: {exc.strerror or exc}") from exc
    print(analysis.summary())
    print(f"wrote {out}" + (" (with overlay.mp4)" if args.overlay else ""))
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
    if args.overlay:
        from .viz.overlay import write_overlay_video

        video = Path(args.video) if args.video else Path(analysis.video)
        target = out.with_name(f"{out.stem}_overlay.mp4")
        try:
            write_overlay_video(analysis, video, target, progress=True)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        print(f"wrote {target}")
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


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    if (args.labels is None) == (args.synthetic is None):
        print("humanmovenet train classifier: error: give a labels CSV or --synthetic N "
              "(exactly one)", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    if args.folds == 1 or args.folds < 0:
        print(f"humanmovenet train classifier: error: --folds must be 0 (no cross-validation) "
              f"or >= 2, got {args.folds}", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    out = Path(args.out).expanduser().absolute()
    _prepare_out(out)[1].rmdir()  # fail early (before minutes of work) if out is unwritable
    from . import classify

    inputs = tuple(args.inputs) if args.inputs else None
    if args.labels is not None:
        csv_path = Path(args.labels)
        if not csv_path.is_file():
            raise FileNotFoundError(f"{csv_path}: no such labels CSV (columns: subject, "
                                    "movement, file, label; see docs/classifier.md).")  # fmt: skip
        config = None
        if _has_config(args):
            import dataclasses

            config = config_from_args(args)
            if args.cfg__biomech__n_bootstrap is None:  # the classifier needs no metric CIs
                config = dataclasses.replace(
                    config, biomech=dataclasses.replace(config.biomech, n_bootstrap=0)
                )
        data = classify.LabelledFolder(csv_path.parent, csv_path, movements=inputs,
                                       config=config,
                                       cache=not args.no_cache,
                                       progress=not args.no_progress)  # fmt: skip
        source = f"labels {csv_path.resolve()} ({len(data)} subjects)"
        if data.videos:
            with _quiet_native_logs(keep_python_stderr=True):  # the progress bar stays
                data.analyse_videos()
    else:
        if args.synthetic < 3:
            raise ValueError(f"--synthetic needs at least 3 subjects (one per class), got "
                             f"{args.synthetic}.")  # fmt: skip
        data = classify.SyntheticDataset(args.synthetic, seed=args.seed,
                                         movements=inputs or classify.MOVEMENTS)  # fmt: skip
        source = (f"SYNTHETIC phenotypes: SyntheticDataset({args.synthetic}, seed={args.seed}), "
                  "exact ground-truth spines")  # fmt: skip
    table = classify.extract_features(data, progress=not args.no_progress)
    cv = None
    if args.folds:
        cv = classify.cross_validate(table, folds=args.folds, model=args.model, inputs=inputs,
                                     seed=args.seed)  # fmt: skip
        print(cv.summary())
    clf = classify.train(table, model=args.model, inputs=inputs, seed=args.seed)
    clf.metadata["trained_on"] = source
    if cv is not None:
        clf.metadata["cross_validation"] = cv.as_dict()
    try:
        clf.save(out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"trained {clf.kind} on {'+'.join(clf.inputs)} ({len(table)} subjects); wrote {out}")
    return EXIT_OK


def _has_config(args: argparse.Namespace) -> bool:
    return bool(args.config) or any(
        k.startswith("cfg__") and v is not None for k, v in vars(args).items()
    )


# ----------------------------------------------------------------------------- evaluate


def _load_reconstruction(path: Path):  # noqa: ANN202 - (DynamicSpine, BiomechConfig | None)
    """The spine of an analysis folder or a DynamicSpine NPZ (+ the analysis' biomech config)."""
    import json

    from .io.export_npz import load_dynamic_spine

    if path.is_dir():
        meta_path = path / "analysis.json"
        if not meta_path.is_file():
            raise FileNotFoundError(
                f"{path}: no analysis.json; give a folder written by `humanmovenet analyze "
                "--out` or a DynamicSpine .npz."
            )
        from .pipeline import PipelineConfig

        config = PipelineConfig.from_dict(json.loads(meta_path.read_text())["config"])
        return load_dynamic_spine(path / "dynamic_spine.npz"), config.biomech
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such analysis folder or DynamicSpine .npz.")
    return load_dynamic_spine(path), None


def _load_truth(path: Path):  # noqa: ANN202 - (DynamicSpine, meta dict)
    """The exact spine of one sequence of a ``humanmovenet synth`` dataset."""
    import json

    import numpy as np
    from scipy.spatial.transform import Rotation

    from .types import DynamicSpine, SpineMorphology

    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such folder; give a sequence folder of a "
                                "`humanmovenet synth` dataset (with meta.json and gt.npz).")  # fmt: skip
    if (path / "manifest.json").is_file() and not (path / "gt.npz").is_file():
        seqs = sorted(p.name for p in path.iterdir() if (p / "gt.npz").is_file())
        if len(seqs) != 1:
            raise ValueError(f"{path} is a dataset with {len(seqs)} sequences; give one sequence "
                             f"folder, e.g. {path / (seqs[0] if seqs else 's0000_forward_bend')}.")  # fmt: skip
        path = path / seqs[0]
    if not (path / "gt.npz").is_file() or not (path / "meta.json").is_file():
        raise FileNotFoundError(f"{path}: no gt.npz/meta.json; not a sequence of a "
                                "`humanmovenet synth` dataset (docs/synthetic_dataset.md).")  # fmt: skip
    meta = json.loads((path / "meta.json").read_text())
    with np.load(path / "gt.npz", allow_pickle=False) as z:
        positions = np.asarray(z["vertebra_positions"], dtype=np.float64)
        spine = DynamicSpine(
            positions=positions,
            frames=np.asarray(z["vertebra_frames"], dtype=np.float64),
            fps=float(meta["fps"]),
            confidence=np.ones(positions.shape[0]),
            morphology=SpineMorphology(**meta["subject"]["morphology"]),
            pelvis_frames=Rotation.from_rotvec(np.asarray(z["root_orient"])).as_matrix(),
            hip_flexion=0.5 * (np.asarray(z["gt_hip_flexion_left"], dtype=np.float64)
                               + np.asarray(z["gt_hip_flexion_right"], dtype=np.float64)),
        )  # fmt: skip
    return spine, meta


def _rigid_align(source, target):  # noqa: ANN001, ANN202 - (N, 3) arrays
    """Rotation R and translation t minimising Σ|R s + t − g|² (Kabsch, no scale)."""
    import numpy as np

    ms, mt = source.mean(0), target.mean(0)
    u, _, vt = np.linalg.svd((source - ms).T @ (target - mt))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    R = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return R, mt - R @ ms


def evaluate_reconstruction(recon: Path, truth: Path) -> dict:
    """Compare a reconstructed spine with the exact spine of a synthetic sequence.

    Alignment: ONE rigid transform (rotation + translation, no scale) for the whole sequence,
    fitted to every vertebra of every frame (the reconstruction lives in its camera's world
    frame). Then: vertebra distance (mean over frames and levels, and per level), Hausdorff
    distance between the S1→C1 curves resampled to 100 points (per frame; mean and max over
    frames), mean absolute errors of the angle series (lumbar L1–S1, thoracic, pelvic tilt,
    per level; biomech definitions, both spines through the same code) and the errors of the
    clinical metrics against the metrics measured on the synthetic body (``measured_summary``).

    Raises:
        FileNotFoundError: a missing input.
        ValueError: inputs that do not match (frame count, vertebral levels).
    """
    import numpy as np

    from .biomech import (
        compute_metrics,
        level_angle_series,
        lumbar_angle_series,
        pelvic_tilt_series,
        thoracic_angle_series,
    )
    from .evaluate import angle_mae_deg, hausdorff_distance, resample_curve, to_mm

    rec, biomech = _load_reconstruction(recon)
    gt, meta = _load_truth(truth)
    if rec.level_names != gt.level_names:
        raise ValueError(f"vertebral levels differ: {rec.level_names} vs {gt.level_names}.")
    if rec.num_frames != gt.num_frames:
        raise ValueError(
            f"{recon} has {rec.num_frames} frames but the ground truth {truth} has "
            f"{gt.num_frames}: analyse the sequence's rgb/ folder (or a video of it) at its "
            f"frame rate ({meta['fps']:g} fps: --video-folder-fps {meta['fps']:g}), "
            "without --video-start/--video-stop/--video-target-fps."
        )
    if abs(rec.fps - gt.fps) > 1e-3 * gt.fps:
        raise ValueError(f"frame rates differ: {rec.fps:g} vs {gt.fps:g} fps; analyse with "
                         f"--video-folder-fps {gt.fps:g}.")  # fmt: skip
    R, t = _rigid_align(rec.positions.reshape(-1, 3), gt.positions.reshape(-1, 3))
    aligned = rec.positions @ R.T + t
    dist = np.linalg.norm(aligned - gt.positions, axis=-1)  # (T, K)
    a100 = resample_curve(aligned, 100)
    g100 = resample_curve(gt.positions, 100)
    haus = np.array([float(hausdorff_distance(a100[i], g100[i])) for i in range(rec.num_frames)])
    series = {"lumbar_angle": lumbar_angle_series, "thoracic_angle": thoracic_angle_series,
              "pelvic_tilt": pelvic_tilt_series}  # fmt: skip
    angle_mae = {n: float(angle_mae_deg(f(rec), f(gt))) for n, f in series.items()}
    per_level = angle_mae_deg(level_angle_series(rec), level_angle_series(gt), axis=0)
    movement = meta.get("movement")
    if biomech is not None:
        kw = {
            "smooth_s": biomech.smooth_s,
            "pelvic_tilt_offset_deg": biomech.pelvic_tilt_offset_deg,
        }
    else:
        kw = {}
    est = compute_metrics(rec, movement=movement, n_bootstrap=0, **kw).to_dict()["metrics"]
    truth_values = meta.get("measured_summary", {})
    metric_rows = []
    for name, row in est.items():
        key = f"{name}_deg" if f"{name}_deg" in truth_values else name
        true = truth_values.get(key)
        value = row.get("value")
        if true is None or value is None or not isinstance(true, (int, float)):
            continue
        metric_rows.append({"metric": name, "unit": row.get("unit"), "estimated": value,
                            "ground_truth": float(true), "error": value - float(true)})  # fmt: skip
    return {
        "reconstruction": str(recon.resolve()),
        "ground_truth": str(truth.resolve()),
        "movement": movement,
        "frames": rec.num_frames,
        "fps": rec.fps,
        "alignment": "one rigid transform (rotation + translation, no scale) for the whole "
        "sequence, least squares over every vertebra of every frame",
        "vertebra_mean_distance_mm": float(to_mm(dist.mean())),
        "vertebra_distance_per_level_mm": {
            n: float(to_mm(v)) for n, v in zip(rec.level_names, dist.mean(0), strict=True)
        },
        "hausdorff_mm": {
            "mean_over_frames": float(to_mm(haus.mean())),
            "max_over_frames": float(to_mm(haus.max())),
        },  # fmt: skip
        "angle_mae_deg": angle_mae,
        "level_angle_mae_deg": {
            f"{rec.level_names[i]}/{rec.level_names[i + 1]}": float(v)
            for i, v in enumerate(np.atleast_1d(per_level))
        },
        "metric_errors": metric_rows,
        "definitions": "docs/cli.md#evaluate and docs/metrics.md",
    }


def _evaluation_markdown(r: dict) -> str:
    lines = [
        "# Reconstruction vs ground truth",
        "",
        f"* reconstruction: `{r['reconstruction']}`",
        f"* ground truth: `{r['ground_truth']}` ({r['movement']}, {r['frames']} frames at "
        f"{r['fps']:g} fps)",
        f"* alignment: {r['alignment']}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| vertebra mean distance | {r['vertebra_mean_distance_mm']:.1f} mm |",
        f"| Hausdorff distance S1→C1, mean over frames | {r['hausdorff_mm']['mean_over_frames']:.1f} mm |",
        f"| Hausdorff distance S1→C1, worst frame | {r['hausdorff_mm']['max_over_frames']:.1f} mm |",
    ]  # fmt: skip
    lines += [f"| {n.replace('_', ' ')} MAE | {v:.2f}° |" for n, v in r["angle_mae_deg"].items()]
    lines += ["", "| metric | estimated | ground truth | error | unit |", "|---|---|---|---|---|"]
    lines += [f"| {m['metric']} | {m['estimated']:.2f} | {m['ground_truth']:.2f} | "
              f"{m['error']:+.2f} | {m['unit']} |" for m in r["metric_errors"]]  # fmt: skip
    lines += ["", "Per-level vertebra distance (mm): " + ", ".join(
        f"{k} {v:.0f}" for k, v in r["vertebra_distance_per_level_mm"].items()), ""]  # fmt: skip
    lines += ["Definitions: docs/cli.md (evaluate) and docs/metrics.md.", ""]
    return "\n".join(lines)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    result = evaluate_reconstruction(Path(args.reconstruction), Path(args.ground_truth))
    out, tmp = _prepare_out(Path(args.out))
    try:
        try:
            (tmp / "evaluation.json").write_text(json.dumps(result, indent=2))
            (tmp / "evaluation.md").write_text(_evaluation_markdown(result))
            _commit_out(tmp, out)
        except OSError as exc:
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"vertebra mean distance {result['vertebra_mean_distance_mm']:.1f} mm, Hausdorff "
        f"{result['hausdorff_mm']['mean_over_frames']:.1f} mm (mean over frames), lumbar angle "
        f"MAE {result['angle_mae_deg']['lumbar_angle']:.2f} deg; wrote {out}/evaluation.json "
        "and evaluation.md"
    )
    return EXIT_OK


def build_parser(command: str | None = "*") -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests).

    Args:
        command: add the long, generated flag lists (pipeline settings, synth settings) only
            to this subcommand; ``"*"`` (default) adds them everywhere. :func:`main` passes the
            command being run, so ``humanmovenet --help`` reads no config and imports neither
            torch nor MediaPipe.
    """

    def full(name: str) -> bool:
        return command in ("*", name)

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
            "the estimated metrics beside the exact ground truth. 3) Analyses the shipped real "
            "walking clip as gait (real_clip_demo/). 4) Shows a synthetic flexion-pattern and "
            "extension-pattern person bending backward side by side, estimated vs true "
            "(pattern_pair_demo/). About a minute on 2 cores."
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
    analyze.add_argument("--overlay", action="store_true",
                         help="also write overlay.mp4: landmarks, silhouette outline, projected "
                              "body and spine and the lumbar angle on the real frames")  # fmt: skip
    if full("analyze"):
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
    report.add_argument("--overlay", action="store_true",
                        help="also write <report>_overlay.mp4: the analysis drawn on the video's "
                             "frames (needs the analysed video)")  # fmt: skip
    report.add_argument("--video", default=None,
                        help="the analysed video, if it moved since the analysis "
                             "(default: the path stored in the analysis)")  # fmt: skip
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
    if full("batch"):
        add_config_flags(batch)
    batch.set_defaults(func=_cmd_batch)

    train = sub.add_parser(
        "train",
        help="train the FP/EP classifier on your labelled videos or on synthetic subjects",
        description="Train a model. Today: `humanmovenet train classifier` (see its --help).",
    )
    what = train.add_subparsers(dest="what", metavar="WHAT")
    classifier = what.add_parser(
        "classifier",
        help="FP / EP / neither classifier from a labels CSV or synthetic subjects",
        description=(
            "Cross-validates (by subject) and trains the flexion-pattern / extension-pattern / "
            "neither classifier on YOUR expert labels: LABELS is a CSV with the columns "
            "subject,movement,file,label, where file is a video (analysed with the full "
            "pipeline; stage results cached, so re-running is fast) or a DynamicSpine .npz, "
            "relative to the CSV's folder; movement is forward_bend or backward_bend; label is "
            "FP, EP or neither. Or --synthetic N trains on N synthetic subjects (a model of "
            "synthetic phenotypes, not of patients). Prints the cross-validated accuracy, "
            "balanced accuracy and Cohen's kappa with 95 %% bootstrap CIs, then trains on all "
            "subjects and writes --out atomically. See docs/classifier.md."
        ),
    )
    classifier.add_argument("labels", nargs="?", metavar="LABELS.csv",
                            help="labels CSV (subject,movement,file,label)")  # fmt: skip
    classifier.add_argument("--synthetic", type=int, default=None, metavar="N",
                            help="train on N synthetic subjects instead of a CSV")  # fmt: skip
    classifier.add_argument("--out", required=True, help="model file to write, e.g. model.pt")
    classifier.add_argument("--model", choices=("logistic", "sequence"), default="logistic",
                            help="logistic (interpretable, default) or sequence (1D conv over "
                                 "the angle trajectories)")  # fmt: skip
    classifier.add_argument("--folds", type=int, default=5,
                            help="cross-validation folds, by subject; every class needs at "
                                 "least this many subjects; 0 = skip (default %(default)s)")  # fmt: skip
    classifier.add_argument("--inputs", nargs="+", choices=("forward_bend", "backward_bend"),
                            default=None, metavar="MOVEMENT",
                            help="movements the model uses (default: every movement recorded "
                                 "for every subject); e.g. --inputs backward_bend")  # fmt: skip
    classifier.add_argument("--seed", type=int, default=0,
                            help="seed of folds, model and bootstrap (default 0)")  # fmt: skip
    classifier.add_argument("--no-cache", action="store_true",
                            help="re-analyse every video (ignore cached stage results)")  # fmt: skip
    classifier.add_argument("--no-progress", action="store_true", help="no progress bars")
    if full("train"):
        add_config_flags(classifier)
    classifier.set_defaults(func=_cmd_train_classifier)
    train.set_defaults(func=lambda _a: (train.print_help(), EXIT_USAGE)[1])

    evaluate = sub.add_parser(
        "evaluate",
        help="compare a reconstruction with synthetic ground truth (mm, degrees, metrics)",
        description=(
            "Compares RECON (an analysis folder written by `humanmovenet analyze --out`, or a "
            "DynamicSpine .npz) with GROUND_TRUTH (one sequence folder of a `humanmovenet "
            "synth` dataset: meta.json + gt.npz) frame by frame: vertebra mean distance and "
            "Hausdorff distance of the S1-C1 curve in mm after one rigid alignment, mean "
            "absolute errors of the lumbar, thoracic, pelvic-tilt and per-level angles in "
            "degrees, and the errors of the clinical metrics. Writes evaluation.json and "
            "evaluation.md into --out. Exit code 3 when an input is missing or the two do not "
            "match (other frame count or rate). See docs/cli.md."
        ),
    )
    evaluate.add_argument("reconstruction", metavar="RECON",
                          help="analysis folder or DynamicSpine .npz")  # fmt: skip
    evaluate.add_argument("ground_truth", metavar="GROUND_TRUTH",
                          help="sequence folder of a synthetic dataset (meta.json, gt.npz)")  # fmt: skip
    evaluate.add_argument("--out", required=True, help="output folder (replaced if it exists)")
    evaluate.set_defaults(func=_cmd_evaluate)

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
    if full("synth"):
        from .synth.dataset import add_synth_arguments

        add_synth_arguments(synth)
    synth.set_defaults(func=_cmd_synth)
    return parser


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth.dataset import run_synth

    return run_synth(args)


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is not an option), if any."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(argv))
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
