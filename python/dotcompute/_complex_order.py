# python/dotcompute/_complex_order.py
# numpy's order of complex values: max, min, argmax and argmin along an axis, sort, argsort.
"""The extremes and the sorted order of complex values along one axis, composed of operations
every backend has.

numpy orders complex numbers by real part, then imaginary part, and a value with a NaN in
either part wins over every number: the first such value along the axis is the extreme (its
maximum keeps its first operand when that is a NaN and takes the second when the second is).
The kernels reduce and sort real numbers only, so ``first_places`` finds the extreme's first
position from the parts (Note [Complex extremes]), ``extreme`` gathers the values at those
positions (one strided copy with a table of offsets: take-along-axis), and ``argsort`` is
three stable sorts (Note [Complex sort]) that ``sort`` gathers by. Every step runs on the
device with no synchronization, so all of it records inside ``dc.capture``.

Note [Complex extremes]: with NaN-holding values set aside (their real parts replaced by the
fill, -inf for max, +inf for min), the real parts' extreme gives the candidates, the imaginary
parts' extreme among them the winners; where the axis holds a NaN, its NaN-holding values are
the winners instead. The first winner's position is the min over ``where(winner, position,
length)``. Infinities need no care: a fill equal to a real value leaves that value among the
candidates, whose imaginary parts then decide.

Note [Complex sort]: numpy sorts complex values by where their NaNs are first,
[R + Rj, R + nanj, nan + Rj, nan + nanj] (R not NaN), then by real parts, then by imaginary
parts. Stable sorts applied from the last key to the first give that order with ties in
their positions' order (numpy's stable order): by imaginary parts, then by real parts, then
by the NaN placement (a small integer, 2 for a NaN real part plus 1 for a NaN imaginary
part). Both real sorts put NaN last and keep -0.0 beside 0.0, as numpy's. It costs three sorts
and four gathers, against numpy's one sort of the pairs.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._complex_parts import imag, real
from ._elementwise import apply
from ._ranges import arange
from ._take_along_axis import gather_along
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
    return gather_along(x, first_places(op, x, axis), axis)


def argsort(x: _core.Array, axis: int) -> _core.Array:
    """int64 positions that sort complex x stably along axis (Note [Complex sort])."""
    from .algorithms import argsort as real_argsort

    real_parts, imaginary_parts = real(x), imag(x)
    order = real_argsort(imaginary_parts, axis)
    order = gather_along(order, real_argsort(gather_along(real_parts, order, axis), axis), axis)
    placement = apply(
        "add",
        apply("multiply", apply("not_equal", real_parts, real_parts), np.int8(2)),
        apply("not_equal", imaginary_parts, imaginary_parts),
    )
    by_placement = real_argsort(gather_along(placement, order, axis), axis)
    return gather_along(order, by_placement, axis)


def sort(x: _core.Array, axis: int) -> _core.Array:
    """Complex x sorted stably along axis."""
    return gather_along(x, argsort(x, axis), axis)
