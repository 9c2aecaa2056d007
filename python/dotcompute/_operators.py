# python/dotcompute/_operators.py
# The Array operators and dc functions of the binary elementwise operations that the C++ fast
# path (cpp/bindings/bind_ops.cpp) hands over: numbers as operands, comparisons, %, **, the
# bitwise operators, -x and ~x.
"""Operators and functions over ``_elementwise.apply`` (numpy's dtype rules, broadcasting).

``x + y``, ``x += y`` and ``dc.add(x, y)`` on two dc arrays of one dtype and shape stay in
C++ (Note [Operator fast path]); with a number, other dtypes or shapes they come here through
``forward`` and ``function``. The operators the fast path does not have (``<``, ``==``, ``%``,
``**``, ``&``, ``|``, ``^`` and their reflected and in-place forms, ``2.0 * x``, ``-x``, ``~x``)
are the Python methods made here, set on the class by ``dotcompute/__init__.py``.

``==`` and ``!=`` compare elementwise and give a bool array, as numpy's; arrays stay hashable by
identity (as PyTorch's tensors), so they still work as dict keys and in sets.
"""

from __future__ import annotations

import numpy as np

from . import _core
from ._dtypes import REAL_OF, dtype_name
from ._elementwise import apply, is_scalar
from .errors import DTypeError


def _is_operand(value) -> bool:
    return isinstance(value, _core.Array) or is_scalar(value)


def function(op: str, a, b, out):
    """``dc.<op>(a, b, out)``: dc arrays, or a dc array and a number."""
    if (isinstance(a, _core.Array) and _is_operand(b)) or (
        is_scalar(a) and isinstance(b, _core.Array)
    ):
        return apply(op, a, b, out)
    raise DTypeError(
        f"{op} takes dc arrays, or a dc array and a number; got {type(a).__name__} and "
        f"{type(b).__name__} (convert with dc.asarray)"
    )


def _in_place_operand(array: _core.Array, other):
    """other for ``array (op)= other``: a numpy array or a list becomes a dc array on array's
    device (copied there, as assignment's value is), so the operation writes array in place.
    Without this Python would fall back to ``array (op) other``, which numpy runs, and rebind
    the name to numpy's result, leaving the dc array unchanged."""
    if isinstance(other, np.ndarray | list | tuple):
        return _core._from_numpy(np.asarray(other), array.device, True)
    return other


def forward(op: str, array: _core.Array, other, in_place: bool):
    """``array (op) other`` for the C++ operators when other is not a dc array: NotImplemented
    unless it is a number (Python then tries other's reflected operator), or, in place, a numpy
    array or a list."""
    if in_place:
        other = _in_place_operand(array, other)
    if not _is_operand(other):
        return NotImplemented
    return apply(op, array, other, array if in_place else None)


def operator(op: str, in_place: bool = False):
    """The Array method for ``self (op) other`` (``__lt__``, ``__mod__``, ``__imod__``, ...)."""

    def method(self, other):
        if in_place:
            other = _in_place_operand(self, other)
        if not _is_operand(other):
            return NotImplemented
        return apply(op, self, other, self if in_place else None)

    return method


def reflected(op: str):
    """The Array method for ``number (op) self`` (``__rsub__``, ``__rpow__``, ...): a Python
    number on the left (a numpy scalar on the left calls numpy's ufunc, which comes back
    through Array.__array_ufunc__, _ufuncs.py)."""

    def method(self, other):
        if not is_scalar(other):
            return NotImplemented
        return apply(op, other, self)

    method.__name__ = f"__r{op}__"
    return method


