# python/dotcompute/algorithms.py
# The algorithm library's front: dc.matmul, dc.fft/ifft, dc.sum/min/max/mean with axis=,
# dc.cumsum, dc.sort/argsort (docs/algorithms.md).
"""Built-in algorithms on dc.Arrays, on every device.

Each call checks its operands and allocates its outputs in the core (cpp/core/algorithms.cpp),
which runs the backend plugin's slot for the algorithm (the CPU plugin's own GEMM, FFT, scan,
radix sort; cuBLAS/cuFFT on CUDA). Where a backend has no slot, or answers that it does not
handle a dtype or size, the generated kernels of ``dotcompute.algorithm_kernels`` run on the
same device instead. ``use_generated_kernels()`` forces that path, for testing it on the CPU.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import _core
from ._arrays import asarray
from ._dtypes import dtype_name
from .errors import DTypeError, InvalidArgumentError


class _ForcedKernels(threading.local):
    """Per-thread switch of use_generated_kernels(). The class attribute is every thread's
    default, so reading it is a plain attribute lookup: getattr() with a default on a bare
    threading.local costs about 0.4 us when the attribute is missing, on every algorithm call."""

    generated = False


_forced = _ForcedKernels()


def _bundled_blas_libraries() -> list[str]:
    """The OpenBLAS libraries numpy and scipy ship in their wheels (numpy.libs, scipy.libs,
    the scipy-openblas packages), for the CPU plugin's matmul to open at run time."""
    site = Path(np.__file__).resolve().parent.parent
    patterns = [
        "numpy.libs/libscipy_openblas*.so*",
        "scipy_openblas64/lib/libscipy_openblas*.so*",
        "scipy_openblas32/lib/libscipy_openblas*.so*",
        "scipy.libs/libscipy_openblas*.so*",
    ]
    return [str(found) for pattern in patterns for found in sorted(site.glob(pattern))]


_blas_hint_given = False


def _give_blas_hint() -> None:
    """Points DOTCOMPUTE_BLAS at the bundled OpenBLAS before the first matmul, which is when the
    CPU plugin reads it (cpp/cpu/cpu_matmul.cpp); an explicit setting wins."""
    global _blas_hint_given
    if not _blas_hint_given:
        _blas_hint_given = True
        if "DOTCOMPUTE_BLAS" not in os.environ:
            os.environ["DOTCOMPUTE_BLAS"] = os.pathsep.join(_bundled_blas_libraries())


@contextlib.contextmanager
def use_generated_kernels(enabled: bool = True) -> Iterator[None]:
    """Within the block (on this thread), algorithms skip the plugin slots and run the generated
    kernels, the path CUDA without cuBLAS/cuFFT and OpenCL take.

    >>> with dc.algorithms.use_generated_kernels():
    ...     c = dc.matmul(a, b)  # the tiled shared-memory GEMM kernel, even on the CPU
    """
    previous = _forced.generated
    _forced.generated = enabled
    try:
        yield
    finally:
        _forced.generated = previous


def generated_kernels_forced() -> bool:
    """Whether use_generated_kernels() is active on this thread."""
    return _forced.generated


def _generated():
    """The generated-kernel package, imported on first use: defining its kernels costs tens of
    milliseconds that a program whose backend has every slot never needs to pay."""
    from . import algorithm_kernels

    return algorithm_kernels


def _use_plugin() -> bool:
    return not generated_kernels_forced()


def _as_array(x) -> _core.Array:
    return x if isinstance(x, _core.Array) else asarray(np.asarray(x))


def _split(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1 :], dtype=np.int64))
    return outer, shape[axis], inner


def _normalized_axis(axis: int, ndim: int) -> int:
    return axis + ndim if axis < 0 else axis


