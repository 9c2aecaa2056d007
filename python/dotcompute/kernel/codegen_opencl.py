# python/dotcompute/kernel/codegen_opencl.py
# The OpenCL code generator: a kernel's IR as one OpenCL C 1.2 program for clBuildProgram.
# ruff: noqa: N802  (emit_<IRNodeClass> methods are named after the IR classes)
"""OpenCL C code generation for the OpenCL backend.

OpenCL C and CUDA C++ differ in spelling, not in the execution model the language needs (whole
work-groups, the real global size as three hidden trailing ``long`` arguments, Note [CUDA global
size], and real early returns), so this generator is the CUDA one with the OpenCL spellings:

- Types are OpenCL's own (``char``...``ulong``); ``long`` is 64-bit on every device. Math
  functions are the overloaded built-ins (``sqrt``, not ``sqrtf``); ``#pragma OPENCL
  FP_CONTRACT OFF`` keeps ``a * b + c`` rounding twice, as ``-ffp-contract=off`` on the CPU.
- Address spaces: array parameters are ``__global``; ``dc.shared_array`` is a ``__local`` array
  declared at the top of the kernel; a device function's array parameter takes the address
  space of the arrays its callers pass (one space per parameter: OpenCL C 1.2 has no generic
  pointers). ``dc.barrier()`` is ``barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)``.
- Note [OpenCL buffer arguments]: the plugin passes a buffer view as the ``cl_mem`` and its
  byte offset (OpenCL arguments cannot point into a buffer), so a kernel's array parameter is
  ``__global T* x_base, ulong x_offset`` and the kernel forms ``x`` itself; then come the
  extents, as on every target.
- Kernel arguments may not be ``bool`` or ``half``: a bool array or scalar is ``uchar``, a
  float16 one its 16 bits (``ushort``) converted with ``vload_half``/``vstore_half_rte``, which
  are core OpenCL (no ``cl_khr_fp16`` needed). float16 values compute in float.
- Atomics: 32-bit integers use the core ``atomic_*`` functions; 64-bit integers ``atom_*`` of
  ``cl_khr_int64_base_atomics``/``_extended_atomics``; floats are compare-and-swap loops on
  their bit patterns (``atomic_cmpxchg``/``atom_cmpxchg`` with ``as_int``/``as_long``), 8/16-bit
  integers a compare-and-swap on the aligned 32-bit word, as on CUDA.
- Note [OpenCL barriers and return]: unlike CUDA, a work-item that leaves an OpenCL kernel
  early must not miss a barrier the others reach (PoCL, for one, then retires the whole group).
  In a kernel with barriers, ``return`` and the global-size guard therefore only clear an
  ``active`` flag: statements with memory effects (stores, atomics, calls, assignments that
  read global memory) and conditions that read global memory run only while it is set, a
  barrier-free ``while`` loop ends when it is cleared (a ``for`` loop is left by ``break``),
  and every work-item keeps evaluating the control flow around barriers, which the language
  requires to be uniform over the work-items that have not returned. Private assignments (and
  stores into private arrays that read no memory) keep running after the flag is cleared, so a
  returned work-item's loop counters around barriers (``stride //= 2``) stay in step with the
  group's, and an unrolled register block is not wrapped in tests of the flag.
- Requirements: a program using float64 needs the device's fp64 (``cl_khr_fp64``), one using
  64-bit atomics (int64, uint64, float64) ``cl_khr_int64_*_atomics``. The generated kernel
  records them, and :meth:`OpenclKernelSource.check_device` raises a clear
  :class:`~dotcompute.UnsupportedError` before anything is built or launched on a device that
  lacks them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from . import ir
from .codegen_base import (
    PREC_PRIMARY,
    PREC_UNARY,
    RESERVED_NAMES,
    CExpr,
    NameTable,
    contains_barrier,
    walk_expr,
    walk_exprs,
)
from .codegen_c import GeneratedKernel
from .codegen_cuda import CudaGenerator
from .types import (
    BOOL,
    FLOAT16,
    FLOAT32,
    FLOAT64,
    ArrayType,
    FixedArrayType,
    PrivateArrayType,
    ScalarType,
    SharedArrayType,
)

OPENCL_TYPES = {
    "bool": "bool",
    "int8": "char",
    "int16": "short",
    "int32": "int",
    "int64": "long",
    "uint8": "uchar",
    "uint16": "ushort",
    "uint32": "uint",
    "uint64": "ulong",
    "float16": "float",
    "float32": "float",
    "float64": "double",
}

_HALF_HELPERS = {
    "dc_half_to_float": (
        "static inline float dc_half_to_float(ushort bits)\n{\n"
        "    return vload_half(0, (const half*)&bits);\n}\n"
    ),
    "dc_float_to_half": (
        "static inline ushort dc_float_to_half(float value)\n{\n"
        "    ushort bits;\n    vstore_half_rte(value, 0, (half*)&bits);\n    return bits;\n}\n"
    ),
    "dc_double_to_half": (
        "static inline ushort dc_double_to_half(double value)\n{\n"
        "    ushort bits;\n    vstore_half_rte(value, 0, (half*)&bits);\n    return bits;\n}\n"
    ),
}

# Names OpenCL C declares that user identifiers must not hide.
_OPENCL_WORDS = """
char uchar short ushort uint ulong half bool size_t ptrdiff_t intptr_t uintptr_t
global local constant private kernel read_only write_only read_write
__global __local __constant __private __kernel barrier
get_global_id get_local_id get_group_id get_global_size get_local_size get_num_groups
get_work_dim get_global_offset vload_half vstore_half vstore_half_rte as_int as_uint
as_long as_ulong as_float as_double atomic_add atomic_sub atomic_xchg atomic_min
atomic_max atomic_cmpxchg atom_add atom_sub atom_xchg atom_min atom_max atom_cmpxchg
mad clamp mix sign select
"""
OPENCL_RESERVED_NAMES = frozenset(_OPENCL_WORDS.split())

FP64_PRAGMA = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable"
INT64_ATOMICS_PRAGMAS = (
    "#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable\n"
    "#pragma OPENCL EXTENSION cl_khr_int64_extended_atomics : enable"
)
_DOUBLE = re.compile(r"\bdouble\b")


@dataclass
class OpenclKernelSource(GeneratedKernel):
    """Generated OpenCL C and the device features it needs."""

    needs_fp64: bool = False
    needs_int64_atomics: bool = False

    def check_device(self, device) -> None:
        """Raises :class:`UnsupportedError` naming the feature when ``device`` lacks one this
        program needs (called before the program is built or launched)."""
        capabilities = device.capabilities
        missing = []
        if self.needs_fp64 and not capabilities.get("fp64", False):
            missing.append(
                "float64 arithmetic (the device has no cl_khr_fp64): use float32 arrays and scalars"
            )
        if self.needs_int64_atomics and not capabilities.get("int64_atomics", False):
            missing.append(
                "64-bit atomics (int64, uint64 or float64; the device has no "
                "cl_khr_int64_base_atomics/cl_khr_int64_extended_atomics): use 32-bit atomics"
            )
        if missing:
            raise UnsupportedError(
                f"kernel {self.symbol!r} cannot run on {device.spec} ({device.name}): it needs "
                + "; and ".join(missing)
            )


# Note [Private arrays] in codegen_base: GPUs keep private arrays in registers once loops are
# unrolled. CPU devices (the plugin builds with -D DC_CPU_DEVICE there) vectorize across
# work-items instead, and unrolling made PoCL's register-blocked GEMM 2x slower.
_UNROLL_MACRO = """#ifdef DC_CPU_DEVICE
#define DC_UNROLL
#else
#define DC_UNROLL _Pragma("unroll")
#endif
"""


def _reads_memory(expr: ir.Expr) -> bool:
    """Whether evaluating expr reads a global array or calls a function (which may)."""
    for node in walk_expr(expr):
        if isinstance(node, ir.FuncCall | ir.AtomicOp):
            return True
        if isinstance(node, ir.Index) and not isinstance(node.array.type, FixedArrayType):
            return True
    return False


def _private_store(stmt: ir.Stmt) -> bool:
    """A store into a private array whose index and value read no memory."""
    if not isinstance(stmt, ir.Store):
        return False
    if not isinstance(stmt.target.array.type, PrivateArrayType):
        return False
    return not any(_reads_memory(e) for e in [stmt.value, *stmt.target.indices])


def generate_opencl(function: ir.Function) -> OpenclKernelSource:
    """The OpenCL C program of kernel ``function`` (see the module notes)."""
    return OpenclGenerator().generate(function)


class OpenclGenerator(CudaGenerator):
    target = "opencl"

    def __init__(self) -> None:
        super().__init__()
        # Address space of each device function's array parameters, from their call sites.
        self.parameter_spaces: dict[tuple[str, str], str] = {}
        self.uses_int64_atomics = False
        # Note [OpenCL barriers and return]: the flag's name while a barrier kernel's body is
        # printed; the barrier-free loops around the statement being printed.
        self.active_flag: str | None = None
        self.free_loops = 0
        self.guard_conditions = False

    # ----- spellings ------------------------------------------------------------------------

    def scalar_type(self, t: ScalarType) -> str:
        return OPENCL_TYPES[t.name]

    def storage_type(self, t: ScalarType) -> str:
        if t == FLOAT16:
            return "ushort"
        return "uchar" if t == BOOL else OPENCL_TYPES[t.name]

    def helper_qualifiers(self) -> str:
        return "static inline"

    def math_function(self, name: str, t: ScalarType) -> str:
        return name  # OpenCL's math built-ins are overloaded per type

    def half_helper(self, name: str) -> str:
        return self.require_helper(name, lambda: _HALF_HELPERS[name])

    def unroll_directive(self) -> str:
        return self.require_helper("DC_UNROLL", lambda: _UNROLL_MACRO)

    # OpenCL C's long and ulong are 64 bits everywhere.
    def int64_literal(self, value: int) -> CExpr:
        if value == -(2**63):
            return CExpr("(-9223372036854775807L - 1)", PREC_PRIMARY)
        return CExpr(f"{value}L", PREC_UNARY if value < 0 else PREC_PRIMARY)

    def uint64_literal(self, value: int) -> CExpr:
        return CExpr(f"{value}UL", PREC_PRIMARY)

    def float_literal(self, value: float, t: ScalarType) -> CExpr:
        if t == FLOAT16:
            with np.errstate(over="ignore"):
                value = float(np.float16(value))
        if math.isfinite(value):
            return super(CudaGenerator, self).float_literal(value, t)
        single = self.compute_type(t) == FLOAT32
        if math.isnan(value):
            text = "as_float(0x7fc00000)" if single else "as_double(0x7ff8000000000000L)"
            return CExpr(text, PREC_PRIMARY)
        text = "as_float(0x7f800000)" if single else "as_double(0x7ff0000000000000L)"
        return CExpr(("-" if value < 0 else "") + text, PREC_UNARY if value < 0 else PREC_PRIMARY)

    # ----- address spaces ---------------------------------------------------------------------

    def array_space(self, array: ir.Var) -> str:
        """``__local`` for shared arrays and for device-function parameters that are passed
        shared arrays, ``__private`` for parameters passed private arrays, ``__global``
        otherwise."""
        if isinstance(array.type, SharedArrayType):
            return "__local"
        assert self.function is not None
        return self.parameter_spaces.get((self.function.name, array.name), "__global")

    def refuse_private_atomic(self, expr: ir.AtomicOp, space: str) -> None:
        """Atomics need global or local memory; a parameter passed a private array has none."""
        if space == "__private":
            raise self.fail(
                expr,
                f"atomic_{expr.op} on {expr.array.name!r}, which is passed a private array: "
                "no other work-item sees it, so update it with a plain assignment",
            )

    def find_parameter_spaces(self, kernel: ir.Function, functions: list[ir.Function]) -> None:
        """The address space of every device-function array parameter, from the call sites
        (callers first, so a space passes on through nested calls)."""
        for caller in [kernel, *reversed(functions)]:
            for expr in walk_exprs(caller.body):
                if not isinstance(expr, ir.FuncCall) or expr.function not in self.functions:
                    continue
                callee = self.functions[expr.function]
                for param, arg in zip(callee.params, expr.args, strict=False):
                    if not isinstance(param.type, ArrayType) or not isinstance(arg, ir.Var):
                        continue
                    if isinstance(arg.type, SharedArrayType):
                        space = "__local"
                    elif isinstance(arg.type, PrivateArrayType):
                        space = "__private"
                    else:
                        space = self.parameter_spaces.get((caller.name, arg.name), "__global")
                    key = (callee.name, param.name)
                    if self.parameter_spaces.setdefault(key, space) != space:
                        raise self.fail(
                            expr,
                            f"device function {callee.python_name!r} is passed arrays of two "
                            f"kinds (global, shared, private) as {param.name!r}; OpenCL C 1.2 "
                            "needs one address space per parameter (write two functions)",
                        )

    # ----- returns in kernels with barriers (Note [OpenCL barriers and return]) -------------------

    def stmt(self, stmt: ir.Stmt) -> None:
        flag = self.active_flag
        if flag is None:
            super().stmt(stmt)
            return
        if isinstance(stmt, ir.Return):
            self.out.line(f"{flag} = false;")
            if self.free_loops:
                self.out.line("break;")
            return
        uniform = ir.Barrier | ir.Break | ir.Continue | ir.SharedArrayDecl | ir.PrivateArrayDecl
        if isinstance(stmt, uniform) or contains_barrier(stmt):
            super().stmt(stmt)  # uniform control flow: every work-item takes part
            return
        if isinstance(stmt, ir.If | ir.While | ir.For):
            outer_guard, self.guard_conditions = self.guard_conditions, True
            loop = not isinstance(stmt, ir.If)
            self.free_loops += loop
            try:
                super().stmt(stmt)
            finally:
                self.free_loops -= loop
                self.guard_conditions = outer_guard
            return
        if isinstance(stmt, ir.Assign) and not _reads_memory(stmt.value):
            super().stmt(stmt)
            return
        if _private_store(stmt):
            super().stmt(stmt)  # only the work-item sees it, as a local
            return
        self.out.open(f"if ({flag}) {{")
        super().stmt(stmt)
        self.out.close()

    def condition(self, expr: ir.Expr) -> str:
        text = super().condition(expr)
        if self.active_flag is not None and self.guard_conditions and _reads_memory(expr):
            return f"{self.active_flag} && ({text})"
        return text

    def emit_While(self, stmt: ir.While) -> None:
        if self.active_flag is None or contains_barrier(stmt):
            super().emit_While(stmt)
            return
        condition = self.condition(stmt.condition)
        if not condition.startswith(f"{self.active_flag} && "):
            condition = f"{self.active_flag} && ({condition})"
        self.out.open(f"while ({condition}) {{")
        self.stmts(stmt.body)
        self.out.close()

    # ----- atomics ------------------------------------------------------------------------------

    def emit_AtomicOp(self, expr: ir.AtomicOp) -> CExpr:
        t, pointer, operands = self.atomic_operands(expr)
        space = self.array_space(expr.array)
        self.refuse_private_atomic(expr, space)
        name = f"dc_atomic_{expr.op}_{self.type_suffix(t)}_{space.strip('_')}"
        if t.bits == 64:
            self.uses_int64_atomics = True
        self.require_helper(name, lambda: self.opencl_atomic_helper(name, expr.op, t, space))
        return self.call(name, pointer, *operands)

    def opencl_atomic_helper(self, name: str, op: str, t: ScalarType, space: str) -> str:
        c = self.scalar_type(t)
        params = f"volatile {space} {c}* p, {c} compare, {c} value" if op == "cas" else None
        params = params or f"volatile {space} {c}* p, {c} value"
        head = f"static inline {c} {name}({params})"
        if t.is_integer and t.bits < 32:
            body = self.narrow_atomic_body(op, t, space)
        elif t == FLOAT64 or (t == FLOAT32 and op != "exchange"):
            body = self.float_atomic_body(op, t, space)
        else:
            prefix = "atom" if t.bits == 64 else "atomic"
            function = {"exchange": "xchg", "cas": "cmpxchg"}.get(op, op)
            args = "p, compare, value" if op == "cas" else "p, value"
            body = [f"    return {prefix}_{function}({args});"]
        return "\n".join([head, "{", *body, "}", ""])

    def float_atomic_body(self, op: str, t: ScalarType, space: str) -> list[str]:
        """A compare-and-swap loop on the bit pattern. min/max follow Python's rule (the new
        value wins only when strictly smaller/larger: NaN never enters, a stored NaN stays);
        cas compares bit patterns, as CUDA's atomicCAS."""
        bits, to_bits, from_bits, cmpxchg = (
            ("int", "as_int", "as_float", "atomic_cmpxchg")
            if t == FLOAT32
            else ("long", "as_long", "as_double", "atom_cmpxchg")
        )
        lines = [f"    volatile {space} {bits}* address = (volatile {space} {bits}*)p;"]
        if op == "cas":
            call = f"{cmpxchg}(address, {to_bits}(compare), {to_bits}(value))"
            return [*lines, f"    return {from_bits}({call});"]
        desired = {
            "add": "current + value",
            "sub": "current - value",
            "exchange": "value",
            "min": "value",
            "max": "value",
        }[op]
        lines += [f"    {bits} old = *address;", "    for (;;) {"]
        lines += [f"        const {self.scalar_type(t)} current = {from_bits}(old);"]
        if op in ("min", "max"):
            compare = "<" if op == "min" else ">"
            lines += [f"        if (!(value {compare} current)) {{", "            return current;"]
            lines += ["        }"]
        lines += [f"        const {bits} assumed = old;"]
        lines += [f"        old = {cmpxchg}(address, assumed, {to_bits}({desired}));"]
        lines += ["        if (old == assumed) {", "            return current;", "        }"]
        return [*lines, "    }"]

    def narrow_atomic_body(self, op: str, t: ScalarType, space: str = "__global") -> list[str]:
        """8- and 16-bit integers: a compare-and-swap on the aligned 32-bit word holding the
        element (a concurrent change to the word's other bytes makes it retry)."""
        c = self.scalar_type(t)
        mask = (1 << t.bits) - 1
        desired = {
            "add": f"({c})(current + value)",
            "sub": f"({c})(current - value)",
            "min": "value < current ? value : current",
            "max": "value > current ? value : current",
            "exchange": "value",
            "cas": "current == compare ? value : current",
        }[op]
        return [
            "    const ulong address = (ulong)p;",
            f"    volatile {space} uint* word = (volatile {space} uint*)(address & ~3UL);",
            "    const uint shift = (uint)(address & 3UL) * 8u;",
            f"    const uint mask = {mask}u << shift;",
            "    uint old = *word;",
            "    for (;;) {",
            f"        const {c} current = ({c})((old & mask) >> shift);",
            f"        const {c} desired = {desired};",
            "        const uint replaced = (old & ~mask) | ((((uint)desired) << shift) & mask);",
            "        const uint assumed = old;",
            "        old = atomic_cmpxchg(word, assumed, replaced);",
            "        if (old == assumed) {",
            "            return current;",
            "        }",
            "    }",
        ]

    # ----- functions ----------------------------------------------------------------------------

    # The built-in words of the language that function names must not take; local names avoid
    # OpenCL C's words and these (MSL, generated through this class, adds its own).
    language_reserved_names: frozenset[str] = OPENCL_RESERVED_NAMES
    index_type = "long"
    barrier_statement = "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);"

    def register_functions(self, kernel: ir.Function) -> list[ir.Function]:
        ordered = super().register_functions(kernel)
        names = NameTable(RESERVED_NAMES | self.language_reserved_names)  # no built-in clash
        for function in ordered:
            self.function_names[function.name] = names.user(function.name)
        return ordered

    def begin_function(self, function: ir.Function) -> None:
        super().begin_function(function)
        reserved = self.names.reserved | OPENCL_RESERVED_NAMES | self.language_reserved_names
        self.names = NameTable(reserved)
        self.reserve_user_names(function)

    def space(self, opencl_space: str) -> str:
        """An address space's spelling (MSL names them differently)."""
        return opencl_space

    def array_parameter(self, function: ir.Function, param: ir.Param, name: str) -> str:
        space = self.space(self.parameter_spaces.get((function.name, param.name), "__global"))
        return f"{space} {self.storage_type(param.type.dtype)}* {name}"

    def emit_kernel(self, kernel: ir.Function, symbol: str) -> None:
        self.prepare_names(kernel, all_extents=True)
        info = self.infos[kernel.name]
        params: list[str] = []
        prologue: list[str] = []
        for param in kernel.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(kernel, f"array {param.name!r} has no element type yet")
                c = self.storage_type(param.type.dtype)
                base, offset = self.names.fresh(f"{name}_base"), self.names.fresh(f"{name}_offset")
                params += [f"__global {c}* {base}", f"ulong {offset}"]
                params += [
                    f"long {self.extent_names[(param.name, d)]}" for d in range(param.type.ndim)
                ]
                # Note [OpenCL buffer arguments]
                prologue.append(
                    f"__global {c}* {name} = (__global {c}*)((__global uchar*){base} + {offset});"
                )
            elif param.type in (FLOAT16, BOOL):
                bits = self.names.fresh(f"{name}_bits")
                params.append(f"{self.storage_type(param.type)} {bits}")
                if param.type == FLOAT16:
                    value = f"{self.half_helper('dc_half_to_float')}({bits})"
                else:
                    value = f"{bits} != 0"
                prologue.append(f"{self.scalar_type(param.type)} {name} = {value};")
            else:
                params.append(f"{self.scalar_type(param.type)} {name}")
        params += [f"long {self.query_names[('global_size', d)]}" for d in range(3)]

        self.out.line(f"__kernel void {symbol}({', '.join(params)})")
        self.out.open("{")
        for dim in range(3):
            gid = self.query_names[("global_id", dim)]
            self.out.line(f"const long {gid} = (long)get_global_id({dim});")
        flag = self.leave_outside_global_size(kernel)
        builtins = {
            "local_id": "get_local_id",
            "group_id": "get_group_id",
            "local_size": "get_local_size",
            "num_groups": "get_num_groups",
        }
        for (query, dim), name in sorted(self.query_names.items()):
            if query in builtins and (query, dim) in info.queries:
                self.out.line(f"const long {name} = (long){builtins[query]}({dim});")
        for line in prologue:
            self.out.line(line)
        self.declare_shared_arrays(kernel, "__local")
        self.emit_kernel_body(kernel, flag)

    def leave_outside_global_size(self, kernel: ir.Function) -> str | None:
        """Sends the work-items beyond the global size away; returns the flag that does it in a
        kernel with barriers, None where they simply return."""
        outside = self.outside_global_size()
        # Note [CUDA global size]: the plugin rounds the global size up to whole work-groups.
        # Note [OpenCL barriers and return]: with barriers, leaving is clearing a flag.
        if any(contains_barrier(s) for s in kernel.body):
            flag = self.names.fresh("active")
            self.out.line(f"bool {flag} = !({outside});")
            return flag
        self.out.open(f"if ({outside}) {{")
        self.out.line("return;")
        self.out.close()
        return None

    def emit_kernel_body(self, kernel: ir.Function, flag: str | None) -> None:
        """The kernel's locals and statements under its active flag, then its closing brace."""
        self.declare_locals(kernel)
        self.active_flag = flag
        try:
            self.stmts(kernel.body)
        finally:
            self.active_flag = None
        self.out.close()

    # ----- program ------------------------------------------------------------------------------

    def prepare_program(self, kernel: ir.Function, device_functions: list[ir.Function]) -> None:
        self.find_parameter_spaces(kernel, device_functions)

    def generate(self, kernel: ir.Function) -> OpenclKernelSource:
        symbol, bodies = self.emit_program(kernel)
        program = self.helper_definitions() + "\n" + bodies
        needs_fp64 = bool(_DOUBLE.search(program))
        header = [
            f"/* {self.generated_by(kernel)}",
            "   OpenCL C 1.2 for clBuildProgram (see codegen_opencl.py). */",
            "#pragma OPENCL FP_CONTRACT OFF",
        ]
        if needs_fp64:
            header.append(FP64_PRAGMA)
        if self.uses_int64_atomics:
            header.append(INT64_ATOMICS_PRAGMAS)
        source = "\n".join(header) + "\n\n" + program
        return OpenclKernelSource(
            source,
            symbol,
            0,
            0,
            any(contains_barrier(s) for s in kernel.body),
            appends_global_size=True,
            needs_fp64=needs_fp64,
            needs_int64_atomics=self.uses_int64_atomics,
        )
