"""``analyze(video) -> Analysis``: every stage of DESIGN.md §2 composed, with an on-disk cache.

Stages: ``io`` (stream the video) → ``pose2d`` (landmarks, silhouettes, view, quality) →
``reconstruct`` (learned per-frame regression from landmarks + back contour, GCN+LSTM
temporal model, static morphology, fusion → ``DynamicSpine``) → ``biomech`` (``SpineMetrics``;
each ± includes the reconstruction's measured error, ``weights/metric_errors.json``)
→ ``classify`` (FP / EP / neither ``Phenotype`` of a forward or backward bend). Each stage's
settings are one frozen dataclass gathered in :class:`PipelineConfig`; the CLI is generated
from these fields.

**Cache.** The pose and reconstruction stages are cached on disk by content: the key of a stage
is the SHA-256 of the video bytes, the video reading settings and the settings of that stage and
every stage before it (and the library version); the reconstruction's key also holds the
SHA-256 of the shipped model files it uses, so a retrained model is not served from an old
cache entry. Changing a late setting (e.g. the bootstrap size) re-uses the pose estimation;
changing the pose model recomputes everything. The cache
lives in ``PipelineConfig.cache_dir``, else ``$HUMANMOVENET_CACHE_DIR``, else
``~/.cache/humanmovenet``; ``cache=False`` turns it off.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._paths import resolve_weight, sha256_of, shipped_weights_dir
from .biomech import MetricCalibration, SpineMetrics, compute_metrics, load_calibration
from .io import load_keypoints, load_silhouettes, open_video, save_keypoints, save_silhouettes
from .io.arrays import release_pages
from .io.export_metrics import save_metrics_csv
from .io.export_npz import load_dynamic_spine, save_dynamic_spine
from .pose2d import PoseConfig, estimate_pose
from .reconstruct import FitConfig, reconstruct_spine
from .types import DynamicSpine, Keypoints2D, Phenotype, Silhouettes, SpineMorphology

__all__ = [
    "VideoConfig",
    "BiomechConfig",
    "ClassifyConfig",
    "PipelineConfig",
    "FitQuality",
    "Analysis",
    "analyze",
    "default_cache_dir",
]

#: Movements on which the model-based reconstruction was measured against ground truth.
VALIDATED_MOVEMENTS: tuple[str, ...] = ("forward_bend", "backward_bend")

#: Fewest frames a movement can be measured on (``biomech`` refuses shorter spines).
MIN_FRAMES = 5

#: The metrics' reconstruction-error calibration in ``weights/`` (written by
#: ``benchmarks/bench_metric_calibration.py``); ``$HUMANMOVENET_METRIC_ERRORS`` points elsewhere.
METRIC_ERRORS_FILE = "metric_errors.json"
METRIC_ERRORS_ENV = "HUMANMOVENET_METRIC_ERRORS"

ANALYSIS_FORMAT = "humanmovenet.analysis"
ANALYSIS_VERSION = 1


@dataclass(frozen=True)
class VideoConfig:
    """Which frames of the video to read.

    Attributes:
        start: first source frame index (None = 0).
        stop: source frame index to stop before (None = end).
        target_fps: resample to at most this rate (None = every frame); use it for phone videos
            with a variable frame rate.
        folder_fps: frame rate of a folder of images (a video file carries its own).
    """

    start: int | None = None
    stop: int | None = None
    target_fps: float | None = None
    folder_fps: float = 30.0


@dataclass(frozen=True)
class BiomechConfig:
    """Settings of the clinical metrics (see :func:`humanmovenet.biomech.compute_metrics`).

    Attributes:
        movement: the movement if known (``forward_bend``, ``backward_bend``, ``lateral_bend``,
            ``gait``, ``standing``); None detects it.
        n_bootstrap: replicates of the noise bootstrap behind each ± (0 = no uncertainty).
        seed: bootstrap seed (results are reproducible).
        smooth_s: smoothing window of the angle series before the metrics, seconds.
        pelvic_tilt_offset_deg: anatomical tilt of the body model's neutral pelvis, degrees.
        calibrate: add the reconstruction's measured error (``weights/metric_errors.json`` or
            ``$HUMANMOVENET_METRIC_ERRORS``) to each ± and 95 % interval of a video's metrics
            (docs/clinical_metrics.md §4); False = frame noise only, which understates the
            error of a reconstruction several-fold.
    """

    movement: str | None = None
    n_bootstrap: int = 200
    seed: int = 0
    smooth_s: float = 0.3
    pelvic_tilt_offset_deg: float = 0.0
    calibrate: bool = True


@dataclass(frozen=True)
class ClassifyConfig:
    """Settings of the FP / EP / neither classification (see :mod:`humanmovenet.classify`).

    Attributes:
        enabled: classify forward and backward bends (other movements get no phenotype).
        path: your own classifier saved with ``Classifier.save`` (e.g. trained on your
            expert's labels with ``humanmovenet train``) instead of the shipped one (the
            single-bend logistic models trained on spines reconstructed from rendered SYNTHETIC
            videos; ``weights/README.md``); it must use only the movement of the video.
    """

    enabled: bool = True
    path: str | None = None

    def __post_init__(self) -> None:
        if self.path is not None and not Path(self.path).expanduser().is_file():
            raise FileNotFoundError(
                f"ClassifyConfig.path: {self.path} is not a file; give a classifier saved with "
                "Classifier.save (e.g. by `humanmovenet train classifier`), or leave it empty "
                "for the shipped one."
            )


@dataclass(frozen=True)
class PipelineConfig:
    """All settings of :func:`analyze`, one frozen dataclass per stage."""

    video: VideoConfig = field(default_factory=VideoConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)
    reconstruct: FitConfig = field(default_factory=FitConfig)
    biomech: BiomechConfig = field(default_factory=BiomechConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    cache_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict of every setting."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=list))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise a ValueError naming them."""
        parts = {"video": VideoConfig, "pose": PoseConfig, "reconstruct": FitConfig,
                 "biomech": BiomechConfig, "classify": ClassifyConfig}  # fmt: skip
        unknown = set(data) - set(parts) - {"cache_dir"}
        if unknown:
            raise ValueError(f"unknown config sections {sorted(unknown)}; known: {sorted(parts)}")
        kwargs: dict[str, Any] = {"cache_dir": data.get("cache_dir")}
        for name, kind in parts.items():
            values = dict(data.get(name) or {})
            known = {f.name for f in dataclasses.fields(kind)}
            bad = set(values) - known
            if bad:
                raise ValueError(
                    f"unknown settings {sorted(bad)} in [{name}]; known: {sorted(known)}"
                )
            for f in dataclasses.fields(kind):  # JSON/TOML lists back to tuples
                if isinstance(values.get(f.name), list):
                    values[f.name] = tuple(values[f.name])
            kwargs[name] = kind(**values)
        return cls(**kwargs)


