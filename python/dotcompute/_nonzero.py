# python/dotcompute/_nonzero.py
# dc.nonzero, dc.flatnonzero and dc.where(condition): where an array's true elements are.
"""The positions of an array's nonzero elements, on its device: ``dc.flatnonzero`` (row-major
positions), ``dc.nonzero`` (one int64 array of coordinates per dimension, numpy's), and
``dc.where(condition)`` alone, which is ``nonzero``. Also behind boolean-mask indexing
(``_advanced_indexing.py``).

The flags (``x != 0``, or x itself when bool) are compacted by ``algorithm_kernels/compact.py``
(Note [Compaction on GPUs and CPUs]); their count comes to the host (one synchronization: the
result's length depends on the data, as in every GPU library). Inside ``dc.capture`` that count
is not known until replay, so these are UnsupportedErrors there.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._elementwise import apply
from .errors import DTypeError, InvalidArgumentError, UnsupportedError


def flatnonzero(x: _core.Array) -> _core.Array:
    """The row-major positions of x's nonzero elements, as an int64 array (numpy's
    ``flatnonzero``).

    >>> dc.flatnonzero(dc.asarray(np.array([[0, 3], [5, 0]]))).tolist()
    [1, 2]
    """
    _check(x, "flatnonzero")
    from .algorithm_kernels import compact  # defined on first use (_algorithm_paths)

    require_no_capture(x.device, "flatnonzero")
    flags = x if x.dtype == np.bool_ else apply("not_equal", x, x.dtype.type(0))
    return compact.positions(flags.reshape((x.size,)))


def nonzero(x: _core.Array) -> tuple[_core.Array, ...]:
    """The coordinates of x's nonzero elements: one int64 array per dimension, in row-major
    order (numpy's ``nonzero``; ``x[dc.nonzero(x)]`` are the nonzero elements).

    >>> rows, columns = dc.nonzero(dc.asarray(np.array([[0, 3], [5, 0]])))
    >>> rows.tolist(), columns.tolist()
    ([0, 1], [1, 0])
    """
    _check(x, "nonzero")
    if x.ndim == 0:
        raise InvalidArgumentError(
            "nonzero of a 0-d array is not allowed (as numpy); use x.reshape((1,))"
        )
    flat = flatnonzero(x)
    if x.ndim == 1:
        return (flat,)
    if flat.size == 0:
        return tuple(_core.empty((0,), np.int64, x.device) for _ in x.shape)
    coordinates = []
    stride = x.size
    for axis, extent in enumerate(x.shape):
        stride //= extent  # row-major: the elements one step along this axis moves
        along = flat if stride == 1 else apply("floor_divide", flat, stride)
        coordinates.append(along if axis == 0 else apply("remainder", along, extent))
    return tuple(coordinates)


def require_no_capture(device: _core.Device, what: str) -> None:
    """An UnsupportedError inside dc.capture, where the data-dependent length cannot be read."""
    if _core.current_stream(device).is_capturing:
        raise UnsupportedError(
            f"{what} inside dc.capture: the length of its result depends on the data, which "
            "is not computed until the graph replays; run it outside the capture"
        )


def _check(x, what: str) -> None:
    if not isinstance(x, _core.Array):
        raise DTypeError(
            f"{what} takes a dc array, got {type(x).__name__} (convert with dc.asarray)"
        )
