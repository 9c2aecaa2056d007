// cpp/opencl/opencl_ops.cpp
// Built-in elementwise ops (binary, axpy) and reductions as OpenCL C kernels built on first
// use, one program per (operation, dtype) and device, kept until shutdown.
//
// float16 is carried as its bits and converted with vload_half/vstore_half_rte (core OpenCL,
// no cl_khr_fp16 needed); complex numbers are float2/double2. The sources turn contraction off
// (#pragma OPENCL FP_CONTRACT OFF) so a * b + c rounds twice, like numpy and the CPU plugin,
// and integer arithmetic runs in the unsigned type of the same width so overflow wraps.
// float64 and complex128 need the device's fp64; without it those dtypes are unsupported.
//
// Elementwise kernels give one element to each work-item (groups of kElementwiseGroup, 4096 on
// CPU devices, or the device's limit); buffer views arrive as (memory, byte offset) pairs (Note
// [Buffer arguments] in opencl_programs.cpp).
//
// Note [Reduction scratch]
// A reduction runs two kernels on the queue: dc_reduce_partial gives each of at most
// kMaxReduceGroups groups one partial (a tree over its work-items in local memory), then
// dc_reduce_final, one group, combines the partials and writes the result on the device. The
// partials live in a small scratch buffer per queue, so reductions on one queue reuse it in
// order and two queues never share one. On GPUs consecutive work-items read consecutive
// elements (a strided loop, coalesced); on CPU devices each work-item reads one contiguous
// chunk, because a CPU driver runs a work-item's whole loop before the next work-item's, and
// strided reads would fetch every cache line once per work-item; there a work-item keeps eight
// accumulators over each block of values, since one chain of adds would run at the add's latency
// (1M float32 sum on PoCL 758 -> 180 us, min 632 -> 200 us). Floating sums add kSumFlushCount
// values per work-item in the input precision (float for float16, float32 and complex64), then
// carry on in double (float where the device has no fp64). min and max propagate NaN like numpy.
#include <cstring>
#include <string>

#include "dotcompute/dtype.hpp"
#include "opencl_backend.hpp"
#include "plugin_support/builtin_sources.hpp"