@dataclass(frozen=True, eq=False)
class FitQuality:
    """How well the body model fits each frame (from the reconstruction stage).

    Attributes:
        keypoint_error: visibility-weighted mean landmark distance, in trunk lengths.
        contour_error: mean |model − observed| back depth, in trunk lengths (NaN: no contour).
        contour_coverage: fraction of back-contour stations observed.

    Shapes:
        each: (T,).
    """

    keypoint_error: np.ndarray
    contour_error: np.ndarray
    contour_coverage: np.ndarray


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything :func:`analyze` found in one video.

    Attributes:
        video: the analysed file (absolute path as given).
        keypoints, silhouettes: the 2D stage's output.
        spine: the vertebra-level spine over time (``spine.pose`` holds the body pose and shape).
        metrics: clinical metrics of the detected movement.
        fit_quality: per-frame residuals of the body fit.
        flags: plain-language quality warnings (view, dropouts, frame rate, framing, fit).
        provenance: library version, weight hashes, config, video hash, date, platform.
        config: the settings used.
        camera_R, camera_K: the pinhole camera the reconstruction fitted (world → camera
            rotation in OpenCV axes with the camera at the world origin, and intrinsics in
            pixels), or None (an analysis saved by an older version).
        phenotype: FP / EP / neither of a forward or backward bend with its evidence (trained on
            SYNTHETIC phenotypes unless ``ClassifyConfig.path`` is yours; not a diagnosis), or
            None — ``phenotype_unavailable`` then says why (e.g. gait).

    Shapes:
        camera_R, camera_K: (3, 3).
    """

    video: str
    keypoints: Keypoints2D
    silhouettes: Silhouettes | None
    spine: DynamicSpine
    metrics: SpineMetrics
    fit_quality: FitQuality
    flags: tuple[str, ...]
    provenance: dict[str, Any]
    config: PipelineConfig
    camera_R: np.ndarray | None = None
    camera_K: np.ndarray | None = None
    phenotype: Phenotype | None = None
    phenotype_unavailable: str = ""

    @property
    def morphology(self) -> SpineMorphology:
        """The person's estimated standing spine morphology."""
        return self.spine.morphology

    def summary(self) -> str:
        """A short plain-text report: metrics with units and ranges, then the flags."""
        lines = [f"humanmovenet {self.provenance.get('version', '?')} — {Path(self.video).name}",
                 self.metrics.summary()]  # fmt: skip
        if self.phenotype is not None:
            ph = self.phenotype
            lines.append(f"phenotype: {ph.label} (p = {ph.probability:.2f}, {ph.model} on "
                         f"{', '.join(ph.inputs)}; synthetic-trained unless your own classifier; "
                         "not a diagnosis)")  # fmt: skip
        else:
            lines.append(f"phenotype: — ({self.phenotype_unavailable})")
        lines += [f"flag: {f}" for f in self.flags]
        return "\n".join(lines)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write the analysis to ``folder`` (replaced atomically: temp folder + rename).

        A failed write (e.g. disk full) raises the ``OSError`` and leaves nothing behind: no
        temp folder, and a previous result in ``folder`` is kept unchanged. Silhouettes are
        written in chunks of frames, so memory-mapped masks of a long video are never loaded.

        Layout: ``analysis.json`` (format, version, video, flags, provenance, config),
        ``keypoints.npz``, ``silhouettes.npz`` (if any), ``dynamic_spine.npz`` (with the body
        pose), ``fit_quality.npz`` (with the fitted camera), ``metrics.json`` and
        ``metrics.csv`` (human-readable; metrics are recomputed exactly from the spine and
        config on :meth:`load`), ``phenotype.json`` (label, probabilities, evidence, or why
        there is none).
        """
        out = Path(folder).expanduser().absolute()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            save_keypoints(tmp / "keypoints.npz", self.keypoints)
            if self.silhouettes is not None:
                save_silhouettes(tmp / "silhouettes.npz", self.silhouettes)
            save_dynamic_spine(tmp / "dynamic_spine.npz", self.spine)
            q = self.fit_quality
            _save_fit(tmp / "fit_quality.npz", q, self.camera_R, self.camera_K)
            (tmp / "phenotype.json").write_text(json.dumps(
                _phenotype_dict(self.phenotype, self.phenotype_unavailable), indent=2))  # fmt: skip
            (tmp / "metrics.json").write_text(json.dumps(self.metrics.to_dict(), indent=2))
            save_metrics_csv(tmp / "metrics.csv", self.metrics)
            meta = {"format": ANALYSIS_FORMAT, "version": ANALYSIS_VERSION, "video": self.video,
                    "flags": list(self.flags), "provenance": self.provenance,
                    "config": self.config.to_dict()}  # fmt: skip
            (tmp / "analysis.json").write_text(json.dumps(meta, indent=2, default=str))
            if out.exists():  # keep the previous result until the new one is in place
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                old.rmdir()
                out.rename(old)
                try:
                    tmp.rename(out)
                except BaseException:
                    old.rename(out)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(out)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return out

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Analysis:
        """Read a folder written by :meth:`save` (validated; metrics recomputed exactly)."""
        folder = Path(folder)
        meta_path = folder / "analysis.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{folder}: no analysis.json; is this an analysis folder?")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != ANALYSIS_FORMAT or meta.get("version") != ANALYSIS_VERSION:
            raise ValueError(
                f"{meta_path}: format {meta.get('format')!r} version {meta.get('version')!r}; "
                f"this humanmovenet reads {ANALYSIS_FORMAT!r} version {ANALYSIS_VERSION}."
            )
        config = PipelineConfig.from_dict(meta["config"])
        spine = load_dynamic_spine(folder / "dynamic_spine.npz")
        sil = folder / "silhouettes.npz"
        quality, camera_R, camera_K = _load_fit(folder / "fit_quality.npz")
        ph_path = folder / "phenotype.json"
        phenotype, why = (_phenotype_from_dict(json.loads(ph_path.read_text()))
                          if ph_path.is_file() else (None, "not in this saved analysis"))  # fmt: skip
        return cls(
            video=meta["video"],
            keypoints=load_keypoints(folder / "keypoints.npz"),
            silhouettes=load_silhouettes(sil) if sil.is_file() else None,
            spine=spine,
            metrics=_metrics(spine, config.biomech, _calibration(config)),
            fit_quality=quality,
            flags=tuple(meta["flags"]),
            provenance=meta["provenance"],
            config=config,
            camera_R=camera_R,
            camera_K=camera_K,
            phenotype=phenotype,
            phenotype_unavailable=why,
        )


def _save_fit(path: Path, q: FitQuality, camera_R, camera_K) -> None:  # noqa: ANN001
    extra = {} if camera_R is None else {"camera_R": camera_R, "camera_K": camera_K}
    np.savez_compressed(path, keypoint_error=q.keypoint_error, contour_error=q.contour_error,
                        contour_coverage=q.contour_coverage, **extra)  # fmt: skip


def _load_fit(path: Path) -> tuple[FitQuality, np.ndarray | None, np.ndarray | None]:
    with np.load(path) as z:
        quality = FitQuality(z["keypoint_error"], z["contour_error"], z["contour_coverage"])
        if "camera_R" not in z.files:
            return quality, None, None
        return quality, np.asarray(z["camera_R"], float), np.asarray(z["camera_K"], float)


def _phenotype_dict(ph: Phenotype | None, why: str) -> dict[str, Any]:
    if ph is None:
        return {"label": None, "unavailable": why}
    return {"label": ph.label, "probabilities": ph.probabilities, "evidence": list(ph.evidence),
            "model": ph.model, "inputs": list(ph.inputs),
            "note": "trained on synthetic phenotypes unless the classifier is your own; "
                    "not a diagnosis"}  # fmt: skip


def _phenotype_from_dict(d: dict[str, Any]) -> tuple[Phenotype | None, str]:
    if d.get("label") is None:
        return None, str(d.get("unavailable", ""))
    return Phenotype(d["label"], {k: float(v) for k, v in d["probabilities"].items()},
                     tuple(d.get("evidence", ())), str(d.get("model", "")),
                     tuple(d.get("inputs", ()))), ""  # fmt: skip


# --------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """``$HUMANMOVENET_CACHE_DIR`` or ``~/.cache/humanmovenet``."""
    env = os.environ.get("HUMANMOVENET_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "humanmovenet"


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():  # a folder of images: names and bytes of every file, in order
        for p in sorted(path.iterdir()):
            if p.is_file():
                h.update(p.name.encode())
                h.update(_file_sha256(p).encode())
        return h.hexdigest()
    return sha256_of(path)  # streamed, cached per path, mtime and size


def _key(*parts: Any) -> str:
    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class _StageCache:
    """One folder per stage result, written atomically; None root = no caching."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def get(self, stage: str, key: str) -> Path | None:
        if self.root is None:
            return None
        path = self.root / stage / key
        return path if (path / "done").is_file() else None

    def put(self, stage: str, key: str, write) -> None:  # noqa: ANN001 - callable(folder)
        if self.root is None:
            return
        final = self.root / stage / key
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp-", dir=final.parent))
        except OSError as exc:  # a read-only cache must not stop the analysis
            warnings.warn(f"cache not written ({exc}); results are not cached.", stacklevel=3)
            return
        try:
            write(tmp)
            (tmp / "done").write_text("ok")
            if final.exists():
                shutil.rmtree(final)
            tmp.rename(final)
        except OSError as exc:
            warnings.warn(f"cache not written ({exc}); results are not cached.", stacklevel=3)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- stages


