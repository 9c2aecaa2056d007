# python/dotcompute/_shapes.py
# Arrays rearranged: dc.transpose (x.T, x.transpose), dc.concatenate, dc.stack and
# dc.broadcast_to, and the expansion of operands whose broadcast the kernels cannot take.
"""numpy's ``transpose``, ``concatenate``, ``stack`` and ``broadcast_to`` for dc arrays, on
their device.

dc arrays are contiguous, so a transpose is a copy (numpy gives a strided view; the same
departure as strided selections, docs/design.md §4): the last two axes swapped (``x.T`` of a
matrix, a batch of them) by the tiled kernels of ``algorithm_kernels/transpose.py``, any other
order by the strided copy kernels (``algorithm_kernels/strided.py``). An identity permutation
(and ``x.T`` of 0-d and 1-D arrays) is a view, as numpy's.
``concatenate`` and ``stack`` write each operand into its slice of the result with assignment's
machinery (a plain copy for slices along the first axis); the result's dtype is numpy's
``result_type`` of the operands. ``broadcast_to`` is a copy too (numpy's is a read-only view)
unless it only adds dimensions of extent 1.

Note [Wide broadcasts]: the broadcasting kernels take at most three dimensions after merging
(Note [Broadcast layouts] in algorithm_kernels/broadcast.py), which covers a row, a column, a
vector over a batch and their mixtures. Operands whose broadcast dimensions alternate more often,
``(2, 1, 3, 1, 5) + (1, 4, 1, 6, 1)``, are first expanded to the result's shape with
``broadcast_to`` (``fitting_operands``): one operand where that leaves the others within three
dimensions, all of them otherwise. Each expansion costs a copy of the result's size, but such
shapes are rare, and one more general kernel per operation would be compiled for them alone.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core
from ._astype import astype
from ._axes import checked_axis
from ._strides import broadcast_strides, row_major
from .errors import DeviceError, DTypeError, InvalidArgumentError, ShapeError


def transpose(x: _core.Array, axes=None) -> _core.Array:
    """x with its axes permuted (numpy's ``transpose``; reversed when axes is None), as a new
    array unless the order is unchanged.

    >>> dc.transpose(dc.asarray(np.arange(6).reshape(2, 3))).tolist()
    [[0, 3], [1, 4], [2, 5]]
    """
    _check_array(x, "transpose")
    order = _permutation(axes, x.ndim)
    shape = tuple(x.shape[a] for a in order)
    if order == tuple(range(x.ndim)):
        return _core._view(x, 0, shape)
    from .algorithm_kernels import strided  # (_algorithm_paths)
    from .algorithm_kernels import transpose as tiles

    out = _core.empty(shape, x.dtype, x.device)
    if out.size == 0:
        return out
    swapped = order[:-2] == tuple(range(x.ndim - 2)) and order[-2:] == (x.ndim - 1, x.ndim - 2)
    if swapped and tiles.handles(x):
        m, n = x.shape[-2:]
        if tiles.run(x, out, x.size // (m * n), m, n):
            return out
    strides, out_strides = row_major(x.shape), row_major(shape)
    layout = [
        (shape[d], strides[a], out_strides[d]) for d, a in enumerate(order)
    ]  # fmt: skip
    strided.copy(x, out, layout, 0, 0)
    return out


def transpose_method(self: _core.Array, *axes) -> _core.Array:
    """``x.transpose()``, ``x.transpose(1, 0)`` or ``x.transpose((1, 0))``, as numpy's."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], tuple | list)):
        axes = axes[0]
    return transpose(self, axes or None)


def concatenate(arrays, axis=0) -> _core.Array:
    """The arrays joined along an existing axis (numpy's ``concatenate``; axis=None joins them
    flattened).

    >>> a = dc.asarray(np.ones((2, 3), np.float32))
    >>> dc.concatenate([a, a * 2], axis=1).shape
    (2, 6)
    """
    operands = _operands(arrays, "concatenate")
    if axis is None:
        operands = [a.reshape((a.size,)) for a in operands]
        axis = 0
    first = operands[0]
    if first.ndim == 0:
        raise InvalidArgumentError("zero-dimensional arrays cannot be concatenated")
    axis = checked_axis(axis, first.ndim, "concatenate")
    for index, a in enumerate(operands[1:], start=1):
        if a.ndim != first.ndim:
            raise ShapeError(
                "all the input arrays must have same number of dimensions, but the array at "
                f"index 0 has {first.ndim} dimension(s) and the array at index {index} has "
                f"{a.ndim} dimension(s)"
            )
        for d in range(first.ndim):
            if d != axis and a.shape[d] != first.shape[d]:
                raise ShapeError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {d}, the array at index 0 has size "
                    f"{first.shape[d]} and the array at index {index} has size {a.shape[d]}"
                )
    dtype = np.result_type(*(a.dtype for a in operands))
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in operands)
    out = _core.empty(tuple(shape), dtype, first.device)
    start = 0
    for a in operands:
        length = a.shape[axis]
        if length:
            key = (slice(None),) * axis + (slice(start, start + length),)
            out[key] = a if a.dtype == dtype else astype(a, dtype)
        start += length
    return out


