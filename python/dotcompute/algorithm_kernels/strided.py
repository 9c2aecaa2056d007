# python/dotcompute/algorithm_kernels/strided.py
# A copy between two arrays that reads and writes with strides: the kernel behind selections
# that are not contiguous (x[:, 0], x[::2]) and every assignment into a selection.
"""``strided_copy``: element g of a layout [n_0, ..., n_{k-1}] (row-major, any k) goes from
``src[src_base + sum(i_d * src_stride_d)]`` to ``dst[dst_base + sum(i_d * dst_stride_d)]``.
A stride of 0 repeats an element (a broadcast value). Elements move as their bits: the caller
passes both arrays reinterpreted as the unsigned integer of their item size (a 16-byte complex128
as two uint64s, an inner dimension of 2), so one kernel per item size serves every dtype.

``indexed_copy`` adds one table of element offsets (advanced indexing's, from integer arrays and
boolean masks): each dimension also has a block stride, ``block = sum(i_d * block_stride_d)``
numbers the element's place among the indexed ones, and ``offsets[block]`` is added to the
source's position (a gather, ``x[idx]``) or to the destination's (a scatter, ``x[idx] = v``).
"""

from __future__ import annotations

import numpy as np

import dotcompute as dc

from .. import _core
from .broadcast import merge_dimensions

#: The unsigned integer dtype that moves an item of each size (16 bytes: two uint64s).
BITS = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64", 16: "uint64"}


@dc.kernel
def strided_copy(
    src: dc.Array, dst: dc.Array, layout: dc.Array[dc.int64, 2], src_base: dc.int64,
    dst_base: dc.int64, count: dc.int64,
):  # fmt: skip
    """layout[d] = (extent, src stride, dst stride), outermost first."""
    g = dc.global_id(0)
    if g < count:
        rest = g
        source = src_base
        target = dst_base
        d = layout.shape[0] - 1
        while d >= 0:
            extent = layout[d, 0]
            i = rest % extent
            rest = rest // extent
            source += i * layout[d, 1]
            target += i * layout[d, 2]
            d -= 1
        dst[target] = src[source]


@dc.kernel
def indexed_copy(
    src: dc.Array, dst: dc.Array, layout: dc.Array[dc.int64, 2], offsets: dc.Array[dc.int64],
    src_base: dc.int64, dst_base: dc.int64, src_scale: dc.int64, dst_scale: dc.int64,
    count: dc.int64,
):  # fmt: skip
    """layout[d] = (extent, src stride, dst stride, block stride), outermost first; the offset
    of the element's block, times src_scale and dst_scale (one of them 0), moves both sides."""
    g = dc.global_id(0)
    if g < count:
        rest = g
        source = src_base
        target = dst_base
        block = dc.int64(0)
        d = layout.shape[0] - 1
        while d >= 0:
            extent = layout[d, 0]
            i = rest % extent
            rest = rest // extent
            source += i * layout[d, 1]
            target += i * layout[d, 2]
            block += i * layout[d, 3]
            d -= 1
        offset = offsets[block]
        dst[target + offset * dst_scale] = src[source + offset * src_scale]


def copy(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int]],
    src_base: int, dst_base: int,
) -> None:  # fmt: skip
    """Copies the elements of layout (strides and bases in elements of src's and dst's dtype,
    which is one dtype) from src to dst, on dst's device."""
    count = int(np.prod([extent for extent, _, _ in layout], dtype=np.int64))
    if count == 0:
        return
    itemsize = dst.dtype.itemsize
    bits = BITS[itemsize]
    if itemsize == 16:  # two uint64s an item: every stride and base doubles, an inner pair
        layout = [(n, 2 * s, 2 * t) for n, s, t in layout] + [(2, 1, 1)]
        src_base, dst_base, count = 2 * src_base, 2 * dst_base, 2 * count
    words = 2 if itemsize == 16 else 1
    flat_src = _core._reinterpret(src, bits, (src.size * words,))
    flat_dst = _core._reinterpret(dst, bits, (dst.size * words,))
    steps = np.array(merge_dimensions(layout, 2), dtype=np.int64)
    table = _core._from_numpy(steps, dst.device, True)
    strided_copy[count](flat_src, flat_dst, table, src_base, dst_base, count)


def copy_indexed(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int, int]],
    offsets: _core.Array, src_base: int, dst_base: int, gather: bool,
) -> None:  # fmt: skip
    """indexed_copy over layout (extent, src stride, dst stride, block stride) per dimension:
    offsets (int64, 1-D, in elements of src's and dst's dtype, which is one dtype) move the
    source (gather) or the destination (scatter), on dst's device."""
    count = int(np.prod([row[0] for row in layout], dtype=np.int64))
    if count == 0:
        return
    itemsize = dst.dtype.itemsize
    words = 2 if itemsize == 16 else 1
    if words == 2:  # two uint64s an item, as in copy()
        layout = [(n, 2 * s, 2 * t, b) for n, s, t, b in layout] + [(2, 1, 1, 0)]
        src_base, dst_base, count = 2 * src_base, 2 * dst_base, 2 * count
    bits = BITS[itemsize]
    flat_src = _core._reinterpret(src, bits, (src.size * words,))
    flat_dst = _core._reinterpret(dst, bits, (dst.size * words,))
    steps = np.array(merge_dimensions(layout, 3), dtype=np.int64)
    table = _core._from_numpy(steps, dst.device, True)
    scales = (words, 0) if gather else (0, words)
    indexed_copy[count](flat_src, flat_dst, table, offsets, src_base, dst_base, *scales, count)
