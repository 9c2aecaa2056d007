# python/dotcompute/algorithms.py
# The algorithm library's front: dc.matmul, dc.sum/min/max/mean with axis=, dc.cumsum,
# dc.sort/argsort, and the FFTs of _fft.py (docs/algorithms.md).
"""Built-in algorithms on dc.Arrays, on every device.

Each call checks its operands and allocates its outputs in the core (cpp/core/algorithms.cpp),
which runs the backend plugin's slot for the algorithm (the CPU plugin's own GEMM, FFT, scan,
radix sort; cuBLAS/cuFFT on CUDA). Where a backend has no slot, or answers that it does not
handle a dtype or size, the generated kernels of ``dotcompute.algorithm_kernels`` run on the
same device instead. ``use_generated_kernels()`` forces that path, for testing it on the CPU.
"""

from __future__ import annotations

import numpy as np

from . import _complex_order, _complex_parts, _core
from ._algorithm_paths import (
    as_array,
    generated,
    generated_kernels_forced,
    use_generated_kernels,
    use_plugin,
)
from ._astype import astype
from ._axes import checked_axis, normalized_axis, reduced_axes, split
from ._dtypes import REAL_OF, dtype_name
from ._elementwise import apply
from ._fft import (
    clear_fft_plans,
    fft,
    fft2,
    fft_plans_info,
    fftn,
    ifft,
    ifft2,
    ifftn,
)
from ._matmul import matmul
from ._outputs import direct_out, written_to
from ._real_fft import hfft, ihfft, irfft, irfft2, irfftn, rfft, rfft2, rfftn
from ._take_along_axis import gather_along
from .errors import InvalidArgumentError

# --- reductions -----------------------------------------------------------------------------


def any(x, axis=None, keepdims=False, out=None) -> _core.Array:
    """Whether any element is true (nonzero; NaN counts as true, as numpy), overall, along one
    axis or a tuple of axes: a bool array; False where nothing is reduced. ``out`` as for sum."""
    return _truth("max", x, axis, keepdims, out, empty=False)


def all(x, axis=None, keepdims=False, out=None) -> _core.Array:
    """Whether every element is true (nonzero), as any; True where nothing is reduced."""
    return _truth("min", x, axis, keepdims, out, empty=True)


def argmax(x, axis=None, keepdims=False) -> _core.Array:
    """Position of the largest element along an axis (axis=None: in the flattened array, a 0-d
    result), int64; the first one where several are equal, and the first NaN where there is
    one (numpy's ``argmax``)."""
    return _arg_extreme("max", x, axis, keepdims)


def argmin(x, axis=None, keepdims=False) -> _core.Array:
    """Position of the smallest element, as argmax."""
    return _arg_extreme("min", x, axis, keepdims)


def var(x, axis=None, keepdims=False, ddof=0, dtype=None) -> _core.Array:
    """Variance, overall, along one axis or a tuple of axes: the mean of the squared deviations
    from the mean, divided by (count - ddof) instead of count (numpy's ``var``; complex: the
    variances of the real and imaginary parts added; integers and bool give float64). dtype:
    as for sum."""
    if dtype is not None:
        return _computed_in(dtype, x, lambda v: var(v, axis, keepdims, ddof))
    x = as_array(x)
    if x.dtype.kind == "c":
        halves = (_complex_parts.real, _complex_parts.imag)
        parts = (var(half(x), axis, keepdims, ddof) for half in halves)
        return apply("add", *parts)
    center = mean(x, axis, keepdims=True)
    deviation = apply("subtract", x, center)
    squares = _reduce("sum", apply("multiply", deviation, deviation), axis, keepdims)
    count = x.size // center.size if center.size else 0
    divisor = count - ddof if count > ddof else 0  # (max is the reduction here)
    return apply("divide", squares, divisor)


def std(x, axis=None, keepdims=False, ddof=0, dtype=None) -> _core.Array:
    """Standard deviation: the square root of ``var`` (numpy's ``std``)."""
    if dtype is not None:
        return _computed_in(dtype, x, lambda v: std(v, axis, keepdims, ddof))
    return np.sqrt(var(x, axis, keepdims, ddof))


def _computed_in(dtype, x, compute, out=None) -> _core.Array:
    """numpy's ``dtype=`` of a reduction or scan: x converted to dtype, compute(x), the result
    converted to dtype (a sum of int32 is int64 here, int32 in numpy when asked for), then
    written into out when given."""
    x = as_array(x)
    dtype = np.dtype(dtype)
    result = compute(x if x.dtype == dtype else astype(x, dtype))
    return written_to(out, result if result.dtype == dtype else astype(result, dtype))


