# python/dotcompute/_advanced_indexing.py
# x[key] and x[key] = value where the key holds integer arrays or boolean masks (numpy's
# advanced indexing): a gather and a scatter on the device.
"""numpy's advanced indexing for dc arrays: ``x[idx]``, ``x[mask]``, ``x[rows, columns]``,
``x[:, idx]``, ``x[mask] = 0``, ``x[idx] += 1``.

numpy's rules: integer index arrays broadcast together to a shape B; a boolean mask of k axes
(its shape theirs) stands for the k coordinate arrays of its true elements (``nonzero``, so its
part of B is their count); integers in such a key count as 0-d index arrays. When the advanced
items sit next to each other in the key, B takes their place among the sliced axes; otherwise B
comes first. Negative indices count from the end; one out of range is numpy's IndexError.

How: the element offset each position of B selects (sum of index * stride over the advanced
axes; a mask's positions times the stride of its last axis, its axes being whole) is computed
on the device with the elementwise operations, and ``strided.copy_indexed`` gathers through it
(the result is a copy, as numpy's) or scatters through it (assignment, in place; where an
index repeats, one of the values is written, numpy writes the last). Index arrays from the
host are checked there before they are copied; a dc index array costs a min and a max on the
device, a mask the count of its true elements: each a synchronization with the host, so such
keys are UnsupportedErrors inside ``dc.capture``.

Two keys skip the offsets: ``x[mask]`` with a mask of x's shape compacts the selected values
directly (``compact.values``), and ``x[mask] = number`` is ``where(mask, number, x)`` written
into x (no synchronization, so it also records inside ``dc.capture``).
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._astype import astype
from ._elementwise import apply
from ._index_keys import GAP, IndexArray, Mask, is_advanced, wrap_index
from ._nonzero import flatnonzero, require_no_capture
from ._strides import broadcast_strides, row_major


class Plan:
    """An advanced-indexing key applied to an array. ``shape``: the selection's; ``rows``: per
    dimension of the selection, (extent, stride in the array, block stride), the block stride
    numbering positions of B; ``offsets``: int64, the array offset of each position of B,
    flattened; ``base``: the offset of the selection's first element from slices and integers."""

    def __init__(self, array: _core.Array, items: list):
        require_no_capture(array.device, "indexing with integer arrays or boolean masks")
        shape, strides = array.shape, row_major(array.shape)
        self.base = 0
        entries: list = []  # (extent, stride) of a sliced or new axis, or None for advanced
        parts: list[_core.Array] = []
        axis = 0
        for item in items:
            if item is None:
                entries.append((1, 0))
                continue
            if item is GAP:
                entries.append(())  # no axis, but it parts the advanced items (_arranged)
                continue
            if isinstance(item, slice):
                first, stop, step = item.indices(shape[axis])
                entries.append((len(range(first, stop, step)), step * strides[axis]))
                self.base += first * strides[axis]
                axis += 1
                continue
            entries.append(None)
            if isinstance(item, Mask):
                _check_mask(item.values.shape, shape, axis)
                axis += item.consumed
                parts.append(_scaled(flatnonzero(item.values), strides[axis - 1]))
            elif isinstance(item, IndexArray):
                parts.append(_offsets(item, shape[axis], axis, strides[axis], array.device))
                axis += 1
            else:  # an integer among advanced items: a 0-d index array
                self.base += wrap_index(item, shape[axis], axis) * strides[axis]
                axis += 1
        block_shape = _block_shape(parts)
        offsets = parts[0]
        for part in parts[1:]:
            offsets = apply("add", offsets, part)
        self.offsets = offsets.reshape((offsets.size,))
        block = [
            (extent, 0, step)
            for extent, step in zip(block_shape, row_major(block_shape), strict=True)
        ]
        self.rows = _arranged(entries, block)
        self.shape = tuple(extent for extent, _, _ in self.rows)


def is_advanced_key(items: list) -> bool:
    return any(is_advanced(item) for item in items)


def getitem(array: _core.Array, items: list) -> _core.Array:
    """array[key] for a key with integer arrays or masks: a new array."""
    mask = _whole_mask(array, items)
    if mask is not None and array.dtype.itemsize <= 8:
        from .algorithm_kernels import compact  # defined on first use (_algorithm_paths)

        require_no_capture(array.device, "indexing with a boolean mask")
        return compact.values(mask.reshape((mask.size,)), array.reshape((array.size,)))
    return gather(array, Plan(array, items))


