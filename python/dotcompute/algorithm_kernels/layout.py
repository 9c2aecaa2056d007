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
from .._dtypes import dtype_name


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
    k = g % dst.shape[1]
    row = g // dst.shape[1]
    dst[row, k] = src[row, k] if k < src.shape[1] else dst.dtype(0)


@dc.kernel
def gather_block_rows(src: dc.Array[None, 2], dst: dc.Array[None, 2], which: dc.Array[dc.int64]):
    """dst[i, e] = src[which[i], e]."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    e = g % dst.shape[1]
    i = g // dst.shape[1]
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
    k = g % n
    row = g // n
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
    k = g % dst.shape[1]
    row = g // dst.shape[1]
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


def _real(dtype: str) -> str:
    return "float32" if dtype == "complex64" else "float64"


def swap_axes(
    x: _core.Array, outer: int, a: int, b: int, shape: tuple, block: int = 1
) -> _core.Array:
    """x seen as [outer, a, b, block] (complex or real elements), copied to a new array of
    ``shape`` laid out as [outer, b, a, block]."""
    dtype = dtype_name(x.dtype)
    out = _core.empty(shape, dtype, x.device)
    if out.size:
        complex_ = dtype.startswith("complex")
        view, parts = (_real(dtype), 2 * block) if complex_ else (dtype, block)
        source = _core._reinterpret(x, view, (outer, a, b, parts))
        target = _core._reinterpret(out, view, (outer, b, a, parts))
        swap_middle_axes[(2 if complex_ else 1) * out.size](source, target)
    return out


def gather_blocks(x: _core.Array, which: np.ndarray, shape: tuple) -> _core.Array:
    """A new array of ``shape`` whose i-th block (of x's last two axes) is x's block which[i]."""
    dtype = dtype_name(x.dtype)
    out = _core.empty(shape, dtype, x.device)
    if out.size:
        complex_ = dtype.startswith("complex")
        view = _real(dtype) if complex_ else dtype
        block = (2 if complex_ else 1) * math.prod(shape[-2:])
        source = _core._reinterpret(x, view, (math.prod(x.shape[:-2]), block))
        target = _core._reinterpret(out, view, (len(which), block))
        gather_block_rows[target.size](source, target, dc.asarray(which, device=x.device))
    return out


def hermitian(x: _core.Array, n: int) -> _core.Array:
    """The n-point spectrum whose first half x's last axis holds (hermitian_rows)."""
    dtype = dtype_name(x.dtype)
    rows = math.prod(x.shape[:-1])
    out = _core.empty((*x.shape[:-1], n), dtype, x.device)
    if out.size:
        real = _real(dtype)
        source = _core._reinterpret(x, real, (rows, 2 * x.shape[-1]))
        hermitian_rows[out.size](source, _core._reinterpret(out, real, (rows, 2 * n)))
    return out


def real_part(x: _core.Array) -> _core.Array:
    """The real parts of complex x, as a new real array."""
    real = _real(dtype_name(x.dtype))
    out = _core.empty(x.shape, real, x.device)
    if out.size:
        rows, n = math.prod(x.shape[:-1]), x.shape[-1]
        source = _core._reinterpret(x, real, (rows, 2 * n))
        real_rows[out.size](source, _core._reinterpret(out, real, (rows, n)))
    return out


def resized(x: _core.Array, n: int) -> _core.Array:
    """A copy of x (complex or real) whose last axis is cut or zero-padded to n."""
    dtype = dtype_name(x.dtype)
    rows = math.prod(x.shape[:-1])
    out = _core.empty((*x.shape[:-1], n), dtype, x.device)
    if out.size:
        parts = 2 if dtype.startswith("complex") else 1
        view = _real(dtype) if parts == 2 else dtype
        source = _core._reinterpret(x, view, (rows, parts * x.shape[-1]))
        target = _core._reinterpret(out, view, (rows, parts * n))
        resize_rows[parts * out.size](source, target)
    return out


def scale(x: _core.Array, factor: float) -> None:
    """x *= factor in place (x complex, float32 or float64), in the real dtype's precision."""
    if x.size == 0:
        return
    dtype = dtype_name(x.dtype)
    complex_ = dtype.startswith("complex")
    real = _real(dtype) if complex_ else dtype
    flat = _core._reinterpret(x, real, ((2 if complex_ else 1) * x.size,))
    kernel = scale_float32 if real == "float32" else scale_float64
    kernel[flat.size](flat, factor)
