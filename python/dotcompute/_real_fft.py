# python/dotcompute/_real_fft.py
# dc.rfft and dc.irfft: real signals through complex FFTs of half the length (docs/algorithms.md).
"""Real-input FFTs as numpy's ``rfft``/``irfft``. An even length n of float32 or float64 runs a
complex FFT of n / 2 points over the same memory and one pass around it
(``algorithm_kernels/real_fft.py``, Note [Real FFT through a half-length one]); odd lengths
and other dtypes take a complex FFT of n points."""

from __future__ import annotations

from . import _core
from ._algorithm_paths import as_array, generated
from ._axes import checked_axis
from ._dtypes import COMPLEX_OF, REAL_OF, dtype_name
from ._fft import (
    axes_and_lengths,
    last_axis,
    length_of,
    norm_factor,
    on_last_axis,
    to_complex,
    transform,
)
from .errors import DTypeError, InvalidArgumentError


def rfft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """DFT of a real array along one axis, its n // 2 + 1 non-negative frequencies, as
    numpy.fft.rfft (n, axis and norm as fft's). float32 gives complex64, other real dtypes
    complex128."""
    x = as_array(x)
    dtype = dtype_name(x.dtype)
    if dtype.startswith("complex"):
        raise DTypeError(f"rfft takes a real array, got {dtype}; use dc.fft for complex input")
    if x.ndim == 0:
        return last_axis(to_complex(x), False)  # the core's error for 0-d arrays
    axis = checked_axis(axis, x.ndim, "rfft")
    n = length_of(n, x.shape[axis], "rfft")
    factor = norm_factor(norm, n, False)
    layout = generated().layout
    halved = dtype in COMPLEX_OF and n % 2 == 0

    def along_last(rows: _core.Array) -> _core.Array:
        if n != rows.shape[-1]:
            rows = layout.resized(rows, n)
        if halved:
            out = _split(last_axis(_as_half(rows, n), False), n, dtype)
        else:
            out = layout.resized(last_axis(rows, False), n // 2 + 1)
        if factor != 1.0:
            layout.scale(out, factor)
        return out

    return on_last_axis(x if halved else to_complex(x), axis, along_last)


def irfft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Inverse of rfft, as numpy.fft.irfft: the n real points (default 2 (m - 1) for m input
    points) whose spectrum's first half x holds along one axis; x is cut or zero-padded to
    n // 2 + 1 points, and the imaginary parts of points 0 and n / 2 are ignored. complex64
    gives float32, complex128 float64."""
    x = to_complex(as_array(x))
    if x.ndim == 0:
        return last_axis(x, True)  # the core's error for 0-d arrays
    axis = checked_axis(axis, x.ndim, "irfft")
    n = length_of(2 * (x.shape[axis] - 1) if n is None else n, 0, "irfft")
    factor = norm_factor(norm, n, True)
    layout = generated().layout

    def along_last(half: _core.Array) -> _core.Array:
        if n % 2 == 0:
            out = _as_real(last_axis(_merge(half, n), True), n)
        else:
            out = layout.real_part(last_axis(layout.hermitian(half, n), True))
        if factor != 1.0:
            layout.scale(out, factor)
        return out

    return on_last_axis(x, axis, along_last)


# hfft and ihfft run irfft and rfft with the opposite scaling (numpy's definition).
_SWAPPED_NORMS = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _swapped(norm):
    """The norm with backward and forward exchanged; anything else unchanged (an unknown norm
    is then refused by the transform with the usual message)."""
    if norm is None or isinstance(norm, str):
        return _SWAPPED_NORMS.get(norm, norm)
    return norm


def hfft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """FFT of a signal with Hermitian symmetry, whose spectrum is real, as numpy.fft.hfft: x
    holds the first half of the signal along one axis (m points), the result n real points
    (default 2 (m - 1)). complex64 gives float32, others float64."""
    x = to_complex(as_array(x))
    return irfft(generated().layout.conjugate(x), n, axis, _swapped(norm))


def ihfft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Inverse of hfft, as numpy.fft.ihfft: the n // 2 + 1 points of the Hermitian signal whose
    spectrum is the real x along one axis. float32 gives complex64, other real dtypes
    complex128."""
    half = rfft(x, n, axis, _swapped(norm))
    return generated().layout.conjugate(half, into=half)


def rfftn(x, s=None, axes=None, norm=None) -> _core.Array:
    """The n-dimensional DFT of a real array, as numpy.fft.rfftn: rfft along the last of
    ``axes``, then fft along the others (axes and s as fftn's)."""
    x = as_array(x)
    pairs = _real_pairs(x, s, axes, "rfftn")
    (last, n), rest = pairs[-1], pairs[:-1]
    x = rfft(x, n, last, norm)
    for axis, length in reversed(rest):
        x = transform(x, length, axis, norm, False)
    return x


def irfftn(x, s=None, axes=None, norm=None) -> _core.Array:
    """The inverse of rfftn, as numpy.fft.irfftn: ifft along all but the last of ``axes``,
    then irfft along it (its n from s, else 2 (m - 1))."""
    x = as_array(x)
    pairs = _real_pairs(x, s, axes, "irfftn")
    (last, n), rest = pairs[-1], pairs[:-1]
    for axis, length in reversed(rest):
        x = transform(x, length, axis, norm, True)
    return irfft(x, n, last, norm)


def rfft2(x, s=None, axes=(-2, -1), norm=None) -> _core.Array:
    """rfftn over the last two axes (or ``axes``), as numpy.fft.rfft2."""
    return rfftn(x, s, axes, norm)


def irfft2(x, s=None, axes=(-2, -1), norm=None) -> _core.Array:
    """irfftn over the last two axes (or ``axes``), as numpy.fft.irfft2."""
    return irfftn(x, s, axes, norm)


def _real_pairs(x: _core.Array, s, axes, operation: str) -> list:
    pairs = axes_and_lengths(x, s, axes, operation)
    if not pairs:
        raise InvalidArgumentError(f"{operation}: at least one axis is needed")
    return pairs


def _as_half(rows: _core.Array, n: int) -> _core.Array:
    """n real points a row, read as n / 2 complex ones (the same memory)."""
    return _core._reinterpret(rows, COMPLEX_OF[dtype_name(rows.dtype)], (*rows.shape[:-1], n // 2))


def _as_real(rows: _core.Array, n: int) -> _core.Array:
    """n / 2 complex points a row, read as n real ones (the same memory)."""
    return _core._reinterpret(rows, REAL_OF[dtype_name(rows.dtype)], (*rows.shape[:-1], n))


def _split(spectrum: _core.Array, n: int, real: str) -> _core.Array:
    """The n // 2 + 1 points of the real signal's spectrum from the half-length one."""
    kernels = generated()
    out = _core.empty((*spectrum.shape[:-1], n // 2 + 1), COMPLEX_OF[real], spectrum.device)
    if out.size:
        rows = out.size // out.shape[-1]
        table = kernels.fft._twiddles(n, real, spectrum.device)
        kernels.real_fft.launch_rows(
            kernels.real_fft.split_real_spectrum,
            n // 2 + 1,
            rows,
            _core._reinterpret(spectrum, real, (rows, n)),
            _core._reinterpret(out, real, (rows, 2 * out.shape[-1])),
            table,
        )
    return out


def _merge(half: _core.Array, n: int) -> _core.Array:
    """The half-length spectrum whose inverse is the n real points read as complex."""
    kernels = generated()
    complex_dtype = dtype_name(half.dtype)
    real = REAL_OF[complex_dtype]
    out = _core.empty((*half.shape[:-1], n // 2), complex_dtype, half.device)
    if out.size:
        rows = out.size // out.shape[-1]
        table = kernels.fft._twiddles(n, real, half.device)
        kernels.real_fft.launch_rows(
            kernels.real_fft.merge_real_spectrum,
            n // 2,
            rows,
            _core._reinterpret(half, real, (rows, 2 * half.shape[-1])),
            _core._reinterpret(out, real, (rows, n)),
            table,
        )
    return out
