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
quotients are written out here, the quotient with Smith's scaling, as numpy's. An operand of
one element applies to every element of the other, which is how ``x * 2.0`` runs
(python/dotcompute/_scalar_operands.py).
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name


@dc.func
def operand_index(x, i, n):
    """Where element i of an n-element result reads operand x: i, or 0 for an operand of one
    element, which applies to every element (a scalar). The test is the same for every
    work-item, so a CPU compiler moves it out of the loop."""
    return i if x.shape[0] == n else 0


@dc.kernel
def add_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        out[i] = out.dtype(a[operand_index(a, i, n)] + b[operand_index(b, i, n)])


@dc.kernel
def subtract_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        out[i] = out.dtype(a[operand_index(a, i, n)] - b[operand_index(b, i, n)])


@dc.kernel
def multiply_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        out[i] = out.dtype(a[operand_index(a, i, n)] * b[operand_index(b, i, n)])


@dc.kernel
def divide_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        out[i] = out.dtype(a[operand_index(a, i, n)] / b[operand_index(b, i, n)])


@dc.kernel
def floor_divide_elements(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        out[i] = out.dtype(a[operand_index(a, i, n)] // b[operand_index(b, i, n)])


@dc.kernel
def axpy_elements(alpha: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    """out = alpha[0] * x + y, alpha a one-element array of x's dtype."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(alpha[0] * x[i] + y[i])


@dc.kernel
def add_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    """Complex sums on [n, 2] pairs (an operand of one pair applies to every element)."""
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        j, k = operand_index(a, i, n), operand_index(b, i, n)
        out[i, 0] = a[j, 0] + b[k, 0]
        out[i, 1] = a[j, 1] + b[k, 1]


@dc.kernel
def subtract_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        j, k = operand_index(a, i, n), operand_index(b, i, n)
        out[i, 0] = a[j, 0] - b[k, 0]
        out[i, 1] = a[j, 1] - b[k, 1]


@dc.kernel
def multiply_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    """Complex products on [n, 2] pairs (out may be a or b)."""
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        j, k = operand_index(a, i, n), operand_index(b, i, n)
        ar, ai, br, bi = a[j, 0], a[j, 1], b[k, 0], b[k, 1]
        out[i, 0] = ar * br - ai * bi
        out[i, 1] = ar * bi + ai * br


@dc.kernel
def divide_complex(a: dc.Array, b: dc.Array, out: dc.Array):
    """Complex quotients on [n, 2] pairs as numpy computes them: scaled by the divisor's larger
    part (Smith), and a zero divisor gives each part over +0 (inf or nan)."""
    i = dc.global_id(0)
    n = out.shape[0]
    if i < n:
        j, k = operand_index(a, i, n), operand_index(b, i, n)
        ar, ai, br, bi = a[j, 0], a[j, 1], b[k, 0], b[k, 1]
        if dc.abs(br) >= dc.abs(bi):
            if br == 0 and bi == 0:
                out[i, 0] = ar / dc.abs(br)
                out[i, 1] = ai / dc.abs(br)
            else:
                ratio = bi / br
                scale = 1 / (br + bi * ratio)
                out[i, 0] = (ar + ai * ratio) * scale
                out[i, 1] = (ai - ar * ratio) * scale
        else:
            ratio = br / bi
            scale = 1 / (bi + br * ratio)
            out[i, 0] = (ar * ratio + ai) * scale
            out[i, 1] = (ai * ratio - ar) * scale


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
_COMPLEX_KERNELS = {
    "add": add_complex,
    "subtract": subtract_complex,
    "multiply": multiply_complex,
    "divide": divide_complex,
}


def _flat(x: _core.Array, pairs: bool) -> _core.Array:
    """x as one row of elements, or of [re, im] pairs for a complex array."""
    if pairs:
        return _core._reinterpret(x, REAL_OF[dtype_name(x.dtype)], (x.size, 2))
    return x if x.ndim == 1 else x.reshape((x.size,))  # (a reshape is a new object, 0.5 us)


def binary(op: str, a: _core.Array, b: _core.Array, out: _core.Array | None) -> _core.Array:
    """out = a (op) b with a kernel; a and b have one dtype, and the same shape or one of them
    a single element applied to every element of the other (a scalar). Checks are the caller's
    (the core's, for the built-ins)."""
    like = a if b.size == 1 else b
    if out is None:
        out = _core.empty(like.shape, like.dtype, like.device)
    if out.size == 0:
        return out
    pairs = dtype_name(a.dtype) in REAL_OF
    kernel = (_COMPLEX_KERNELS if pairs else _REAL_KERNELS)[op]
    kernel[out.size](_flat(a, pairs), _flat(b, pairs), _flat(out, pairs))
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
