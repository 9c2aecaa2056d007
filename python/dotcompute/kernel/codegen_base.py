# python/dotcompute/kernel/codegen_base.py
# The generator structure shared by the C, CUDA C++, OpenCL C and MSL code generators.
# ruff: noqa: N802  (emit_<IRNodeClass> methods are named after the IR classes)
"""Shared structure of the code generators.

All four targets print C-family source, so the printing lives here: one ``emit_<Node>`` method
per IR node class (expressions return a :class:`CExpr`, statements write lines), the Python
semantics of the operators (floor division, modulo, shifts, integer power, min/max, saturating
float-to-int conversion) as small helper functions in the target's dialect, the analyses every
target needs (which array extents and work-item queries a function uses, which loop variables
outlive their loop), and collision-free C names that keep the user's spelling.

A target subclass supplies the parts that differ, as small hooks: type names
(:meth:`scalar_type`, :meth:`storage_type`), :meth:`math_function`, :meth:`emit_AtomicOp`,
:meth:`work_item_query`, :meth:`emit_Barrier`, :meth:`emit_SharedArrayDecl`, the qualifiers of
device functions and helpers, and the translation unit's prologue and kernel entry point.

Nothing is silently dropped: a node a target cannot express raises
:class:`~dotcompute.errors.UnsupportedError` naming the kernel's source location.

Note [Operator semantics] (the IR's conventions, made exact; every target prints these):

- ``+ - *`` and unary ``-`` wrap for unsigned types and for types narrower than 32 bits
  (computed in C's ``int`` and converted back). Overflow of 32- and 64-bit signed ``+ - *`` and
  of ``-INT_MIN`` is undefined, as in CUDA C++, OpenCL C and MSL, so that every target agrees
  and the compiler may reason about loop counters: ``-fwrapv`` would make it wrap but stops gcc
  from splitting loops at the usual ``if i < n:`` guard, which halves the speed of such kernels
  on CPUs without masked stores (measured: vector add 1M float32, x86-64-v3, 314 vs 147 us).
- ``//`` and ``%`` on integers: floor division and a remainder with the divisor's sign; a zero
  divisor gives 0 for both (no trap); ``INT_MIN // -1`` wraps to ``INT_MIN`` (numpy's results).
  On floats ``//`` and ``%`` follow Python's ``divmod`` (both derived from ``fmod``, so
  ``1.0 // 0.1`` is 9.0 where ``floor(1.0 / 0.1)`` is 10.0; a zero ``%`` result takes the divisor's
  sign); a zero divisor gives ``a / b`` for ``//`` (inf or nan, as numpy). Integer ``//`` and
  ``%`` by a constant power of two print as an arithmetic shift and a mask, which give exactly
  these results (two's complement) without the helpers' branches, so such loops still
  vectorize (CPU, ``x[i // 4] + i % 8`` over 16M float32: 11.8 -> 5.4 ms).
- ``**`` on floats is ``pow``; on integers exact repeated squaring with wrap-around; a negative
  exponent gives 0 except for bases 1 and -1 (the truncated real result; 0 ** -n gives 0).
- ``<<`` and ``>>`` follow numpy: a count outside ``[0, bits)`` gives 0, or -1 for ``>>`` of a
  negative signed value; ``>>`` on signed values is arithmetic.
- Float to integer conversion saturates at the target type's limits and maps NaN to 0
  (C leaves out-of-range conversions undefined; this matches Rust and WebAssembly).
- ``min``/``max`` follow Python: ``min(a, b)`` is ``b if b < a else a``, so with a NaN the result
  depends on the order exactly as in Python (a NaN first argument is kept, a NaN second argument
  is ignored); more arguments fold from the left. ``abs`` of the most negative integer wraps.
- float16 values compute in float32: loads convert to float32, stores to float16 arrays and
  explicit casts to float16 round to half precision; float16 locals are held in float32.

Note [Private arrays] ``dc.private_array(shape, dtype)`` is a C array of the function (flat,
row-major, in the storage type, so float16 elements round like a float16 array's), declared and
zeroed with ``= {0}`` at the top of the function: the lowering only accepts the declaration at
the top level of the body, where it runs exactly once and before any use, so hoisting it changes
nothing and keeps it in scope of every block the target wraps statements in. GPU compilers keep
it in registers when every index is a constant after unrolling, else in local memory, so the GPU
targets (``unroll_private_loops``) put ``#pragma unroll`` before each loop of constant bounds
that indexes a private array, up to MAX_UNROLLED_STATEMENTS statements unrolled; OpenCL asks
for it only on GPU devices (CPU devices vectorize across work-items instead: unrolled, PoCL ran
a register-blocked GEMM 2x slower). A call that is passed a private array counts as indexing
it (device functions are inlined). The CPU's kernels with barriers keep private arrays per
work-item in scratch memory, each work-item's copy contiguous so that it can be passed to a
device function, like the other locals that live across barriers (codegen_c, Note
[Barriers]).
"""

from __future__ import annotations

import abc
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..errors import UnsupportedError
from . import ir, naming
from .types import (
    BOOL,
    FLOAT16,
    FLOAT32,
    INT32,
    INT64,
    UINT32,
    UINT64,
    ArrayType,
    FixedArrayType,
    PrivateArrayType,
    ScalarType,
    SharedArrayType,
    TupleType,
)

#: The most statements a loop that unroll_private_loops unrolls may become (Note [Private
#: arrays]): enough for an 8 x 8 register block over 16 k steps, not so many that compile
#: times or instruction caches suffer.
MAX_UNROLLED_STATEMENTS = 2048

# C operator precedence (higher binds tighter); shared by every C-family target.
PREC_PRIMARY = 16
PREC_UNARY = 15
PREC_MUL = 13
PREC_ADD = 12
PREC_SHIFT = 11
PREC_RELATIONAL = 10
PREC_EQUALITY = 9
PREC_BITAND = 8
PREC_BITXOR = 7
PREC_BITOR = 6
PREC_AND = 5
PREC_OR = 4
PREC_CONDITIONAL = 3

_BINARY_PRECEDENCE = {
    "*": PREC_MUL,
    "/": PREC_MUL,
    "+": PREC_ADD,
    "-": PREC_ADD,
    "<<": PREC_SHIFT,
    ">>": PREC_SHIFT,
    "&": PREC_BITAND,
    "^": PREC_BITXOR,
    "|": PREC_BITOR,
}
_COMPARE_PRECEDENCE = {
    "<": PREC_RELATIONAL,
    "<=": PREC_RELATIONAL,
    ">": PREC_RELATIONAL,
    ">=": PREC_RELATIONAL,
    "==": PREC_EQUALITY,
    "!=": PREC_EQUALITY,
}

WORK_ITEM_QUERIES = ("global_id", "local_id", "group_id", "local_size", "global_size", "num_groups")

# Math intrinsics printed as a call of the C math function of the same name (the double
# version; targets add their float suffix). Arity is checked so that a malformed IR fails here.
MATH_FUNCTION_ARITY = {
    "sqrt": 1,
    "cbrt": 1,
    "exp": 1,
    "exp2": 1,
    "expm1": 1,
    "log": 1,
    "log2": 1,
    "log10": 1,
    "log1p": 1,
    "sin": 1,
    "cos": 1,
    "tan": 1,
    "asin": 1,
    "acos": 1,
    "atan": 1,
    "atan2": 2,
    "sinh": 1,
    "cosh": 1,
    "tanh": 1,
    "asinh": 1,
    "acosh": 1,
    "atanh": 1,
    "erf": 1,
    "erfc": 1,
    "floor": 1,
    "ceil": 1,
    "trunc": 1,
    "fabs": 1,
    "pow": 2,
    "fma": 3,
    "copysign": 2,
    "hypot": 2,
    "fmod": 2,
    "fmin": 2,
    "fmax": 2,
}
# Python names that map to a differently named C function.
MATH_FUNCTION_ALIASES = {"round": "rint", "abs": "fabs"}
MATH_PREDICATES = ("isnan", "isinf", "isfinite")


def _words(text: str) -> list[str]:
    return text.split()


