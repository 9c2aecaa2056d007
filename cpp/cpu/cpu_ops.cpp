// cpp/cpu/cpu_ops.cpp
// The built-in ops: argument checks, then the chosen SIMD kernels over chunks of the thread pool.
//
// Large counts are split into chunks of about kElementwiseGrainBytes (kReduceGrainBytes for
// reductions), big enough that dispatch is noise and small enough that the chunks of both
// operands and the output stay in L2. A count at or below one grain, the common tiny call from
// Python, goes straight to the kernel on the calling thread. Reductions give each chunk its own
// ReducePartial and combine them in chunk order, so the result does not depend on scheduling.
#include <cstring>

#include "chunk_runs.hpp"
#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "dotcompute/dtype.hpp"
#include "float16.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint64_t kElementwiseGrainBytes = uint64_t{128} << 10;
/// Reduction chunks are smaller than the runs threads stream (chunk_runs.hpp), so arrays of a
/// few hundred KB already use every thread; 4 MB chunks left a 1M float32 sum on one thread.
constexpr uint64_t kReduceGrainBytes = uint64_t{256} << 10;
/// Upper bound of reduction chunks, so their partials fit on the stack.
constexpr uint64_t kMaxReduceChunks = 512;

dc_status invalid_dtype(dc_dtype dtype, const char* operation) {
  return fail(DC_STATUS_INVALID_ARGUMENT, "%s: %d is not a dtype code (0..%d)", operation,
              static_cast<int>(dtype), DC_DTYPE_COUNT - 1);
}

dc_status unsupported_binary(dc_binary_op op, dc_dtype dtype) {
  return fail(DC_STATUS_UNSUPPORTED, "%s", unsupported_binary_message(op, dtype).c_str());
}

/// out must be the same memory as an input or not touch it: a shifted overlap would read
/// elements that an earlier chunk already overwrote.
bool overlaps_partially(const uint8_t* out, const uint8_t* input, uint64_t bytes) {
  return out != input && out < input + bytes && input < out + bytes;
}

template <typename Body>
void run_chunked(uint64_t count, size_t element_size, Body&& body) {
  const uint64_t grain = kElementwiseGrainBytes / element_size;
  ThreadPool* pool = thread_pool();
  if (count <= grain || pool == nullptr) {
    body(uint64_t{0}, count);
  } else {
    pool->parallel_for(count, grain, body);
  }
}

dc_status binary(int32_t device, dc_stream stream, dc_binary_op op, dc_dtype dtype,
                 dc_buffer_view a, dc_buffer_view b, dc_buffer_view out, uint64_t count) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (op < 0 || op >= kBinaryOpCount) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "binary: %d is not a dc_binary_op (0..%d)",
                static_cast<int>(op), kBinaryOpCount - 1);
  }
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "binary");
  const BinaryKernel kernel = kernels().binary[op][dtype];
  if (kernel == nullptr) return unsupported_binary(op, dtype);
  const size_t size = dtype_size(dtype);
  const uint8_t* a_data = view_elements(a, count, size, "binary input a");
  if (a_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint8_t* b_data = view_elements(b, count, size, "binary input b");
  if (b_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* out_data = view_elements(out, count, size, "binary output");
  if (out_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint64_t bytes = count * size;
  if (overlaps_partially(out_data, a_data, bytes) || overlaps_partially(out_data, b_data, bytes)) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "binary %s: out partially overlaps an input; it must be the same memory as the "
                "input or not overlap it",
                binary_op_name(op));
  }
  run_chunked(count, size, [=](uint64_t begin, uint64_t end) {
    kernel(a_data + begin * size, b_data + begin * size, out_data + begin * size, end - begin);
  });
  return DC_STATUS_OK;
}

dc_status axpy(int32_t device, dc_stream stream, dc_dtype dtype, const void* alpha,
               dc_buffer_view x, dc_buffer_view y, dc_buffer_view out, uint64_t count) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "axpy");
  const AxpyKernel kernel = kernels().axpy[dtype];
  if (kernel == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "axpy is not defined for dtype %s", dtype_name(dtype));
  }
  if (alpha == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "axpy: alpha is NULL");
  const size_t size = dtype_size(dtype);
  const uint8_t* x_data = view_elements(x, count, size, "axpy input x");
  if (x_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint8_t* y_data = view_elements(y, count, size, "axpy input y");
  if (y_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* out_data = view_elements(out, count, size, "axpy output");
  if (out_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint64_t bytes = count * size;
  if (overlaps_partially(out_data, x_data, bytes) || overlaps_partially(out_data, y_data, bytes)) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "axpy: out partially overlaps an input; it must be the same memory as the input "
                "or not overlap it");
  }
  // alpha is copied so a caller reusing its scalar storage cannot race the workers.
  unsigned char alpha_copy[16];
  std::memcpy(alpha_copy, alpha, size);
  run_chunked(count, size, [&](uint64_t begin, uint64_t end) {
    kernel(alpha_copy, x_data + begin * size, y_data + begin * size, out_data + begin * size,
           end - begin);
  });
  return DC_STATUS_OK;
}

