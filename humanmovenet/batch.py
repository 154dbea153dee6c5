"""Batch analysis of a cohort of videos: ``run_batch(inputs, out_dir, config) -> BatchResult``.

Each video goes through :func:`humanmovenet.pipeline.analyze` in a worker process and its
:class:`~humanmovenet.pipeline.Analysis` is saved to ``out_dir/results/<name>/`` (atomically:
temp folder + rename). ``out_dir`` also receives

* ``manifest.csv`` — one row per input: input path, input SHA-256, config hash, status
  (``ok`` / ``failed`` / ``pending``), reason (exception type and message), seconds, output
  folder. Rewritten atomically after every finished video, so a killed run loses at most the
  videos in flight.
* ``summary.csv`` — one row per input with the movement, the FP / EP / neither phenotype and
  its probability (bends only; empty otherwise), every metric's value and uncertainty (columns
  ``<metric>_deg`` / ``_pct`` / ratio, and ``…_unc``) and the quality flags;
  ``summary.parquet`` too when pyarrow is installed.
* ``logs/`` — the native log output of each local worker (MediaPipe writes to fd 2).

**Resume.** A video is skipped when its result folder exists and the video SHA-256 and the
config hash recorded in the folder's ``analysis.json`` equal those of this run. A video that
failed with the same input and config is not retried unless ``retry_failed=True``.

**Failures never stop the batch.** An exception in ``analyze`` or in saving, a worker process
that dies, and a video that runs longer than ``timeout_s`` (its worker is killed) are recorded
as ``failed`` with the reason, and the batch goes on.

**Executors.** ``"local"``: ``workers`` spawned processes on this machine (torch threads per
worker = cores // workers, at least 1). ``"ray"``: Ray remote tasks (``pip install
'humanmovenet[batch]'``) on a local Ray instance started here, or on the cluster at
``address``; each task reserves one CPU and runs one torch thread (the driver's core count
says nothing about the node a task lands on); the same manifest, resume and timeout logic.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import multiprocessing as mp
import os
import shutil
import sys
import time
import warnings
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_connections
from pathlib import Path
from typing import Any

from . import __version__
from ._atomic import atomic_open

__all__ = ["BatchItem", "BatchResult", "run_batch", "config_hash", "collect_inputs",
           "VIDEO_SUFFIXES"]  # fmt: skip

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
MANIFEST_FIELDS = ("input", "input_sha256", "config_hash", "status", "reason", "seconds",
                   "output")  # fmt: skip
MAIN_METRICS = ("lumbar_rom", "pelvic_tilt_range", "symmetry_index", "lumbar_hip_ratio")
_UNIT_SUFFIX = {"deg": "_deg", "%": "_pct"}
_READY_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class BatchItem:
    """The outcome for one input video.

    Attributes:
        input: absolute path of the video.
        name: its result folder name under ``out_dir/results``.
        input_sha256, config_hash: what resume compares.
        status: ``ok`` or ``failed``.
        reason: for failures, ``ExceptionType: message``; empty otherwise.
        seconds: wall time of the analysis (of the earlier run when resumed).
        resumed: True when the result was kept from an earlier run (not recomputed).
    """

    input: str
    name: str
    input_sha256: str
    config_hash: str
    status: str
    reason: str
    seconds: float
    resumed: bool = False


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did.

    Attributes:
        items: one per input, in input order.
        out_dir, manifest, summary: the written paths.
        wall_s: wall time of this call, seconds.
        executor, workers: how it ran.
    """

    items: tuple[BatchItem, ...]
    out_dir: Path
    manifest: Path
    summary: Path
    wall_s: float
    executor: str
    workers: int

    @property
    def ok(self) -> tuple[BatchItem, ...]:
        return tuple(i for i in self.items if i.status == "ok")

    @property
    def failed(self) -> tuple[BatchItem, ...]:
        return tuple(i for i in self.items if i.status == "failed")

    @property
    def computed(self) -> tuple[BatchItem, ...]:
        """Items analysed (or attempted) in this call, i.e. not resumed."""
        return tuple(i for i in self.items if not i.resumed)

    def output(self, item: BatchItem) -> Path:
        """The result folder of ``item`` (exists when ``item.status == 'ok'``)."""
        return self.out_dir / "results" / item.name


