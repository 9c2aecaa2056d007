// cuda/cuda_ops.cpp
// Built-in elementwise ops (binary, axpy) and reductions as CUDA C++ compiled by NVRTC on first
// use, one module per (operation, dtype) and device, cached until shutdown.
//
// The kernels include no headers (NVRTC may not find any): float16 is carried as its bits and
// converted with the PTX cvt instructions, complex numbers are two-field structs. They compile
// with --fmad=false so a * b + c rounds twice, like numpy and the CPU plugin, and every integer
// operation runs in the unsigned type of the same width so overflow wraps.
//
// Elementwise kernels use a grid-stride loop over at most kBlocksPerSm blocks per SM.
//
// Note [Reduction scratch]
// A reduction runs two kernels on the stream: dc_reduce_partial gives each of at most
// kMaxReduceBlocks blocks one partial (a tree over its threads in shared memory), then
// dc_reduce_final, one block, combines the partials and writes the result on the device. The
// partials live in a small scratch buffer per stream (the device's default stream has its own),
// so reductions queued on one stream reuse it in order and two streams never share one.
// Floating sums add kSumFlushCount values per thread in the input precision (float for float16,
// float32 and complex64), then carry on in double: the rounding error grows with the flush
// count, not the array length. min and max propagate NaN like numpy.
#include <cstring>
#include <string>

#include "cuda_backend.hpp"
#include "cuda_builtin_sources.hpp"
#include "cuda_math_libraries.hpp"
#include "dotcompute/dtype.hpp"
#include "plugin_support/builtin_sources.hpp"

namespace dotcompute::cuda {
namespace {

using plugin_support::extreme_reduce_spec;
using plugin_support::operator_symbol;
using plugin_support::ReduceSpec;
using plugin_support::type_names;
using plugin_support::TypeNames;

constexpr unsigned int kBlockThreads = 256;
constexpr uint64_t kBlocksPerSm = 32;
constexpr uint64_t kMaxReduceBlocks = 1024;
constexpr uint64_t kReduceBlocksPerSm = 8;
constexpr uint64_t kMinItemsPerReduceThread = 4;
constexpr int kSumFlushCount = 64;
/// Bytes of the largest partial (two doubles).
constexpr uint64_t kMaxPartialBytes = 16;
constexpr uint64_t kScratchBytes = kMaxReduceBlocks * kMaxPartialBytes;

/// The shared preamble (cuda_preamble.cpp); scan and sort sources start with the same one.
const char* const kPreamble = builtin_preamble();

// ---------------------------------------------------------------------------------------------
// Types per dtype

const char* complex_part(dc_dtype dtype) {
  return dtype == DC_DTYPE_COMPLEX64 ? "float" : "double";
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
      if (dtype_is_unsigned_integer(dtype))
        return "return y == 0 ? (" + u + ")0 : (" + u + ")(x / y);";
      // Python's //: toward negative infinity; x // 0 == 0 and MIN // -1 wraps, as numpy does.
      return "if (y == 0) return 0;\n"
             "  if (y == -1) return (" +
             s + ")((" + u + ")0 - (" + u +
             ")x);\n"
             "  " +
             s + " q = (" + s +
             ")(x / y);\n"
             "  if ((" +
             s + ")(x % y) != 0 && ((x < 0) != (y < 0))) q = (" + s +
             ")(q - 1);\n"
             "  return q;";
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
  const std::string c = names.storage, f = complex_part(dtype);
  if (op == DC_BINARY_ADD || op == DC_BINARY_SUBTRACT) {
    return "return " + c + "{x.re " + symbol + " y.re, x.im " + symbol + " y.im};";
  }
  if (op == DC_BINARY_MULTIPLY) {
    return "return " + c + "{x.re * y.re - x.im * y.im, x.re * y.im + x.im * y.re};";
  }
  // Smith's algorithm, as the CPU plugin: scaling by the divisor's larger component avoids
  // overflow; division by zero gives (x.re / 0, x.im / 0) like numpy.
  return f +
         " abs_re = y.re < 0 ? -y.re : y.re, abs_im = y.im < 0 ? -y.im : y.im;\n"
         "  if (abs_re >= abs_im) {\n"
         "    if (abs_re == 0 && abs_im == 0) return " +
         c +
         "{x.re / abs_re, x.im / abs_im};\n"
         "    " +
         f + " ratio = y.im / y.re, scale = (" + f +
         ")1 / (y.re + y.im * ratio);\n"
         "    return " +
         c +
         "{(x.re + x.im * ratio) * scale, (x.im - x.re * ratio) * scale};\n"
         "  }\n"
         "  " +
         f + " ratio = y.re / y.im, scale = (" + f +
         ")1 / (y.im + y.re * ratio);\n"
         "  return " +
         c + "{(x.re * ratio + x.im) * scale, (x.im * ratio - x.re) * scale};";
}

std::string binary_source(const std::string& type, const std::string& body) {
  return std::string(kPreamble) + "typedef " + type + " T;\n" +
         "__device__ __forceinline__ T apply(T x, T y) {\n  " + body + "\n}\n" +
         R"(extern "C" __global__ void dc_binary(const T* a, const T* b, T* out, u64 n) {
  const u64 stride = (u64)gridDim.x * blockDim.x;
  for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    out[i] = apply(a[i], b[i]);
  }
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
  return "return " + std::string(names.storage) +
         "{alpha.re * x.re - alpha.im * x.im + y.re, alpha.re * x.im + alpha.im * x.re + y.im};";
}

std::string axpy_source(const std::string& type, const std::string& body) {
  return std::string(kPreamble) + "typedef " + type + " T;\n" +
         "__device__ __forceinline__ T apply(T alpha, T x, T y) {\n  " + body + "\n}\n" +
         R"(extern "C" __global__ void dc_axpy(T alpha, const T* x, const T* y, T* out, u64 n) {
  const u64 stride = (u64)gridDim.x * blockDim.x;
  for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    out[i] = apply(alpha, x[i], y[i]);
  }
}
)";
}