/// Writes the combined floating sum in the input's own dtype.
void write_floating_sum(dc_dtype dtype, const double sum[2], uint8_t* out) {
  switch (dtype) {
    case DC_DTYPE_FLOAT16: {
      const uint16_t bits = float_to_half(static_cast<float>(sum[0]));
      std::memcpy(out, &bits, sizeof(bits));
      break;
    }
    case DC_DTYPE_FLOAT32: {
      const float value = static_cast<float>(sum[0]);
      std::memcpy(out, &value, sizeof(value));
      break;
    }
    case DC_DTYPE_COMPLEX64: {
      const float value[2] = {static_cast<float>(sum[0]), static_cast<float>(sum[1])};
      std::memcpy(out, value, sizeof(value));
      break;
    }
    case DC_DTYPE_FLOAT64:
      std::memcpy(out, sum, sizeof(double));
      break;
    default:  // complex128
      std::memcpy(out, sum, 2 * sizeof(double));
      break;
  }
}

/// Combines chunk partials in order and writes the result (dtype per reduce_result_dtype).
void finish_reduce(dc_reduce_op op, dc_dtype dtype, ReduceKernel kernel,
                   const ReducePartial* partials, uint64_t chunks, uint8_t* out) {
  const size_t size = dtype_size(dtype);
  if (op != DC_REDUCE_SUM) {
    if (chunks == 1) {
      std::memcpy(out, partials[0].extreme, size);
      return;
    }
    // The min of the chunk minima is the same kernel over a small contiguous array.
    alignas(64) unsigned char extremes[kMaxReduceChunks * 16];
    for (uint64_t i = 0; i < chunks; ++i) {
      std::memcpy(extremes + i * size, partials[i].extreme, size);
    }
    ReducePartial combined;
    kernel(extremes, chunks, &combined);
    std::memcpy(out, combined.extreme, size);
    return;
  }
  if (dtype == DC_DTYPE_BOOL || dtype_is_integer(dtype)) {
    uint64_t total = 0;
    for (uint64_t i = 0; i < chunks; ++i) total += partials[i].integer;
    std::memcpy(out, &total, sizeof(total));
    return;
  }
  double result[2];
  for (int part = 0; part < 2; ++part) {
    double sum = 0, compensation = 0;
    for (uint64_t i = 0; i < chunks; ++i) {
      const double value = partials[i].sum[part];
      const double total = sum + value;
      const double larger = sum < 0 ? -sum : sum, smaller = value < 0 ? -value : value;
      compensation += larger >= smaller ? (sum - total) + value : (value - total) + sum;
      compensation += partials[i].compensation[part];
      sum = total;
    }
    // Infinities and NaN make the compensation NaN; the plain sum is then the answer.
    const bool finite = sum - sum == 0;
    result[part] = finite ? sum + compensation : sum;
  }
  write_floating_sum(dtype, result, out);
}

dc_status reduce(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                 dc_buffer_view input, uint64_t count, dc_buffer_view out) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (op < 0 || op >= kReduceOpCount) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "reduce: %d is not a dc_reduce_op (0..%d)",
                static_cast<int>(op), kReduceOpCount - 1);
  }
  if (!dtype_is_valid(dtype)) return invalid_dtype(dtype, "reduce");
  const ReduceKernel kernel = kernels().reduce[op][dtype];
  if (kernel == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "dtype %s does not support %s", dtype_name(dtype),
                reduce_op_name(op));
  }
  const size_t size = dtype_size(dtype);
  const uint8_t* input_data = view_elements(input, count, size, "reduce input");
  if (input_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const size_t result_size = dtype_size(reduce_result_dtype(op, dtype));
  uint8_t* out_data = view_elements(out, 1, result_size, "reduce output");
  if (out_data == nullptr) return DC_STATUS_INVALID_ARGUMENT;

  if (count == 0) {
    if (op != DC_REDUCE_SUM) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "zero-size array has no %s",
                  op == DC_REDUCE_MIN ? "minimum" : "maximum");
    }
    std::memset(out_data, 0, result_size);  // every sum dtype's zero is all zero bits
    return DC_STATUS_OK;
  }

  uint64_t grain = kReduceGrainBytes / size;
  if (grain < (count + kMaxReduceChunks - 1) / kMaxReduceChunks) {
    grain = (count + kMaxReduceChunks - 1) / kMaxReduceChunks;
  }
  ThreadPool* pool = thread_pool();
  if (count <= grain || pool == nullptr) {
    ReducePartial partial;
    kernel(input_data, count, &partial);
    finish_reduce(op, dtype, kernel, &partial, 1, out_data);
    return DC_STATUS_OK;
  }
  ReducePartial partials[kMaxReduceChunks];
  const uint64_t chunks = (count + grain - 1) / grain;
  // Each thread streams a run of consecutive chunks and then helps with the others' tails
  // (Note [Reduction runs] in chunk_runs.hpp); partials stay in chunk order.
  ChunkRuns runs(chunks, pool->thread_count());
  pool->parallel_for(runs.count(), 1, [&](uint64_t first_run, uint64_t last_run) {
    for (uint64_t run = first_run; run < last_run; ++run) {
      for (uint64_t chunk; runs.next(run, chunk);) {
        const uint64_t begin = chunk * grain;
        const uint64_t end = count - begin > grain ? begin + grain : count;
        kernel(input_data + begin * size, end - begin, &partials[chunk]);
      }
    }
  });
  finish_reduce(op, dtype, kernel, partials, chunks, out_data);
  return DC_STATUS_OK;
}

}  // namespace

const dc_ops_iface ops_iface = {sizeof(dc_ops_iface), binary, axpy, reduce, matmul, fft,
                                reduce_axis,          cumsum, sort};

}  // namespace dotcompute::cpu
