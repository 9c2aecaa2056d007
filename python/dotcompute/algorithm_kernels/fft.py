# python/dotcompute/algorithm_kernels/fft.py
# Stockham FFT passes for powers of two (radix 4/2 here, shared-memory blocks on GPUs in
# fft_blocks.py), Bluestein's chirp-z for every other length.
"""Batched complex FFT over the last axis, on float views of complex arrays ([rows, 2 n]).

Note [Stockham passes]: a radix-r pass with span L (the length of the transforms done so far)
reads x_q = src[j + q n / r] for q < r, turns x_q by exp(sign 2 pi i q k / (r L)) with k = j mod L,
and writes their r-point DFT to positions (j // L) r L + k + p L, p < r. Each pass reorders as it
goes (autosort), so after the passes (between two buffers) the result is in natural order with
no bit-reversal step. Radix-4 passes read and write the data half as often as radix-2 ones;
log2(n) odd adds one radix-2 pass first. Every work-item handles one butterfly of one row; there
are no barriers. The twiddles come from one table per call, exp(2 pi i t / n) for t < n / 2
computed in float64 and rounded once (entries t >= n / 2 are minus entry t - n / 2; sign
conjugates): a sine and cosine per butterfly and pass made the passes several times slower on
devices with slow transcendentals (PoCL: 2^20 points 210 ms, 31 ms with the table and radix 4).

Note [Shifts in the passes]: the radix-4 and radix-2 passes take log2 n and log2 L and find a
work-item's row, butterfly and output position with shifts and masks. With n and L as values
each work-item made four divisions by run-time numbers, which a CPU device pays in full (PoCL,
session-start passes against these in one process: 2^20 complex64 15.7 -> 11.7 ms, 64 x 2^14
10.0 -> 6.6 ms, 1000 x 1024 7.5 -> 5.0 ms).

On GPUs the passes are stockham_block ones instead (fft_blocks.py, Note [Block passes]): a
work-group does a radix-2^8-or-less pass in shared memory, so 2^20 points take 3 passes.

Note [Bluestein]: with w_k = exp(sign * i * pi * k^2 / n),
X_k = w_k * sum_j (x_j w_j) conj(w)_{k-j}, a convolution evaluated by power-of-two FFTs of
length m >= 2n - 1. k^2 is reduced mod 2n in integers before it becomes an angle, so large k
keep full precision.

Note [Tables without float64]: the twiddle table and Bluestein's chirps are computed in float64
(on the device by twiddle_table and the bluestein_* kernels). A device without float64 (Metal,
OpenCL without cl_khr_fp64) gets them from numpy instead, computed in float64 on the host and
rounded once: the table and the filter are uploaded whole, the chirp multiplications read an
uploaded chirp (multiply_by_chirp; the inverse's 1/n is folded into the last chirp). The
passes take the sign as an integer, and the inverse divides by n in float32 there
(copy_divided; exact, n being a power of two), so no float64 is left in them.
"""

from __future__ import annotations

import math

import numpy as np

import dotcompute as dc

from .. import _core
from .._dtypes import REAL_OF, dtype_name
from . import fft_blocks, fft_plans, reduce
from .fft_butterflies import twiddle_part


@dc.kernel
def twiddle_table(table: dc.Array, n: int):
    """table[t] = exp(2 pi i t / n) for t < n / 2, as (re, im) rows; angles in float64."""
    t = dc.global_id(0)
    if t >= n // 2:
        return
    angle = 2.0 * math.pi * float(t) / float(n)
    table[t, 0] = table.dtype(math.cos(angle))
    table[t, 1] = table.dtype(math.sin(angle))


@dc.func
def stockham_item(part_bits, span_bits, radix_bits):
    """(row, j, t, d) of this work-item in a radix-2^radix_bits pass of 2^part_bits work-items
    a row with span 2^span_bits (Note [Stockham passes]): it reads points j + q part, turns
    point q by table entry q t, and writes point p to d + p span. Shifts and masks: the sizes
    are powers of two, and a division by a run-time value costs a CPU tens of cycles (Note
    [Shifts in the passes])."""
    g = dc.global_id(0)  # one dimension: Note [Flat grids] in reduce.py
    j = g & ((1 << part_bits) - 1)
    k = j & ((1 << span_bits) - 1)
    d = ((j >> span_bits) << (span_bits + radix_bits)) + k
    return g >> part_bits, j, k << (part_bits - span_bits), d


