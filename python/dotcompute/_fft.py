# python/dotcompute/_fft.py
# The complex FFT front: dc.fft/ifft/fftn/fft2 with numpy's n=, axis=, norm= (docs/algorithms.md).
"""Discrete Fourier transforms on dc.Arrays. Every backend transforms the last axis of a complex
array (the CPU plugin's own FFT, cuFFT, or the generated Stockham passes); the front moves the
axis, cuts or pads it, scales for ``norm`` and converts real input and output around that, with
the copies of ``algorithm_kernels/layout.py``."""

from __future__ import annotations

import math

from . import _core
from ._algorithm_paths import as_array, generated, use_plugin
from ._astype import astype
from ._axes import checked_axis
from ._dtypes import dtype_name
from .errors import DTypeError, InvalidArgumentError

_COMPLEX_OF = {
    "float16": "complex64",
    "float32": "complex64",
    "complex64": "complex64",
    "complex128": "complex128",
}


def to_complex(x: _core.Array) -> _core.Array:
    target = _COMPLEX_OF.get(dtype_name(x.dtype), "complex128")
    if dtype_name(x.dtype) == target:
        return x
    if dtype_name(x.dtype).startswith("complex"):
        raise DTypeError(f"fft: cannot convert {x.dtype} to {target}")
    return astype(x, target)


_NORMS = ("backward", "ortho", "forward")


def norm_factor(norm, n: int, inverse: bool) -> float:
    """What to multiply the backend's result by (it gives numpy's default, "backward")."""
    if norm is None or norm == "backward":
        return 1.0
    if norm == "ortho":
        return math.sqrt(n) if inverse else 1.0 / math.sqrt(n)
    if norm == "forward":
        return float(n) if inverse else 1.0 / n
    raise InvalidArgumentError(f"norm must be one of {', '.join(_NORMS)} or None, got {norm!r}")


def length_of(n, length: int, operation: str) -> int:
    if n is None:
        return length
    if int(n) < 1:
        raise InvalidArgumentError(f"{operation}: n must be at least 1, got {n}")
    return int(n)


def on_last_axis(x: _core.Array, axis: int, body) -> _core.Array:
    """body(x with ``axis`` moved last), with its last axis (of any length) moved back."""
    if axis == x.ndim - 1:
        return body(x)
    layout = generated().layout
    shape = x.shape
    outer, length, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
    moved = layout.swap_axes(x, outer, length, inner, (*shape[:axis], *shape[axis + 1 :], length))
    y = body(moved)
    m = y.shape[-1]
    return layout.swap_axes(y, outer, inner, m, (*y.shape[:axis], m, *y.shape[axis:-1]))


def transform(x, n, axis, norm, inverse: bool) -> _core.Array:
    operation = "ifft" if inverse else "fft"
    x = to_complex(as_array(x))
    if x.ndim == 0 or (n is None and axis in (-1, x.ndim - 1) and norm in (None, "backward")):
        return last_axis(x, inverse)  # numpy's defaults (the core refuses 0-d arrays)
    axis = checked_axis(axis, x.ndim, operation)
    n = length_of(n, x.shape[axis], operation)
    factor = norm_factor(norm, n, inverse)
    layout = generated().layout

    def along_last(rows: _core.Array) -> _core.Array:
        if n != rows.shape[-1]:
            rows = layout.resized(rows, n)
        out = last_axis(rows, inverse)
        if factor != 1.0:
            layout.scale(out, factor)
        return out

    return on_last_axis(x, axis, along_last)


def last_axis(x: _core.Array, inverse: bool) -> _core.Array:
    out, computed = _core._algorithm_fft(x, inverse, use_plugin())
    if not computed:
        generated().run_fft(x, out, inverse)
    return out


def fft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Discrete Fourier transform along one axis (the last by default), as numpy.fft.fft:
    batched over the other axes, any length; ``n`` cuts or zero-pads that axis first; ``norm``
    is "backward" (None: no scaling), "ortho" (1/sqrt(n)) or "forward" (1/n). complex64 stays
    complex64; real inputs convert as numpy (float32 to complex64, others to complex128)."""
    return transform(x, n, axis, norm, inverse=False)


def ifft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Inverse DFT along one axis, as numpy.fft.ifft: scaled by 1/n ("backward", the default),
    1/sqrt(n) ("ortho") or not at all ("forward"); ``n`` cuts or zero-pads the axis first."""
    return transform(x, n, axis, norm, inverse=True)


def axes_and_lengths(x: _core.Array, s, axes, operation: str) -> list[tuple[int, int | None]]:
    """(axis, n) pairs of an n-dimensional transform, numpy's way: every axis by default, the
    last len(s) when only s is given; n None keeps the axis's length."""
    if axes is None:
        axes = tuple(range(x.ndim - (len(s) if s is not None else x.ndim), x.ndim))
    axes = tuple(checked_axis(a, x.ndim, operation) for a in axes)
    if s is not None and len(s) != len(axes):
        raise InvalidArgumentError(
            f"{operation}: s and axes have different lengths ({len(s)} and {len(axes)})"
        )
    lengths = [None] * len(axes) if s is None else [int(n) for n in s]
    return list(zip(axes, lengths, strict=True))


def _over_axes(x, s, axes, norm, inverse: bool, operation: str) -> _core.Array:
    """The transform along each of axes in turn (numpy's fftn): s gives each axis its n."""
    x = as_array(x)
    pairs = axes_and_lengths(x, s, axes, operation)
    if not pairs:  # numpy: no axes, no transform (a complex copy)
        return x.copy() if dtype_name(x.dtype).startswith("complex") else to_complex(x)
    for axis, n in reversed(pairs):
        x = transform(x, n, axis, norm, inverse)
    return x


def fftn(x, s=None, axes=None, norm=None) -> _core.Array:
    """The n-dimensional DFT, as numpy.fft.fftn: fft along each of ``axes`` (every axis by
    default, the last len(s) when only ``s`` is given), ``s`` their lengths (cut or padded)."""
    return _over_axes(x, s, axes, norm, False, "fftn")


def ifftn(x, s=None, axes=None, norm=None) -> _core.Array:
    """The n-dimensional inverse DFT, as numpy.fft.ifftn."""
    return _over_axes(x, s, axes, norm, True, "ifftn")


def fft2(x, s=None, axes=(-2, -1), norm=None) -> _core.Array:
    """The 2-D DFT over the last two axes (or ``axes``), as numpy.fft.fft2."""
    return _over_axes(x, s, axes, norm, False, "fft2")


def ifft2(x, s=None, axes=(-2, -1), norm=None) -> _core.Array:
    """The 2-D inverse DFT, as numpy.fft.ifft2."""
    return _over_axes(x, s, axes, norm, True, "ifft2")


def clear_fft_plans() -> int:
    """Lets go of the twiddle tables and Bluestein filters the generated FFT keeps between calls
    (device memory, shown as in use by dc.memory_stats); returns how many entries went. They
    are made again at the next call of that length (Note [FFT plans])."""
    return generated().fft_plans.clear()


def fft_plans_info() -> dict:
    """{"entries", "bytes", "limit"} of the generated FFT's kept tables (Note [FFT plans])."""
    return generated().fft_plans.info()
