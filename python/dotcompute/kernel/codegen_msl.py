# python/dotcompute/kernel/codegen_msl.py
# The Metal code generator: a kernel's IR as one Metal Shading Language (MSL) library source.
# ruff: noqa: N802  (emit_<IRNodeClass> methods are named after the IR classes)
"""Metal Shading Language code generation for the Metal backend.

MSL is C++14 with address spaces, so this generator is the OpenCL one (which is the CUDA one
with address spaces) with Metal's spellings. What differs, and why:

- The source starts with ``#include <metal_stdlib>`` and ``using namespace metal;``. Types are
  MSL's (``char``...``ulong``, ``long`` is 64-bit); float16 arrays are MSL's own ``half`` (loads
  convert to float, stores round to nearest even, as MSL's float-to-half conversion does), and
  float16 values compute in float, as on every target.
- Note [MSL has no float64]: Metal has no ``double``. A kernel that needs float64 anywhere (an
  array, a scalar, a local, a literal's type, ``float()`` of an integer) is refused while its MSL
  is generated -- before anything is compiled or launched -- with a
  :class:`MetalUnsupportedError` that names the kernel, the source line and the construct.
  64-bit and 8/16-bit atomics are refused the same way: MSL's atomic types are ``atomic_int``,
  ``atomic_uint`` and (from MSL 3.0) ``atomic_float`` only.
- Address spaces: array parameters are ``device``; ``dc.shared_array`` is a ``threadgroup``
  array declared at the top of the kernel; a device function's array parameter takes the space
  of the arrays its callers pass (found as for OpenCL). ``dc.barrier()`` is
  ``threadgroup_barrier(mem_flags::mem_device | mem_flags::mem_threadgroup)``: the language's
  barrier orders global as well as shared memory within a group, as ``__syncthreads()`` does.
- Note [Metal arguments]: a kernel takes every array as a ``device T* x [[buffer(k)]]``, in
  order (the plugin binds each buffer view with ``setBuffer:offset:atIndex:``), then one
  ``constant dc_arguments& dc_args [[buffer(K)]]`` holding every scalar slot of the launch plan
  in order -- the user's scalars, each array's extents and the three hidden global sizes (Note
  [CUDA global size]) -- as struct fields with natural alignment. The plugin packs the scalar
  slots the same way (each at an offset that is a multiple of its size) and passes them with
  ``setBytes:length:atIndex:``. One struct instead of one buffer index per scalar keeps kernels
  with many arrays inside Metal's 31 buffer indices. bool and float16 scalars travel as
  ``uchar`` and ``half``.
- Work-item queries are the kernel's position attributes (``[[thread_position_in_grid]]``,
  ``[[thread_position_in_threadgroup]]``, ``[[threadgroup_position_in_grid]]``,
  ``[[threads_per_threadgroup]]``, ``[[threadgroups_per_grid]]``). The plugin launches whole
  threadgroups, so the kernel starts with the global-size guard; in kernels with barriers the
  guard and ``return`` clear an ``active`` flag instead of leaving (Note [OpenCL barriers and
  return]): Metal requires every thread of a threadgroup to reach each barrier.
- Atomics (relaxed order, as the language's atomics everywhere): int32 and uint32 use
  ``atomic_fetch_{add,sub,min,max}_explicit`` and ``atomic_exchange_explicit`` on
  ``atomic_int``/``atomic_uint``; compare-and-swap is a loop on
  ``atomic_compare_exchange_weak_explicit`` (MSL has no strong form; the loop retries only a
  spurious failure). float32 add, sub and exchange use ``atomic_float`` on device memory when
  the compiler's ``__METAL_VERSION__`` is 300 or more, and a compare-and-swap loop on the bits
  (``as_type<uint>``) otherwise and in threadgroup memory; float min, max and compare-and-swap
  are always such loops (Python's rule for min/max, bit-pattern comparison for cas).
- Math: MSL's overloaded built-ins, compiled with fast math off by the plugin. ``expm1``,
  ``log1p``, ``cbrt``, ``hypot``, ``erf`` and ``erfc``, which MSL lacks, are small helpers
  (Note [MSL math helpers]). NaN and infinity literals are bit patterns through ``as_type``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from . import ir
from .codegen_base import (
    PREC_AND,
    PREC_OR,
    PREC_PRIMARY,
    PREC_UNARY,
    CExpr,
    contains_barrier,
    walk_exprs,
    walk_stmts,
)
from .codegen_c import GeneratedKernel
from .codegen_opencl import OPENCL_TYPES, OpenclGenerator
from .types import (
    BOOL,
    FLOAT16,
    FLOAT32,
    FLOAT64,
    ArrayType,
    FixedArrayType,
    ScalarType,
    SharedArrayType,
    TupleType,
)

# MSL spells its scalar types as OpenCL C does, and has no double.
_MSL_TYPES = {name: c for name, c in OPENCL_TYPES.items() if name != "float64"}

# OpenCL-style address-space names (the OpenCL generator's bookkeeping) in MSL.
_SPACES = {"__global": "device", "__local": "threadgroup", "__private": "thread"}

# Names MSL and <metal_stdlib> declare that user identifiers must not hide.
_MSL_WORDS = """
metal device threadgroup constant thread kernel half uchar ushort uint ulong as_type
atomic_int atomic_uint atomic_float atomic_bool memory_order memory_order_relaxed mem_flags
threadgroup_barrier simdgroup_barrier atomic_load_explicit atomic_store_explicit
atomic_exchange_explicit atomic_fetch_add_explicit atomic_fetch_sub_explicit
atomic_fetch_min_explicit atomic_fetch_max_explicit atomic_compare_exchange_weak_explicit
select clamp mix sign saturate fract powr rsqrt precise fast float2 float3 float4 int2 int3
int4 uint2 uint3 uint4 packed_float3
"""
MSL_RESERVED_NAMES = frozenset(_MSL_WORDS.split())

# Position attributes per work-item query (the parameter's name stem and its attribute).
_POSITION_ATTRIBUTES = {
    "global_id": ("dc_thread_position", "thread_position_in_grid"),
    "local_id": ("dc_thread_in_group", "thread_position_in_threadgroup"),
    "group_id": ("dc_group_position", "threadgroup_position_in_grid"),
    "local_size": ("dc_group_size", "threads_per_threadgroup"),
    "num_groups": ("dc_group_count", "threadgroups_per_grid"),
}

#: The ``__METAL_VERSION__`` from which ``atomic_float`` has fetch_add/fetch_sub/exchange.
FLOAT_ATOMICS_METAL_VERSION = 300

# Note [MSL math helpers]: functions C has and MSL lacks, in float. expm1 and log1p use the
# correction u - 1 -> (u - 1) * x / log(u), which cancels the rounding error of exp/1 + x; cbrt is
# pow of the magnitude refined by one Newton step; hypot scales by the larger magnitude so the
# square cannot overflow; erfc is a Chebyshev-fitted exponential form with a relative error
# under 1.2e-7 for every x (published coefficients), and erf uses its Taylor series near 0,
# where 1 - erfc would lose the relative precision.
_MATH_HELPERS = {
    "expm1": """static inline float dc_expm1(float x)
{
    const float u = exp(x);
    if (u == 1.0f) {
        return x;
    }
    const float um1 = u - 1.0f;
    if (um1 == -1.0f) {
        return -1.0f;
    }
    if (isinf(u)) {
        return u;
    }
    return um1 * x / log(u);
}
""",
    "log1p": """static inline float dc_log1p(float x)
{
    const float u = 1.0f + x;
    if (u == 1.0f) {
        return x;
    }
    if (isinf(u) || u <= 0.0f) {
        return log(u);
    }
    return log(u) * x / (u - 1.0f);
}
""",
    "cbrt": """static inline float dc_cbrt(float x)
{
    if (x == 0.0f || isinf(x) || isnan(x)) {
        return x;
    }
    const float magnitude = fabs(x);
    float y = pow(magnitude, 1.0f / 3.0f);
    y = y - (y * y * y - magnitude) / (3.0f * y * y);
    return copysign(y, x);
}
""",
    "hypot": """static inline float dc_hypot(float x, float y)
{
    const float a = fabs(x);
    const float b = fabs(y);
    if (isinf(a) || isinf(b)) {
        return as_type<float>(0x7f800000u);
    }
    if (isnan(a) || isnan(b)) {
        return a + b;
    }
    const float larger = a > b ? a : b;
    const float smaller = a > b ? b : a;
    if (larger == 0.0f) {
        return 0.0f;
    }
    const float ratio = smaller / larger;
    return larger * sqrt(1.0f + ratio * ratio);
}
""",
    "erfc": """static inline float dc_erfc(float x)
{
    if (isnan(x)) {
        return x;
    }
    const float z = fabs(x);
    const float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = -0.82215223f + t * p;
    p = 1.48851587f + t * p;
    p = -1.13520398f + t * p;
    p = 0.27886807f + t * p;
    p = -0.18628806f + t * p;
    p = 0.09678418f + t * p;
    p = 0.37409196f + t * p;
    p = 1.00002368f + t * p;
    p = -1.26551223f + t * p;
    const float tail = t * exp(-z * z + p);
    return x >= 0.0f ? tail : 2.0f - tail;
}
""",
    "erf": """static inline float dc_erf(float x)
{
    if (fabs(x) < 0.5f) {
        const float s = x * x;
        float series = -1.0f / 1320.0f;
        series = 1.0f / 216.0f + s * series;
        series = -1.0f / 42.0f + s * series;
        series = 1.0f / 10.0f + s * series;
        series = -1.0f / 3.0f + s * series;
        series = 1.0f + s * series;
        return 1.1283791671f * x * series;
    }
    return 1.0f - dc_erfc(x);
}
""",
}
_MATH_HELPER_NEEDS = {"erf": ("erfc",)}


class MetalUnsupportedError(UnsupportedError):
    """A kernel needs something Metal does not have (float64, 64-bit or 8/16-bit atomics).
    Raised while the MSL is generated, so nothing is compiled or launched."""


@dataclass
class MslKernelSource(GeneratedKernel):
    """Generated MSL (one kernel, entry point ``symbol``)."""


def generate_msl(function: ir.Function) -> MslKernelSource:
    """The MSL library source of kernel ``function`` (see the module notes)."""
    return MslGenerator().generate(function)


def _type_mentions_float64(t: object) -> bool:
    if t == FLOAT64:
        return True
    if isinstance(t, TupleType):
        return FLOAT64 in t.elements
    return isinstance(t, ArrayType | FixedArrayType) and t.dtype == FLOAT64


def _float64_use(function: ir.Function) -> tuple[object, str] | None:
    """The first place ``function`` uses float64 and a description of it, or None."""
    for param in function.params:
        if _type_mentions_float64(param.type):
            kind = "array" if isinstance(param.type, ArrayType) else "scalar"
            return function, f"the float64 {kind} parameter {param.name!r}"
    for name, t in [*function.shared_arrays.items(), *function.private_arrays.items()]:
        if _type_mentions_float64(t):
            kind = "shared" if isinstance(t, SharedArrayType) else "private"
            return function, f"the float64 {kind} array {name!r}"
    for stmt in walk_stmts(function.body):
        if isinstance(stmt, ir.Assign) and _type_mentions_float64(stmt.target.type):
            return stmt, f"the float64 local {stmt.target.name!r}"
    for expr in walk_exprs(function.body):
        if _type_mentions_float64(expr.type):
            what = type(expr).__name__
            if isinstance(expr, ir.Cast):
                what = "a conversion to float64 (float(...) is float64)"
            elif isinstance(expr, ir.Var):
                what = f"the float64 value {expr.name!r}"
            elif isinstance(expr, ir.BinOp):
                what = f"float64 arithmetic ({expr.op!r}; an operand is float64 or int64)"
            else:
                what = f"a float64 {what} expression"
            return expr, what
    for name, t in function.locals.items():
        if _type_mentions_float64(t):
            return function, f"the float64 local {name!r}"
    return None


class MslGenerator(OpenclGenerator):
    target = "metal"
    language_reserved_names = MSL_RESERVED_NAMES
    barrier_statement = "threadgroup_barrier(mem_flags::mem_device | mem_flags::mem_threadgroup);"

    def __init__(self) -> None:
        super().__init__()
        self.kernel_function: ir.Function | None = None

    # ----- refusals (Note [MSL has no float64]) ------------------------------------------------

    def refuse(self, node: object, message: str) -> MetalUnsupportedError:
        assert self.kernel_function is not None
        loc = getattr(node, "loc", None) or getattr(self.kernel_function, "loc", None)
        where = f"{loc}: " if loc is not None else ""
        return MetalUnsupportedError(
            f"{where}kernel {self.kernel_function.python_name!r} cannot run on Metal: {message}"
        )

    def check_float64(self, functions: list[ir.Function]) -> None:
        for function in functions:
            found = _float64_use(function)
            if found is None:
                continue
            node, what = found
            inside = (
                ""
                if function is self.kernel_function
                else f" in device function {function.python_name!r}"
            )
            raise self.refuse(
                node,
                f"it uses {what}{inside}, and Metal has no float64 (Note [MSL has no float64]); "
                "use float32 arrays, scalars and literals (dc.float32(...)) for this device",
            )

    # ----- spellings ------------------------------------------------------------------------

    def scalar_type(self, t: ScalarType) -> str:
        if t == FLOAT64:
            raise self.refuse(self.function, "float64 values (Metal has no double)")
        return _MSL_TYPES[t.name]

    def storage_type(self, t: ScalarType) -> str:
        return "half" if t == FLOAT16 else self.scalar_type(t)

    def unroll_directive(self) -> str:
        return "#pragma unroll"  # Metal devices are GPUs (the OpenCL generator asks the device)

    def space(self, opencl_space: str) -> str:
        return _SPACES[opencl_space]

    def math_function(self, name: str, t: ScalarType) -> str:
        if name in _MATH_HELPERS:
            for needed in _MATH_HELPER_NEEDS.get(name, ()):
                self.require_helper(f"dc_{needed}", lambda n=needed: _MATH_HELPERS[n])
            return self.require_helper(f"dc_{name}", lambda: _MATH_HELPERS[name])
        return name  # MSL's math built-ins are overloaded per type

    def round_to_half(self, value: CExpr) -> CExpr:
        return CExpr(f"(float)(half){value.at(PREC_UNARY)}", PREC_UNARY)

    def convert_value(self, value: CExpr, source: ScalarType, to: ScalarType) -> CExpr:
        return super(OpenclGenerator, self).convert_value(value, source, to)

    def float_literal(self, value: float, t: ScalarType) -> CExpr:
        if t == FLOAT16:
            with np.errstate(over="ignore"):
                value = float(np.float16(value))
        if math.isfinite(value):
            return super(OpenclGenerator, self).float_literal(value, t)
        text = "as_type<float>(0x7fc00000u)" if math.isnan(value) else "as_type<float>(0x7f800000u)"
        if math.isinf(value) and value < 0:
            return CExpr("-" + text, PREC_UNARY)
        return CExpr(text, PREC_PRIMARY)

    def float_to_int_helper(self, source: ScalarType, to: ScalarType) -> str:
        """Saturating conversion (Note [Operator semantics]); the bounds are powers of two,
        printed in decimal (exact in float) rather than as hex-float literals."""
        name = f"dc_convert_{self.type_suffix(source)}_{self.type_suffix(to)}"

        def make() -> str:
            i = self.scalar_type(to)
            info = np.iinfo(to.dtype)
            upper = f"{float(2 ** (to.bits - 1 if to.is_signed else to.bits))!r}f"
            lower = f"-{float(2 ** (to.bits - 1))!r}f" if to.is_signed else "-1.0f"
            low_value = self.integer_literal(int(info.min), to).text
            high_value = self.integer_literal(int(info.max), to).text
            return (
                f"static inline {i} {name}(float x)\n{{\n"
                f"    if (!(x == x)) {{\n        return 0;\n    }}\n"
                f"    if (x <= {lower}) {{\n        return {low_value};\n    }}\n"
                f"    if (x >= {upper}) {{\n        return {high_value};\n    }}\n"
                f"    return ({i})x;\n}}\n"
            )

        return self.require_helper(name, make)

    def emit_Index(self, expr: ir.Index) -> CExpr:
        element = self.element_ref(expr.array, expr.indices, expr)
        if self.scalar(expr) == FLOAT16:
            return CExpr(f"(float){element.text}", PREC_UNARY)
        return element

    def emit_Store(self, stmt: ir.Store) -> None:
        t = self.scalar(stmt.target)
        if t != FLOAT16:
            super(OpenclGenerator, self).emit_Store(stmt)
            return
        element = self.element_ref(stmt.target.array, stmt.target.indices, stmt.target)
        # One rounding: the value in float (float16 values already are), then to half.
        to = FLOAT16 if self.scalar(stmt.value) == FLOAT16 else FLOAT32
        value = self.convert(stmt.value, to)
        self.out.line(f"{element.text} = (half){value.at(PREC_UNARY)};")

    def emit_BoolOp(self, expr: ir.BoolOp) -> CExpr:
        """As the base, with ``&&`` inside ``||`` in parentheses: the Metal compiler is clang,
        whose -Wlogical-op-parentheses warns about it (the meaning is the same)."""
        if expr.op != "or":
            return super().emit_BoolOp(expr)
        values = [self.convert(v, BOOL).at(PREC_AND + 1) for v in expr.values]
        return CExpr(" || ".join(values), PREC_OR)

    # ----- atomics ------------------------------------------------------------------------------

    def emit_AtomicOp(self, expr: ir.AtomicOp) -> CExpr:
        t, pointer, operands = self.atomic_operands(expr)
        self.refuse_private_atomic(expr, self.array_space(expr.array))
        if t.bits != 32:
            raise self.refuse(
                expr,
                f"atomic_{expr.op} on a {t} array: Metal's atomics are 32-bit (atomic_int, "
                "atomic_uint, atomic_float); use an int32, uint32 or float32 array",
            )
        space = self.space(self.array_space(expr.array))
        name = f"dc_atomic_{expr.op}_{self.type_suffix(t)}_{space}"
        self.require_helper(name, lambda: self.msl_atomic_helper(name, expr.op, t, space))
        return self.call(name, pointer, *operands)

    def msl_atomic_helper(self, name: str, op: str, t: ScalarType, space: str) -> str:
        c = self.scalar_type(t)
        params = f"{space} {c}* p, {c} compare, {c} value" if op == "cas" else None
        params = params or f"{space} {c}* p, {c} value"
        head = f"static inline {c} {name}({params})"
        if t == FLOAT32:
            body = self.float_atomic_lines(op, space)
        else:
            atomic = f"{space} atomic_{c}*"
            if op == "cas":
                body = self.compare_exchange_lines(atomic, c, "compare", "value")
                body.append("    return expected;")
            else:
                function = {
                    "add": "atomic_fetch_add_explicit",
                    "sub": "atomic_fetch_sub_explicit",
                    "min": "atomic_fetch_min_explicit",
                    "max": "atomic_fetch_max_explicit",
                    "exchange": "atomic_exchange_explicit",
                }[op]
                body = [f"    return {function}(({atomic})p, value, memory_order_relaxed);"]
        return "\n".join([head, "{", *body, "}", ""])

    @staticmethod
    def compare_exchange_lines(atomic: str, c: str, compare: str, desired: str) -> list[str]:
        """A strong compare-and-swap from the weak one: retried while it fails spuriously
        (the stored value still equals the expected one). ``expected`` ends up holding the
        value found, which equals ``compare`` exactly when the swap happened."""
        return [
            f"    {atomic} word = ({atomic})p;",
            f"    const {c} wanted = {compare};",
            f"    {c} expected = wanted;",
            f"    while (!atomic_compare_exchange_weak_explicit(word, &expected, {desired}, "
            "memory_order_relaxed, memory_order_relaxed)) {",
            "        if (expected != wanted) {",
            "            break;",
            "        }",
            "    }",
        ]

    def float_atomic_lines(self, op: str, space: str) -> list[str]:
        atomic = f"{space} atomic_uint*"
        if op == "cas":
            lines = self.compare_exchange_lines(
                atomic, "uint", "as_type<uint>(compare)", "as_type<uint>(value)"
            )
            return [*lines, "    return as_type<float>(expected);"]
        desired = {
            "add": "current + value",
            "sub": "current - value",
            "exchange": "value",
            "min": "value",
            "max": "value",
        }[op]
        loop = [
            f"    {atomic} word = ({atomic})p;",
            "    uint expected = atomic_load_explicit(word, memory_order_relaxed);",
            "    for (;;) {",
            "        const float current = as_type<float>(expected);",
        ]
        if op in ("min", "max"):
            # Python's rule: the new value wins only when strictly smaller (larger), so a NaN
            # never enters and a stored NaN stays.
            compare = "<" if op == "min" else ">"
            loop += [f"        if (!(value {compare} current)) {{", "            return current;"]
            loop += ["        }"]
        loop += [
            f"        if (atomic_compare_exchange_weak_explicit(word, &expected, "
            f"as_type<uint>({desired}), memory_order_relaxed, memory_order_relaxed)) {{",
            "            return current;",
            "        }",
            "    }",
        ]
        if op in ("min", "max") or space != "device":
            return loop
        native = {
            "add": "atomic_fetch_add_explicit",
            "sub": "atomic_fetch_sub_explicit",
            "exchange": "atomic_exchange_explicit",
        }[op]
        return [
            f"#if __METAL_VERSION__ >= {FLOAT_ATOMICS_METAL_VERSION}",
            f"    return {native}((device atomic_float*)p, value, memory_order_relaxed);",
            "#else",
            *loop,
            "#endif",
        ]

    # ----- functions ----------------------------------------------------------------------------

    def emit_kernel(self, kernel: ir.Function, symbol: str) -> None:
        """Note [Metal arguments]: buffers first, then the argument struct, then positions."""
        self.prepare_names(kernel, all_extents=True)
        info = self.infos[kernel.name]
        buffers: list[str] = []
        fields: list[str] = []
        prologue: list[str] = []
        arguments = self.names.fresh("dc_args")
        for param in kernel.params:
            name = self.names.user(param.name)
            if isinstance(param.type, ArrayType):
                if param.type.dtype is None:
                    raise self.fail(kernel, f"array {param.name!r} has no element type yet")
                c = self.storage_type(param.type.dtype)
                buffers.append(f"device {c}* {name} [[buffer({len(buffers)})]]")
                for d in range(param.type.ndim):
                    extent = self.extent_names[(param.name, d)]
                    fields.append(f"long {extent};")
                    prologue.append(f"const long {extent} = {arguments}.{extent};")
            elif param.type == FLOAT16:
                fields.append(f"half {name};")
                prologue.append(f"float {name} = (float){arguments}.{name};")
            elif param.type == BOOL:
                fields.append(f"uchar {name};")
                prologue.append(f"bool {name} = {arguments}.{name} != 0;")
            else:
                c = self.scalar_type(param.type)
                fields.append(f"{c} {name};")
                prologue.append(f"{c} {name} = {arguments}.{name};")
        for d in range(3):
            size = self.query_names[("global_size", d)]
            fields.append(f"long {size};")
            prologue.append(f"const long {size} = {arguments}.{size};")
        struct = f"{symbol}_arguments"
        self.out.open(f"struct {struct} {{")
        for field in fields:
            self.out.line(field)
        self.out.close("};")
        self.out.line("")

        used = {"global_id"} | {q for q, _ in info.queries}
        positions = {
            query: self.names.fresh(stem)
            for query, (stem, _) in _POSITION_ATTRIBUTES.items()
            if query in used
        }
        params = [*buffers, f"constant {struct}& {arguments} [[buffer({len(buffers)})]]"]
        params += [
            f"uint3 {positions[q]} [[{_POSITION_ATTRIBUTES[q][1]}]]"
            for q in _POSITION_ATTRIBUTES
            if q in positions
        ]
        self.out.line(f"kernel void {symbol}(")
        for index, param in enumerate(params):
            self.out.line(f"    {param}{',' if index + 1 < len(params) else ')'}")
        self.out.open("{")
        axes = "xyz"
        for line in prologue:
            self.out.line(line)
        for dim in range(3):
            gid = self.query_names[("global_id", dim)]
            self.out.line(f"const long {gid} = (long){positions['global_id']}.{axes[dim]};")
        flag = self.leave_outside_global_size(kernel)
        for (query, dim), name in sorted(self.query_names.items()):
            if query in positions and query != "global_id" and (query, dim) in info.queries:
                self.out.line(f"const long {name} = (long){positions[query]}.{axes[dim]};")
        self.declare_shared_arrays(kernel, "threadgroup")
        self.emit_kernel_body(kernel, flag)

    # ----- library ------------------------------------------------------------------------------

    def prepare_program(self, kernel: ir.Function, device_functions: list[ir.Function]) -> None:
        self.check_float64([kernel, *device_functions])
        super().prepare_program(kernel, device_functions)

    def generate(self, kernel: ir.Function) -> MslKernelSource:
        self.kernel_function = kernel
        symbol, bodies = self.emit_program(kernel)
        header = [
            f"// {self.generated_by(kernel)}",
            "// Metal Shading Language for newLibraryWithSource (see codegen_msl.py).",
            "#include <metal_stdlib>",
            "using namespace metal;",
        ]
        source = "\n".join(header) + "\n\n" + self.helper_definitions() + "\n" + bodies
        return MslKernelSource(
            source,
            symbol,
            0,
            0,
            any(contains_barrier(s) for s in kernel.body),
            appends_global_size=True,
        )
