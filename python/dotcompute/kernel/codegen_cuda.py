# python/dotcompute/kernel/codegen_cuda.py
# The CUDA code generator: a kernel's IR as one CUDA C++ translation unit for NVRTC.
# ruff: noqa: N802  (emit_<IRNodeClass> methods are named after the IR classes)
"""CUDA C++ code generation for the CUDA backend.

The translation unit includes nothing (NVRTC may not find any header): it declares its own
fixed-width integer types inside ``namespace dc_generated`` -- where they hide whatever
``int64_t`` the compiler may already know (nvcc's implicit ``cuda_runtime.h`` pulls in glibc's,
a ``long``) instead of clashing with it -- and prints literals without the ``<stdint.h>`` and
``<math.h>`` macros. Math functions (``sqrtf``, ``exp``...), atomics and ``__syncthreads`` are
compiler built-ins. Helpers and device functions are ``__device__ static inline``; the kernel is
``extern "C" __global__ void dc_kernel_<name>(...)``, unmangled, so the plugin finds it by name.

Parameters follow the launch plan's argument slots (Note [Launch plan] in kernel_launch.hpp)
exactly: an array is its element pointer (arrays may alias: no ``__restrict__``), then one
``long long`` extent per dimension; a scalar is passed by value in its own type (a float16
scalar as its 16 bits). Then come three hidden ``long long`` parameters, the launch's global size
per dimension, which the plan appends because the kernel was built with
``append_global_size=True`` (Note [CUDA global size]).

Note [CUDA global size] CUDA launches whole blocks, so the grid usually holds more threads than
the global size; the language says those work-items do not exist, and ``dc.global_size(d)`` must
report the size the user asked for, which no CUDA built-in variable holds. The plan appends the
global size as three int64 arguments after the user's (``Module.kernel(...,
append_global_size=True)``), so the plugin needs no special case: it packs slots as always.
Every kernel starts with ``if (global_id_d >= global_size_d for some d) return;``.

Note [CUDA barriers and return] A thread that leaves the kernel early -- the guard above, or a
``return`` in the body -- really exits (CUDA's ``return``), and later ``__syncthreads()`` calls
synchronize the threads that remain. That is what the language specifies on every target (the
CPU's loop fission skips returned work-items in later regions, Note [Barriers] in codegen_c),
and it is defined on the GPU: from Volta on, ``__syncthreads()`` "will not succeed until reached
by all non-exited threads in the block" (CUDA C++ Programming Guide, Independent Thread
Scheduling), and PTX's ``exit`` releases a barrier that only exiting threads were holding up;
before Volta barriers counted warps, which exited threads never held up either. The alternative,
keeping out-of-range threads alive with their body predicated off, is wrong for this language:
the conditions of loops that contain a barrier are evaluated by every thread, and a predicated
thread would never update the variables they read (``stride //= 2`` of a tree reduction) and
would spin in the loop forever. Conditions of loops and branches that contain a barrier must be
uniform over the work-items that have not returned, as on the CPU.

float16 arrays hold raw ``unsigned short`` bits, converted with the ``cvt.rn`` PTX instructions
(round to nearest even) -- ``__half`` needs ``cuda_fp16.h``. float16 values compute in float.
"""

from __future__ import annotations

import math

import numpy as np

from . import ir
from .codegen_base import (
    PREC_PRIMARY,
    PREC_UNARY,
    RESERVED_NAMES,
    CExpr,
    CodeGenerator,
    NameTable,
    contains_barrier,
    escaping_loop_variables,
    variables_read,
    walk_exprs,
    walk_stmts,
)
from .codegen_c import GeneratedKernel
from .types import (
    FLOAT16,
    FLOAT32,
    FLOAT64,
    INT64,
    ArrayType,
    ScalarType,
    SharedArrayType,
)

NAMESPACE = "dc_generated"

