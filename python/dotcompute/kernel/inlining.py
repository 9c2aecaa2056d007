# python/dotcompute/kernel/inlining.py
# Inlines device functions that wait at barriers or declare shared arrays into their callers.
"""Inlining of device functions at the IR level.

Note [Inlined device functions]: a device function that calls ``dc.barrier()`` or declares a
``dc.shared_array`` is not emitted as a function: every call of it is replaced by its body.
The CPU runs the work-items of a group between two barriers as one loop (loop fission, Note
[Barriers] in codegen_c.py), which cannot be split across a call; OpenCL and Metal declare
local and threadgroup memory only at kernel scope. After inlining, barriers and shared arrays
stand in the kernel's body, where every generator already handles them.

At each call site the function's parameters become fresh locals assigned from the arguments
(arrays, and variables or constants passed for parameters it never assigns: the argument
itself), its locals and shared arrays get fresh names (each call
site has its own shared arrays), and its locals start from zero, as they do in a call. The call
must stand alone: a statement, the whole right side of an assignment, a store or an unpacking,
or a return value. The function may return only as its last statement (a return elsewhere
would need a jump out of the inlined body). Its private arrays become the caller's, renamed
per call site like its shared arrays; the generators zero a function's private arrays once, at
its top (Note [Private arrays] in codegen_base.py), so where the declaration stood the inlined
body zeroes them itself, with loops of constant bounds that GPU targets unroll: each call
starts from zeros, as it does in a call.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from . import ir
from .codegen_base import assigned_locals, stmt_exprs, walk_expr, walk_stmts
from .types import INT64, ArrayType, FixedArrayType, PrivateArrayType, ScalarType


def needs_inlining(function: ir.Function) -> bool:
    """Whether calls of function are replaced by its body (Note [Inlined device functions])."""
    return function.uses_barrier or bool(function.shared_arrays)


class Inliner:
    """Replaces the calls of ``functions`` (specialized name -> ir.Function) in a body.

    ``locals_``, ``shared`` and ``private`` are the caller's tables, extended with the inlined
    names;
    ``error(stmt, message)`` makes the exception for a call that cannot be inlined."""

    def __init__(
        self,
        functions: dict[str, ir.Function],
        locals_: dict[str, ScalarType],
        shared: dict[str, FixedArrayType],
        private: dict[str, PrivateArrayType],
        error: Callable[[ir.Stmt, str], Exception],
    ) -> None:
        self.functions = functions
        self.locals = locals_
        self.shared = shared
        self.private = private
        self.error = error
        self.inlined = 0

    def block(self, stmts: list[ir.Stmt]) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for stmt in stmts:
            out.extend(self.stmt(stmt))
        return out

    def stmt(self, stmt: ir.Stmt) -> list[ir.Stmt]:
        if isinstance(stmt, ir.If):
            stmt.body, stmt.orelse = self.block(stmt.body), self.block(stmt.orelse)
        elif isinstance(stmt, ir.For | ir.While):
            stmt.body = self.block(stmt.body)
        call = self.standalone_call(stmt)
        if call is None:
            self.refuse_nested_calls(stmt)
            return [stmt]
        return self.expand(stmt, call)

    def standalone_call(self, stmt: ir.Stmt) -> ir.FuncCall | None:
        """The call of an inlined function that is the whole value of stmt, if any."""
        value = None
        if isinstance(stmt, ir.ExprStmt | ir.Unpack | ir.Return):
            value = stmt.value
        elif isinstance(stmt, ir.Assign | ir.Store):
            value = stmt.value.value if isinstance(stmt.value, ir.Cast) else stmt.value
        if isinstance(value, ir.FuncCall) and value.function in self.functions:
            return value
        return None

    def refuse_nested_calls(self, stmt: ir.Stmt) -> None:
        for expr in stmt_exprs(stmt):
            for node in walk_expr(expr):
                if isinstance(node, ir.FuncCall) and node.function in self.functions:
                    name = self.functions[node.function].python_name
                    raise self.error(
                        stmt,
                        f"{name} waits at a barrier or declares a shared array, so its call "
                        "must stand alone: a statement, the whole right side of an assignment "
                        f"or store, or a return value (r = {name}(...))",
                    )

    def expand(self, stmt: ir.Stmt, call: ir.FuncCall) -> list[ir.Stmt]:
        callee = self.functions[call.function]
        name = callee.python_name
        prefix = f"dc_i{self.inlined}_"
        self.inlined += 1
        renames: dict[str, ir.Expr] = {}
        out: list[ir.Stmt] = []
        assigned = {v.name for s in walk_stmts(callee.body) for v in assigned_locals(s)}
        assigned |= {s.var.name for s in walk_stmts(callee.body) if isinstance(s, ir.For)}
        for param, arg in zip(callee.params, call.args, strict=True):
            if isinstance(param.type, ArrayType):
                renames[param.name] = arg  # an array argument is always a variable
                continue
            if isinstance(arg, ir.Var | ir.Const) and param.name not in assigned:
                # Read only: the argument itself, not a copy that would live on in a local
                # (PoCL keeps every local live across a barrier in per-work-item memory).
                renames[param.name] = arg
                continue
            local = self.fresh(prefix + param.name, param.type)
            renames[param.name] = local
            out.append(ir.Assign(target=local, value=arg, declare=True, loc=stmt.loc))
        for local_name, t in callee.locals.items():
            if local_name in renames:
                continue
            local = self.fresh(prefix + local_name, t)
            renames[local_name] = local
            out.append(ir.Assign(target=local, value=ir.constant(0, t), declare=True, loc=stmt.loc))
        for loop in walk_stmts(callee.body):
            if isinstance(loop, ir.For) and loop.var.name not in renames:
                renames[loop.var.name] = ir.Var(type=loop.var.type, name=prefix + loop.var.name)
        for array_name, t in callee.shared_arrays.items():
            renames[array_name] = ir.Var(type=t, name=prefix + array_name)
            self.shared[prefix + array_name] = t
        for array_name, t in callee.private_arrays.items():
            renames[array_name] = ir.Var(type=t, name=prefix + array_name)
            self.private[prefix + array_name] = t
        body = []
        for inner in callee.body:
            renamed = _renamed(inner, renames)
            if isinstance(renamed, ir.PrivateArrayDecl):
                body.append(_zeroed(renamed.var, renamed.loc or stmt.loc))
            else:
                body.append(renamed)
        returned = None
        if body and isinstance(body[-1], ir.Return):
            returned = body.pop().value
        if any(isinstance(s, ir.Return) for s in walk_stmts(body)):
            raise self.error(
                stmt,
                f"{name} waits at a barrier or declares a shared array, so it is inlined, and "
                "an inlined device function may return only as its last statement",
            )
        for inner in body:
            inner.loc = inner.loc or stmt.loc
        return out + body + self.result(stmt, returned)

    def fresh(self, name: str, t: ScalarType) -> ir.Var:
        self.locals[name] = t
        return ir.Var(type=t, name=name)

    def result(self, stmt: ir.Stmt, returned: ir.Expr | None) -> list[ir.Stmt]:
        """What the call's statement becomes once the body has run."""
        loc = stmt.loc
        if isinstance(stmt, ir.Assign | ir.Store):
            value = returned
            if isinstance(stmt.value, ir.Cast):
                value = dataclasses.replace(stmt.value, value=returned)
            return [dataclasses.replace(stmt, value=value)]
        if isinstance(stmt, ir.Return):
            return [ir.Return(value=returned, loc=loc)]
        if isinstance(stmt, ir.Unpack):
            if isinstance(returned, ir.TupleValue):
                return [
                    ir.Assign(target=target, value=value, loc=loc)
                    for target, value in zip(stmt.targets, returned.values, strict=True)
                ]
            return [ir.Unpack(targets=stmt.targets, value=returned, loc=loc)]
        # A call as a statement: its value is dropped, but not the calls in it.
        values = returned.values if isinstance(returned, ir.TupleValue) else [returned]
        return [
            ir.ExprStmt(value=value, loc=loc)
            for value in values
            if value is not None and _has_calls(value)
        ]


