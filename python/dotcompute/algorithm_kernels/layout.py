# python/dotcompute/algorithm_kernels/layout.py
# Copies that change a complex array's layout for dc.fft's axis= and n=, and its norm= scaling.
"""Kernels behind numpy's ``axis``, ``n`` and ``norm`` of ``dc.fft``/``dc.ifft`` (every backend
transforms the last axis only). They work on float views of complex arrays, a complex element
being two floats, so one kernel serves complex64 and complex128.
"""

from __future__ import annotations

import math

import dotcompute as dc

from .. import _core
from .._dtypes import dtype_name


@dc.kernel
def swap_middle_axes(src: dc.Array[None, 4], dst: dc.Array[None, 4]):
    """dst[o, j, i, c] = src[o, i, j, c]: [outer, a, b, 2] to [outer, b, a, 2]; a work-item an
    element of dst, so the stores are contiguous."""
    g = dc.global_id(0)
    if g >= dst.size:
        return
    part = g % 2
    i = (g // 2) % dst.shape[2]
    j = (g // (2 * dst.shape[2])) % dst.shape[1]
    o = g // (2 * dst.shape[2] * dst.shape[1])
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


def swap_axes(x: _core.Array, outer: int, a: int, b: int, shape: tuple) -> _core.Array:
    """x seen as [outer, a, b] complex, copied to a new array of ``shape`` laid out as
    [outer, b, a]."""
    dtype = dtype_name(x.dtype)
    out = _core.empty(shape, dtype, x.device)
    if out.size:
        real = _real(dtype)
        source = _core._reinterpret(x, real, (outer, a, b, 2))
        target = _core._reinterpret(out, real, (outer, b, a, 2))
        swap_middle_axes[2 * out.size](source, target)
    return out


def resized(x: _core.Array, n: int) -> _core.Array:
    """A copy of x whose last axis is cut or zero-padded to n."""
    dtype = dtype_name(x.dtype)
    rows = math.prod(x.shape[:-1])
    out = _core.empty((*x.shape[:-1], n), dtype, x.device)
    if out.size:
        real = _real(dtype)
        source = _core._reinterpret(x, real, (rows, 2 * x.shape[-1]))
        target = _core._reinterpret(out, real, (rows, 2 * n))
        resize_rows[2 * out.size](source, target)
    return out


def scale(x: _core.Array, factor: float) -> None:
    """x *= factor in place (x complex), in the real dtype's precision."""
    if x.size == 0:
        return
    real = _real(dtype_name(x.dtype))
    flat = _core._reinterpret(x, real, (2 * x.size,))
    kernel = scale_float32 if real == "float32" else scale_float64
    kernel[flat.size](flat, factor)