def _checked_axis(axis, ndim: int, operation: str) -> int:
    """axis as a non-negative int, or InvalidArgumentError in the core's words."""
    axis = int(axis)
    if ndim == 0 or not -ndim <= axis < ndim:
        where = (
            "is out of range for a 0-d array; use axis=None"
            if ndim == 0
            else f"is out of range for an array of {ndim} dimensions; use -{ndim} to {ndim - 1}"
        )
        raise InvalidArgumentError(f"{operation}: axis {axis} {where}")
    return _normalized_axis(axis, ndim)


def _reduced_axes(axis, ndim: int, operation: str) -> tuple[int, ...] | None:
    """The axes a reduction folds, ascending, or None for all of them (axis=None)."""
    if axis is None:
        return None
    if not isinstance(axis, tuple | list):
        return (_checked_axis(axis, ndim, operation),)
    if not axis:
        raise InvalidArgumentError(
            f"{operation}: axis=() reduces nothing; pass None (every axis) or at least one axis"
        )
    axes = [_checked_axis(a, ndim, operation) for a in axis]
    repeated = next((a for a in axes if axes.count(a) > 1), None)
    if repeated is not None:
        raise InvalidArgumentError(
            f"{operation}: axis {repeated} appears twice in axis={tuple(axis)}"
        )
    return tuple(sorted(axes))


# --- matmul ---------------------------------------------------------------------------------