namespace dotcompute::opencl {
namespace {

using plugin_support::extreme_reduce_spec;
using plugin_support::operator_symbol;
using plugin_support::ReduceSpec;
using plugin_support::type_names;
using plugin_support::TypeNames;

constexpr size_t kElementwiseGroup = 256;
/// CPU drivers run a group as one vectorized loop: larger groups cost less scheduling.
constexpr size_t kCpuElementwiseGroup = 4096;
constexpr size_t kReduceGroup = 256;
constexpr uint64_t kMaxReduceGroups = 1024;
constexpr uint64_t kReduceGroupsPerUnit = 8;
constexpr uint64_t kMinItemsPerReduceItem = 4;
constexpr int kSumFlushCount = 64;
/// Bytes of the largest partial (double2).
constexpr uint64_t kMaxPartialBytes = 16;
constexpr uint64_t kScratchBytes = kMaxReduceGroups * kMaxPartialBytes;

constexpr const char* kPreamble = R"(#pragma OPENCL FP_CONTRACT OFF
typedef char i8;
typedef uchar u8;
typedef short i16;
typedef ushort u16;
typedef int i32;
typedef uint u32;
typedef long i64;
typedef ulong u64;
typedef ushort f16;
typedef float2 c64;
inline float half_to_float(f16 bits) { return vload_half(0, (const half*)&bits); }
inline f16 float_to_half(float value) {
  f16 bits;
  vstore_half_rte(value, 0, (half*)&bits);
  return bits;
}
#define VIEW(type, name) (type)((__global uchar*)name##_base + name##_offset)
)";

constexpr const char* kDoublePreamble =
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\ntypedef double2 c128;\n";

// ---------------------------------------------------------------------------------------------
// Types per dtype

bool needs_fp64(dc_dtype dtype) {
  return dtype == DC_DTYPE_FLOAT64 || dtype == DC_DTYPE_COMPLEX128;
}

// ---------------------------------------------------------------------------------------------
// Kernel sources

/// The body of `T apply(T x, T y)` for op on dtype with its type, or "" when unsupported.
std::string binary_body(dc_binary_op op, dc_dtype dtype, std::string* type) {
  const TypeNames names = type_names(dtype);
  const std::string symbol = operator_symbol(op);
  if (dtype == DC_DTYPE_BOOL) {
    *type = "u8";
    if (op == DC_BINARY_ADD) return "return (u8)((x | y) != 0);";
    if (op == DC_BINARY_MULTIPLY) return "return (u8)((x != 0) & (y != 0));";
    return "";
  }
  if (dtype_is_integer(dtype)) {
    const std::string u = names.unsigned_, w = names.wide, s = names.storage;
    if (op == DC_BINARY_DIVIDE) return "";
    if (op == DC_BINARY_FLOOR_DIVIDE) {
      *type = s;
      if (dtype_is_unsigned_integer(dtype)) {
        return "return y == 0 ? (" + u + ")0 : (" + u + ")(x / y);";
      }
      // Python's //: toward negative infinity; x // 0 == 0 and MIN // -1 wraps, as numpy does.
      return "if (y == 0) return 0;\n  if (y == -1) return (" + s + ")((" + u + ")0 - (" + u +
             ")x);\n  " + s + " q = (" + s + ")(x / y);\n  if ((" + s +
             ")(x % y) != 0 && ((x < 0) != (y < 0))) q = (" + s + ")(q - 1);\n  return q;";
    }
    *type = u;
    return "return (" + u + ")((" + w + ")x " + symbol + " (" + w + ")y);";
  }
  if (op == DC_BINARY_FLOOR_DIVIDE) return "";
  *type = names.storage;
  if (dtype == DC_DTYPE_FLOAT16) {
    return "return float_to_half(half_to_float(x) " + symbol + " half_to_float(y));";
  }
  if (dtype_is_floating(dtype)) return "return x " + symbol + " y;";
  const std::string c = names.storage, f = dtype == DC_DTYPE_COMPLEX64 ? "float" : "double";
  if (op == DC_BINARY_ADD || op == DC_BINARY_SUBTRACT) return "return x " + symbol + " y;";
  if (op == DC_BINARY_MULTIPLY) {
    return "return (" + c + ")(x.x * y.x - x.y * y.y, x.x * y.y + x.y * y.x);";
  }
  // Smith's algorithm, as the CPU plugin: scaling by the divisor's larger component avoids
  // overflow; division by zero gives (x.re / 0, x.im / 0) like numpy.
  return f + " abs_re = y.x < 0 ? -y.x : y.x, abs_im = y.y < 0 ? -y.y : y.y;\n" +
         "  if (abs_re >= abs_im) {\n" + "    if (abs_re == 0 && abs_im == 0) return (" + c +
         ")(x.x / abs_re, x.y / abs_im);\n" + "    " + f + " ratio = y.y / y.x, scale = (" + f +
         ")1 / (y.x + y.y * ratio);\n" + "    return (" + c +
         ")((x.x + x.y * ratio) * scale, (x.y - x.x * ratio) * scale);\n  }\n  " + f +
         " ratio = y.x / y.y, scale = (" + f + ")1 / (y.y + y.x * ratio);\n  return (" + c +
         ")((x.x * ratio + x.y) * scale, (x.y * ratio - x.x) * scale);";
}

std::string preamble(dc_dtype dtype, bool fp64) {
  std::string text = kPreamble;
  if (fp64 || needs_fp64(dtype)) text += kDoublePreamble;
  return text;
}

std::string binary_source(dc_dtype dtype, bool fp64, const std::string& type,
                          const std::string& body) {
  return preamble(dtype, fp64) + "typedef " + type + " T;\n" + "inline T apply(T x, T y) {\n  " +
         body + "\n}\n" +
         R"(__kernel void dc_binary(__global const T* a_base, ulong a_offset,
                        __global const T* b_base, ulong b_offset,
                        __global T* out_base, ulong out_offset, ulong n) {
  __global const T* a = VIEW(__global const T*, a);
  __global const T* b = VIEW(__global const T*, b);
  __global T* out = VIEW(__global T*, out);
  const ulong i = get_global_id(0);
  if (i < n) out[i] = apply(a[i], b[i]);
}
)";
}

