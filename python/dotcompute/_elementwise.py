# python/dotcompute/_elementwise.py
# Binary elementwise operations on dc arrays and numbers, with numpy's dtype rules: every case
# the C++ built-ins' fast path does not take, and every operation it does not have.
"""``a (op) b`` for dc arrays and numbers: the dtypes, shapes and devices as numpy has them.

numpy decides the dtypes: ``ufunc.resolve_dtypes`` gives the dtype both operands are converted
to and the result's (``int32 + float32`` is float64, ``int / int`` float64, ``x < 2.5`` bool,
``float32 * 2.0`` float32: a Python number is "weak", NEP 50). Where numpy has no loop, the
operation is a DTypeError (``bool - bool``, ``float & float``). A number becomes a one-element
array of that dtype, and the result is computed by

- the C++ built-ins (``dc.add`` ... ``dc.floor_divide`` where the plugin has the operation for
  that dtype: multithreaded SIMD on the CPU) for two arrays of one shape and that dtype;
- else the kernels of ``algorithm_kernels/elementwise.py`` (same shapes, or a one-element
  operand) and ``algorithm_kernels/broadcast.py`` (numpy's broadcasting), which convert real
  operands of another dtype element by element as they read them (complex operands are
  converted first, on the device),

so every case runs on every backend, on the current stream, and is recorded inside
``dc.capture``. ``out=`` takes numpy's same_kind casting from the result's dtype.

A comparison of uint64 with a signed integer is exact, as numpy 2's mixed-sign loop
(``_compare_mixed_signs``). One departure from numpy, documented in docs/design.md: an integer
power with a negative exponent in an array gives 0 (numpy raises; for a number exponent this
raises too), as CuPy's does: the kernels cannot raise, and a check would wait for the device.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from . import _core
from ._astype import astype
from ._outputs import direct_out, written_to
from ._shapes import fitting_operands
from .errors import DeviceError, DTypeError, ShapeError, UnsupportedError

#: numpy's ufunc of each operation; its dtype resolution is the rule here.
UFUNCS = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.true_divide,
    "floor_divide": np.floor_divide,
    "remainder": np.remainder,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "arctan2": np.arctan2,
    "hypot": np.hypot,
    "copysign": np.copysign,
    "fmax": np.fmax,
    "fmin": np.fmin,
}

#: The comparisons (a bool result), in the order of their codes in compare_complex.
COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
#: The operations on complex operands that give a complex result, in the order of their codes
#: in combine_complex (algorithm_kernels/operations.py).
COMPLEX_PAIRS = ("add", "subtract", "multiply", "divide", "maximum", "minimum")
#: Operations with complex operands on the device (the others are numpy's errors, or power).
_COMPLEX = frozenset(COMPLEX_PAIRS + COMPARISONS)

# The common Python number types, tested by type first: the abstract numbers.* checks cost
# about 0.3 us each on every x * 2.0.
_PYTHON_NUMBERS = (int, float, complex)


def is_scalar(value) -> bool:
    """Whether value is a number these operations take (Python or numpy, not an array)."""
    if type(value) in _PYTHON_NUMBERS or type(value) is bool:
        return True
    return isinstance(value, numbers.Number | np.generic) and not isinstance(value, np.ndarray)


def _number_type(x):
    """What numpy's resolve_dtypes takes for a number: a Python number type (weak: the array's
    dtype wins where it holds the value's kind), or a dtype (numpy scalars, Python's bool)."""
    kind = type(x)
    if kind in _PYTHON_NUMBERS:
        return kind
    if isinstance(x, np.generic):
        return x.dtype
    if isinstance(x, bool):
        return np.dtype(np.bool_)  # Python's bool is numpy's bool, not weak
    if isinstance(x, numbers.Integral):
        return int
    return float if isinstance(x, numbers.Real) else complex


@functools.cache
def loop_dtypes(op: str, left, right) -> tuple[np.dtype, np.dtype, np.dtype]:
    """(left's operand dtype, right's, the result's) for op, as numpy resolves them."""
    try:
        first, second, result = UFUNCS[op].resolve_dtypes((left, right, None))
    except TypeError:  # numpy has no loop for these dtypes
        raise DTypeError(_no_loop(op, left, right)) from None
    if first.kind not in "biufc" or second.kind not in "biufc":
        raise DTypeError(f"{op}: dc arrays do not hold {first} or {second}")
    if first.kind == "c" and op not in _COMPLEX:
        raise UnsupportedError(
            f"{op} of complex arrays does not run on the device; compute it with numpy (x.numpy())"
        )
    return first, second, result


def _no_loop(op: str, left, right) -> str:
    names = [getattr(x, "__name__", str(x)) for x in (left, right)]
    if op == "subtract" and left == right == np.dtype(np.bool_):
        return "subtract is not defined for bool arrays (as in numpy); use ^ (bitwise_xor)"
    return f"{op} is not defined for {names[0]} and {names[1]} (numpy has no such loop)"


def apply(op: str, a, b, out=None) -> _core.Array:
    """a (op) b; a, b dc arrays or numbers, at least one an array; into out when given."""
    a_array, b_array = isinstance(a, _core.Array), isinstance(b, _core.Array)
    first, second, result = loop_dtypes(
        op, a.dtype if a_array else _number_type(a), b.dtype if b_array else _number_type(b)
    )
    array = a if a_array else b
    device, shape = array.device, array.shape
    if a_array and b_array:
        _check_devices(op, a, b)
        if a.shape != b.shape:
            shape = _broadcast_shape(op, a.shape, b.shape)
    elif op == "power" and not b_array:
        _check_exponent(b, first)
    # Elementwise, so out may be an operand (x += 3), but not overlap one partly (views).
    target = None
    if out is not None:
        overlapping = tuple(v for v in (a, b) if _overlaps_partly(v, out))
        target = direct_out(out, shape, result, device, overlapping, op, "same_kind")
    if op in COMPARISONS and not (a_array and b_array):
        constant = _out_of_range_comparison(op, a, b, first)
        if constant is not None:
            return written_to(out, _core.full(shape, constant, result, device))
    x = _operand(a, a_array, first, device)
    if op == "power" and not b_array and b == 2:
        op, y = "multiply", x  # numpy's x ** 2 is x * x too (the same values, no pow call)
    else:
        y = _operand(b, b_array, second, device)
    if target is None:
        target = _core.empty(shape, result, device)
    if first != second:  # uint64 with a signed integer (only comparisons have such loops)
        _compare_mixed_signs(op, x, y, target)
    else:
        run(op, x, y, target, first)
    return target if out is None else written_to(out, target)


#: Whether ``unsigned (op) signed`` holds wherever the signed operand is negative (every uint64
#: is above it); the reflected comparison ``signed (op) unsigned`` holds where this does not,
#: but for equal and not_equal.
_ABOVE_EVERY_NEGATIVE = {
    "equal": False,
    "not_equal": True,
    "less": False,
    "less_equal": False,
    "greater": True,
    "greater_equal": True,
}


def _compare_mixed_signs(op: str, x: _core.Array, y: _core.Array, out: _core.Array) -> None:
    """out = x (op) y for a uint64 operand and a signed integer one, exactly (numpy 2): the
    pair compares as uint64, which is right wherever the signed value is not negative, and
    the answer is known where it is. Three kernels, all on the device (capturable)."""
    unsigned_left = x.dtype == np.uint64
    signed = y if unsigned_left else x
    holds = _ABOVE_EVERY_NEGATIVE[op]
    if not unsigned_left and op not in ("equal", "not_equal"):
        holds = not holds
    run(op, x, y, out, np.dtype(np.uint64))  # the signed values converted in the kernel
    zero = _core.full((1,), 0, signed.dtype, signed.device)
    sign_test = _core.empty(signed.shape, np.bool_, signed.device)
    # Where it holds, out |= (signed < 0); where not, out &= (signed >= 0).
    run("less" if holds else "greater_equal", signed, zero, sign_test, signed.dtype)
    run("bitwise_or" if holds else "bitwise_and", out, sign_test, out, np.dtype(np.bool_))


@functools.cache
def _kernel_modules():
    """algorithm_kernels' broadcast and elementwise modules (imported on first use: their
    kernels need dc.kernel, which imports this module)."""
    from .algorithm_kernels import broadcast, elementwise

    return broadcast, elementwise


def run(op: str, x: _core.Array, y: _core.Array, out: _core.Array, dtype: np.dtype) -> None:
    """out = x (op) y computed in dtype, broadcasting to out. Real operands of other dtypes are
    converted inside the kernels (a mixed ``float32 + float64`` reads each once); complex
    operands have dtype already (_operand)."""
    broadcast, elementwise = _kernel_modules()
    same_shape = x.shape == y.shape
    same_dtype = x.dtype == dtype and y.dtype == dtype
    if same_shape and same_dtype and _core._builtin_takes(op, dtype):
        getattr(_core, op)(x, y, out)
        return
    loop = x if x.dtype == dtype else y if y.dtype == dtype else _core.empty((1,), dtype, x.device)
    if same_shape or x.size == 1 or y.size == 1:
        elementwise.binary(op, x, y, out, loop)
        return
    try:
        broadcast.run(op, x, y, out, loop)
    except broadcast.TooManyDimensionsError:
        x, y = fitting_operands(out.shape, [x, y])  # Note [Wide broadcasts] in _shapes.py
        run(op, x, y, out, dtype)


def _operand(value, is_array: bool, dtype: np.dtype, device: _core.Device) -> _core.Array:
    """An operand as a dc array for an operation computing in dtype: a real array as it is (the
    kernels convert its elements), a complex operation's array converted on its device, a
    number as a one-element array of dtype (which the kernels apply to every element)."""
    if is_array:
        return value if value.dtype == dtype or dtype.kind != "c" else astype(value, dtype)
    return _core.full((1,), value, dtype, device)


def _out_of_range_comparison(op: str, a, b, dtype: np.dtype) -> bool | None:
    """numpy 2's result of comparing an integer array with a Python int outside its dtype's
    range: every element compares as the dtype's nearest limit does. None for anything else."""
    if dtype.kind not in "iu":
        return None
    number = b if isinstance(a, _core.Array) else a
    if type(number) is not int:
        return None
    limits = np.iinfo(dtype)
    if limits.min <= number <= limits.max:
        return None
    nearest = dtype.type(limits.max if number > limits.max else limits.min)
    pair = (nearest, number) if isinstance(a, _core.Array) else (number, nearest)
    return bool(UFUNCS[op](*pair))


def _overlaps_partly(operand, out: _core.Array) -> bool:
    """Whether operand is an array sharing memory with out but not the same elements (views):
    an elementwise write into out would change elements still to be read."""
    return (
        isinstance(operand, _core.Array)
        and _core._shares_memory(operand, out)
        and not _core._same_memory(operand, out)
    )


def _check_devices(op: str, a: _core.Array, b: _core.Array) -> None:
    if a.device != b.device:
        raise DeviceError(
            f"{op}: arrays are on different devices ('{a.device.spec}' and '{b.device.spec}'); "
            "move one with .to(device)"
        )


def _broadcast_shape(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return _broadcast_shapes(a, b)
    except ValueError:
        raise ShapeError(
            f"{op}: input shapes {a} and {b} do not broadcast (aligned on the right, each "
            "dimension must be equal or 1 in one of them)"
        ) from None


@functools.lru_cache(maxsize=4096)
def _broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """numpy's broadcast shape (ValueError where there is none), cached by shapes."""
    return tuple(np.broadcast_shapes(a, b))


def _check_exponent(exponent, dtype: np.dtype) -> None:
    """numpy's error for an integer power with a negative number as the exponent."""
    if dtype.kind in "iu" and exponent < 0:
        raise ValueError("Integers to negative integer powers are not allowed.")