# ----------------------------------------------------------------------------- inputs, hashes


def config_hash(config: Any) -> str:
    """SHA-256 of the analysis settings (``cache_dir`` excluded) and the library version.

    Args:
        config: a ``PipelineConfig`` or its ``to_dict()``.
    """
    data = dict(config if isinstance(config, dict) else config.to_dict())
    data.pop("cache_dir", None)
    text = json.dumps([__version__, data], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _sha256(path: Path) -> str:
    """The same content hash ``analyze`` records (files; image folders: names + bytes)."""
    from .pipeline import _file_sha256

    return _file_sha256(path)


def collect_inputs(
    inputs: str | os.PathLike[str] | list, exclude: Path | None = None
) -> list[Path]:
    """The videos of a folder (recursive, by suffix, sorted), a manifest CSV or a list.

    A manifest CSV has a header with a ``path`` (or ``input`` / ``video``) column; relative
    paths are relative to the CSV's folder. ``exclude`` (the output folder) is skipped.
    """
    if isinstance(inputs, (list, tuple)):
        return [Path(p).expanduser().absolute() for p in inputs]
    src = Path(inputs).expanduser().absolute()
    if src.is_dir():
        found = []
        for p in sorted(src.rglob("*")):
            if exclude is not None and exclude.absolute() in p.parents:
                continue
            if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith("."):
                found.append(p)
        return found
    if src.is_file() and src.suffix.lower() == ".csv":
        with src.open(newline="") as fh:
            reader = csv.DictReader(fh)
            column = next((c for c in ("path", "input", "video") if c in (reader.fieldnames or [])),
                          None)  # fmt: skip
            if column is None:
                raise ValueError(
                    f"{src}: a manifest needs a 'path' (or 'input'/'video') column; "
                    f"found {reader.fieldnames}."
                )
            rows = [r[column].strip() for r in reader if (r.get(column) or "").strip()]
        return [(p if p.is_absolute() else src.parent / p) for p in map(Path, rows)]
    raise ValueError(f"{src}: expected a folder of videos or a manifest .csv with a 'path' column.")


def _names(paths: list[Path]) -> list[str]:
    """Result folder names: the file stem, made unique with a path hash when stems collide."""
    stems = [p.stem for p in paths]
    out = []
    for p, s in zip(paths, stems, strict=True):
        if stems.count(s) > 1:
            s = f"{s}-{hashlib.sha1(str(p).encode()).hexdigest()[:8]}"
        out.append(s)
    return out


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


# ----------------------------------------------------------------------------- one video


def _set_threads(threads: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)


def _run_one(video: str, out: str, config_dict: dict, cache: bool) -> dict[str, Any]:
    """Analyse one video and save it; never raises (the error becomes the record)."""
    start = time.perf_counter()
    try:
        from .pipeline import PipelineConfig, analyze

        analysis = analyze(video, PipelineConfig.from_dict(config_dict), cache=cache)
        analysis.save(out)
        return {"status": "ok", "reason": "", "seconds": time.perf_counter() - start}
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, the batch goes on
        return {"status": "failed", "reason": _reason(exc),
                "seconds": time.perf_counter() - start}  # fmt: skip


def _ray_task(video: str, out: str, config_dict: dict, cache: bool, threads: int) -> dict:
    _set_threads(threads)
    return _run_one(video, out, config_dict, cache)


def _worker_main(conn, threads: int, log_path: str) -> None:  # noqa: ANN001 - Connection
    """A local worker: native logs to ``log_path``, then analyse what the parent sends."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    _set_threads(threads)
    from . import pipeline  # noqa: F401 - import before "ready" so timeouts exclude it

    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(("done", _run_one(*task)))


# ----------------------------------------------------------------------------- executors


class _LocalPool:
    """Spawned worker processes; a worker past its deadline is killed and replaced."""

    def __init__(self, workers: int, threads: int, log_dir: Path) -> None:
        self.ctx = mp.get_context("spawn")
        self.threads = threads
        self.log_dir = log_dir
        self.slots: list[dict | None] = [None] * workers
        self.spawned = 0

    def _spawn(self, i: int) -> None:
        parent, child = self.ctx.Pipe()
        self.spawned += 1
        log = self.log_dir / f"worker-{i}.log"
        proc = self.ctx.Process(target=_worker_main, args=(child, self.threads, str(log)),
                                daemon=True, name=f"humanmovenet-batch-{i}")  # fmt: skip
        proc.start()
        child.close()
        self.slots[i] = {"proc": proc, "conn": parent, "ready": False, "task": None,
                         "started": time.monotonic(), "log": log}  # fmt: skip

    def _kill(self, i: int) -> None:
        slot = self.slots[i]
        if slot is None:
            return
        slot["proc"].kill()
        slot["proc"].join(5)
        slot["conn"].close()
        self.slots[i] = None

    def run(self, tasks: list, timeout_s: float | None, on_done) -> None:  # noqa: ANN001
        pending = deque(tasks)
        try:
            while pending or any(s and s["task"] is not None for s in self.slots):
                for i, slot in enumerate(self.slots):
                    if slot is None and pending:
                        self._spawn(i)
                    elif slot and slot["ready"] and slot["task"] is None and pending:
                        key, args = pending.popleft()
                        slot["conn"].send(args)
                        slot["task"], slot["started"] = key, time.monotonic()
                conns = {s["conn"]: i for i, s in enumerate(self.slots) if s}
                for conn in wait_connections(list(conns), timeout=0.2):
                    i = conns[conn]
                    slot = self.slots[i]
                    try:
                        kind, payload = conn.recv()
                    except (EOFError, OSError):
                        slot["proc"].join(5)
                        code = slot["proc"].exitcode
                        if slot["task"] is None:
                            self._kill(i)
                            raise RuntimeError(
                                f"a batch worker exited (code {code}) before taking a video; "
                                f"see {slot['log']}."
                            ) from None
                        on_done(slot["task"], {
                            "status": "failed", "seconds": time.monotonic() - slot["started"],
                            "reason": f"WorkerCrashed: the worker process died (exit code "
                                      f"{code}) while analysing this video; see {slot['log']}"})  # fmt: skip
                        self._kill(i)
                        continue
                    if kind == "ready":
                        slot["ready"] = True
                    else:
                        key, slot["task"] = slot["task"], None
                        on_done(key, payload)
                now = time.monotonic()
                for i, slot in enumerate(self.slots):
                    if slot is None:
                        continue
                    if slot["task"] is not None and timeout_s and now - slot["started"] > timeout_s:
                        key = slot["task"]
                        self._kill(i)
                        on_done(key, {"status": "failed", "seconds": now - slot["started"],
                                      "reason": f"TimeoutError: analysis took longer than "
                                                f"{timeout_s:g} s; the worker was killed"})  # fmt: skip
                    elif not slot["ready"] and now - slot["started"] > _READY_TIMEOUT_S:
                        self._kill(i)
                        raise RuntimeError(f"a batch worker did not start within "
                                           f"{_READY_TIMEOUT_S:g} s; see {slot['log']}.")  # fmt: skip
        finally:
            for i, slot in enumerate(self.slots):
                if slot is None:
                    continue
                try:
                    slot["conn"].send(None)
                except OSError:
                    pass
                slot["proc"].join(10)
                if slot["proc"].is_alive():
                    self._kill(i)
                else:
                    slot["conn"].close()
                    self.slots[i] = None


def _import_ray():  # noqa: ANN202
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "executor='ray' needs Ray: pip install 'humanmovenet[batch]' (or pip install "
            "'ray>=2.40'); or use executor='local'."
        ) from exc
    return ray


# A Ray task reserves this many CPUs and runs this many torch/OpenMP threads: the two agree, so
# a node's scheduler never places more threads than cores (the driver's core count says nothing
# about the node a task lands on).
_RAY_TASK_CPUS = 1


def _run_ray(tasks: list, workers: int, address: str | None, timeout_s: float | None,
             on_done) -> int:  # noqa: ANN001  # fmt: skip
    """Ray remote tasks, at most ``workers`` in flight; returns the cluster's CPU count."""
    ray = _import_ray()
    started_here = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
        started_here = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", workers))
        remote = ray.remote(num_cpus=_RAY_TASK_CPUS, max_retries=0)(_ray_task)
        pending = deque(tasks)
        running: dict[Any, tuple[Any, float]] = {}
        in_flight = max(1, min(workers, cpus))
        while pending or running:
            while pending and len(running) < in_flight:
                key, args = pending.popleft()
                running[remote.remote(*args, _RAY_TASK_CPUS)] = (key, time.monotonic())
            done, _ = ray.wait(list(running), num_returns=1, timeout=0.2)
            for ref in done:
                key, t0 = running.pop(ref)
                try:
                    record = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - worker died, task error
                    record = {"status": "failed", "seconds": time.monotonic() - t0,
                              "reason": _reason(exc)}  # fmt: skip
                on_done(key, record)
            now = time.monotonic()
            for ref, (key, t0) in list(running.items()):
                if timeout_s and now - t0 > timeout_s:
                    ray.cancel(ref, force=True)
                    running.pop(ref)
                    on_done(key, {"status": "failed", "seconds": now - t0,
                                  "reason": f"TimeoutError: analysis took longer than "
                                            f"{timeout_s:g} s; the Ray task was cancelled"})  # fmt: skip
        return cpus
    finally:
        if started_here:
            ray.shutdown()


# ----------------------------------------------------------------------------- manifest, summary


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(newline="") as fh:
        return {row["input"]: row for row in csv.DictReader(fh)}


def _write_csv(path: Path, fields: list[str] | tuple[str, ...], rows: list[dict]) -> None:
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _finished(folder: Path, sha: str, chash: str) -> bool:
    """True when ``folder`` holds a complete analysis of this input under this config."""
    try:
        meta = json.loads((folder / "analysis.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        meta.get("provenance", {}).get("video_sha256") == sha
        and config_hash(meta.get("config", {})) == chash
        and (folder / "metrics.json").is_file()
    )


def _summary_rows(items: list[BatchItem], results: Path) -> tuple[list[str], list[dict]]:
    fixed = ["name", "input", "status", "reason", "movement", "num_frames", "fps",
             "phenotype", "phenotype_probability", "flags"]  # fmt: skip
    metric_cols: list[str] = []
    rows = []
    for item in items:
        row: dict[str, Any] = {"name": item.name, "input": item.input, "status": item.status,
                               "reason": item.reason}  # fmt: skip
        if item.status == "ok":
            folder = results / item.name
            metrics = json.loads((folder / "metrics.json").read_text())
            meta = json.loads((folder / "analysis.json").read_text())
            row.update(movement=metrics["movement"], num_frames=metrics["num_frames"],
                       fps=metrics["fps"], flags=" | ".join(meta.get("flags", [])))  # fmt: skip
            ph_path = folder / "phenotype.json"
            ph = json.loads(ph_path.read_text()) if ph_path.is_file() else {}
            if ph.get("label"):
                row.update(phenotype=ph["label"],
                           phenotype_probability=ph["probabilities"][ph["label"]])  # fmt: skip
            names = sorted(metrics["metrics"], key=lambda n: (n not in MAIN_METRICS,
                           MAIN_METRICS.index(n) if n in MAIN_METRICS else 0))  # fmt: skip
            for name in names:
                m = metrics["metrics"][name]
                col = name + _UNIT_SUFFIX.get(m.get("unit", ""), "")
                row[col], row[col + "_unc"] = m["value"], m["uncertainty"]
                for c in (col, col + "_unc"):
                    if c not in metric_cols:
                        metric_cols.append(c)
        rows.append(row)
    return fixed + metric_cols, rows


def _write_summary(out_dir: Path, items: list[BatchItem]) -> Path:
    fields, rows = _summary_rows(items, out_dir / "results")
    path = out_dir / "summary.csv"
    _write_csv(path, fields, rows)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return path
    table = pa.table({f: [r.get(f) for r in rows] for f in fields})
    tmp = out_dir / f".summary.parquet.tmp-{os.getpid()}"
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, out_dir / "summary.parquet")
    finally:
        tmp.unlink(missing_ok=True)
    return path


# ----------------------------------------------------------------------------- entry point


def run_batch(
    inputs: str | os.PathLike[str] | list,
    out_dir: str | os.PathLike[str],
    config: Any = None,
    *,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    timeout_s: float | None = 1800.0,
    retry_failed: bool = False,
    progress: bool = True,
    cache: bool = True,
) -> BatchResult:
    """Analyse every video of ``inputs`` into ``out_dir`` (see the module docstring).

    Args:
        inputs: a folder (searched recursively for video suffixes), a manifest .csv with a
            ``path`` column, or a list of paths.
        out_dir: output folder (created); re-running on it resumes.
        config: a ``PipelineConfig`` (default settings if None).
        executor: ``"local"`` (processes) or ``"ray"``.
        workers: parallel videos (default: CPU count for local, 2 capped by CPUs otherwise).
        address: Ray cluster address (``"auto"`` or ``"ray://host:10001"``); None starts a
            local Ray instance with ``workers`` CPUs.
        timeout_s: per-video limit in seconds (None = no limit); a video over it is recorded
            as failed and its worker killed.
        retry_failed: re-run videos that failed before with the same input and config.
        progress: print one line per finished video to stderr.
        cache: let ``analyze`` use its stage cache (``config.cache_dir``).

    Returns:
        A :class:`BatchResult`; failures are in ``result.failed`` (never raised).

    Raises:
        ValueError: unknown executor, bad ``workers``/``timeout_s``, or unreadable ``inputs``.
        ImportError: ``executor="ray"`` without Ray installed (with the install command).
    """
    from .pipeline import PipelineConfig

    t_start = time.perf_counter()
    if executor not in ("local", "ray"):
        raise ValueError(f"executor must be 'local' or 'ray', got {executor!r}.")
    cores = os.cpu_count() or 1
    workers = cores if workers is None else workers
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}.")
    if timeout_s is not None and not (timeout_s > 0 and math.isfinite(timeout_s)):
        raise ValueError(
            f"timeout_s must be a positive number of seconds or None, got {timeout_s}."
        )
    config = config or PipelineConfig()
    if not isinstance(config, PipelineConfig):
        raise ValueError(f"config must be a PipelineConfig, got {type(config).__name__}.")
    if executor == "ray":
        _import_ray()  # fail before any work if Ray is missing
    out = Path(out_dir).expanduser().absolute()
    results = out / "results"
    paths = list(dict.fromkeys(collect_inputs(inputs, exclude=out)))  # each video once
    if not paths:
        raise ValueError(f"{inputs}: no videos found (suffixes {', '.join(VIDEO_SUFFIXES)}).")
    (out / "logs").mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    for pattern in (".*.tmp-*", ".*.old-*"):  # a killed save leaves its temp folders
        for stale in results.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)

    names = _names(paths)
    chash = config_hash(config)
    config_dict = config.to_dict()
    manifest_path = out / "manifest.csv"
    previous = _read_manifest(manifest_path)

    records: dict[int, BatchItem] = {}
    shas: list[str] = []
    tasks = []
    for k, (p, name) in enumerate(zip(paths, names, strict=True)):
        try:
            sha = _sha256(p)
        except OSError as exc:
            shas.append("")
            records[k] = BatchItem(str(p), name, "", chash, "failed", _reason(exc), 0.0)
            continue
        shas.append(sha)
        old = previous.get(str(p), {})
        same = old.get("input_sha256") == sha and old.get("config_hash") == chash
        if _finished(results / name, sha, chash):
            secs = float(old.get("seconds") or "nan") if same else float("nan")
            records[k] = BatchItem(str(p), name, sha, chash, "ok", "", secs, resumed=True)
        elif same and old.get("status") == "failed" and not retry_failed:
            records[k] = BatchItem(str(p), name, sha, chash, "failed", old.get("reason", ""),
                                   float(old.get("seconds") or "nan"), resumed=True)  # fmt: skip
        else:
            tasks.append((k, (str(p), str(results / name), config_dict, cache)))

    def manifest_rows() -> list[dict]:
        rows = []
        for k, (p, name) in enumerate(zip(paths, names, strict=True)):
            r = records.get(k)
            rows.append({"input": str(p), "input_sha256": shas[k], "config_hash": chash,
                         "status": r.status if r else "pending", "reason": r.reason if r else "",
                         "seconds": f"{r.seconds:.3f}" if r else "",
                         "output": f"results/{name}"})  # fmt: skip
        return rows

    _write_csv(manifest_path, MANIFEST_FIELDS, manifest_rows())
    n_todo, n_done = len(tasks), 0
    if progress:
        print(f"humanmovenet batch: {len(paths)} videos, {len(paths) - n_todo} already done, "
              f"{n_todo} to analyse ({executor}, {workers} workers)", file=sys.stderr)  # fmt: skip

    def on_done(k: int, rec: dict) -> None:
        nonlocal n_done
        n_done += 1
        records[k] = BatchItem(str(paths[k]), names[k], shas[k], chash, rec["status"],
                               rec["reason"], float(rec["seconds"]))  # fmt: skip
        try:  # e.g. disk full: the old manifest stays whole; rewritten after the next video
            _write_csv(manifest_path, MANIFEST_FIELDS, manifest_rows())
        except OSError as exc:
            warnings.warn(f"{manifest_path} not updated ({exc}); retried after the next video.",
                          stacklevel=2)  # fmt: skip
        if progress:
            tail = f" — {rec['reason']}" if rec["status"] != "ok" else ""
            print(f"[{n_done}/{n_todo}] {rec['status']:6s} {names[k]} "
                  f"({rec['seconds']:.1f} s){tail}", file=sys.stderr)  # fmt: skip

    if tasks:
        if executor == "local":
            threads = max(1, cores // workers)
            _LocalPool(min(workers, len(tasks)), threads, out / "logs").run(tasks, timeout_s,
                                                                            on_done)  # fmt: skip
        else:
            _run_ray(tasks, workers, address, timeout_s, on_done)
    items = [records[k] for k in range(len(paths))]
    try:
        _write_csv(manifest_path, MANIFEST_FIELDS, manifest_rows())
        summary = _write_summary(out, items)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"{out}: the batch finished ({sum(i.status == 'ok' for i in items)} ok) but its "
            f"manifest/summary could not be written ({exc.strerror or exc}). Every result "
            "folder in results/ is complete; free some space (or fix the permissions) and run "
            "the same command again: finished videos are not recomputed.",
        ) from exc
    result = BatchResult(tuple(items), out, manifest_path, summary,
                         time.perf_counter() - t_start, executor, workers)  # fmt: skip
    if progress:
        print(f"humanmovenet batch: {len(result.ok)} ok, {len(result.failed)} failed, "
              f"{len(result.computed)} computed in {result.wall_s:.1f} s; wrote {manifest_path} "
              f"and {summary}", file=sys.stderr)  # fmt: skip
    return result