/// The body of `T apply(T alpha, T x, T y)`, or "" when unsupported.
std::string axpy_body(dc_dtype dtype, std::string* type) {
  const TypeNames names = type_names(dtype);
  if (dtype == DC_DTYPE_BOOL) return "";
  if (dtype_is_integer(dtype)) {
    const std::string u = names.unsigned_, w = names.wide;
    *type = u;
    return "return (" + u + ")((" + w + ")alpha * (" + w + ")x + (" + w + ")y);";
  }
  *type = names.storage;
  if (dtype == DC_DTYPE_FLOAT16) {
    return "return float_to_half(half_to_float(alpha) * half_to_float(x) + half_to_float(y));";
  }
  if (dtype_is_floating(dtype)) return "return alpha * x + y;";
  return "return (" + std::string(names.storage) +
         ")(alpha.x * x.x - alpha.y * x.y + y.x, alpha.x * x.y + alpha.y * x.x + y.y);";
}

std::string axpy_source(dc_dtype dtype, bool fp64, const std::string& type,
                        const std::string& body) {
  return preamble(dtype, fp64) + "typedef " + type + " T;\n" +
         "inline T apply(T alpha, T x, T y) {\n  " + body + "\n}\n" +
         R"(__kernel void dc_axpy(T alpha, __global const T* x_base, ulong x_offset,
                      __global const T* y_base, ulong y_offset,
                      __global T* out_base, ulong out_offset, ulong n) {
  __global const T* x = VIEW(__global const T*, x);
  __global const T* y = VIEW(__global const T*, y);
  __global T* out = VIEW(__global T*, out);
  const ulong i = get_global_id(0);
  if (i < n) out[i] = apply(alpha, x[i], y[i]);
}
)";
}

/// ReduceSpec for (op, dtype); false when unsupported. wide is the floating type partial sums
/// carry on in ("double", or "float" on a device without fp64).
bool reduce_spec(dc_reduce_op op, dc_dtype dtype, const std::string& wide, ReduceSpec* spec) {
  const TypeNames names = type_names(dtype);
  const std::string s = names.storage;
  if (op == DC_REDUCE_SUM) {
    if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) {
      std::string load = "(u64)v";
      if (dtype == DC_DTYPE_BOOL) load = "(u64)(v != 0)";
      if (dtype_is_signed_integer(dtype)) load = "(u64)(i64)v";
      *spec = {s, "u64", "u64", "u64", "0", load, "a + b", "l", "0", "a + b", "0", "p"};
      return true;
    }
    if (dtype == DC_DTYPE_FLOAT16 || dtype == DC_DTYPE_FLOAT32) {
      const std::string load = dtype == DC_DTYPE_FLOAT16 ? "half_to_float(v)" : "v";
      const std::string finish = dtype == DC_DTYPE_FLOAT16 ? "float_to_half((float)p)" : "(float)p";
      *spec = {s,       "float",           wide, s,       "0.0f", load,
               "a + b", "(" + wide + ")l", "0",  "a + b", "0",    finish};
      return true;
    }
    if (dtype == DC_DTYPE_FLOAT64) {
      *spec = {s,       "double", "double", "double", "0.0", "v",
               "a + b", "l",      "0.0",    "a + b",  "0.0", "p"};
      return true;
    }
    if (dtype == DC_DTYPE_COMPLEX64) {
      const std::string wide2 = wide + "2";
      *spec = {s,
               "c64",
               wide2,
               "c64",
               "(c64)(0.0f, 0.0f)",
               "v",
               "a + b",
               "convert_" + wide2 + "(l)",
               "(" + wide2 + ")(0, 0)",
               "a + b",
               "(" + wide2 + ")(0, 0)",
               "convert_float2(p)"};
      return true;
    }
    *spec = {s,
             "c128",
             "c128",
             "c128",
             "(c128)(0.0, 0.0)",
             "v",
             "a + b",
             "l",
             "(c128)(0.0, 0.0)",
             "a + b",
             "(c128)(0.0, 0.0)",
             "p"};
    return true;
  }
  return extreme_reduce_spec(op, dtype, s, "x", "y", spec);
}

