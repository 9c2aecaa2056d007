# python/dotcompute/_scalar_operands.py
# Array operators and binary built-ins with a number on one side: x * 2.0, 1 - x, x += 3,
# dc.add(x, 1.5), -x.
"""Binary operations between a dc array and a number, with numpy 2's type rules (NEP 50).

A Python number is "weak": the array's dtype wins where it can hold the value's kind
(``float32 * 2.0`` is float32, ``int8 + 1`` int8 and a value that does not fit is an error);
a float with an integer or bool array gives float64, a complex number complex64 with float16 or
float32 and complex128 otherwise, an int with a bool array int64. A numpy scalar is a dtype like
an array's (``np.result_type``). The array is converted on the device when the result's dtype
differs, the number becomes a one-element array of that dtype, and the elementwise kernels of
``algorithm_kernels/elementwise.py`` apply it to every element, so these run on every backend,
on the current stream, and are recorded inside ``dc.capture``. The dtype rules of the array
built-ins hold: no bool subtract, ``divide`` for floating and complex results, ``floor_divide``
for integers.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _core
from ._astype import astype
from ._outputs import direct_out, written_to
from .errors import DTypeError

_OPERATIONS = ("add", "subtract", "multiply", "divide", "floor_divide")
_COMPLEX64_PARTNERS = (np.dtype(np.float16), np.dtype(np.float32))


# The common Python number types, tested by type first: the abstract numbers.* checks cost
# about 0.3 us each on every x * 2.0.
_PYTHON_NUMBERS = (bool, int, float, complex)


def is_scalar(value) -> bool:
    """Whether value is a number these operations take (Python or numpy, not an array)."""
    if type(value) in _PYTHON_NUMBERS:
        return True
    return isinstance(value, numbers.Number | np.generic) and not isinstance(value, np.ndarray)


def _python_kind(scalar) -> str:
    """numpy's kind letter of a Python number: b, i, f or c."""
    kind = type(scalar)
    if kind is bool or kind is int or kind is float or kind is complex:
        return "bifc"[_PYTHON_NUMBERS.index(kind)]
    if isinstance(scalar, bool):
        return "b"
    if isinstance(scalar, numbers.Integral):
        return "i"
    return "f" if isinstance(scalar, numbers.Real) else "c"


def result_dtype(dtype: np.dtype, scalar) -> np.dtype:
    """NEP 50's result dtype of an array of dtype and scalar."""
    if isinstance(scalar, np.generic):
        return np.result_type(dtype, scalar.dtype)
    kind, array_kind = _python_kind(scalar), dtype.kind
    if kind == "b":
        return dtype
    if kind == "i":
        return np.dtype(np.int64) if array_kind == "b" else dtype
    if kind == "f":
        return np.dtype(np.float64) if array_kind in "biu" else dtype
    if array_kind == "c":
        return dtype
    return np.dtype(np.complex64 if dtype in _COMPLEX64_PARTNERS else np.complex128)


def check_operation(op: str, dtype: np.dtype) -> None:
    """The array built-ins' dtype rule for op (cpp/core/array_ops.cpp, check_binary_dtype)."""
    _core._check_binary_dtype(op, dtype)


def with_scalar(op: str, array: _core.Array, scalar, reflected: bool, out=None) -> _core.Array:
    """array (op) scalar, or scalar (op) array when reflected; into out when given (numpy's
    same_kind rule from the result dtype to out's)."""
    from .algorithm_kernels import elementwise  # defined on first use (_algorithm_paths)

    dtype = result_dtype(array.dtype, scalar)
    check_operation(op, dtype)
    # Elementwise, so out may be an operand (x += 3): no inputs to keep apart.
    target = direct_out(out, array.shape, dtype, array.device, (), op, "same_kind")
    if array.dtype != dtype:
        array = astype(array, dtype)
    value = _core.full((1,), scalar, dtype, array.device)
    left, right = (value, array) if reflected else (array, value)
    return written_to(out, elementwise.binary(op, left, right, target))


def negative(array: _core.Array) -> _core.Array:
    """-array: floats and complex times -1 (so -0.0 where numpy has it), integers from 0
    (unsigned ones wrap, as numpy's)."""
    if array.dtype.kind == "b":
        raise DTypeError("negative is not defined for bool arrays (as in numpy)")
    if array.dtype.kind in "fc":
        return with_scalar("multiply", array, array.dtype.type(-1), reflected=False)
    return with_scalar("subtract", array, array.dtype.type(0), reflected=True)


def forward(op: str, array: _core.Array, other, in_place: bool):
    """``array (op) other`` for the Array operators of bind_ops.cpp when other is not a dc
    array: NotImplemented unless it is a number."""
    if not is_scalar(other):
        return NotImplemented
    return with_scalar(op, array, other, False, out=array if in_place else None)


def reflected(op: str):
    """The Array method ``__r<op>__``: ``number (op) array`` for a Python number on the left (a
    numpy scalar on the left calls numpy's ufunc, which comes back through Array's
    __array_ufunc__, _ufuncs.py)."""

    def method(self, other):
        if not is_scalar(other):
            return NotImplemented
        return with_scalar(op, self, other, True)

    method.__name__ = f"__r{op}__"
    return method


def function(op: str, a, b, out):
    """``dc.add(a, b, out)`` and the other binary built-ins when a or b is not a dc array."""
    if isinstance(a, _core.Array) and is_scalar(b):
        return with_scalar(op, a, b, False, out)
    if is_scalar(a) and isinstance(b, _core.Array):
        return with_scalar(op, b, a, True, out)
    raise DTypeError(
        f"{op} takes dc arrays, or a dc array and a number; got {type(a).__name__} and "
        f"{type(b).__name__} (convert with dc.asarray)"
    )
