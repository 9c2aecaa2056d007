// cpp/cpu/cpu_reduce_axis.cpp
// The reduce_axis slot: sum/min/max along the middle axis of [outer, length, inner].
//
// Contiguous rows (inner == 1) go through the reduce slot row by row, so they get its SIMD
// kernels and accurate sums. Otherwise a task owns a block of kColumnBlock neighbouring columns
// of one outer index and adds whole rows of them into an accumulator block, a loop the compiler
// vectorizes along the columns; floating sums accumulate in double, as the reduce slot does.
#include <atomic>
#include <complex>
#include <cstring>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint64_t kColumnBlock = 512;
/// Work (elements read) below which a reduction stays on the calling thread.
constexpr uint64_t kParallelElements = uint64_t{1} << 15;

template <typename In, typename Acc, typename Out, dc_reduce_op op>
void columns(const In* x, Out* out, uint64_t outer, uint64_t length, uint64_t inner) {
  const uint64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const auto body = [=](uint64_t begin, uint64_t end) {
    Acc acc[kColumnBlock];
    for (uint64_t task = begin; task < end; ++task) {
      const uint64_t o = task / blocks, c0 = (task % blocks) * kColumnBlock;
      const uint64_t width = inner - c0 < kColumnBlock ? inner - c0 : kColumnBlock;
      const In* base = x + o * length * inner + c0;
      for (uint64_t c = 0; c < width; ++c) {
        acc[c] = op == DC_REDUCE_SUM ? Acc() : static_cast<Acc>(base[c]);
      }
      for (uint64_t p = op == DC_REDUCE_SUM ? 0 : 1; p < length; ++p) {
        const In* row = base + p * inner;
        for (uint64_t c = 0; c < width; ++c) {
          if constexpr (op == DC_REDUCE_SUM) {
            acc[c] += static_cast<Acc>(row[c]);
          } else {
            const Acc v = static_cast<Acc>(row[c]);
            // NaN wins and stays (numpy); acc != acc is false for integers.
            const bool better = op == DC_REDUCE_MIN ? v < acc[c] : v > acc[c];
            acc[c] = ((better || v != v) && acc[c] == acc[c]) ? v : acc[c];
          }
        }
      }
      Out* target = out + o * inner + c0;
      for (uint64_t c = 0; c < width; ++c) target[c] = static_cast<Out>(acc[c]);
    }
  };
  const uint64_t tasks = outer * blocks;
  ThreadPool* pool = thread_pool();
  if (pool != nullptr && outer * length * inner >= kParallelElements && tasks > 1) {
    pool->parallel_for(tasks, 1, body);
  } else {
    body(0, tasks);
  }
}

using ColumnsFunction = void (*)(const void*, void*, uint64_t, uint64_t, uint64_t);

template <typename In, typename Acc, typename Out, dc_reduce_op op>
void columns_erased(const void* x, void* out, uint64_t outer, uint64_t length, uint64_t inner) {
  columns<In, Acc, Out, op>(static_cast<const In*>(x), static_cast<Out*>(out), outer, length,
                            inner);
}

template <dc_reduce_op op>
ColumnsFunction extreme_for(dc_dtype dtype) {
  switch (dtype) {
    case DC_DTYPE_BOOL:
      return columns_erased<bool, bool, bool, op>;
    case DC_DTYPE_INT8:
      return columns_erased<int8_t, int8_t, int8_t, op>;
    case DC_DTYPE_INT16:
      return columns_erased<int16_t, int16_t, int16_t, op>;
    case DC_DTYPE_INT32:
      return columns_erased<int32_t, int32_t, int32_t, op>;
    case DC_DTYPE_INT64:
      return columns_erased<int64_t, int64_t, int64_t, op>;
    case DC_DTYPE_UINT8:
      return columns_erased<uint8_t, uint8_t, uint8_t, op>;
    case DC_DTYPE_UINT16:
      return columns_erased<uint16_t, uint16_t, uint16_t, op>;
    case DC_DTYPE_UINT32:
      return columns_erased<uint32_t, uint32_t, uint32_t, op>;
    case DC_DTYPE_UINT64:
      return columns_erased<uint64_t, uint64_t, uint64_t, op>;
    case DC_DTYPE_FLOAT32:
      return columns_erased<float, float, float, op>;
    case DC_DTYPE_FLOAT64:
      return columns_erased<double, double, double, op>;
    default:
      return nullptr;  // float16 and complex: the generated kernels / an error in the core
  }
}