_CUDA_TYPES = {
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

# The C++ spelling behind each typedef (what the atomics' built-in overloads take).
_BUILTIN_TYPES = {
    "int32": "int",
    "uint32": "unsigned int",
    "int64": "long long",
    "uint64": "unsigned long long",
}

_PROLOGUE = """typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
"""

_HALF_HELPERS = {
    "dc_half_to_float": (
        "__device__ static inline float dc_half_to_float(unsigned short bits)\n{\n"
        "    float value;\n"
        '    asm("cvt.f32.f16 %0, %1;" : "=f"(value) : "h"(bits));\n'
        "    return value;\n}\n"
    ),
    "dc_float_to_half": (
        "__device__ static inline unsigned short dc_float_to_half(float value)\n{\n"
        "    unsigned short bits;\n"
        '    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(value));\n'
        "    return bits;\n}\n"
    ),
    "dc_double_to_half": (
        "__device__ static inline unsigned short dc_double_to_half(double value)\n{\n"
        "    unsigned short bits;\n"
        '    asm("cvt.rn.f16.f64 %0, %1;" : "=h"(bits) : "d"(value));\n'
        "    return bits;\n}\n"
    ),
}

# Names CUDA declares that user identifiers must not hide inside the kernel's scope.
CUDA_RESERVED_NAMES = frozenset(
    [
        "threadIdx",
        "blockIdx",
        "blockDim",
        "gridDim",
        "warpSize",
        "asm",
        "__global__",
        "__device__",
        "__shared__",
        "__host__",
        "atomicAdd",
        "atomicSub",
        "atomicExch",
        "atomicMin",
        "atomicMax",
        "atomicCAS",
        "atomicInc",
        "atomicDec",
        "atomicAnd",
        "atomicOr",
        "atomicXor",
        "int8_t",
        "int16_t",
        "int32_t",
        "int64_t",
        "uint8_t",
        "uint16_t",
        "uint32_t",
        "uint64_t",
        "dc_generated",
    ]
)

# Signed literals that print without a suffix (fit in int).


def generate_cuda(function: ir.Function) -> GeneratedKernel:
    """The CUDA C++ translation unit of kernel ``function`` (see the module notes)."""
    return CudaGenerator().generate(function)


class CudaGenerator(CodeGenerator):
    target = "cuda"
    unroll_private_loops = True

    def __init__(self) -> None:
        super().__init__()
        self.extent_names: dict[tuple[str, int], str] = {}
        self.query_names: dict[tuple[str, int], str] = {}

    # ----- target hooks -------------------------------------------------------------------

    def scalar_type(self, t: ScalarType) -> str:
        return _CUDA_TYPES[t.name]

    def storage_type(self, t: ScalarType) -> str:
        return "unsigned short" if t == FLOAT16 else _CUDA_TYPES[t.name]

    def helper_qualifiers(self) -> str:
        return "__device__ static inline"

    def extent(self, array: str, dim: int) -> CExpr:
        return CExpr(self.extent_names[(array, dim)], PREC_PRIMARY)

    def work_item_query(self, query: str, dim: int) -> CExpr:
        return CExpr(self.query_names[(query, dim)], PREC_PRIMARY)

    def half_helper(self, name: str) -> str:
        return self.require_helper(name, lambda: _HALF_HELPERS[name])

    def round_to_half(self, value: CExpr) -> CExpr:
        bits = self.call(self.half_helper("dc_float_to_half"), value)
        return self.call(self.half_helper("dc_half_to_float"), bits)

    def convert_value(self, value: CExpr, source: ScalarType, to: ScalarType) -> CExpr:
        if to == FLOAT16 and source == FLOAT64:
            # One rounding, double to half, as C's (_Float16) conversion on the CPU.
            bits = self.call(self.half_helper("dc_double_to_half"), value)
            return self.call(self.half_helper("dc_half_to_float"), bits)
        return super().convert_value(value, source, to)

    # No INT64_C/UINT64_C: without <stdint.h> those macros may not exist.
    def int64_literal(self, value: int) -> CExpr:
        if value == -(2**63):
            return CExpr("(-9223372036854775807LL - 1)", PREC_PRIMARY)
        return CExpr(f"{value}LL", PREC_UNARY if value < 0 else PREC_PRIMARY)

    def uint64_literal(self, value: int) -> CExpr:
        return CExpr(f"{value}ULL", PREC_PRIMARY)

    def float_literal(self, value: float, t: ScalarType) -> CExpr:
        # No NAN/INFINITY macros: the bit patterns through the built-in reinterpretations.
        if t == FLOAT16:
            with np.errstate(over="ignore"):  # out of range becomes inf, as the CPU's literal
                value = float(np.float16(value))
        if math.isfinite(value):
            return super().float_literal(value, t)
        single = self.compute_type(t) == FLOAT32
        if math.isnan(value):
            text = (
                "__int_as_float(0x7fc00000)"
                if single
                else "__longlong_as_double(0x7ff8000000000000LL)"
            )
            return CExpr(text, PREC_PRIMARY)
        text = (
            "__int_as_float(0x7f800000)" if single else "__longlong_as_double(0x7ff0000000000000LL)"
        )
        return CExpr(("-" if value < 0 else "") + text, PREC_UNARY if value < 0 else PREC_PRIMARY)

    # ----- expressions and statements that differ -------------------------------------------

    def emit_Index(self, expr: ir.Index) -> CExpr:
        element = self.element_ref(expr.array, expr.indices, expr)
        if self.scalar(expr) == FLOAT16:
            return self.call(self.half_helper("dc_half_to_float"), element)
        return element

    def emit_Store(self, stmt: ir.Store) -> None:
        t = self.scalar(stmt.target)
        element = self.element_ref(stmt.target.array, stmt.target.indices, stmt.target)
        if t != FLOAT16:
            super().emit_Store(stmt)
            return
        source = self.scalar(stmt.value)
        if source == FLOAT64:
            bits = self.call(
                self.half_helper("dc_double_to_half"), self.convert(stmt.value, FLOAT64)
            )
        else:
            # convert() to float16 already rounded: converting that float again is exact, so
            # convert to float32 (one rounding) and round once here.
            to = FLOAT32 if source != FLOAT16 else FLOAT16
            bits = self.call(self.half_helper("dc_float_to_half"), self.convert(stmt.value, to))
        self.out.line(f"{element.text} = {bits.text};")

    def emit_MathCall(self, expr: ir.MathCall) -> CExpr:
        if expr.function in ("isnan", "isinf", "isfinite") and len(expr.args) == 1:
            t = self.scalar(expr.args[0])
            if t.is_float:
                # Own predicates: the C macros of <math.h> do not exist here.
                value = self.convert(expr.args[0], t)
                name = f"dc_{expr.function}_{self.type_suffix(t)}"
                return self.call(
                    self.require_helper(name, lambda: self.predicate(expr.function, t)), value
                )
        return super().emit_MathCall(expr)

    def predicate(self, function: str, t: ScalarType) -> str:
        c = self.scalar_type(self.compute_type(t))
        infinity = self.float_literal(math.inf, t).text
        fabs = self.math_function("fabs", t)
        test = {
            "isnan": "x != x",
            "isinf": f"{fabs}(x) == {infinity}",
            "isfinite": f"{fabs}(x) < {infinity}",
        }[function]
        name = f"dc_{function}_{self.type_suffix(t)}"
        return f"{self.helper_qualifiers()} bool {name}({c} x)\n{{\n    return {test};\n}}\n"

    # The work-group barrier statement, fencing shared and global memory (OpenCL and MSL spell
    # it their way).
    barrier_statement = "__syncthreads();"

    def emit_Barrier(self, stmt: ir.Barrier) -> None:
        assert self.function is not None
        if not self.function.is_kernel:
            raise self.fail(stmt, "dc.barrier() inside a @dc.func device function")
        self.out.line(self.barrier_statement)

    def emit_SharedArrayDecl(self, stmt: ir.SharedArrayDecl) -> None:
        assert self.function is not None
        if not self.function.is_kernel:
            raise self.fail(stmt, "dc.shared_array inside a @dc.func device function")
        # Declared once at the top of the kernel (a Python name is visible after the block
        # that made it); nothing to print where the statement stands.

    # ----- atomics ---------------------------------------------------------------------------

    def emit_AtomicOp(self, expr: ir.AtomicOp) -> CExpr:
        t, pointer, operands = self.atomic_operands(expr)
        name = f"dc_atomic_{expr.op}_{self.type_suffix(t)}"
        self.require_helper(name, lambda: self.atomic_helper(expr.op, t))
        return self.call(name, pointer, *operands)

    def atomic_helper(self, op: str, t: ScalarType) -> str:
        """One helper per operation and type. CUDA's built-ins where they exist (the 64-bit
        signed ones through the unsigned overloads: two's complement makes add and exchange
        the same bits), compare-and-swap loops on the bit patterns otherwise: float min/max
        (Python's rule: the new value wins only when strictly smaller or larger, so NaN never
        enters and a stored NaN stays) and 8/16-bit integers (on their aligned 32-bit word)."""
        c = self.scalar_type(t)
        name = f"dc_atomic_{op}_{self.type_suffix(t)}"
        params = f"{c}* p, {c} compare, {c} value" if op == "cas" else f"{c}* p, {c} value"
        head = f"{self.helper_qualifiers()} {c} {name}({params})"
        if t.is_integer and t.bits < 32:
            body = self.narrow_atomic_body(op, t)
        elif t.is_float and op in ("min", "max"):
            body = self.float_extremum_body(op, t)
        else:
            body = [f"    return {self.builtin_atomic(op, t)};"]
        return "\n".join([head, "{", *body, "}", ""])

    def builtin_atomic(self, op: str, t: ScalarType) -> str:
        c = self.scalar_type(t)
        if t.is_float:
            bits, to_bits, from_bits = (
                ("int", "__float_as_int", "__int_as_float")
                if t == FLOAT32
                else ("unsigned long long", "__double_as_longlong", "__longlong_as_double")
            )
            if op == "add":
                return "atomicAdd(p, value)"
            if op == "sub":
                return "atomicAdd(p, -value)"  # a - b is a + (-b) exactly in IEEE arithmetic
            cast = f"({bits})" if t == FLOAT64 else ""
            if op == "exchange":
                return f"{from_bits}(atomicExch(({bits}*)p, {cast}{to_bits}(value)))"
            return (
                f"{from_bits}(atomicCAS(({bits}*)p, {cast}{to_bits}(compare), "
                f"{cast}{to_bits}(value)))"
            )
        builtin = _BUILTIN_TYPES[t.name]
        if t == INT64 and op in ("add", "sub", "exchange", "cas"):
            # No signed 64-bit add/exchange/CAS overloads: the unsigned ones on the same bits.
            u = "unsigned long long"
            pointer = f"({u}*)p"
            if op == "cas":
                return f"({c})atomicCAS({pointer}, ({u})compare, ({u})value)"
            value = f"0ull - ({u})value" if op == "sub" else f"({u})value"
            function = "atomicExch" if op == "exchange" else "atomicAdd"
            return f"({c}){function}({pointer}, {value})"
        pointer = f"({builtin}*)p"
        if op == "cas":
            return f"({c})atomicCAS({pointer}, ({builtin})compare, ({builtin})value)"
        if op == "sub":
            if t.bits == 64:  # no 64-bit atomicSub: add the two's complement
                return f"({c})atomicAdd({pointer}, 0ull - ({builtin})value)"
            return f"({c})atomicSub({pointer}, ({builtin})value)"
        function = {"add": "atomicAdd", "min": "atomicMin", "max": "atomicMax"}.get(
            op, "atomicExch"
        )
        return f"({c}){function}({pointer}, ({builtin})value)"

    def float_extremum_body(self, op: str, t: ScalarType) -> list[str]:
        c = self.scalar_type(t)
        if t == FLOAT32:
            bits, to_bits, from_bits = "int", "__float_as_int", "__int_as_float"
        else:
            bits, to_bits, from_bits = (
                "unsigned long long",
                "(unsigned long long)__double_as_longlong",
                "__longlong_as_double",
            )
        compare = "<" if op == "min" else ">"
        return [
            f"    {bits}* address = ({bits}*)p;",
            f"    {bits} old = *address;",
            "    for (;;) {",
            f"        const {c} current = {from_bits}(old);",
            f"        if (!(value {compare} current)) {{",
            "            return current;",
            "        }",
            f"        const {bits} assumed = old;",
            f"        old = atomicCAS(address, assumed, {to_bits}(value));",
            "        if (old == assumed) {",
            "            return current;",
            "        }",
            "    }",
        ]

    def narrow_atomic_body(self, op: str, t: ScalarType) -> list[str]:
        """8- and 16-bit integers: a CAS loop on the aligned 32-bit word holding the element
        (the other bytes of the word are written back unchanged; a concurrent change to them
        makes the CAS fail and retry)."""
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
            "    const unsigned long long address = (unsigned long long)p;",
            "    unsigned int* word = (unsigned int*)(address & ~3ull);",
            "    const unsigned int shift = (unsigned int)(address & 3ull) * 8u;",
            f"    const unsigned int mask = {mask}u << shift;",
            "    unsigned int old = *word;",
            "    for (;;) {",
            f"        const {c} current = ({c})((old & mask) >> shift);",
            f"        const {c} desired = {desired};",
            "        const unsigned int replaced = (old & ~mask) | "
            "((((unsigned int)desired) << shift) & mask);",
            "        const unsigned int assumed = old;",
            "        old = atomicCAS(word, assumed, replaced);",
            "        if (old == assumed) {",
            "            return current;",
            "        }",
            "    }",
        ]

    # ----- functions -------------------------------------------------------------------------

    def begin_function(self, function: ir.Function) -> None:
        self.function = function
        reserved = RESERVED_NAMES | CUDA_RESERVED_NAMES | set(self.function_names.values())
        self.names = NameTable(reserved)
        self.loop_names = {}
        self.escaping = escaping_loop_variables(function.body)
        self.reserve_user_names(function)

    def prepare_names(self, function: ir.Function, all_extents: bool) -> None:
        info = self.infos[function.name]
        self.begin_function(function)
        self.extent_names = {}
        for param in function.params:
            if not isinstance(param.type, ArrayType):
                continue
            dims = (
                range(param.type.ndim) if all_extents else sorted(info.extents.get(param.name, ()))
            )
            for dim in dims:
                stem = f"{self.names.user(param.name)}_shape{dim}"
                self.extent_names[(param.name, dim)] = self.names.fresh(stem)
        queries = set(info.queries)
        if function.is_kernel:
            queries |= {(q, d) for q in ("global_id", "global_size") for d in range(3)}
        self.query_names = {q: self.names.fresh(f"{q[0]}_{q[1]}") for q in sorted(queries)}

    def declare_locals(self, function: ir.Function) -> None:
        loop_only = {
            s.var.name for s in walk_stmts(function.body) if isinstance(s, ir.For)
        } - self.escaping
        read = variables_read(function.body)
        for name, t in self.local_variables(function).items():
            if name in loop_only:
                continue
            unused = "" if name in read else f" {self.unused_attribute()}"
            self.out.line(f"{self.scalar_type(t)} {self.names.user(name)}{unused} = 0;")
        self.declare_private_arrays(function)

    # The spelling of extents and work-item positions in device function parameters.
    index_type = "int64_t"

    def array_parameter(self, function: ir.Function, param: ir.Param, name: str) -> str:
        """A device function's array parameter (OpenCL and MSL add the address space)."""
        return f"{self.storage_type(param.type.dtype)}* {name}"

    def parameter_list(self, function: ir.Function) -> list[str]:
        """A device function's parameters, in the order emit_FuncCall passes arguments: each
        array with the extents it reads, each scalar (float16 as float), then the work-item
        queries it uses."""
        info = self.infos[function.name]
        params: list[str] = []
        for param in function.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(function, f"array {param.name!r} has no element type yet")
                params.append(self.array_parameter(function, param, name))
                for dim in sorted(info.extents.get(param.name, ())):
                    params.append(f"{self.index_type} {self.extent_names[(param.name, dim)]}")
            else:
                params.append(f"{self.scalar_type(param.type)} {name}")
        params += [f"{self.index_type} {self.query_names[q]}" for q in sorted(info.queries)]
        return params

    def emit_device_function(self, function: ir.Function) -> None:
        self.prepare_names(function, all_extents=False)
        c_return = self.return_type_name(function)
        params = self.parameter_list(function)
        name = self.function_names[function.name]
        self.out.line(f"{self.helper_qualifiers()} {c_return} {name}({', '.join(params)})")
        self.out.open("{")
        read = variables_read(function.body)
        for param in function.params:
            if param.name not in read and not isinstance(param.type, ArrayType):
                self.out.line(f"(void){self.names.user(param.name)};")
        self.declare_locals(function)
        self.stmts(function.body)
        self.emit_final_return(function)
        self.out.close()

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

    def declare_shared_arrays(self, kernel: ir.Function, qualifier: str) -> None:
        """The kernel's static shared arrays, in the target's address space ``qualifier``."""
        for name, array_type in self.kernel_shared_arrays(kernel).items():
            size = math.prod(array_type.shape)
            c_type = self.storage_type(array_type.dtype)
            self.out.line(f"{qualifier} {c_type} {self.names.user(name)}[{size}];")

    def outside_global_size(self) -> str:
        """True for the work-items of the rounded-up launch beyond the kernel's global size."""
        return " || ".join(
            f"{self.query_names[('global_id', d)]} >= {self.query_names[('global_size', d)]}"
            for d in range(3)
        )

    def emit_kernel(self, kernel: ir.Function, symbol: str) -> None:
        self.prepare_names(kernel, all_extents=True)
        info = self.infos[kernel.name]
        params: list[str] = []
        half_scalars: list[tuple[str, str]] = []
        for param in kernel.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(kernel, f"array {param.name!r} has no element type yet")
                params.append(f"{self.storage_type(param.type.dtype)}* {name}")
                params += [
                    f"int64_t {self.extent_names[(param.name, d)]}" for d in range(param.type.ndim)
                ]
            elif param.type == FLOAT16:
                bits = self.names.fresh(f"{name}_bits")
                params.append(f"unsigned short {bits}")
                half_scalars.append((name, bits))
            else:
                params.append(f"{self.scalar_type(param.type)} {name}")
        params += [f"int64_t {self.query_names[('global_size', d)]}" for d in range(3)]

        self.out.line(f'extern "C" __global__ void {symbol}({", ".join(params)})')
        self.out.open("{")
        axes = "xyz"
        for dim in range(3):
            gid = self.query_names[("global_id", dim)]
            axis = axes[dim]
            position = f"(int64_t)blockIdx.{axis} * blockDim.{axis} + threadIdx.{axis}"
            self.out.line(f"const int64_t {gid} = {position};")
        outside = self.outside_global_size()
        # Note [CUDA global size], Note [CUDA barriers and return].
        self.out.open(f"if ({outside}) {{")
        self.out.line("return;")
        self.out.close()
        builtins = {
            "local_id": "threadIdx",
            "group_id": "blockIdx",
            "local_size": "blockDim",
            "num_groups": "gridDim",
        }
        for (query, dim), name in sorted(self.query_names.items()):
            if query in builtins and (query, dim) in info.queries:
                self.out.line(f"const int64_t {name} = (int64_t){builtins[query]}.{axes[dim]};")
        for name, bits in half_scalars:
            helper = self.half_helper("dc_half_to_float")
            self.out.line(f"float {name} = {helper}({bits});")
        self.declare_shared_arrays(kernel, "__shared__")
        self.declare_locals(kernel)
        self.stmts(kernel.body)
        self.out.close()

    # ----- translation unit ------------------------------------------------------------------

    def prepare_program(self, kernel: ir.Function, device_functions: list[ir.Function]) -> None:
        """Whole-program analysis a target needs before anything is printed (none for CUDA)."""

    def emit_program(self, kernel: ir.Function) -> tuple[str, str]:
        """The kernel's symbol and the text of its device functions followed by the kernel: the
        part of the translation unit every GPU target prints alike (OpenCL and MSL too)."""
        if not kernel.is_kernel:
            raise self.fail(kernel, f"{kernel.python_name!r} is a device function, not a kernel")
        device_functions = self.register_functions(kernel)
        self.prepare_program(kernel, device_functions)
        symbol = "dc_kernel_" + NameTable(RESERVED_NAMES).user(kernel.name)
        self.function_names[kernel.name] = symbol
        bodies = self.emit_device_functions(device_functions)
        self.emit_kernel(kernel, symbol)
        bodies.lines += self.out.lines
        return symbol, bodies.text()

    def generate(self, kernel: ir.Function) -> GeneratedKernel:
        symbol, bodies = self.emit_program(kernel)
        uses_barrier = any(contains_barrier(s) for s in kernel.body)
        header = [
            f"/* {self.generated_by(kernel)}",
            "   CUDA C++ for NVRTC; it includes no header (see codegen_cuda.py). */",
            "",
            f"namespace {NAMESPACE} {{",
            "",
            _PROLOGUE,
            "",
        ]
        source = (
            "\n".join(header)
            + self.helper_definitions()
            + "\n"
            + bodies
            + "\n}  // namespace "
            + NAMESPACE
            + "\n"
        )
        # Static __shared__ arrays: no dynamic shared memory, nothing per work-item.
        return GeneratedKernel(source, symbol, 0, 0, uses_barrier, appends_global_size=True)
