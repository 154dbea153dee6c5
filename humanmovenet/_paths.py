"""Where shipped model files live, and how a user overrides them.

Resolution order for every model file (DESIGN.md §3), first hit wins:

1. an explicit path argument given by the caller;
2. the file's environment variable (e.g. ``HUMANMOVENET_BODY_MODEL``), or a file of the same name
   in the folder named by ``HUMANMOVENET_WEIGHTS_DIR``;
3. the ``weights/`` folder shipped with the package (found both in a source checkout / editable
   install and in a regular wheel install, where it is installed as ``humanmovenet/_weights``).

A missing file raises ``FileNotFoundError`` and a file whose sha256 differs from the expected one
raises ``ValueError``; both messages list every way to fix the problem.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

__all__ = ["shipped_weights_dir", "resolve_weight", "sha256_of"]

_WEIGHTS_ENV = "HUMANMOVENET_WEIGHTS_DIR"


def shipped_weights_dir() -> Path:
    """The ``weights/`` folder that ships with this installation.

    Returns:
        The folder path (it exists in every supported install layout).

    Raises:
        FileNotFoundError: if the installation is broken and no weights folder can be found.
    """
    here = Path(__file__).resolve().parent
    candidates = (here / "_weights", here.parent / "weights")
    for cand in candidates:
        if cand.is_dir():
            return cand
    raise FileNotFoundError(
        "humanmovenet's shipped weights/ folder was not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "). Reinstall the package (`pip install humanmovenet` or `pip install -e .` from a "
        f"checkout), or point {_WEIGHTS_ENV} at a folder holding the model files."
    )


@lru_cache(maxsize=64)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file (cached per path, modification time and size)."""
    st = os.stat(path)
    return _sha256_cached(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


def resolve_weight(
    filename: str,
    *,
    path: str | os.PathLike[str] | None = None,
    env_var: str | None = None,
    sha256: str | None = None,
    what: str = "model file",
) -> Path:
    """Find a model file by the documented resolution order and verify its hash.

    Args:
        filename: the file's name in the shipped ``weights/`` folder.
        path: explicit path given by the caller (wins over everything else).
        env_var: name of an environment variable that may hold a path to the file.
        sha256: expected hex digest; checked only for the shipped file and for a file found
            under ``HUMANMOVENET_WEIGHTS_DIR`` with the same name (a user's own file given by
            ``path`` or ``env_var`` may legitimately differ and is not checked).
        what: human-readable description used in error messages.

    Returns:
        Absolute path of the file.

    Raises:
        FileNotFoundError: the file is missing; the message lists every way to provide it.
        ValueError: the shipped file's sha256 does not match (corrupt or partial download).
    """
    tried: list[str] = []
    check_hash = False
    found: Path | None = None
    if path is not None:
        found = Path(path).expanduser()
        tried.append(f"argument: {found}")
    elif env_var and os.environ.get(env_var):
        found = Path(os.environ[env_var]).expanduser()
        tried.append(f"${env_var}: {found}")
    else:
        if os.environ.get(_WEIGHTS_ENV):
            cand = Path(os.environ[_WEIGHTS_ENV]).expanduser() / filename
            tried.append(f"${_WEIGHTS_ENV}: {cand}")
            if cand.is_file():
                found, check_hash = cand, True
        if found is None:
            try:
                cand = shipped_weights_dir() / filename
                tried.append(f"shipped weights/: {cand}")
                found, check_hash = cand, True
            except FileNotFoundError as exc:
                tried.append(str(exc))
    if found is None or not found.is_file():
        fixes = [
            "pass the file's path as an argument",
            f"set {env_var}=/path/to/{filename}" if env_var else None,
            f"set {_WEIGHTS_ENV} to a folder containing {filename}",
            "restore the shipped file with `git checkout -- weights/` (source checkout) or "
            "reinstall humanmovenet",
        ]
        raise FileNotFoundError(
            f"{what} '{filename}' not found. Tried: "
            + "; ".join(tried)
            + ". To fix: "
            + "; or ".join(f for f in fixes if f)
            + "."
        )
    found = found.resolve()
    if check_hash and sha256 is not None:
        actual = sha256_of(found)
        if actual != sha256:
            raise ValueError(
                f"{what} {found} is corrupt or from another version: sha256 {actual[:16]}… "
                f"does not match the expected {sha256[:16]}…. To fix: restore it with "
                "`git checkout -- weights/` or reinstall humanmovenet"
                + (f", or point {env_var} at a good copy" if env_var else "")
                + "; weights/README.md explains how to regenerate it."
            )
    return found