def _pose_stage(video: Path, config: PipelineConfig, cache: _StageCache, key: str):
    hit = cache.get("pose2d", key)
    if hit is not None:
        sil = hit / "silhouettes.npz"
        warn = tuple(json.loads((hit / "warnings.json").read_text()))
        return load_keypoints(hit / "keypoints.npz"), (load_silhouettes(sil) if sil.is_file()
                                                       else None), warn  # fmt: skip
    v = config.video
    with open_video(video, start=v.start, stop=v.stop, target_fps=v.target_fps,
                    folder_fps=v.folder_fps) as reader:  # fmt: skip
        with warnings.catch_warnings():  # returned as flags instead
            warnings.simplefilter("ignore", UserWarning)
            result = estimate_pose(reader, config.pose)

    def write(folder: Path) -> None:
        save_keypoints(folder / "keypoints.npz", result.keypoints)
        if result.silhouettes is not None:
            save_silhouettes(folder / "silhouettes.npz", result.silhouettes)
        (folder / "warnings.json").write_text(json.dumps(list(result.warnings)))

    cache.put("pose2d", key, write)
    return result.keypoints, result.silhouettes, tuple(result.warnings)


def _reconstruct_stage(keypoints, silhouettes, config: PipelineConfig, cache, key: str):
    hit = cache.get("reconstruct", key)
    if hit is not None:
        quality, camera_R, camera_K = _load_fit(hit / "fit_quality.npz")
        if camera_R is not None:  # entries from before the camera was stored are recomputed
            return load_dynamic_spine(hit / "dynamic_spine.npz"), quality, camera_R, camera_K
    facing = keypoints.view.facing if keypoints.view is not None else None
    facing = facing if facing in ("left", "right") else None
    spine, fit, _static = reconstruct_spine(keypoints, silhouettes, config=config.reconstruct,
                                            facing=facing)  # fmt: skip
    if silhouettes is not None:  # pages of disk-backed masks read by the contour: let go
        release_pages(silhouettes.masks)
    quality = FitQuality(fit.keypoint_error, fit.contour_error, fit.contour_coverage)
    camera_R, camera_K = np.asarray(fit.camera_R, float), np.asarray(fit.K, float)
    del fit, _static
    _return_freed_memory()  # the cache write's copies (spine validation) on a trimmed heap

    def write(folder: Path) -> None:
        save_dynamic_spine(folder / "dynamic_spine.npz", spine)
        _save_fit(folder / "fit_quality.npz", quality, camera_R, camera_K)

    cache.put("reconstruct", key, write)
    return spine, quality, camera_R, camera_K


