# python/dotcompute/_complex_parts.py
# The parts of complex arrays: dc.real, dc.imag, dc.conj (x.real, x.imag, x.conj()), dc.angle,
# and assignment to x.real and x.imag.
"""numpy's ``real``, ``imag`` and ``conjugate`` for dc arrays, on their device.

A complex array read as pairs (``_core._reinterpret`` as its real dtype, shape + (2,)) has its
real parts at ``[..., 0]`` and imaginary parts at ``[..., 1]``, so the parts are strided
selections of it: copies made by the strided kernels (numpy gives strided views; the same
departure as other strided selections, docs/design.md §4), and assignment to ``x.real`` or
``x.imag`` writes x in place through the same selection. For real arrays, as numpy: ``x.real``
is x (a view), ``x.imag`` zeros of x's dtype, ``conj`` a copy, and ``x.imag = v`` a TypeError.
"""

from __future__ import annotations

import math

from . import _core
from ._algorithm_paths import as_array
from ._dtypes import REAL_OF, dtype_name


def real(x) -> _core.Array:
    """The real parts (numpy's ``real``): a new array of the parts' dtype for complex x, x itself
    (a view) for real x.

    >>> dc.real(dc.asarray(np.array([1 + 2j, 3 - 4j]))).tolist()
    [1.0, 3.0]
    """
    x = as_array(x)
    if x.dtype.kind != "c":
        return _core._view(x, 0, x.shape)
    return pairs(x)[..., 0]


def imag(x) -> _core.Array:
    """The imaginary parts (numpy's ``imag``): a new array of the parts' dtype for complex x,
    zeros of x's dtype for real x."""
    x = as_array(x)
    if x.dtype.kind != "c":
        return _core.zeros(x.shape, x.dtype, x.device)
    return pairs(x)[..., 1]


def conj(x) -> _core.Array:
    """The complex conjugates (numpy's ``conjugate``; the imaginary parts negated, zeros to
    -0.0), a new array; a copy of real x."""
    from .algorithm_kernels import unary  # defined on first use (_algorithm_paths)

    x = as_array(x)
    if x.dtype.kind != "c":
        return x.copy()
    out = _core.empty(x.shape, x.dtype, x.device)
    if x.size:
        unary.conjugate_pairs[x.size](_flat_pairs(x), _flat_pairs(out))
    return out


def angle(z, deg: bool = False) -> _core.Array:
    """The argument of each element (numpy's ``angle``): arctan2 of the imaginary and real
    parts, in radians, or degrees with deg; real z as numpy's (0, or pi for negatives)."""
    from ._elementwise import apply

    z = as_array(z)
    parts = (imag(z), real(z)) if z.dtype.kind == "c" else (0, z)
    result = apply("arctan2", *parts)
    return apply("multiply", result, 180 / math.pi) if deg else result


def set_real(x: _core.Array, value) -> None:
    """``x.real = value``: value broadcast to x's shape and converted, written in place."""
    if x.dtype.kind != "c":
        x[...] = value
    else:
        pairs(x)[..., 0] = value


def set_imag(x: _core.Array, value) -> None:
    """``x.imag = value`` (complex x only, as numpy's)."""
    if x.dtype.kind != "c":
        raise TypeError("array does not have imaginary part to set")
    pairs(x)[..., 1] = value


def pairs(x: _core.Array) -> _core.Array:
    """Complex x's memory as (real, imaginary) pairs of its real dtype, x.shape + (2,)."""
    return _core._reinterpret(x, REAL_OF[dtype_name(x.dtype)], (*x.shape, 2))


def _flat_pairs(x: _core.Array) -> _core.Array:
    return _core._reinterpret(x, REAL_OF[dtype_name(x.dtype)], (x.size, 2))
