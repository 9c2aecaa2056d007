# python/dotcompute/_astype.py
# Array.astype: dtype conversion on the array's own device, with the kernels of
# algorithm_kernels/convert.py.
"""``x.astype(dtype)``: a new array of ``x``'s shape and device holding its elements converted,
computed on the device (no round trip through the host), so it also runs on the current
stream and inside ``dc.capture``, where it is recorded like any kernel.

Conversions follow numpy's ``astype`` (``casting="unsafe"``) where numpy defines the result:
complex to real keeps the real part (with numpy's ``ComplexWarning``), anything to bool is
``!= 0``. Where numpy leaves it undefined the kernel language's cast decides: float to integer
truncates toward zero, saturates at the integer's limits and maps NaN to 0.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _core
from ._dtypes import ARRAY_DTYPES, REAL_OF, dtype_name
from .errors import DTypeError

# numpy 1.25 moved the warning to np.exceptions; 2.0 removed the old name.
_ComplexWarning = getattr(np, "exceptions", np).ComplexWarning


def array_dtype(dtype) -> np.dtype:
    """dtype as a numpy dtype that dc arrays hold, or a DTypeError naming the ones they do."""
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError) as error:
        raise DTypeError(f"astype: {dtype!r} is not a dtype") from error
    if resolved not in ARRAY_DTYPES:
        raise DTypeError(
            f"astype: dc arrays do not hold {resolved}; use bool, int8 to int64, uint8 to "
            "uint64, float16, float32, float64, complex64 or complex128"
        )
    return resolved


def astype(x: _core.Array, dtype, copy: bool = True) -> _core.Array:
    """A copy of the array converted to ``dtype``, on its device (numpy's ``astype``).

    ``copy=False`` returns the array itself when it already has that dtype.

    >>> dc.asarray([1.7, -2.5]).astype("int32").tolist()
    [1, -2]
    """
    target = array_dtype(dtype)
    if x.dtype == target:
        return x.copy() if copy else x
    out = _core.empty(x.shape, target, x.device)
    convert_into(x, out)
    return out


def convert_into(src: _core.Array, dst: _core.Array) -> None:
    """Writes src's elements, converted to dst's dtype, into dst (same size and device). A
    launch on the current stream: inside a capture it is recorded."""
    n = src.size
    if n == 0:
        return
    from .algorithm_kernels import convert as kernels  # defined on first use (_algorithm_paths)

    source, target = dtype_name(src.dtype), dtype_name(dst.dtype)
    flat_src, flat_dst = src.reshape((n,)), dst.reshape((n,))
    if source in REAL_OF and target in REAL_OF:  # complex to complex: part by part
        parts_src = _core._reinterpret(src, REAL_OF[source], (2 * n,))
        parts_dst = _core._reinterpret(dst, REAL_OF[target], (2 * n,))
        kernels.cast_elements[2 * n](parts_src, parts_dst)
    elif target in REAL_OF:
        kernels.real_to_complex[n](flat_src, _core._reinterpret(dst, REAL_OF[target], (n, 2)))
    elif source in REAL_OF:
        pairs = _core._reinterpret(src, REAL_OF[source], (n, 2))
        if target == "bool":
            kernels.complex_nonzero[n](pairs, flat_dst)
        else:
            warnings.warn(
                "Casting complex values to real discards the imaginary part",
                _ComplexWarning,
                stacklevel=3,
            )
            kernels.complex_real_part[n](pairs, flat_dst)
    else:
        kernels.cast_elements[n](flat_src, flat_dst)