std::string reduce_source(dc_dtype dtype, bool fp64, bool contiguous, const ReduceSpec& spec) {
  std::string source = preamble(dtype, fp64);
  source += std::string("#define CONTIGUOUS ") + (contiguous ? "1" : "0") + "\n";
  source += "typedef " + spec.S + " S;\ntypedef " + spec.L + " L;\ntypedef " + spec.P +
            " P;\ntypedef " + spec.R + " R;\n";
  source += "#define GROUP " + std::to_string(kReduceGroup) + "\n#define FLUSH " +
            std::to_string(kSumFlushCount) + "\n";
  source +=
      "inline L local_identity(__global const S* in) { return " + spec.local_identity + "; }\n";
  source += "inline L local_load(S v) { return " + spec.local_load + "; }\n";
  source += "inline L local_combine(L a, L b) { return " + spec.local_combine + "; }\n";
  source += "inline P widen(L l) { return " + spec.widen + "; }\n";
  source += "inline P part_identity(__global const S* in) { return " + spec.part_identity + "; }\n";
  source += "inline P combine(P a, P b) { return " + spec.combine + "; }\n";
  source += "inline P final_identity(__global const P* partials) { return " + spec.final_identity +
            "; }\n";
  source += "inline R finish(P p) { return " + spec.finish + "; }\n";
  source += R"(
inline P group_combine(__local P* shared, P value) {
  const uint lid = get_local_id(0);
  shared[lid] = value;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (uint s = GROUP / 2; s > 0; s >>= 1) {
    if (lid < s) shared[lid] = combine(shared[lid], shared[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  return shared[0];
}
__kernel __attribute__((reqd_work_group_size(GROUP, 1, 1)))
void dc_reduce_partial(__global const S* in_base, ulong in_offset, ulong n,
                       __global P* partials_base, ulong partials_offset) {
  __local P shared[GROUP];
  __global const S* in = VIEW(__global const S*, in);
  __global P* partials = VIEW(__global P*, partials);
  P total = part_identity(in);
  L local_value = local_identity(in);
#if CONTIGUOUS
  // Blocks of FLUSH elements with a fixed inner trip count: the same grouping as the counter
  // below, but CPU compilers keep the inner loop tight (about 2.4x faster on PoCL).
  const ulong chunk = (n + get_global_size(0) - 1) / get_global_size(0);
  const ulong first = get_global_id(0) * chunk;
  const ulong end = first + chunk < n ? first + chunk : n;
  ulong block = first;
  // Eight independent accumulators: one chain would wait for each add's latency.
  for (; block + FLUSH <= end; block += FLUSH) {
    L l0 = local_identity(in), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
    for (ulong i = block; i < block + FLUSH; i += 8) {
      l0 = local_combine(l0, local_load(in[i]));
      l1 = local_combine(l1, local_load(in[i + 1]));
      l2 = local_combine(l2, local_load(in[i + 2]));
      l3 = local_combine(l3, local_load(in[i + 3]));
      l4 = local_combine(l4, local_load(in[i + 4]));
      l5 = local_combine(l5, local_load(in[i + 5]));
      l6 = local_combine(l6, local_load(in[i + 6]));
      l7 = local_combine(l7, local_load(in[i + 7]));
    }
    const L low = local_combine(local_combine(l0, l1), local_combine(l2, l3));
    const L high = local_combine(local_combine(l4, l5), local_combine(l6, l7));
    total = combine(total, widen(local_combine(low, high)));
  }
  if (block < end) {
    local_value = local_identity(in);
    for (ulong i = block; i < end; ++i) {
      local_value = local_combine(local_value, local_load(in[i]));
    }
    total = combine(total, widen(local_value));
  }
#else
  uint count = 0;
  const ulong stride = get_global_size(0);
  for (ulong i = get_global_id(0); i < n; i += stride) {
    local_value = local_combine(local_value, local_load(in[i]));
    if (++count == FLUSH) {
      total = combine(total, widen(local_value));
      local_value = local_identity(in);
      count = 0;
    }
  }
  total = combine(total, widen(local_value));
#endif
  const P result = group_combine(shared, total);
  if (get_local_id(0) == 0) partials[get_group_id(0)] = result;
}
__kernel __attribute__((reqd_work_group_size(GROUP, 1, 1)))
void dc_reduce_final(__global const P* partials_base, ulong partials_offset, uint count,
                     __global R* out_base, ulong out_offset) {
  __local P shared[GROUP];
  __global const P* partials = VIEW(__global const P*, partials);
  __global R* out = VIEW(__global R*, out);
  P total = final_identity(partials);
  for (uint i = get_local_id(0); i < count; i += GROUP) total = combine(total, partials[i]);
  const P result = group_combine(shared, total);
  if (get_local_id(0) == 0) *out = finish(result);
}
)";
  return source;
}

// ---------------------------------------------------------------------------------------------
// Building and caching

dc_status builtin(DeviceState& state, const std::string& key, const std::string& source,
                  const char* first_name, const char* second_name, BuiltinProgram** out) {
  std::lock_guard<std::mutex> lock(state.builtins_mutex);
  const auto found = state.builtins.find(key);
  if (found != state.builtins.end()) {
    *out = &found->second;
    return DC_STATUS_OK;
  }
  BuiltinProgram made;
  std::string log;
  if (dc_status status = build_source(state, source, "", &made.program, &log)) return status;
  cl_int code = CL_SUCCESS;
  made.first = api().clCreateKernel(made.program, first_name, &code);
  if (code == CL_SUCCESS && second_name != nullptr) {
    made.second = api().clCreateKernel(made.program, second_name, &code);
  }
  if (code != CL_SUCCESS) {
    if (made.first != nullptr) api().clReleaseKernel(made.first);
    api().clReleaseProgram(made.program);
    return check(code, "clCreateKernel (built-in kernels)");
  }
  *out = &state.builtins.emplace(key, std::move(made)).first->second;
  return DC_STATUS_OK;
}

/// Sets the kernel's arguments in order: each is (size, pointer to the value).
struct Argument {
  size_t size;
  const void* value;
};

dc_status set_arguments(cl_kernel kernel, std::initializer_list<Argument> arguments,
                        const char* what) {
  cl_uint index = 0;
  for (const Argument& argument : arguments) {
    if (dc_status status =
            check(api().clSetKernelArg(kernel, index++, argument.size, argument.value), what)) {
      return status;
    }
  }
  return DC_STATUS_OK;
}

dc_status enqueue_1d(cl_command_queue queue, std::atomic<cl_event>* last, cl_kernel kernel,
                     size_t global, size_t local, const char* what) {
  cl_event done = nullptr;
  const cl_int code =
      api().clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &global, &local, 0, nullptr, &done);
  if (code == CL_SUCCESS) remember_kernel(last, done);  // Note [Short waits]
  return check(code, what);
}

bool is_cpu(const DeviceState& state) { return (state.type & CL_DEVICE_TYPE_CPU) != 0; }

size_t elementwise_group(const DeviceState& state) {
  const size_t wanted = is_cpu(state) ? kCpuElementwiseGroup : kElementwiseGroup;
  return state.max_work_group_size < wanted ? state.max_work_group_size : wanted;
}

/// Sets the arguments of program's kernel and enqueues it over count work-items in elementwise
/// groups, under the program's lock: the arguments belong to this enqueue.
dc_status launch_elementwise(const DeviceState& state, cl_command_queue queue,
                             std::atomic<cl_event>* last, BuiltinProgram& program,
                             std::initializer_list<Argument> arguments, uint64_t count,
                             const char* set_what, const char* enqueue_what) {
  const size_t local = elementwise_group(state);
  std::lock_guard<std::mutex> lock(*program.mutex);
  if (dc_status status = set_arguments(program.first, arguments, set_what)) return status;
  return enqueue_1d(queue, last, program.first, (count + local - 1) / local * local, local,
                    enqueue_what);
}

/// out must be the same memory as an input or not touch it: a shifted overlap would read
/// elements another work-item already overwrote.
bool overlaps_partially(cl_mem out, uint64_t out_offset, cl_mem input, uint64_t input_offset,
                        uint64_t bytes) {
  return out == input && out_offset != input_offset && out_offset < input_offset + bytes &&
         input_offset < out_offset + bytes;
}

dc_status invalid_dtype(dc_dtype dtype, const char* operation) {
  return fail(DC_STATUS_INVALID_ARGUMENT, "%s: %d is not a dtype code (0..%d)", operation,
              static_cast<int>(dtype), DC_DTYPE_COUNT - 1);
}

dc_status no_fp64(const DeviceState& state, dc_dtype dtype, const char* operation) {
  return fail(DC_STATUS_UNSUPPORTED,
              "%s on %s needs double precision, which %s lacks (no cl_khr_fp64); use float32 or "
              "complex64",
              operation, dtype_name(dtype), state.name.c_str());
}

/// The views of an elementwise op: count elements of size bytes each, aligned to size.
struct View {
  cl_mem memory = nullptr;
  uint64_t offset = 0;
};

dc_status element_view(const DeviceState& state, dc_buffer_view view, uint64_t count, size_t size,
                       const char* what, View* out) {
  if (count > UINT64_MAX / size) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: %llu elements overflow", what,
                static_cast<unsigned long long>(count));
  }
  if (dc_status status = view_memory(state, view, count * size, what, &out->memory, &out->offset)) {
    return status;
  }
  if (out->offset % size != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "%s: offset %llu is not a multiple of the %zu-byte element, which the device "
                "needs",
                what, static_cast<unsigned long long>(out->offset), size);
  }
  return DC_STATUS_OK;
}