def _arg_extreme(op: str, x, axis, keepdims: bool) -> _core.Array:
    """argmax and argmin: algorithm_kernels/arg_extreme.py's passes of (value, position)
    pairs; complex values (numpy's lexicographic order) through _complex_order.py."""
    x = as_array(x)
    source = x.reshape((x.size,)) if axis is None else x
    along = 0 if axis is None else checked_axis(axis, x.ndim, f"arg{op}")
    if source.size == 0:
        raise InvalidArgumentError(f"attempt to get arg{op} of an empty sequence")
    kept = tuple(1 if d == along else n for d, n in enumerate(source.shape))
    if x.dtype.kind == "c":
        first = _complex_order.first_places(op, source, along)
    else:
        first = _core.empty(kept, np.int64, x.device)
        outer, length, inner = split(source.shape, along)
        generated().arg_extreme.run(source, first, op == "max", outer, length, inner)
    if axis is None:
        return first.reshape((1,) * x.ndim if keepdims else ())
    return first if keepdims else first.reshape(source.shape[:along] + source.shape[along + 1 :])


def _complex_extreme_along(op: str, x: _core.Array, axis: int, out: _core.Array | None):
    """max or min of complex x along axis (removed), into out when given."""
    if x.shape[axis] == 0:
        raise InvalidArgumentError(f"{op} along axis {axis} of length 0 is undefined")
    result = _complex_order.extreme(op, x, axis)
    result = result.reshape(x.shape[:axis] + x.shape[axis + 1 :])
    if out is None:
        return result
    _core._copy_into(out, result)
    return out


def _truth(op: str, x, axis, keepdims: bool, out, empty: bool) -> _core.Array:
    """any (the max of the truth values) and all (their min)."""
    x = as_array(x)
    if x.size == 0:  # numpy's identities, where max and min of nothing are errors
        axes = reduced_axes(axis, x.ndim, op)
        folded = range(x.ndim) if axes is None else axes
        kept = _kept_shape(x.shape, folded)
        shape = kept if keepdims else tuple(n for d, n in enumerate(x.shape) if d not in folded)
        result = _core.full(shape, empty, np.bool_, x.device)
        if out is not None:
            target = direct_out(out, shape, np.dtype(np.bool_), x.device, (x,), op, "unsafe")
            _core._copy_into(target if target is not None else out, result)
            return out
        return result
    truth = x if x.dtype == np.bool_ else apply("not_equal", x, x.dtype.type(0))
    return _reduce(op, truth, axis, keepdims, out)


def _reduce(op: str, x, axis, keepdims: bool = False, out=None) -> _core.Array:
    x = as_array(x)
    axes = reduced_axes(axis, x.ndim, op)
    folded = range(x.ndim) if axes is None else axes
    target = None
    if out is not None:  # (only then: the shapes and dtype cost a small array's call 1 us)
        kept = _kept_shape(x.shape, folded)
        shape = tuple(extent for d, extent in enumerate(x.shape) if d not in folded)
        dtype = _core._reduce_result_dtype(op, x.dtype)
        target = direct_out(out, kept if keepdims else shape, dtype, x.device, (x,), op, "unsafe")
        if target is not None:
            target = target.reshape(shape)  # the same memory; the last step writes it
    if axes is None or len(axes) == x.ndim:
        result = _reduce_all(op, x, target)
    else:
        result = x
        for position in reversed(axes):  # the last first: the others keep their positions
            last = position == axes[0]
            result = _reduce_axis(op, result, position, target if last else None)
    if keepdims:
        result = result.reshape(_kept_shape(x.shape, folded))
    return written_to(out, result)


def _kept_shape(shape: tuple[int, ...], folded) -> tuple[int, ...]:
    """shape with the folded axes as length 1 (keepdims)."""
    return tuple(1 if d in folded else extent for d, extent in enumerate(shape))


def _reduce_all(op: str, x: _core.Array, out: _core.Array | None = None) -> _core.Array:
    """Every element, a 0-d result: the backend's whole-array reduction, or inside a graph
    capture the axis path (the built-in is not captured; a slot that can be is taken there)."""
    if use_plugin() and not _core._capture_active(x):
        return getattr(_core, op)(x, out)
    return _reduce_axis(op, x.reshape((x.size,)), 0, out)


def _reduce_axis(op: str, x: _core.Array, axis: int, out: _core.Array | None = None):
    if op in ("max", "min") and x.dtype.kind == "c":  # numpy's lexicographic order
        return _complex_extreme_along(op, x, normalized_axis(axis, x.ndim), out)
    out, computed = _core._algorithm_reduce_axis(op, x, axis, use_plugin(), out)
    if not computed:
        outer, length, inner = split(x.shape, normalized_axis(axis, x.ndim))
        generated().run_reduce_axis(op, x, out, outer, length, inner)
    return out


def sum(x, axis=None, keepdims=False, out=None, dtype=None) -> _core.Array:
    """Sum of every element (axis=None, a 0-d array), along one axis (negative counts from the
    end) or along a tuple of axes; keepdims leaves the reduced axes as length 1, as numpy. bool
    and signed integers sum to int64, unsigned to uint64, floats and complex keep their dtype
    (accumulated accurately). ``out``: a dc array of the result's shape on x's device to write
    into (another dtype is converted, as numpy's casting="unsafe"). ``dtype``: the dtype to
    accumulate in and of the result, as numpy's (x converted to it first)."""
    if dtype is not None:
        return _computed_in(dtype, x, lambda v: _reduce("sum", v, axis, keepdims), out)
    return _reduce("sum", x, axis, keepdims, out)