def _metrics(
    spine: DynamicSpine, c: BiomechConfig, calibration: MetricCalibration | None = None
) -> SpineMetrics:
    return compute_metrics(spine, movement=c.movement, n_bootstrap=c.n_bootstrap, seed=c.seed,
                           smooth_s=c.smooth_s, pelvic_tilt_offset_deg=c.pelvic_tilt_offset_deg,
                           calibration=calibration)  # fmt: skip


def _calibration(config: PipelineConfig) -> MetricCalibration | None:
    """The reconstruction-error calibration for the metrics of a video, or None (switched off).

    A calibration measured for another reconstruction method (e.g. ``"fit"``) does not apply:
    then every metric is reported 'not calibrated' (frame noise only, and says so).
    """
    if not config.biomech.calibrate:
        return None
    path = resolve_weight(METRIC_ERRORS_FILE, env_var=METRIC_ERRORS_ENV,
                          what="metric calibration (benchmarks/bench_metric_calibration.py)")  # fmt: skip
    calibration = load_calibration(path)
    method = config.reconstruct.method
    if calibration.method != method:
        return MetricCalibration.empty(
            method=method, source=f"{path} calibrates the '{calibration.method}' reconstruction"
        )
    return calibration


def _calibration_flag(calibration: MetricCalibration | None, weights: dict[str, str]) -> str:
    """A warning when the calibration was measured with other reconstruction model files."""
    if calibration is None:
        return ""
    changed = sorted(name for name, sha in calibration.weights.items()
                     if name in weights and weights[name] != sha)  # fmt: skip
    if not changed:
        return ""
    return (
        f"The metrics' ± includes a reconstruction error measured with other model files "
        f"({', '.join(changed)}); it may not describe this reconstruction. Re-run python "
        "benchmarks/bench_metric_calibration.py after changing the reconstruction."
    )