def matmul(a, b) -> _core.Array:
    """Matrix product as numpy.matmul: 2-D, batched ([..., m, k] @ [..., k, n] with the same
    batch dimensions, or batched @ 2-D), and 1-D operands as vectors. float32, float64,
    complex64, complex128; both operands of one dtype on one device."""
    _give_blas_hint()
    a, b = _as_array(a), _as_array(b)
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape((1, a.shape[0]))
    if vector_b:
        b = b.reshape((b.shape[0], 1))
    batch_shape = None
    if a.ndim > 2 and b.ndim == 2:  # batched @ matrix: one tall GEMM over the stacked rows
        batch_shape = a.shape[:-2]
        a = a.reshape((int(np.prod(batch_shape)) * a.shape[-2], a.shape[-1]))
    out, computed = _core._algorithm_matmul(a, b, _use_plugin())
    if not computed:
        _generated().run_matmul(a, b, out)
    if batch_shape is not None:
        out = out.reshape((*batch_shape, out.shape[0] // int(np.prod(batch_shape)), out.shape[1]))
    if vector_a and vector_b:
        return out.reshape(())
    if vector_a:
        return out.reshape((*out.shape[:-2], out.shape[-1]))
    if vector_b:
        return out.reshape(out.shape[:-1])
    return out


# --- FFT ------------------------------------------------------------------------------------

_COMPLEX_OF = {
    "float16": "complex64",
    "float32": "complex64",
    "complex64": "complex64",
    "complex128": "complex128",
}


def _to_complex(x: _core.Array) -> _core.Array:
    target = _COMPLEX_OF.get(dtype_name(x.dtype), "complex128")
    if dtype_name(x.dtype) == target:
        return x
    if dtype_name(x.dtype).startswith("complex"):
        raise DTypeError(f"fft: cannot convert {x.dtype} to {target}")
    out = _core.empty(x.shape, target, x.device)
    pairs = _core._reinterpret(out, "float32" if target == "complex64" else "float64", (x.size, 2))
    if x.size:
        _generated().fft.real_to_complex[x.size](x.reshape((x.size,)), pairs)
    return out


_NORMS = ("backward", "ortho", "forward")


def _norm_factor(norm, n: int, inverse: bool) -> float:
    """What to multiply the backend's result by (it gives numpy's default, "backward")."""
    if norm is None or norm == "backward":
        return 1.0
    if norm == "ortho":
        return math.sqrt(n) if inverse else 1.0 / math.sqrt(n)
    if norm == "forward":
        return float(n) if inverse else 1.0 / n
    raise InvalidArgumentError(f"norm must be one of {', '.join(_NORMS)} or None, got {norm!r}")


def _transform(x, n, axis: int, norm, inverse: bool) -> _core.Array:
    operation = "ifft" if inverse else "fft"
    x = _to_complex(_as_array(x))
    if x.ndim == 0 or (n is None and axis in (-1, x.ndim - 1) and norm in (None, "backward")):
        return _last_axis(x, inverse)  # numpy's defaults (the core refuses 0-d arrays)
    axis = _checked_axis(axis, x.ndim, operation)
    length = x.shape[axis]
    if n is not None and int(n) < 1:
        raise InvalidArgumentError(f"{operation}: n must be at least 1, got {n}")
    n = length if n is None else int(n)
    factor = _norm_factor(norm, n, inverse)
    layout = _generated().layout
    outer, inner = math.prod(x.shape[:axis]), math.prod(x.shape[axis + 1 :])
    moved = axis != x.ndim - 1
    if moved:  # [outer, length, inner] -> [outer, inner, length]
        shape = (*x.shape[:axis], *x.shape[axis + 1 :], length)
        x = layout.swap_axes(x, outer, length, inner, shape)
    if n != length:
        x = layout.resized(x, n)
    out = _last_axis(x, inverse)
    if factor != 1.0:
        layout.scale(out, factor)
    if moved:  # back: [outer, inner, n] -> [outer, n, inner]
        shape = (*out.shape[:axis], n, *out.shape[axis:-1])
        out = layout.swap_axes(out, outer, inner, n, shape)
    return out


def _last_axis(x: _core.Array, inverse: bool) -> _core.Array:
    out, computed = _core._algorithm_fft(x, inverse, _use_plugin())
    if not computed:
        _generated().run_fft(x, out, inverse)
    return out


def fft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Discrete Fourier transform along one axis (the last by default), as numpy.fft.fft:
    batched over the other axes, any length; ``n`` cuts or zero-pads that axis first; ``norm``
    is "backward" (None: no scaling), "ortho" (1/sqrt(n)) or "forward" (1/n). complex64 stays
    complex64; real inputs convert as numpy (float32 to complex64, others to complex128)."""
    return _transform(x, n, axis, norm, inverse=False)


def ifft(x, n=None, axis=-1, norm=None) -> _core.Array:
    """Inverse DFT along one axis, as numpy.fft.ifft: scaled by 1/n ("backward", the default),
    1/sqrt(n) ("ortho") or not at all ("forward"); ``n`` cuts or zero-pads the axis first."""
    return _transform(x, n, axis, norm, inverse=True)


def clear_fft_plans() -> int:
    """Lets go of the twiddle tables and Bluestein filters the generated FFT keeps between calls
    (device memory, shown as in use by dc.memory_stats); returns how many entries went. They
    are made again at the next call of that length (Note [FFT plans])."""
    return _generated().fft_plans.clear()


def fft_plans_info() -> dict:
    """{"entries", "bytes", "limit"} of the generated FFT's kept tables (Note [FFT plans])."""
    return _generated().fft_plans.info()


# --- reductions -----------------------------------------------------------------------------


def _reduce(op: str, x, axis, keepdims: bool = False) -> _core.Array:
    x = _as_array(x)
    axes = _reduced_axes(axis, x.ndim, op)
    if axes is None or len(axes) == x.ndim:
        result = _reduce_all(op, x)
    else:
        result = x
        for position in reversed(axes):  # the last first: the others keep their positions
            result = _reduce_axis(op, result, position)
    if keepdims:
        kept = range(x.ndim) if axes is None else axes
        result = result.reshape(tuple(1 if d in kept else x.shape[d] for d in range(x.ndim)))
    return result


def _reduce_all(op: str, x: _core.Array) -> _core.Array:
    """Every element, a 0-d result: the backend's whole-array reduction."""
    if _use_plugin():
        return getattr(_core, op)(x)
    return _reduce_axis(op, x.reshape((x.size,)), 0)


def _reduce_axis(op: str, x: _core.Array, axis: int) -> _core.Array:
    out, computed = _core._algorithm_reduce_axis(op, x, axis, _use_plugin())
    if not computed:
        outer, length, inner = _split(x.shape, _normalized_axis(axis, x.ndim))
        _generated().run_reduce_axis(op, x, out, outer, length, inner)
    return out


def sum(x, axis=None, keepdims=False) -> _core.Array:
    """Sum of every element (axis=None, a 0-d array), along one axis (negative counts from the
    end) or along a tuple of axes; keepdims leaves the reduced axes as length 1, as numpy. bool
    and signed integers sum to int64, unsigned to uint64, floats and complex keep their dtype
    (accumulated accurately)."""
    return _reduce("sum", x, axis, keepdims)


def min(x, axis=None, keepdims=False) -> _core.Array:
    """Smallest element, overall, along one axis or a tuple of axes; NaN when a NaN is present
    (numpy)."""
    return _reduce("min", x, axis, keepdims)


def max(x, axis=None, keepdims=False) -> _core.Array:
    """Largest element, overall, along one axis or a tuple of axes; NaN when a NaN is present
    (numpy)."""
    return _reduce("max", x, axis, keepdims)


def mean(x, axis=None, keepdims=False) -> _core.Array:
    """Arithmetic mean, overall, along one axis or a tuple of axes; integers and bool give
    float64 (numpy)."""
    x = _as_array(x)
    total = _reduce("sum", x, axis, keepdims)
    axes = _reduced_axes(axis, x.ndim, "mean")
    count = x.size if axes is None else math.prod(x.shape[a] for a in axes)
    dtype = dtype_name(x.dtype)
    result_dtype = dtype if dtype.startswith(("float", "complex")) else "float64"
    result = _core.empty(total.shape, result_dtype, total.device)
    if result.size == 0:
        return result
    source, target = total, result
    if result_dtype.startswith("complex"):
        real = "float32" if result_dtype == "complex64" else "float64"
        source = _core._reinterpret(total, real, (2 * total.size,))
        target = _core._reinterpret(result, real, (2 * total.size,))
    # Division by the count (0 gives NaN, as numpy's mean of nothing).
    _generated().fft.divide_copy(
        source.reshape((source.size,)), target.reshape((target.size,)), count
    )
    return result


# --- scan and sort --------------------------------------------------------------------------


def cumsum(x, axis=None) -> _core.Array:
    """Inclusive prefix sum along one axis (axis=None: over the flattened array, as numpy). The
    result dtype is sum's: int64 for bool and signed integers, uint64 for unsigned."""
    x = _as_array(x)
    if axis is None:
        x, axis = x.reshape((x.size,)), 0
    axis = int(axis)
    out, computed = _core._algorithm_cumsum(x, axis, _use_plugin())
    if not computed:
        outer, length, inner = _split(x.shape, _normalized_axis(axis, x.ndim))
        _generated().run_cumsum(x, out, outer, length, inner)
    return out


def _sort(x, axis, values: bool, indices: bool):
    x = _as_array(x)
    if axis is None:
        x, axis = x.reshape((x.size,)), 0
    axis = int(axis)
    sorted_values, positions, computed = _core._algorithm_sort(
        x, axis, values, indices, _use_plugin()
    )
    if not computed:
        outer, length, inner = _split(x.shape, _normalized_axis(axis, x.ndim))
        _generated().run_sort(x, sorted_values, positions, outer, length, inner)
    return sorted_values, positions


def sort(x, axis=-1) -> _core.Array:
    """Stable ascending sort along one axis (axis=None sorts the flattened array). NaN sorts
    last and -0.0 equals 0.0, as numpy."""
    return _sort(x, axis, True, False)[0]


def argsort(x, axis=-1) -> _core.Array:
    """int64 positions that sort x stably along one axis (numpy's kind='stable')."""
    return _sort(x, axis, False, True)[1]


__all__ = [
    "argsort",
    "clear_fft_plans",
    "cumsum",
    "fft",
    "fft_plans_info",
    "generated_kernels_forced",
    "ifft",
    "matmul",
    "max",
    "mean",
    "min",
    "sort",
    "sum",
    "use_generated_kernels",
]
