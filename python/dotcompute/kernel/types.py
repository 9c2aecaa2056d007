# python/dotcompute/kernel/types.py
# The kernel language's types and its promotion rules (documented in docs/kernels.md).
"""Types of the kernel language.

Scalar types are the numeric dtypes (complex is not a kernel type). Arrays are typed by element
type and number of dimensions; a generic array (bare ``dc.Array``) gets its element type at launch.

Promotion rules for a binary operation on scalars ``a op b`` (``promote``):

1. Equal types: that type.
2. ``bool`` in arithmetic counts as ``int32``.
3. An integer and a floating type: the floating type (``int64 + float32 -> float32``; cast first
   for float64). This keeps GPU code in float32 unless float64 is asked for.
4. Two floating types or two integer types of the same signedness: the wider one.
5. Signed and unsigned integers: the wider type when it is signed and strictly wider
   (``int64 + uint32 -> int64``); otherwise a KernelTypeError asking for an explicit cast.
6. Literals are weak (as numpy 2): a Python int literal takes the other operand's type (a float
   type too), a Python float literal takes the other operand's floating type, or float32 when
   the other operand is an integer. A lone int literal is int32 (int64 when it does not fit); a
   lone float literal is float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScalarType:
    """A scalar element type, named as numpy names it."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def bits(self) -> int:
        return 8 if self.name == "bool" else self.dtype.itemsize * 8

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def is_integer(self) -> bool:
        return self.dtype.kind in "iu"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind == "i"

    @property
    def is_float(self) -> bool:
        return self.dtype.kind == "f"

    def __str__(self) -> str:
        return self.name


BOOL = ScalarType("bool")
INT8, INT16, INT32, INT64 = (ScalarType(f"int{b}") for b in (8, 16, 32, 64))
UINT8, UINT16, UINT32, UINT64 = (ScalarType(f"uint{b}") for b in (8, 16, 32, 64))
FLOAT16, FLOAT32, FLOAT64 = (ScalarType(f"float{b}") for b in (16, 32, 64))

SCALAR_TYPES = {
    t.name: t
    for t in (
        BOOL,
        INT8,
        INT16,
        INT32,
        INT64,
        UINT8,
        UINT16,
        UINT32,
        UINT64,
        FLOAT16,
        FLOAT32,
        FLOAT64,
    )
}


@dataclass(frozen=True)
class ArrayType:
    """A global-memory array parameter. ``dtype`` None means generic (specialized at launch);
    ``ndim`` is the number of indices the kernel uses with it."""

    dtype: ScalarType | None
    ndim: int

    def __str__(self) -> str:
        return f"Array[{self.dtype or 'generic'}, {self.ndim}-D]"


@dataclass(frozen=True)
class FixedArrayType:
    """An array declared in a kernel with a constant shape: indexed like an array parameter,
    its extents are constants. The subclasses say where it lives."""

    dtype: ScalarType
    shape: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class SharedArrayType(FixedArrayType):
    """A work-group-local array made by ``dc.shared_array(shape, dtype)``."""

    def __str__(self) -> str:
        return f"shared_array[{self.dtype}, {self.shape}]"


@dataclass(frozen=True)
class PrivateArrayType(FixedArrayType):
    """A work-item's own array made by ``dc.private_array(shape, dtype)``, zeroed where it is
    declared (registers on GPUs when every index is a constant after unrolling)."""

    def __str__(self) -> str:
        return f"private_array[{self.dtype}, {self.shape}]"


@dataclass(frozen=True)
class VoidType:
    """The type of a function that returns nothing."""

    def __str__(self) -> str:
        return "void"


VOID = VoidType()


@dataclass(frozen=True)
class TupleType:
    """What a device function returning several values returns (``return a, b``); the caller
    unpacks it at once (``x, y = f(...)``), so no local or array ever holds one."""

    elements: tuple[ScalarType, ...]

    def __str__(self) -> str:
        return f"tuple[{', '.join(map(str, self.elements))}]"


KernelType = ScalarType | ArrayType | FixedArrayType | VoidType | TupleType