# Identifiers a user name must not take: C keywords, the names <stdint.h>, <stdbool.h> and
# <math.h> declare (functions and macros), and the C++/OpenCL/MSL words the other targets need.
_C_KEYWORDS = _words(
    """
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
_Static_assert _Thread_local _Float16 bool true false asm typeof main
class namespace template typename this new delete operator private protected public virtual
friend using try catch throw explicit mutable constexpr nullptr decltype noexcept alignas alignof
static_assert thread_local char16_t char32_t wchar_t and or not xor bitand bitor compl
half kernel global local constant device threadgroup thread vec uchar ushort uint ulong size_t
ptrdiff_t intptr_t uintptr_t
"""
)
_MATH_NAMES = _words(
    """
acos acosh asin asinh atan atan2 atanh cbrt ceil copysign cos cosh erf erfc exp exp2 expm1 fabs
fdim floor fma fmax fmin fmod frexp hypot ilogb ldexp lgamma llrint llround log log10 log1p log2
logb lrint lround modf nan nearbyint nextafter nexttoward pow remainder remquo rint round scalbln
scalbn sin sinh sqrt tan tanh tgamma trunc j0 j1 jn y0 y1 yn gamma drem significand exp10
pow10 sincos isnan isinf isfinite isnormal signbit fpclassify isgreater isgreaterequal isless
islessequal islessgreater isunordered abs labs llabs div min max clamp mix rsqrt select
"""
)
RESERVED_NAMES = frozenset(
    _C_KEYWORDS
    + _MATH_NAMES
    + [n + "f" for n in _MATH_NAMES]
    + [n + "l" for n in _MATH_NAMES]
    + ["float_t", "double_t", "errno", "launch", "args", "scratch"]
)
# Macro-like names from the C headers: any identifier with these prefixes is renamed.
_RESERVED_PREFIX = re.compile(
    r"^(dc_|__|_[A-Z]|M_|FP_|INT\d|UINT\d|INTMAX|UINTMAX|INTPTR|UINTPTR|HUGE_|MATH_|SIZE_|"
    r"PTRDIFF_|SIG_ATOMIC|WCHAR_|WINT_|INFINITY$|NAN$|FLT_|DBL_|LDBL_|EOF$|NULL$|I$)"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class CExpr:
    """A printed expression and the precedence of its outermost operator."""

    text: str
    prec: int

    def at(self, min_prec: int) -> str:
        """The text, parenthesized when it binds looser than ``min_prec``."""
        return self.text if self.prec >= min_prec else f"({self.text})"


class SourceWriter:
    """Lines of source with block indentation."""

    def __init__(self, indent_unit: str = "    ") -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.indent_unit = indent_unit

    def line(self, text: str = "") -> None:
        self.lines.append(self.indent_unit * self.depth + text if text else "")

    def open(self, text: str) -> None:
        """A line ending in ``{``, after which the indentation grows."""
        self.line(text)
        self.depth += 1

    def close(self, text: str = "}") -> None:
        self.depth -= 1
        self.line(text)

    def reopen(self, text: str) -> None:
        """``} else {`` and the like: closes and opens a block on one line."""
        self.depth -= 1
        self.line(text)
        self.depth += 1

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.open(header + " {")
        yield
        self.close()

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class NameTable:
    """C names for one C function: the user's names where possible (renamed only when they
    collide with a reserved word, with a header's name or with each other), and fresh names
    for the generator's own variables that never collide with the user's."""

    def __init__(self, reserved: frozenset[str] | set[str] = RESERVED_NAMES) -> None:
        self.reserved = reserved
        self.taken: set[str] = set()
        self.user_names: dict[str, str] = {}

    def user(self, name: str) -> str:
        if name in self.user_names:
            return self.user_names[name]
        candidate = name if _IDENTIFIER.match(name) else _ascii_identifier(name)
        if _RESERVED_PREFIX.match(candidate) or candidate in self.reserved:
            candidate += "_"
        while candidate in self.taken:
            candidate += "_"
        self.taken.add(candidate)
        self.user_names[name] = candidate
        return candidate

    def fresh(self, stem: str) -> str:
        candidate, counter = stem, 1
        while candidate in self.taken or candidate in self.reserved:
            counter += 1
            candidate = f"{stem}_{counter}"
        self.taken.add(candidate)
        return candidate


def _ascii_identifier(name: str) -> str:
    """Python allows non-ASCII identifiers; C compilers differ, so spell them in ASCII."""
    out = "".join(c if c.isascii() and (c.isalnum() or c == "_") else f"_u{ord(c):x}" for c in name)
    return out if not out[0].isdigit() else "_" + out


# ---------------------------------------------------------------------------------------------
# IR walking
# ---------------------------------------------------------------------------------------------


# The direct sub-expressions of each expression class, looked up by exact type: generators walk
# the IR many times per kernel, and a dict lookup beats a chain of isinstance tests.
_CHILD_EXPRS: dict[type, Callable[[ir.Expr], tuple[ir.Expr, ...]]] = {
    ir.BinOp: lambda e: (e.left, e.right),
    ir.Compare: lambda e: (e.left, e.right),
    ir.UnaryOp: lambda e: (e.operand,),
    ir.BoolOp: lambda e: tuple(e.values),
    ir.Select: lambda e: (e.condition, e.body, e.orelse),
    ir.Cast: lambda e: (e.value,),
    ir.Index: lambda e: (e.array, *e.indices),
    ir.ArrayShape: lambda e: (e.array,),
    ir.ArraySize: lambda e: (e.array,),
    ir.MathCall: lambda e: tuple(e.args),
    ir.FuncCall: lambda e: tuple(e.args),
    ir.TupleValue: lambda e: tuple(e.values),
    ir.AtomicOp: lambda e: (e.array, *e.indices, *e.operands),
}


def child_exprs(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    children = _CHILD_EXPRS.get(type(expr))
    return children(expr) if children is not None else ()


def walk_expr(expr: ir.Expr) -> Iterator[ir.Expr]:
    """Every expression below ``expr``, itself first, depth first and left to right."""
    pending = [expr]
    while pending:
        current = pending.pop()
        yield current
        children = _CHILD_EXPRS.get(type(current))
        if children is not None:
            pending.extend(reversed(children(current)))


def stmt_exprs(stmt: ir.Stmt) -> list[ir.Expr]:
    """The expressions directly in ``stmt`` (not those of nested statements)."""
    if isinstance(stmt, ir.Assign):
        return [stmt.target, stmt.value]
    if isinstance(stmt, ir.Store):
        return [stmt.target, stmt.value]
    if isinstance(stmt, ir.ExprStmt):
        return [stmt.value]
    if isinstance(stmt, ir.Unpack):
        return [*stmt.targets, stmt.value]
    if isinstance(stmt, (ir.If, ir.While)):
        return [stmt.condition]
    if isinstance(stmt, ir.For):
        return [stmt.var, stmt.start, stmt.stop, stmt.step]
    if isinstance(stmt, ir.Return):
        return [stmt.value] if stmt.value is not None else []
    if isinstance(stmt, ir.SharedArrayDecl | ir.PrivateArrayDecl):
        return [stmt.var]
    return []


def child_stmts(stmt: ir.Stmt) -> list[ir.Stmt]:
    if isinstance(stmt, ir.If):
        return [*stmt.body, *stmt.orelse]
    if isinstance(stmt, (ir.For, ir.While)):
        return list(stmt.body)
    return []


def walk_stmts(stmts: list[ir.Stmt]) -> Iterator[ir.Stmt]:
    for stmt in stmts:
        yield stmt
        yield from walk_stmts(child_stmts(stmt))


def walk_exprs(stmts: list[ir.Stmt]) -> Iterator[ir.Expr]:
    for stmt in walk_stmts(stmts):
        for expr in stmt_exprs(stmt):
            yield from walk_expr(expr)


def contains_barrier(stmt: ir.Stmt) -> bool:
    return any(isinstance(s, ir.Barrier) for s in walk_stmts([stmt]))


def escaping_loop_variables(body: list[ir.Stmt]) -> set[str]:
    """Loop variables used outside the loops that bind them (Python keeps a loop variable's
    last value after the loop; C's for-scoped counter would not)."""
    loop_names = {s.var.name for s in walk_stmts(body) if isinstance(s, ir.For)}
    escaping: set[str] = set()

    def visit(stmts: list[ir.Stmt], bound: frozenset[str]) -> None:
        for stmt in stmts:
            inner = bound | {stmt.var.name} if isinstance(stmt, ir.For) else bound
            exprs = stmt_exprs(stmt)
            if isinstance(stmt, ir.For):
                exprs = [stmt.start, stmt.stop, stmt.step]
            for expr in exprs:
                for node in walk_expr(expr):
                    if isinstance(node, ir.Var) and node.name in loop_names - bound:
                        escaping.add(node.name)
            visit(child_stmts(stmt), inner)

    visit(body, frozenset())
    return escaping


def assigned_locals(stmt: ir.Stmt) -> list[ir.Var]:
    """The locals ``stmt`` itself assigns (not those of nested statements)."""
    if isinstance(stmt, ir.Assign):
        return [stmt.target]
    if isinstance(stmt, ir.Unpack):
        return list(stmt.targets)
    return []


def variables_read(body: list[ir.Stmt]) -> set[str]:
    """Names read anywhere (the targets of Assign and Unpack are writes, not reads)."""
    names: set[str] = set()
    for stmt in walk_stmts(body):
        written = assigned_locals(stmt)
        for expr in stmt_exprs(stmt):
            if any(expr is target for target in written):
                continue
            names.update(n.name for n in walk_expr(expr) if isinstance(n, ir.Var))
    return names


def _power_of_two_exponent(divisor: ir.Expr) -> int | None:
    """k when divisor is the integer constant 2**k (k >= 0), else None."""
    if not isinstance(divisor, ir.Const) or type(divisor.value) is not int:
        return None
    value = divisor.value
    return value.bit_length() - 1 if value > 0 and value & (value - 1) == 0 else None


def _unrolls_private_indices(loop: ir.For) -> bool:
    """Whether ``loop`` gets ``#pragma unroll`` (Note [Private arrays]): see _loop_unrolling."""
    return _loop_unrolling(loop)[0]


def _loop_unrolling(loop: ir.For) -> tuple[bool, int]:
    """(whether loop is unrolled, the statements it stands for). It is when its bounds are
    constants, its body uses a private array (unrolling can make those indices constants),
    and, unrolled with the loops picked inside it, it comes to at most MAX_UNROLLED_STATEMENTS
    statements. Each loop's body is measured once."""
    body = _unrolled_size(loop.body)
    bounds = (loop.start, loop.stop, loop.step)
    if all(isinstance(b, ir.Const) for b in bounds) and any(
        _uses_private_array(n) for n in walk_exprs(loop.body)
    ):
        unrolled = len(range(*(int(b.value) for b in bounds))) * body
        if unrolled <= MAX_UNROLLED_STATEMENTS:
            return True, unrolled
    return False, 1 + body


def _uses_private_array(node: ir.Expr) -> bool:
    """An element of a private array, or a call that is passed one (inlined, its indices can
    become constants too)."""
    if isinstance(node, ir.Index):
        return isinstance(node.array.type, PrivateArrayType)
    return isinstance(node, ir.FuncCall) and any(
        isinstance(a.type, PrivateArrayType) for a in node.args
    )


def _unrolled_size(stmts: list[ir.Stmt]) -> int:
    """Statements of ``stmts`` once the loops _loop_unrolling picks are unrolled."""
    total = 0
    for stmt in stmts:
        if isinstance(stmt, ir.For):
            total += _loop_unrolling(stmt)[1]
        else:
            total += 1 + _unrolled_size(child_stmts(stmt))
    return total


def definitely_returns(stmts: list[ir.Stmt]) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ir.Return):
        return True
    if isinstance(last, ir.If):
        return definitely_returns(last.body) and definitely_returns(last.orelse)
    return False


@dataclass
class FunctionInfo:
    """What a function uses, including what its callees use through its arguments."""

    extents: dict[str, set[int]] = field(default_factory=dict)  # array param -> dims read
    queries: set[tuple[str, int]] = field(default_factory=set)  # (query, dim), transitively
    uses_array: set[str] = field(default_factory=set)  # array params referenced at all


def analyze_function(function: ir.Function, callees: dict[str, FunctionInfo]) -> FunctionInfo:
    info = FunctionInfo()
    callee_functions = {c.name: c for c in function.callees}
    for expr in walk_exprs(function.body):
        if isinstance(expr, ir.Var) and isinstance(expr.type, ArrayType):
            info.uses_array.add(expr.name)
        if isinstance(expr, ir.Index | ir.AtomicOp) and isinstance(expr.array.type, ArrayType):
            ndim = len(expr.indices)
            info.extents.setdefault(expr.array.name, set()).update(range(1, ndim))
        elif isinstance(expr, ir.ArrayShape) and isinstance(expr.array.type, ArrayType):
            info.extents.setdefault(expr.array.name, set()).add(expr.dim)
        elif isinstance(expr, ir.ArraySize) and isinstance(expr.array.type, ArrayType):
            info.extents.setdefault(expr.array.name, set()).update(range(expr.array.type.ndim))
        elif isinstance(expr, ir.WorkItemQuery):
            info.queries.add((expr.query, expr.dim))
        elif isinstance(expr, ir.FuncCall):
            callee_info = callees.get(expr.function)
            callee = callee_functions.get(expr.function)
            if callee_info is None or callee is None:
                raise UnsupportedError(
                    f"{_where(expr)}call of device function {expr.function!r}, which is not "
                    f"among the callees of {function.python_name!r}"
                )
            info.queries |= callee_info.queries
            for param, arg in zip(callee.params, expr.args, strict=True):
                if isinstance(param.type, ArrayType) and isinstance(arg, ir.Var):
                    dims = callee_info.extents.get(param.name, set())
                    if isinstance(arg.type, ArrayType):
                        info.extents.setdefault(arg.name, set()).update(dims)
    return info


def _where(node: ir.Expr | ir.Stmt | ir.Function | None) -> str:
    loc = getattr(node, "loc", None)
    return f"{loc}: " if loc is not None else ""


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


class CodeGenerator(abc.ABC):
    """Prints IR as C-family source. Subclasses implement the hooks marked "target hook"."""

    target = "generic"
    #: Whether loops of a constant trip count that index a private array get ``#pragma
    #: unroll`` (Note [Private arrays]): set by the GPU targets.
    unroll_private_loops = False

    def __init__(self) -> None:
        self.helpers: dict[str, str] = {}  # helper name -> definition, in first-use order
        self.out = SourceWriter()
        self.function: ir.Function | None = None
        self.names = NameTable()
        self.infos: dict[str, FunctionInfo] = {}
        self.function_names: dict[str, str] = {}  # ir function name -> C name
        self.functions: dict[str, ir.Function] = {}
        self.loop_names: dict[str, str] = {}  # loop variables printed as plain C counters
        self.escaping: set[str] = set()  # loop variables read after their loop
        self.hoist_loop_bounds = False

    # ----- target hooks -------------------------------------------------------------------

    @abc.abstractmethod
    def scalar_type(self, t: ScalarType) -> str:
        """Target hook: the type of a value of ``t`` in registers (float16 computes as float)."""

    def storage_type(self, t: ScalarType) -> str:
        """Target hook: the element type of ``t`` in memory."""
        return self.scalar_type(t)

    def helper_qualifiers(self) -> str:
        """Target hook: the qualifiers of helper and device functions."""
        return "static inline"

    def float_suffix(self, t: ScalarType) -> str:
        return "f" if self.compute_type(t) == FLOAT32 else ""

    def math_function(self, name: str, t: ScalarType) -> str:
        """Target hook: the name of math function ``name`` (C spelling, double version) for
        values of float type ``t``."""
        return name + self.float_suffix(t)

    @abc.abstractmethod
    def work_item_query(self, query: str, dim: int) -> CExpr:
        """Target hook: the value of ``dc.<query>(dim)`` for the current work-item."""

    def variable_ref(self, var: ir.Var) -> CExpr:
        """Target hook: a local variable's storage (the CPU keeps some in per-item scratch)."""
        return CExpr(self.names.user(var.name), PREC_PRIMARY)

    def round_to_half(self, value: CExpr) -> CExpr:
        """Target hook: ``value`` (a float) rounded to float16 precision, still a float."""
        float16 = self.storage_type(FLOAT16)
        return CExpr(f"(float)({float16}){value.at(PREC_UNARY)}", PREC_UNARY)

    def unused_attribute(self) -> str:
        """Target hook: the attribute that silences warnings on a variable never read."""
        return "__attribute__((unused))"

    # ----- helpers ------------------------------------------------------------------------

    def compute_type(self, t: ScalarType) -> ScalarType:
        return FLOAT32 if t == FLOAT16 else t

    def type_suffix(self, t: ScalarType) -> str:
        # float16 helpers compute in float32 (see the float16 note), so they share its suffix.
        return naming.type_code(FLOAT32 if t.name == "float16" else t)

    def fail(self, node: object, message: str) -> UnsupportedError:
        return UnsupportedError(
            f"{_where(node)}{message} (target {self.target!r}"
            + (f", function {self.function.python_name!r})" if self.function else ")")
        )

    def require_helper(self, name: str, make: Callable[[], str]) -> str:
        if name not in self.helpers:
            self.helpers[name] = make()
        return name

    def helper_definitions(self) -> str:
        return "\n".join(self.helpers.values())

    def call(self, name: str, *args: CExpr | str) -> CExpr:
        texts = [a.text if isinstance(a, CExpr) else a for a in args]
        return CExpr(f"{name}({', '.join(texts)})", PREC_PRIMARY)

    def cast(self, t: ScalarType, value: CExpr) -> CExpr:
        return CExpr(f"({self.scalar_type(t)}){value.at(PREC_UNARY)}", PREC_UNARY)

    @staticmethod
    def is_narrow_integer(t: ScalarType) -> bool:
        """Types C promotes to int before arithmetic: results must be converted back."""
        return t.is_integer and t.bits < 32

    # ----- literals and conversions --------------------------------------------------------

    def literal(self, value: bool | int | float, t: ScalarType) -> CExpr:
        if t.is_bool:
            return CExpr("true" if value else "false", PREC_PRIMARY)
        if t.is_float:
            return self.float_literal(float(value), t)
        value = int(value)
        bits = t.bits
        if t.is_signed:
            value = (value + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
        else:
            value %= 1 << bits
        return self.integer_literal(value, t)

    def integer_literal(self, value: int, t: ScalarType) -> CExpr:
        # Small values stay short (`a[i] + 1` reads better than `a[i] + INT64_C(1)`); C's usual
        # conversions widen them next to a 64-bit operand. Where no such operand exists (two
        # literals, or a literal shifted), emit_BinOp and emit_shift cast.
        if t.is_signed:
            if -(2**31) < value < 2**31:
                return CExpr(str(value), PREC_UNARY if value < 0 else PREC_PRIMARY)
            if value == -(2**31):
                return CExpr("(-2147483647 - 1)", PREC_PRIMARY)
            return self.int64_literal(value)
        if t.bits < 32:
            return CExpr(str(value), PREC_PRIMARY)
        if value < 2**32:
            return CExpr(f"{value}u", PREC_PRIMARY)
        return self.uint64_literal(value)

    def int64_literal(self, value: int) -> CExpr:
        """An int64 constant (target hook: the spelling of 64-bit literals differs)."""
        if value == -(2**63):
            return CExpr("INT64_MIN", PREC_PRIMARY)
        if value < 0:
            return CExpr(f"-INT64_C({-value})", PREC_UNARY)
        return CExpr(f"INT64_C({value})", PREC_PRIMARY)

    def uint64_literal(self, value: int) -> CExpr:
        """A uint64 constant (target hook)."""
        return CExpr(f"UINT64_C({value})", PREC_PRIMARY)

    def float_literal(self, value: float, t: ScalarType) -> CExpr:
        if t == FLOAT16:
            value = float(np.float16(value))
        if math.isnan(value):
            return CExpr("NAN" if self.compute_type(t) == FLOAT32 else "(double)NAN", PREC_UNARY)
        if math.isinf(value):
            text = "INFINITY" if self.compute_type(t) == FLOAT32 else "(double)INFINITY"
            return CExpr(("-" if value < 0 else "") + text, PREC_UNARY)
        if self.compute_type(t) == FLOAT32:
            value32 = float(np.float32(value))
            text = repr(value32) if math.isfinite(value32) else repr(value)
        else:
            text = repr(value)
        if "e" not in text and "." not in text:
            text += ".0"
        text += self.float_suffix(t)
        return CExpr(text, PREC_UNARY if text.startswith("-") else PREC_PRIMARY)

    def convert(self, expr: ir.Expr, to: ScalarType) -> CExpr:
        """``expr`` as a value of type ``to`` (the frontend's casts and implicit promotions)."""
        printed = self.expr(expr)
        source = expr.type
        if not isinstance(source, ScalarType):
            raise self.fail(expr, f"a value of type {source} where {to} is needed")
        # A literal is printed directly in the type it is converted to (no cast of a literal);
        # float literals converted to integers still go through the saturating conversion.
        literal = isinstance(expr, ir.Const) and not source.is_bool and not to.is_bool
        if literal and (source.is_float == to.is_float or to.is_float):
            return self.literal(expr.value, to)
        return self.convert_value(printed, source, to)

    def convert_value(self, value: CExpr, source: ScalarType, to: ScalarType) -> CExpr:
        if source == to:
            return value
        if to.is_bool:
            return CExpr(f"{value.at(PREC_EQUALITY + 1)} != 0", PREC_EQUALITY)
        if to == FLOAT16:
            return self.round_to_half(value)
        if source.is_float and to.is_integer:
            return self.call(self.float_to_int_helper(source, to), value)
        if self.compute_type(source) == self.compute_type(to):
            return value
        return self.cast(to, value)

    def float_to_int_helper(self, source: ScalarType, to: ScalarType) -> str:
        source = self.compute_type(source)
        name = f"dc_convert_{self.type_suffix(source)}_{self.type_suffix(to)}"

        def make() -> str:
            f, i = self.scalar_type(source), self.scalar_type(to)
            suffix = self.float_suffix(source)
            info = np.iinfo(to.dtype)
            # Powers of two are exact in every float type: compare against them, not the limits.
            upper = f"0x1p{to.bits - 1 if to.is_signed else to.bits}{suffix}"
            low_value = self.integer_literal(int(info.min), to).text
            high_value = self.integer_literal(int(info.max), to).text
            lower = f"-0x1p{to.bits - 1}{suffix}" if to.is_signed else f"-1.0{suffix}"
            return (
                f"{self.helper_qualifiers()} {i} {name}({f} x)\n{{\n"
                f"    if (!(x == x)) {{\n        return 0;\n    }}\n"
                f"    if (x <= {lower}) {{\n        return {low_value};\n    }}\n"
                f"    if (x >= {upper}) {{\n        return {high_value};\n    }}\n"
                f"    return ({i})x;\n}}\n"
            )

        return self.require_helper(name, make)

    def common_type(self, a: ScalarType, b: ScalarType) -> ScalarType:
        """Comparison operand type when the frontend left two different types."""
        if a == b:
            return a
        if a.is_float or b.is_float:
            floats = [t for t in (a, b) if t.is_float]
            return max(floats, key=lambda t: t.bits)
        if a.is_bool:
            return b
        if b.is_bool:
            return a
        if a.is_signed == b.is_signed:
            return a if a.bits >= b.bits else b
        return INT64 if max(a.bits, b.bits) < 64 else (a if a.is_signed else b)

    # ----- expressions ---------------------------------------------------------------------

    def expr(self, expr: ir.Expr) -> CExpr:
        method = getattr(self, "emit_" + type(expr).__name__, None)
        if method is None:
            raise self.fail(expr, f"the {type(expr).__name__} expression is not supported")
        return method(expr)

    def scalar(self, expr: ir.Expr) -> ScalarType:
        if not isinstance(expr.type, ScalarType):
            raise self.fail(expr, f"expected a scalar, got {expr.type}")
        return expr.type

    def emit_Const(self, expr: ir.Const) -> CExpr:
        return self.literal(expr.value, self.scalar(expr))

    def emit_Var(self, expr: ir.Var) -> CExpr:
        if expr.name in self.loop_names:
            return CExpr(self.loop_names[expr.name], PREC_PRIMARY)
        if isinstance(expr.type, ScalarType):
            return self.variable_ref(expr)
        return CExpr(self.names.user(expr.name), PREC_PRIMARY)

    def emit_BinOp(self, expr: ir.BinOp) -> CExpr:
        t = self.scalar(expr)
        op = expr.op
        if op in ("<<", ">>"):
            return self.emit_shift(expr, t)
        if op == "//":
            return self.emit_floordiv(expr, t)
        if op == "%":
            return self.emit_modulo(expr, t)
        if op == "**":
            return self.emit_power(expr, t)
        if op not in _BINARY_PRECEDENCE:
            raise self.fail(expr, f"binary operator {op!r} is not supported")
        if op == "/" and not t.is_float:
            raise self.fail(expr, "true division '/' with an integer result type")
        if op in ("+", "-", "*", "/") and t.is_bool:
            raise self.fail(expr, f"arithmetic {op!r} on bool values")
        left = self.convert(expr.left, t)
        right = self.convert(expr.right, t)
        if isinstance(expr.left, ir.Const) and isinstance(expr.right, ir.Const) and t.bits == 64:
            left = self.cast(t, left)  # two literals would otherwise compute in C's int
        prec = _BINARY_PRECEDENCE[op]
        if op == "*" and self.is_narrow_integer(t) and not t.is_signed:
            left = self.cast(UINT32, left)  # uint16 * uint16 overflows C's int
        if prec <= PREC_SHIFT:
            # -Wparentheses: bitwise operands that are operations get parentheses.
            text = f"{left.at(PREC_UNARY)} {op} {right.at(PREC_UNARY)}"
        else:
            text = f"{left.at(prec)} {op} {right.at(prec + 1)}"
        result = CExpr(text, prec)
        if self.is_narrow_integer(t) and op in ("+", "-", "*"):
            return self.cast(t, result)
        return result

    def emit_shift(self, expr: ir.BinOp, t: ScalarType) -> CExpr:
        if not t.is_integer:
            raise self.fail(expr, f"shift {expr.op!r} on {t}")
        left = self.convert(expr.left, t)
        if isinstance(expr.left, ir.Const) and t.bits == 64:
            left = self.cast(t, left)  # `2047u << 52` would shift a 32-bit value and give 0
        count = expr.right
        if isinstance(count, ir.Const) and 0 <= int(count.value) < t.bits:
            text = f"{left.at(PREC_UNARY)} {expr.op} {int(count.value)}"
            result = CExpr(text, PREC_SHIFT)
            return self.cast(t, result) if self.is_narrow_integer(t) else result
        right = self.convert(count, t)
        kind = "shl" if expr.op == "<<" else "shr"
        name = f"dc_{kind}_{self.type_suffix(t)}"

        def make() -> str:
            c = self.scalar_type(t)
            wide = self.scalar_type(UINT64 if t.bits == 64 else UINT32)
            if kind == "shl":
                value = f"({c})(({wide})a << n)"
                overflow = "0"
            else:
                value = "a >> n"
                overflow = "a < 0 ? -1 : 0" if t.is_signed else "0"
            u64 = self.scalar_type(UINT64)
            return (
                f"{self.helper_qualifiers()} {c} {name}({c} a, {c} n)\n{{\n"
                f"    return ({u64})n < {t.bits} ? {value} : {overflow};\n}}\n"
            )

        return self.call(self.require_helper(name, make), left, right)

    def emit_floordiv(self, expr: ir.BinOp, t: ScalarType) -> CExpr:
        left, right = self.convert(expr.left, t), self.convert(expr.right, t)
        if t.is_bool:
            raise self.fail(expr, "'//' on bool values")
        name = f"dc_floordiv_{self.type_suffix(t)}"

        def make_float() -> str:
            # Python's float floor division: derived from fmod, so that a == (a // b) * b + a % b
            # holds where floor(a / b) would round up (1.0 // 0.1 is 9.0, not 10.0). A zero
            # divisor gives a / b (inf or nan), as numpy.
            c = self.scalar_type(t)
            fmod, floor = self.math_function("fmod", t), self.math_function("floor", t)
            copysign = self.math_function("copysign", t)
            zero, one = self.float_literal(0.0, t).text, self.float_literal(1.0, t).text
            half = self.float_literal(0.5, t).text
            lines = [f"{self.helper_qualifiers()} {c} {name}({c} a, {c} b)", "{"]
            lines += [f"    if (b == {zero}) {{", "        return a / b;", "    }"]
            lines += [f"    const {c} remainder = {fmod}(a, b);"]
            lines += [f"    {c} quotient = (a - remainder) / b;"]
            lines += [f"    if (remainder != {zero} && (b < {zero}) != (remainder < {zero})) {{"]
            lines += [f"        quotient -= {one};", "    }"]
            lines += [f"    if (quotient == {zero}) {{"]
            lines += [f"        return {copysign}({zero}, a / b);", "    }"]
            lines += [f"    {c} result = {floor}(quotient);"]
            lines += [f"    if (quotient - result > {half}) {{"]
            lines += [f"        result += {one};", "    }"]
            return "\n".join([*lines, "    return result;", "}", ""])

        if t.is_float:
            return self.call(self.require_helper(name, make_float), left, right)
        shift = _power_of_two_exponent(expr.right)
        if shift is not None:
            # Floor division by 2**k is an arithmetic shift right, negative values included.
            result = CExpr(f"{left.at(PREC_UNARY)} >> {shift}", PREC_SHIFT)
            return self.cast(t, result) if self.is_narrow_integer(t) else result

        def make() -> str:
            c = self.scalar_type(t)
            lines = [f"{self.helper_qualifiers()} {c} {name}({c} a, {c} b)", "{"]
            lines += ["    if (b == 0) {", "        return 0;", "    }"]
            if t.is_signed:
                wide = self.scalar_type(UINT64 if t.bits == 64 else UINT32)
                # a / -1 overflows for the most negative a: negate in unsigned arithmetic.
                lines += ["    if (b == -1) {", f"        return ({c})(0u - ({wide})a);", "    }"]
                lines += [f"    {c} q = a / b;", "    if (q * b != a && (a < 0) != (b < 0)) {"]
                lines += ["        q -= 1;", "    }", "    return q;"]
            else:
                lines += ["    return a / b;"]
            return "\n".join([*lines, "}", ""])

        return self.call(self.require_helper(name, make), left, right)

    def emit_modulo(self, expr: ir.BinOp, t: ScalarType) -> CExpr:
        left, right = self.convert(expr.left, t), self.convert(expr.right, t)
        if t.is_bool:
            raise self.fail(expr, "'%' on bool values")
        name = f"dc_mod_{self.type_suffix(t)}"

        def make() -> str:
            c = self.scalar_type(t)
            lines = [f"{self.helper_qualifiers()} {c} {name}({c} a, {c} b)", "{"]
            if t.is_float:
                fmod, copysign = self.math_function("fmod", t), self.math_function("copysign", t)
                zero = self.float_literal(0.0, t).text
                lines += [f"    {c} r = {fmod}(a, b);", f"    if (r != {zero}) {{"]
                lines += [f"        if ((r < {zero}) != (b < {zero})) {{", "            r += b;"]
                lines += ["        }", "    } else {", f"        r = {copysign}({zero}, b);"]
                lines += ["    }", "    return r;"]
            elif t.is_signed:
                lines += ["    if (b == 0 || b == -1) {", "        return 0;", "    }"]
                lines += [f"    {c} r = a % b;", "    if (r != 0 && (r < 0) != (b < 0)) {"]
                lines += ["        r += b;", "    }", "    return r;"]
            else:
                lines += ["    if (b == 0) {", "        return 0;", "    }", "    return a % b;"]
            return "\n".join([*lines, "}", ""])

        shift = _power_of_two_exponent(expr.right)
        if shift is not None and t.is_integer:
            # Python's a % 2**k (a divisor-signed remainder) keeps the low k bits, negative
            # values included (two's complement).
            mask = self.integer_literal((1 << shift) - 1, t)
            result = CExpr(f"{left.at(PREC_UNARY)} & {mask.at(PREC_UNARY)}", PREC_BITAND)
            return self.cast(t, result) if self.is_narrow_integer(t) else result
        return self.call(self.require_helper(name, make), left, right)

    def emit_power(self, expr: ir.BinOp, t: ScalarType) -> CExpr:
        left, right = self.convert(expr.left, t), self.convert(expr.right, t)
        if t.is_float:
            return self.call(self.math_function("pow", t), left, right)
        if t.is_bool:
            raise self.fail(expr, "'**' on bool values")
        name = f"dc_pow_{self.type_suffix(t)}"

        def make() -> str:
            c = self.scalar_type(t)
            wide = self.scalar_type(UINT64 if t.bits == 64 else UINT32)
            lines = [f"{self.helper_qualifiers()} {c} {name}({c} base, {c} exponent)", "{"]
            if t.is_signed:
                lines += ["    if (exponent < 0) {", "        if (base == 1) {"]
                lines += ["            return 1;", "        }", "        if (base == -1) {"]
                lines += ["            return (exponent & 1) ? -1 : 1;", "        }"]
                lines += ["        return 0;", "    }"]
            lines += [f"    {wide} result = 1;", f"    {wide} factor = ({wide})base;"]
            lines += ["    while (exponent != 0) {", "        if (exponent & 1) {"]
            lines += ["            result *= factor;", "        }", "        factor *= factor;"]
            lines += ["        exponent >>= 1;", "    }", f"    return ({c})result;", "}", ""]
            return "\n".join(lines)

        return self.call(self.require_helper(name, make), left, right)

    def emit_UnaryOp(self, expr: ir.UnaryOp) -> CExpr:
        t = self.scalar(expr)
        if expr.op == "not":
            operand = self.convert(expr.operand, BOOL)
            return CExpr(f"!{operand.at(PREC_UNARY + 1)}", PREC_UNARY)
        operand = self.convert(expr.operand, t)
        if expr.op == "+":
            return operand
        if expr.op == "~" and t.is_bool:
            return CExpr(f"!{operand.at(PREC_UNARY + 1)}", PREC_UNARY)
        if expr.op not in ("-", "~"):
            raise self.fail(expr, f"unary operator {expr.op!r} is not supported")
        if expr.op == "-" and t.is_bool:
            raise self.fail(expr, "unary '-' on a bool value")
        if expr.op == "~" and t.is_float:
            raise self.fail(expr, "'~' on a float value")
        result = CExpr(f"{expr.op}{operand.at(PREC_UNARY + 1)}", PREC_UNARY)
        return self.cast(t, result) if self.is_narrow_integer(t) else result

    def emit_Compare(self, expr: ir.Compare) -> CExpr:
        if expr.op not in _COMPARE_PRECEDENCE:
            raise self.fail(expr, f"comparison {expr.op!r} is not supported")
        left_type, right_type = self.scalar(expr.left), self.scalar(expr.right)
        common = self.common_type(left_type, right_type)
        if common.is_bool and expr.op not in ("==", "!="):
            common = INT32
        left, right = self.convert(expr.left, common), self.convert(expr.right, common)
        prec = _COMPARE_PRECEDENCE[expr.op]
        return CExpr(f"{left.at(PREC_SHIFT)} {expr.op} {right.at(PREC_SHIFT)}", prec)

    def emit_BoolOp(self, expr: ir.BoolOp) -> CExpr:
        if expr.op not in ("and", "or"):
            raise self.fail(expr, f"boolean operator {expr.op!r} is not supported")
        prec = PREC_AND if expr.op == "and" else PREC_OR
        joiner = " && " if expr.op == "and" else " || "
        values = [self.convert(v, BOOL).at(prec + 1) for v in expr.values]
        return CExpr(joiner.join(values), prec)

    def emit_Select(self, expr: ir.Select) -> CExpr:
        t = self.scalar(expr)
        condition = self.convert(expr.condition, BOOL).at(PREC_OR)
        body = self.convert(expr.body, t).at(PREC_OR)
        orelse = self.convert(expr.orelse, t).at(PREC_CONDITIONAL)
        return CExpr(f"{condition} ? {body} : {orelse}", PREC_CONDITIONAL)

    def emit_Cast(self, expr: ir.Cast) -> CExpr:
        return self.convert(expr.value, self.scalar(expr))

    def element_ref(self, array: ir.Var, indices: list[ir.Expr], node: ir.Expr) -> CExpr:
        """``array[flat index]``, row-major over the array's extents (as stored)."""
        flat = self.flat_index(array, indices, node)
        return CExpr(f"{self.names.user(array.name)}[{flat.text}]", PREC_PRIMARY)

    def flat_index(self, array: ir.Var, indices: list[ir.Expr], node: ir.Expr) -> CExpr:
        """The row-major position of ``array[indices]`` (int64)."""
        if isinstance(array.type, FixedArrayType):
            shape = array.type.shape
            extents: list[CExpr] = [self.integer_literal(n, INT64) for n in shape]
        elif isinstance(array.type, ArrayType):
            shape = tuple(range(array.type.ndim))
            # Row-major: the first extent never enters the flat index.
            extents = [CExpr("", PREC_PRIMARY)]
            extents += [self.extent(array.name, d) for d in range(1, array.type.ndim)]
        else:
            raise self.fail(node, f"indexing a value of type {array.type}")
        if len(indices) != len(shape):
            raise self.fail(node, f"{len(indices)} indices for a {len(shape)}-D array")
        flat = self.convert(indices[0], INT64)
        for index, extent in zip(indices[1:], extents[1:], strict=True):
            step = f"{flat.at(PREC_MUL)} * {extent.at(PREC_MUL + 1)}"
            flat = CExpr(f"{step} + {self.convert(index, INT64).at(PREC_ADD + 1)}", PREC_ADD)
        return flat

    def atomic_operands(self, expr: ir.AtomicOp) -> tuple[ScalarType, str, list[CExpr]]:
        """The checks every target makes on an atomic, then its element type, the element's
        address and the operands converted to the element type."""
        array_type = expr.array.type
        if not isinstance(array_type, ArrayType | SharedArrayType) or array_type.dtype is None:
            raise self.fail(expr, f"atomic on a value of type {array_type}")
        t = array_type.dtype
        if t.is_bool or t == FLOAT16:
            raise self.fail(expr, f"atomic_{expr.op} on a {t} array (use int32/int64/float32/64)")
        if expr.op not in ("add", "sub", "min", "max", "exchange", "cas"):
            raise self.fail(expr, f"atomic operation {expr.op!r} is not supported")
        expected = 2 if expr.op == "cas" else 1
        if len(expr.operands) != expected:
            raise self.fail(expr, f"atomic_{expr.op} takes {expected} operand(s)")
        pointer = "&" + self.element_ref(expr.array, expr.indices, expr).text
        return t, pointer, [self.convert(o, t) for o in expr.operands]

    @abc.abstractmethod
    def extent(self, array: str, dim: int) -> CExpr:
        """Target hook: extent ``dim`` of array parameter ``array`` (int64)."""

    def emit_Index(self, expr: ir.Index) -> CExpr:
        element = self.element_ref(expr.array, expr.indices, expr)
        t = self.scalar(expr)
        if t == FLOAT16:
            return self.cast(FLOAT32, element)
        return element

    def emit_ArrayShape(self, expr: ir.ArrayShape) -> CExpr:
        array_type = expr.array.type
        if isinstance(array_type, FixedArrayType):
            if not 0 <= expr.dim < array_type.ndim:
                raise self.fail(expr, f"shape[{expr.dim}] of a {array_type.ndim}-D array")
            return self.integer_literal(array_type.shape[expr.dim], INT64)
        if not isinstance(array_type, ArrayType) or not 0 <= expr.dim < array_type.ndim:
            raise self.fail(expr, f"shape[{expr.dim}] of {array_type}")
        return self.extent(expr.array.name, expr.dim)

    def emit_ArraySize(self, expr: ir.ArraySize) -> CExpr:
        array_type = expr.array.type
        if isinstance(array_type, FixedArrayType):
            return self.integer_literal(math.prod(array_type.shape), INT64)
        if not isinstance(array_type, ArrayType):
            raise self.fail(expr, f".size of {array_type}")
        factors = [self.extent(expr.array.name, d).at(PREC_MUL) for d in range(array_type.ndim)]
        if len(factors) == 1:
            return self.extent(expr.array.name, 0)
        return CExpr(" * ".join(factors), PREC_MUL)

    def emit_WorkItemQuery(self, expr: ir.WorkItemQuery) -> CExpr:
        if expr.query not in WORK_ITEM_QUERIES:
            raise self.fail(expr, f"work-item query {expr.query!r} is not supported")
        if not 0 <= expr.dim <= 2:
            raise self.fail(expr, f"dc.{expr.query}({expr.dim}): dimensions are 0, 1 and 2")
        return self.work_item_query(expr.query, expr.dim)

    def emit_MathCall(self, expr: ir.MathCall) -> CExpr:
        t = self.scalar(expr)
        name = expr.function
        if name in ("min", "max"):
            return self.emit_min_max(expr, t)
        if name == "abs" and t.is_integer:
            return self.emit_integer_abs(expr, t)
        if name in MATH_PREDICATES:
            if len(expr.args) != 1:
                raise self.fail(expr, f"{name} takes one argument")
            arg_type = self.scalar(expr.args[0])
            if not arg_type.is_float:
                return self.literal(name == "isfinite", BOOL)
            return self.call(name, self.convert(expr.args[0], arg_type))
        if name == "rsqrt" and t.is_float:
            one = self.float_literal(1.0, t).text
            value = self.convert(expr.args[0], t)
            return CExpr(f"{one} / {self.math_function('sqrt', t)}({value.text})", PREC_MUL)
        c_name = MATH_FUNCTION_ALIASES.get(name, name)
        arity = MATH_FUNCTION_ARITY.get(c_name)
        if c_name == "rint":
            arity = 1
        if arity is None:
            raise self.fail(expr, f"math function {name!r} is not supported")
        if len(expr.args) != arity:
            raise self.fail(expr, f"{name} takes {arity} argument(s), got {len(expr.args)}")
        if not t.is_float:
            raise self.fail(expr, f"{name} on {t} (cast the argument to a float type)")
        args = [self.convert(a, t) for a in expr.args]
        result = self.call(self.math_function(c_name, t), *args)
        return self.round_to_half(result) if t == FLOAT16 else result

    def emit_min_max(self, expr: ir.MathCall, t: ScalarType) -> CExpr:
        if len(expr.args) < 2:
            raise self.fail(expr, f"{expr.function} needs at least two arguments")
        name = f"dc_{expr.function}_{self.type_suffix(t)}"

        def make() -> str:
            c = self.scalar_type(self.compute_type(t))
            compare = "<" if expr.function == "min" else ">"
            # Python's rule: the later argument wins only when strictly smaller (larger).
            return (
                f"{self.helper_qualifiers()} {c} {name}({c} a, {c} b)\n{{\n"
                f"    return b {compare} a ? b : a;\n}}\n"
            )

        self.require_helper(name, make)
        result = self.convert(expr.args[0], t)
        for arg in expr.args[1:]:
            result = self.call(name, result, self.convert(arg, t))
        return result

    def emit_integer_abs(self, expr: ir.MathCall, t: ScalarType) -> CExpr:
        if len(expr.args) != 1:
            raise self.fail(expr, "abs takes one argument")
        value = self.convert(expr.args[0], t)
        if not t.is_signed:
            return value
        name = f"dc_abs_{self.type_suffix(t)}"

        def make() -> str:
            c = self.scalar_type(t)
            wide = self.scalar_type(UINT64 if t.bits == 64 else UINT32)
            return (
                f"{self.helper_qualifiers()} {c} {name}({c} a)\n{{\n"
                f"    return a < 0 ? ({c})(0u - ({wide})a) : a;\n}}\n"
            )

        return self.call(self.require_helper(name, make), value)

    def emit_AtomicOp(self, expr: ir.AtomicOp) -> CExpr:
        """Target hook."""
        raise self.fail(expr, "atomics are not supported")

    def emit_FuncCall(self, expr: ir.FuncCall) -> CExpr:
        callee = self.functions.get(expr.function)
        if callee is None:
            raise self.fail(expr, f"unknown device function {expr.function!r}")
        if len(callee.params) != len(expr.args):
            raise self.fail(expr, f"{callee.python_name} takes {len(callee.params)} arguments")
        args: list[str] = []
        info = self.infos[callee.name]
        for param, arg in zip(callee.params, expr.args, strict=True):
            if isinstance(param.type, ArrayType):
                if not isinstance(arg, ir.Var) or not isinstance(
                    arg.type, ArrayType | FixedArrayType
                ):
                    raise self.fail(expr, f"argument {param.name!r} must be an array")
                args.append(self.array_argument(arg))
                for dim in sorted(info.extents.get(param.name, ())):
                    args.append(self.emit_ArrayShape(ir.ArrayShape(INT64, arg, dim)).text)
            else:
                args.append(self.convert(arg, param.type).text)
        for query, dim in sorted(info.queries):
            args.append(self.work_item_query(query, dim).text)
        return self.call(self.function_names[callee.name], *args)

    # ----- statements ----------------------------------------------------------------------

    def stmts(self, stmts: list[ir.Stmt]) -> None:
        for stmt in stmts:
            self.stmt(stmt)

    def stmt(self, stmt: ir.Stmt) -> None:
        method = getattr(self, "emit_" + type(stmt).__name__, None)
        if method is None:
            raise self.fail(stmt, f"the {type(stmt).__name__} statement is not supported")
        method(stmt)

    def emit_Assign(self, stmt: ir.Assign) -> None:
        t = self.scalar(stmt.target)
        target = self.emit_Var(stmt.target)
        value = self.convert(stmt.value, t)
        self.out.line(f"{target.text} = {value.text};")

    def emit_Store(self, stmt: ir.Store) -> None:
        t = self.scalar(stmt.target)
        element = self.element_ref(stmt.target.array, stmt.target.indices, stmt.target)
        value = self.convert(stmt.value, t)
        self.out.line(f"{element.text} = {value.text};")

    def emit_ExprStmt(self, stmt: ir.ExprStmt) -> None:
        value = self.expr(stmt.value)
        if isinstance(stmt.value, ir.FuncCall | ir.AtomicOp):
            self.out.line(f"{value.text};")
        else:
            self.out.line(f"(void){value.at(PREC_UNARY)};")

    def condition(self, expr: ir.Expr) -> str:
        return self.convert(expr, BOOL).text

    def emit_If(self, stmt: ir.If) -> None:
        self.out.open(f"if ({self.condition(stmt.condition)}) {{")
        self.stmts(stmt.body)
        orelse = stmt.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ir.If):
            self.out.reopen(f"}} else if ({self.condition(orelse[0].condition)}) {{")
            self.stmts(orelse[0].body)
            orelse = orelse[0].orelse
        if orelse:
            self.out.reopen("} else {")
            self.stmts(orelse)
        self.out.close()

    def loop_header(self, stmt: ir.For, counter: str) -> str:
        """``for (...)`` of a range loop: Python evaluates start, stop and step once, so stop
        and step are hoisted into constants unless they cannot change during the loop."""
        t = self.scalar(stmt.var)
        c = self.scalar_type(t)
        start = self.convert(stmt.start, t)
        stop = self.loop_bound(stmt.stop, t, f"{counter}_stop", stmt.body)
        if isinstance(stmt.step, ir.Const):
            step_value = int(stmt.step.value)
            if step_value == 0:
                raise self.fail(stmt, "range() step must not be zero")
            if step_value == 1:
                increment = f"++{counter}"
            elif step_value == -1:
                increment = f"--{counter}"
            elif step_value > 0:
                increment = f"{counter} += {step_value}"
            else:
                increment = f"{counter} -= {-step_value}"
            compare = "<" if step_value > 0 else ">"
            condition = f"{counter} {compare} {stop.at(PREC_SHIFT)}"
        else:
            step = self.loop_bound(stmt.step, t, f"{counter}_step", stmt.body)
            increment = f"{counter} += {step.at(PREC_CONDITIONAL)}"
            if stmt.step_sign > 0:
                condition = f"{counter} < {stop.at(PREC_SHIFT)}"
            elif stmt.step_sign < 0:
                condition = f"{counter} > {stop.at(PREC_SHIFT)}"
            else:
                # A zero step at run time loops zero times (neither comparison can hold).
                condition = (
                    f"({step.at(PREC_SHIFT)} > 0 && {counter} < {stop.at(PREC_SHIFT)}) || "
                    f"({step.at(PREC_SHIFT)} < 0 && {counter} > {stop.at(PREC_SHIFT)})"
                )
        return f"for ({c} {counter} = {start.text}; {condition}; {increment})"

    def loop_bound(self, expr: ir.Expr, t: ScalarType, stem: str, body: list[ir.Stmt]) -> CExpr:
        value = self.convert(expr, t)
        if self.is_loop_invariant(expr, body) and not self.hoist_loop_bounds:
            return value
        name = self.names.fresh(stem)
        self.out.line(f"const {self.scalar_type(t)} {name} = {value.text};")
        return CExpr(name, PREC_PRIMARY)

    def is_loop_invariant(self, expr: ir.Expr, body: list[ir.Stmt]) -> bool:
        """True when re-evaluating ``expr`` each iteration gives the value of the first."""
        assigned = {v.name for s in walk_stmts(body) for v in assigned_locals(s)}
        for node in walk_expr(expr):
            if isinstance(node, ir.Var):
                if node.name in assigned:
                    return False
            elif not isinstance(
                node,
                ir.Const
                | ir.BinOp
                | ir.UnaryOp
                | ir.Cast
                | ir.ArrayShape
                | ir.ArraySize
                | ir.WorkItemQuery
                | ir.Compare
                | ir.Select
                | ir.BoolOp,
            ):
                return False
        return True

    def emit_For(self, stmt: ir.For) -> None:
        name = stmt.var.name
        bounds = [stmt.start, stmt.stop, stmt.step]
        # range(i, ...) inside a loop over i: the bounds read the outer i, so they are
        # evaluated before the inner counter (which has the same C name) exists.
        self.hoist_loop_bounds = any(
            isinstance(n, ir.Var) and n.name == name for b in bounds for n in walk_expr(b)
        )
        if self.hoist_loop_bounds and not isinstance(stmt.start, ir.Const):
            start = self.names.fresh(f"{self.names.user(name)}_start")
            t = self.scalar(stmt.var)
            value = self.convert(stmt.start, t).text
            self.out.line(f"const {self.scalar_type(t)} {start} = {value};")
            stmt = ir.For(
                stmt.var,
                ir.Var(t, start),
                stmt.stop,
                stmt.step,
                stmt.step_sign,
                stmt.body,
                loc=stmt.loc,
            )
            self.loop_names[start] = start
        if self.unroll_private_loops and _unrolls_private_indices(stmt):
            self.out.line(self.unroll_directive())
        if name in self.escaping:
            # Python keeps the last value after the loop: a separate counter is copied into
            # the variable at the top of each iteration.
            target = self.emit_Var(stmt.var)
            counter = self.names.fresh(f"{self.names.user(name)}_iter")
            self.out.open(self.loop_header(stmt, counter) + " {")
            self.hoist_loop_bounds = False
            self.out.line(f"{target.text} = {counter};")
            self.stmts(stmt.body)
            self.out.close()
            return
        counter = self.names.user(name)
        header = self.loop_header(stmt, counter)
        self.hoist_loop_bounds = False
        outer = self.loop_names.get(name)
        self.loop_names[name] = counter
        self.out.open(header + " {")
        self.stmts(stmt.body)
        self.out.close()
        if outer is None:
            del self.loop_names[name]
        else:
            self.loop_names[name] = outer

    def emit_While(self, stmt: ir.While) -> None:
        self.out.open(f"while ({self.condition(stmt.condition)}) {{")
        self.stmts(stmt.body)
        self.out.close()

    def emit_Break(self, stmt: ir.Break) -> None:
        self.out.line("break;")

    def emit_Continue(self, stmt: ir.Continue) -> None:
        self.out.line("continue;")

    def emit_Return(self, stmt: ir.Return) -> None:
        assert self.function is not None
        return_type = self.function.return_type
        if stmt.value is None:
            self.out.line("return;")
            return
        if isinstance(return_type, TupleType):
            if isinstance(stmt.value, ir.TupleValue):
                values = [
                    self.convert(v, t)
                    for v, t in zip(stmt.value.values, return_type.elements, strict=True)
                ]
                self.emit_tuple_return(return_type, values)
            else:  # a call returning the same tuple type
                self.out.line(f"return {self.expr(stmt.value).text};")
            return
        if not isinstance(return_type, ScalarType):
            raise self.fail(stmt, f"returning a value from a function returning {return_type}")
        self.out.line(f"return {self.convert(stmt.value, return_type).text};")

    # Note [Tuple returns]: a device function returning several values returns a struct of
    # one field per value (a typedef among the helpers, named after the element types). The
    # IR keeps tuples out of every other place: the caller unpacks the call at once (ir.Unpack)
    # into fresh scalar locals, in a block of its own, so no struct local is ever declared at
    # the function top (where locals are zeroed, or live in the CPU's per-item scratch).
    # Fields are filled one by one rather than with compound literals or brace initializers,
    # which the C, OpenCL C, CUDA C++ and MSL dialects do not all accept alike.

    def tuple_struct(self, t: TupleType) -> str:
        """The name of the struct of ``t``'s values, defined among the helpers."""
        name = "dc_tuple_" + "_".join(naming.type_code(e) for e in t.elements)
        fields = " ".join(f"{self.scalar_type(e)} v{k};" for k, e in enumerate(t.elements))
        return self.require_helper(name, lambda: f"typedef struct {{ {fields} }} {name};")

    def return_type_name(self, function: ir.Function) -> str:
        """The C return type of a device function."""
        t = function.return_type
        if isinstance(t, ScalarType):
            return self.scalar_type(t)
        if isinstance(t, TupleType):
            return self.tuple_struct(t)
        if isinstance(t, ArrayType | FixedArrayType):
            raise self.fail(function, f"a device function cannot return {t}")
        return "void"

    def emit_final_return(self, function: ir.Function) -> None:
        """A return of zeros after a body that C cannot see always returns (the lowering
        checked that it does), so compilers do not warn."""
        t = function.return_type
        if definitely_returns(function.body):
            return
        if isinstance(t, ScalarType):
            self.out.line(f"return {self.literal(0, t).text};")
        elif isinstance(t, TupleType):
            self.emit_tuple_return(t, [self.literal(0, e) for e in t.elements])

    def emit_tuple_return(self, t: TupleType, values: list[CExpr]) -> None:
        self.out.open("{")
        self.out.line(f"{self.tuple_struct(t)} dc_result;")
        for k, value in enumerate(values):
            self.out.line(f"dc_result.v{k} = {value.text};")
        self.out.line("return dc_result;")
        self.out.close()

    def emit_Unpack(self, stmt: ir.Unpack) -> None:
        struct = self.tuple_struct(stmt.value.type)
        call = self.expr(stmt.value)
        self.out.open("{")
        self.out.line(f"{struct} dc_unpacked = {call.text};")
        for k, target in enumerate(stmt.targets):
            self.out.line(f"{self.emit_Var(target).text} = dc_unpacked.v{k};")
        self.out.close()

    def emit_Barrier(self, stmt: ir.Barrier) -> None:
        """Target hook."""
        raise self.fail(stmt, "dc.barrier() is not supported")

    def emit_SharedArrayDecl(self, stmt: ir.SharedArrayDecl) -> None:
        """Target hook."""
        raise self.fail(stmt, "dc.shared_array is not supported")

    def array_argument(self, array: ir.Var) -> str:
        """An array passed to a device function: a pointer to its first element."""
        return self.names.user(array.name)

    def unroll_directive(self) -> str:
        """Target hook: the line that asks for the next loop to be unrolled."""
        return "#pragma unroll"

    def emit_PrivateArrayDecl(self, stmt: ir.PrivateArrayDecl) -> None:
        """Declared and zeroed at the top of the function (declare_private_arrays): the
        declaration stands at the top level of the body, so it runs once before any use."""
        return None

    def declare_private_arrays(self, function: ir.Function) -> None:
        """The function's private arrays, zeroed (Note [Private arrays])."""
        for name, array_type in function.private_arrays.items():
            c_type = self.storage_type(array_type.dtype)
            size = math.prod(array_type.shape)
            self.out.line(f"{c_type} {self.names.user(name)}[{size}] = {{0}};")

    # ----- functions -----------------------------------------------------------------------

    def local_variables(self, function: ir.Function) -> dict[str, ScalarType]:
        """Every local scalar (declared once at the top of its C function: Python scoping is
        per function, so a C block-scoped declaration could end before a later use)."""
        params = {p.name for p in function.params}
        found: dict[str, ScalarType] = {}
        for name, t in function.locals.items():
            if name not in params:
                found[name] = t
        for stmt in walk_stmts(function.body):
            for target in assigned_locals(stmt):
                if target.name not in params:
                    found.setdefault(target.name, self.scalar(target))
            if isinstance(stmt, ir.For):
                found.setdefault(stmt.var.name, self.scalar(stmt.var))
        return found

    def reserve_user_names(self, function: ir.Function) -> None:
        """Give every user name its C spelling before the generator takes fresh names."""
        for param in function.params:
            self.names.user(param.name)
        for name in [*function.shared_arrays, *function.private_arrays]:
            self.names.user(name)
        for name in self.local_variables(function):
            self.names.user(name)
        for expr in walk_exprs(function.body):
            if isinstance(expr, ir.Var):
                self.names.user(expr.name)

    def begin_function(self, function: ir.Function) -> None:
        self.function = function
        self.names = NameTable(RESERVED_NAMES | set(self.function_names.values()))
        self.loop_names = {}
        self.escaping = escaping_loop_variables(function.body)
        self.reserve_user_names(function)

    def emit_device_functions(self, functions: list[ir.Function]) -> SourceWriter:
        """Every device function's text, each followed by a blank line; leaves ``self.out``
        fresh for the kernel."""
        bodies = SourceWriter()
        for function in functions:
            self.out = SourceWriter()
            self.emit_device_function(function)
            bodies.lines += [*self.out.lines, ""]
        self.out = SourceWriter()
        return bodies

    @staticmethod
    def generated_by(kernel: ir.Function) -> str:
        """The first sentence of every generated file's header comment."""
        where = f" ({kernel.loc})" if kernel.loc else ""
        return f"Generated by dotcompute from kernel {kernel.python_name!r}{where}."

    def register_functions(self, kernel: ir.Function) -> list[ir.Function]:
        """All device functions reachable from ``kernel``, callees first, analyzed."""
        ordered: list[ir.Function] = []
        seen: set[str] = set()

        def visit(function: ir.Function) -> None:
            for callee in function.callees:
                if callee.name not in seen:
                    seen.add(callee.name)
                    visit(callee)
                    ordered.append(callee)

        visit(kernel)
        names = NameTable(RESERVED_NAMES)
        for function in ordered:
            self.functions[function.name] = function
            self.function_names[function.name] = names.user(function.name)
        for function in [*ordered, kernel]:
            self.infos[function.name] = analyze_function(function, self.infos)
        return ordered
