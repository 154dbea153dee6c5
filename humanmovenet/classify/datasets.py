"""Labelled datasets for the FP/EP classifier: synthetic subjects and a user's own folder.

A dataset is a sequence of :class:`Sample` — one person, their expert (or synthetic) label and
one :class:`~humanmovenet.types.DynamicSpine` per movement. Two sources:

* :class:`SyntheticDataset` — subjects drawn by :mod:`humanmovenet.synth` (imported lazily,
  only when a subject has to be generated) with FP / EP / neither patterns, posed with the
  body model and turned into exact ground-truth spines. Deterministic in ``(seed, index)``;
  each subject is cached as one NPZ so later runs read instead of posing again.
* :class:`LabelledFolder` — a researcher's folder plus a labels CSV
  (``subject,movement,file,label``), the real clinical use: an expert labels their patients
  and the classifier learns that expert's classification.

A ``file`` in the CSV is either a video (recognised by its suffix, :data:`VIDEO_SUFFIXES`),
analysed with :func:`humanmovenet.analyze` — stage results cached on disk, so a second run reads
instead of recomputing — or a ``DynamicSpine`` NPZ written by
:func:`humanmovenet.io.export.save_dynamic_spine` (e.g. an ``Analysis`` folder's
``dynamic_spine.npz``). See ``docs/classifier.md``.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from humanmovenet._atomic import atomic_open
from humanmovenet.types import PHENOTYPE_LABELS, VERTEBRA_NAMES, DynamicSpine, SpineMorphology

__all__ = [
    "MOVEMENTS",
    "VIDEO_SUFFIXES",
    "Sample",
    "SyntheticDataset",
    "LabelledFolder",
    "default_cache_dir",
]

#: Movements the classifier uses, in feature order.
MOVEMENTS: tuple[str, ...] = ("forward_bend", "backward_bend")

#: File suffixes recognised as videos in a labels CSV (analysed with ``humanmovenet.analyze``).
VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")

_CACHE_ENV = "HUMANMOVENET_CACHE_DIR"
_CACHE_VERSION = 2  # 2: standing curves posed on the body (synth subject_embedding)
_REQUIRED_COLUMNS = ("subject", "movement", "file", "label")


@dataclass(frozen=True)
class Sample:
    """One labelled person.

    Attributes:
        subject: a unique subject id (cross-validation never splits one subject).
        label: one of :data:`humanmovenet.types.PHENOTYPE_LABELS`.
        spines: one ``DynamicSpine`` per movement name (``"forward_bend"``, ``"backward_bend"``).
        meta: free-form extra information (e.g. the synthetic subject's age).
    """

    subject: str
    label: str
    spines: dict[str, DynamicSpine]
    meta: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label not in PHENOTYPE_LABELS:
            raise ValueError(
                f"Sample {self.subject!r}: label must be one of {PHENOTYPE_LABELS}, "
                f"got {self.label!r}."
            )


def default_cache_dir() -> Path:
    """Where synthetic subjects are cached: ``$HUMANMOVENET_CACHE_DIR/classify`` or
    ``~/.cache/humanmovenet/classify``."""
    root = os.environ.get(_CACHE_ENV)
    base = Path(root) if root else Path.home() / ".cache" / "humanmovenet"
    return base / "classify"


# --------------------------------------------------------------------------- cache files


def _spine_arrays(prefix: str, spine: DynamicSpine) -> dict[str, np.ndarray]:
    m = spine.morphology
    out = {
        f"{prefix}positions": np.asarray(spine.positions, dtype=np.float32),
        f"{prefix}frames": np.asarray(spine.frames, dtype=np.float64),
        f"{prefix}pelvis_frames": np.asarray(spine.pelvis_frames, dtype=np.float64),
        f"{prefix}fps": np.array(float(spine.fps)),
        f"{prefix}morphology": np.array(
            [
                m.sacral_slope_deg,
                m.lumbar_lordosis_deg,
                m.thoracic_kyphosis_deg,
                m.lateral_deviation_deg,
            ]
        ),
    }
    if spine.hip_flexion is not None:
        out[f"{prefix}hip_flexion"] = np.asarray(spine.hip_flexion, dtype=np.float64)
    return out


def _spine_from_arrays(prefix: str, z) -> DynamicSpine:
    positions = np.asarray(z[f"{prefix}positions"], dtype=np.float64)
    hip = z[f"{prefix}hip_flexion"] if f"{prefix}hip_flexion" in z.files else None
    return DynamicSpine(
        positions=positions,
        frames=np.asarray(z[f"{prefix}frames"]),
        fps=float(z[f"{prefix}fps"]),
        confidence=np.ones(positions.shape[0]),
        morphology=SpineMorphology(*(float(v) for v in z[f"{prefix}morphology"])),
        pelvis_frames=np.asarray(z[f"{prefix}pelvis_frames"]),
        level_names=VERTEBRA_NAMES,
        hip_flexion=None if hip is None else np.asarray(hip),
    )


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


# --------------------------------------------------------------------------- synthetic


class SyntheticDataset(Sequence[Sample]):
    """Synthetic FP / EP / neither subjects with exact ground-truth spines.

    Subject ``i`` has label ``PHENOTYPE_LABELS[i % 3]`` (balanced classes) and is drawn with
    ``numpy.random.SeedSequence([seed, i])``; each movement has its own stream, so a subject is
    the same whatever ``movements`` are requested. Posing is slow (seconds per sequence on a
    loaded 2-core machine), so every subject is cached as
    ``<cache_dir>/synth_v1_seed<seed>_fps<fps>/subject_<i>.npz`` and read back on later runs.

    Args:
        n_subjects: number of subjects (≥ 3).
        seed: dataset seed; different seeds give disjoint, independent subjects.
        movements: which movements to generate per subject.
        fps: frame rate of the generated motions (10 is plenty for bends).
        cache_dir: cache folder (default :func:`default_cache_dir`); ``False`` disables it.
        start: index of the first subject (to split generation across processes).
    """

    def __init__(
        self,
        n_subjects: int,
        *,
        seed: int = 0,
        movements: Sequence[str] = MOVEMENTS,
        fps: float = 10.0,
        cache_dir: str | os.PathLike[str] | None | bool = None,
        start: int = 0,
    ) -> None:
        if int(n_subjects) < 3:
            raise ValueError(f"n_subjects must be >= 3 (one per class), got {n_subjects}.")
        bad = [m for m in movements if m not in MOVEMENTS]
        if bad or not movements:
            raise ValueError(
                f"movements must be a non-empty subset of {MOVEMENTS}, got {movements}."
            )
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be positive, got {fps}.")
        self.n_subjects = int(n_subjects)
        self.seed = int(seed)
        self.movements = tuple(movements)
        self.fps = float(fps)
        self.start = int(start)
        if cache_dir is False:
            self.cache_dir: Path | None = None
        else:
            base = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
            self.cache_dir = base / f"synth_v{_CACHE_VERSION}_seed{self.seed}_fps{self.fps:g}"
        self._body = None
        self._memory: dict[int, Sample] = {}

    def __len__(self) -> int:
        return self.n_subjects

    def label_of(self, i: int) -> str:
        """Label of subject ``i`` without generating it."""
        return PHENOTYPE_LABELS[(self.start + i) % len(PHENOTYPE_LABELS)]

    def _path(self, index: int) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"subject_{index:05d}.npz"

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"subject index {i} out of range for {len(self)} subjects.")
        if i not in self._memory:
            self._memory[i] = self._load_or_generate(self.start + i)
        return self._memory[i]

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    def _load_or_generate(self, index: int) -> Sample:
        path = self._path(index)
        label = PHENOTYPE_LABELS[index % len(PHENOTYPE_LABELS)]
        spines: dict[str, DynamicSpine] = {}
        meta: dict[str, float] = {}
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    if str(z["label"]) == label:
                        for mv in self.movements:
                            if f"{mv}/positions" in z.files:
                                spines[mv] = _spine_from_arrays(f"{mv}/", z)
                        meta = {"age_years": float(z["age_years"])}
            except (OSError, ValueError, KeyError):
                spines = {}  # corrupt or stale cache file: regenerate
        missing = [m for m in self.movements if m not in spines]
        if missing:
            new, meta = self._generate(index, label, missing)
            spines.update(new)
            if path is not None:
                arrays = {"label": np.array(label), "age_years": np.array(meta["age_years"])}
                for mv, sp in spines.items():
                    arrays |= _spine_arrays(f"{mv}/", sp)
                _atomic_savez(path, arrays)
        return Sample(
            subject=f"synth{self.seed}_{index:05d}",
            label=label,
            spines={m: spines[m] for m in self.movements},
            meta=meta,
        )

    def _generate(
        self, index: int, label: str, movements: Sequence[str]
    ) -> tuple[dict[str, DynamicSpine], dict[str, float]]:
        # Lazy imports: the classifier itself never depends on the synthetic stage.
        from humanmovenet.synth.motion import generate_motion
        from humanmovenet.synth.sequence import default_body, pose_sequence, subject_embedding
        from humanmovenet.synth.spine_truth import ground_truth_spine
        from humanmovenet.synth.subject import sample_subject

        if self._body is None:
            self._body = default_body()
        body = self._body
        subj_rng = np.random.default_rng(np.random.SeedSequence([self.seed, index, 0]))
        subject = sample_subject(subj_rng, phenotype=label)
        betas = body.shape_from_sliders(subject.sliders)[0]
        emb = subject_embedding(body, betas, subject)
        out = {}
        for mv in movements:
            k = 1 + MOVEMENTS.index(mv)
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, index, k]))
            motion = generate_motion(subject, mv, rng, fps=self.fps)
            posed = pose_sequence(subject, motion, body, embedding=emb)
            out[mv] = dataclasses.replace(ground_truth_spine(posed), pose=None)  # spine only
        return out, {"age_years": float(subject.age_years)}


# --------------------------------------------------------------------------- user's folder


def _normalise_label(raw: str) -> str | None:
    key = raw.strip().lower()
    for lab in PHENOTYPE_LABELS:
        if key == lab.lower():
            return lab
    return None


def _video_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a video (opens the container only), or None."""
    import av

    if path.stat().st_size == 0:
        return "the file is empty"
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.video:
                return "no video stream"
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


class LabelledFolder(Sequence[Sample]):
    """A researcher's folder of per-movement recordings with a labels CSV.

    CSV (UTF-8, header row, one row per subject and movement; extra columns are ignored)::

        subject,movement,file,label
        P001,forward_bend,P001_forward.npz,FP
        P001,backward_bend,P001_backward.npz,FP
        P002,backward_bend,P002_backward.npz,EP

    * ``subject``: any id; all rows of a subject must carry the same label.
    * ``movement``: ``forward_bend`` or ``backward_bend``.
    * ``file``: path relative to the folder (or absolute): a video (``.mp4 .mov .avi .mkv
      .webm .m4v``; one side-view recording of that movement) or a ``DynamicSpine`` NPZ
      written by :func:`humanmovenet.io.export.save_dynamic_spine`.
    * ``label``: ``FP``, ``EP`` or ``neither`` (case-insensitive).

    Everything that can be checked cheaply is checked when the folder is opened (columns,
    labels, movements, files exist, videos open and have a video stream, one label per subject,
    duplicates, at least two classes). Spines are loaded on first access: the first access
    analyses every video of the folder (progress bar; :func:`humanmovenet.analyze` with the
    movement from the CSV and ``config``), cached on disk, so later runs are fast. An analysis
    that fails (undecodable frames, no person found) raises a ValueError naming the CSV line.

    Args:
        folder: the folder holding the files.
        labels_csv: the CSV (default ``<folder>/labels.csv``).
        movements: keep only these movements; subjects lacking one of them are dropped with a
            note in :attr:`dropped` (default: keep every movement present).
        config: a :class:`humanmovenet.pipeline.PipelineConfig` for the videos (default: the
            defaults with no bootstrap — the classifier computes its own features). The
            movement of each video is taken from the CSV.
        cache: re-use cached stage results of earlier analyses of the same videos.
        progress: show a progress bar while analysing videos.

    Raises:
        FileNotFoundError: missing folder or CSV.
        ValueError: a bad CSV; the message names the row(s) and how to fix them.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        labels_csv: str | os.PathLike[str] | None = None,
        *,
        movements: Sequence[str] | None = None,
        config=None,  # noqa: ANN001 - PipelineConfig (imported lazily: a later stage)
        cache: bool = True,
        progress: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.config = config
        self.cache = bool(cache)
        self.progress = bool(progress)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"folder {self.folder} does not exist.")
        self.labels_csv = Path(labels_csv) if labels_csv else self.folder / "labels.csv"
        if not self.labels_csv.is_file():
            raise FileNotFoundError(
                f"labels CSV {self.labels_csv} not found; write one with the columns "
                f"{', '.join(_REQUIRED_COLUMNS)} (see docs/classifier.md)."
            )
        if movements is not None:
            bad = [m for m in movements if m not in MOVEMENTS]
            if bad:
                raise ValueError(f"movements must be from {MOVEMENTS}, got {bad}.")
        self._lines: dict[Path, int] = {}  # file → CSV line, for error messages
        self._entries, self.dropped = self._read(movements)
        self._memory: dict[int, Sample] = {}
        self._video_spines: dict[tuple[Path, str], DynamicSpine] = {}

    def _read(self, movements: Sequence[str] | None):
        where = str(self.labels_csv)
        with open(self.labels_csv, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            missing = [c for c in _REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ValueError(
                    f"{where}: missing column(s) {missing}; the header must contain "
                    f"{', '.join(_REQUIRED_COLUMNS)} (found {header or 'no header'})."
                )
            rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()}
                    for r in reader]  # fmt: skip
        if not rows:
            raise ValueError(f"{where}: no rows below the header.")
        errors: list[str] = []
        subjects: dict[str, dict] = {}
        for line, r in enumerate(rows, start=2):
            subj, mv, file, raw = r["subject"], r["movement"], r["file"], r["label"]
            if not subj:
                errors.append(f"line {line}: empty subject")
                continue
            label = _normalise_label(raw)
            if label is None:
                errors.append(f"line {line}: unknown label {raw!r} (use one of {PHENOTYPE_LABELS})")
                continue
            if mv not in MOVEMENTS:
                errors.append(f"line {line}: unknown movement {mv!r} (use one of {MOVEMENTS})")
                continue
            path = Path(file)
            path = path if path.is_absolute() else self.folder / path
            if not file or not path.is_file():
                errors.append(f"line {line}: file {file!r} not found in {self.folder}")
                continue
            if path.suffix.lower() in VIDEO_SUFFIXES:
                problem = _video_problem(path)
                if problem:
                    errors.append(
                        f"line {line}: {file!r} is a video file that cannot be read ({problem}); "
                        "re-export it (e.g. ffmpeg -i in.mov -c:v libx264 out.mp4) or fix the row"
                    )
                    continue
            elif path.suffix.lower() != ".npz":
                errors.append(
                    f"line {line}: {file!r} is neither a video ({' '.join(VIDEO_SUFFIXES)}) nor a "
                    "DynamicSpine .npz"
                )
                continue
            self._lines.setdefault(path, line)
            entry = subjects.setdefault(subj, {"label": label, "files": {}, "line": line})
            if entry["label"] != label:
                errors.append(
                    f"line {line}: subject {subj!r} labelled {label} here but {entry['label']} on "
                    f"line {entry['line']}; one label per subject"
                )
            if mv in entry["files"]:
                errors.append(f"line {line}: subject {subj!r} has a second {mv} row")
            entry["files"][mv] = path
        if errors:
            shown = "; ".join(errors[:10]) + (
                f"; … {len(errors) - 10} more" if len(errors) > 10 else ""
            )
            raise ValueError(f"{where}: {shown}.")
        dropped: dict[str, str] = {}
        entries = []
        for subj in sorted(subjects):
            e = subjects[subj]
            if movements is not None:
                lack = [m for m in movements if m not in e["files"]]
                if lack:
                    dropped[subj] = f"no {', '.join(lack)}"
                    continue
                e["files"] = {m: e["files"][m] for m in movements}
            entries.append((subj, e["label"], e["files"]))
        classes = sorted({lab for _, lab, _ in entries})
        if len(classes) < 2:
            raise ValueError(
                f"{where}: all {len(entries)} usable subject(s) are labelled {classes[0] if classes else '—'}; "
                "a classifier needs at least two classes."
            )
        return entries, dropped

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def labels(self) -> list[str]:
        """Label of each subject, without loading any file."""
        return [lab for _, lab, _ in self._entries]

    @property
    def subjects(self) -> list[str]:
        return [s for s, _, _ in self._entries]

    def label_of(self, i: int) -> str:
        return self._entries[i][1]

    @property
    def videos(self) -> list[tuple[Path, str]]:
        """(video path, movement) of every video row kept, in subject order."""
        return [(p, mv) for _, _, files in self._entries for mv, p in files.items()
                if p.suffix.lower() in VIDEO_SUFFIXES]  # fmt: skip

    @staticmethod
    def load_spine(path: Path) -> DynamicSpine:
        """Read one ``save_dynamic_spine`` NPZ (videos go through :meth:`analyse_videos`)."""
        from humanmovenet.io.export_npz import load_dynamic_spine

        try:
            return load_dynamic_spine(path)
        except ValueError as err:
            raise ValueError(f"{path}: not a readable DynamicSpine NPZ: {err}") from err

    def _config_for(self, movement: str):  # noqa: ANN202 - PipelineConfig
        from humanmovenet.pipeline import BiomechConfig, PipelineConfig

        base = self.config if self.config is not None else PipelineConfig(
            biomech=BiomechConfig(n_bootstrap=0))  # fmt: skip
        return dataclasses.replace(
            base, biomech=dataclasses.replace(base.biomech, movement=movement)
        )

    def analyse_videos(self, progress: bool | None = None) -> None:
        """Analyse every video of the folder not analysed yet (done on first access anyway).

        Each video runs through :func:`humanmovenet.analyze` with the stage cache (a second
        run on the same videos and settings reads the cached stages: well under a second per
        video). Only the resulting spine is kept in memory.

        Raises:
            ValueError: a video cannot be decoded or shows no person; the message names the
                CSV line and the file.
        """
        todo = [(p, mv) for p, mv in self.videos if (p, mv) not in self._video_spines]
        if not todo:
            return
        from humanmovenet.pipeline import analyze

        show = self.progress if progress is None else progress
        bar = None
        if show:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="analysing videos", unit="video")
        try:
            for path, mv in todo:
                if bar is not None:
                    bar.set_postfix_str(path.name, refresh=True)
                line = self._lines.get(path, "?")
                try:
                    analysis = analyze(path, self._config_for(mv), cache=self.cache)
                except FileNotFoundError as err:  # deleted since the CSV was checked
                    raise ValueError(f"{self.labels_csv}: line {line}: {err}") from err
                except ValueError as err:
                    raise ValueError(
                        f"{self.labels_csv}: line {line}: analysing {path.name} ({mv}) failed: "
                        f"{err}"
                    ) from err
                self._video_spines[(path, mv)] = analysis.spine
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    def _spine(self, path: Path, movement: str) -> DynamicSpine:
        if path.suffix.lower() in VIDEO_SUFFIXES:
            self.analyse_videos()  # all of them at once, with one progress bar
            return self._video_spines[(path, movement)]
        return self.load_spine(path)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"subject index {i} out of range for {len(self)} subjects.")
        if i not in self._memory:
            subj, label, files = self._entries[i]
            self._memory[i] = Sample(subj, label, {m: self._spine(p, m) for m, p in files.items()})
        return self._memory[i]

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]
