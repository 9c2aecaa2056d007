# python/dotcompute/_rearrange.py
# numpy's functions that rearrange an array's axes: reshape, squeeze, expand_dims, swapaxes,
# moveaxis and flip (and x.squeeze(), x.swapaxes()).
"""``reshape``, ``squeeze`` and ``expand_dims`` only relabel the dimensions, so they are views
(as numpy's); ``swapaxes`` and ``moveaxis`` are ``transpose`` with a permutation and ``flip``
a selection with negative steps, so they are copies made on the device (numpy gives strided
views: the departure of docs/design.md §4)."""

from __future__ import annotations

from . import _core
from ._algorithm_paths import as_array
from ._axes import checked_axis, distinct_axes
from ._shapes import transpose
from .errors import InvalidArgumentError


def reshape(a, shape) -> _core.Array:
    """a's elements in a new shape (numpy's ``reshape``; one extent may be -1)."""
    return as_array(a).reshape((shape,) if isinstance(shape, int) else tuple(shape))


def squeeze(a, axis=None) -> _core.Array:
    """a without its axes of length 1, or without the given ones (numpy's ``squeeze``)."""
    x = as_array(a)
    if axis is None:
        axes = {d for d, extent in enumerate(x.shape) if extent == 1}
    else:
        axes = set(distinct_axes(axis, x.ndim, "squeeze"))
        if any(x.shape[d] != 1 for d in axes):
            raise InvalidArgumentError(
                "cannot select an axis to squeeze out which has size not equal to one"
            )
    return x.reshape(tuple(extent for d, extent in enumerate(x.shape) if d not in axes))


def expand_dims(a, axis) -> _core.Array:
    """a with new axes of length 1 at the given places of the result (numpy's
    ``expand_dims``)."""
    x = as_array(a)
    ndim = x.ndim + (len(axis) if isinstance(axis, tuple | list) else 1)
    axes = set(distinct_axes(axis, ndim, "expand_dims"))
    extents = iter(x.shape)
    return x.reshape(tuple(1 if d in axes else next(extents) for d in range(ndim)))


def swapaxes(a, axis1: int, axis2: int) -> _core.Array:
    """a with two axes exchanged (numpy's ``swapaxes``), a copy unless they are one axis."""
    x = as_array(a)
    order = list(range(x.ndim))
    first, second = (checked_axis(v, x.ndim, "swapaxes") for v in (axis1, axis2))
    order[first], order[second] = order[second], order[first]
    return transpose(x, order)


def moveaxis(a, source, destination) -> _core.Array:
    """a with its axes at source moved to destination, the others in their order (numpy's
    ``moveaxis``)."""
    x = as_array(a)
    sources = distinct_axes(source, x.ndim, "moveaxis")
    destinations = distinct_axes(destination, x.ndim, "moveaxis")
    if len(sources) != len(destinations):
        raise InvalidArgumentError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [d for d in range(x.ndim) if d not in sources]
    for place, axis in sorted(zip(destinations, sources, strict=True)):
        order.insert(place, axis)
    return transpose(x, order)


def flip(m, axis=None) -> _core.Array:
    """m with the order of its elements reversed along axis (all axes for None; numpy's
    ``flip``)."""
    x = as_array(m)
    axes = set(range(x.ndim)) if axis is None else set(distinct_axes(axis, x.ndim, "flip"))
    return x[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))]


def squeeze_method(self: _core.Array, axis=None) -> _core.Array:
    """``x.squeeze()``, as numpy's."""
    return squeeze(self, axis)


def swapaxes_method(self: _core.Array, axis1: int, axis2: int) -> _core.Array:
    """``x.swapaxes(a, b)``, as numpy's."""
    return swapaxes(self, axis1, axis2)
