# python/dotcompute/algorithm_kernels/reduce.py
# Reductions along one axis of [outer, length, inner] into [outer, inner].
"""Two layouts: with inner == 1 every row is contiguous and a work-group of GROUP work-items
reduces one row (strided partials, then a tree in shared memory); otherwise one work-item per
output walks its column, so neighbouring work-items read neighbouring addresses.

Sums of floating dtypes accumulate in float64, of integers in the int64/uint64 result type; min
and max keep the input type and let a NaN win, as numpy does.
"""

from __future__ import annotations

import dotcompute as dc

from .. import _core
from .._dtypes import dtype_name

GROUP = 256


@dc.kernel
def sum_columns_float(x: dc.Array, out: dc.Array):
    c = dc.global_id(0)
    o = dc.global_id(1)
    if c >= x.shape[2]:
        return
    acc: dc.float64 = 0
    for p in range(x.shape[1]):
        acc += x[o, p, c]
    out[o, c] = out.dtype(acc)


@dc.kernel
def sum_columns_int(x: dc.Array, out: dc.Array):
    c = dc.global_id(0)
    o = dc.global_id(1)
    if c >= x.shape[2]:
        return
    acc = out.dtype(0)
    for p in range(x.shape[1]):
        acc += out.dtype(x[o, p, c])
    out[o, c] = acc


@dc.kernel
def extreme_columns(x: dc.Array, out: dc.Array, want_max: bool):
    c = dc.global_id(0)
    o = dc.global_id(1)
    if c >= x.shape[2]:
        return
    acc = x[o, 0, c]
    for p in range(1, x.shape[1]):
        v = x[o, p, c]
        better = v > acc if want_max else v < acc
        if (better or v != v) and acc == acc:  # a NaN already held stays
            acc = v
    out[o, c] = acc


@dc.kernel
def sum_rows_float(x: dc.Array, out: dc.Array):
    partial = dc.shared_array(GROUP, dc.float64)
    lid = dc.local_id(0)
    o = dc.group_id(1)
    acc: dc.float64 = 0
    for p in range(lid, x.shape[1], GROUP):
        acc += x[o, p, 0]
    partial[lid] = acc
    dc.barrier()
    s = GROUP // 2
    while s > 0:
        if lid < s:
            partial[lid] += partial[lid + s]
        dc.barrier()
        s //= 2
    if lid == 0:
        out[o, 0] = out.dtype(partial[0])


@dc.kernel
def sum_rows_int(x: dc.Array, out: dc.Array):
    partial = dc.shared_array(GROUP, out.dtype)
    lid = dc.local_id(0)
    o = dc.group_id(1)
    acc = out.dtype(0)
    for p in range(lid, x.shape[1], GROUP):
        acc += out.dtype(x[o, p, 0])
    partial[lid] = acc
    dc.barrier()
    s = GROUP // 2
    while s > 0:
        if lid < s:
            partial[lid] += partial[lid + s]
        dc.barrier()
        s //= 2
    if lid == 0:
        out[o, 0] = partial[0]


@dc.kernel
def extreme_rows(x: dc.Array, out: dc.Array, want_max: bool):
    partial = dc.shared_array(GROUP, x.dtype)
    lid = dc.local_id(0)
    o = dc.group_id(1)
    length = x.shape[1]
    acc = x[o, 0, 0]
    for p in range(lid, length, GROUP):
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
        out[o, 0] = partial[0]


_REAL_OF = {"complex64": "float32", "complex128": "float64"}
_FLOATING = {"float16", "float32", "float64"}


def run_reduce_axis(op: str, x: dc.Array, out: dc.Array, outer: int, length: int, inner: int):
    """Writes the reduction of x along the middle axis of [outer, length, inner] into out."""
    dtype = dtype_name(x.dtype)
    if dtype in _REAL_OF:  # complex sums: real and imaginary parts are interleaved columns
        real = _REAL_OF[dtype]
        x = _core._reinterpret(x, real, (outer, length, 2 * inner))
        out = _core._reinterpret(out, real, (outer, 2 * inner))
        dtype, inner = real, 2 * inner
    else:
        x = x.reshape((outer, length, inner))
        out = out.reshape((outer, inner))
    if inner == 1:
        geometry, local = (GROUP, outer), (GROUP, 1)
        if op == "sum":
            kernel = sum_rows_float if dtype in _FLOATING else sum_rows_int
            kernel.launch(geometry, x, out, local_size=local)
        else:
            extreme_rows.launch(geometry, x, out, op == "max", local_size=local)
        return
    geometry = (inner, outer)
    if op == "sum":
        kernel = sum_columns_float if dtype in _FLOATING else sum_columns_int
        kernel.launch(geometry, x, out)
    else:
        extreme_columns.launch(geometry, x, out, op == "max")
