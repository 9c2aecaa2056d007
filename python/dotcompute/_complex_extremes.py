# python/dotcompute/_complex_extremes.py
# max, min, argmax and argmin of complex arrays along an axis, in numpy's lexicographic order.
"""The extremes of complex values along one axis, composed of operations every backend has.

numpy orders complex numbers by real part, then imaginary part, and a value with a NaN in
either part wins over every number: the first such value along the axis is the extreme (its
maximum keeps its first operand when that is a NaN and takes the second when the second is).
The kernels reduce real numbers only, so ``first_places`` finds the extreme's first position
from the parts (Note [Complex extremes]), and ``extreme`` gathers the values at those positions
(one strided copy with a table of offsets: take-along-axis). Every step runs on the device with
no synchronization, so all of it records inside ``dc.capture``.

Note [Complex extremes]: with NaN-holding values set aside (their real parts replaced by the
fill, -inf for max, +inf for min), the real parts' extreme gives the candidates, the imaginary
parts' extreme among them the winners; where the axis holds a NaN, its NaN-holding values are
the winners instead. The first winner's position is the min over ``where(winner, position,
length)``. Infinities need no care: a fill equal to a real value leaves that value among the
candidates, whose imaginary parts then decide.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._axes import split
from ._complex_parts import imag, real
from ._elementwise import apply
from ._ranges import arange
from ._where import where


def first_places(op: str, x: _core.Array, axis: int) -> _core.Array:
    """int64, x's shape with axis kept as 1: the first position of the largest (op "max") or
    smallest ("min") value along axis (Note [Complex extremes])."""
    from .algorithms import any as any_of
    from .algorithms import max as maximum
    from .algorithms import min as minimum

    extreme = maximum if op == "max" else minimum
    fill = -np.inf if op == "max" else np.inf
    unordered = apply("not_equal", x, x)  # a NaN in either part
    real_parts = where(unordered, fill, real(x))
    candidates = apply("equal", real_parts, extreme(real_parts, axis=axis, keepdims=True))
    candidates = apply("bitwise_and", candidates, apply("equal", unordered, False))
    imaginary = where(candidates, imag(x), fill)
    winners = apply(
        "bitwise_and",
        candidates,
        apply("equal", imaginary, extreme(imaginary, axis=axis, keepdims=True)),
    )
    winners = where(any_of(unordered, axis=axis, keepdims=True), unordered, winners)
    length = x.shape[axis]
    shape = [1] * x.ndim
    shape[axis] = length
    positions = arange(length, dtype=np.int64, device=x.device).reshape(tuple(shape))
    return minimum(where(winners, positions, length), axis=axis, keepdims=True)


def extreme(op: str, x: _core.Array, axis: int) -> _core.Array:
    """The largest (op "max") or smallest ("min") values along axis, kept as length 1."""
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    places = first_places(op, x, axis)
    outer, length, inner = split(x.shape, axis)
    out = _core.empty(places.shape, x.dtype, x.device)
    if out.size == 0:
        return out
    # out[o, c] = x[o, places[o, c], c]: element (o, c) moves by its own offset, places * inner.
    offsets = apply("multiply", places, inner).reshape((out.size,))
    layout = [(outer, length * inner, inner, inner), (inner, 1, 1, 1)]
    strided.copy_indexed(x, out, layout, offsets, 0, 0, gather=True)
    return out