/// ReduceSpec for (op, dtype); false when unsupported.
bool reduce_spec(dc_reduce_op op, dc_dtype dtype, ReduceSpec* spec) {
  const TypeNames names = type_names(dtype);
  const std::string s = names.storage;
  if (op == DC_REDUCE_SUM) {
    if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) {
      std::string load = "(u64)v";
      if (dtype == DC_DTYPE_BOOL) load = "(u64)(v != 0)";
      if (dtype_is_signed_integer(dtype)) load = "(u64)(i64)v";
      *spec = {s, "u64", "u64", "u64", "0ull", load, "a + b", "l", "0ull", "a + b", "0ull", "p"};
      return true;
    }
    if (dtype == DC_DTYPE_FLOAT16 || dtype == DC_DTYPE_FLOAT32) {
      const std::string load = dtype == DC_DTYPE_FLOAT16 ? "half_to_float(v)" : "v";
      const std::string finish = dtype == DC_DTYPE_FLOAT16 ? "float_to_half((float)p)" : "(float)p";
      *spec = {s,       "float",     "double", s,       "0.0f", load,
               "a + b", "(double)l", "0.0",    "a + b", "0.0",  finish};
      return true;
    }
    if (dtype == DC_DTYPE_FLOAT64) {
      *spec = {s,       "double", "double", "double", "0.0", "v",
               "a + b", "l",      "0.0",    "a + b",  "0.0", "p"};
      return true;
    }
    const std::string local_add = s + "{a.re + b.re, a.im + b.im}";
    const std::string add = "c128{a.re + b.re, a.im + b.im}";
    if (dtype == DC_DTYPE_COMPLEX64) {
      *spec = {s,
               "c64",
               "c128",
               "c64",
               "c64{0.0f, 0.0f}",
               "v",
               local_add,
               "c128{(double)l.re, (double)l.im}",
               "c128{0.0, 0.0}",
               add,
               "c128{0.0, 0.0}",
               "c64{(float)p.re, (float)p.im}"};
      return true;
    }
    *spec = {s,   "c128", "c128",           "c128", "c128{0.0, 0.0}", "v",
             add, "l",    "c128{0.0, 0.0}", add,    "c128{0.0, 0.0}", "p"};
    return true;
  }
  return extreme_reduce_spec(op, dtype, s, "re", "im", spec);
}

