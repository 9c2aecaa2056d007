# python/dotcompute/kernel/naming.py
# Names in the IR: stable function names from argument types, and locals safe in C-like targets.
"""Naming rules for the IR.

- A kernel specialized for argument types is named ``<python name>__<type codes>``, e.g.
  ``saxpy__f32_f32a1_f32a1`` (``f32`` a float32 scalar, ``f32a1`` a 1-D float32 array), and a
  device function ``func_<python name>__<type codes>``. The name depends only on the Python name
  and the types, so generated source (and the kernel cache key) is stable across processes.
- Locals and parameters keep their Python names unless the name is reserved in C, C++, CUDA,
  OpenCL C or MSL (keywords, common built-in functions and types), starts with ``__`` or ``_`` and
  an upper-case letter (reserved in C), or starts with ``dc_`` (kept for generators). Those get
  the prefix ``py_``.
- ``dc_t<N>`` names are the frontend's temporaries; generators must not use them.
"""

from __future__ import annotations

from .types import ArrayType, ScalarType, SharedArrayType

_TYPE_CODES = {
    "bool": "b",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
}


def type_code(t: ScalarType | ArrayType | SharedArrayType) -> str:
    """Short code of a parameter type for function names: ``f32``, ``i64a2``."""
    if isinstance(t, ScalarType):
        return _TYPE_CODES[t.name]
    if isinstance(t, ArrayType):
        return f"{_TYPE_CODES[t.dtype.name] if t.dtype else 'g'}a{t.ndim}"
    return f"{_TYPE_CODES[t.dtype.name]}s{'x'.join(map(str, t.shape))}"


def specialized_name(python_name: str, arg_types: list, *, is_kernel: bool) -> str:
    codes = "_".join(type_code(t) for t in arg_types) or "void"
    stem = python_name if is_kernel else f"func_{python_name}"
    return f"{stem}__{codes}"


# Keywords of C11, C++17, CUDA, OpenCL C and MSL, plus built-in types and the math and
# work-item functions a generator calls: a local named `exp` or `min` would shadow them.
RESERVED = frozenset(
    """
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic
    _Imaginary _Noreturn _Static_assert _Thread_local bool true false NULL
    alignas alignof and and_eq asm bitand bitor catch char16_t char32_t class compl concept
    const_cast constexpr decltype delete dynamic_cast explicit export friend mutable namespace
    new noexcept not not_eq nullptr operator or or_eq private protected public
    reinterpret_cast requires static_assert static_cast template this thread_local throw try
    typeid typename using virtual wchar_t xor xor_eq final override
    __global__ __device__ __host__ __shared__ __constant__ __restrict__ __syncthreads
    threadIdx blockIdx blockDim gridDim warpSize
    kernel __kernel global __global local __local constant __constant private __private
    read_only write_only read_write image1d_t image2d_t image3d_t sampler_t event_t
    half half2 half3 half4 float2 float3 float4 double2 double3 double4 int2 int3 int4
    uint uint2 uint3 uint4 uchar ushort ulong char2 char4 short2 short4 long2 long4
    size_t ptrdiff_t intptr_t uintptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t
    uint32_t uint64_t device threadgroup thread vertex fragment metal simd
    get_global_id get_local_id get_group_id get_local_size get_global_size get_num_groups
    barrier mem_fence threadgroup_barrier
    sqrt sqrtf exp expf exp2 exp2f log logf log2 log2f log10 log10f sin sinf cos cosf tan tanf
    asin asinf acos acosf atan atanf atan2 atan2f sinh sinhf cosh coshf tanh tanhf fabs fabsf
    abs labs llabs min max fmin fminf fmax fmaxf floor floorf ceil ceilf trunc truncf pow powf
    fma fmaf fmod fmodf round roundf rint isnan isinf isfinite signbit copysign clamp mix
    select dot cross length normalize rsqrt native_sqrt printf memcpy memset malloc free
    main assert errno math
    """.split()  # noqa: SIM905 - a word list reads best as text
)


def c_safe_name(name: str, taken: set[str]) -> str:
    """``name`` itself when it is safe in every target language, else ``py_<name>`` (made
    unique against ``taken``, the Python names of the function)."""
    if not (
        name in RESERVED
        or name.startswith("__")
        or (name.startswith("_") and name[1:2].isupper())
        or name.lower().startswith("dc_")
    ):
        return name
    candidate = f"py_{name}"
    while candidate in taken:
        candidate = f"py_{candidate}"
    return candidate