def min(x, axis=None, keepdims=False, out=None) -> _core.Array:
    """Smallest element, overall, along one axis or a tuple of axes; NaN when a NaN is present
    (numpy; complex values in numpy's lexicographic order, _complex_order.py). ``out`` as
    for sum."""
    return _reduce("min", x, axis, keepdims, out)


def max(x, axis=None, keepdims=False, out=None) -> _core.Array:
    """Largest element, overall, along one axis or a tuple of axes; NaN when a NaN is present
    (numpy; complex as for min). ``out`` as for sum."""
    return _reduce("max", x, axis, keepdims, out)


def mean(x, axis=None, keepdims=False, out=None, dtype=None) -> _core.Array:
    """Arithmetic mean, overall, along one axis or a tuple of axes; integers and bool give
    float64 (numpy). ``out`` and ``dtype`` as for sum."""
    if dtype is not None:
        return _computed_in(dtype, x, lambda v: mean(v, axis, keepdims), out)
    x = as_array(x)
    if x.dtype.kind in "iu" and x.dtype.itemsize == 8:  # a 64-bit sum would wrap; numpy's
        x = astype(x, np.float64)  # mean accumulates in float64
    total = _reduce("sum", x, axis, keepdims)
    dtype = dtype_name(x.dtype)
    result_dtype = dtype if dtype.startswith(("float", "complex")) else "float64"
    target = None
    if out is not None:
        target = direct_out(
            out, total.shape, np.dtype(result_dtype), x.device, (x,), "mean", "unsafe"
        )
    result = target if target is not None else _core.empty(total.shape, result_dtype, x.device)
    if result.size == 0:
        return written_to(out, result)
    count = x.size // total.size  # the elements each mean covers (0: NaN, as numpy)
    source, destination = total, result
    if result_dtype.startswith("complex"):
        real = REAL_OF[result_dtype]
        source = _core._reinterpret(total, real, (2 * total.size,))
        destination = _core._reinterpret(result, real, (2 * total.size,))
    # Division by the count (0 gives NaN, as numpy's mean of nothing).
    generated().fft.divide_copy(
        source.reshape((source.size,)), destination.reshape((destination.size,)), count
    )
    return written_to(out, result)


# --- scan and sort --------------------------------------------------------------------------


def cumsum(x, axis=None, out=None, dtype=None) -> _core.Array:
    """Inclusive prefix sum along one axis (axis=None: over the flattened array, as numpy). The
    result dtype is sum's: int64 for bool and signed integers, uint64 for unsigned. ``out``: a
    dc array of the result's shape on x's device (x itself too: in place, as numpy; another
    dtype is converted). ``dtype`` as for sum."""
    if dtype is not None:
        return _computed_in(dtype, x, lambda v: cumsum(v, axis), out)
    x = as_array(x)
    if axis is None:
        x, axis = x.reshape((x.size,)), 0
    axis = int(axis)
    target = None
    if out is not None:
        dtype = _core._reduce_result_dtype("sum", x.dtype)
        target = direct_out(out, x.shape, dtype, x.device, (x,), "cumsum", "unsafe")
    result, computed = _core._algorithm_cumsum(x, axis, use_plugin(), target)
    if not computed:
        outer, length, inner = split(x.shape, normalized_axis(axis, x.ndim))
        generated().run_cumsum(x, result, outer, length, inner)
    return written_to(out, result)


def _sort(x, axis, values: bool, indices: bool):
    x = as_array(x)
    if axis is None:
        x, axis = x.reshape((x.size,)), 0
    axis = int(axis)
    if x.dtype.kind == "c":  # numpy's lexicographic order, from sorts of the parts
        along = checked_axis(axis, x.ndim, "sort")
        positions = _complex_order.argsort(x, along)
        return (gather_along(x, positions, along) if values else None), positions
    sorted_values, positions, computed = _core._algorithm_sort(
        x, axis, values, indices, use_plugin()
    )
    if not computed:
        outer, length, inner = split(x.shape, normalized_axis(axis, x.ndim))
        generated().run_sort(x, sorted_values, positions, outer, length, inner)
    return sorted_values, positions


def sort(x, axis=-1) -> _core.Array:
    """Stable ascending sort along one axis (axis=None sorts the flattened array). NaN sorts
    last and -0.0 equals 0.0, as numpy; complex values by real, then imaginary parts."""
    return _sort(x, axis, True, False)[0]


def argsort(x, axis=-1) -> _core.Array:
    """int64 positions that sort x stably along one axis (numpy's kind='stable')."""
    return _sort(x, axis, False, True)[1]


__all__ = [
    "argsort",
    "clear_fft_plans",
    "cumsum",
    "fft",
    "fft2",
    "fft_plans_info",
    "fftn",
    "generated_kernels_forced",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "matmul",
    "max",
    "mean",
    "min",
    "rfft",
    "rfft2",
    "rfftn",
    "sort",
    "sum",
    "use_generated_kernels",
]
