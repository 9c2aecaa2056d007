# python/dotcompute/_take_along_axis.py
# dc.take_along_axis: the elements at given positions along one axis (numpy's), and the
# unchecked gather that sorts complex arrays by their positions.
"""``take_along_axis(arr, indices, axis)``: ``out[..., i, ...] = arr[..., indices[..., i, ...],
...]`` along axis, the other dimensions broadcast between arr and indices (numpy's). The
positions of ``argsort`` pick the sorted values, those of ``argmax(keepdims=True)`` the largest.

One strided copy with a table of offsets (``algorithm_kernels/strided.py``'s ``copy_indexed``):
every element of the result has its own offset, its index times the axis' stride, and reads arr
there plus its position in the other dimensions. Indices are checked as advanced indexing
checks them (a dc index array costs a min and a max on the device and one wait, so a checked
call is not captured: ``dc.capture`` refuses it); ``gather_along`` takes positions known to be in
range (argsort's) without a check, and records in captures.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._advanced_indexing import _offsets
from ._axes import checked_axis
from ._elementwise import apply
from ._index_keys import IndexArray
from ._nonzero import require_no_capture
from ._strides import element_strides, row_major
from .errors import DTypeError, ShapeError


def take_along_axis(arr: _core.Array, indices, axis=-1) -> _core.Array:
    """arr's elements at indices along axis (numpy's ``take_along_axis``; axis=None reads arr
    flattened). indices: an integer dc array on arr's device or a numpy array, of arr's number
    of dimensions; negative indices count from the end.

    >>> x = dc.asarray(np.array([[10, 30, 20]]))
    >>> dc.take_along_axis(x, dc.argsort(x, axis=1), axis=1).tolist()
    [[10, 20, 30]]
    """
    if not isinstance(arr, _core.Array):
        raise DTypeError(
            f"take_along_axis takes a dc array, got {type(arr).__name__} (convert with dc.asarray)"
        )
    if axis is None:
        arr, axis = arr.reshape((arr.size,)), 0
    if not isinstance(indices, _core.Array):
        indices = np.asarray(indices)
    if indices.ndim != arr.ndim:
        raise ShapeError("`indices` and `arr` must have the same number of dimensions")
    if indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    axis = checked_axis(axis, arr.ndim, "take_along_axis")
    shape = _result_shape(arr.shape, indices.shape, axis)
    stride = row_major(arr.shape)[axis]
    if isinstance(indices, _core.Array) and indices.size:
        require_no_capture(arr.device, "take_along_axis with a dc index array to check")
    offsets = _offsets(IndexArray(indices), arr.shape[axis], axis, stride, arr.device)
    return _gather(arr, offsets, indices.shape, axis, shape)


def gather_along(arr: _core.Array, positions: _core.Array, axis: int) -> _core.Array:
    """take_along_axis for int64 positions known to be in range (argsort's, argmax's with
    keepdims): no check, no wait, so it records inside dc.capture."""
    stride = row_major(arr.shape)[axis]
    offsets = positions if stride == 1 else apply("multiply", positions, stride)
    shape = _result_shape(arr.shape, positions.shape, axis)
    return _gather(arr, offsets, positions.shape, axis, shape)


def _gather(
    arr: _core.Array, offsets: _core.Array, picks: tuple[int, ...], axis: int,
    shape: tuple[int, ...],
) -> _core.Array:  # fmt: skip
    """out (of shape) = arr read at element offsets (of shape picks, broadcast to shape) along
    axis plus each element's place in the other dimensions."""
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    out = _core.empty(shape, arr.dtype, arr.device)
    if out.size == 0:
        return out
    steps = element_strides(shape, arr.shape)
    steps[axis] = 0  # the offset is the position along axis
    layout = list(zip(shape, steps, row_major(shape), element_strides(shape, picks), strict=True))
    strided.copy_indexed(arr, out, layout, offsets.reshape((offsets.size,)), 0, 0, gather=True)
    return out


def _result_shape(shape: tuple[int, ...], picks: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """numpy's: the index array's extent along axis, the others broadcast."""
    result = []
    for d, (extent, count) in enumerate(zip(shape, picks, strict=True)):
        if d == axis:
            result.append(count)
        elif extent == count or count == 1 or extent == 1:
            result.append(count if extent == 1 else extent)
        else:
            raise IndexError(
                "shape mismatch: indexing arrays could not be broadcast together with shapes "
                f"{shape} {picks}"
            )
    return tuple(result)