// ---------------------------------------------------------------------------------------------
// The table's slots

dc_status binary(int32_t device, dc_stream stream, dc_binary_op op, dc_dtype dtype,
                 dc_buffer_view a, dc_buffer_view b, dc_buffer_view out, uint64_t count) {
  if (op < DC_BINARY_ADD || op > DC_BINARY_FLOOR_DIVIDE) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "binary: %d is not a dc_binary_op",
                static_cast<int>(op));
  }
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "binary");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  std::atomic<cl_event>* last = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue, &last)) return status;
  try {
    std::string type;
    const std::string body = binary_body(op, dtype, &type);
    if (body.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "%s", unsupported_binary_message(op, dtype).c_str());
    }
    if (needs_fp64(dtype) && !state->fp64) return no_fp64(*state, dtype, binary_op_name(op));
    const size_t size = dtype_size(dtype);
    View x, y, z;
    if (dc_status status = element_view(*state, a, count, size, "binary input a", &x))
      return status;
    if (dc_status status = element_view(*state, b, count, size, "binary input b", &y))
      return status;
    if (dc_status status = element_view(*state, out, count, size, "binary output", &z)) {
      return status;
    }
    const uint64_t bytes = count * size;
    if (overlaps_partially(z.memory, z.offset, x.memory, x.offset, bytes) ||
        overlaps_partially(z.memory, z.offset, y.memory, y.offset, bytes)) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "binary %s: out partially overlaps an input; it must be the same memory as the "
                  "input or not overlap it",
                  binary_op_name(op));
    }
    if (count == 0) return DC_STATUS_OK;
    BuiltinProgram* program = nullptr;
    const std::string key = "binary/" + std::to_string(op) + "/" + std::to_string(dtype);
    if (dc_status status = builtin(*state, key, binary_source(dtype, false, type, body),
                                   "dc_binary", nullptr, &program)) {
      return status;
    }
    const cl_ulong n = count;
    return launch_elementwise(*state, queue, last, *program,
                              {{sizeof(cl_mem), &x.memory},
                               {sizeof(cl_ulong), &x.offset},
                               {sizeof(cl_mem), &y.memory},
                               {sizeof(cl_ulong), &y.offset},
                               {sizeof(cl_mem), &z.memory},
                               {sizeof(cl_ulong), &z.offset},
                               {sizeof(cl_ulong), &n}},
                              count, "clSetKernelArg (binary)", "clEnqueueNDRangeKernel (binary)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "binary: %s", error.what());
  }
}