#: Movements the FP / EP classifiers are trained on (one classifier per bend).
CLASSIFIED_MOVEMENTS: tuple[str, ...] = ("forward_bend", "backward_bend")


def _phenotype(
    spine: DynamicSpine, metrics: SpineMetrics, c: ClassifyConfig
) -> tuple[Phenotype | None, str]:
    """(phenotype, "") or (None, why not) for the movement of this video."""
    if not c.enabled:
        return None, "classification switched off (ClassifyConfig.enabled = False)"
    movement = str(metrics.movement)
    if movement not in CLASSIFIED_MOVEMENTS:
        return None, (
            f"FP / EP classification needs a forward or backward bend; this video shows "
            f"'{movement}'"
        )
    from . import classify

    classifier = (classify.load(c.path) if c.path
                  else classify.load_shipped("logistic", movement=movement))  # fmt: skip
    if tuple(classifier.inputs) != (movement,):
        return None, (
            f"the classifier {c.path} uses {', '.join(classifier.inputs)}; one video "
            f"shows one movement ({movement}) — classify the pair with "
            "classify.predict({'forward_bend': a.spine, 'backward_bend': b.spine}, classifier)"
        )
    return classify.predict({movement: spine}, classifier), ""


#: Shipped files the reconstruction depends on (name prefixes in ``weights/``): a retrained
#: model changes the reconstruction's cache key.
_RECONSTRUCTION_WEIGHTS = ("body_", "regressor", "temporal", "static", "landmark_noise")