std::string reduce_source(const ReduceSpec& spec) {
  const std::string block = std::to_string(kBlockThreads);
  std::string source = kPreamble;
  source += "typedef " + spec.S + " S;\ntypedef " + spec.L + " L;\ntypedef " + spec.P +
            " P;\ntypedef " + spec.R + " R;\n";
  source += "#define BLOCK " + block + "\n#define FLUSH " + std::to_string(kSumFlushCount) + "\n";
  source += "__device__ __forceinline__ L local_identity(const S* in) { return " +
            spec.local_identity + "; }\n";
  source += "__device__ __forceinline__ L local_load(S v) { return " + spec.local_load + "; }\n";
  source += "__device__ __forceinline__ L local_combine(L a, L b) { return " + spec.local_combine +
            "; }\n";
  source += "__device__ __forceinline__ P widen(L l) { return " + spec.widen + "; }\n";
  source += "__device__ __forceinline__ P part_identity(const S* in) { return " +
            spec.part_identity + "; }\n";
  source += "__device__ __forceinline__ P combine(P a, P b) { return " + spec.combine + "; }\n";
  source += "__device__ __forceinline__ P final_identity(const P* partials) { return " +
            spec.final_identity + "; }\n";
  source += "__device__ __forceinline__ R finish(P p) { return " + spec.finish + "; }\n";
  source += R"(
__device__ __forceinline__ P block_combine(P* shared, P value) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (unsigned s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] = combine(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  return shared[0];
}
extern "C" __global__ void dc_reduce_partial(const S* __restrict__ in, u64 n, P* partials) {
  __shared__ P shared[BLOCK];
  P total = part_identity(in);
  L local = local_identity(in);
  unsigned count = 0;
  const u64 stride = (u64)gridDim.x * BLOCK;
  u64 i = (u64)blockIdx.x * BLOCK + threadIdx.x;
  // Four loads in flight per thread before any is combined: a reduction is bound by memory
  // latency, and one dependent load per iteration leaves most of the bandwidth unused.
  for (; i + 3 * stride < n; i += 4 * stride) {
    const S v0 = in[i], v1 = in[i + stride], v2 = in[i + 2 * stride], v3 = in[i + 3 * stride];
    const L pair0 = local_combine(local_load(v0), local_load(v1));
    const L pair1 = local_combine(local_load(v2), local_load(v3));
    local = local_combine(local, local_combine(pair0, pair1));
    count += 4;
    if (count >= FLUSH) {
      total = combine(total, widen(local));
      local = local_identity(in);
      count = 0;
    }
  }
  for (; i < n; i += stride) {
    local = local_combine(local, local_load(in[i]));
    if (++count == FLUSH) {
      total = combine(total, widen(local));
      local = local_identity(in);
      count = 0;
    }
  }
  total = combine(total, widen(local));
  const P result = block_combine(shared, total);
  if (threadIdx.x == 0) partials[blockIdx.x] = result;
}
extern "C" __global__ void dc_reduce_final(const P* partials, unsigned count, R* out) {
  __shared__ P shared[BLOCK];
  P total = final_identity(partials);
  for (unsigned i = threadIdx.x; i < count; i += BLOCK) total = combine(total, partials[i]);
  const P result = block_combine(shared, total);
  if (threadIdx.x == 0) *out = finish(result);
}
)";
  return source;
}

// ---------------------------------------------------------------------------------------------
// Compiling and caching

}  // namespace

dc_status builtin(DeviceState& state, const std::string& key, const std::string& source,
                  const char* first_name, const char* second_name, BuiltinModule* out,
                  const char* third_name) {
  std::lock_guard<std::mutex> lock(state.builtins_mutex);
  const auto found = state.builtins.find(key);
  if (found != state.builtins.end()) {
    *out = found->second;
    return DC_STATUS_OK;
  }
  std::string image, log;
  if (dc_status status = compile_source(state, source, {"--fmad=false"}, &image, &log)) {
    return status;
  }
  const DriverApi& api = driver();
  BuiltinModule module;
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  if (dc_status status = check(api.cuModuleLoadData(&module.module, image.data()),
                               "cuModuleLoadData (built-in kernels)")) {
    return status;
  }
  dc_status status = check(api.cuModuleGetFunction(&module.first, module.module, first_name),
                           "cuModuleGetFunction (built-in kernels)");
  if (status == DC_STATUS_OK && second_name != nullptr) {
    status = check(api.cuModuleGetFunction(&module.second, module.module, second_name),
                   "cuModuleGetFunction (built-in kernels)");
  }
  if (status == DC_STATUS_OK && third_name != nullptr) {
    status = check(api.cuModuleGetFunction(&module.third, module.module, third_name),
                   "cuModuleGetFunction (built-in kernels)");
  }
  if (status != DC_STATUS_OK) {
    api.cuModuleUnload(module.module);
    return status;
  }
  state.builtins.emplace(key, module);
  *out = module;
  return DC_STATUS_OK;
}

