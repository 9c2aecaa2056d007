# python/dotcompute/_indexing.py
# x[key] and x[key] = value for dc arrays: numpy's basic indexing (integers, slices, ..., None).
"""``Array.__getitem__`` and ``Array.__setitem__``: numpy's basic indexing here, keys with
integer arrays or boolean masks (numpy's advanced indexing) in ``_advanced_indexing.py``.

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
numpy's assignment).
"""

from __future__ import annotations

import numpy as np

from . import _advanced_indexing, _core
from ._astype import astype
from ._index_keys import expand, wrap_index
from ._strides import broadcast_strides, row_major
from .errors import InvalidArgumentError


class _Selection:
    """A basic-indexing key applied to a shape. ``axes``: per axis of the array, (first,
    length, step), or (index, None, None) for an integer. ``sources``: per dimension of the
    result, the array's axis it selects from, or None for a new axis."""

    def __init__(self, shape: tuple[int, ...], items: list):
        self.axes: list[tuple[int, int | None, int | None]] = []
        self.sources: list[int | None] = []
        shape_out: list[int] = []
        axis = 0
        for item in items:
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
                self.axes.append((wrap_index(item, size, axis), None, None))
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


def getitem(self: _core.Array, key) -> _core.Array:
    """x[key]: a view where the selection is contiguous, else a copy on the device."""
    view = _leading_view(self, key)
    if view is not None:
        return view
    items = expand(key, self.ndim, self.device)
    if _advanced_indexing.is_advanced_key(items):
        return _advanced_indexing.getitem(self, items)
    selection = _Selection(self.shape, items)
    strides = row_major(self.shape)
    if selection.is_contiguous(self.shape):
        # An empty selection's first element may lie past the end (x[1:, -1] of one row).
        empty = self.size == 0 or 0 in selection.shape
        return _core._view(self, 0 if empty else selection.first_element(strides), selection.shape)
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    out = _core.empty(selection.shape, self.dtype, self.device)
    out_strides = row_major(selection.shape)
    steps = [
        (extent, stride, out_stride)
        for (extent, stride), out_stride in zip(selection.layout(strides), out_strides, strict=True)
    ]
    strided.copy(self, out, steps, selection.first_element(strides), 0)
    return out


def _leading_view(x: _core.Array, key) -> _core.Array | None:
    """x[i] or x[start:stop] along the first axis (the commonest keys, in loops over rows) as
    the view the general path gives, without its parsing of keys (x[3]: 7.1 -> 1.0 us on the
    CPU); None for every other key, out-of-range integers and empty arrays, which the general
    path handles (with numpy's IndexError)."""
    kind = type(key)
    if (kind is not int and kind is not slice) or not x.ndim or not x.size:
        return None
    size = x.shape[0]
    if kind is int:
        index = key + size if key < 0 else key
        if not 0 <= index < size:
            return None
        return _core._view(x, index * (x.size // size), x.shape[1:])
    if key.step is not None and key.step != 1:
        return None
    first, stop, _ = key.indices(size)
    return _core._view(x, first * (x.size // size), (max(stop - first, 0), *x.shape[1:]))


def setitem(self: _core.Array, key, value) -> None:
    """x[key] = value, in place: value broadcast to the selection and converted to x's dtype."""
    if self.readonly:
        raise InvalidArgumentError("assignment destination is read-only")
    items = expand(key, self.ndim, self.device)
    if _advanced_indexing.is_advanced_key(items):
        _advanced_indexing.setitem(self, items, _readable_source(value, self))
        return
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    selection = _Selection(self.shape, items)
    source = _readable_source(value, self)
    source_strides = broadcast_strides(source.shape, selection.shape)
    strides = row_major(self.shape)
    steps = [
        (extent, source_stride, stride)
        for (extent, stride), source_stride in zip(
            selection.layout(strides), source_strides, strict=True
        )
    ]
    strided.copy(source, self, steps, 0, selection.first_element(strides))


def _readable_source(value, like: _core.Array) -> _core.Array:
    """_source(value, like), copied first where it shares like's memory (x[1:] = x[:-1] reads
    everything before writing)."""
    source = _source(value, like)
    return source.copy() if _core._shares_memory(source, like) else source


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
