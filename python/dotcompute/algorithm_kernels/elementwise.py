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


#: The operations, by the code combine and combine_complex take.
OPERATIONS = {"add": 0, "subtract": 1, "multiply": 2, "divide": 3, "floor_divide": 4}


@dc.func
def combine(op, x, y, out):
    """x (op) y in out's dtype (op a code of OPERATIONS; a constant of the caller's kernel, so
    the compiled code holds that operation alone)."""
    if op == 0:
        return out.dtype(x + y)
    if op == 1:
        return out.dtype(x - y)
    if op == 2:
        return out.dtype(x * y)
    if op == 3:
        return out.dtype(x / y)
    return out.dtype(x // y)


@dc.func
def combine_complex(op, ar, ai, br, bi):
    """(ar + ai i) (op) (br + bi i) for op add, subtract, multiply, divide (numpy's quotient:
    Smith's scaling, a zero divisor gives each part over +0, inf or nan)."""
    if op == 0:
        return ar + br, ai + bi
    if op == 1:
        return ar - br, ai - bi
    if op == 2:
        return ar * br - ai * bi, ar * bi + ai * br
    if dc.abs(br) >= dc.abs(bi):
        if br == 0 and bi == 0:
            return ar / dc.abs(br), ai / dc.abs(br)
        ratio = bi / br
        scale = 1 / (br + bi * ratio)
        return (ar + ai * ratio) * scale, (ai - ar * ratio) * scale
    ratio = br / bi
    scale = 1 / (bi + br * ratio)
    return (ar * ratio + ai) * scale, (ai * ratio - ar) * scale


def _kernels(op: int):
    """The kernels of one operation, op a constant in them: real elements, and complex ones as
    [n, 2] pairs (out may be a or b)."""

    @dc.kernel
    def elements(a: dc.Array, b: dc.Array, out: dc.Array):
        i = dc.global_id(0)
        n = out.shape[0]
        if i < n:
            out[i] = combine(op, a[operand_index(a, i, n)], b[operand_index(b, i, n)], out)

    @dc.kernel
    def pairs(a: dc.Array, b: dc.Array, out: dc.Array):
        i = dc.global_id(0)
        n = out.shape[0]
        if i < n:
            j, k = operand_index(a, i, n), operand_index(b, i, n)
            out[i, 0], out[i, 1] = combine_complex(op, a[j, 0], a[j, 1], b[k, 0], b[k, 1])

    return elements, pairs


_KERNELS = {name: _kernels(code) for name, code in OPERATIONS.items()}


@dc.kernel
def axpy_elements(alpha: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    """out = alpha[0] * x + y, alpha a one-element array of x's dtype."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        out[i] = out.dtype(alpha[0] * x[i] + y[i])


@dc.kernel
def axpy_complex(alpha: dc.Array, x: dc.Array, y: dc.Array, out: dc.Array):
    """out = alpha * x + y on [n, 2] pairs, alpha one pair."""
    i = dc.global_id(0)
    if i < out.shape[0]:
        xr, xi = x[i, 0], x[i, 1]
        out[i, 0] = alpha[0, 0] * xr - alpha[0, 1] * xi + y[i, 0]
        out[i, 1] = alpha[0, 0] * xi + alpha[0, 1] * xr + y[i, 1]


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
    kernel = _KERNELS[op][1 if pairs else 0]
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
