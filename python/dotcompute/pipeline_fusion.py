# python/dotcompute/pipeline_fusion.py
# Fusion of chains of elementwise kernel stages into one generated kernel, through the typed IR.
"""Kernel fusion for pipelines.

Note [Pipeline fusion]
A chain of kernel stages A -> B -> ... where each intermediate array is written by one stage and
read only by the next becomes one kernel: the stages' typed IR bodies are placed one after the
other in a new ``ir.Function``, every intermediate array becomes a per-work-item scalar (a store
``t[i] = v`` becomes ``t = v``, a load ``t[i]`` reads ``t``), and the generators print it like
any kernel. Memory is then read and written once instead of once per stage.

This is valid when each stage is *elementwise on the intermediates*: every access to an
intermediate array is at the work-item's own index ``i = dc.global_id(0)`` (other arrays may be
read anywhere), the launch is 1-D over the same size for every stage, and there are no barriers,
shared arrays, atomics on intermediates or device-function calls receiving them. ``return`` is
allowed only as a top-level ``if cond: return`` guard, which becomes ``if not cond: <rest>``.
Every stage's work-item index is unified into one variable, so identical guards
(``if i < out.shape[0]``) after renaming merge into one ``if``. When a check fails the chain
runs unfused and the reason is recorded (``Pipeline.fusion_report``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _core
from .kernel import cache, ir
from .kernel.kernel import _GENERATORS, _param_spec, _written_arrays
from .kernel.types import ArrayType, PrivateArrayType, ScalarType
from .pipeline_stages import KernelStage, Output, _resolve


class FusionRefusedError(Exception):
    """The chain cannot be fused; the message says why."""


# -- IR rewriting ---------------------------------------------------------------------------------


def _rewrite(node: Any, visit) -> Any:
    """A copy of an IR node with ``visit`` applied bottom-up to every Expr and Stmt."""
    if isinstance(node, list):
        return [_rewrite(item, visit) for item in node]
    if not isinstance(node, ir.Expr | ir.Stmt):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name in ("type", "loc"):
            continue
        value = getattr(node, f.name)
        if isinstance(value, list | ir.Expr | ir.Stmt):
            changes[f.name] = _rewrite(value, visit)
    return visit(dataclasses.replace(node, **changes))


def _walk(node: Any):
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
        return
    if not isinstance(node, ir.Expr | ir.Stmt):
        return
    yield node
    for f in dataclasses.fields(node):
        if f.name not in ("type", "loc"):
            yield from _walk(getattr(node, f.name))


def _is_global_id_0(expr: ir.Expr) -> bool:
    while isinstance(expr, ir.Cast):
        expr = expr.value
    return isinstance(expr, ir.WorkItemQuery) and expr.query == "global_id" and expr.dim == 0


def _work_item_index(function: ir.Function) -> str:
    """The local holding dc.global_id(0): assigned once, at top level, and never again."""
    top = [s for s in function.body if isinstance(s, ir.Assign) and _is_global_id_0(s.value)]
    if len(top) != 1:
        raise FusionRefusedError(
            f"kernel '{function.python_name}' does not assign dc.global_id(0) to one variable "
            "at its top level"
        )
    name = top[0].target.name
    assigned = [
        s for s in _walk(function.body) if isinstance(s, ir.Assign) and s.target.name == name
    ]
    if len(assigned) != 1:
        raise FusionRefusedError(f"kernel '{function.python_name}' reassigns its index '{name}'")
    return name


def _check_elementwise(function: ir.Function, intermediates: set[str], index: str) -> None:
    label = f"kernel '{function.python_name}'"
    if function.uses_barrier or function.shared_arrays:
        raise FusionRefusedError(f"{label} uses barriers or shared arrays")
    for node in _walk(function.body):
        if isinstance(node, ir.Index) and node.array.name in intermediates:
            if not (
                len(node.indices) == 1
                and isinstance(node.indices[0], ir.Var)
                and node.indices[0].name == index
            ):
                raise FusionRefusedError(
                    f"{label} accesses '{node.array.name}' at another index than its own "
                    f"work-item's ({index})"
                )
        elif isinstance(node, ir.AtomicOp) and node.array.name in intermediates:
            raise FusionRefusedError(f"{label} uses an atomic on '{node.array.name}'")
        elif isinstance(node, ir.FuncCall) and any(
            isinstance(a, ir.Var) and a.name in intermediates for a in node.args
        ):
            raise FusionRefusedError(f"{label} passes an intermediate array to a device function")
        elif isinstance(node, ir.WorkItemQuery) and node.dim != 0:
            raise FusionRefusedError(f"{label} is not 1-D (it asks for dimension {node.dim})")


def _guarded_body(function: ir.Function) -> list[ir.Stmt]:
    """The body with top-level ``if cond: return`` guards turned into ``if not cond: rest``."""
    body = list(function.body)
    for position, stmt in enumerate(body):
        if (
            isinstance(stmt, ir.If)
            and not stmt.orelse
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], ir.Return)
        ):
            rest = _guarded_body(dataclasses.replace(function, body=body[position + 1 :]))
            return [*body[:position], ir.If(_negated(stmt.condition), rest, [])]
    if any(isinstance(s, ir.Return) for s in _walk(body)):
        raise FusionRefusedError(
            f"kernel '{function.python_name}' returns other than by a top-level "
            "'if ...: return' guard"
        )
    return body


_OPPOSITE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}


def _negated(condition: ir.Expr) -> ir.Expr:
    """not condition; an integer comparison flips its operator instead, so the guard
    `if i >= n: return` becomes `if i < n:` and merges with the other stages' guards (for
    floats, `not (a < b)` is not `a >= b` when one is NaN)."""
    if (
        isinstance(condition, ir.Compare)
        and isinstance(condition.left.type, ScalarType)
        and isinstance(condition.right.type, ScalarType)
        and not condition.left.type.is_float
        and not condition.right.type.is_float
    ):
        return dataclasses.replace(condition, op=_OPPOSITE[condition.op])
    return ir.UnaryOp(condition.type, "not", condition)


def _merge_guards(body: list[ir.Stmt]) -> list[ir.Stmt]:
    """Consecutive top-level ``if c: ...`` with equal conditions and no else become one."""
    merged: list[ir.Stmt] = []
    for stmt in body:
        previous = merged[-1] if merged else None
        if (
            isinstance(stmt, ir.If)
            and isinstance(previous, ir.If)
            and not stmt.orelse
            and not previous.orelse
            and stmt.condition == previous.condition
        ):
            merged[-1] = ir.If(previous.condition, previous.body + stmt.body, [])
        else:
            merged.append(stmt)
    return merged


# -- building the fused function ------------------------------------------------------------------


@dataclass
class FusedKernel:
    """One generated kernel for a chain; ``arguments`` says where each parameter's value comes
    from: ("ref", context name), ("value", object) or ("output", stage position)."""

    function: ir.Function
    arguments: list[tuple[str, Any]]
    plans: dict  # device spec -> KernelPlan

    def source(self, target: str = "cpu") -> str:
        return _GENERATORS[target](self.function).source


def fuse_chain(names: list[str], stages: list[KernelStage], arg_types: list[list]) -> FusedKernel:
    """The fused kernel of a chain. arg_types[k][p]: the kernel type of stage k's argument p
    (ArrayType or ScalarType). Raises FusionRefusedError."""
    for name, stage in zip(names, stages, strict=True):
        if stage.size is not None or any(stage.args[p].shape is not None for p in stage.outputs):
            # Fused stages share one launch, over the final output's shape.
            raise FusionRefusedError(f"stage '{name}' sets its own size or output shape")
    functions = []
    for stage, types in zip(stages, arg_types, strict=True):
        generic = [
            t.dtype.name
            for t, d in zip(types, stage.kernel._template.declared_types, strict=True)
            if isinstance(d, ArrayType) and d.dtype is None
        ]
        functions.append(stage.kernel.specialize(*generic))
    index = "dc_fused_i"
    params: list[ir.Param] = []
    arguments: list[tuple[str, Any]] = []
    by_reference: dict[str, str] = {}
    locals_: dict[str, ScalarType] = {index: None}
    private_arrays: dict[str, PrivateArrayType] = {}  # each stage's, renamed like its locals
    body: list[ir.Stmt] = []
    callees: dict[str, ir.Function] = {}
    # The intermediate produced by stage k is its single Output; the next stage reads it by name.
    produced = {names[k]: k for k in range(len(stages) - 1)}
    last = len(stages) - 1
    # Eliminated arrays' lengths come from the final output, so every stage's guard
    # (`if i < out.shape[0]`) reads the same array and the guards merge into one.
    length_source: ir.Var | None = None
    for param, value in zip(functions[last].params, stages[last].args, strict=True):
        if isinstance(value, Output):
            length_source = ir.Var(param.type, f"s{last}_{param.name}")
            break
    temps: dict[int, ir.Var] = {}

    for k, (stage, function) in enumerate(zip(stages, functions, strict=True)):
        own_index = _work_item_index(function)
        if k < last and len(stage.outputs) != 1:
            raise FusionRefusedError(f"stage '{names[k]}' must have exactly one Output to be fused")
        renames: dict[str, ir.Expr] = {}
        intermediates: set[str] = set()
        for position, (param, value) in enumerate(zip(function.params, stage.args, strict=True)):
            if isinstance(value, Output) and k < last:
                intermediates.add(param.name)
                temps[k] = ir.Var(param.type.dtype, f"dc_fused_t{k}")
                locals_[temps[k].name] = param.type.dtype
                renames[param.name] = temps[k]
                continue
            if isinstance(value, str) and value in produced and produced[value] == k - 1:
                intermediates.add(param.name)
                renames[param.name] = temps[k - 1]
                continue
            if isinstance(value, str) and value in by_reference:
                renames[param.name] = ir.Var(param.type, by_reference[value])
                continue
            fused_name = f"s{k}_{param.name}"
            params.append(ir.Param(fused_name, param.type))
            if isinstance(value, Output):
                arguments.append(("output", stage.outputs.index(position)))
            elif isinstance(value, str):
                arguments.append(("ref", value))
                by_reference[value] = fused_name
            else:
                arguments.append(("value", value))
            renames[param.name] = ir.Var(param.type, fused_name)
            if isinstance(param.type, ArrayType) and length_source is None:
                length_source = renames[param.name]
        if k > 0 and not any(isinstance(v, str) and produced.get(v) == k - 1 for v in stage.args):
            raise FusionRefusedError(f"stage '{names[k]}' does not read '{names[k - 1]}'")
        _check_elementwise(function, intermediates, own_index)
        for name, t in function.locals.items():
            if name != own_index:
                locals_[f"s{k}_{name}"] = t
        locals_[index] = function.locals.get(own_index) or locals_[index]
        for name, t in function.private_arrays.items():
            private_arrays[f"s{k}_{name}"] = t
        own_names = set(function.locals) | set(function.private_arrays)

        rewriter = _StageRewriter(
            renames, own_index, index, f"s{k}_", own_names, temps, length_source
        )
        guarded = _guarded_body(function)
        stage_body = [
            s for s in guarded if not (isinstance(s, ir.Assign) and s.target.name == own_index)
        ]
        body.extend(_rewrite(stage_body, rewriter.visit))
        for callee in function.callees:
            callees.setdefault(callee.name, callee)

    if length_source is None:
        raise FusionRefusedError("the fused kernel would have no array parameter")
    if locals_[index] is None:
        raise FusionRefusedError("the work-item index has no type")
    prologue: list[ir.Stmt] = [
        ir.Assign(
            ir.Var(locals_[index], index),
            ir.WorkItemQuery(locals_[index], "global_id", 0),
            declare=True,
        )
    ]
    name = "fused_" + "_".join(f.python_name for f in functions)
    fused = ir.Function(
        name=name,
        python_name=name,
        params=params,
        return_type=functions[0].return_type,
        body=prologue + _merge_guards(body),
        locals=locals_,
        is_kernel=True,
        private_arrays=private_arrays,
        callees=list(callees.values()),
    )
    return FusedKernel(fused, arguments, {})


@dataclass
class _StageRewriter:
    """Renames one stage's IR into the fused function (Note [Pipeline fusion])."""

    renames: dict[str, ir.Var]  # parameters -> fused parameters or intermediate temps
    own_index: str  # the stage's dc.global_id(0) local
    index: str  # the fused function's
    prefix: str  # for the stage's other locals and its private arrays
    local_names: set[str]
    temps: dict[int, ir.Var]
    length_source: ir.Var | None

    def visit(self, node: Any) -> Any:
        temps = {t.name for t in self.temps.values()}
        if isinstance(node, ir.Var):
            if node.name == self.own_index:
                return ir.Var(node.type, self.index)
            if node.name in self.renames:
                return self.renames[node.name]
            if node.name in self.local_names:
                return ir.Var(node.type, self.prefix + node.name)
            return node
        if isinstance(node, ir.Index) and node.array.name in temps:
            return node.array  # a load of t[i] reads the temp
        if isinstance(node, ir.Store) and isinstance(node.target, ir.Var):
            return ir.Assign(node.target, node.value)  # a store t[i] = v assigns it
        if isinstance(node, ir.ArrayShape | ir.ArraySize) and node.array.name in temps:
            return _length_of(node, self.length_source)
        return node