def _zeroed(array: ir.Var, loc) -> ir.For:
    """Loops that set every element of a private array to zero (Note [Inlined device
    functions]): one loop per dimension, constant bounds."""
    shape = array.type.shape
    counters = [ir.Var(type=INT64, name=f"{array.name}_zero{d}") for d in range(len(shape))]
    element = ir.Index(type=array.type.dtype, array=array, indices=list(counters), loc=loc)
    body: list[ir.Stmt] = [
        ir.Store(target=element, value=ir.constant(0, array.type.dtype), loc=loc)
    ]
    for counter, extent in reversed(list(zip(counters, shape, strict=True))):
        loop = ir.For(
            var=counter,
            start=ir.constant(0, INT64),
            stop=ir.constant(extent, INT64),
            step=ir.constant(1, INT64),
            step_sign=1,
            body=body,
            loc=loc,
        )
        body = [loop]
    return body[0]


def _has_calls(expr: ir.Expr) -> bool:
    return any(isinstance(node, ir.FuncCall | ir.AtomicOp) for node in walk_expr(expr))


def _renamed(node, renames: dict[str, ir.Expr]):
    """A copy of node with the variables named in renames replaced; shapes of fixed-size
    arrays passed for array parameters become constants."""
    if isinstance(node, list):
        return [_renamed(item, renames) for item in node]
    if isinstance(node, ir.Var):
        return renames.get(node.name, node)
    if not isinstance(node, ir.Expr | ir.Stmt):
        return node
    changes = {
        f.name: _renamed(getattr(node, f.name), renames)
        for f in dataclasses.fields(node)
        if f.name not in ("type", "loc")
    }
    copy = dataclasses.replace(node, **changes)
    if isinstance(copy, ir.ArrayShape) and isinstance(copy.array.type, FixedArrayType):
        return ir.Const(type=INT64, value=copy.array.type.shape[copy.dim], loc=copy.loc)
    if isinstance(copy, ir.ArraySize) and isinstance(copy.array.type, FixedArrayType):
        return ir.Const(type=INT64, value=math.prod(copy.array.type.shape), loc=copy.loc)
    return copy
