# python/dotcompute/algorithm_kernels/operations.py
# The binary elementwise operations as device functions: what one element of a (op) b is.
"""One element of ``a (op) b`` for every binary operation of ``dc`` (``dc.add`` ... ``dc.less``).

Each real operation is a ``dc.func`` ``(x, y, out)`` giving out's dtype. Kernels take it as a
closure constant, so each compiles to that operation alone (with an operation code as a
parameter the CPU's loops were not vectorized; with all of them in one function, the
operations a dtype lacks, ``&`` of floats, would not type-check). The kernel language's
operators already have numpy's semantics for every dtype (integer arithmetic wraps, ``//`` and
``%`` floor and give 0 for a zero integer divisor, float ``//`` and ``%`` are Python's
``divmod``, bool ``+`` is or and ``*`` and, float16 computes in float32 and rounds once).

Complex arrays are [n, 2] pairs of their real dtype. ``combine_complex`` gives a pair (add,
subtract, multiply, divide, maximum, minimum) and ``compare_complex`` a bool (the comparisons),
both by an operation code, a constant of the caller's kernel; every branch is float arithmetic.
"""

from __future__ import annotations

import dotcompute as dc

from .._elementwise import COMPARISONS as COMPARISON_NAMES
from .._elementwise import COMPLEX_PAIRS


@dc.func
def add(x, y, out):
    return out.dtype(x + y)


@dc.func
def subtract(x, y, out):
    return out.dtype(x - y)


@dc.func
def multiply(x, y, out):
    return out.dtype(x * y)


@dc.func
def divide(x, y, out):
    return out.dtype(x / y)


@dc.func
def floor_divide(x, y, out):
    return out.dtype(x // y)


@dc.func
def remainder(x, y, out):
    return out.dtype(x % y)


@dc.func
def power(x, y, out):
    return out.dtype(x**y)


@dc.func
def maximum(x, y, out):
    """numpy's maximum: a NaN in either operand is the result (``x != x`` only for NaN)."""
    return out.dtype(x if x >= y or x != x else y)


@dc.func
def minimum(x, y, out):
    return out.dtype(x if x <= y or x != x else y)


@dc.func
def bitwise_and(x, y, out):
    return out.dtype(x & y)


@dc.func
def bitwise_or(x, y, out):
    return out.dtype(x | y)


@dc.func
def bitwise_xor(x, y, out):
    return out.dtype(x ^ y)


@dc.func
def equal(x, y, out):
    return out.dtype(x == y)


@dc.func
def not_equal(x, y, out):
    return out.dtype(x != y)


@dc.func
def less(x, y, out):
    return out.dtype(x < y)


@dc.func
def less_equal(x, y, out):
    return out.dtype(x <= y)


@dc.func
def greater(x, y, out):
    return out.dtype(x > y)


@dc.func
def greater_equal(x, y, out):
    return out.dtype(x >= y)


@dc.func
def arctan2(x, y, out):
    return out.dtype(dc.atan2(x, y))


@dc.func
def hypot(x, y, out):
    return out.dtype(dc.hypot(x, y))


@dc.func
def copysign(x, y, out):
    return out.dtype(dc.copysign(x, y))


@dc.func
def fmax(x, y, out):
    """numpy's fmax: NaNs are skipped (a NaN only where both are)."""
    return out.dtype(x if x >= y or y != y else y)


@dc.func
def fmin(x, y, out):
    return out.dtype(x if x <= y or y != y else y)


#: Every binary operation by name: its device function on real (and bool, integer) elements.
#: (arctan2, hypot and copysign take floats only: numpy computes them in a float dtype.)
REAL = {
    function.__name__: function
    for function in (
        add, subtract, multiply, divide, floor_divide, remainder, power, maximum, minimum,
        bitwise_and, bitwise_or, bitwise_xor,
        equal, not_equal, less, less_equal, greater, greater_equal,
        arctan2, hypot, copysign, fmax, fmin,
    )
}  # fmt: skip

#: The operations on complex pairs that give a pair: their codes in combine_complex.
PAIRS = {name: code for code, name in enumerate(COMPLEX_PAIRS)}

#: The comparisons: their codes in compare_complex; their result is bool.
COMPARISONS = {name: code for code, name in enumerate(COMPARISON_NAMES)}


@dc.func
def compare_complex(op, ar, ai, br, bi):
    """(ar + ai i) (op) (br + bi i) for the comparisons, numpy's lexicographic order: the real
    parts decide, unless equal, where the imaginary parts do; a NaN imaginary part keeps the
    real parts from deciding."""
    if op == 0:
        return ar == br and ai == bi
    if op == 1:
        return ar != br or ai != bi
    ordered = ai == ai and bi == bi  # neither imaginary part is NaN
    if op == 2:
        return (ar < br and ordered) or (ar == br and ai < bi)
    if op == 3:
        return (ar < br and ordered) or (ar == br and ai <= bi)
    if op == 4:
        return (ar > br and ordered) or (ar == br and ai > bi)
    return (ar > br and ordered) or (ar == br and ai >= bi)


@dc.func
def combine_complex(op, ar, ai, br, bi):
    """(ar + ai i) (op) (br + bi i) for op add, subtract, multiply, divide (numpy's quotient:
    Smith's scaling, a zero divisor gives each part over +0, inf or nan), maximum and minimum
    (numpy's: an operand with a NaN part is the result, else the larger or smaller one in
    compare_complex's order)."""
    if op == 0:
        return ar + br, ai + bi
    if op == 1:
        return ar - br, ai - bi
    if op == 2:
        return ar * br - ai * bi, ar * bi + ai * br
    if op >= 4:
        if ar != ar or ai != ai:
            return ar, ai
        if br != br or bi != bi:
            return br, bi
        if compare_complex(5 if op == 4 else 3, ar, ai, br, bi):
            return ar, ai
        return br, bi
    if dc.abs(br) >= dc.abs(bi):
        if br == 0 and bi == 0:
            return ar / dc.abs(br), ai / dc.abs(br)
        ratio = bi / br
        scale = 1 / (br + bi * ratio)
        return (ar + ai * ratio) * scale, (ai - ar * ratio) * scale
    ratio = br / bi
    scale = 1 / (bi + br * ratio)
    return (ar * ratio + ai) * scale, (ai * ratio - ar) * scale