def setitem(array: _core.Array, items: list, source: _core.Array) -> None:
    """array[key] = source (array's dtype and device, not sharing its memory), in place."""
    mask = _whole_mask(array, items)
    if mask is not None and source.size == 1 and source.ndim <= 1:
        from .algorithm_kernels import select

        flat = array.reshape((array.size,))
        select.run(mask.reshape((mask.size,)), source.reshape((1,)), flat, flat)
        return
    plan = Plan(array, items)
    scatter(array, plan, source, broadcast_strides(source.shape, plan.shape))


def _whole_mask(array: _core.Array, items: list) -> _core.Array | None:
    """The mask of a key that is one mask of array's shape (x[x > 0]), else None."""
    items = [item for item in items if item is not GAP]
    if len(items) == 1 and isinstance(items[0], Mask) and items[0].values.shape == array.shape:
        return items[0].values
    return None


def gather(array: _core.Array, plan: Plan) -> _core.Array:
    """array[key] as a new array."""
    from .algorithm_kernels import strided  # defined on first use (_algorithm_paths)

    out = _core.empty(plan.shape, array.dtype, array.device)
    out_strides = row_major(plan.shape)
    layout = [
        (extent, stride, out_stride, block)
        for (extent, stride, block), out_stride in zip(plan.rows, out_strides, strict=True)
    ]
    strided.copy_indexed(array, out, layout, plan.offsets, plan.base, 0, gather=True)
    return out


def scatter(
    array: _core.Array, plan: Plan, source: _core.Array, source_strides: list[int]
) -> None:  # fmt: skip
    """array[key] = source, source (array's dtype and device) read with source_strides over
    the selection's shape (0 where it broadcasts)."""
    from .algorithm_kernels import strided

    layout = [
        (extent, source_stride, stride, block)
        for (extent, stride, block), source_stride in zip(plan.rows, source_strides, strict=True)
    ]
    strided.copy_indexed(source, array, layout, plan.offsets, 0, plan.base, gather=False)


def _check_mask(mask_shape: tuple[int, ...], shape: tuple[int, ...], axis: int) -> None:
    for d, (want, got) in enumerate(zip(shape[axis:], mask_shape, strict=False)):
        if want != got:
            raise IndexError(
                f"boolean index did not match indexed array along axis {axis + d}; size of "
                f"axis is {want} but size of corresponding boolean axis is {got}"
            )


def _offsets(
    index: IndexArray, size: int, axis: int, stride: int, device: _core.Device
) -> _core.Array:  # fmt: skip
    """The element offsets an index array selects along an axis (negative indices counted from
    the end, times the axis' stride), int64 on the device; numpy's IndexError for an index out
    of range. Host arrays are checked and scaled on the host, then copied."""
    values = index.values
    if values.size == 0:
        return _core.empty(values.shape, np.int64, device)
    if isinstance(values, np.ndarray):
        low, high = int(values.min()), int(values.max())
    else:
        from .algorithms import max as maximum
        from .algorithms import min as minimum

        smallest, largest = minimum(values), maximum(values)  # both queued, then one wait
        low, high = int(smallest.item()), int(largest.item())
    if high >= size or low < -size:
        host = values if isinstance(values, np.ndarray) else values.numpy()
        wrong = host[(host >= size) | (host < -size)][0]
        raise IndexError(f"index {wrong} is out of bounds for axis {axis} with size {size}")
    if isinstance(values, np.ndarray):
        wrapped = values.astype(np.int64) + size * (values < 0) if low < 0 else values
        return _core._from_numpy(np.multiply(wrapped, stride, dtype=np.int64), device, True)
    if values.dtype != np.int64:
        values = astype(values, np.int64)
    if low < 0:
        from ._where import where

        values = where(apply("less", values, 0), apply("add", values, size), values)
    return _scaled(values, stride)


def _scaled(values: _core.Array, stride: int) -> _core.Array:
    return values if stride == 1 else apply("multiply", values, stride)


def _block_shape(parts: list[_core.Array]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(part.shape for part in parts)))
    except ValueError:
        shapes = " ".join(str(part.shape) for part in parts)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}"
        ) from None


def _arranged(entries: list, block: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The selection's rows: B's in place of the advanced items when they are next to each other
    in the key, else first (numpy's rule)."""
    marks = [at for at, entry in enumerate(entries) if entry is None]
    sliced = [(extent, stride, 0) for extent, stride in filter(None, entries)]  # (no gaps)
    if marks != list(range(marks[0], marks[-1] + 1)):
        return block + sliced
    before = [(extent, stride, 0) for extent, stride in filter(None, entries[: marks[0]])]
    return before + block + sliced[len(before) :]