ColumnsFunction sum_for(dc_dtype dtype) {
  constexpr dc_reduce_op S = DC_REDUCE_SUM;
  switch (dtype) {
    case DC_DTYPE_BOOL:
      return columns_erased<bool, int64_t, int64_t, S>;
    case DC_DTYPE_INT8:
      return columns_erased<int8_t, int64_t, int64_t, S>;
    case DC_DTYPE_INT16:
      return columns_erased<int16_t, int64_t, int64_t, S>;
    case DC_DTYPE_INT32:
      return columns_erased<int32_t, int64_t, int64_t, S>;
    case DC_DTYPE_INT64:
      return columns_erased<int64_t, int64_t, int64_t, S>;
    case DC_DTYPE_UINT8:
      return columns_erased<uint8_t, uint64_t, uint64_t, S>;
    case DC_DTYPE_UINT16:
      return columns_erased<uint16_t, uint64_t, uint64_t, S>;
    case DC_DTYPE_UINT32:
      return columns_erased<uint32_t, uint64_t, uint64_t, S>;
    case DC_DTYPE_UINT64:
      return columns_erased<uint64_t, uint64_t, uint64_t, S>;
    case DC_DTYPE_FLOAT32:
      return columns_erased<float, double, float, S>;
    case DC_DTYPE_FLOAT64:
      return columns_erased<double, double, double, S>;
    case DC_DTYPE_COMPLEX64:
      return columns_erased<std::complex<float>, std::complex<double>, std::complex<float>, S>;
    case DC_DTYPE_COMPLEX128:
      return columns_erased<std::complex<double>, std::complex<double>, std::complex<double>, S>;
    default:
      return nullptr;  // float16: the generated kernels
  }
}

}  // namespace

dc_status reduce_axis(int32_t device, dc_stream stream, dc_reduce_op op, dc_dtype dtype,
                      dc_buffer_view input, uint64_t outer, uint64_t length, uint64_t inner,
                      dc_buffer_view out) {
  if (device != 0) return check_device(device);
  if (dc_status status = check_stream(stream)) return status;
  if (op < 0 || op >= kReduceOpCount || !dtype_is_valid(dtype)) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "reduce_axis: bad op %d or dtype %d",
                static_cast<int>(op), static_cast<int>(dtype));
  }
  if (length == 0 && op != DC_REDUCE_SUM) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "reduce_axis: min/max over length 0");
  }
  const size_t size = dtype_size(dtype);
  const size_t result_size = dtype_size(reduce_result_dtype(op, dtype));
  const uint64_t total = outer * length * inner;
  const uint8_t* x = view_elements(input, total, size, "reduce_axis input");
  if (x == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  uint8_t* y = view_elements(out, outer * inner, result_size, "reduce_axis output");
  if (y == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (inner == 1) {
    // Contiguous rows: the reduce slot per row (parallel inside for long rows, or over rows).
    const auto row = [&](uint64_t o) {
      const dc_buffer_view row_input{input.buffer, input.offset + o * length * size};
      const dc_buffer_view row_out{out.buffer, out.offset + o * result_size};
      return ops_iface.reduce(device, nullptr, op, dtype, row_input, length, row_out);
    };
    ThreadPool* pool = thread_pool();
    if (pool != nullptr && outer >= 2 * thread_count() && total >= kParallelElements) {
      std::atomic<dc_status> first_error{DC_STATUS_OK};
      pool->parallel_for(outer, 1, [&](uint64_t begin, uint64_t end) {
        for (uint64_t o = begin; o < end; ++o) {
          const dc_status status = row(o);
          if (status != DC_STATUS_OK) first_error.store(status);
        }
      });
      return first_error.load();
    }
    for (uint64_t o = 0; o < outer; ++o) {
      if (dc_status status = row(o)) return status;
    }
    return DC_STATUS_OK;
  }
  ColumnsFunction function = nullptr;
  if (op == DC_REDUCE_SUM) {
    function = sum_for(dtype);
  } else {
    function =
        op == DC_REDUCE_MIN ? extreme_for<DC_REDUCE_MIN>(dtype) : extreme_for<DC_REDUCE_MAX>(dtype);
  }
  if (function == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "reduce_axis: no CPU column kernel for %s of %s",
                reduce_op_name(op), dtype_name(dtype));
  }
  function(x, y, outer, length, inner);
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
