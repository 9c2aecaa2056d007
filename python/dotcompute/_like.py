# python/dotcompute/_like.py
# numpy's array-creation helpers that take their shape, dtype and device from an array:
# zeros_like, ones_like, empty_like, full_like, copy; and eye / identity.
"""New arrays on an array's device (numpy's ``*_like`` functions: the prototype's shape and
dtype unless ``shape`` / ``dtype`` are given), and ``eye``: zeros with ones written on one
diagonal (a strided assignment into the flattened matrix: every ``M + 1``-th element)."""

from __future__ import annotations

from . import _core
from ._algorithm_paths import as_array


def empty_like(prototype, dtype=None, shape=None) -> _core.Array:
    """An uninitialized array like prototype (numpy's ``empty_like``)."""
    x = as_array(prototype)
    return _core.empty(_shape(x, shape), x.dtype if dtype is None else dtype, x.device)


def zeros_like(a, dtype=None, shape=None) -> _core.Array:
    """Zeros like a (numpy's ``zeros_like``)."""
    return full_like(a, 0, dtype, shape)


def ones_like(a, dtype=None, shape=None) -> _core.Array:
    """Ones like a (numpy's ``ones_like``)."""
    return full_like(a, 1, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None) -> _core.Array:
    """fill_value everywhere, like a (numpy's ``full_like``; the value converted to the dtype).

    >>> dc.full_like(dc.zeros(3, "int32"), 7).tolist()
    [7, 7, 7]
    """
    x = as_array(a)
    return _core.full(_shape(x, shape), fill_value, x.dtype if dtype is None else dtype, x.device)


def copy(a) -> _core.Array:
    """A copy of a on its device (numpy's ``copy``)."""
    return as_array(a).copy()


def eye(N: int, M: int | None = None, k: int = 0, dtype="float32", device=None) -> _core.Array:  # noqa: N803  (numpy's names)
    """An N x M matrix of zeros with ones on diagonal k (above the main one for k > 0), as
    numpy's ``eye``; float32 by default, as dc.zeros."""
    columns = N if M is None else M
    out = _core.zeros((N, columns), dtype, device)
    count = min(N + min(k, 0), columns - max(k, 0))
    if count > 0:
        first = k if k >= 0 else -k * columns
        step = columns + 1
        out.reshape((N * columns,))[first : first + (count - 1) * step + 1 : step] = 1
    return out


def identity(n: int, dtype="float32", device=None) -> _core.Array:
    """The n x n identity matrix (numpy's ``identity``)."""
    return eye(n, dtype=dtype, device=device)


def _shape(x: _core.Array, shape) -> tuple[int, ...]:
    if shape is None:
        return x.shape
    return (shape,) if isinstance(shape, int) else tuple(shape)
