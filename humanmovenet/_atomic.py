"""Atomic file writes: a temporary file beside the target, renamed onto it only on success.

Every writer of the package goes through :func:`atomic_open`, so a failed or interrupted write
(disk full, killed process, an exception while serialising) never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_open"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing; on a clean exit it replaces ``path``.

    Args:
        path: the target file (its folder must exist).
        mode: ``"wb"`` or ``"w"``; ``kwargs`` go to :func:`os.fdopen` (``encoding``,
            ``newline``).

    Raises:
        OSError: the folder does not exist or cannot be written (nothing is left behind).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
