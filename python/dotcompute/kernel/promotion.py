# python/dotcompute/kernel/promotion.py
# The promotion rules of kernel arithmetic as functions (rules stated in types.py's docstring).
"""Type promotion for the kernel language.

``promote(a, b)`` implements the rules of :mod:`dotcompute.kernel.types` for two typed operands.
Python literals are *weak*: ``literal_type`` is the type of a literal standing alone and
``promote_literal`` the type a literal takes next to a typed operand. The other helpers decide
the types of true division, of float-only math functions and of implicit conversions
(assignments, stores, arguments).

Errors are raised as :class:`~dotcompute.errors.KernelTypeError` without a source location;
the frontend adds ``file:line:col`` in front.
"""

from __future__ import annotations

from ..errors import KernelTypeError
from .types import BOOL, FLOAT32, FLOAT64, INT32, INT64, ScalarType

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def arithmetic_type(t: ScalarType) -> ScalarType:
    """The type ``t`` counts as in arithmetic: bool counts as int32 (rule 2)."""
    return INT32 if t.is_bool else t


def promote(a: ScalarType, b: ScalarType) -> ScalarType:
    """The common type of two typed operands (rules 1 to 5)."""
    if a == b:
        return a
    a, b = arithmetic_type(a), arithmetic_type(b)
    if a == b:
        return a
    if a.is_float or b.is_float:
        if a.is_float and b.is_float:
            return a if a.bits >= b.bits else b
        return a if a.is_float else b
    if a.is_signed == b.is_signed:
        return a if a.bits >= b.bits else b
    signed, unsigned = (a, b) if a.is_signed else (b, a)
    if signed.bits > unsigned.bits:
        return signed
    raise KernelTypeError(
        f"cannot mix {a} and {b} without a cast (signed and unsigned integers of the same "
        f"width have no common type); cast one operand, e.g. dc.{signed}(x) or dc.{unsigned}(x)"
    )


def literal_type(value: bool | int | float) -> ScalarType:
    """The type of a Python literal standing alone: bool, int32 (int64 when it does not fit),
    float32."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return INT32
        if _INT64_MIN <= value <= _INT64_MAX:
            return INT64
        raise KernelTypeError(f"integer literal {value} does not fit in int64")
    if isinstance(value, float):
        return FLOAT32
    raise KernelTypeError(f"{type(value).__name__} literal {value!r} is not a kernel type")


def literal_fits(value: bool | int | float, t: ScalarType) -> bool:
    """Whether a Python literal converts to ``t`` without overflow or truncation."""
    if isinstance(value, bool) or t.is_float:
        return True
    if isinstance(value, float):
        return False
    if t.is_bool:
        return value in (0, 1)
    lo, hi = _integer_range(t)
    return lo <= value <= hi


def promote_literal(value: bool | int | float, other: ScalarType) -> ScalarType:
    """The common type of a weak Python literal and a typed operand (rule 6)."""
    if isinstance(value, bool):
        return other
    if isinstance(value, int):
        target = arithmetic_type(other)
        if not literal_fits(value, target):
            raise KernelTypeError(
                f"literal {value} does not fit in {target}; cast the other operand to a wider "
                f"type, e.g. dc.int64(x)"
            )
        return target
    if isinstance(value, float):
        return other if other.is_float else FLOAT32
    raise KernelTypeError(f"{type(value).__name__} literal {value!r} is not a kernel type")


def float_type_for(t: ScalarType) -> ScalarType:
    """The floating type an operand of type ``t`` computes in for true division and float-only
    math: floats keep their type; 64-bit integers give float64; other integers and bool give
    float32."""
    if t.is_float:
        return t
    return FLOAT64 if t.bits == 64 else FLOAT32


def can_convert_implicitly(source: ScalarType, target: ScalarType) -> bool:
    """Whether a value of type ``source`` may be assigned to a ``target`` without a cast: when
    promotion would not change ``target`` (narrower to wider, integers to floats, bool to
    numbers). Narrowing, float to integer and unsigned to a same-width signed type need a
    cast."""
    if source == target:
        return True
    if target.is_bool:
        return False
    try:
        return promote(target, source) == target
    except KernelTypeError:
        return False


def _integer_range(t: ScalarType) -> tuple[int, int]:
    if t.is_signed:
        return -(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1
    return 0, 2**t.bits - 1


def integer_range(t: ScalarType) -> tuple[int, int]:
    """Smallest and largest value of an integer type (bool: 0 and 1)."""
    if t.is_bool:
        return 0, 1
    return _integer_range(t)
