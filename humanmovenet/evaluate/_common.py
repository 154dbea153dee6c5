"""Input conversion and shape checks shared by the metrics (private).

Output-type rule of :mod:`humanmovenet.evaluate` (see ``docs/metrics.md``): a metric mirrors the
type of its inputs. If any array input is a ``torch.Tensor`` the result is a ``torch.Tensor``
(float64 unless stated, on the input's device); otherwise it is NumPy: a ``numpy.float64`` for a
scalar result and a float64 ``numpy.ndarray`` for a batched one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

ArrayLike = Any  # numpy array, torch tensor, or anything np.asarray accepts


def is_torch(*arrays: ArrayLike) -> bool:
    """True if any of ``arrays`` is a ``torch.Tensor``."""
    return any(isinstance(a, torch.Tensor) for a in arrays)


def to_tensor(x: ArrayLike, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Convert to a floating tensor.

    A floating tensor is returned unchanged (keeps its dtype, device and autograd graph, so a
    float32 loss stays float32); integer/bool tensors and NumPy inputs are cast to ``dtype``.
    """
    if isinstance(x, torch.Tensor):
        return x if x.is_floating_point() else x.to(dtype)
    arr = np.asarray(x)
    if not arr.flags.c_contiguous or not arr.flags.writeable:
        arr = arr.copy()  # note: np.ascontiguousarray would turn 0-d arrays into 1-d
    return torch.from_numpy(arr).to(dtype)


def as_array(x: ArrayLike) -> ArrayLike:
    """Tensors pass through; anything else becomes a NumPy array (lists, scalars, ...)."""
    return x if isinstance(x, torch.Tensor | np.ndarray) else np.asarray(x)


def to_numpy(x: ArrayLike) -> np.ndarray:
    """Convert to a NumPy array (detaching tensors)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def finish(result: torch.Tensor | np.ndarray, as_torch: bool) -> Any:
    """Return ``result`` in the caller's type (see module docstring)."""
    if as_torch:
        return result if isinstance(result, torch.Tensor) else torch.from_numpy(np.asarray(result))
    out = to_numpy(result).astype(np.float64, copy=False)
    return np.float64(out) if out.ndim == 0 else out


def shape_str(shape: Sequence[int | str | None]) -> str:
    """Format a shape like ``(*, J, 3)``."""
    return "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"


def check_trailing(name: str, x: ArrayLike, trailing: Sequence[int | None], hint: str = "") -> None:
    """Check that ``x`` has at least ``len(trailing)`` dims and matching trailing sizes.

    ``None`` in ``trailing`` means any size. Raises ValueError with expected vs actual shape.
    """
    shape = tuple(x.shape)
    n = len(trailing)
    ok = len(shape) >= n and all(
        t is None or t == s for t, s in zip(trailing, shape[len(shape) - n :], strict=True)
    )
    if not ok:
        want = "(..., " + ", ".join("*" if t is None else str(t) for t in trailing) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {shape}. {hint}".rstrip())


def check_same_shape(name_a: str, a: ArrayLike, name_b: str, b: ArrayLike, hint: str = "") -> None:
    """Raise ValueError unless ``a`` and ``b`` have identical shapes (no broadcasting)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (no broadcasting), got "
            f"{tuple(a.shape)} and {tuple(b.shape)}. {hint}".rstrip()
        )


def check_same_batch(name_a: str, a: ArrayLike, name_b: str, b: ArrayLike, n_core: int) -> None:
    """Raise ValueError unless the leading (batch) dims before the last ``n_core`` dims agree."""
    ba, bb = tuple(a.shape[: a.ndim - n_core]), tuple(b.shape[: b.ndim - n_core])
    if ba != bb:
        raise ValueError(
            f"{name_a} and {name_b} must have the same leading batch dims, got {ba} "
            f"(from {tuple(a.shape)}) and {bb} (from {tuple(b.shape)}). Index or repeat the "
            "inputs explicitly; metrics never broadcast silently."
        )


def check_positive(name: str, value: float | None, *, allow_none: bool = True) -> None:
    """Raise ValueError unless ``value`` is a finite number > 0 (or None when allowed)."""
    if value is None and allow_none:
        return
    if value is None or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
