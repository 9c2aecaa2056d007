# python/dotcompute/algorithm_kernels/strided.py
# A copy between two arrays that reads and writes with strides, optionally through a table of
# offsets: the kernels behind selections that are not contiguous (x[:, 0], x[::2]), advanced
# indexing (x[idx], x[mask] = v) and every assignment into a selection.
"""``copy``: element g of a layout [n_0, ..., n_{k-1}] (row-major, any k) goes from
``src[src_base + sum(i_d * src_stride_d)]`` to ``dst[dst_base + sum(i_d * dst_stride_d)]``.
A stride of 0 repeats an element (a broadcast value). Elements move as their bits: both arrays
are reinterpreted as the unsigned integer of their item size (a 16-byte complex128 as two
uint64s, an inner dimension of 2), so one kernel per item size serves every dtype.

``copy_indexed`` adds a table of element offsets (advanced indexing's, from integer arrays and
boolean masks): each dimension also has a block stride, ``block = sum(i_d * block_stride_d)``
numbers the element's place among the indexed ones, and ``offsets[block]`` is added to the
source's position (a gather, ``x[idx]``) or to the destination's (a scatter, ``x[idx] = v``).
``copy`` is the same kernel with one zero offset and block strides of 0.

Note [Rows on CPU devices]: a work-item per element splits its index into coordinates with a
64-bit division and remainder per dimension (tens of cycles each on x86-64), far more than the
copy of one element; ``x[::2]`` of a 2048 x 2048 float32 array took 3.2 ms against numpy's
0.4. On CPU devices, where the innermost dimension is long enough, a work-item copies a whole
row of it (``copy_rows``): the divisions are paid once a row and the row is a plain strided
loop. GPUs keep a work-item per element (coalesced across work-items), and every kernel
leaves the outermost coordinate undivided (it is what remains).
"""

from __future__ import annotations

import math

import numpy as np

import dotcompute as dc

from .. import _core
from .broadcast import merge_dimensions
from .reduce import is_cpu_device

#: The unsigned integer dtype that moves an item of each size (16 bytes: two uint64s).
BITS = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64", 16: "uint64"}
#: The shortest innermost dimension copied a row a work-item on CPU devices.
MIN_ROW = 8


@dc.func
def row_start(layout: dc.Array[dc.int64, 2], row: dc.int64, dims: dc.int64):
    """(source, target, block) positions of element 0 of the row'th row over layout's first
    dims dimensions (before the bases and offsets)."""
    rest = row
    source = dc.int64(0)
    target = dc.int64(0)
    block = dc.int64(0)
    d = dims - 1
    while d >= 0:
        i = rest  # the outermost coordinate is what remains: no division
        if d > 0:
            i = rest % layout[d, 0]
            rest = rest // layout[d, 0]
        source += i * layout[d, 1]
        target += i * layout[d, 2]
        block += i * layout[d, 3]
        d -= 1
    return source, target, block


@dc.kernel
def copy_elements(
    src: dc.Array, dst: dc.Array, layout: dc.Array[dc.int64, 2], offsets: dc.Array[dc.int64],
    src_base: dc.int64, dst_base: dc.int64, src_scale: dc.int64, dst_scale: dc.int64,
    count: dc.int64,
):  # fmt: skip
    """A work-item per element. layout[d] = (extent, src stride, dst stride, block stride),
    outermost first; the offset of the element's block, times src_scale and dst_scale (either
    may be 0), moves each side."""
    g = dc.global_id(0)
    if g < count:
        source, target, block = row_start(layout, g, layout.shape[0])
        offset = offsets[block]
        dst[dst_base + target + offset * dst_scale] = src[src_base + source + offset * src_scale]


@dc.kernel
def copy_rows(
    src: dc.Array, dst: dc.Array, layout: dc.Array[dc.int64, 2], offsets: dc.Array[dc.int64],
    src_base: dc.int64, dst_base: dc.int64, src_scale: dc.int64, dst_scale: dc.int64,
    rows: dc.int64,
):  # fmt: skip
    """copy_elements with a work-item per row of the innermost dimension (Note [Rows on CPU
    devices])."""
    w = dc.global_id(0)
    if w < rows:
        last = layout.shape[0] - 1
        source, target, block = row_start(layout, w, last)
        source += src_base
        target += dst_base
        n = layout[last, 0]
        src_step, dst_step, block_step = layout[last, 1], layout[last, 2], layout[last, 3]
        if block_step != 0:  # the row runs along an indexed dimension: an offset an element
            for i in range(n):
                offset = offsets[block + i * block_step]
                dst[target + i * dst_step + offset * dst_scale] = src[
                    source + i * src_step + offset * src_scale
                ]
        else:  # one offset a row; contiguous rows are a loop the compiler vectorizes
            offset = offsets[block]
            source += offset * src_scale
            target += offset * dst_scale
            if src_step == 1 and dst_step == 1:
                for i in range(n):
                    dst[target + i] = src[source + i]
            else:
                for i in range(n):
                    dst[target + i * dst_step] = src[source + i * src_step]


def copy(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int]],
    src_base: int, dst_base: int,
) -> None:  # fmt: skip
    """Copies the elements of layout (extent, src stride, dst stride) per dimension, strides and
    bases in elements of src's and dst's dtype, which is one dtype, on dst's device."""
    zero = _core.zeros((1,), np.int64, dst.device)
    rows = [(extent, s, t, 0) for extent, s, t in layout]
    _launch(src, dst, rows, zero, src_base, dst_base, (0, 0))


def copy_indexed(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int, int]],
    offsets: _core.Array, src_base: int, dst_base: int, gather: bool,
) -> None:  # fmt: skip
    """copy over layout (extent, src stride, dst stride, block stride) per dimension: offsets
    (int64, 1-D, in elements) move the source (gather) or the destination (scatter)."""
    _launch(src, dst, layout, offsets, src_base, dst_base, (1, 0) if gather else (0, 1))


def _launch(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int, int]],
    offsets: _core.Array, src_base: int, dst_base: int, scales: tuple[int, int],
) -> None:  # fmt: skip
    count = math.prod(row[0] for row in layout)
    if count == 0:
        return
    itemsize = dst.dtype.itemsize
    words = 2 if itemsize == 16 else 1
    if words == 2:  # two uint64s an item: strides, bases and scales double, an inner pair
        layout = [(n, 2 * s, 2 * t, b) for n, s, t, b in layout] + [(2, 1, 1, 0)]
        src_base, dst_base, count = 2 * src_base, 2 * dst_base, 2 * count
        scales = (2 * scales[0], 2 * scales[1])
    bits = BITS[itemsize]
    flat_src = _core._reinterpret(src, bits, (src.size * words,))
    flat_dst = _core._reinterpret(dst, bits, (dst.size * words,))
    merged = merge_dimensions(layout, 3)
    table = _core._from_numpy(np.array(merged, dtype=np.int64), dst.device, True)
    arguments = (flat_src, flat_dst, table, offsets, src_base, dst_base, *scales)
    inner = merged[-1][0]
    if inner >= MIN_ROW and is_cpu_device(dst.device):
        copy_rows[count // inner](*arguments, count // inner)
    else:
        copy_elements[count](*arguments, count)