@dc.kernel
def stockham_radix2(
    src: dc.Array, dst: dc.Array, table: dc.Array, log_n: int, span_bits: int, sign: int
):
    half = 1 << (log_n - 1)
    span = 1 << span_bits
    row, j, t, d = stockham_item(log_n - 1, span_bits, 1)  # t: exp(sign pi i k / span)
    w_re = table[t, 0]
    w_im = table.dtype(sign) * table[t, 1]
    a_re = src[row, 2 * j]
    a_im = src[row, 2 * j + 1]
    b_re0 = src[row, 2 * (j + half)]
    b_im0 = src[row, 2 * (j + half) + 1]
    b_re = b_re0 * w_re - b_im0 * w_im
    b_im = b_re0 * w_im + b_im0 * w_re
    dst[row, 2 * d] = a_re + b_re
    dst[row, 2 * d + 1] = a_im + b_im
    dst[row, 2 * (d + span)] = a_re - b_re
    dst[row, 2 * (d + span) + 1] = a_im - b_im


@dc.kernel
def stockham_radix4(
    src: dc.Array, dst: dc.Array, table: dc.Array, log_n: int, span_bits: int, sign: int
):
    quarter = 1 << (log_n - 2)
    half = 2 * quarter
    span = 1 << span_bits
    row, j, t, d = stockham_item(log_n - 2, span_bits, 2)
    y1_re = src[row, 2 * (j + quarter)]
    y1_im = src[row, 2 * (j + quarter) + 1]
    y2_re = src[row, 2 * (j + 2 * quarter)]
    y2_im = src[row, 2 * (j + 2 * quarter) + 1]
    y3_re = src[row, 2 * (j + 3 * quarter)]
    y3_im = src[row, 2 * (j + 3 * quarter) + 1]
    w1_re = table[t, 0]
    w1_im = table.dtype(sign) * table[t, 1]
    w2_re = table[2 * t, 0]  # 2 t < n / 2
    w2_im = table.dtype(sign) * table[2 * t, 1]
    w3_re = twiddle_part(table, 3 * t, half, 0)
    w3_im = table.dtype(sign) * twiddle_part(table, 3 * t, half, 1)
    x0_re = src[row, 2 * j]
    x0_im = src[row, 2 * j + 1]
    x1_re = y1_re * w1_re - y1_im * w1_im
    x1_im = y1_re * w1_im + y1_im * w1_re
    x2_re = y2_re * w2_re - y2_im * w2_im
    x2_im = y2_re * w2_im + y2_im * w2_re
    x3_re = y3_re * w3_re - y3_im * w3_im
    x3_im = y3_re * w3_im + y3_im * w3_re
    sum02_re = x0_re + x2_re
    sum02_im = x0_im + x2_im
    diff02_re = x0_re - x2_re
    diff02_im = x0_im - x2_im
    sum13_re = x1_re + x3_re
    sum13_im = x1_im + x3_im
    turned13_re = -sign * (x1_im - x3_im)  # (sign i) (x1 - x3)
    turned13_im = sign * (x1_re - x3_re)
    dst[row, 2 * d] = sum02_re + sum13_re
    dst[row, 2 * d + 1] = sum02_im + sum13_im
    dst[row, 2 * (d + span)] = diff02_re + turned13_re
    dst[row, 2 * (d + span) + 1] = diff02_im + turned13_im
    dst[row, 2 * (d + 2 * span)] = sum02_re - sum13_re
    dst[row, 2 * (d + 2 * span) + 1] = sum02_im - sum13_im
    dst[row, 2 * (d + 3 * span)] = diff02_re - turned13_re
    dst[row, 2 * (d + 3 * span) + 1] = diff02_im - turned13_im


@dc.kernel
def copy_scaled(src: dc.Array, dst: dc.Array, factor: float):
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = dst.dtype(src[i] * factor)


@dc.kernel
def copy_divided(src: dc.Array, dst: dc.Array, divisor: int):
    """dst = src / divisor computed in float32: copy_scaled for devices without float64."""
    i = dc.global_id(0)
    if i < dst.shape[0]:
        dst[i] = dst.dtype(dc.float32(src[i]) / dc.float32(divisor))


def divide_copy(src: dc.Array, dst: dc.Array, divisor: int) -> None:
    """dst = src / divisor over flat arrays of one size (divisor 0 gives NaN): in float64 where
    the device has it, else in float32 (Note [Tables without float64])."""
    if reduce.has_float64(dst.device):
        copy_scaled[dst.size](src, dst, 1.0 / divisor if divisor else float("nan"))
    else:
        copy_divided[dst.size](src, dst, divisor)