def _length_of(node: ir.Expr, array: ir.Var | None) -> ir.Expr:
    """array.shape[0] / array.size of an eliminated intermediate: every array of an elementwise
    chain has the launch's length, so any kept 1-D array of it answers."""
    if array is None:
        raise FusionRefusedError("no array left to take the length from")
    if isinstance(node, ir.ArrayShape):
        return ir.ArrayShape(node.type, array, node.dim)
    return ir.ArraySize(node.type, array)


def plan_for(fused: FusedKernel, device: str) -> Any:
    """The fused kernel compiled and loaded on device (cached per device)."""
    plan = fused.plans.get(device)
    if plan is not None:
        return plan
    backend = _core.get_device(device).backend
    if backend not in _GENERATORS:
        raise FusionRefusedError(f"no kernel generator for backend '{backend}'")
    generated = _GENERATORS[backend](fused.function)
    if backend == "cpu":
        module = cache.load_cpu_module(generated.source, device)
    else:
        module = cache.load_device_module(generated.source, device)
    written = _written_arrays(fused.function)
    params = [_param_spec(p, p.name, p.name in written) for p in fused.function.params]
    plan = module.kernel(
        generated.symbol,
        params,
        generated.shared_bytes,
        generated.per_item_bytes,
        generated.uses_barrier,
        None,
        name=fused.function.python_name,
        append_global_size=generated.appends_global_size,
    )
    fused.plans[device] = plan
    return plan


