# python/dotcompute/algorithm_kernels/elementwise.py
# Binary elementwise operations on operands of one size (or a one-element operand) and dc.saxpy
# as generated kernels: every operation but the C++ built-ins' cases, and those inside a capture.
"""Kernels for ``a (op) b`` where a and b have the same number of elements, or one of them is a
single element (a number, ``x * 2.0``), for every operation of ``operations.py``. They run what
the C++ built-ins do not take (comparisons, ``%``, ``**``, maximum, the bitwise operations, and
the dtypes the built-ins refuse) and the built-ins inside a capture.

Note [Built-ins in a capture]: ``dc.add`` and the other elementwise built-ins are calls of the
plugin's operation table, which a recorded graph (CPU, OpenCL) cannot replay and a CUDA graph
would not see as kernels. Inside a capture the core refuses them (``BuiltinInCapture``) and the
bindings run these kernels instead, with the same checks already made and the same results:
the kernel language's operators are numpy's for every dtype (integer arithmetic wraps, ``//``
floors and gives 0 for a zero divisor, bool ``+`` is or and ``*`` and, float16 computes in
float32 and rounds once). Complex arrays are pairs of their real dtype; their products and
quotients are written out in operations.py, the quotient with Smith's scaling, as numpy's.
An operand of one element applies to every element of the other, which is how ``x * 2.0`` runs
(python/dotcompute/_elementwise.py).
"""

from __future__ import annotations

import functools

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name
from . import operations
from .operations import combine_complex, compare_complex


@dc.func
def operand_index(x, i, n):
    """Where element i of an n-element result reads operand x: i, or 0 for an operand of one
    element, which applies to every element (a scalar). The test is the same for every
    work-item, so a CPU compiler moves it out of the loop."""
    return i if x.shape[0] == n else 0


def _kernels(name: str):
    """The kernels of one operation (its device functions constants in them): real elements,
    and complex ones as [n, 2] pairs giving pairs or, for a comparison, bools (out may be a or
    b)."""
    combine = operations.REAL[name]
    code = operations.PAIRS.get(name, operations.COMPARISONS.get(name, -1))

    @dc.kernel
    def elements(a: dc.Array, b: dc.Array, out: dc.Array, loop: dc.Array):
        """Real operands of any dtype, each element converted to loop's (the operation's)."""
        i = dc.global_id(0)
        n = out.shape[0]
        if i < n:
            x, y = loop.dtype(a[operand_index(a, i, n)]), loop.dtype(b[operand_index(b, i, n)])
            out[i] = combine(x, y, out)

    @dc.kernel
    def pairs(a: dc.Array, b: dc.Array, out: dc.Array):
        i = dc.global_id(0)
        n = out.shape[0]
        if i < n:
            j, k = operand_index(a, i, n), operand_index(b, i, n)
            out[i, 0], out[i, 1] = combine_complex(code, a[j, 0], a[j, 1], b[k, 0], b[k, 1])

    @dc.kernel
    def compared_pairs(a: dc.Array, b: dc.Array, out: dc.Array):
        i = dc.global_id(0)
        n = out.shape[0]
        if i < n:
            j, k = operand_index(a, i, n), operand_index(b, i, n)
            out[i] = compare_complex(code, a[j, 0], a[j, 1], b[k, 0], b[k, 1])

    return elements, pairs, compared_pairs


#: The kernels of each operation, made on first use (defining all of them took time at import).
kernels_of = functools.cache(_kernels)


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


def binary(
    op: str, a: _core.Array, b: _core.Array, out: _core.Array | None, loop: _core.Array = None
) -> _core.Array:
    """out = a (op) b with a kernel; a and b have the same size, or one of them a single
    element applied to every element of the other (a scalar). The operation computes in loop's
    dtype (a's by default): real operands of other dtypes are converted element by element in
    the kernel, so a mixed ``float32 + float64`` reads each operand once; complex ones must have
    loop's dtype. Without out, the result has the larger operand's shape and loop's dtype (bool
    for a comparison). Checks are the caller's (the core's for the built-ins, _elementwise.py's
    for the rest)."""
    loop = a if loop is None else loop
    if out is None:
        larger = a if b.size == 1 else b
        dtype = "bool" if op in operations.COMPARISONS else loop.dtype
        out = _core.empty(larger.shape, dtype, larger.device)
    if out.size == 0:
        return out
    elements, pairs, compared_pairs = kernels_of(op)
    if dtype_name(loop.dtype) not in REAL_OF:
        elements[out.size](_flat(a, False), _flat(b, False), _flat(out, False), _flat(loop, False))
    elif op in operations.COMPARISONS:
        compared_pairs[out.size](_flat(a, True), _flat(b, True), _flat(out, False))
    else:
        pairs[out.size](_flat(a, True), _flat(b, True), _flat(out, True))
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