def stack(arrays, axis=0) -> _core.Array:
    """The arrays, of one shape, joined along a new axis (numpy's ``stack``).

    >>> a = dc.asarray(np.ones(3, np.float32))
    >>> dc.stack([a, a, a], axis=1).shape
    (3, 3)
    """
    operands = _operands(arrays, "stack")
    shape = operands[0].shape
    if any(a.shape != shape for a in operands):
        raise ShapeError("all input arrays must have the same shape")
    axis = checked_axis(axis, len(shape) + 1, "stack")
    expanded = (*shape[:axis], 1, *shape[axis:])
    return concatenate([a.reshape(expanded) for a in operands], axis)


def broadcast_to(x: _core.Array, shape) -> _core.Array:
    """x repeated to shape by numpy's broadcasting rules (numpy's ``broadcast_to``), as a new
    array; a view of x where shape only adds dimensions of extent 1.

    >>> dc.broadcast_to(dc.asarray(np.arange(3)), (2, 3)).tolist()
    [[0, 1, 2], [0, 1, 2]]
    """
    _check_array(x, "broadcast_to")
    target = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(extent < 0 for extent in target):
        raise ShapeError(f"broadcast_to: negative dimensions are not allowed, got {target}")
    try:
        strides = broadcast_strides(x.shape, target)
    except ShapeError:
        raise ShapeError(
            f"broadcast_to: an array of shape {x.shape} cannot be broadcast to {target}"
        ) from None
    if math.prod(target) == x.size:
        return _core._view(x, 0, target)
    from .algorithm_kernels import strided  # (_algorithm_paths)

    out = _core.empty(target, x.dtype, x.device)
    if out.size:
        layout = [
            (extent, step, out_step)
            for extent, step, out_step in zip(target, strides, row_major(target), strict=True)
        ]
        strided.copy(x, out, layout, 0, 0)
    return out


def fitting_operands(shape: tuple[int, ...], operands: list[_core.Array]) -> list[_core.Array]:
    """operands, broadcasting to shape, with as few of them expanded to shape as the broadcast
    kernels need (Note [Wide broadcasts])."""
    from .algorithm_kernels import broadcast  # (_algorithm_paths)

    def fit(shapes) -> bool:
        try:
            broadcast.padded_layout(shape, *shapes)
        except broadcast.TooManyDimensionsError:
            return False
        return True

    for a in operands:
        if a.shape != shape and fit([shape if b is a else b.shape for b in operands]):
            return [broadcast_to(a, shape) if b is a else b for b in operands]
    return [a if a.shape == shape else broadcast_to(a, shape) for a in operands]


def _operands(arrays, what: str) -> list[_core.Array]:
    if isinstance(arrays, _core.Array):
        raise DTypeError(f"{what} takes a sequence of dc arrays, got one array (wrap it in a list)")
    operands = list(arrays)
    if not operands:
        raise InvalidArgumentError("need at least one array to " + what)
    for a in operands:
        _check_array(a, what)
        if a.device != operands[0].device:
            raise DeviceError(
                f"{what}: arrays are on different devices ('{operands[0].device.spec}' and "
                f"'{a.device.spec}'); move them with .to(device)"
            )
    return operands


def _check_array(x, what: str) -> None:
    if not isinstance(x, _core.Array):
        raise DTypeError(
            f"{what} takes dc arrays, got {type(x).__name__} (convert with dc.asarray)"
        )


def _permutation(axes, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(reversed(range(ndim)))
    order = tuple(checked_axis(a, ndim, "transpose") for a in axes)
    if sorted(order) != list(range(ndim)):
        raise InvalidArgumentError(f"axes {tuple(axes)} are not a permutation of {ndim} axes")
    return order