namespace {

unsigned int elementwise_blocks(const DeviceState& state, uint64_t count) {
  const uint64_t needed = (count + kBlockThreads - 1) / kBlockThreads;
  const uint64_t limit = static_cast<uint64_t>(state.sm_count) * kBlocksPerSm;
  return static_cast<unsigned int>(needed < limit ? needed : limit);
}

dc_status launch_1d(CUfunction function, unsigned int blocks, CUstream stream, void** parameters,
                    const char* what) {
  return check(driver().cuLaunchKernel(function, blocks, 1, 1, kBlockThreads, 1, 1, 0, stream,
                                       parameters, nullptr),
               what);
}

/// out must be the same memory as an input or not touch it: a shifted overlap would read
/// elements another thread already overwrote.
bool overlaps_partially(CUdeviceptr out, CUdeviceptr input, uint64_t bytes) {
  return out != input && out < input + bytes && input < out + bytes;
}

dc_status invalid_dtype(dc_dtype dtype, const char* operation) {
  return fail(DC_STATUS_INVALID_ARGUMENT, "%s: %d is not a dtype code (0..%d)", operation,
              static_cast<int>(dtype), DC_DTYPE_COUNT - 1);
}

dc_status unsupported_binary(dc_binary_op op, dc_dtype dtype) {
  return fail(DC_STATUS_UNSUPPORTED, "%s", unsupported_binary_message(op, dtype).c_str());
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
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  try {
    std::string type;
    const std::string body = binary_body(op, dtype, &type);
    if (body.empty()) return unsupported_binary(op, dtype);
    const size_t size = dtype_size(dtype);
    CUdeviceptr a_address = 0, b_address = 0, out_address = 0;
    if (dc_status status =
            view_elements(*state, a, count, size, size, "binary input a", &a_address)) {
      return status;
    }
    if (dc_status status =
            view_elements(*state, b, count, size, size, "binary input b", &b_address)) {
      return status;
    }
    if (dc_status status =
            view_elements(*state, out, count, size, size, "binary output", &out_address)) {
      return status;
    }
    const uint64_t bytes = count * size;
    if (overlaps_partially(out_address, a_address, bytes) ||
        overlaps_partially(out_address, b_address, bytes)) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "binary %s: out partially overlaps an input; it must be the same memory as the "
                  "input or not overlap it",
                  binary_op_name(op));
    }
    if (count == 0) return DC_STATUS_OK;
    BuiltinModule module;
    const std::string key = "binary/" + std::to_string(op) + "/" + std::to_string(dtype);
    if (dc_status status =
            builtin(*state, key, binary_source(type, body), "dc_binary", nullptr, &module)) {
      return status;
    }
    void* parameters[] = {&a_address, &b_address, &out_address, &count};
    return launch_1d(module.first, elementwise_blocks(*state, count), queue, parameters,
                     "cuLaunchKernel (binary)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "binary: %s", error.what());
  }
}

