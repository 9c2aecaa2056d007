# python/dotcompute/algorithm_kernels/real_fft.py
# The real-input FFT as a complex FFT of half the length: the split and merge passes around it.
"""Note [Real FFT through a half-length one]: n real points x (n even) read as n / 2 complex
points z_j = x_2j + i x_2j+1 (the same memory) have the transform Z = E + i O, where E and O
are the transforms of the even and the odd points. Those are Hermitian, so with C_k the
conjugate of Z_(n/2-k) (indices mod n / 2), E_k = (Z_k + C_k) / 2 and O_k = (Z_k - C_k) / 2i,
and the real signal's spectrum is X_k = E_k + W^k O_k for k <= n / 2, W = exp(-2 pi i / n):
one FFT of n / 2 points and one pass (split_real_spectrum) instead of a conversion to complex
and an FFT of n. irfft runs it backwards (merge_real_spectrum): E_k = (X_k + D_k) / 2 and
O_k = (X_k - D_k) / 2 W^-k with D_k the conjugate of X_(n/2-k), then an inverse FFT of n / 2
points of Z = E + i O, which is x read as complex. The turns come from the FFT's table for n
(Note [FFT plans]), exp(2 pi i t / n) for t < n / 2 (twiddle_part reflects t = n / 2).

Note [Row loops]: both passes take k from grid dimension 0 and walk the rows along dimension 1,
at most ROW_STEP of them at once (CUDA caps that dimension at 65535 groups), each work-item
looping over its rows. A flat grid (Note [Flat grids] in reduce.py) needed a division of the
work-item's position by the row length, and turns by selects instead of indices mod n / 2:
the CPU's split pass of 2 x 2^20 points took 3.4 ms flat, 2.2 ms flat with the selects and 1.3
ms like this.
"""

from __future__ import annotations

import dotcompute as dc

from .fft_butterflies import twiddle_part

ROW_STEP = 65535  # rows a launch covers at once: CUDA's limit on grid dimension 1


@dc.kernel
def split_real_spectrum(z: dc.Array[None, 2], out: dc.Array[None, 2], table: dc.Array[None, 2]):
    """out's rows: X_k, k <= n / 2, from z's rows: Z, the FFT of n / 2 points (Note [Real FFT
    through a half-length one]). Dimension 0 is k, dimension 1 walks the rows (Note [Row
    loops])."""
    k = dc.global_id(0)
    half = z.shape[1] // 2
    if k > half:
        return
    a = k if k < half else 0  # Z and C at k and n / 2 - k, indices mod n / 2
    b = half - k if k > 0 else 0
    w_re = twiddle_part(table, k, half, 0)  # W^k = conj(exp(2 pi i k / n))
    w_im = -twiddle_part(table, k, half, 1)
    for row in range(dc.global_id(1), z.shape[0], dc.global_size(1)):
        z_re = z[row, 2 * a]
        z_im = z[row, 2 * a + 1]
        c_re = z[row, 2 * b]
        c_im = -z[row, 2 * b + 1]
        even_re = (z_re + c_re) * z.dtype(0.5)
        even_im = (z_im + c_im) * z.dtype(0.5)
        odd_re = (z_im - c_im) * z.dtype(0.5)  # (Z - C) / 2i
        odd_im = (c_re - z_re) * z.dtype(0.5)
        out[row, 2 * k] = even_re + w_re * odd_re - w_im * odd_im
        out[row, 2 * k + 1] = even_im + w_re * odd_im + w_im * odd_re


@dc.kernel
def merge_real_spectrum(x: dc.Array[None, 2], z: dc.Array[None, 2], table: dc.Array[None, 2]):
    """z's rows: Z_k, k < n / 2, from x's rows: X_k, k <= n / 2 (zero past x's length; the
    imaginary parts of X_0 and X_(n/2) ignored, as numpy's irfft), Note [Real FFT through a
    half-length one]; dimensions as split_real_spectrum's."""
    k = dc.global_id(0)
    half = z.shape[1] // 2
    if k >= half:
        return
    given = x.shape[1] // 2
    partner = half - k
    w_re = twiddle_part(table, k, half, 0)  # W^-k = exp(2 pi i k / n)
    w_im = twiddle_part(table, k, half, 1)
    for row in range(dc.global_id(1), z.shape[0], dc.global_size(1)):
        x_re = x[row, 2 * k] if k < given else x.dtype(0)
        x_im = x[row, 2 * k + 1] if k < given and k > 0 else x.dtype(0)
        d_re = x[row, 2 * partner] if partner < given else x.dtype(0)
        d_im = -x[row, 2 * partner + 1] if partner < given and partner < half else x.dtype(0)
        even_re = (x_re + d_re) * x.dtype(0.5)
        even_im = (x_im + d_im) * x.dtype(0.5)
        diff_re = (x_re - d_re) * x.dtype(0.5)
        diff_im = (x_im - d_im) * x.dtype(0.5)
        odd_re = diff_re * w_re - diff_im * w_im
        odd_im = diff_re * w_im + diff_im * w_re
        z[row, 2 * k] = even_re - odd_im  # E + i O
        z[row, 2 * k + 1] = even_im + odd_re


def launch_rows(kernel, points: int, rows: int, *args) -> None:
    """kernel over points x rows (Note [Row loops])."""
    kernel[points, min(rows, ROW_STEP)](*args)
