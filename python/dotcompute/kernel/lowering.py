# python/dotcompute/kernel/lowering.py
# AST to typed IR for one specialization: one emit_<Node> method per supported AST node kind.
# ruff: noqa: N802 - emit_<Node> methods are named after the ast classes they handle
"""Lowering of a parsed kernel or device function to the typed IR.

:class:`Lowering` walks the function body with one ``emit_<NodeName>`` method per AST node kind
the language supports; a node kind without a method is an error naming the construct (see
``diagnostics.UNSUPPORTED``). Statement methods append IR statements to the current block;
expression methods return IR expressions.

Python literals are lowered to :class:`Literal` (a weak :class:`ir.Const`): operations on two
literals fold as in Python, and a literal next to a typed value takes that value's type. A
Literal never reaches the finished IR: every place that stores an expression into the IR
converts or materializes it first. The language rules are listed in ``frontend``'s docstring.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from typing import ClassVar

import numpy as np

from ..errors import KernelTypeError
from . import intrinsics, ir
from .annotations import AnnotationError, scalar_type
from .codegen_base import walk_exprs
from .frontend import _NOT_FOUND, Template, active_templates, function_name, specialize
from .function import DeviceFunction
from .inlining import Inliner, needs_inlining
from .promotion import (
    arithmetic_type,
    can_convert_implicitly,
    float_type_for,
    literal_fits,
    literal_type,
    promote,
    promote_literal,
)
from .types import (
    BOOL,
    FLOAT64,
    INT64,
    UINT64,
    VOID,
    ArrayType,
    FixedArrayType,
    PrivateArrayType,
    ScalarType,
    SharedArrayType,
    TupleType,
    VoidType,
)

_BINARY_OPERATORS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_PYTHON_BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<<": operator.lshift,
    ">>": operator.rshift,
}
_COMPARE_OPERATORS = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_PYTHON_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_ATOMIC_TYPES = ("int32", "int64", "uint32", "uint64", "float32", "float64")
# Constant folding of huge powers and shifts would stall the compiler: refuse beyond this.
_MAX_FOLDED_EXPONENT = 4096
#: Elements of one dc.private_array: every work-item has its own copy (registers, the stack,
#: or on the CPU's barrier kernels one copy per work-item of the group in scratch memory).
PRIVATE_ARRAY_LIMIT = 1024


class Literal(ir.Const):
    """A Python constant whose type comes from context (weak); never left in finished IR."""


def _literal(value: bool | int | float) -> Literal:
    try:
        t = literal_type(value)
    except KernelTypeError:  # too large for int64: fine while folding, an error if it stays
        t = UINT64 if 0 <= value < 2**64 else INT64
    return Literal(type=t, value=value)


def _dc_name(t: ScalarType) -> str:
    return "dc.bool_" if t.is_bool else f"dc.{t}"


def _is_pure(expr: ir.Expr) -> bool:
    """No side effects: evaluating it twice or not at all changes nothing."""
    if isinstance(expr, ir.FuncCall | ir.AtomicOp):
        return False
    if isinstance(expr, ir.BinOp | ir.Compare):
        return _is_pure(expr.left) and _is_pure(expr.right)
    if isinstance(expr, ir.UnaryOp):
        return _is_pure(expr.operand)
    if isinstance(expr, ir.Cast):
        return _is_pure(expr.value)
    if isinstance(expr, ir.BoolOp):
        return all(map(_is_pure, expr.values))
    if isinstance(expr, ir.Select):
        return _is_pure(expr.condition) and _is_pure(expr.body) and _is_pure(expr.orelse)
    if isinstance(expr, ir.Index):
        return all(map(_is_pure, expr.indices))
    if isinstance(expr, ir.MathCall):
        return all(map(_is_pure, expr.args))
    return True


def _value_count(t: object) -> int:
    """How many values a return of type t gives."""
    return len(t.elements) if isinstance(t, TupleType) else 1


def _always_returns(block: list[ir.Stmt]) -> bool:
    for stmt in block:
        if isinstance(stmt, ir.Return):
            return True
        if isinstance(stmt, ir.If) and _always_returns(stmt.body) and _always_returns(stmt.orelse):
            return True
    return False


class Lowering:
    """Lowers one Template for one list of argument types to an ir.Function."""

    _methods: ClassVar[dict[type, object]] = {}  # AST node class -> emit method

    def __init__(self, template: Template, arg_types: list[ScalarType | ArrayType]) -> None:
        self.template = template
        self.source = template.source
        self.environment = template.environment
        self.is_kernel = template.is_kernel
        self.where = "kernels" if template.is_kernel else "device functions"
        self.arg_types = arg_types
        self.scope: dict[str, ir.Var] = {}  # Python name -> variable (params, locals, shared)
        self.params: list[ir.Param] = []
        for name, t in zip(template.param_names, arg_types, strict=True):
            var = ir.Var(type=t, name=template.c_names[name])
            self.scope[name] = var
            self.params.append(ir.Param(var.name, t))
        self.locals: dict[str, ScalarType] = {}
        self.shared: dict[str, SharedArrayType] = {}
        self.private: dict[str, PrivateArrayType] = {}
        self.callees: dict[str, ir.Function] = {}
        self.uses_barrier = False
        self.returns: list[tuple[ir.Return, ast.Return]] = []
        self.block: list[ir.Stmt] = []
        self.loc: ir.Location | None = None
        self.depth = 0  # nesting inside if/for/while
        self.loop_variables: set[str] = set()  # read-only while their loop runs
        self.finished_loops: set[str] = set()  # loop variables after their loop: unreadable
        self.first_assignment: dict[str, int] = {}  # local -> line of its first assignment
        self.temporaries = 0

    # -----------------------------------------------------------------------------------------
    # Driver
    # -----------------------------------------------------------------------------------------

    def lower(self) -> ir.Function:
        body = self.lower_block(self.template.tree.body)
        return_type = VOID if self.is_kernel else self.finish_returns(body)
        body = self.inline_calls(body)
        return ir.Function(
            name=function_name(self.template, self.arg_types),
            python_name=self.template.name,
            params=self.params,
            return_type=return_type,
            body=body,
            locals=self.locals,
            is_kernel=self.is_kernel,
            uses_barrier=self.uses_barrier,
            shared_arrays=self.shared,
            private_arrays=self.private,
            callees=list(self.callees.values()),
            loc=self.source.location(self.template.tree),
        )

    def inline_calls(self, body: list[ir.Stmt]) -> list[ir.Stmt]:
        """body with the calls of device functions that wait at barriers or declare shared
        arrays replaced by their bodies (Note [Inlined device functions])."""
        inlined = {name: f for name, f in self.callees.items() if needs_inlining(f)}
        if not inlined:
            return body

        def error(stmt: ir.Stmt, message: str) -> KernelTypeError:
            return KernelTypeError(f"{stmt.loc}: {message}" if stmt.loc else message)

        body = Inliner(inlined, self.locals, self.shared, self.private, error).block(body)
        for name, function in inlined.items():
            del self.callees[name]
            self.uses_barrier = self.uses_barrier or function.uses_barrier
        return body

    def lower_block(self, statements: list[ast.stmt]) -> list[ir.Stmt]:
        saved, self.block = self.block, []
        for node in statements:
            self.loc = self.source.location(node)
            self._method(node)(self, node)
        block, self.block = self.block, saved
        return block

    def expr(self, node: ast.expr) -> ir.Expr:
        return self._method(node)(self, node)

    def _method(self, node: ast.AST):
        kind = type(node)
        method = self._methods.get(kind)
        if method is None:
            method = getattr(type(self), f"emit_{kind.__name__}", None)
            if method is None:
                raise self.source.unsupported(node, self.where)
            self._methods[kind] = method
        return method

    def emit(self, stmt: ir.Stmt) -> None:
        stmt.loc = self.loc
        self.block.append(stmt)

    def syntax_error(self, node, message):
        return self.source.syntax_error(node, message)

    def type_error(self, node, message):
        return self.source.type_error(node, message)

    # -----------------------------------------------------------------------------------------
    # Typing helpers
    # -----------------------------------------------------------------------------------------

    def check_scalar(self, value: ir.Expr, node: ast.AST) -> None:
        if isinstance(value.type, ScalarType):
            return
        if isinstance(value.type, VoidType):
            raise self.type_error(node, "this device function returns nothing; it has no value")
        if isinstance(value.type, TupleType):
            count = len(value.type.elements)
            names = ", ".join("abcdefgh"[:count]) if count <= 8 else "a, b, ..."
            raise self.type_error(
                node,
                f"this device function returns {count} values ({value.type}); unpack them "
                f"into names or array elements at once: {names} = f(...)",
            )
        name = value.name if isinstance(value, ir.Var) else "an array"
        raise self.type_error(
            node, f"array '{name}' is used as a value; index it to read an element, e.g. {name}[i]"
        )

    def materialize(self, value: ir.Expr, node: ast.AST) -> ir.Expr:
        """A literal standing alone gets its own type (int32/int64, float32, bool)."""
        if isinstance(value, Literal):
            try:
                return ir.constant(value.value, literal_type(value.value))
            except KernelTypeError as error:
                raise self.type_error(node, str(error)) from None
        return value

    def cast(self, value: ir.Expr, t: ScalarType) -> ir.Expr:
        """Convert to ``t``, already known to be allowed (promotion results)."""
        if isinstance(value, Literal):
            return ir.constant(value.value, t)
        if value.type == t:
            return value
        return ir.Cast(type=t, value=value)

    def convert(
        self, value: ir.Expr, t: ScalarType, node: ast.AST, target: str, store: bool = False
    ) -> ir.Expr:
        """Implicit conversion for assignments, arguments and returns: allowed when it loses
        nothing by the promotion rules, else a KernelTypeError asking for a cast. ``store``
        (array elements) converts any number like C assignment; see the frontend docstring."""
        self.check_scalar(value, node)
        if isinstance(value, Literal):
            if literal_fits(value.value, t) and not (t.is_bool and type(value.value) is not bool):
                return ir.constant(value.value, t)
            raise self.type_error(
                node,
                f"cannot store the constant {value.value!r} in {target} of type {t} without a "
                f"cast; write {_dc_name(t)}(...) to convert explicitly",
            )
        if value.type == t:
            return value
        if can_convert_implicitly(value.type, t) or store:
            return ir.Cast(type=t, value=value)
        raise self.type_error(
            node,
            f"cannot convert {value.type} to {t} implicitly for {target} (it may lose "
            f"information); write {_dc_name(t)}(...) to convert explicitly",
        )

    def common_type(self, values: list[ir.Expr], node: ast.AST) -> ScalarType:
        """Promotion over several operands, literals weak."""
        typed = [v.type for v in values if not isinstance(v, Literal)]
        literals = [v.value for v in values if isinstance(v, Literal)]
        try:
            if typed:
                t = typed[0]
                for other in typed[1:]:
                    t = promote(t, other)
            else:
                t = literal_type(literals[0])
                literals = literals[1:]
            for value in literals:
                t = promote_literal(value, t) if not isinstance(value, bool) else t
        except KernelTypeError as error:
            raise self.type_error(node, str(error)) from None
        return t

    def to_bool(self, value: ir.Expr, node: ast.AST) -> ir.Expr:
        if isinstance(value, Literal):
            return ir.Const(type=BOOL, value=bool(value.value))
        self.check_scalar(value, node)
        if value.type == BOOL:
            return value
        zero = ir.constant(0, value.type)
        return ir.Compare(type=BOOL, op="!=", left=value, right=zero)

    def condition(self, node: ast.expr) -> ir.Expr:
        return self.to_bool(self.expr(node), node)

    def array(self, node: ast.expr, purpose: str) -> ir.Var:
        value = self.expr(node)
        if isinstance(value, ir.Var) and isinstance(value.type, ArrayType | FixedArrayType):
            return value
        raise self.type_error(node, f"{purpose} needs an array here, got {value.type}")

    def temporary(self, value: ir.Expr) -> ir.Var:
        var = self.fresh_local(value.type)
        self.emit(ir.Assign(target=var, value=value, declare=True))
        return var

    def fresh_local(self, t: ScalarType) -> ir.Var:
        """A new local that no Python name refers to."""
        name = f"dc_t{self.temporaries}"
        self.temporaries += 1
        self.locals[name] = t
        return ir.Var(type=t, name=name)

    def resolve(self, node: ast.expr) -> object:
        return self.environment.resolve(node, self.template.local_names)

    def element_type(self, node: ast.expr, purpose: str) -> ScalarType:
        """A dtype argument: dc.float32, "float32", or some_array.dtype."""
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "dtype"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.scope
        ):
            return self.array(node.value, "'.dtype'").type.dtype
        obj = node.value if isinstance(node, ast.Constant) else self.resolve(node)
        try:
            if obj is _NOT_FOUND:
                raise AnnotationError(f"'{ast.unparse(node)}' is not a known name")
            return scalar_type(obj)
        except AnnotationError as error:
            raise self.type_error(
                node, f"{purpose}: {error}; use dc.float32, dc.int32, ... or an_array.dtype"
            ) from None

    # -----------------------------------------------------------------------------------------
    # Statements
    # -----------------------------------------------------------------------------------------

    def emit_Pass(self, node: ast.Pass) -> None:
        pass

    def emit_Break(self, node: ast.Break) -> None:
        self.emit(ir.Break())

    def emit_Continue(self, node: ast.Continue) -> None:
        self.emit(ir.Continue())

    def emit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and (
            isinstance(value.value, str) or value.value is Ellipsis
        ):
            return  # docstrings and `...` placeholders
        if not isinstance(value, ast.Call):
            raise self.syntax_error(
                node, "this expression statement has no effect; assign its value or remove it"
            )
        result = self.call(value, statement=True)
        if result is not None:
            self.emit(ir.ExprStmt(value=self.materialize(result, value)))

    def emit_Return(self, node: ast.Return) -> None:
        if node.value is None:
            stmt = ir.Return(value=None)
        elif self.is_kernel:
            raise self.type_error(
                node,
                "kernels return nothing; write results into an array argument (a bare "
                "'return' ends the work-item early)",
            )
        elif isinstance(node.value, ast.Tuple):
            stmt = ir.Return(value=self.tuple_value(node.value))
        else:
            value = self.expr(node.value)
            if not isinstance(value.type, TupleType):  # a call returning a tuple passes it on
                self.check_scalar(value, node.value)
            stmt = ir.Return(value=value)
        if not self.is_kernel:
            self.returns.append((stmt, node))
        self.emit(stmt)

    def tuple_value(self, node: ast.Tuple) -> ir.TupleValue:
        """``return a, b``: the values as they are (finish_returns converts them)."""
        if len(node.elts) < 2:
            raise self.type_error(node, "return one value as itself, not as a 1-tuple")
        values = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                raise self.syntax_error(element, "starred values cannot be returned; name each")
            value = self.expr(element)
            self.check_scalar(value, element)
            values.append(value)
        element_types = tuple(
            self.materialize(v, e).type for v, e in zip(values, node.elts, strict=True)
        )
        return ir.TupleValue(type=TupleType(element_types), values=values)

    def finish_returns(self, body: list[ir.Stmt]) -> ScalarType | TupleType | VoidType:
        """A device function's return type: its annotation, else the promotion of its return
        values (position by position for tuples); converts every return value to it."""
        name = self.template.name
        with_value = [(s, n) for s, n in self.returns if s.value is not None]
        if with_value and len(with_value) != len(self.returns):
            bare = next(n for s, n in self.returns if s.value is None)
            raise self.type_error(
                bare, f"device function {name} returns a value elsewhere; return one here too"
            )
        declared = self.template.return_type
        if not with_value:
            if declared is not None:
                raise self.type_error(
                    self.template.tree, f"device function {name} is declared to return {declared}"
                )
            return VOID
        if any(isinstance(s.value.type, TupleType) for s, _ in with_value):
            self.finish_tuple_returns(with_value, declared)
        else:
            if isinstance(declared, TupleType):
                raise self.type_error(
                    with_value[0][1], f"device function {name} is declared to return {declared}"
                )
            t = (
                declared
                if declared is not None
                else self.common_type([s.value for s, _ in with_value], with_value[0][1])
            )
            for stmt, node in with_value:
                stmt.value = self.convert(stmt.value, t, node, f"the return value of {name}")
        if not _always_returns(body):
            raise self.type_error(
                self.template.tree,
                f"device function {name} can reach its end without returning a value; add a "
                "return at the end",
            )
        return with_value[0][0].value.type

    def finish_tuple_returns(self, returns: list, declared: ScalarType | TupleType | None) -> None:
        """Every return gives the same number of values; each position takes the declared type,
        else the promotion of the values returned there. A call returning a tuple is returned
        as it is, so its types must already be the function's."""
        name = self.template.name
        count = _value_count(returns[0][0].value.type)
        for stmt, node in returns:
            here = _value_count(stmt.value.type)
            if here != count:
                raise self.type_error(
                    node,
                    f"device function {name} returns {count} value(s) elsewhere and {here} "
                    "here; return the same number everywhere",
                )
        if declared is not None and not (
            isinstance(declared, TupleType) and len(declared.elements) == count
        ):
            raise self.type_error(
                returns[0][1], f"device function {name} is declared to return {declared}"
            )
        if declared is None:
            columns = [
                [
                    s.value.values[k]
                    if isinstance(s.value, ir.TupleValue)
                    else ir.Var(type=s.value.type.elements[k], name="")
                    for s, _ in returns
                ]
                for k in range(count)
            ]
            declared = TupleType(
                tuple(self.common_type(column, returns[0][1]) for column in columns)
            )
        for stmt, node in returns:
            if isinstance(stmt.value, ir.TupleValue):
                stmt.value = ir.TupleValue(
                    type=declared,
                    values=[
                        self.convert(v, t, e, f"value {k + 1} returned by {name}")
                        for k, (v, t, e) in enumerate(
                            zip(stmt.value.values, declared.elements, node.value.elts, strict=True)
                        )
                    ],
                )
            elif stmt.value.type != declared:
                raise self.type_error(
                    node,
                    f"this call returns {stmt.value.type} but {name} returns {declared}; "
                    "unpack it and return the values converted",
                )

    def emit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            raise self.syntax_error(
                node, "chained assignment (a = b = value) is not supported; assign each name"
            )
        target = node.targets[0]
        if isinstance(target, ast.Name):
            if isinstance(node.value, ast.Call):
                made_by = self.resolve(node.value.func)
                if made_by is intrinsics.shared_array or made_by is intrinsics.private_array:
                    self.declare_fixed_array(target, node.value, made_by)
                    return
            self.assign(target.id, self.expr(node.value), target)
        elif isinstance(target, ast.Subscript):
            self.store(target, node.value)
        elif isinstance(target, ast.Tuple | ast.List):
            self.unpack(target, node.value)
        elif isinstance(target, ast.Attribute):
            raise self.syntax_error(
                target, "attributes cannot be assigned in kernels (array shapes are read-only)"
            )
        else:
            raise self.source.unsupported(target, self.where)

    def unpack(self, target: ast.Tuple | ast.List, value_node: ast.expr) -> None:
        """``a, b[i] = x, y`` or ``= f(...)`` of a device function returning a tuple. As in
        Python, every value is computed before the first target is assigned (so ``a, b = b, a``
        swaps), then the targets are assigned left to right."""
        for element in target.elts:
            if not isinstance(element, ast.Name | ast.Subscript):
                raise self.syntax_error(
                    element,
                    "unpacking assigns names or array elements (a, b[i] = ...); nested or "
                    "starred targets are not supported",
                )
        count = len(target.elts)
        if isinstance(value_node, ast.Tuple | ast.List):
            if any(isinstance(v, ast.Starred) for v in value_node.elts):
                raise self.syntax_error(value_node, "starred values cannot be unpacked; name each")
            if len(value_node.elts) != count:
                raise self.syntax_error(
                    value_node, f"{count} names are assigned {len(value_node.elts)} values"
                )
            values = []
            for element in value_node.elts:
                value = self.expr(element)
                self.check_scalar(value, element)
                values.append(value if isinstance(value, Literal) else self.temporary(value))
        else:
            call = self.expr(value_node)
            if not isinstance(call.type, TupleType):
                raise self.type_error(
                    value_node,
                    "unpacking takes a tuple of values (a, b = x, y) or a call of a device "
                    f"function returning a tuple, not {call.type}",
                )
            if len(call.type.elements) != count:
                raise self.type_error(
                    value_node,
                    f"{count} names are assigned the {len(call.type.elements)} values of "
                    f"{call.type}",
                )
            values = [self.fresh_local(t) for t in call.type.elements]
            self.emit(ir.Unpack(targets=values, value=call))
        for element, value in zip(target.elts, values, strict=True):
            if isinstance(element, ast.Name):
                self.assign(element.id, value, element)
            else:
                self.store(element, value)

    def assign(
        self, name: str, value: ir.Expr, node: ast.AST, annotation: ScalarType | None = None
    ) -> None:
        var = self.scope.get(name)
        if var is not None and not isinstance(var.type, ScalarType):
            raise self.type_error(
                node,
                f"cannot assign to array '{name}'; store elements with {name}[i] = value",
            )
        if name in self.loop_variables:
            raise self.type_error(
                node,
                f"cannot assign to the loop variable '{name}' inside its loop; copy it to "
                "another local first",
            )
        self.check_scalar(value, node)
        if var is None:
            t = annotation or self.materialize(value, node).type
            var = ir.Var(type=t, name=self.template.c_names[name])
            self.scope[name] = var
            self.locals[var.name] = t
            self.first_assignment[name] = self.loc.line if self.loc else 0
            value = self.convert(value, t, node, f"local '{name}'")
            self.emit(ir.Assign(target=var, value=value, declare=True))
            return
        if annotation is not None and annotation != var.type:
            raise self.type_error(node, f"'{name}' already has type {var.type}")
        line = self.first_assignment.get(name)
        fixed = f", fixed by its first assignment at line {line}" if line else ""
        value = self.convert(value, var.type, node, f"local '{name}' ({var.type}{fixed})")
        self.finished_loops.discard(name)
        self.emit(ir.Assign(target=var, value=value))

    def emit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not isinstance(node.target, ast.Name) or node.value is None:
            raise self.syntax_error(
                node, "annotated assignment declares a local with a value: x: dc.float32 = 0"
            )
        t = self.element_type(node.annotation, f"the annotation of '{node.target.id}'")
        self.assign(node.target.id, self.expr(node.value), node.target, annotation=t)

    def emit_AugAssign(self, node: ast.AugAssign) -> None:
        op = self.binary_operator(node.op, node)
        target = node.target
        if isinstance(target, ast.Name):
            if target.id not in self.scope:
                raise self.type_error(
                    target, f"'{target.id}' must be assigned before '{target.id} {op}= ...'"
                )
            current = self.emit_Name(target)
            self.assign(target.id, self.binary(op, current, self.expr(node.value), node), target)
        elif isinstance(target, ast.Subscript):
            element = self.index(target, hoist=True)
            value = self.binary(op, element, self.expr(node.value), node)
            where = ir.Index(type=element.type, array=element.array, indices=element.indices)
            name = element.array.name
            value = self.convert(value, element.type, node, f"an element of '{name}'", store=True)
            self.emit(ir.Store(target=where, value=value))
        else:
            raise self.syntax_error(target, "augmented assignment needs a local or a[i] target")

    def store(self, target: ast.Subscript, value_node: ast.expr | ir.Expr) -> None:
        """``target = value``; the value as source (evaluated after the index, as Python
        does) or already lowered (unpacking)."""
        if isinstance(target.value, ast.Attribute) and target.value.attr == "shape":
            raise self.syntax_error(target, "array shapes are read-only in kernels")
        element = self.index(target)
        if isinstance(value_node, ir.Expr):
            value, value_node = value_node, target
        else:
            value = self.expr(value_node)
        name = element.array.name
        value = self.convert(value, element.type, value_node, f"an element of '{name}'", store=True)
        self.emit(ir.Store(target=element, value=value))

    def emit_If(self, node: ast.If) -> None:
        loc = self.loc
        condition = self.condition(node.test)
        self.depth += 1
        body = self.lower_block(node.body)
        orelse = self.lower_block(node.orelse)
        self.depth -= 1
        self.loc = loc
        self.emit(ir.If(condition=condition, body=body, orelse=orelse))

    def emit_While(self, node: ast.While) -> None:
        if node.orelse:
            raise self.syntax_error(
                node.orelse[0], "while ... else is not supported in kernels; use a flag variable"
            )
        loc = self.loc
        condition = self.condition(node.test)
        self.depth += 1
        body = self.lower_block(node.body)
        self.depth -= 1
        self.loc = loc
        self.emit(ir.While(condition=condition, body=body))

    def emit_For(self, node: ast.For) -> None:
        loop = "for loops in kernels iterate over range(): for i in range(n)"
        if node.orelse:
            raise self.syntax_error(
                node.orelse[0], "for ... else is not supported in kernels; use a flag variable"
            )
        if not isinstance(node.target, ast.Name):
            raise self.syntax_error(node.target, f"a for loop takes one variable; {loop}")
        iterator = node.iter
        if not (isinstance(iterator, ast.Call) and self.resolve(iterator.func) is builtins.range):
            raise self.syntax_error(
                iterator,
                f"only range() can be iterated in kernels; {loop}, e.g. over indices: "
                "for i in range(a.shape[0])",
            )
        if iterator.keywords or not 1 <= len(iterator.args) <= 3:
            raise self.syntax_error(iterator, "range() takes 1 to 3 positional arguments")
        name = node.target.id
        loc = self.loc
        bounds = [self.expr(arg) for arg in iterator.args]
        for value, arg in zip(bounds, iterator.args, strict=True):
            self.check_scalar(value, arg)
            is_integer = (
                type(value.value) in (int, bool)
                if isinstance(value, Literal)
                else value.type.is_integer or value.type.is_bool
            )
            if not is_integer:
                raise self.type_error(
                    arg, f"range() arguments must be integers, got {value.type}; use int(x)"
                )
        var = self.scope.get(name)
        if var is None:
            var = ir.Var(type=INT64, name=self.template.c_names[name])
            self.scope[name] = var
            self.locals[var.name] = INT64
        elif name in self.loop_variables:
            raise self.type_error(
                node.target, f"nested loops both use '{name}'; give the inner loop its own name"
            )
        elif not isinstance(var.type, ScalarType) or not var.type.is_integer:
            raise self.type_error(
                node.target, f"loop variable '{name}' is already a {var.type}, not an integer"
            )
        t = var.type
        if len(bounds) == 1:
            bounds = [_literal(0), bounds[0], _literal(1)]
        elif len(bounds) == 2:
            bounds.append(_literal(1))
        arg_nodes = [iterator, *iterator.args, iterator][:3] if len(iterator.args) == 1 else []
        arg_nodes = arg_nodes or [*iterator.args, iterator][:3]
        what = f"the range of loop variable '{name}'"
        start, stop, step = (
            self.convert(v, t, n, what) for v, n in zip(bounds, arg_nodes, strict=True)
        )
        step_sign = 0
        if isinstance(step, ir.Const):
            if step.value == 0:
                raise self.type_error(arg_nodes[2], "range() step must not be zero")
            step_sign = 1 if step.value > 0 else -1
        self.loop_variables.add(name)
        self.finished_loops.discard(name)
        self.depth += 1
        body = self.lower_block(node.body)
        self.depth -= 1
        self.loop_variables.discard(name)
        self.finished_loops.add(name)
        self.loc = loc
        self.emit(
            ir.For(var=var, start=start, stop=stop, step=step, step_sign=step_sign, body=body)
        )

    def declare_fixed_array(self, target: ast.Name, call: ast.Call, made_by: object) -> None:
        """``name = dc.shared_array(shape, dtype)`` (kernels) or ``dc.private_array`` (kernels
        and device functions), at the top level of the body so it is declared exactly once."""
        private = made_by is intrinsics.private_array
        what = "private" if private else "shared"
        if self.depth:
            raise self.syntax_error(
                call,
                f"declare {what} arrays at the top level of the {self.where[:-1]} body (not "
                "inside if/for/while)",
            )
        name = target.id
        if name in self.scope:
            raise self.type_error(target, f"'{name}' is already defined; use a new name")
        shape_node, dtype_node = self.bind(call, ("shape", "dtype"))
        dims = shape_node.elts if isinstance(shape_node, ast.Tuple) else [shape_node]
        shape = []
        for dim in dims:
            value = self.expr(dim)
            if not (
                isinstance(value, ir.Const)
                and type(value.value) is int
                and value.value > 0
                and (value.type.is_integer or isinstance(value, Literal))
            ):
                raise self.type_error(
                    dim,
                    f"{what} array shapes must be positive integer constants (literals or "
                    "module-level constants such as TILE = 16)",
                )
            shape.append(value.value)
        dtype = self.element_type(dtype_node, f"dc.{what}_array dtype")
        if private and math.prod(shape) > PRIVATE_ARRAY_LIMIT:
            raise self.type_error(
                call,
                f"a private array holds at most {PRIVATE_ARRAY_LIMIT} elements (this one "
                f"{math.prod(shape)}): each work-item has its own copy, in registers or the "
                "stack; use dc.shared_array or a global array for more",
            )
        var_type = (
            PrivateArrayType(dtype, tuple(shape))
            if private
            else SharedArrayType(dtype, tuple(shape))
        )
        var = ir.Var(type=var_type, name=self.template.c_names[name])
        self.scope[name] = var
        if private:
            self.private[var.name] = var_type
            self.emit(ir.PrivateArrayDecl(var=var))
        else:
            self.shared[var.name] = var_type
            self.emit(ir.SharedArrayDecl(var=var))

    # -----------------------------------------------------------------------------------------
    # Names, constants, attributes, indexing
    # -----------------------------------------------------------------------------------------

    def emit_Name(self, node: ast.Name) -> ir.Expr:
        name = node.id
        var = self.scope.get(name)
        if var is not None:
            if name in self.finished_loops:
                raise self.type_error(
                    node,
                    f"loop variable '{name}' cannot be read after its loop (Python and C "
                    "disagree on its final value); copy it to another local inside the loop",
                )
            return var
        if name in self.template.local_names:
            raise self.type_error(node, f"local '{name}' is used before it is assigned")
        obj = self.environment.lookup(name)
        if obj is _NOT_FOUND:
            raise self.type_error(node, f"name '{name}' is not defined")
        return self.global_value(obj, node, name)

    def global_value(self, obj: object, node: ast.AST, name: str) -> ir.Expr:
        """A module-level or closure value read by the kernel: numbers are folded in."""
        # numpy scalars first: np.float64 is also a float, but its dtype is meant.
        if isinstance(obj, np.generic) and not isinstance(obj, np.complexfloating):
            try:
                t = scalar_type(obj.dtype)
            except AnnotationError as error:
                raise self.type_error(node, f"'{name}': {error}") from None
            return ir.constant(obj.item(), t)
        if isinstance(obj, bool | int | float):
            return _literal(obj)
        if isinstance(obj, complex | np.complexfloating):
            raise self.type_error(
                node,
                f"'{name}' is complex; complex numbers are not kernel types: use two floats "
                "(real and imaginary parts)",
            )
        if callable(obj) or isinstance(obj, type(np)):
            raise self.type_error(
                node, f"'{name}' is a {type(obj).__name__}; it can only be called in kernels"
            )
        raise self.type_error(
            node,
            f"'{name}' is a {type(obj).__name__}: kernels can only read int, float and bool "
            "constants from module level; pass arrays and other data as kernel arguments",
        )

    def emit_Constant(self, node: ast.Constant) -> ir.Expr:
        value = node.value
        if isinstance(value, bool | int | float):
            return _literal(value)
        if isinstance(value, complex):
            raise self.type_error(
                node, "complex numbers are not kernel types; use two floats (real, imaginary)"
            )
        what = "None" if value is None else f"{type(value).__name__} constants"
        raise self.syntax_error(
            node, f"{what} are not supported in kernels; only numbers and booleans are values"
        )

    def emit_Attribute(self, node: ast.Attribute) -> ir.Expr:
        if isinstance(node.value, ast.Name) and node.value.id in self.template.local_names:
            var = self.emit_Name(node.value)
            if isinstance(var.type, ArrayType | FixedArrayType):
                return self.array_attribute(var, node)
            raise self.type_error(
                node, f"'{node.value.id}' is a {var.type} scalar; it has no attribute '{node.attr}'"
            )
        obj = self.resolve(node)
        dotted = ast.unparse(node)
        if obj is _NOT_FOUND:
            raise self.type_error(node, f"'{dotted}' is not defined")
        return self.global_value(obj, node, dotted)

    def array_attribute(self, var: ir.Var, node: ast.Attribute) -> ir.Expr:
        t = var.type
        fixed = isinstance(t, FixedArrayType)
        if node.attr == "size":
            return _literal(int(np.prod(t.shape))) if fixed else ir.ArraySize(type=INT64, array=var)
        if node.attr == "ndim":
            return _literal(t.ndim)
        if node.attr == "shape":
            raise self.syntax_error(node, f"use {var.name}.shape[d] with a constant d")
        if node.attr == "dtype":
            raise self.syntax_error(
                node,
                f"{var.name}.dtype can be called as a cast ({var.name}.dtype(x)) or passed to "
                "dc.shared_array or dc.private_array; it is not a value",
            )
        raise self.type_error(
            node, f"arrays in kernels have .shape[d], .size, .ndim and .dtype, not .{node.attr}"
        )

    def emit_Subscript(self, node: ast.Subscript) -> ir.Expr:
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            return self.shape(node.value.value, node.slice, node)
        return self.index(node)

    def shape(self, array_node: ast.expr, dim_node: ast.expr, node: ast.AST) -> ir.Expr:
        var = self.array(array_node, "'.shape'")
        dim = self.expr(dim_node)
        if not (isinstance(dim, ir.Const) and type(dim.value) is int):
            raise self.type_error(dim_node, "a.shape[d] needs a constant integer d")
        ndim = var.type.ndim
        d = dim.value + ndim if dim.value < 0 else dim.value
        if not 0 <= d < ndim:
            raise self.type_error(
                dim_node, f"'{array_node.id}' is {ndim}-D; shape[{dim.value}] does not exist"
            )
        if isinstance(var.type, FixedArrayType):
            return _literal(var.type.shape[d])
        return ir.ArrayShape(type=INT64, array=var, dim=d)

    def index(self, node: ast.Subscript, hoist: bool = False) -> ir.Index:
        if not isinstance(node.value, ast.Name):
            raise self.syntax_error(node, "only arrays can be indexed, by name: a[i, j]")
        var = self.expr(node.value)
        if not isinstance(var.type, ArrayType | FixedArrayType):
            raise self.type_error(
                node, f"'{node.value.id}' is a {var.type} scalar; only arrays can be indexed"
            )
        return self.element(var, node.slice, node, hoist)

    def element(self, var: ir.Var, index: ast.expr, node: ast.AST, hoist: bool) -> ir.Index:
        nodes = index.elts if isinstance(index, ast.Tuple) else [index]
        ndim = var.type.ndim
        if len(nodes) != ndim:
            raise self.type_error(
                node,
                f"'{var.name}' is a {ndim}-D array: index it with {ndim} "
                f"{'index' if ndim == 1 else 'indices'}, got {len(nodes)}",
            )
        indices = [self.index_value(var, d, n) for d, n in enumerate(nodes)]
        if hoist:  # a[f(i)] += v must call f once: evaluate impure indices into temporaries
            indices = [i if _is_pure(i) else self.temporary(i) for i in indices]
        return ir.Index(type=var.type.dtype, array=var, indices=indices)

    def index_value(self, var: ir.Var, dim: int, node: ast.expr) -> ir.Expr:
        if isinstance(node, ast.Slice):
            raise self.source.unsupported(node, self.where)
        value = self.expr(node)
        if isinstance(value, Literal):
            if type(value.value) is not int:
                raise self.type_error(node, f"array indices must be integers, not {value.value!r}")
            i = value.value
            if isinstance(var.type, FixedArrayType):
                extent = var.type.shape[dim]
                if not -extent <= i < extent:
                    raise self.type_error(node, f"index {i} is out of range (extent {extent})")
                return ir.constant(i % extent, INT64)
            if i < 0:  # a constant negative index counts from the end, as in Python
                extent = ir.ArrayShape(type=INT64, array=var, dim=dim)
                return ir.BinOp(type=INT64, op="+", left=extent, right=ir.constant(i, INT64))
            return ir.constant(i, INT64)
        self.check_scalar(value, node)
        if not value.type.is_integer:
            raise self.type_error(
                node, f"array indices must be integers, got {value.type}; convert with int(x)"
            )
        return self.cast(value, INT64)

    # -----------------------------------------------------------------------------------------
    # Operators
    # -----------------------------------------------------------------------------------------

    def binary_operator(self, op: ast.operator, node: ast.AST) -> str:
        symbol = _BINARY_OPERATORS.get(type(op))
        if symbol is None:
            raise self.syntax_error(
                node, "the matrix product operator @ is not supported in kernels; write the loop"
            )
        return symbol

    def emit_BinOp(self, node: ast.BinOp) -> ir.Expr:
        op = self.binary_operator(node.op, node)
        return self.binary(op, self.expr(node.left), self.expr(node.right), node)

    def binary(self, op: str, left: ir.Expr, right: ir.Expr, node: ast.AST) -> ir.Expr:
        self.check_scalar(left, node)
        self.check_scalar(right, node)
        if isinstance(left, Literal) and isinstance(right, Literal):
            return self.fold(op, left.value, right.value, node)
        t = self.common_type([left, right], node)
        if op in ("&", "|", "^", "<<", ">>"):
            if t.is_float:
                raise self.type_error(
                    node, f"'{op}' needs integers (or bools), got {t}; convert with int(x)"
                )
            if t.is_bool and op in ("<<", ">>"):
                t = arithmetic_type(t)
            return ir.BinOp(type=t, op=op, left=self.cast(left, t), right=self.cast(right, t))
        t = arithmetic_type(t)
        if op == "/":
            t = float_type_for(t)
        elif op == "**":
            if t.is_float:
                args = [self.cast(left, t), self.cast(right, t)]
                return ir.MathCall(type=t, function="pow", args=args)
            if isinstance(right, ir.Const) and right.value < 0:
                raise self.type_error(
                    node,
                    "integer ** negative exponent is not an integer; convert the base to float",
                )
        return ir.BinOp(type=t, op=op, left=self.cast(left, t), right=self.cast(right, t))

    def fold(self, op: str, a, b, node: ast.AST) -> Literal:
        if op in ("**", "<<") and isinstance(b, int) and abs(b) > _MAX_FOLDED_EXPONENT:
            raise self.type_error(node, "this constant expression is too large")
        try:
            return _literal(_PYTHON_BINARY[op](a, b))
        except ZeroDivisionError:
            raise self.type_error(node, "division by zero in a constant expression") from None
        except (TypeError, ValueError, OverflowError) as error:
            raise self.type_error(node, f"invalid constant expression: {error}") from None

    def emit_UnaryOp(self, node: ast.UnaryOp) -> ir.Expr:
        operand = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            if isinstance(operand, Literal):
                return _literal(not operand.value)
            return ir.UnaryOp(type=BOOL, op="not", operand=self.to_bool(operand, node.operand))
        op = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(node.op)]
        self.check_scalar(operand, node.operand)
        if isinstance(operand, Literal):
            if op == "~" and isinstance(operand.value, float):
                raise self.type_error(node, "'~' needs an integer")
            fold = {"-": operator.neg, "+": operator.pos, "~": operator.invert}[op]
            return _literal(fold(operand.value))
        t = arithmetic_type(operand.type)
        if op == "~" and t.is_float:
            raise self.type_error(node, f"'~' needs an integer, got {t}")
        return ir.UnaryOp(type=t, op=op, operand=self.cast(operand, t))

    def emit_Compare(self, node: ast.Compare) -> ir.Expr:
        operands = [node.left, *node.comparators]
        values = [self.expr(n) for n in operands]
        parts = []
        for i, op_node in enumerate(node.ops):
            op = _COMPARE_OPERATORS.get(type(op_node))
            if op is None:
                word = {ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
                raise self.syntax_error(
                    node,
                    f"'{word[type(op_node)]}' is not supported in kernels; compare numbers "
                    "with == != < <= > >=",
                )
            if i > 0 and not _is_pure(values[i]):
                raise self.syntax_error(
                    operands[i],
                    "the middle of a comparison chain must not call functions (it would run "
                    "twice); assign it to a local first",
                )
            parts.append(self.compare(op, values[i], values[i + 1], node))
        if len(parts) == 1:
            return parts[0]
        if all(isinstance(p, Literal) for p in parts):
            return _literal(all(p.value for p in parts))
        return ir.BoolOp(type=BOOL, op="and", values=[self.to_bool(p, node) for p in parts])

    def compare(self, op: str, left: ir.Expr, right: ir.Expr, node: ast.AST) -> ir.Expr:
        self.check_scalar(left, node)
        self.check_scalar(right, node)
        if isinstance(left, Literal) and isinstance(right, Literal):
            return _literal(_PYTHON_COMPARE[op](left.value, right.value))
        t = self.common_type([left, right], node)
        return ir.Compare(type=BOOL, op=op, left=self.cast(left, t), right=self.cast(right, t))

    def emit_BoolOp(self, node: ast.BoolOp) -> ir.Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        values = [self.to_bool(self.expr(v), v) for v in node.values]
        return ir.BoolOp(type=BOOL, op=op, values=values)

    def emit_IfExp(self, node: ast.IfExp) -> ir.Expr:
        condition = self.condition(node.test)
        body, orelse = self.expr(node.body), self.expr(node.orelse)
        self.check_scalar(body, node.body)
        self.check_scalar(orelse, node.orelse)
        if isinstance(body, Literal) and isinstance(orelse, Literal):
            body, orelse = self.materialize(body, node), self.materialize(orelse, node)
        t = self.common_type([body, orelse], node)
        return ir.Select(
            type=t, condition=condition, body=self.cast(body, t), orelse=self.cast(orelse, t)
        )

    # -----------------------------------------------------------------------------------------
    # Calls: intrinsics, casts, device functions
    # -----------------------------------------------------------------------------------------

    def emit_Call(self, node: ast.Call) -> ir.Expr:
        return self.call(node, statement=False)

    def bind(self, node: ast.Call, names: tuple[str, ...], required: int | None = None):
        """Argument nodes of a call by parameter name (positional or keyword)."""
        required = len(names) if required is None else required
        callee = ast.unparse(node.func)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.source.unsupported(arg, self.where)
        if len(node.args) > len(names):
            raise self.type_error(
                node, f"{callee}() takes at most {len(names)} arguments, got {len(node.args)}"
            )
        bound = dict(zip(names, node.args, strict=False))
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.syntax_error(keyword.value, "**kwargs is not supported in kernels")
            if keyword.arg not in names:
                raise self.type_error(keyword.value, f"{callee}() has no parameter '{keyword.arg}'")
            if keyword.arg in bound:
                raise self.type_error(keyword.value, f"{callee}() got '{keyword.arg}' twice")
            bound[keyword.arg] = keyword.value
        missing = [n for n in names[:required] if n not in bound]
        if missing:
            raise self.type_error(node, f"{callee}() is missing argument '{missing[0]}'")
        return [bound.get(n) for n in names]

    def call(self, node: ast.Call, statement: bool) -> ir.Expr | None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "dtype"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.template.local_names
        ):
            (arg,) = self.bind(node, ("x",))
            return self.cast_call(self.element_type(func, "a.dtype"), arg)
        obj = self.resolve(func)
        if obj is _NOT_FOUND:
            if isinstance(func, ast.Name) and func.id in self.template.local_names:
                raise self.type_error(func, f"'{func.id}' is a local variable, not a function")
            raise self.type_error(func, f"'{ast.unparse(func)}' is not defined")
        try:
            kind = intrinsics.INTRINSICS.get(obj)
        except TypeError:  # unhashable objects are no intrinsics
            kind = None
        if kind is not None:
            return getattr(self, f"call_{kind[0]}")(kind[1], node, statement)
        if obj is builtins.int or obj is builtins.float or obj is builtins.bool:
            (arg,) = self.bind(node, ("x",))
            return self.python_cast(obj, arg)
        if isinstance(obj, type) and issubclass(obj, np.generic):
            (arg,) = self.bind(node, ("x",))
            return self.cast_call(self.element_type(func, "cast"), arg)
        if obj is builtins.len:
            (arg,) = self.bind(node, ("obj",))
            var = self.array(arg, "len()")
            if isinstance(var.type, FixedArrayType):
                return _literal(var.type.shape[0])
            return ir.ArrayShape(type=INT64, array=var, dim=0)
        if obj is builtins.range:
            raise self.syntax_error(node, "range() is only allowed as the iterable of a for loop")
        if obj is builtins.print:
            raise self.syntax_error(
                node,
                "print is not supported in kernels; run with DOTCOMPUTE_DEBUG=1 (kernels then "
                "run as Python and print works)",
            )
        if isinstance(obj, DeviceFunction):
            return self.call_device_function(obj, node, statement)
        name = ast.unparse(func)
        if isinstance(getattr(obj, "_template", None) or getattr(obj, "template", None), Template):
            raise self.type_error(
                func,
                f"'{name}' is a kernel; kernels cannot call kernels: move the shared code into "
                "a @dc.func device function",
            )
        raise self.type_error(
            func,
            f"'{name}' cannot be called in kernels; only @dc.func device functions, dc "
            "intrinsics (dc.global_id, dc.sqrt, dc.atomic_add, ...), math functions and casts "
            "can. Decorate it with @dc.func if it is your function",
        )

    def python_cast(self, kind: type, node: ast.expr) -> ir.Expr:
        """int(x) -> int64, float(x) -> float64, bool(x) -> x != 0; folded on constants."""
        value = self.expr(node)
        self.check_scalar(value, node)
        if isinstance(value, Literal):
            return _literal(kind(value.value))
        if kind is builtins.bool:
            return self.to_bool(value, node)
        return self.cast(value, INT64 if kind is builtins.int else FLOAT64)

    def cast_call(self, t: ScalarType, node: ast.expr) -> ir.Expr:
        value = self.expr(node)
        self.check_scalar(value, node)
        if t.is_bool:
            return self.to_bool(value, node)
        if isinstance(value, Literal):
            v = value.value
            if t.is_integer and isinstance(v, float):
                v = int(v)  # truncation, as the cast does at run time
            if not literal_fits(v, t):
                raise self.type_error(node, f"the constant {v!r} does not fit in {t}")
            return ir.constant(v, t)
        return self.cast(value, t)

    def call_query(self, query: str, node: ast.Call, statement: bool) -> ir.Expr:
        (dim_node,) = self.bind(node, ("dim",), required=0)
        dim = 0
        if dim_node is not None:
            value = self.expr(dim_node)
            if not (isinstance(value, ir.Const) and type(value.value) is int):
                raise self.type_error(dim_node, f"dc.{query}(d) needs a constant d (0, 1 or 2)")
            dim = value.value
            if not 0 <= dim <= 2:
                raise self.type_error(dim_node, f"dc.{query}(d): d must be 0, 1 or 2, got {dim}")
        return ir.WorkItemQuery(type=INT64, query=query, dim=dim)

    def call_barrier(self, name: str, node: ast.Call, statement: bool) -> None:
        self.bind(node, ())
        if not statement:
            raise self.syntax_error(node, "dc.barrier() is a statement; call it on its own line")
        self.uses_barrier = True
        self.emit(ir.Barrier())
        return None

    def call_shared_array(self, name: str, node: ast.Call, statement: bool) -> None:
        raise self.syntax_error(
            node,
            "dc.shared_array() must be assigned to a name at the top level of the kernel: "
            "tile = dc.shared_array((16, 16), dc.float32)",
        )

    def check_private_arguments(
        self, function: ir.Function, args: list[ir.Expr], nodes: list[ast.expr]
    ) -> None:
        """A device function passed a private array must not use it in an atomic (no other
        work-item sees it, and OpenCL and Metal have no atomics on private memory)."""
        for param, arg, node in zip(function.params, args, nodes, strict=True):
            if not isinstance(arg.type, PrivateArrayType):
                continue
            for expr in walk_exprs(function.body):
                if isinstance(expr, ir.AtomicOp) and expr.array.name == param.name:
                    raise self.type_error(
                        node,
                        f"{function.python_name} uses its parameter '{param.name}' in "
                        f"dc.atomic_{expr.op}, and it is passed a private array here: no other "
                        "work-item sees it, so update it with a plain assignment",
                    )

    def call_private_array(self, name: str, node: ast.Call, statement: bool) -> None:
        raise self.syntax_error(
            node,
            "dc.private_array() must be assigned to a name at the top level of the kernel or "
            "device function: acc = dc.private_array((4, 4), dc.float32)",
        )

    def call_atomic(self, op: str, node: ast.Call, statement: bool) -> ir.Expr:
        names = (
            ("array", "index", "compare", "value") if op == "cas" else ("array", "index", "value")
        )
        array_node, index_node, *operand_nodes = self.bind(node, names)
        var = self.array(array_node, f"dc.atomic_{op}")
        if isinstance(var.type, PrivateArrayType):
            raise self.type_error(
                array_node,
                f"dc.atomic_{op} on a private array: no other work-item can see it, so update "
                "it with a plain assignment",
            )
        dtype = var.type.dtype
        if dtype.name not in _ATOMIC_TYPES:
            raise self.type_error(
                array_node,
                f"dc.atomic_{op} is not supported on {dtype} arrays; use an array of "
                f"{', '.join(_ATOMIC_TYPES)}",
            )
        element = self.element(var, index_node, node, hoist=False)
        what = f"the value of dc.atomic_{op} on a {dtype} array"
        operands = [self.convert(self.expr(n), dtype, n, what) for n in operand_nodes]
        return ir.AtomicOp(type=dtype, op=op, array=var, indices=element.indices, operands=operands)

    def call_math(self, name: str, node: ast.Call, statement: bool) -> ir.Expr:
        arity, kind = intrinsics.MATH_FUNCTIONS[name]
        callee = ast.unparse(node.func)
        if node.keywords:
            raise self.type_error(node, f"{callee}() takes positional arguments only")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.source.unsupported(arg, self.where)
        args = [self.expr(a) for a in node.args]
        for value, arg in zip(args, node.args, strict=True):
            self.check_scalar(value, arg)
        if name in ("min", "max") and len(args) > 2:
            result = args[0]  # min(a, b, c) is min(min(a, b), c)
            for value in args[1:]:
                result = self.math(name, [result, value], node, kind)
            return result
        if len(args) != arity:
            raise self.type_error(
                node, f"{callee}() takes {arity} argument{'s' if arity > 1 else ''}"
            )
        return self.math(name, args, node, kind)

    def math(self, name: str, args: list[ir.Expr], node: ast.AST, kind: str) -> ir.Expr:
        if kind == "numeric" and all(isinstance(a, Literal) for a in args):
            return _literal(getattr(builtins, name)(*(a.value for a in args)))
        t = arithmetic_type(self.common_type(args, node))
        if kind == "predicate":
            if not t.is_float:  # an integer is never NaN or infinite
                return _literal(name == "isfinite")
            return ir.MathCall(type=BOOL, function=name, args=[self.cast(args[0], t)])
        if kind == "float":
            t = float_type_for(t)
        elif name == "abs" and t.is_integer and not t.is_signed:
            return self.cast(args[0], t)  # abs of an unsigned value is the value
        return ir.MathCall(type=t, function=name, args=[self.cast(a, t) for a in args])

    def call_device_function(
        self, function: DeviceFunction, node: ast.Call, statement: bool
    ) -> ir.Expr:
        callee = function.template
        if callee in active_templates():
            raise self.type_error(
                node,
                f"recursion: {callee.name} is called while it is being compiled (directly or "
                "through other device functions); kernels cannot recurse, write a loop",
            )
        arg_nodes = self.bind(node, tuple(callee.param_names))
        args, types = [], []
        for name, declared, arg in zip(
            callee.param_names, callee.declared_types, arg_nodes, strict=True
        ):
            value = self.expr(arg)
            if isinstance(declared, ScalarType):
                what = f"argument '{name}' of {callee.name}"
                value = self.convert(value, declared, arg, what)
            elif isinstance(value.type, ArrayType | FixedArrayType):
                if declared is not None and (
                    (declared.dtype is not None and declared.dtype != value.type.dtype)
                    or declared.ndim != value.type.ndim
                ):
                    raise self.type_error(
                        arg, f"{callee.name} expects {declared} for '{name}', got {value.type}"
                    )
            elif declared is not None:
                raise self.type_error(arg, f"{callee.name} expects an array for '{name}'")
            else:
                self.check_scalar(value, arg)
                value = self.materialize(value, arg)
            args.append(value)
            # Shared and private arrays are passed by reference like global ones (their extents
            # become the constants passed for the parameter's shape).
            if isinstance(value.type, FixedArrayType):
                types.append(ArrayType(value.type.dtype, value.type.ndim))
            else:
                types.append(value.type)
        specialized = specialize(callee, types)
        self.check_private_arguments(specialized, args, arg_nodes)
        for inner in (*specialized.callees, specialized):
            self.callees.setdefault(inner.name, inner)
        if specialized.return_type == VOID and not statement:
            raise self.type_error(node, f"{callee.name} returns nothing; it has no value")
        return ir.FuncCall(type=specialized.return_type, function=specialized.name, args=args)
