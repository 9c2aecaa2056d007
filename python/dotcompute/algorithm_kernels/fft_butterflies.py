# python/dotcompute/algorithm_kernels/fft_butterflies.py
# Device functions the FFT passes share: twiddles from the half table, turns, 4-point DFTs.
"""Building blocks of the Stockham passes of fft.py and fft_blocks.py (Note [Stockham passes])."""

from __future__ import annotations

import dotcompute as dc


@dc.func
def twiddle_part(table, t, half, part):
    """Part (0: re, 1: im) of exp(2 pi i t / n) for t < n, from the half table."""
    return table[t, part] if t < half else -table[t - half, part]


@dc.func
def turned(table, t, half, sign, a_re, a_im):
    """(a_re, a_im) times exp(sign 2 pi i t / n), t < n, from the half table."""
    w_re = twiddle_part(table, t, half, 0)
    w_im = table.dtype(sign) * twiddle_part(table, t, half, 1)
    return a_re * w_re - a_im * w_im, a_re * w_im + a_im * w_re


@dc.func
def dft4(re, im, first, out_re, out_im, out_first, out_stride, sign):
    """The 4-point DFT of (re, im)[first + 4 q], q < 4, into out[out_first + out_stride p]:
    stockham_block's butterflies, on its private arrays."""
    sum02_re = re[first] + re[first + 8]
    sum02_im = im[first] + im[first + 8]
    diff02_re = re[first] - re[first + 8]
    diff02_im = im[first] - im[first + 8]
    sum13_re = re[first + 4] + re[first + 12]
    sum13_im = im[first + 4] + im[first + 12]
    turned13_re = -sign * (im[first + 4] - im[first + 12])  # (sign i) (x1 - x3)
    turned13_im = sign * (re[first + 4] - re[first + 12])
    out_re[out_first] = sum02_re + sum13_re
    out_im[out_first] = sum02_im + sum13_im
    out_re[out_first + out_stride] = diff02_re + turned13_re
    out_im[out_first + out_stride] = diff02_im + turned13_im
    out_re[out_first + 2 * out_stride] = sum02_re - sum13_re
    out_im[out_first + 2 * out_stride] = sum02_im - sum13_im
    out_re[out_first + 3 * out_stride] = diff02_re - turned13_re
    out_im[out_first + 3 * out_stride] = diff02_im - turned13_im
