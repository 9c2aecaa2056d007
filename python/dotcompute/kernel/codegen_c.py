# python/dotcompute/kernel/codegen_c.py
# The CPU code generator: a kernel's IR as one self-contained C11 translation unit.
# ruff: noqa: N802  (emit_<IRNodeClass> methods are named after the IR classes)
"""C code generation for the CPU backend.

The translation unit includes only ``<stdbool.h>``, ``<stdint.h>`` and ``<math.h>``, declares
its own copy of ``dc_cpu_launch`` (cpu_kernel_abi.h), exports ``dc_cpu_kernel_abi_version`` and
one kernel function ``dc_kernel_<name>``; device functions and helpers are ``static inline``.
The runtime compiles it with ``compiler.BASE_FLAGS`` (C11, ``-O3``, ``-fno-math-errno`` so sqrt
and friends vectorize, ``-ffp-contract=off``, ``-fvisibility=hidden``) plus an ISA flag; not
``-fwrapv``: see Note [Operator semantics] in codegen_base.

Note [Work-item loops] Kernels without barriers and shared arrays: the body becomes an
always-inlined function of one work-item (so ``return`` needs no special handling), called from
loops over each work-group's local ids, dimension 0 innermost, whose bounds are clipped to the
global size once per row rather than tested per item; a 1-D launch of a kernel that does not ask
for local or group ids runs all its groups as one flat loop. gcc then vectorizes the innermost
loop, with run-time alias checks (arrays may alias, so no ``ivdep``).

Note [Barriers] Kernels with ``dc.barrier()`` (or shared arrays) run by loop fission, as PoCL's
work-item loops: the body is split at barriers into regions, and each region runs as a loop over
all work-items of the group before the next region starts. A loop or branch that contains a
barrier is emitted once per group with the work-item loops of its regions nested inside; its
condition, range bounds and step are evaluated once, with the values of the group's lead
work-item (the lowest-numbered one that has not returned) -- correct because the language
requires them to be uniform across the group. Their loop variables are plain C counters.
Local variables that are live in more than one region, or read by such a condition, are kept per
work-item in the scratch memory (``per_item_bytes`` each); the others are plain C locals of their
region. Shared arrays sit at the start of scratch at 64-byte aligned offsets.

- ``break``/``continue`` of a loop that contains a barrier must be uniform: a work-item taking it
  sets a group flag and skips the rest of its region; after the region the group leaves (or
  continues) the loop.
- ``return`` ends the work-item: it takes no part in any later region, and barriers synchronize
  the remaining work-items (as exited threads on CUDA). When every work-item of the group has
  returned, the group ends.
- Barriers inside ``@dc.func`` device functions are rejected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import ir
from .codegen_base import (
    PREC_ADD,
    PREC_MUL,
    PREC_PRIMARY,
    CExpr,
    CodeGenerator,
    FunctionInfo,
    SourceWriter,
    contains_barrier,
    stmt_exprs,
    variables_read,
    walk_expr,
    walk_exprs,
    walk_stmts,
)
from .types import (
    BOOL,
    FLOAT16,
    ArrayType,
    ScalarType,
    SharedArrayType,
)

SHARED_ALIGNMENT = 64

_C_TYPES = {
    "bool": "bool",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "uint8": "uint8_t",
    "uint16": "uint16_t",
    "uint32": "uint32_t",
    "uint64": "uint64_t",
    "float16": "float",
    "float32": "float",
    "float64": "double",
}

_LAUNCH_STRUCT = """typedef struct dc_cpu_launch {
    uint32_t dimensions;
    uint32_t reserved;
    uint64_t global_size[3];
    uint64_t local_size[3];
    uint64_t group_count[3];
    uint64_t group_begin;
    uint64_t group_end;
    void* scratch;
    uint64_t scratch_bytes;
} dc_cpu_launch;
"""

_EXPORT = '__attribute__((visibility("default")))'


@dataclass
class GeneratedKernel:
    source: str  # complete translation unit
    symbol: str  # the kernel function's exported name
    shared_bytes: int  # bytes of dc.shared_array memory per work-group
    per_item_bytes: int  # bytes of per-work-item state needed when the kernel has barriers
    uses_barrier: bool
    # The kernel takes the launch's global size as three trailing int64 arguments (CUDA).
    appends_global_size: bool = False


def generate_c(function: ir.Function) -> GeneratedKernel:
    """The C translation unit of kernel ``function`` (see the module notes)."""
    return CGenerator().generate(function)


def _align(offset: int, alignment: int = SHARED_ALIGNMENT) -> int:
    return (offset + alignment - 1) // alignment * alignment


def _loop_exits(body: list[ir.Stmt]) -> tuple[bool, bool]:
    """Whether ``break``/``continue`` statements of the loop owning ``body`` occur (those in
    nested loops belong to the nested loops)."""
    found_break = found_continue = False
    pending = list(body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, ir.Break):
            found_break = True
        elif isinstance(stmt, ir.Continue):
            found_continue = True
        elif isinstance(stmt, ir.If):
            pending += stmt.body + stmt.orelse
    return found_break, found_continue


@dataclass
class _Region:
    stmts: list[ir.Stmt]
    in_barrier_loop: bool


class CGenerator(CodeGenerator):
    target = "cpu"

    def __init__(self) -> None:
        super().__init__()
        self.extent_names: dict[tuple[str, int], str] = {}
        self.query_names: dict[tuple[str, int], str] = {}
        # Loop fission state (Note [Barriers]).
        self.region_mode = False
        self.uniform = False
        self.scratch_vars: set[str] = set()
        self.scratch_arrays: set[str] = set()  # private arrays of a kernel with barriers
        self.item_name = "item"
        self.lead_name = ""
        self.local_id_names: list[str] = []
        self.launch_names: dict[str, str] = {}
        self.returned_name = ""
        self.exit_label: str | None = None
        self.region_loop_depth = 0
        self.loop_flags: list[tuple[str | None, str | None]] = []
        self.has_returns = False
        self.end_group_label = ""
        self.items_name = "items"
        self.region_locals: dict[str, ScalarType] = {}

    # ----- target hooks -------------------------------------------------------------------

    def scalar_type(self, t: ScalarType) -> str:
        return _C_TYPES[t.name]

    def storage_type(self, t: ScalarType) -> str:
        # bool elements are bytes in memory: gcc 12 vectorizes no loop that loads a C bool and
        # then chooses or sums with it (Note [Branch-free select] in algorithm_kernels/select.py);
        # loaded as uint8_t, the same 0 and 1 convert to bool wherever the kernel uses them.
        if t == BOOL:
            return "uint8_t"
        return "_Float16" if t == FLOAT16 else _C_TYPES[t.name]

    def extent(self, array: str, dim: int) -> CExpr:
        return CExpr(self.extent_names[(array, dim)], PREC_PRIMARY)

    def work_item_query(self, query: str, dim: int) -> CExpr:
        if not self.region_mode:
            return CExpr(self.query_names[(query, dim)], PREC_PRIMARY)
        launch = self.launch_names
        if query == "local_size":
            return CExpr(launch[f"local_size_{dim}"], PREC_PRIMARY)
        if query == "global_size":
            return CExpr(launch[f"global_size_{dim}"], PREC_PRIMARY)
        if query == "num_groups":
            return CExpr(launch[f"group_count_{dim}"], PREC_PRIMARY)
        if query == "group_id":
            return CExpr(launch[f"group_id_{dim}"], PREC_PRIMARY)
        local = self.local_id_expr(dim)
        if query == "local_id":
            return local
        if not self.uniform:
            return CExpr(self.query_names[("global_id", dim)], PREC_PRIMARY)
        first = launch[f"group_first_{dim}"]
        if local.text == "0":
            return CExpr(first, PREC_PRIMARY)
        return CExpr(f"{first} + {local.at(PREC_ADD)}", PREC_ADD)

    def local_id_expr(self, dim: int) -> CExpr:
        """The local id in the current context: a loop counter inside a region, the lead
        work-item's in a uniform condition."""
        if not self.uniform:
            return CExpr(self.local_id_names[dim], PREC_PRIMARY)
        if not self.has_returns:
            return CExpr("0", PREC_PRIMARY)
        lead = self.lead_name
        sizes = [self.launch_names[f"local_size_{d}"] for d in range(3)]
        if dim == 0:
            return CExpr(f"{lead} % {sizes[0]}", PREC_MUL)
        if dim == 1:
            return CExpr(f"{lead} / {sizes[0]} % {sizes[1]}", PREC_MUL)
        return CExpr(f"{lead} / ({sizes[0]} * {sizes[1]})", PREC_MUL)

    def variable_ref(self, var: ir.Var) -> CExpr:
        name = self.names.user(var.name)
        if self.region_mode and var.name in self.scratch_vars:
            return CExpr(f"{name}[{self.scratch_item()}]", PREC_PRIMARY)
        return CExpr(name, PREC_PRIMARY)

    def scratch_item(self) -> str:
        """The work-item whose scratch copy a reference means: the current one inside a region,
        the lead work-item in a uniform condition."""
        if self.uniform:
            return self.lead_name if self.has_returns else "0"
        return self.item_name

    def in_scratch(self, array: ir.Var) -> bool:
        """A private array kept per work-item in scratch (a kernel with barriers)."""
        return self.region_mode and array.name in self.scratch_arrays

    def element_ref(self, array: ir.Var, indices: list[ir.Expr], node: ir.Expr) -> CExpr:
        if not self.in_scratch(array):
            return super().element_ref(array, indices, node)
        flat = self.flat_index(array, indices, node)
        return CExpr(f"{self.array_argument(array)}[{flat.text}]", PREC_PRIMARY)

    def array_argument(self, array: ir.Var) -> str:
        if not self.in_scratch(array):
            return super().array_argument(array)
        # Work-item i's copy of a private array in scratch: elements i * size to (i + 1) *
        # size - 1, a plain array that device functions can be passed.
        size = math.prod(array.type.shape)
        return f"({self.names.user(array.name)} + {self.scratch_item()} * {size})"

    def emit_Barrier(self, stmt: ir.Barrier) -> None:
        if not self.region_mode:
            raise self.fail(stmt, "dc.barrier() inside a @dc.func device function")
        # Regions run one after the other on this thread; the fence keeps the barrier's
        # promise that it also orders global memory.
        self.out.line("__atomic_thread_fence(__ATOMIC_SEQ_CST);")

    def emit_SharedArrayDecl(self, stmt: ir.SharedArrayDecl) -> None:
        assert self.function is not None
        if not self.function.is_kernel:
            raise self.fail(stmt, "dc.shared_array inside a @dc.func device function")
        # The pointer into scratch is set once at kernel entry (Note [Barriers]); the
        # statement itself needs no code where it stands.

    def emit_PrivateArrayDecl(self, stmt: ir.PrivateArrayDecl) -> None:
        if not self.in_scratch(stmt.var):
            return  # a C array declared at the top of the function (Note [Private arrays])
        # This work-item's copy in scratch: zeroed where the declaration stands, which the
        # lowering keeps at the kernel's top level, so once per work-item and group.
        element = self.names.fresh("element")
        size = math.prod(stmt.var.type.shape)
        self.out.open(f"for (int64_t {element} = 0; {element} < {size}; ++{element}) {{")
        self.out.line(f"{self.array_argument(stmt.var)}[{element}] = 0;")
        self.out.close()

    def emit_AtomicOp(self, expr: ir.AtomicOp) -> CExpr:
        t, pointer, operands = self.atomic_operands(expr)
        relaxed = "__ATOMIC_RELAXED"
        if t.is_integer and expr.op in ("add", "sub"):
            return self.call(f"__atomic_fetch_{expr.op}", pointer, operands[0], relaxed)
        if t.is_integer and expr.op == "exchange":
            return self.call("__atomic_exchange_n", pointer, operands[0], relaxed)
        name = self.require_helper(
            f"dc_atomic_{expr.op}_{self.type_suffix(t)}", lambda: self.atomic_helper(expr.op, t)
        )
        return self.call(name, pointer, *operands)

    def atomic_helper(self, op: str, t: ScalarType) -> str:
        """Read-modify-write loops on compare-exchange; floats go through the generic builtins
        that compare bit patterns (so a CAS on floats compares bits: -0.0 != 0.0, NaN == NaN
        of the same payload)."""
        c = self.scalar_type(t)
        name = f"dc_atomic_{op}_{self.type_suffix(t)}"
        head = f"{self.helper_qualifiers()} {c} {name}"
        relaxed = "__ATOMIC_RELAXED, __ATOMIC_RELAXED"
        if op == "cas":
            if t.is_integer:
                swap = f"__atomic_compare_exchange_n(p, &compare, value, false, {relaxed});"
            else:
                swap = f"__atomic_compare_exchange(p, &compare, &value, false, {relaxed});"
            body = [f"    {swap}", "    return compare;"]
            return "\n".join([f"{head}({c}* p, {c} compare, {c} value)", "{", *body, "}", ""])
        if op == "exchange":
            body = [f"    {c} old;", "    __atomic_exchange(p, &value, &old, __ATOMIC_RELAXED);"]
            body.append("    return old;")
            return "\n".join([f"{head}({c}* p, {c} value)", "{", *body, "}", ""])
        if t.is_integer:
            load = f"    {c} old = __atomic_load_n(p, __ATOMIC_RELAXED);"
            cas = f"__atomic_compare_exchange_n(p, &old, desired, true, {relaxed})"
        else:
            load = f"    {c} old;\n    __atomic_load(p, &old, __ATOMIC_RELAXED);"
            cas = f"__atomic_compare_exchange(p, &old, &desired, true, {relaxed})"
        if op in ("min", "max"):
            # Python's min/max: the new value wins only when strictly smaller (larger).
            compare = "<" if op == "min" else ">"
            body = [load, f"    while (value {compare} old) {{", f"        {c} desired = value;"]
            body += [f"        if ({cas}) {{", "            break;", "        }", "    }"]
        else:
            sign = "+" if op == "add" else "-"
            body = [load, f"    {c} desired = old {sign} value;", f"    while (!{cas}) {{"]
            body += [f"        desired = old {sign} value;", "    }"]
        body.append("    return old;")
        return "\n".join([f"{head}({c}* p, {c} value)", "{", *body, "}", ""])

    # ----- statements with loop-fission behaviour ------------------------------------------

    def emit_Break(self, stmt: ir.Break) -> None:
        if self.region_mode and self.region_loop_depth == 0:
            flag = self.loop_flags[-1][0] if self.loop_flags else None
            if flag is None or self.exit_label is None:
                raise self.fail(stmt, "'break' outside a loop")
            self.out.line(f"{flag} = true;")
            self.out.line(f"goto {self.exit_label};")
            return
        self.out.line("break;")

    def emit_Continue(self, stmt: ir.Continue) -> None:
        if self.region_mode and self.region_loop_depth == 0:
            flag = self.loop_flags[-1][1] if self.loop_flags else None
            if flag is None or self.exit_label is None:
                raise self.fail(stmt, "'continue' outside a loop")
            self.out.line(f"{flag} = true;")
            self.out.line(f"goto {self.exit_label};")
            return
        self.out.line("continue;")

    def emit_Return(self, stmt: ir.Return) -> None:
        if self.region_mode:
            if stmt.value is not None:
                raise self.fail(stmt, "a kernel cannot return a value")
            self.out.line(f"{self.returned_name}[{self.item_name}] = true;")
            self.out.line(f"goto {self.exit_label};")
            return
        super().emit_Return(stmt)

    def emit_For(self, stmt: ir.For) -> None:
        self.region_loop_depth += 1
        super().emit_For(stmt)
        self.region_loop_depth -= 1

    def emit_While(self, stmt: ir.While) -> None:
        self.region_loop_depth += 1
        super().emit_While(stmt)
        self.region_loop_depth -= 1

    # ----- translation unit ------------------------------------------------------------------

    def generate(self, kernel: ir.Function) -> GeneratedKernel:
        if not kernel.is_kernel:
            raise self.fail(kernel, f"{kernel.python_name!r} is a device function, not a kernel")
        device_functions = self.register_functions(kernel)
        symbol = "dc_kernel_" + self.names.user(kernel.name)
        self.function_names[kernel.name] = symbol
        bodies = self.emit_device_functions(device_functions)
        uses_barrier = any(contains_barrier(s) for s in kernel.body)
        if uses_barrier or self.kernel_shared_arrays(kernel):
            shared_bytes, per_item_bytes = self.emit_region_kernel(kernel, symbol)
        else:
            shared_bytes, per_item_bytes = 0, 0
            self.emit_item_kernel(kernel, symbol)
        bodies.lines += self.out.lines
        parts = [
            f"/* {self.generated_by(kernel)} */",
            "#include <math.h>",
            "#include <stdbool.h>",
            "#include <stdint.h>",
            "",
        ]
        body_text = self.helper_definitions() + "\n" + bodies.text()
        if "_Float16" in body_text:
            parts += [
                "#ifndef __FLT16_MAX__",
                '#error "float16 needs a C compiler with _Float16 (gcc 12 or clang 15 or newer)"',
                "#endif",
                "",
            ]
        parts += [_LAUNCH_STRUCT, f"{_EXPORT} const uint32_t dc_cpu_kernel_abi_version = 1;", ""]
        source = "\n".join(parts) + "\n" + body_text
        return GeneratedKernel(source, symbol, shared_bytes, per_item_bytes, uses_barrier)

    def kernel_shared_arrays(self, kernel: ir.Function) -> dict[str, SharedArrayType]:
        arrays = dict(kernel.shared_arrays)
        for stmt in walk_stmts(kernel.body):
            if isinstance(stmt, ir.SharedArrayDecl):
                if not isinstance(stmt.var.type, SharedArrayType):
                    raise self.fail(stmt, f"shared array of type {stmt.var.type}")
                arrays.setdefault(stmt.var.name, stmt.var.type)
        for expr in walk_exprs(kernel.body):
            if isinstance(expr, ir.Var) and isinstance(expr.type, SharedArrayType):
                arrays.setdefault(expr.name, expr.type)
        return arrays

    def prepare_names(self, function: ir.Function, info: FunctionInfo) -> None:
        """C names of one function: the user's first, then extents, then (kernels) the launch
        variables, whose names the work-item queries of the same meaning share."""
        self.begin_function(function)
        self.extent_names = {}
        for array, dims in sorted(info.extents.items()):
            for dim in sorted(dims):
                stem = f"{self.names.user(array)}_shape{dim}"
                self.extent_names[(array, dim)] = self.names.fresh(stem)
        self.launch_names = {}
        if function.is_kernel:
            self.reserve_launch_names()
        self.query_names = {
            q: self.launch_names.get(f"{q[0]}_{q[1]}") or self.names.fresh(f"{q[0]}_{q[1]}")
            for q in sorted(info.queries)
        }

    def declare_locals(self, function: ir.Function, names: dict[str, ScalarType]) -> None:
        read = variables_read(function.body)
        for name, t in names.items():
            unused = "" if name in read else f" {self.unused_attribute()}"
            self.out.line(f"{self.scalar_type(t)} {self.names.user(name)}{unused} = 0;")
        self.declare_private_arrays(function)

    def plain_locals(self, function: ir.Function) -> dict[str, ScalarType]:
        """Locals declared at the top of a function: loop counters that do not outlive their
        loop are declared by their ``for``."""
        loop_only = {
            s.var.name for s in walk_stmts(function.body) if isinstance(s, ir.For)
        } - self.escaping
        return {n: t for n, t in self.local_variables(function).items() if n not in loop_only}

    def parameter_list(self, function: ir.Function, info: FunctionInfo, all_params: bool) -> list:
        params: list[str] = []
        for param in function.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(function, f"array {param.name!r} has no element type yet")
                if all_params or param.name in info.uses_array:
                    params.append(f"{self.storage_type(param.type.dtype)}* {name}")
                for dim in sorted(info.extents.get(param.name, ())):
                    params.append(f"int64_t {self.extent_names[(param.name, dim)]}")
            elif all_params or param.name in variables_read(function.body):
                params.append(f"{self.scalar_type(param.type)} {name}")
        params += [f"int64_t {self.query_names[q]}" for q in sorted(info.queries)]
        return params

    def emit_device_function(self, function: ir.Function) -> None:
        info = self.infos[function.name]
        self.prepare_names(function, info)
        c_return = self.return_type_name(function)
        params = self.parameter_list(function, info, all_params=True)
        name = self.function_names[function.name]
        parameters = ", ".join(params) or "void"
        self.out.line(f"{self.helper_qualifiers()} {c_return} {name}({parameters})")
        self.out.open("{")
        read = variables_read(function.body)
        for param in function.params:
            if param.name not in read and not isinstance(param.type, ArrayType):
                self.out.line(f"(void){self.names.user(param.name)};")
        self.declare_locals(function, self.plain_locals(function))
        self.stmts(function.body)
        self.emit_final_return(function)
        self.out.close()

    # ----- kernels without barriers (Note [Work-item loops]) --------------------------------

    def unpack_arguments(self, kernel: ir.Function, info: FunctionInfo, needed: set[str]) -> None:
        """Per cpu_kernel_abi.h: an array takes 1 + ndim slots (data pointer, then pointers to
        the int64 extents), a scalar one slot (pointer to its value)."""
        slot = 0
        for param in kernel.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(kernel, f"array {param.name!r} has no element type yet")
                if param.name in needed:
                    element = self.storage_type(param.type.dtype)
                    self.out.line(f"{element}* {name} = ({element}*)args[{slot}];")
                for dim in range(param.type.ndim):
                    extent = self.extent_names.get((param.name, dim))
                    if extent is not None:
                        value = f"*(const int64_t*)args[{slot + 1 + dim}]"
                        self.out.line(f"const int64_t {extent} = {value};")
                slot += 1 + param.type.ndim
            else:
                if param.name in needed:
                    value = f"*(const {self.storage_type(param.type)}*)args[{slot}]"
                    self.out.line(f"const {self.scalar_type(param.type)} {name} = {value};")
                slot += 1

    def declare_launch(self) -> None:
        """The launch's sizes as int64 constants; ``drop_unused_launch_names`` removes those the
        function turns out not to need (-Wall)."""
        self.launch_declarations_at = len(self.out.lines)
        names = self.launch_names
        for field in ("global_size", "local_size", "group_count"):
            for dim in range(3):
                key = f"{field}_{dim}"
                self.out.line(f"const int64_t {names[key]} = (int64_t)launch->{field}[{dim}];")
        self.out.line(f"const int64_t {names['group_begin']} = (int64_t)launch->group_begin;")
        self.out.line(f"const int64_t {names['group_end']} = (int64_t)launch->group_end;")

    def drop_unused_launch_names(self, function_start: int) -> None:
        lines = self.out.lines
        start = self.launch_declarations_at
        for key in ("group_count_2", "group_count_1", "global_size_2", "global_size_1"):
            name = self.launch_names[key]
            pattern = re.compile(rf"\b{name}\b")
            # The substring test first: most lines lack the name, and it is much cheaper.
            users = [
                n
                for n in range(function_start, len(lines))
                if name in lines[n] and pattern.search(lines[n])
            ]
            if len(users) == 1 and users[0] >= start:
                del lines[users[0]]

    def reserve_launch_names(self) -> None:
        stems = ["group", "group_begin", "group_end"]
        for dim in range(3):
            stems += [f"{f}_{dim}" for f in ("global_size", "local_size", "group_count")]
            stems += [f"{f}_{dim}" for f in ("group_id", "group_first", "local_end", "local_id")]
        self.launch_names = {stem: self.names.fresh(stem) for stem in stems}
        self.local_id_names = [self.launch_names[f"local_id_{d}"] for d in range(3)]

    def open_group_loop(self) -> None:
        names = self.launch_names
        group = names["group"]
        self.out.open(
            f"for (int64_t {group} = {names['group_begin']}; {group} < {names['group_end']}; "
            f"++{group}) {{"
        )
        count0, count1 = names["group_count_0"], names["group_count_1"]
        ids = [
            f"{group} % {count0}",
            f"{group} / {count0} % {count1}",
            f"{group} / ({count0} * {count1})",
        ]
        for dim in range(3):
            self.out.line(f"const int64_t {names[f'group_id_{dim}']} = {ids[dim]};")
        min_name = self.require_helper("dc_min_i64", lambda: self.min_helper_i64())
        for dim in range(3):
            first, size = names[f"group_first_{dim}"], names[f"local_size_{dim}"]
            self.out.line(f"const int64_t {first} = {names[f'group_id_{dim}']} * {size};")
            # The last group of a dimension may be partial: clip its rows once, not per item.
            left = f"{names[f'global_size_{dim}']} - {first}"
            end = names[f"local_end_{dim}"]
            self.out.line(f"const int64_t {end} = {min_name}({size}, {left});")

    def min_helper_i64(self) -> str:
        return (
            f"{self.helper_qualifiers()} int64_t dc_min_i64(int64_t a, int64_t b)\n{{\n"
            "    return b < a ? b : a;\n}\n"
        )

    def open_item_loops(self) -> None:
        for dim in (2, 1, 0):
            counter = self.local_id_names[dim]
            end = self.launch_names[f"local_end_{dim}"]
            self.out.open(f"for (int64_t {counter} = 0; {counter} < {end}; ++{counter}) {{")

    def close_item_loops(self) -> None:
        for _ in range(3):
            self.out.close()

    def emit_item_kernel(self, kernel: ir.Function, symbol: str) -> None:
        info = self.infos[kernel.name]
        self.prepare_names(kernel, info)
        item_function = self.names.fresh(f"{symbol[len('dc_kernel_') :]}_item")
        params = self.parameter_list(kernel, info, all_params=False)
        self.out.line(
            f"static inline __attribute__((always_inline)) void {item_function}"
            f"({', '.join(params) or 'void'})"
        )
        self.out.open("{")
        self.declare_locals(kernel, self.plain_locals(kernel))
        self.stmts(kernel.body)
        self.out.close()
        self.out.line()

        function_start = len(self.out.lines)
        self.out.line(f"{_EXPORT} void {symbol}(const dc_cpu_launch* launch, void* const* args)")
        self.out.open("{")
        read = variables_read(kernel.body)
        self.unpack_arguments(kernel, info, info.uses_array | read)
        self.declare_launch()
        names = self.launch_names
        args = [p.split()[-1] for p in params[: len(params) - len(info.queries)]]
        flat = not any(q in ("local_id", "group_id", "num_groups") for q, _ in info.queries)
        if flat:
            # A 1-D launch: consecutive groups are consecutive items, so one loop runs them all.
            gid = self.query_names.get(("global_id", 0)) or self.names.fresh("global_id_0")
            values = {
                "global_id": lambda d: gid if d == 0 else "0",
                "local_size": lambda d: names[f"local_size_{d}"],
                "global_size": lambda d: names[f"global_size_{d}"],
            }
            call_args = args + [values[q](d) for q, d in sorted(info.queries)]
            global1, global2 = names["global_size_1"], names["global_size_2"]
            self.out.open(f"if ({global1} == 1 && {global2} == 1) {{")
            size0 = names["local_size_0"]
            min_name = self.require_helper("dc_min_i64", lambda: self.min_helper_i64())
            begin, end = self.names.fresh("first_item"), self.names.fresh("end_item")
            self.out.line(f"const int64_t {begin} = {names['group_begin']} * {size0};")
            limit = f"{names['group_end']} * {size0}, {names['global_size_0']}"
            self.out.line(f"const int64_t {end} = {min_name}({limit});")
            self.out.open(f"for (int64_t {gid} = {begin}; {gid} < {end}; ++{gid}) {{")
            self.out.line(f"{item_function}({', '.join(call_args)});")
            self.out.close()
            self.out.line("return;")
            self.out.close()
        self.open_group_loop()
        self.open_item_loops()
        values = {
            "global_id": lambda d: f"{names[f'group_first_{d}']} + {self.local_id_names[d]}",
            "local_id": lambda d: self.local_id_names[d],
            "group_id": lambda d: names[f"group_id_{d}"],
            "local_size": lambda d: names[f"local_size_{d}"],
            "global_size": lambda d: names[f"global_size_{d}"],
            "num_groups": lambda d: names[f"group_count_{d}"],
        }
        call_args = args + [values[q](d) for q, d in sorted(info.queries)]
        self.out.line(f"{item_function}({', '.join(call_args)});")
        self.close_item_loops()
        self.out.close()
        self.out.close()
        self.drop_unused_launch_names(function_start)

    # ----- kernels with barriers (Note [Barriers]) -------------------------------------------

    def split_regions(
        self,
        stmts: list[ir.Stmt],
        in_barrier_loop: bool,
        regions: list[_Region],
        uniform: list[ir.Expr],
    ) -> None:
        """Collect the regions and the uniformly evaluated expressions, in emission order."""
        pending: list[ir.Stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ir.SharedArrayDecl):
                continue
            if not contains_barrier(stmt):
                pending.append(stmt)
                continue
            if pending:
                regions.append(_Region(pending, in_barrier_loop))
                pending = []
            if isinstance(stmt, ir.Barrier):
                continue
            if isinstance(stmt, ir.If):
                uniform.append(stmt.condition)
                self.split_regions(stmt.body, in_barrier_loop, regions, uniform)
                self.split_regions(stmt.orelse, in_barrier_loop, regions, uniform)
            elif isinstance(stmt, ir.For):
                uniform += [stmt.start, stmt.stop, stmt.step]
                self.split_regions(stmt.body, True, regions, uniform)
            elif isinstance(stmt, ir.While):
                uniform.append(stmt.condition)
                self.split_regions(stmt.body, True, regions, uniform)
            else:
                raise self.fail(stmt, f"dc.barrier() inside a {type(stmt).__name__}")
        if pending:
            regions.append(_Region(pending, in_barrier_loop))

    def classify_locals(self, kernel: ir.Function, locals_: dict[str, ScalarType]) -> set[str]:
        """The locals that must live per work-item in scratch (Note [Barriers])."""
        regions: list[_Region] = []
        uniform: list[ir.Expr] = []
        self.split_regions(kernel.body, False, regions, uniform)
        uniform_names = {n.name for e in uniform for n in walk_expr(e) if isinstance(n, ir.Var)}
        users: dict[str, list[int]] = {}
        for index, region in enumerate(regions):
            names = {n.name for n in walk_exprs(region.stmts) if isinstance(n, ir.Var)}
            for name in names:
                users.setdefault(name, []).append(index)
        scratch: set[str] = set()
        for name in locals_:
            used_in = users.get(name, [])
            # A region inside a loop runs again: a value it reads before assigning comes from
            # the previous iteration, so there only a variable assigned first stays plain.
            rerun = bool(used_in) and regions[used_in[0]].in_barrier_loop
            if (
                name in uniform_names
                or len(used_in) > 1
                or (rerun and not self.assigned_first(name, regions[used_in[0]].stmts))
            ):
                scratch.add(name)
        return scratch

    @staticmethod
    def assigned_first(name: str, stmts: list[ir.Stmt]) -> bool:
        for stmt in stmts:
            refs = {
                n.name
                for s in walk_stmts([stmt])
                for e in stmt_exprs(s)
                for n in walk_expr(e)
                if isinstance(n, ir.Var)
            }
            if name not in refs:
                continue
            if isinstance(stmt, ir.Assign) and stmt.target.name == name:
                value_refs = {n.name for n in walk_expr(stmt.value) if isinstance(n, ir.Var)}
                return name not in value_refs
            return False
        return True

    def emit_region_kernel(self, kernel: ir.Function, symbol: str) -> tuple[int, int]:
        info = self.infos[kernel.name]
        self.prepare_names(kernel, info)
        self.region_mode = True
        self.has_returns = any(isinstance(s, ir.Return) for s in walk_stmts(kernel.body))
        self.item_name = self.names.fresh("item")
        self.items_name = items = self.names.fresh("items")
        self.lead_name = self.names.fresh("lead")
        self.returned_name = self.names.fresh("returned")
        self.end_group_label = self.names.fresh("next_group")
        barrier_loops = [
            s for s in walk_stmts(kernel.body) if isinstance(s, ir.For) and contains_barrier(s)
        ]
        for stmt in barrier_loops:
            if stmt.var.name in self.escaping:
                raise self.fail(
                    stmt,
                    f"the loop variable {stmt.var.name!r} of a loop containing dc.barrier() "
                    "is used outside the loop; copy it into another variable",
                )
        locals_ = self.plain_locals(kernel)
        barrier_loop_vars = {s.var.name for s in barrier_loops}
        locals_ = {n: t for n, t in locals_.items() if n not in barrier_loop_vars}
        self.scratch_vars = self.classify_locals(kernel, locals_)
        self.scratch_arrays = set(kernel.private_arrays)
        self.region_locals = {n: t for n, t in locals_.items() if n not in self.scratch_vars}

        # Scratch layout: shared arrays first, then one array per scratch variable (widest
        # first, so every array stays aligned), then the returned flags.
        shared = self.kernel_shared_arrays(kernel)
        shared_offsets: dict[str, int] = {}
        offset = 0
        for name, array_type in shared.items():
            offset = _align(offset)
            shared_offsets[name] = offset
            size = 2 if array_type.dtype == FLOAT16 else array_type.dtype.dtype.itemsize
            for extent in array_type.shape:
                size *= extent
            offset += size
        shared_bytes = _align(offset)
        # Entries (C name, C type, element bytes, elements): private arrays hold elements of
        # their storage type, the scalars one value each.
        per_item = [
            (self.names.user(n), self.scalar_type(locals_[n]), self.value_size(locals_[n]), 1)
            for n in self.scratch_vars
        ]
        for name, array_type in kernel.private_arrays.items():
            storage = self.storage_type(array_type.dtype)
            element_bytes = self.value_size(array_type.dtype)
            if array_type.dtype == FLOAT16:
                element_bytes = 2  # stored as _Float16, unlike float16 scalars
            per_item.append(
                (self.names.user(name), storage, element_bytes, math.prod(array_type.shape))
            )
        if self.has_returns:
            per_item.append((self.returned_name, self.scalar_type(BOOL), 1, 1))
        # Widest elements first: every entry then starts at a multiple of its element size.
        per_item.sort(key=lambda entry: (-entry[2], entry[0]))
        per_item_bytes = 0
        layout: list[tuple[str, str, int]] = []
        for name, c_type, element_bytes, elements in per_item:
            layout.append((name, c_type, per_item_bytes))
            per_item_bytes += element_bytes * elements

        # The group loop first (into its own writer), so the prologue declares what it used.
        body = SourceWriter()
        body.depth = 1
        self.out, outer = body, self.out
        self.open_group_loop()
        if self.has_returns:
            item = self.item_name
            self.out.open(f"for (int64_t {item} = 0; {item} < {items}; ++{item}) {{")
            self.out.line(f"{self.returned_name}[{self.item_name}] = true;")
            self.out.close()
            self.open_item_loops()
            self.out.line(f"{self.returned_name}[{self.item_index_text()}] = false;")
            self.close_item_loops()
            self.out.line(f"int64_t {self.lead_name} = 0;")
        self.group_block(kernel.body)
        if self.has_returns:
            self.out.line(f"{self.end_group_label}:;")
        self.out.close()
        self.out = outer
        self.region_mode = False

        function_start = len(self.out.lines)
        self.out.line(f"{_EXPORT} void {symbol}(const dc_cpu_launch* launch, void* const* args)")
        self.out.open("{")
        self.region_mode = True
        read = variables_read(kernel.body)
        self.unpack_arguments(kernel, info, info.uses_array | read)
        self.declare_launch()
        if shared or layout:
            self.out.line("char* scratch = (char*)launch->scratch;")
        for name, array_type in shared.items():
            c_type = self.storage_type(array_type.dtype)
            c_name = self.names.user(name)
            place = f"(scratch + {shared_offsets[name]})" if shared_offsets[name] else "scratch"
            self.out.line(f"{c_type}* {c_name} = ({c_type}*){place};")
        if layout:
            sizes = " * ".join(self.launch_names[f"local_size_{d}"] for d in range(3))
            self.out.line(f"const int64_t {items} = {sizes};")
            for name, c_type, item_offset in layout:
                terms = [f"{shared_bytes}"] if shared_bytes else []
                terms += [f"{item_offset} * {items}"] if item_offset else []
                place = f"(scratch + {' + '.join(terms)})" if terms else "scratch"
                self.out.line(f"{c_type}* {name} = ({c_type}*){place};")
        self.out.lines += body.lines
        self.out.close()
        self.drop_unused_launch_names(function_start)
        self.region_mode = False
        return shared_bytes, per_item_bytes

    def value_size(self, t: ScalarType) -> int:
        """Bytes of a local of type ``t`` (float16 locals are held as float)."""
        return 4 if t == FLOAT16 else (1 if t.is_bool else t.dtype.itemsize)

    def item_index_text(self) -> str:
        lid = self.local_id_names
        size0, size1 = self.launch_names["local_size_0"], self.launch_names["local_size_1"]
        return f"({lid[2]} * {size1} + {lid[1]}) * {size0} + {lid[0]}"

    def group_block(self, stmts: list[ir.Stmt]) -> None:
        """Statements at work-group level: regions become work-item loops, statements that
        contain a barrier run once per group."""
        pending: list[ir.Stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ir.SharedArrayDecl):
                self.emit_SharedArrayDecl(stmt)
                continue
            if not contains_barrier(stmt):
                pending.append(stmt)
                continue
            self.emit_region(pending)
            pending = []
            if isinstance(stmt, ir.Barrier):
                self.emit_Barrier(stmt)
            elif isinstance(stmt, ir.If):
                self.emit_uniform_if(stmt)
            elif isinstance(stmt, ir.For):
                self.emit_uniform_for(stmt)
            elif isinstance(stmt, ir.While):
                self.emit_uniform_while(stmt)
            else:
                raise self.fail(stmt, f"dc.barrier() inside a {type(stmt).__name__}")
        self.emit_region(pending)

    def uniform_condition(self, expr: ir.Expr) -> str:
        for node in walk_expr(expr):
            if isinstance(node, ir.AtomicOp):
                raise self.fail(
                    node,
                    "an atomic in the condition of a loop or branch that contains dc.barrier() "
                    "(it is evaluated once per work-group); assign it to a variable first",
                )
        self.uniform = True
        text = self.condition(expr)
        self.uniform = False
        return text

    def emit_uniform_if(self, stmt: ir.If) -> None:
        self.out.open(f"if ({self.uniform_condition(stmt.condition)}) {{")
        self.group_block(stmt.body)
        if stmt.orelse:
            self.out.reopen("} else {")
            self.group_block(stmt.orelse)
        self.out.close()

    def open_uniform_loop_body(self, body: list[ir.Stmt]) -> None:
        has_break, has_continue = _loop_exits(body)
        flags = (
            self.names.fresh("leave_loop") if has_break else None,
            self.names.fresh("next_iteration") if has_continue else None,
        )
        for flag in flags:
            if flag is not None:
                self.out.line(f"bool {flag} = false;")
        self.loop_flags.append(flags)
        self.group_block(body)
        self.loop_flags.pop()

    def emit_uniform_for(self, stmt: ir.For) -> None:
        self.uniform = True
        saved_depth = self.region_loop_depth
        counter = self.names.user(stmt.var.name)
        header = self.loop_header(stmt, counter)
        self.uniform = False
        self.out.open(header + " {")
        self.loop_names[stmt.var.name] = counter
        self.region_loop_depth = 0
        self.open_uniform_loop_body(stmt.body)
        self.region_loop_depth = saved_depth
        del self.loop_names[stmt.var.name]
        self.out.close()

    def emit_uniform_while(self, stmt: ir.While) -> None:
        self.out.open(f"while ({self.uniform_condition(stmt.condition)}) {{")
        self.open_uniform_loop_body(stmt.body)
        self.out.close()

    def emit_region(self, stmts: list[ir.Stmt]) -> None:
        stmts = [s for s in stmts if not isinstance(s, ir.SharedArrayDecl)]
        if not stmts:
            return
        has_break, has_continue = _loop_exits(stmts)
        if (has_break or has_continue) and not self.loop_flags:
            raise self.fail(stmts[0], "'break' or 'continue' outside a loop")
        has_return = any(isinstance(s, ir.Return) for s in walk_stmts(stmts))
        queries = {
            n.dim
            for n in walk_exprs(stmts)
            if isinstance(n, ir.WorkItemQuery) and n.query == "global_id"
        }
        for node in walk_exprs(stmts):
            if isinstance(node, ir.FuncCall):
                queries |= {d for q, d in self.infos[node.function].queries if q == "global_id"}
        referenced = {n.name for n in walk_exprs(stmts) if isinstance(n, ir.Var)}
        region_locals = [n for n in self.region_locals if n in referenced]
        per_item_names = self.scratch_vars | self.scratch_arrays
        needs_item = self.has_returns or bool(referenced & per_item_names)
        self.exit_label = None
        if has_break or has_continue or has_return:
            self.exit_label = self.names.fresh("next_item")
        self.open_item_loops()
        if needs_item:
            self.out.line(f"const int64_t {self.item_name} = {self.item_index_text()};")
        if self.has_returns:
            self.out.open(f"if ({self.returned_name}[{self.item_name}]) {{")
            self.out.line("continue;")
            self.out.close()
        names = self.launch_names
        for dim in sorted(queries):
            global_id = self.query_names.get(("global_id", dim)) or self.names.fresh(
                f"global_id_{dim}"
            )
            self.query_names[("global_id", dim)] = global_id
            first = names[f"group_first_{dim}"]
            self.out.line(f"const int64_t {global_id} = {first} + {self.local_id_names[dim]};")
        read = variables_read(self.function.body) if self.function else set()
        for name in region_locals:
            unused = "" if name in read else f" {self.unused_attribute()}"
            t = self.region_locals[name]
            self.out.line(f"{self.scalar_type(t)} {self.names.user(name)}{unused} = 0;")
        self.region_loop_depth = 0
        self.stmts(stmts)
        if self.exit_label is not None:
            self.out.line(f"{self.exit_label}:;")
        self.close_item_loops()
        flags = self.loop_flags[-1] if self.loop_flags else (None, None)
        if has_break:
            self.out.open(f"if ({flags[0]}) {{")
            self.out.line("break;")
            self.out.close()
        if has_continue:
            self.out.open(f"if ({flags[1]}) {{")
            self.out.line("continue;")
            self.out.close()
        if has_return:
            # The lead work-item evaluates the uniform conditions; when all have returned the
            # group is done.
            lead, items = self.lead_name, self.items_name
            self.out.open(f"while ({lead} < {items} && {self.returned_name}[{lead}]) {{")
            self.out.line(f"++{lead};")
            self.out.close()
            self.out.open(f"if ({lead} == {items}) {{")
            self.out.line(f"goto {self.end_group_label};")
            self.out.close()