dc_status axpy(int32_t device, dc_stream stream, dc_dtype dtype, const void* alpha,
               dc_buffer_view x, dc_buffer_view y, dc_buffer_view out, uint64_t count) {
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "axpy");
  if (alpha == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "axpy: alpha is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  std::atomic<cl_event>* last = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue, &last)) return status;
  try {
    std::string type;
    const std::string body = axpy_body(dtype, &type);
    if (body.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "axpy is not defined for dtype %s", dtype_name(dtype));
    }
    if (needs_fp64(dtype) && !state->fp64) return no_fp64(*state, dtype, "axpy");
    const size_t size = dtype_size(dtype);
    View vx, vy, vz;
    if (dc_status status = element_view(*state, x, count, size, "axpy input x", &vx)) return status;
    if (dc_status status = element_view(*state, y, count, size, "axpy input y", &vy)) return status;
    if (dc_status status = element_view(*state, out, count, size, "axpy output", &vz)) {
      return status;
    }
    const uint64_t bytes = count * size;
    if (overlaps_partially(vz.memory, vz.offset, vx.memory, vx.offset, bytes) ||
        overlaps_partially(vz.memory, vz.offset, vy.memory, vy.offset, bytes)) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "axpy: out partially overlaps an input; it must be the same memory as the "
                  "input or not overlap it");
    }
    if (count == 0) return DC_STATUS_OK;
    BuiltinProgram* program = nullptr;
    const std::string key = "axpy/" + std::to_string(dtype);
    if (dc_status status = builtin(*state, key, axpy_source(dtype, false, type, body), "dc_axpy",
                                   nullptr, &program)) {
      return status;
    }
    // clSetKernelArg copies the value, so the caller's alpha may change right after.
    alignas(16) unsigned char alpha_bytes[16] = {};
    std::memcpy(alpha_bytes, alpha, size);
    const cl_ulong n = count;
    return launch_elementwise(*state, queue, last, *program,
                              {{size, alpha_bytes},
                               {sizeof(cl_mem), &vx.memory},
                               {sizeof(cl_ulong), &vx.offset},
                               {sizeof(cl_mem), &vy.memory},
                               {sizeof(cl_ulong), &vy.offset},
                               {sizeof(cl_mem), &vz.memory},
                               {sizeof(cl_ulong), &vz.offset},
                               {sizeof(cl_ulong), &n}},
                              count, "clSetKernelArg (axpy)", "clEnqueueNDRangeKernel (axpy)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "axpy: %s", error.what());
  }
}

