// metal/metal_builtin_source.cpp
// The MSL of the built-in ops: one template, specialized per dtype by a short preamble of
// typedefs and macros (a kernel per op and dtype, compiled on first use by metal_ops.mm).
//
// Types: T is the element as stored (bool as uchar, float16 as half, complex64 as float2); U the
// unsigned twin integer arithmetic wraps in (no C promotion, no signed overflow); A the sum's
// accumulator (long/ulong for bool and integers, as the ABI's sum result types; float for float16
// and float32; float2 for complex64); S the sum's stored result; M the value min/max compare in
// (float for float16). float16 arithmetic computes in float and rounds once to half. min and max
// propagate NaN like numpy.
#include "metal_builtin_source.hpp"

namespace dotcompute::metal {
namespace {

constexpr const char* kTemplate = R"MSL(
static inline T dc_add(T x, T y) {
#if DC_INTEGER
  return (T)((U)x + (U)y);
#elif DC_COMPLEX
  return x + y;
#else
  return (T)((float)x + (float)y);
#endif
}

static inline T dc_subtract(T x, T y) {
#if DC_INTEGER
  return (T)((U)x - (U)y);
#elif DC_COMPLEX
  return x - y;
#else
  return (T)((float)x - (float)y);
#endif
}

static inline T dc_multiply(T x, T y) {
#if DC_INTEGER
  return (T)((U)x * (U)y);
#elif DC_COMPLEX
  return T(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x);
#else
  return (T)((float)x * (float)y);
#endif
}

static inline T dc_divide(T x, T y) {
#if DC_COMPLEX
  const float scale = y.x * y.x + y.y * y.y;
  return T((x.x * y.x + x.y * y.y) / scale, (x.y * y.x - x.x * y.y) / scale);
#elif DC_INTEGER
  (void)y;
  return x;  // never used: integer true division is refused before compiling
#else
  return (T)((float)x / (float)y);
#endif
}

static inline T dc_floor_divide(T x, T y) {
#if DC_INTEGER
  if (y == 0) {
    return 0;
  }
#if DC_SIGNED
  if (y == (T)-1) {
    return (T)((U)0 - (U)x);
  }
  T quotient = (T)(x / y);
  if ((T)(quotient * y) != x && ((x < 0) != (y < 0))) {
    quotient = (T)(quotient - 1);
  }
  return quotient;
#else
  return (T)(x / y);
#endif
#else
  (void)y;
  return x;  // never used: floor division is for integer dtypes
#endif
}

#ifdef DC_OP
kernel void dc_binary(device const T* a [[buffer(0)]], device const T* b [[buffer(1)]],
                      device T* out [[buffer(2)]], constant ulong& count [[buffer(3)]],
                      uint index [[thread_position_in_grid]],
                      uint threads [[threads_per_grid]]) {
  for (ulong i = index; i < count; i += threads) {
    out[i] = DC_OP(a[i], b[i]);
  }
}
#endif

#ifdef DC_AXPY
kernel void dc_axpy(device const T* x [[buffer(0)]], device const T* y [[buffer(1)]],
                    device T* out [[buffer(2)]], constant ulong& count [[buffer(3)]],
                    constant T& alpha [[buffer(4)]], uint index [[thread_position_in_grid]],
                    uint threads [[threads_per_grid]]) {
  const T scale = alpha;
  for (ulong i = index; i < count; i += threads) {
    out[i] = dc_add(dc_multiply(scale, x[i]), y[i]);
  }
}
#endif

#ifdef DC_REDUCE
static inline R dc_load(T value) {
  return (R)value;
}

static inline R dc_combine(R a, R b) {
#if DC_REDUCE == 0
#if DC_INTEGER
  return (R)((ulong)a + (ulong)b);
#else
  return a + b;
#endif
#else
#if DC_FLOATING
  if (isnan(a)) {
    return a;
  }
  if (isnan(b)) {
    return b;
  }
#endif
#if DC_REDUCE == 1
  return b < a ? b : a;
#else
  return b > a ? b : a;
#endif
#endif
}

static inline R dc_identity(device const T* input) {
#if DC_REDUCE == 0
  (void)input;
  return R(0);
#else
  return dc_load(input[0]);  // min/max: any element is neutral; count > 0 is checked
#endif
}

static inline void dc_tree(threadgroup R* scratch, uint lid, uint group_size) {
  for (uint stride = group_size / 2; stride > 0; stride /= 2) {
    if (lid < stride) {
      scratch[lid] = dc_combine(scratch[lid], scratch[lid + stride]);
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
  }
}

kernel void dc_reduce_partial(device const T* input [[buffer(0)]],
                              device R* partials [[buffer(1)]],
                              constant ulong& count [[buffer(2)]],
                              uint index [[thread_position_in_grid]],
                              uint threads [[threads_per_grid]],
                              uint lid [[thread_position_in_threadgroup]],
                              uint group [[threadgroup_position_in_grid]],
                              uint group_size [[threads_per_threadgroup]]) {
  threadgroup R scratch[DC_GROUP];
  R acc = dc_identity(input);
  for (ulong i = index; i < count; i += threads) {
    acc = dc_combine(acc, dc_load(input[i]));
  }
  scratch[lid] = acc;
  threadgroup_barrier(mem_flags::mem_threadgroup);
  dc_tree(scratch, lid, group_size);
  if (lid == 0) {
    partials[group] = scratch[0];
  }
}

kernel void dc_reduce_final(device const R* partials [[buffer(0)]], device S* out [[buffer(1)]],
                            constant ulong& count [[buffer(2)]],
                            uint lid [[thread_position_in_threadgroup]],
                            uint group_size [[threads_per_threadgroup]]) {
  threadgroup R scratch[DC_GROUP];
#if DC_REDUCE == 0
  R acc = R(0);
#else
  R acc = partials[0];
#endif
  for (ulong i = lid; i < count; i += group_size) {
    acc = dc_combine(acc, partials[i]);
  }
  scratch[lid] = acc;
  threadgroup_barrier(mem_flags::mem_threadgroup);
  dc_tree(scratch, lid, group_size);
  if (lid == 0) {
    out[0] = (S)scratch[0];
  }
}
#endif
)MSL";

struct Types {
  const char* storage;
  const char* twin;         ///< integers: the unsigned type of the same width
  const char* accumulator;  ///< sum
  const char* compare;      ///< min/max
  bool integer, is_signed, complex;
};

bool types_of(dc_dtype dtype, Types* out) {
  switch (dtype) {
    case DC_DTYPE_BOOL:
      *out = {"uchar", "uchar", "long", "uchar", true, false, false};
      return true;
    case DC_DTYPE_INT8:
      *out = {"char", "uchar", "long", "char", true, true, false};
      return true;
    case DC_DTYPE_INT16:
      *out = {"short", "ushort", "long", "short", true, true, false};
      return true;
    case DC_DTYPE_INT32:
      *out = {"int", "uint", "long", "int", true, true, false};
      return true;
    case DC_DTYPE_INT64:
      *out = {"long", "ulong", "long", "long", true, true, false};
      return true;
    case DC_DTYPE_UINT8:
      *out = {"uchar", "uchar", "ulong", "uchar", true, false, false};
      return true;
    case DC_DTYPE_UINT16:
      *out = {"ushort", "ushort", "ulong", "ushort", true, false, false};
      return true;
    case DC_DTYPE_UINT32:
      *out = {"uint", "uint", "ulong", "uint", true, false, false};
      return true;
    case DC_DTYPE_UINT64:
      *out = {"ulong", "ulong", "ulong", "ulong", true, false, false};
      return true;
    case DC_DTYPE_FLOAT16:
      *out = {"half", "", "float", "float", false, true, false};
      return true;
    case DC_DTYPE_FLOAT32:
      *out = {"float", "", "float", "float", false, true, false};
      return true;
    case DC_DTYPE_COMPLEX64:
      *out = {"float2", "", "float2", "float2", false, true, true};
      return true;
    default:
      return false;  // float64, complex128: Metal has no double
  }
}

const char* binary_function(int32_t op) {
  switch (op) {
    case DC_BINARY_ADD:
      return "dc_add";
    case DC_BINARY_SUBTRACT:
      return "dc_subtract";
    case DC_BINARY_MULTIPLY:
      return "dc_multiply";
    case DC_BINARY_DIVIDE:
      return "dc_divide";
    case DC_BINARY_FLOOR_DIVIDE:
      return "dc_floor_divide";
    default:
      return nullptr;
  }
}

}  // namespace

std::string builtin_source(Builtin builtin, dc_dtype dtype, int32_t op, std::string* why) {
  Types types;
  if (!types_of(dtype, &types)) {
    *why = "Metal has no float64 (float64 and complex128 arrays cannot be computed on Metal)";
    return "";
  }
  std::string preamble = "#include <metal_stdlib>\nusing namespace metal;\n";
  preamble += "#define DC_INTEGER " + std::to_string(types.integer ? 1 : 0) + "\n";
  preamble += "#define DC_SIGNED " + std::to_string(types.is_signed ? 1 : 0) + "\n";
  preamble += "#define DC_COMPLEX " + std::to_string(types.complex ? 1 : 0) + "\n";
  preamble += "#define DC_FLOATING " + std::to_string(!types.integer && !types.complex ? 1 : 0);
  preamble += "\n#define DC_GROUP 256\n";
  preamble += std::string("typedef ") + types.storage + " T;\n";
  if (types.integer) preamble += std::string("typedef ") + types.twin + " U;\n";
  const bool is_bool = dtype == DC_DTYPE_BOOL;
  if (builtin == Builtin::kBinary) {
    const char* function = binary_function(op);
    if (function == nullptr) {
      *why = "unknown binary operation";
      return "";
    }
    if (is_bool) {
      *why = "arithmetic on bool arrays is not a built-in on Metal";
      return "";
    }
    if (op == DC_BINARY_DIVIDE && types.integer) {
      *why = "true division is for floating and complex dtypes";
      return "";
    }
    if (op == DC_BINARY_FLOOR_DIVIDE && !types.integer) {
      *why = "floor division is for integer dtypes";
      return "";
    }
    preamble += std::string("#define DC_OP ") + function + "\n";
  } else if (builtin == Builtin::kAxpy) {
    if (is_bool) {
      *why = "axpy on bool arrays is not a built-in on Metal";
      return "";
    }
    preamble += "#define DC_AXPY 1\n";
  } else {
    if (op < DC_REDUCE_SUM || op > DC_REDUCE_MAX) {
      *why = "unknown reduction";
      return "";
    }
    if (types.complex && op != DC_REDUCE_SUM) {
      *why = "complex numbers have no order: min and max are not defined";
      return "";
    }
    const bool sum = op == DC_REDUCE_SUM;
    preamble += "#define DC_REDUCE " + std::to_string(op) + "\n";
    preamble += std::string("typedef ") + (sum ? types.accumulator : types.compare) + " R;\n";
    const char* stored = sum && types.integer ? types.accumulator : types.storage;
    preamble += std::string("typedef ") + stored + " S;\n";
  }
  return preamble + kTemplate;
}

}  // namespace dotcompute::metal
