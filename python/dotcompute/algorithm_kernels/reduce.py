# python/dotcompute/algorithm_kernels/reduce.py
# Reductions along one axis of [outer, length, inner] into [outer, inner].
"""Two layouts: with inner == 1 every row is contiguous and a work-group of GROUP work-items
reduces one segment of a row (strided partials, then a tree in shared memory); otherwise one
work-item per output column walks one segment of its column, so neighbouring work-items read
neighbouring addresses.

Note [Reduction segments]: a kernel pass reduces [outer, length, inner] into
[outer, parts, inner], part g covering elements g * segment up to (g + 1) * segment of the axis.
With one part per row or column, a sum of a single long row ran on one work-group, and a sum
along axis 0 of a (1M, 3) array on three work-items: one compute unit of a GPU, one thread of a
CPU device. So when the outputs alone cannot fill the device (fewer than TARGET_GROUPS row
groups or TARGET_ITEMS column work-items), the axis is cut into segments of at least
MIN_ROW_SEGMENT / MIN_COLUMN_SEGMENT elements and the partials, themselves
[outer, parts, inner], are reduced the same way until one part is left. The segment follows
from the shape alone, so a result does not depend on the device it ran on.

Note [Flat grids]: every pass runs on a one-dimensional grid, a group (rows) or work-item
(columns) finding its output, part and column by division. CUDA allows at most 65535 groups in
grid dimensions 1 and 2, so a pass with outputs in dimension 1 failed for more than 65535 rows
(a sum along axis 1 of a (100000, 10) array); dimension 0 allows 2^31 - 1. The vector products
(gemv.py), scans (scan.py), merge sorts (sort.py) and FFT passes (fft.py) do the same. Still
two- or three-dimensional, and so limited on CUDA: the GEMM kernels (16 output rows a group
in dimension 1, batch and k splits in dimension 2; CUDA runs cuBLAS when it has it) and the
radix sort (rows in dimension 1; the CUDA plugin sorts contiguous rows itself).

Note [Column lanes]: a CPU device runs a group's work-items as a loop that it vectorizes, but
a work-item of sum_columns_float walks its column with a stride of a whole row, which PoCL ran
at about 0.7 ns an element (a (4096, 4096) float32 sum along axis 0: 24 ms a pass, numpy 3.3
ms). On CPU devices a float sum over at least COLUMN_LANES columns therefore gives a work-item
COLUMN_LANES neighbouring columns, in a private array of float64 sums, its inner loop running
along a row: 4.8-6.2 ms for that pass (4 lanes 6.2 ms, 16 lanes 10 ms, 32 lanes 21 ms, 64
lanes 8.6 ms in the same runs), (7, 300, 1001) along axis 1 1.5 -> 0.45-0.96 ms. Fewer columns
keep sum_columns_float: (1M, 3) along axis 0 took 6.6 ms in lanes against 1.6 ms. Contiguous
rows keep a group and a tree: a work-item per row segment with COLUMN_LANES running sums was
only 1.1x faster on PoCL ((4, 4M) along axis 1: 8.4 -> 7.6 ms, numpy 2.6).

Sums of floating dtypes accumulate in float64 (partials too) where the device has float64
(``sum_*_float``); integer sums, and float sums on devices without float64 (Metal, OpenCL
without cl_khr_fp64), accumulate in the result dtype (``sum_*_typed``, partials in that dtype
too). min and max keep the input type and let a NaN win, as numpy does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name

GROUP = 256
TARGET_GROUPS = 1024
TARGET_ITEMS = 65536
MIN_ROW_SEGMENT = 16 * GROUP
MIN_COLUMN_SEGMENT = 256
COLUMN_LANES = 8  # columns a work-item sums on CPU devices (Note [Column lanes])


@dc.func
def group_tree_sum(partial, lid, value):
    """partial[0] = the sum of every work-item's value over the group of GROUP work-items, by a
    tree in the shared array partial (inlined: Note [Inlined device functions])."""
    partial[lid] = value
    dc.barrier()
    s = GROUP // 2
    while s > 0:
        if lid < s:
            partial[lid] += partial[lid + s]
        dc.barrier()
        s //= 2


@dc.kernel
def sum_columns_float(x: dc.Array, out: dc.Array, segment: int):
    w = dc.global_id(0)  # one dimension: Note [Flat grids]
    c = w % x.shape[2]
    o = w // x.shape[2] % x.shape[0]
    g = w // x.shape[2] // x.shape[0]
    begin = g * segment
    acc: dc.float64 = 0
    for p in range(begin, min(begin + segment, x.shape[1])):
        acc += x[o, p, c]
    out[o, g, c] = out.dtype(acc)


@dc.func
def lane_block(columns, outer, length, segment):
    """(first column, outer index, part, first and end of its segment) of this work-item when
    each takes COLUMN_LANES neighbouring columns of one segment (Note [Column lanes])."""
    w = dc.global_id(0)  # one dimension: Note [Flat grids]
    blocks = (columns + COLUMN_LANES - 1) // COLUMN_LANES
    g = w // blocks // outer
    begin = g * segment
    return w % blocks * COLUMN_LANES, w // blocks % outer, g, begin, min(begin + segment, length)


@dc.kernel
def sum_columns_float_lanes(x: dc.Array, out: dc.Array, segment: int):
    """sum_columns_float for CPU devices: a work-item sums COLUMN_LANES neighbouring columns,
    its inner loop running along a row (Note [Column lanes])."""
    first, o, g, begin, end = lane_block(x.shape[2], x.shape[0], x.shape[1], segment)
    acc = dc.private_array(COLUMN_LANES, dc.float64)
    if first + COLUMN_LANES <= x.shape[2]:  # a whole block: no test in the inner loop
        for p in range(begin, end):
            for lane in range(COLUMN_LANES):
                acc[lane] += x[o, p, first + lane]
        for lane in range(COLUMN_LANES):
            out[o, g, first + lane] = out.dtype(acc[lane])
    else:
        for p in range(begin, end):
            for lane in range(COLUMN_LANES):
                if first + lane < x.shape[2]:
                    acc[lane] += x[o, p, first + lane]
        for lane in range(COLUMN_LANES):
            if first + lane < x.shape[2]:
                out[o, g, first + lane] = out.dtype(acc[lane])


@dc.kernel
def sum_columns_typed(x: dc.Array, out: dc.Array, segment: int):
    w = dc.global_id(0)  # one dimension: Note [Flat grids]
    c = w % x.shape[2]
    o = w // x.shape[2] % x.shape[0]
    g = w // x.shape[2] // x.shape[0]
    begin = g * segment
    acc = out.dtype(0)
    for p in range(begin, min(begin + segment, x.shape[1])):
        acc += out.dtype(x[o, p, c])
    out[o, g, c] = acc


@dc.kernel
def extreme_columns(x: dc.Array, out: dc.Array, segment: int, want_max: bool):
    w = dc.global_id(0)  # one dimension: Note [Flat grids]
    c = w % x.shape[2]
    o = w // x.shape[2] % x.shape[0]
    g = w // x.shape[2] // x.shape[0]
    begin = g * segment
    acc = x[o, begin, c]
    for p in range(begin + 1, min(begin + segment, x.shape[1])):
        v = x[o, p, c]
        better = v > acc if want_max else v < acc
        if (better or v != v) and acc == acc:  # a NaN already held stays
            acc = v
    out[o, g, c] = acc


@dc.kernel
def sum_rows_float(x: dc.Array, out: dc.Array, segment: int):
    partial = dc.shared_array(GROUP, dc.float64)
    lid = dc.local_id(0)
    o = dc.group_id(0) // out.shape[1]
    g = dc.group_id(0) % out.shape[1]
    begin = g * segment
    acc: dc.float64 = 0
    for p in range(begin + lid, min(begin + segment, x.shape[1]), GROUP):
        acc += x[o, p, 0]
    group_tree_sum(partial, lid, acc)
    if lid == 0:
        out[o, g, 0] = out.dtype(partial[0])


@dc.kernel
def sum_rows_typed(x: dc.Array, out: dc.Array, segment: int):
    partial = dc.shared_array(GROUP, out.dtype)
    lid = dc.local_id(0)
    o = dc.group_id(0) // out.shape[1]
    g = dc.group_id(0) % out.shape[1]
    begin = g * segment
    acc = out.dtype(0)
    for p in range(begin + lid, min(begin + segment, x.shape[1]), GROUP):
        acc += out.dtype(x[o, p, 0])
    group_tree_sum(partial, lid, acc)
    if lid == 0:
        out[o, g, 0] = partial[0]


@dc.kernel
def extreme_rows(x: dc.Array, out: dc.Array, segment: int, want_max: bool):
    partial = dc.shared_array(GROUP, x.dtype)
    lid = dc.local_id(0)
    o = dc.group_id(0) // out.shape[1]
    g = dc.group_id(0) % out.shape[1]
    begin = g * segment
    acc = x[o, begin, 0]
    for p in range(begin + lid, min(begin + segment, x.shape[1]), GROUP):
        v = x[o, p, 0]
        better = v > acc if want_max else v < acc
        if (better or v != v) and acc == acc:
            acc = v
    partial[lid] = acc
    dc.barrier()
    s = GROUP // 2
    while s > 0:
        if lid < s:
            v = partial[lid + s]
            mine = partial[lid]
            better = v > mine if want_max else v < mine
            if (better or v != v) and mine == mine:
                partial[lid] = v
        dc.barrier()
        s //= 2
    if lid == 0:
        out[o, g, 0] = partial[0]


_FLOATING = {"float16", "float32", "float64"}


def _once_per_device(question: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """question(device), answered once per device: reading capabilities can cost milliseconds
    (CUDA looks for NVRTC)."""
    answers: dict[str, bool] = {}

    @functools.wraps(question)
    def answer(device) -> bool:
        known = answers.get(device.spec)
        if known is None:
            known = answers[device.spec] = question(device)
        return known

    return answer


@_once_per_device
def has_float64(device) -> bool:
    """Whether kernels on the device may use float64."""
    return device.backend in ("cpu", "cuda") or (
        device.backend != "metal" and bool(device.capabilities.get("fp64", True))
    )


@_once_per_device
def is_cpu_device(device) -> bool:
    """Whether the device is a CPU (the cpu backend, or an OpenCL CPU device such as PoCL)."""
    return device.backend == "cpu" or (
        device.backend == "opencl" and device.capabilities.get("device_type") == "cpu"
    )


def segment_length(outer: int, length: int, inner: int) -> int:
    """The elements of the axis one part covers (Note [Reduction segments]); length: one pass."""
    if inner == 1:
        wanted_parts, least = -(-TARGET_GROUPS // outer), MIN_ROW_SEGMENT
    else:
        wanted_parts, least = -(-TARGET_ITEMS // (outer * inner)), MIN_COLUMN_SEGMENT
    return min(length, max(least, -(-length // wanted_parts)))


def segment_parts(outer: int, length: int, inner: int) -> tuple[int, int]:
    """(segment, parts) of an axis: segment_length and the parts it cuts the axis into."""
    segment = segment_length(outer, length, inner)
    return segment, -(-length // segment)


def _reduce_pass(op: str, x: dc.Array, out: dc.Array, segment: int, wide: bool) -> None:
    """One kernel pass: x [outer, length, inner] into out [outer, parts, inner]; wide: sums
    accumulate in float64."""
    outer, parts, inner = out.shape
    if inner == 1:
        geometry, local = (outer * parts * GROUP,), (GROUP,)
        if op == "sum":
            kernel = sum_rows_float if wide else sum_rows_typed
            kernel.launch(geometry, x, out, segment, local_size=local)
        else:
            extreme_rows.launch(geometry, x, out, segment, op == "max", local_size=local)
        return
    geometry = (inner * outer * parts,)
    if op == "sum" and wide and inner >= COLUMN_LANES and is_cpu_device(x.device):
        blocks = -(-inner // COLUMN_LANES)  # Note [Column lanes]
        sum_columns_float_lanes.launch((blocks * outer * parts,), x, out, segment)
    elif op == "sum":
        kernel = sum_columns_float if wide else sum_columns_typed
        kernel.launch(geometry, x, out, segment)
    else:
        extreme_columns.launch(geometry, x, out, segment, op == "max")


def _reduce(op: str, x: dc.Array, out: dc.Array, wide: bool) -> None:
    """x [outer, length, inner] into out [outer, 1, inner], through partials where it pays;
    wide: floating sums on a device with float64 (then the partials are float64 too)."""
    outer, length, inner = x.shape
    segment, parts = segment_parts(outer, length, inner)
    if parts == 1:
        _reduce_pass(op, x, out, segment, wide)
        return
    partial_dtype = "float64" if op == "sum" and wide else out.dtype
    partials = dc.empty((outer, parts, inner), dtype=partial_dtype, device=x.device)
    _reduce_pass(op, x, partials, segment, wide)
    _reduce(op, partials, out, wide)


def run_reduce_axis(op: str, x: dc.Array, out: dc.Array, outer: int, length: int, inner: int):
    """Writes the reduction of x along the middle axis of [outer, length, inner] into out."""
    dtype = dtype_name(x.dtype)
    if dtype in REAL_OF:  # complex sums: real and imaginary parts are interleaved columns
        real = REAL_OF[dtype]
        x = _core._reinterpret(x, real, (outer, length, 2 * inner))
        out = _core._reinterpret(out, real, (outer, 1, 2 * inner))
    else:
        x = x.reshape((outer, length, inner))
        out = out.reshape((outer, 1, inner))
    wide = dtype_name(x.dtype) in _FLOATING and has_float64(x.device)
    _reduce(op, x, out, wide)