dc_status reduce(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                 dc_buffer_view input, uint64_t count, dc_buffer_view out) {
  if (op < DC_REDUCE_SUM || op > DC_REDUCE_MAX) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "reduce: %d is not a dc_reduce_op",
                static_cast<int>(op));
  }
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "reduce");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  std::atomic<cl_event>* last = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue, &last)) return status;
  try {
    ReduceSpec spec;
    if (!reduce_spec(op, dtype, state->fp64 ? "double" : "float", &spec)) {
      return fail(DC_STATUS_UNSUPPORTED, "dtype %s does not support %s", dtype_name(dtype),
                  reduce_op_name(op));
    }
    if (needs_fp64(dtype) && !state->fp64) return no_fp64(*state, dtype, reduce_op_name(op));
    if (state->max_work_group_size < kReduceGroup) {
      return fail(
          DC_STATUS_UNSUPPORTED, "%s: reductions need work-groups of %zu, but %s runs at most %zu",
          reduce_op_name(op), kReduceGroup, state->name.c_str(), state->max_work_group_size);
    }
    const size_t size = dtype_size(dtype);
    const size_t result_size = dtype_size(reduce_result_dtype(op, dtype));
    View in, result;
    if (dc_status status = element_view(*state, input, count, size, "reduce input", &in)) {
      return status;
    }
    if (dc_status status = element_view(*state, out, 1, result_size, "reduce output", &result)) {
      return status;
    }
    if (count == 0) {
      if (op != DC_REDUCE_SUM) {
        return fail(DC_STATUS_INVALID_ARGUMENT, "zero-size array has no %s",
                    op == DC_REDUCE_MIN ? "minimum" : "maximum");
      }
      const unsigned char zero = 0;  // every sum dtype's zero is all zero bits
      return check(api().clEnqueueFillBuffer(queue, result.memory, &zero, 1,
                                             static_cast<size_t>(result.offset), result_size, 0,
                                             nullptr, nullptr),
                   "clEnqueueFillBuffer (empty sum)");
    }
    BuiltinProgram* program = nullptr;
    const std::string key = "reduce/" + std::to_string(op) + "/" + std::to_string(dtype);
    if (dc_status status =
            builtin(*state, key, reduce_source(dtype, state->fp64, is_cpu(*state), spec),
                    "dc_reduce_partial", "dc_reduce_final", &program)) {
      return status;
    }
    cl_mem partials = nullptr;
    if (dc_status status = queue_scratch(*state, stream, kScratchBytes, &partials)) return status;
    uint64_t limit = static_cast<uint64_t>(state->compute_units) * kReduceGroupsPerUnit;
    if (limit > kMaxReduceGroups) limit = kMaxReduceGroups;
    uint64_t groups = (count + kReduceGroup * kMinItemsPerReduceItem - 1) /
                      (kReduceGroup * kMinItemsPerReduceItem);
    if (groups > limit) groups = limit;
    if (groups < 1) groups = 1;
    const cl_ulong n = count, zero_offset = 0;
    const cl_uint partial_count = static_cast<cl_uint>(groups);
    std::lock_guard<std::mutex> lock(*program->mutex);
    if (dc_status status = set_arguments(program->first,
                                         {{sizeof(cl_mem), &in.memory},
                                          {sizeof(cl_ulong), &in.offset},
                                          {sizeof(cl_ulong), &n},
                                          {sizeof(cl_mem), &partials},
                                          {sizeof(cl_ulong), &zero_offset}},
                                         "clSetKernelArg (reduce partials)")) {
      return status;
    }
    if (dc_status status = enqueue_1d(queue, last, program->first, groups * kReduceGroup,
                                      kReduceGroup, "clEnqueueNDRangeKernel (reduce partials)")) {
      return status;
    }
    if (dc_status status = set_arguments(program->second,
                                         {{sizeof(cl_mem), &partials},
                                          {sizeof(cl_ulong), &zero_offset},
                                          {sizeof(cl_uint), &partial_count},
                                          {sizeof(cl_mem), &result.memory},
                                          {sizeof(cl_ulong), &result.offset}},
                                         "clSetKernelArg (reduce final)")) {
      return status;
    }
    return enqueue_1d(queue, last, program->second, kReduceGroup, kReduceGroup,
                      "clEnqueueNDRangeKernel (reduce final)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "reduce: %s", error.what());
  }
}

}  // namespace

void release_builtins(DeviceState& state) noexcept {
  std::lock_guard<std::mutex> lock(state.builtins_mutex);
  for (auto& entry : state.builtins) {
    if (entry.second.first != nullptr) api().clReleaseKernel(entry.second.first);
    if (entry.second.second != nullptr) api().clReleaseKernel(entry.second.second);
    api().clReleaseProgram(entry.second.program);
  }
  state.builtins.clear();
}

// The algorithm slots stay empty: the core runs its generated kernels for them.
const dc_ops_iface ops_iface = {
    sizeof(dc_ops_iface), binary, axpy, reduce, nullptr, nullptr, nullptr, nullptr, nullptr,
};

}  // namespace dotcompute::opencl