@dc.kernel
def bluestein_premultiply(x: dc.Array, padded: dc.Array, n: int, sign: float):
    """padded[row, k] = x[row, k] * w_k for k < n, zero up to the padded length."""
    k = dc.global_id(0) % (padded.shape[1] // 2)  # Note [Flat grids] in reduce.py
    row = dc.global_id(0) // (padded.shape[1] // 2)
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
    j = dc.global_id(0) % (x.shape[1] // 2)  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // (x.shape[1] // 2)
    x_re = x[row, 2 * j]
    x_im = x[row, 2 * j + 1]
    f_re = filt[0, 2 * j]
    f_im = filt[0, 2 * j + 1]
    x[row, 2 * j] = x_re * f_re - x_im * f_im
    x[row, 2 * j + 1] = x_re * f_im + x_im * f_re


@dc.kernel
def multiply_by_chirp(x: dc.Array, out: dc.Array, chirp: dc.Array):
    """out[row, k] = x[row, k] * chirp[k] for k < n (chirp: [n, 2]), zero for n <= k < out's
    length; x has at least n entries a row."""
    length = out.shape[1] // 2
    k = dc.global_id(0) % length  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // length
    if k >= chirp.shape[0]:
        out[row, 2 * k] = out.dtype(0)
        out[row, 2 * k + 1] = out.dtype(0)
        return
    x_re = x[row, 2 * k]
    x_im = x[row, 2 * k + 1]
    out[row, 2 * k] = x_re * chirp[k, 0] - x_im * chirp[k, 1]
    out[row, 2 * k + 1] = x_re * chirp[k, 1] + x_im * chirp[k, 0]


@dc.kernel
def bluestein_postmultiply(conv: dc.Array, out: dc.Array, n: int, sign: float, scale: float):
    """out[row, k] = w_k * conv[row, k] * scale for k < n."""
    k = dc.global_id(0) % n  # one dimension: Note [Flat grids] in reduce.py
    row = dc.global_id(0) // n
    angle = sign * math.pi * float((k * k) % (2 * n)) / float(n)
    w_re = math.cos(angle) * scale
    w_im = math.sin(angle) * scale
    c_re = conv[row, 2 * k]
    c_im = conv[row, 2 * k + 1]
    out[row, 2 * k] = out.dtype(c_re * w_re - c_im * w_im)
    out[row, 2 * k + 1] = out.dtype(c_re * w_im + c_im * w_re)


def _twiddles(n: int, real: str, device) -> dc.Array:
    """The table the stockham kernels read: exp(2 pi i t / n) for t < n / 2, kept between calls
    (Note [FFT plans])."""
    return fft_plans.plan(
        ("twiddles", n, real), device, lambda: (_make_twiddles(n, real, device),)
    )[0]


def _make_twiddles(n: int, real: str, device) -> dc.Array:
    """_twiddles' table, computed in float64 (Note [Tables without float64])."""
    if not reduce.has_float64(device):
        angles = 2.0 * np.pi * np.arange(n // 2) / n
        return dc.asarray(np.stack([np.cos(angles), np.sin(angles)], 1).astype(real), device=device)
    table = dc.empty((n // 2, 2), dtype=real, device=device)  # n >= 2 here
    twiddle_table[n // 2](table, n)
    return table


def _chirp(n: int, sign: float, real: str, scale: float = 1.0) -> np.ndarray:
    """w_k * scale for k < n as [n, 2] (re, im) rows of the real dtype (Note [Bluestein])."""
    k = np.arange(n, dtype=np.int64)
    angles = sign * np.pi * ((k * k) % (2 * n)) / n
    return (np.stack([np.cos(angles), np.sin(angles)], 1) * scale).astype(real)


def _bluestein_tables(n: int, m: int, sign: float, real: str, scale: float, device):
    """Bluestein's chirp-multiplied input, filter and output kernels on a device without float64:
    premultiply and postmultiply by uploaded chirps, the filter uploaded whole."""
    chirp = _chirp(n, sign, real)
    filt = np.zeros((1, 2 * m), dtype=real)
    conj = _chirp(n, -sign, real)
    filt[0, 0 : 2 * n] = conj.reshape(-1)
    filt[0, 2 * (m - n + 1) :] = conj[1:][::-1].reshape(-1)  # index m - k holds k
    return (
        dc.asarray(chirp, device=device),
        dc.asarray(filt, device=device),
        dc.asarray(_chirp(n, sign, real, scale), device=device),
    )


def _radices(n: int) -> list[int]:
    """Radix-4 passes, after one radix-2 pass when log2(n) is odd."""
    bits = n.bit_length() - 1
    return [2] * (bits % 2) + [4] * (bits // 2)


def _power_of_two(
    src: dc.Array, out: dc.Array, rows: int, n: int, inverse: bool, table: dc.Array | None = None
) -> None:
    """out = DFT of src ([rows, 2 n] float views, n a power of two); src is left unchanged.
    table: _twiddles(n) when the caller has it already."""
    real = dtype_name(src.dtype)
    if n == 1:
        divide_copy(src.reshape((src.size,)), out.reshape((out.size,)), 1)
        return
    if table is None:
        table = _twiddles(n, real, src.device)
    sign = 1 if inverse else -1
    log_n = n.bit_length() - 1
    blocks = fft_blocks.block_bits(log_n, fft_blocks.MAX_BITS)
    if not blocks or not fft_blocks.suits(src.device, real, rows * n):
        blocks = []  # CPU devices, lengths below 16, small work-groups
    radices = [] if blocks else _radices(n)
    # Passes alternate between two buffers; the last one writes out.
    buffers = [
        dc.empty((rows, 2 * n), dtype=real, device=src.device) for _ in (blocks or radices)[1:3]
    ]
    if blocks:  # Note [Block passes]
        fft_blocks.run_block_passes(src, out, buffers, table, rows, log_n, sign, blocks)
    current = src
    span_bits = 0
    for step, radix in enumerate(radices):
        target = out if step == len(radices) - 1 else buffers[step % 2]
        kernel = _PASSES[radix]
        kernel.launch((rows * (n // radix),), current, target, table, log_n, span_bits, sign)
        current = target
        span_bits += radix.bit_length() - 1
    if inverse:
        flat = out.reshape((out.size,))
        divide_copy(flat, flat, n)  # exact: n is a power of two


_PASSES = {2: stockham_radix2, 4: stockham_radix4}


def _bluestein_filter(n: int, m: int, inverse: bool, real: str, device) -> tuple:
    """(filter spectrum, chirp, scaled chirp) of a Bluestein length, kept between calls (Note
    [FFT plans]); the chirps are None on devices with float64, whose kernels compute them."""

    def build() -> tuple:
        sign = 1.0 if inverse else -1.0
        chirp = scaled_chirp = None
        if reduce.has_float64(device):
            filt = dc.empty((1, 2 * m), dtype=real, device=device)
            bluestein_filter[m](filt, n, sign)
        else:  # Note [Tables without float64]
            scale = 1.0 / n if inverse else 1.0
            chirp, filt, scaled_chirp = _bluestein_tables(n, m, sign, real, scale, device)
        filt_hat = dc.empty((1, 2 * m), dtype=real, device=device)
        _power_of_two(filt, filt_hat, 1, m, inverse=False, table=_twiddles(m, real, device))
        return filt_hat, chirp, scaled_chirp

    return fft_plans.plan(("bluestein", n, real, inverse), device, build)


def _bluestein(src: dc.Array, out: dc.Array, rows: int, n: int, inverse: bool) -> None:
    real = dtype_name(src.dtype)
    sign = 1.0 if inverse else -1.0
    m = 1 << (2 * n - 2).bit_length()  # the first power of two >= 2n - 1
    filt_hat, chirp, scaled_chirp = _bluestein_filter(n, m, inverse, real, src.device)
    padded = dc.empty((rows, 2 * m), dtype=real, device=src.device)
    if chirp is None:
        bluestein_premultiply.launch((rows * m,), src, padded, n, sign)
    else:  # Note [Tables without float64]
        multiply_by_chirp.launch((rows * m,), src, padded, chirp)
    table = _twiddles(m, real, src.device)
    spectrum = dc.empty((rows, 2 * m), dtype=real, device=src.device)
    _power_of_two(padded, spectrum, rows, m, inverse=False, table=table)
    multiply_by_row.launch((rows * m,), spectrum, filt_hat)
    _power_of_two(spectrum, padded, rows, m, inverse=True, table=table)
    if scaled_chirp is None:
        scale = 1.0 / n if inverse else 1.0
        bluestein_postmultiply.launch((rows * n,), padded, out, n, sign, scale)
    else:
        multiply_by_chirp.launch((rows * n,), padded, out, scaled_chirp)


def run_fft(x: dc.Array, out: dc.Array, inverse: bool) -> None:
    """Writes the (inverse) DFT of each row of x along its last axis into out (same shape)."""
    n = x.shape[-1]
    rows = x.size // n
    real = REAL_OF[dtype_name(x.dtype)]
    src = _core._reinterpret(x, real, (rows, 2 * n))
    dst = _core._reinterpret(out, real, (rows, 2 * n))
    if n & (n - 1) == 0:
        _power_of_two(src, dst, rows, n, inverse)
    else:
        _bluestein(src, dst, rows, n, inverse)