dc_status axpy(int32_t device, dc_stream stream, dc_dtype dtype, const void* alpha,
               dc_buffer_view x, dc_buffer_view y, dc_buffer_view out, uint64_t count) {
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "axpy");
  if (alpha == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "axpy: alpha is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  try {
    std::string type;
    const std::string body = axpy_body(dtype, &type);
    if (body.empty()) {
      return fail(DC_STATUS_UNSUPPORTED, "axpy is not defined for dtype %s", dtype_name(dtype));
    }
    const size_t size = dtype_size(dtype);
    CUdeviceptr x_address = 0, y_address = 0, out_address = 0;
    if (dc_status status =
            view_elements(*state, x, count, size, size, "axpy input x", &x_address)) {
      return status;
    }
    if (dc_status status =
            view_elements(*state, y, count, size, size, "axpy input y", &y_address)) {
      return status;
    }
    if (dc_status status =
            view_elements(*state, out, count, size, size, "axpy output", &out_address)) {
      return status;
    }
    const uint64_t bytes = count * size;
    if (overlaps_partially(out_address, x_address, bytes) ||
        overlaps_partially(out_address, y_address, bytes)) {
      return fail(DC_STATUS_INVALID_ARGUMENT,
                  "axpy: out partially overlaps an input; it must be the same memory as the "
                  "input or not overlap it");
    }
    if (count == 0) return DC_STATUS_OK;
    BuiltinModule module;
    const std::string key = "axpy/" + std::to_string(dtype);
    if (dc_status status =
            builtin(*state, key, axpy_source(type, body), "dc_axpy", nullptr, &module)) {
      return status;
    }
    // cuLaunchKernel copies the parameters when it is called, so the caller's alpha may change
    // right after; 16 aligned bytes hold any dtype.
    alignas(16) unsigned char alpha_bytes[16] = {};
    std::memcpy(alpha_bytes, alpha, size);
    void* parameters[] = {alpha_bytes, &x_address, &y_address, &out_address, &count};
    return launch_1d(module.first, elementwise_blocks(*state, count), queue, parameters,
                     "cuLaunchKernel (axpy)");
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
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  try {
    ReduceSpec spec;
    if (!reduce_spec(op, dtype, &spec)) {
      return fail(DC_STATUS_UNSUPPORTED, "dtype %s does not support %s", dtype_name(dtype),
                  reduce_op_name(op));
    }
    const size_t size = dtype_size(dtype);
    const size_t result_size = dtype_size(reduce_result_dtype(op, dtype));
    CUdeviceptr input_address = 0, out_address = 0;
    if (dc_status status =
            view_elements(*state, input, count, size, size, "reduce input", &input_address)) {
      return status;
    }
    if (dc_status status = view_elements(*state, out, 1, result_size, result_size, "reduce output",
                                         &out_address)) {
      return status;
    }
    if (count == 0) {
      if (op != DC_REDUCE_SUM) {
        return fail(DC_STATUS_INVALID_ARGUMENT, "zero-size array has no %s",
                    op == DC_REDUCE_MIN ? "minimum" : "maximum");
      }
      // Every sum dtype's zero is all zero bits.
      return check(driver().cuMemsetD8Async(out_address, 0, result_size, queue),
                   "cuMemsetD8Async (empty sum)");
    }
    BuiltinModule module;
    const std::string key = "reduce/" + std::to_string(op) + "/" + std::to_string(dtype);
    if (dc_status status = builtin(*state, key, reduce_source(spec), "dc_reduce_partial",
                                   "dc_reduce_final", &module)) {
      return status;
    }
    CUdeviceptr partials = 0;
    if (dc_status status = stream_scratch(*state, stream, kScratchBytes, &partials)) {
      return status;
    }
    uint64_t limit = static_cast<uint64_t>(state->sm_count) * kReduceBlocksPerSm;
    if (limit > kMaxReduceBlocks) limit = kMaxReduceBlocks;
    uint64_t blocks = (count + kBlockThreads * kMinItemsPerReduceThread - 1) /
                      (kBlockThreads * kMinItemsPerReduceThread);
    if (blocks > limit) blocks = limit;
    if (blocks < 1) blocks = 1;
    void* partial_parameters[] = {&input_address, &count, &partials};
    if (dc_status status = launch_1d(module.first, static_cast<unsigned int>(blocks), queue,
                                     partial_parameters, "cuLaunchKernel (reduce partials)")) {
      return status;
    }
    unsigned int partial_count = static_cast<unsigned int>(blocks);
    void* final_parameters[] = {&partials, &partial_count, &out_address};
    return launch_1d(module.second, 1, queue, final_parameters, "cuLaunchKernel (reduce final)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "reduce: %s", error.what());
  }
}

}  // namespace

dc_status scale_in_place(DeviceState& state, CUstream stream, dc_dtype dtype, CUdeviceptr data,
                         uint64_t count, double factor) noexcept {
  try {
    // A complex number is two reals: scale 2 * count reals of the component type.
    const bool single = dtype == DC_DTYPE_COMPLEX64;
    const std::string type = single ? "float" : "double";
    const std::string source = std::string(kPreamble) + "typedef " + type + " T;\n" + R"(
extern "C" __global__ void dc_scale(T* data, T factor, u64 n) {
  const u64 stride = (u64)gridDim.x * blockDim.x;
  for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) data[i] *= factor;
}
)";
    BuiltinModule module;
    if (dc_status status = builtin(state, "scale/" + type, source, "dc_scale", nullptr, &module)) {
      return status;
    }
    uint64_t reals = 2 * count;
    float factor32 = static_cast<float>(factor);
    void* parameters[] = {&data, single ? static_cast<void*>(&factor32) : &factor, &reals};
    return launch_1d(module.first, elementwise_blocks(state, reals), stream, parameters,
                     "cuLaunchKernel (scale)");
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "scale: %s", error.what());
  }
}

void release_builtins(DeviceState& state) noexcept {
  std::lock_guard<std::mutex> lock(state.builtins_mutex);
  for (auto& entry : state.builtins) driver().cuModuleUnload(entry.second.module);
  state.builtins.clear();
}

const dc_ops_iface ops_iface = {
    sizeof(dc_ops_iface),
    binary,
    axpy,
    reduce,
    blas_matmul,    // cuBLAS when found; else UNSUPPORTED and the core's own kernels run
    fft_transform,  // cuFFT when found; likewise
    nullptr,        // reduce_axis: the core's generated kernels
    scan_rows,      // cumsum: cuda_scan.cpp (UNSUPPORTED for float16: the generated kernels)
    sort_rows,      // sort: cuda_sort.cpp (radix sort)
};

}  // namespace dotcompute::cuda
