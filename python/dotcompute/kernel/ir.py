# python/dotcompute/kernel/ir.py
# The typed IR: what the frontend produces and every code generator consumes.
"""Typed intermediate representation of kernels and device functions.

Every expression carries its type; the frontend has checked everything, so generators only
print. Locations (``loc``) point into the user's source for diagnostics at specialization time.

Conventions the generators rely on:

- ``BinOp`` ``//`` and ``%`` on signed integers follow Python (floor division, result of ``%`` has
  the sign of the divisor); on floats ``//`` is ``floor(a / b)`` and ``%`` is Python's modulo.
  Integer division by zero gives 0 (no trap), as the CPU built-ins.
- ``Index`` expressions hold one index per dimension of the array (array types carry ndim);
  negative indices are not wrapped (C semantics; out-of-range access is undefined, as in CUDA).
- ``For`` is Python's ``range(start, stop, step)``: ``step`` is never 0 (checked when constant,
  else the generated code must loop zero times), and the loop variable is read-only in the body.
- ``Barrier`` may appear at top level or inside If/For/While whose conditions are uniform across
  the work-group (documented requirement; not verified).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import ArrayType, KernelType, PrivateArrayType, ScalarType, SharedArrayType


@dataclass(frozen=True)
class Location:
    filename: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}"


# ---------------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------------


@dataclass
class Expr:
    type: KernelType
    loc: Location | None = field(default=None, kw_only=True, compare=False)


@dataclass
class Const(Expr):
    value: bool | int | float


def constant(value: bool | int | float, t: ScalarType) -> Const:
    """``value`` as a constant of type ``t`` (a Python float, int or bool as the type wants)."""
    if t.is_float:
        value = float(value)
    elif t.is_bool:
        value = bool(value)
    else:
        value = int(value)
    return Const(type=t, value=value)


@dataclass
class Var(Expr):
    """A local variable, a scalar parameter, an array parameter, or a shared or private array."""

    name: str


@dataclass
class BinOp(Expr):
    op: str  # + - * / // % ** & | ^ << >>
    left: Expr
    right: Expr


@dataclass
class UnaryOp(Expr):
    op: str  # - + ~ not
    operand: Expr


@dataclass
class Compare(Expr):
    """One comparison (chains are lowered to BoolOp('and', ...)); type is bool."""

    op: str  # < <= > >= == !=
    left: Expr
    right: Expr


@dataclass
class BoolOp(Expr):
    """Short-circuit and/or over bool operands; type is bool."""

    op: str  # and or
    values: list[Expr]


@dataclass
class Select(Expr):
    """``body if condition else orelse``; only the chosen side is evaluated."""

    condition: Expr
    body: Expr
    orelse: Expr


@dataclass
class Cast(Expr):
    """Conversion to ``type`` (C conversion semantics; float to int truncates)."""

    value: Expr


@dataclass
class Index(Expr):
    """Element of a global or shared array: ``array[indices...]``; indices are int64."""

    array: Var
    indices: list[Expr]


@dataclass
class ArrayShape(Expr):
    """``array.shape[dim]`` (int64; dim is a constant)."""

    array: Var
    dim: int


@dataclass
class ArraySize(Expr):
    """``array.size`` (int64)."""

    array: Var


@dataclass
class WorkItemQuery(Expr):
    """global_id, local_id, group_id, local_size, global_size, num_groups (int64)."""

    query: str
    dim: int


@dataclass
class MathCall(Expr):
    """A math intrinsic: sqrt exp log sin cos tan tanh abs min max floor ceil pow fma (and the
    others listed in frontend.MATH_FUNCTIONS); arguments already converted to ``type`` except
    abs/min/max on integers, which keep integer types."""

    function: str
    args: list[Expr]


@dataclass
class AtomicOp(Expr):
    """Atomic read-modify-write on ``array[indices]``; evaluates to the old value.
    op: add sub min max exchange cas; cas has two operands (compare, value)."""

    op: str
    array: Var
    indices: list[Expr]
    operands: list[Expr]


@dataclass
class FuncCall(Expr):
    """Call of a ``@dc.func`` device function (already specialized: see Function.name)."""

    function: str
    args: list[Expr]


@dataclass
class TupleValue(Expr):
    """``return a, b`` in a device function: ``values`` already converted to the elements of
    ``type`` (a TupleType). Appears only as the value of a Return."""

    values: list[Expr]


# ---------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------


@dataclass
class Stmt:
    loc: Location | None = field(default=None, kw_only=True, compare=False)


@dataclass
class Assign(Stmt):
    """``target = value`` for a local scalar; ``declare`` on the first assignment in scope."""

    target: Var
    value: Expr
    declare: bool = False


@dataclass
class Unpack(Stmt):
    """``targets = value``: the values of a call of a device function returning a TupleType,
    one to each target, a scalar local of exactly that element's type (the lowering converts
    and stores from there, so ``a, b[i] = f(x)`` keeps Python's conversions and order)."""

    targets: list[Var]
    value: FuncCall


@dataclass
class Store(Stmt):
    """``array[indices] = value`` (value already converted to the element type)."""

    target: Index
    value: Expr


@dataclass
class ExprStmt(Stmt):
    """An expression evaluated for its effect (atomics, device function calls)."""

    value: Expr


@dataclass
class If(Stmt):
    condition: Expr
    body: list[Stmt]
    orelse: list[Stmt]


@dataclass
class For(Stmt):
    """``for var in range(start, stop, step)``; all int64 unless the loop variable's type says
    otherwise. ``step_sign`` is +1/-1 when the step is a constant, 0 when only known at run
    time."""

    var: Var
    start: Expr
    stop: Expr
    step: Expr
    step_sign: int
    body: list[Stmt]


@dataclass
class While(Stmt):
    condition: Expr
    body: list[Stmt]


@dataclass
class Break(Stmt):
    pass


@dataclass
class Continue(Stmt):
    pass


@dataclass
class Return(Stmt):
    value: Expr | None


@dataclass
class Barrier(Stmt):
    """Work-group barrier (also a memory fence for shared and global memory)."""


@dataclass
class SharedArrayDecl(Stmt):
    var: Var  # its type is SharedArrayType


@dataclass
class PrivateArrayDecl(Stmt):
    """``name = dc.private_array(shape, dtype)``: the work-item's array, zeroed here."""

    var: Var  # its type is PrivateArrayType


# ---------------------------------------------------------------------------------------------
# Functions and kernels
# ---------------------------------------------------------------------------------------------


@dataclass
class Param:
    name: str
    type: ScalarType | ArrayType


@dataclass
class Function:
    """A specialized kernel or device function.

    ``name`` is unique within a module (the generator uses it as the C symbol stem); ``locals``
    maps every local scalar to its type (declared at first assignment); ``callees`` are the
    device functions it calls, in an order where callees come before callers.
    """

    name: str
    python_name: str
    params: list[Param]
    return_type: KernelType
    body: list[Stmt]
    locals: dict[str, ScalarType]
    is_kernel: bool
    uses_barrier: bool = False
    shared_arrays: dict[str, SharedArrayType] = field(default_factory=dict)
    private_arrays: dict[str, PrivateArrayType] = field(default_factory=dict)
    callees: list[Function] = field(default_factory=list)
    loc: Location | None = None

    @property
    def array_params(self) -> list[Param]:
        return [p for p in self.params if isinstance(p.type, ArrayType)]