def _reconstruction_weights(weights: dict[str, str]) -> dict[str, str]:
    """The entries of :func:`_weights_provenance` the reconstruction depends on."""
    return {k: v for k, v in weights.items() if k.startswith(_RECONSTRUCTION_WEIGHTS)}


def _return_freed_memory() -> None:
    """Hand memory freed by the C libraries (MediaPipe, the decoder) back to the OS.

    glibc keeps freed heap pages mapped; ``malloc_trim`` releases them. On 1,200 frames of a
    1080p video it lowered the resident memory after the 2D stage from 273 to 196 MB. Also
    called after the reconstruction (before its cache write, which validates copies of the
    spine) and after the metrics: on an 18,000-frame video from the 2D cache the cache write's
    peak went from 841 to 771 MB (``benchmarks/bench_video_memory.py --steps``). A no-op where
    glibc is not the C library.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _weights_provenance() -> dict[str, str]:
    folder = shipped_weights_dir()
    return {p.name: sha256_of(p) for p in sorted(folder.glob("*"))
            if p.suffix in (".npz", ".task", ".pt", ".json")}  # fmt: skip


def analyze(
    video: str | os.PathLike[str],
    config: PipelineConfig | None = None,
    *,
    cache: bool = True,
) -> Analysis:
    """Analyse one side-view video of a person bending or walking.

    Args:
        video: a video file (mp4, mov, avi, mkv, …) or a folder of images.
        config: settings of every stage (default :class:`PipelineConfig`).
        cache: re-use cached stage results (see the module docstring).

    Returns:
        An :class:`Analysis`.

    Raises:
        FileNotFoundError: the video does not exist.
        ValueError: not a readable video, no frames, fewer than :data:`MIN_FRAMES` frames, no
            person detected in any frame, or bad settings; the message says what to do.
    """
    config = config or PipelineConfig()
    path = Path(video).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such video file or image folder.")
    root = Path(config.cache_dir).expanduser() if config.cache_dir else default_cache_dir()
    stage_cache = _StageCache(root if cache else None)
    video_sha = _file_sha256(path)
    c = config.to_dict()
    pose_key = _key(video_sha, c["video"], c["pose"])
    keypoints, silhouettes, pose_flags = _pose_stage(path, config, stage_cache, pose_key)
    _return_freed_memory()  # MediaPipe's freed buffers, before the reconstruction's peak
    if not keypoints.detected.any():
        raise ValueError(
            f"{path}: no person was detected in any frame, so nothing can be reconstructed. "
            "Film the whole body from the side, well lit, filling at least a third of the frame."
        )
    if keypoints.num_frames < MIN_FRAMES:  # before the (costly) reconstruction
        raise ValueError(
            f"{path}: only {keypoints.num_frames} frame(s) were read; measuring a movement needs "
            f"at least {MIN_FRAMES}. Give a video of the whole movement (or widen "
            "VideoConfig start/stop, or raise target_fps)."
        )
    weights = _weights_provenance()  # hashed once: the cache key and the provenance
    rec_key = _key(pose_key, c["reconstruct"], _reconstruction_weights(weights))
    spine, quality, camera_R, camera_K = _reconstruct_stage(keypoints, silhouettes, config,
                                                            stage_cache, rec_key)  # fmt: skip
    _return_freed_memory()  # the reconstruction's temporaries, before the metrics' bootstrap
    calibration = _calibration(config)  # a reconstructed spine: its measured error joins the ±
    metrics = _metrics(spine, config.biomech, calibration)
    phenotype, no_phenotype = _phenotype(spine, metrics, config.classify)
    _return_freed_memory()  # the bootstrap's replicates, before e.g. Analysis.save's copies
    flags = list(pose_flags)
    if _calibration_flag(calibration, weights):
        flags.append(_calibration_flag(calibration, weights))
    if metrics.movement not in VALIDATED_MOVEMENTS:
        flags.append(
            f"Detected movement '{metrics.movement}': the reconstruction has only been validated "
            "on forward and backward bends (docs/reconstruction.md); treat these numbers as "
            "unvalidated."
        )
    provenance = {
        "version": __version__,
        "video_sha256": video_sha,
        "weights_sha256": weights,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cache_keys": {"pose2d": pose_key, "reconstruct": rec_key},
    }
    return Analysis(str(path.absolute()), keypoints, silhouettes, spine, metrics, quality,
                    tuple(flags), provenance, config, camera_R, camera_K, phenotype,
                    no_phenotype)  # fmt: skip