def negative(array: _core.Array) -> _core.Array:
    """-array: the sign bits of floats and of complex parts flipped (-0.0 and infinities as
    numpy's), integers from 0 (unsigned ones wrap, as numpy's)."""
    kind = array.dtype.kind
    if kind == "b":
        raise DTypeError("negative is not defined for bool arrays (as in numpy); use ~ (invert)")
    if kind in "fc":  # each part's sign flipped (complex times -1 + 0j: 0 * inf is a NaN)
        from .algorithm_kernels import unary  # defined on first use (_algorithm_paths)

        out = _core.empty(array.shape, array.dtype, array.device)
        if array.size:
            parts = 2 if kind == "c" else 1
            real = REAL_OF.get(dtype_name(array.dtype), dtype_name(array.dtype))
            flat = (array.size * parts,)
            unary.negate[flat[0]](
                _core._reinterpret(array, real, flat), _core._reinterpret(out, real, flat)
            )
        return out
    return apply("subtract", array.dtype.type(0), array)


def invert(array: _core.Array) -> _core.Array:
    """~array: bitwise not of integers, logical not of bools (xor with all bits set)."""
    kind = array.dtype.kind
    if kind not in "biu":
        raise DTypeError(f"invert (~) needs integer or bool arrays (as numpy), got {array.dtype}")
    ones = np.True_ if kind == "b" else np.array(-1).astype(array.dtype)[()]
    return apply("bitwise_xor", array, ones)


def _public(op: str, doc: str):
    """The dc function of an operation that only this module runs (dc.less, dc.power, ...)."""

    def operation(a, b, out=None):
        return function(op, a, b, out)

    operation.__name__ = operation.__qualname__ = op
    operation.__doc__ = (
        f"{doc}\n\nElementwise over dc arrays (numpy's broadcasting) or a dc array and a number, "
        "with numpy's result dtype; into out when given (numpy's same_kind casting)."
    )
    return operation


remainder = _public("remainder", "a % b: the remainder with b's sign (numpy's remainder).")
power = _public("power", "a ** b (integers: exact, wrapping; floats: pow).")
maximum = _public("maximum", "The larger of a and b; NaN where either is NaN.")
minimum = _public("minimum", "The smaller of a and b; NaN where either is NaN.")
bitwise_and = _public("bitwise_and", "a & b of integers or bools.")
bitwise_or = _public("bitwise_or", "a | b of integers or bools.")
bitwise_xor = _public("bitwise_xor", "a ^ b of integers or bools.")
equal = _public("equal", "a == b as a bool array.")
not_equal = _public("not_equal", "a != b as a bool array.")
less = _public("less", "a < b as a bool array (complex: numpy's lexicographic order).")
less_equal = _public("less_equal", "a <= b as a bool array.")
greater = _public("greater", "a > b as a bool array.")
greater_equal = _public("greater_equal", "a >= b as a bool array.")

#: Comparison operators: __lt__ and the rest (Python swaps them for a number on the left).
_COMPARISONS = {
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal",
    "ne": "not_equal",
}  # fmt: skip
#: Operators with in-place and reflected forms made here: __mod__, __imod__, __rmod__, ...
_ARITHMETIC = {
    "mod": "remainder", "pow": "power", "and": "bitwise_and", "or": "bitwise_or",
    "xor": "bitwise_xor",
}  # fmt: skip
#: The C++ operators' reflected forms (__radd__, ...): a number on the left.
_BUILTIN_REFLECTED = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide",
}  # fmt: skip


def install(array_class: type) -> None:
    """Sets this module's operators on dc.Array (the C++ ones are set by the bindings)."""
    for name, op in _COMPARISONS.items():
        setattr(array_class, f"__{name}__", operator(op))
    for name, op in _ARITHMETIC.items():
        setattr(array_class, f"__{name}__", operator(op))
        setattr(array_class, f"__i{name}__", operator(op, in_place=True))
        setattr(array_class, f"__r{name}__", reflected(op))
    for name, op in _BUILTIN_REFLECTED.items():
        setattr(array_class, f"__r{name}__", reflected(op))
    array_class.__neg__ = negative
    array_class.__invert__ = invert
    array_class.__hash__ = object.__hash__  # by identity, though __eq__ is elementwise
