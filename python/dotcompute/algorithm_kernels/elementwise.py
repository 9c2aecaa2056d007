# python/dotcompute/algorithm_kernels/elementwise.py
# The elementwise built-ins (dc.add ... dc.floor_divide, dc.saxpy, the Array operators) as
# generated kernels, which a graph capture records.
"""Elementwise built-ins inside ``dc.capture``.

Note [Built-ins in a capture]: ``dc.add`` and the other elementwise built-ins are calls of the
plugin's operation table, which a recorded graph (CPU, OpenCL) cannot replay and a CUDA graph
would not see as kernels. Inside a capture the core refuses them (``BuiltinInCapture``) and the
bindings run these kernels instead, with the same checks already made and the same results:
the kernel language's operators are numpy's for every dtype (integer arithmetic wraps, ``//``
floors and gives 0 for a zero divisor, bool ``+`` is or and ``*`` and, float16 computes in
float32 and rounds once). Complex arrays are pairs of their real dtype; their products and
quotients are written out here, the quotient with Smith's scaling, as numpy's.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name


@dc.kernel
def add_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(a[i] + b[i])


@dc.kernel
def subtract_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(a[i] - b[i])


@dc.kernel
def multiply_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(a[i] * b[i])


@dc.kernel
def divide_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(a[i] / b[i])


@dc.kernel
def floor_divide_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(a[i] // b[i])


@dc.kernel
def axpy_elements(alpha: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    """out = alpha[0] * x + y, alpha a one-element array of x's dtype."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(alpha[0] * x[i] + y[i])


@dc.kernel
def multiply_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    """Complex products on [n, 2] pairs (out may be a or b)."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        ar, ai, br, bi = a[i, 0], a[i, 1], b[i, 0], b[i, 1]
        out[i, 0] = ar * br - ai * bi
        out[i, 1] = ar * bi + ai * br


@dc.kernel
def divide_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    """Complex quotients on [n, 2] pairs, scaled by the divisor's larger part (Smith)."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        ar, ai, br, bi = a[i, 0], a[i, 1], b[i, 0], b[i, 1]
        if dc.abs(br) >= dc.abs(bi):
            ratio = bi / br
            scale = br + bi * ratio
            out[i, 0] = (ar + ai * ratio) / scale
            out[i, 1] = (ai - ar * ratio) / scale
        else:
            ratio = br / bi
            scale = bi + br * ratio
            out[i, 0] = (ar * ratio + ai) / scale
            out[i, 1] = (ai * ratio - ar) / scale


@dc.kernel
def axpy_complex(alpha: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    """out = alpha * x + y on [n, 2] pairs, alpha one pair."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        xr, xi = x[i, 0], x[i, 1]
        out[i, 0] = alpha[0, 0] * xr - alpha[0, 1] * xi + y[i, 0]
        out[i, 1] = alpha[0, 0] * xi + alpha[0, 1] * xr + y[i, 1]


_REAL_KERNELS = {
    "add": add_elements,
    "subtract": subtract_elements,
    "multiply": multiply_elements,
    "divide": divide_elements,
    "floor_divide": floor_divide_elements,
}
_COMPLEX_KERNELS = {"multiply": multiply_complex, "divide": divide_complex}


def _flat(x: _core.Array, pairs: bool) -> _core.Array:
    """x as one row of elements, or of [re, im] pairs for a complex array."""
    if pairs:
        return _core._reinterpret(x, REAL_OF[dtype_name(x.dtype)], (x.size, 2))
    return x.reshape((x.size,))


def binary(op: str, a: _core.Array, b: _core.Array, out: _core.Array | None) -> _core.Array:
    """out = a (op) b with a kernel (the core has checked shapes, dtypes and the device)."""
    if out is None:
        out = _core.empty(a.shape, a.dtype, a.device)
    n = a.size
    if n == 0:
        return out
    complex_kernel = _COMPLEX_KERNELS.get(op) if dtype_name(a.dtype) in REAL_OF else None
    if complex_kernel is not None:
        complex_kernel[n](_flat(a, True), _flat(b, True), _flat(out, True))
    elif dtype_name(a.dtype) in REAL_OF:  # complex + and -: part by part
        parts = (_core._reinterpret(x, REAL_OF[dtype_name(x.dtype)], (2 * n,)) for x in (a, b, out))
        _REAL_KERNELS[op][2 * n](*parts)
    else:
        _REAL_KERNELS[op][n](_flat(a, False), _flat(b, False), _flat(out, False))
    return out


def axpy(alpha, x: _core.Array, y: _core.Array, out: _core.Array | None) -> _core.Array:
    """out = alpha * x + y with a kernel; alpha becomes a one-element array of x's dtype (made
    at once, outside the graph, which keeps it alive)."""
    if out is None:
        out = _core.empty(x.shape, x.dtype, x.device)
    n = x.size
    if n == 0:
        return out
    factor = _core.full((1,), alpha, x.dtype, x.device)
    if dtype_name(x.dtype) in REAL_OF:
        axpy_complex[n](_flat(factor, True), _flat(x, True), _flat(y, True), _flat(out, True))
    else:
        axpy_elements[n](factor, _flat(x, False), _flat(y, False), _flat(out, False))
    return out
