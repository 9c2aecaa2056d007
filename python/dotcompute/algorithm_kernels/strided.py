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
64-bit division and remainder per dimension (tens of cycles each on x86-64, about a hundred
instructions on a GPU, which has no 64-bit divider), far more than the copy of one element;
``x[::2]`` of a 2048 x 2048 float32 array took 3.2 ms against numpy's 0.4. On CPU devices, where
the innermost dimension is long enough, a work-item copies a whole row of it (``copy_rows``):
the divisions are paid once a row and the row is a plain strided loop (0.54 ms). GPUs take a
two-dimensional grid (``copy_grid``): dimension 0 runs along the innermost dimension
(coalesced), dimension 1 numbers the rows, so only the middle dimensions of three or more are
divided. Too many rows for the grid take a work-item per element (``copy_elements``), as do
CPU layouts of short rows or few of them. Every kernel leaves the outermost coordinate
undivided (it is what remains).

The layout table and the zero offset of a plain copy are uploaded once per layout and device
(``_table``, ``_zero``): on a GPU each upload is a host-to-device copy, which was most of a small
selection's time.
"""

from __future__ import annotations

import collections
import math
import threading
from collections.abc import Callable

import numpy as np

import dotcompute as dc

from .. import _backend_caches, _core
from .broadcast import GRID_GROUP, MAX_GRID_ROWS, merge_dimensions
from .reduce import is_cpu_device

#: The unsigned integer dtype that moves an item of each size (16 bytes: two uint64s).
BITS = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64", 16: "uint64"}
#: The shortest innermost dimension copied a row a work-item on CPU devices, and the fewest
#: rows (fewer would leave threads idle: one row of x[idx] ran on one thread).
MIN_ROW = 8
MIN_ROWS = 16


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


@dc.kernel
def copy_grid(
    src: dc.Array, dst: dc.Array, layout: dc.Array[dc.int64, 2], offsets: dc.Array[dc.int64],
    src_base: dc.int64, dst_base: dc.int64, src_scale: dc.int64, dst_scale: dc.int64,
    rows: dc.int64, inner: dc.int64, src_step: dc.int64, dst_step: dc.int64,
    block_step: dc.int64,
):  # fmt: skip
    """copy_elements over a (innermost extent, rows) grid (Note [Rows on CPU devices]); the
    innermost dimension's (extent, strides) come as arguments, so a work-item reads the table
    only for the outer dimensions."""
    i = dc.global_id(0)
    w = dc.global_id(1)
    if i < inner and w < rows:
        source, target, block = row_start(layout, w, layout.shape[0] - 1)
        offset = offsets[block + i * block_step]
        dst[dst_base + target + i * dst_step + offset * dst_scale] = src[
            src_base + source + i * src_step + offset * src_scale
        ]


def copy(
    src: _core.Array, dst: _core.Array, layout: list[tuple[int, int, int]],
    src_base: int, dst_base: int,
) -> None:  # fmt: skip
    """Copies the elements of layout (extent, src stride, dst stride) per dimension, strides and
    bases in elements of src's and dst's dtype, which is one dtype, on dst's device."""
    rows = [(extent, s, t, 0) for extent, s, t in layout]
    _launch(src, dst, rows, _zero(dst.device), src_base, dst_base, (0, 0))


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
    merged = tuple(merge_dimensions(layout, 3))
    table = _table(merged, dst.device)
    arguments = (flat_src, flat_dst, table, offsets, src_base, dst_base, *scales)
    inner = merged[-1][0]
    rows = count // inner
    if is_cpu_device(dst.device):
        if inner >= MIN_ROW and rows >= MIN_ROWS:
            copy_rows[rows](*arguments, rows)
            return
    else:
        across = min(GRID_GROUP, 1 << (inner - 1).bit_length())  # a group: rows of `across`
        down = GRID_GROUP // across
        if -(-rows // down) <= MAX_GRID_ROWS and inner < 2**31:
            steps = (rows, *merged[-1])  # rows, inner extent, its three strides
            copy_grid.launch((inner, rows), *arguments, *steps, local_size=(across, down))
            return
    copy_elements[count](*arguments, count)


def _table(merged: tuple[tuple[int, ...], ...], device: _core.Device) -> _core.Array:
    """The layout as an int64 array on the device (the kernels only read it)."""
    return _uploaded(("layout", merged), device, lambda: np.array(merged, dtype=np.int64))


def _zero(device: _core.Device) -> _core.Array:
    """A one-element int64 zero on the device: a plain copy's offsets (read only)."""
    return _uploaded(("zero",), device, lambda: np.zeros(1, dtype=np.int64))


#: Uploaded layouts and zeros by (device spec, key), most recently used last.
_uploads: collections.OrderedDict = collections.OrderedDict()
_uploads_lock = threading.Lock()
UPLOAD_LIMIT = 1024


def _uploaded(key: tuple, device: _core.Device, host: Callable[[], np.ndarray]) -> _core.Array:
    """host() on the device, uploaded once per key and device. Not kept while the current stream
    captures (the copy may only run at replay) and kept only once the copy has finished (a
    kernel on another stream is not ordered after it), as fft_plans does."""
    entry = (device.spec, key)
    with _uploads_lock:
        array = _uploads.get(entry)
        if array is not None:
            _uploads.move_to_end(entry)
            return array
    array = _core._from_numpy(host(), device, True)
    stream = _core.current_stream(device)
    if stream.is_capturing:
        return array
    stream.synchronize()
    with _uploads_lock:
        _uploads[entry] = array
        while len(_uploads) > UPLOAD_LIMIT:
            _uploads.popitem(last=False)
    return array


@_backend_caches.register
def _forget_backend(name: str) -> None:
    with _uploads_lock:
        for entry in [e for e in _uploads if _backend_caches.backend_of(e[0]) == name]:
            del _uploads[entry]
