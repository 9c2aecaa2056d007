# python/dotcompute/_indexing.py
# x[key] and x[key] = value for dc arrays: numpy's basic indexing (integers, slices, ..., None).
"""``Array.__getitem__`` and ``Array.__setitem__`` with numpy's basic indexing.

A key is an integer, a slice, ``...``, ``None`` (a new axis of length 1), or a tuple of them;
negative integers and slice bounds count from the end, an integer out of range is an
IndexError, as numpy's. What a selection gives:

- a contiguous run of the array's elements (``x[3]``, ``x[2:9]``, ``x[1, :, :]``, ``x[..., :]``;
  in general: integers or length-1 slices, then one slice of step 1, then whole axes) is a
  **view**, as in numpy: it shares the array's memory, so writes through it change the array
  (Note [Array views] in cpp/core/storage.cpp);
- any other selection (``x[:, 0]``, ``x[::2]``) is a **copy** made on the device
  (``algorithm_kernels/strided.py``): dc arrays are contiguous, so they cannot describe a
  strided view. Writing into such a copy does not change the array; assign through the array
  instead (``x[:, 0] = v``, ``x[:, 0] += 1``), which writes in place.

``x[key] = value`` writes in place for every key: value is a dc array, a numpy array or a number,
broadcast to the selection's shape and converted to x's dtype (numpy's unsafe casting, as
numpy's assignment). Integer or boolean arrays as indices (numpy's advanced indexing) are an
UnsupportedError.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _core
from ._astype import astype
from .errors import InvalidArgumentError, ShapeError, UnsupportedError


class _Selection:
    """A basic-indexing key applied to a shape. ``axes``: per axis of the array, (first,
    length, step), or (index, None, None) for an integer. ``sources``: per dimension of the
    result, the array's axis it selects from, or None for a new axis."""

    def __init__(self, shape: tuple[int, ...], key):
        self.axes: list[tuple[int, int | None, int | None]] = []
        self.sources: list[int | None] = []
        shape_out: list[int] = []
        axis = 0
        for item in _expanded(key, len(shape)):
            if item is None:
                self.sources.append(None)
                shape_out.append(1)
                continue
            size = shape[axis]
            if isinstance(item, slice):
                first, stop, step = item.indices(size)
                length = len(range(first, stop, step))
                self.axes.append((first, length, step))
                self.sources.append(axis)
                shape_out.append(length)
            else:
                index = item + size if item < 0 else item
                if not 0 <= index < size:
                    raise IndexError(
                        f"index {item} is out of bounds for axis {axis} with size {size}"
                    )
                self.axes.append((index, None, None))
            axis += 1
        self.shape = tuple(shape_out)

    def first_element(self, strides: list[int]) -> int:
        return sum(first * stride for (first, _, _), stride in zip(self.axes, strides, strict=True))

    def is_contiguous(self, shape: tuple[int, ...]) -> bool:
        """Whether the selected elements are one run in row-major order: from the last axis,
        whole axes, then one axis of step 1 (or one element), then single elements."""
        whole = True
        for (_, length, step), size in zip(reversed(self.axes), reversed(shape), strict=True):
            count = 1 if length is None else length
            run = count <= 1 or step == 1
            if whole and run:
                whole = count == size
            elif count > 1:
                return False
        return True

    def layout(self, strides: list[int]) -> list[tuple[int, int]]:
        """(extent, stride in the array) of each dimension of the result (0 for new axes)."""
        result = []
        for axis in self.sources:
            if axis is None:
                result.append((1, 0))
            else:
                _, length, step = self.axes[axis]
                result.append((length, step * strides[axis]))
        return result


def _expanded(key, ndim: int) -> list:
    """The key as a list of ints, slices and Nones with `...` replaced by whole slices."""
    items = list(key) if isinstance(key, tuple) else [key]
    normalized = []
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, slice):
            normalized.append(item)
        elif isinstance(item, bool | np.bool_):
            raise UnsupportedError(
                "indexing with a bool (numpy's 0-d boolean index) is not supported"
            )
        elif isinstance(item, _core.Array | np.ndarray | list | tuple):
            raise UnsupportedError(
                "indexing with arrays (numpy's advanced indexing: integer arrays, boolean masks) "
                "is not supported; use integers, slices, ... and None, or dc.where for masks"
            )
        else:
            try:
                normalized.append(operator.index(item))
            except TypeError:
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`) and None are valid indices, "
                    f"got {type(item).__name__}"
                ) from None
    if sum(item is Ellipsis for item in normalized) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(item is not None and item is not Ellipsis for item in normalized)
    if used > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed"
        )
    rest = [slice(None)] * (ndim - used)
    for at, item in enumerate(normalized):
        if item is Ellipsis:
            return normalized[:at] + rest + normalized[at + 1 :]
    return normalized + rest


def getitem(self: _core.Array, key) -> _core.Array:
    """x[key]: a view where the selection is contiguous, else a copy on the device."""
    selection = _Selection(self.shape, key)
    strides = _strides(self.shape)
    if selection.is_contiguous(self.shape):
        first = selection.first_element(strides) if self.size else 0
        return _core._view(self, first, selection.shape)
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    out = _core.empty(selection.shape, self.dtype, self.device)
    out_strides = _strides(selection.shape)
    steps = [
        (extent, stride, out_stride)
        for (extent, stride), out_stride in zip(selection.layout(strides), out_strides, strict=True)
    ]
    strided.copy(self, out, steps, selection.first_element(strides), 0)
    return out


def setitem(self: _core.Array, key, value) -> None:
    """x[key] = value, in place: value broadcast to the selection and converted to x's dtype."""
    if self.readonly:
        raise InvalidArgumentError("assignment destination is read-only")
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    selection = _Selection(self.shape, key)
    source = _source(value, self)
    source_strides = _broadcast_strides(source.shape, selection.shape)
    if _core._shares_memory(source, self):  # x[1:] = x[:-1]: read everything first
        source = source.copy()
    strides = _strides(self.shape)
    steps = [
        (extent, source_stride, stride)
        for (extent, stride), source_stride in zip(
            selection.layout(strides), source_strides, strict=True
        )
    ]
    strided.copy(source, self, steps, 0, selection.first_element(strides))


def _strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major element strides of shape."""
    from .algorithm_kernels import broadcast  # defined on first use (_algorithm_paths)

    return broadcast.element_strides(shape, shape)


def _broadcast_strides(shape: tuple[int, ...], target: tuple[int, ...]) -> list[int]:
    """Element strides of an array of shape read as target's shape (0 where broadcast); a
    ShapeError, numpy's words, where it does not broadcast to target."""
    from .algorithm_kernels import broadcast

    padded = (1,) * (len(target) - len(shape)) + tuple(shape)
    if len(padded) > len(target) or any(
        size not in (1, want) for size, want in zip(padded, target, strict=True)
    ):
        raise ShapeError(f"could not broadcast input array from shape {shape} into shape {target}")
    return broadcast.element_strides(target, shape)


def _source(value, like: _core.Array) -> _core.Array:
    """value as a dc array of like's dtype on like's device."""
    if isinstance(value, _core.Array):
        if value.device != like.device:
            value = value.to(like.device)
    elif isinstance(value, np.ndarray | list | tuple):
        value = _core._from_numpy(np.asarray(value), like.device, True)
    else:
        return _core.full((), value, like.dtype, like.device)
    return value if value.dtype == like.dtype else astype(value, like.dtype)