class TypedPlaceholder:
    """Stands for an intermediate array that a fused chain never materializes: it has the
    type the fusion needs (dtype, ndim) but no memory."""

    def __init__(self, array_type: ArrayType) -> None:
        self.array_type = array_type


def _type_of(value: Any) -> ArrayType | None:
    if isinstance(value, _core.Array):
        return ArrayType(ScalarType(value.dtype.name), value.ndim)
    if isinstance(value, TypedPlaceholder):
        return value.array_type
    return None


def argument_types(stage: KernelStage, ctx, stage_name: str, device: str) -> list:
    """Kernel types of a stage's arguments for this run (ArrayType, or None for scalars): they
    specialize the stage's kernel and key the fusion cache."""
    types: list[ArrayType | None] = []
    first: ArrayType | None = None
    for value in stage.args:
        if isinstance(value, Output):
            like = _type_of(_resolve(value.like, ctx, stage_name)) if value.like else first
            if like is None and (value.shape is None or value.dtype is None):
                raise FusionRefusedError(f"stage '{stage_name}': Output() has nothing to copy")
            dtype = (
                ScalarType(np.dtype(value.dtype).name) if value.dtype is not None else like.dtype
            )
            if isinstance(value.shape, int):
                ndim = 1
            elif value.shape is not None:
                ndim = len(value.shape)
            else:
                ndim = like.ndim
            types.append(ArrayType(dtype, ndim))
            continue
        resolved = _resolve(value, ctx, stage_name) if isinstance(value, str) else value
        found = _type_of(resolved)
        if found is not None and first is None:
            first = found
        types.append(found)
    return types
