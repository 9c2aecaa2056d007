# python/dotcompute/_ranges.py
# dc.arange and dc.linspace: evenly spaced values made on the device, numpy's values.
"""``dc.arange`` and ``dc.linspace`` fill a new array on its device with a kernel (no host array
is made and uploaded), computing what numpy computes:

- ``arange``: element 0 is ``start`` and element 1 ``start + step``, both converted to the dtype,
  and element i ``first + i * (second - first)`` in the dtype (integers in int64, wrapping into
  narrower types), as numpy's fill does; the length is ``ceil((stop - start) / step)``.
- ``linspace``: ``i * step + start`` in float64 with ``step = (stop - start) / div`` (``div`` is
  ``num - 1``, or ``num`` without the endpoint), the endpoint exactly ``stop``, then converted to
  the dtype (floored first for integer dtypes), as numpy's.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _core
from .errors import DTypeError, InvalidArgumentError


def _real(value, operation: str, name: str) -> None:
    if not isinstance(value, numbers.Real | np.integer | np.floating):
        raise DTypeError(f"{operation}: {name} must be a real number, got {value!r}")


def arange(start, stop=None, step=1, dtype=None, device=None) -> _core.Array:
    """Evenly spaced values in [start, stop) with ``step`` (``dc.arange(n)``: 0 to n - 1), on
    ``device``, as ``numpy.arange``: integers give int64, any float float64, unless ``dtype``.

    >>> dc.arange(2, 11, 3).tolist()
    [2, 5, 8]
    """
    if stop is None:
        start, stop = 0, start
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        _real(value, "arange", name)
    if step == 0:
        raise InvalidArgumentError("arange: step must not be 0")
    if dtype is None:
        resolved = np.result_type(*(np.asarray(v) for v in (start, stop, step)))
    else:
        resolved = np.dtype(dtype)
    if resolved.kind not in "iuf":
        raise DTypeError(f"arange makes integer or float arrays, not {resolved}")
    if all(isinstance(v, numbers.Integral) for v in (start, stop, step)):
        length = -((start - stop) // step)  # ceil, exactly
    else:
        length = math.ceil((stop - start) / step)
    out = _core.empty((max(0, int(length)),), resolved, device)
    if out.size:
        ends = _core._from_numpy(np.array([start, start + step]).astype(resolved), out.device, True)
        from .algorithm_kernels import ranges  # defined on first use (_algorithm_paths)

        kernel = ranges.arange_floats if resolved.kind == "f" else ranges.arange_integers
        kernel[out.size](ends, out)
    return out


def linspace(start, stop, num=50, endpoint=True, dtype=None, device=None) -> _core.Array:
    """``num`` evenly spaced values from start to stop (stop included with ``endpoint``), on
    ``device``, as ``numpy.linspace``: float64 unless ``dtype``.

    >>> dc.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    _real(start, "linspace", "start")
    _real(stop, "linspace", "stop")
    num = int(num)
    if num < 0:
        raise InvalidArgumentError(f"linspace: num must be non-negative, got {num}")
    resolved = np.dtype(np.float64 if dtype is None else dtype)
    if resolved.kind not in "iuf":
        raise DTypeError(f"linspace makes integer or float arrays, not {resolved}")
    div = num - 1 if endpoint else num
    start, stop = float(start), float(stop)
    step = (stop - start) / div if div > 0 else 0.0
    out = _core.empty((num,), resolved, device)
    if num:
        from .algorithm_kernels import ranges

        last_is_stop, floored = bool(endpoint and num > 1), resolved.kind in "iu"
        ranges.linspace_fill[num](start, step, stop, last_is_stop, floored, out)
    return out
