# python/dotcompute/algorithm_kernels/fft.py
# Radix-2 Stockham FFT passes for powers of two, Bluestein's chirp-z for every other length.
"""Batched complex FFT over the last axis, on float views of complex arrays ([rows, 2 n]).

Note [Stockham radix-2]: pass s (span = 2**s) reads element j and j + n/2 of the source, turns
the second by exp(sign * i * pi * (j mod span) / span) and writes their sum and difference to
positions (j // span) * 2 span + j mod span and that plus span. Each pass reorders as it goes
(autosort), so after log2(n) passes between two buffers the result is in natural order with no
bit-reversal step. Every work-item handles one butterfly of one row; there are no barriers.

Note [Bluestein]: with w_k = exp(sign * i * pi * k^2 / n),
X_k = w_k * sum_j (x_j w_j) conj(w)_{k-j}, a convolution evaluated by power-of-two FFTs of
length m >= 2n - 1. k^2 is reduced mod 2n in integers before it becomes an angle, so large k
keep full precision.
"""

from __future__ import annotations

import math

import dotcompute as dc

from .. import _core
from .._dtypes import dtype_name


@dc.kernel
def stockham_radix2(src: dc.Array, dst: dc.Array, n: int, span: int, sign: float):
    j = dc.global_id(0)
    row = dc.global_id(1)
    half = n // 2
    if j >= half:
        return
    k = j % span
    angle = sign * math.pi * float(k) / float(span)
    w_re = src.dtype(math.cos(angle))
    w_im = src.dtype(math.sin(angle))
    a_re = src[row, 2 * j]
    a_im = src[row, 2 * j + 1]
    b_re0 = src[row, 2 * (j + half)]
    b_im0 = src[row, 2 * (j + half) + 1]
    b_re = b_re0 * w_re - b_im0 * w_im
    b_im = b_re0 * w_im + b_im0 * w_re
    d = (j // span) * 2 * span + k
    dst[row, 2 * d] = a_re + b_re
    dst[row, 2 * d + 1] = a_im + b_im
    dst[row, 2 * (d + span)] = a_re - b_re
    dst[row, 2 * (d + span) + 1] = a_im - b_im


@dc.kernel
def copy_scaled(src: dc.Array, dst: dc.Array, factor: float):
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = dst.dtype(src[i] * factor)


@dc.kernel
def bluestein_premultiply(x: dc.Array, padded: dc.Array, n: int, sign: float):
    """padded[row, k] = x[row, k] * w_k for k < n, zero up to the padded length."""
    k = dc.global_id(0)
    row = dc.global_id(1)
    if k >= padded.shape[1] // 2:
        return
    if k >= n:
        padded[row, 2 * k] = padded.dtype(0)
        padded[row, 2 * k + 1] = padded.dtype(0)
        return
    angle = sign * math.pi * float((k * k) % (2 * n)) / float(n)
    w_re = math.cos(angle)
    w_im = math.sin(angle)
    x_re = x[row, 2 * k]
    x_im = x[row, 2 * k + 1]
    padded[row, 2 * k] = padded.dtype(x_re * w_re - x_im * w_im)
    padded[row, 2 * k + 1] = padded.dtype(x_re * w_im + x_im * w_re)


@dc.kernel
def bluestein_filter(filt: dc.Array, n: int, sign: float):
    """The chirp conj(w) laid out circularly: index j holds k = j or k = m - j, else zero."""
    j = dc.global_id(0)
    m = filt.shape[1] // 2
    if j >= m:
        return
    k = j if j < n else m - j
    if j >= n and j <= m - n:
        filt[0, 2 * j] = filt.dtype(0)
        filt[0, 2 * j + 1] = filt.dtype(0)
        return
    angle = -sign * math.pi * float((k * k) % (2 * n)) / float(n)
    filt[0, 2 * j] = filt.dtype(math.cos(angle))
    filt[0, 2 * j + 1] = filt.dtype(math.sin(angle))


@dc.kernel
def multiply_by_row(x: dc.Array, filt: dc.Array):
    """x[row, :] *= filt[0, :] (complex, on float pairs)."""
    j = dc.global_id(0)
    row = dc.global_id(1)
    if j >= x.shape[1] // 2:
        return
    x_re = x[row, 2 * j]
    x_im = x[row, 2 * j + 1]
    f_re = filt[0, 2 * j]
    f_im = filt[0, 2 * j + 1]
    x[row, 2 * j] = x_re * f_re - x_im * f_im
    x[row, 2 * j + 1] = x_re * f_im + x_im * f_re


@dc.kernel
def bluestein_postmultiply(conv: dc.Array, out: dc.Array, n: int, sign: float, scale: float):
    """out[row, k] = w_k * conv[row, k] * scale for k < n."""
    k = dc.global_id(0)
    row = dc.global_id(1)
    if k >= n:
        return
    angle = sign * math.pi * float((k * k) % (2 * n)) / float(n)
    w_re = math.cos(angle) * scale
    w_im = math.sin(angle) * scale
    c_re = conv[row, 2 * k]
    c_im = conv[row, 2 * k + 1]
    out[row, 2 * k] = out.dtype(c_re * w_re - c_im * w_im)
    out[row, 2 * k + 1] = out.dtype(c_re * w_im + c_im * w_re)


_REAL_OF = {"complex64": "float32", "complex128": "float64"}


def _power_of_two(src: dc.Array, out: dc.Array, rows: int, n: int, inverse: bool) -> None:
    """out = DFT of src ([rows, 2 n] float views, n a power of two); src is left unchanged."""
    real = dtype_name(src.dtype)
    if n == 1:
        copy_scaled[src.size](src.reshape((src.size,)), out.reshape((out.size,)), 1.0)
        return
    sign = 1.0 if inverse else -1.0
    buffers = [
        dc.empty((rows, 2 * n), dtype=real, device=src.device),
        dc.empty((rows, 2 * n), dtype=real, device=src.device),
    ]
    current = src
    span = 1
    step = 0
    while span < n:
        target = out if span * 2 == n else buffers[step % 2]
        stockham_radix2.launch((n // 2, rows), current, target, n, span, sign)
        current = target
        span *= 2
        step += 1
    if inverse:
        flat = out.reshape((out.size,))
        copy_scaled[out.size](flat, flat, 1.0 / n)


def _bluestein(src: dc.Array, out: dc.Array, rows: int, n: int, inverse: bool) -> None:
    real = dtype_name(src.dtype)
    sign = 1.0 if inverse else -1.0
    m = 1 << (2 * n - 2).bit_length()  # the first power of two >= 2n - 1
    padded = dc.empty((rows, 2 * m), dtype=real, device=src.device)
    bluestein_premultiply.launch((m, rows), src, padded, n, sign)
    filt = dc.empty((1, 2 * m), dtype=real, device=src.device)
    bluestein_filter[m](filt, n, sign)
    filt_hat = dc.empty((1, 2 * m), dtype=real, device=src.device)
    _power_of_two(filt, filt_hat, 1, m, inverse=False)
    spectrum = dc.empty((rows, 2 * m), dtype=real, device=src.device)
    _power_of_two(padded, spectrum, rows, m, inverse=False)
    multiply_by_row.launch((m, rows), spectrum, filt_hat)
    _power_of_two(spectrum, padded, rows, m, inverse=True)
    bluestein_postmultiply.launch((n, rows), padded, out, n, sign, 1.0 / n if inverse else 1.0)


def run_fft(x: dc.Array, out: dc.Array, inverse: bool) -> None:
    """Writes the (inverse) DFT of each row of x along its last axis into out (same shape)."""
    n = x.shape[-1]
    rows = x.size // n
    real = _REAL_OF[dtype_name(x.dtype)]
    src = _core._reinterpret(x, real, (rows, 2 * n))
    dst = _core._reinterpret(out, real, (rows, 2 * n))
    if n & (n - 1) == 0:
        _power_of_two(src, dst, rows, n, inverse)
    else:
        _bluestein(src, dst, rows, n, inverse)


@dc.kernel
def real_to_complex(x: dc.Array, pairs: dc.Array):
    """pairs[i] = (x[i], 0): a real array converted to complex, on a float view."""
    i = dc.global_id(0)
    if i < x.shape[0]:
        pairs[i, 0] = pairs.dtype(x[i])
        pairs[i, 1] = pairs.dtype(0)
