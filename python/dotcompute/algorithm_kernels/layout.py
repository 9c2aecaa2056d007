# python/dotcompute/algorithm_kernels/layout.py
# Copies that change an array's layout for the FFTs' axis=, n= and norm=, rfft and irfft.
"""Kernels behind numpy's ``axis``, ``n`` and ``norm`` of the FFTs and behind ``rfft``/``irfft``
(every backend transforms the last axis of a complex array only). They work on float views of
complex arrays, a complex element being two floats, so one kernel serves complex64 and
complex128.
"""

from __future__ import annotations

import math

import numpy as np

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name


@dc.func
def row_and_column(g, width):
    """(g // width, g % width): the row and column of flat position g in rows of width."""
    return g // width, g % width


@dc.kernel
def swap_middle_axes(src: dc.Array[None, 4], dst: dc.Array[None, 4]):
    """dst[o, j, i, c] = src[o, i, j, c]: [outer, a, b, parts] to [outer, b, a, parts] (parts 2
    for complex, 1 for real); a work-item an element of dst, so the stores are contiguous."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    parts = dst.shape[3]
    part = g % parts
    i = (g // parts) % dst.shape[2]
    j = (g // (parts * dst.shape[2])) % dst.shape[1]
    o = g // (parts * dst.shape[2] * dst.shape[1])
    dst[o, j, i, part] = src[o, i, j, part]


@dc.kernel
def resize_rows(src: dc.Array[None, 2], dst: dc.Array[None, 2]):
    """Each row of dst is src's row cut to dst's length, or padded with zeros to it."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    row, k = row_and_column(g, dst.shape[1])
    dst[row, k] = src[row, k] if k < src.shape[1] else dst.dtype(0)


@dc.kernel
def gather_block_rows(src: dc.Array[None, 2], dst: dc.Array[None, 2], which: dc.Array[dc.int64]):
    """dst[i, e] = src[which[i], e]."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    i, e = row_and_column(g, dst.shape[1])
    dst[i, e] = src[which[i], e]


@dc.kernel
def hermitian_rows(src: dc.Array[None, 2], dst: dc.Array[None, 2]):
    """Each row of dst (n complex points) made from the first half of a Hermitian spectrum in
    src's row (m points): point k <= n / 2 is src's k (zero past m), point k > n / 2 the
    conjugate of src's n - k; the imaginary parts of points 0 and n / 2 are dropped, as numpy's
    irfft does."""
    g = dc.global_id(0)
    n = dst.shape[1] // 2
    if g >= dst.shape[0] * n:
        return
    row, k = row_and_column(g, n)
    mirrored = k > n // 2
    source = n - k if mirrored else k
    inside = source < src.shape[1] // 2
    re = src[row, 2 * source] if inside else dst.dtype(0)
    im = src[row, 2 * source + 1] if inside else dst.dtype(0)
    if mirrored:
        im = -im
    if k == 0 or 2 * k == n:
        im = dst.dtype(0)
    dst[row, 2 * k] = re
    dst[row, 2 * k + 1] = im


@dc.kernel
def real_rows(src: dc.Array[None, 2], dst: dc.Array[None, 2]):
    """dst[row, k] = the real part of point k of src's row (complex as float pairs)."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    row, k = row_and_column(g, dst.shape[1])
    dst[row, k] = src[row, 2 * k]


@dc.kernel
def scale_float32(x: dc.Array[dc.float32], factor: dc.float32):
    i = dc.global_id(0)
    if i < x.shape[0]:
        x[i] = x[i] * factor


@dc.kernel
def scale_float64(x: dc.Array[dc.float64], factor: dc.float64):
    i = dc.global_id(0)
    if i < x.shape[0]:
        x[i] = x[i] * factor


@dc.kernel
def conjugate_pairs(src: dc.Array[None, 2], dst: dc.Array[None, 2]):
    """dst[i] = the complex conjugate of src[i], both seen as [n, 2] pairs (may be one array)."""
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i, 0] = src[i, 0]
        dst[i, 1] = -src[i, 1]


def _view(x: _core.Array, shape: tuple) -> _core.Array:
    """x's memory as ``shape`` of its scalar parts: the last extent counts elements of x, a
    complex element being two floats there."""
    dtype = dtype_name(x.dtype)
    if dtype.startswith("complex"):
        return _core._reinterpret(x, REAL_OF[dtype], (*shape[:-1], 2 * shape[-1]))
    return _core._reinterpret(x, dtype, tuple(shape))


def swap_axes(
    x: _core.Array, outer: int, a: int, b: int, shape: tuple, block: int = 1
) -> _core.Array:
    """x seen as [outer, a, b, block] (complex or real elements), copied to a new array of
    ``shape`` laid out as [outer, b, a, block]."""
    out = _core.empty(shape, dtype_name(x.dtype), x.device)
    if out.size:
        target = _view(out, (outer, b, a, block))
        swap_middle_axes[target.size](_view(x, (outer, a, b, block)), target)
    return out


def gather_blocks(x: _core.Array, which: np.ndarray, shape: tuple) -> _core.Array:
    """A new array of ``shape`` whose i-th block (of x's last two axes) is x's block which[i]."""
    out = _core.empty(shape, dtype_name(x.dtype), x.device)
    if out.size:
        block = math.prod(shape[-2:])
        source = _view(x, (math.prod(x.shape[:-2]), block))
        target = _view(out, (len(which), block))
        gather_block_rows[target.size](source, target, dc.asarray(which, device=x.device))
    return out


def hermitian(x: _core.Array, n: int) -> _core.Array:
    """The n-point spectrum whose first half x's last axis holds (hermitian_rows)."""
    rows = math.prod(x.shape[:-1])
    out = _core.empty((*x.shape[:-1], n), dtype_name(x.dtype), x.device)
    if out.size:
        source = _view(x, (rows, x.shape[-1]))
        hermitian_rows[out.size](source, _view(out, (rows, n)))
    return out


def real_part(x: _core.Array) -> _core.Array:
    """The real parts of complex x, as a new real array."""
    out = _core.empty(x.shape, REAL_OF[dtype_name(x.dtype)], x.device)
    if out.size:
        rows, n = math.prod(x.shape[:-1]), x.shape[-1]
        real_rows[out.size](_view(x, (rows, n)), _view(out, (rows, n)))
    return out


def resized(x: _core.Array, n: int) -> _core.Array:
    """A copy of x (complex or real) whose last axis is cut or zero-padded to n."""
    rows = math.prod(x.shape[:-1])
    out = _core.empty((*x.shape[:-1], n), dtype_name(x.dtype), x.device)
    if out.size:
        target = _view(out, (rows, n))
        resize_rows[target.size](_view(x, (rows, x.shape[-1])), target)
    return out


def scale(x: _core.Array, factor: float) -> None:
    """x *= factor in place (x complex, float32 or float64), in the real dtype's precision."""
    if x.size == 0:
        return
    flat = _view(x, (x.size,))
    kernel = scale_float32 if dtype_name(flat.dtype) == "float32" else scale_float64
    kernel[flat.size](flat, factor)


def conjugate(x: _core.Array, into: _core.Array | None = None) -> _core.Array:
    """The complex conjugate of x (complex64 or complex128), into ``into`` (x itself: in place)
    or a new array."""
    out = _core.empty(x.shape, dtype_name(x.dtype), x.device) if into is None else into
    if x.size:
        conjugate_pairs[x.size](_view(x, (x.size, 1)), _view(out, (x.size, 1)))
    return out
