// cpp/cpu/cpu_reduce_axis.cpp
// The reduce_axis slot: sum/min/max along the middle axis of [outer, length, inner].
//
// Contiguous rows (inner == 1) go through the reduce slot row by row, so they get its SIMD
// kernels and accurate sums; threads take rows in groups of about kTaskElements. Otherwise a task
// owns a block of kColumnBlock neighbouring columns of one outer index and one segment of the
// reduced axis, and adds the segment's rows into an accumulator block with the instruction
// set's column kernel (cpu_columns_impl.hpp), vectorized along the columns; floating sums end in
// double, as the reduce slot's do (float32 adds 64 rows in float first).
//
// Note [Column segments]: with few column blocks (a (16384, 256) float32 array summed over axis
// 0 has one) whole-axis tasks left every thread but one idle, so the axis is cut into segments
// of about kTaskElements each, whose accumulator blocks are combined in segment order. How
// an axis is cut depends on the shape only, never on the thread count, so every thread count
// gives the same bits. Segments stop at kMaxSegmentTasks tasks, which bounds the partials'
// memory; shapes with that many column blocks have parallelism enough without them.
#include <algorithm>
#include <atomic>
#include <complex>
#include <cstring>
#include <memory>

#include "cpu_algorithms.hpp"
#include "cpu_backend.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cpu {
namespace {

/// Work (elements read) below which a reduction stays on the calling thread.
constexpr uint64_t kParallelElements = uint64_t{1} << 15;
/// Elements a task reads: enough that claiming it costs nothing, few enough to share out.
constexpr uint64_t kTaskElements = uint64_t{1} << 16;
/// Most (column block, segment) tasks whose partial accumulators are kept for combining.
constexpr uint64_t kMaxSegmentTasks = 256;

/// Shares the (column block, segment) tasks out, runs the instruction set's column kernel on
/// each and combines the segments' accumulators in order. Acc is the kernel's accumulator
/// type (cpu_columns_impl.hpp), Out the result's.
template <typename Acc, typename Out, dc_reduce_op op>
void columns(const uint8_t* x, size_t element_size, ColumnsKernel kernel, void* out_data,
             uint64_t outer, uint64_t length, uint64_t inner) {
  Out* out = static_cast<Out*>(out_data);
  const uint64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const uint64_t block_tasks = outer * blocks;
  // Note [Column segments]. A sum over length 0 still runs one (empty) segment per block.
  const uint64_t block_width = std::min(inner, kColumnBlock);
  uint64_t segment_rows = std::max<uint64_t>(1, kTaskElements / block_width);
  uint64_t segments = std::max<uint64_t>(1, (length + segment_rows - 1) / segment_rows);
  segments = std::min(segments, std::max<uint64_t>(1, kMaxSegmentTasks / block_tasks));
  segment_rows = std::max<uint64_t>(1, (length + segments - 1) / segments);
  segments = std::max<uint64_t>(1, (length + segment_rows - 1) / segment_rows);  // none empty
  // (Not std::vector: vector<bool> has no data().)
  const std::unique_ptr<Acc[]> partials(
      segments > 1 ? new Acc[block_tasks * segments * kColumnBlock] : nullptr);

  const auto body = [&](uint64_t begin, uint64_t end) {
    Acc acc[kColumnBlock];
    for (uint64_t task = begin; task < end; ++task) {
      // Segment-major: neighbouring tasks read neighbouring column blocks of the same rows.
      const uint64_t segment = task / block_tasks, block_task = task % block_tasks;
      const uint64_t o = block_task / blocks, c0 = (block_task % blocks) * kColumnBlock;
      const uint64_t width = inner - c0 < kColumnBlock ? inner - c0 : kColumnBlock;
      const uint64_t first = std::min(length, segment * segment_rows);
      const uint64_t rows = std::min(length, first + segment_rows) - first;
      Acc* target = segments > 1 ? partials.get() + task * kColumnBlock : acc;
      kernel(x + ((o * length + first) * inner + c0) * element_size, rows, inner, width, target);
      if (segments == 1) {
        for (uint64_t c = 0; c < width; ++c) out[o * inner + c0 + c] = static_cast<Out>(acc[c]);
      }
    }
  };
  const uint64_t tasks = block_tasks * segments;
  const uint64_t task_elements = std::max<uint64_t>(1, segment_rows * block_width);
  ThreadPool* pool = thread_pool();
  if (pool != nullptr && outer * length * inner >= kParallelElements && tasks > 1) {
    pool->parallel_for(tasks, std::max<uint64_t>(1, kTaskElements / task_elements), body);
  } else {
    body(0, tasks);
  }
  if (segments == 1) return;
  for (uint64_t block_task = 0; block_task < block_tasks; ++block_task) {
    const uint64_t o = block_task / blocks, c0 = (block_task % blocks) * kColumnBlock;
    const uint64_t width = inner - c0 < kColumnBlock ? inner - c0 : kColumnBlock;
    const Acc* partial = partials.get() + block_task * kColumnBlock;
    const uint64_t segment_stride = block_tasks * kColumnBlock;
    for (uint64_t c = 0; c < width; ++c) {
      Acc acc = partial[c];
      for (uint64_t segment = 1; segment < segments; ++segment) {
        acc = accumulate<op>(acc, partial[segment * segment_stride + c]);
      }
      out[o * inner + c0 + c] = static_cast<Out>(acc);
    }
  }
}

using ColumnsFunction = void (*)(const uint8_t*, size_t, ColumnsKernel, void*, uint64_t, uint64_t,
                                 uint64_t);

/// The accumulator and result types of the column kernel for op and dtype (nullptr: none).
template <dc_reduce_op op>
ColumnsFunction extreme_for(dc_dtype dtype) {
  switch (dtype) {
    case DC_DTYPE_BOOL:
      return columns<bool, bool, op>;
    case DC_DTYPE_INT8:
      return columns<int8_t, int8_t, op>;
    case DC_DTYPE_INT16:
      return columns<int16_t, int16_t, op>;
    case DC_DTYPE_INT32:
      return columns<int32_t, int32_t, op>;
    case DC_DTYPE_INT64:
      return columns<int64_t, int64_t, op>;
    case DC_DTYPE_UINT8:
      return columns<uint8_t, uint8_t, op>;
    case DC_DTYPE_UINT16:
      return columns<uint16_t, uint16_t, op>;
    case DC_DTYPE_UINT32:
      return columns<uint32_t, uint32_t, op>;
    case DC_DTYPE_UINT64:
      return columns<uint64_t, uint64_t, op>;
    case DC_DTYPE_FLOAT32:
      return columns<float, float, op>;
    case DC_DTYPE_FLOAT64:
      return columns<double, double, op>;
    default:
      return nullptr;  // float16 and complex: the generated kernels / an error in the core
  }
}

ColumnsFunction sum_for(dc_dtype dtype) {
  constexpr dc_reduce_op S = DC_REDUCE_SUM;
  switch (dtype) {
    case DC_DTYPE_BOOL:
    case DC_DTYPE_INT8:
    case DC_DTYPE_INT16:
    case DC_DTYPE_INT32:
    case DC_DTYPE_INT64:
      return columns<int64_t, int64_t, S>;
    case DC_DTYPE_UINT8:
    case DC_DTYPE_UINT16:
    case DC_DTYPE_UINT32:
    case DC_DTYPE_UINT64:
      return columns<uint64_t, uint64_t, S>;
    case DC_DTYPE_FLOAT32:
      return columns<double, float, S>;
    case DC_DTYPE_FLOAT64:
      return columns<double, double, S>;
    case DC_DTYPE_COMPLEX64:
      return columns<std::complex<double>, std::complex<float>, S>;
    case DC_DTYPE_COMPLEX128:
      return columns<std::complex<double>, std::complex<double>, S>;
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
      const uint64_t rows_per_task = std::max<uint64_t>(1, kTaskElements / length);
      pool->parallel_for(outer, rows_per_task, [&](uint64_t begin, uint64_t end) {
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
  const ColumnsKernel kernel = kernels().columns[op][dtype];
  if (function == nullptr || kernel == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "reduce_axis: no CPU column kernel for %s of %s",
                reduce_op_name(op), dtype_name(dtype));
  }
  function(x, size, kernel, y, outer, length, inner);
  return DC_STATUS_OK;
}

}  // namespace dotcompute::cpu
