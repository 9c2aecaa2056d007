// cpp/cpu/cpu_columns_impl.hpp
// The column kernels of reduce_axis (a reduction over rows spaced `inner` elements apart),
// compiled once per instruction set with the other built-in kernels: cpu_kernels_impl.hpp
// includes this file, and cpu_reduce_axis.cpp shares the work out and combines the results.
#pragma once

#include <algorithm>
#include <complex>
#include <cstdint>
#include <type_traits>

#include "cpu_kernels.hpp"

namespace dotcompute::cpu {
namespace {

/// Rows a float column sum adds in float before it moves them into its double accumulators:
/// the rounding error grows with this count, not with the number of rows (as kSumValuesPerLane
/// does for whole-array sums). One block of columns is a few KB, so the block stays in L1.
constexpr uint64_t kColumnRowsPerBlock = 64;

/// acc[c] = op over r < rows of base[r * stride + c], for c < width (width <= 2 * kColumnBlock).
/// min and max need rows >= 1 (NaN handling: accumulate in cpu_kernels.hpp).
template <typename In, typename Acc, dc_reduce_op op>
void reduce_columns(const In* base, uint64_t rows, uint64_t stride, uint64_t width,
                    Acc* acc) noexcept {
  if constexpr (op == DC_REDUCE_SUM && std::is_same_v<In, float>) {
    float narrow[2 * kColumnBlock];
    std::fill(acc, acc + width, Acc{});
    for (uint64_t block = 0; block < rows; block += kColumnRowsPerBlock) {
      const uint64_t end = std::min(rows, block + kColumnRowsPerBlock);
      std::copy(base + block * stride, base + block * stride + width, narrow);
      for (uint64_t r = block + 1; r < end; ++r) {
        const In* row = base + r * stride;
        for (uint64_t c = 0; c < width; ++c) narrow[c] += row[c];
      }
      for (uint64_t c = 0; c < width; ++c) acc[c] += narrow[c];
    }
  } else if constexpr (op == DC_REDUCE_SUM) {
    std::fill(acc, acc + width, Acc{});
    for (uint64_t r = 0; r < rows; ++r) {
      const In* row = base + r * stride;
      for (uint64_t c = 0; c < width; ++c) acc[c] += static_cast<Acc>(row[c]);
    }
  } else {
    std::copy(base, base + width, acc);
    for (uint64_t r = 1; r < rows; ++r) {
      const In* row = base + r * stride;
      for (uint64_t c = 0; c < width; ++c)
        acc[c] = accumulate<op>(acc[c], static_cast<Acc>(row[c]));
    }
  }
}

/// The table's signature. kParts = 2 reads complex numbers as pairs of real columns, so their
/// sums run on the real kernels (std::complex<double> is laid out as two doubles).
template <typename In, typename Acc, dc_reduce_op op, uint64_t kParts = 1>
void columns_kernel(const void* base, uint64_t rows, uint64_t inner, uint64_t width,
                    void* acc) noexcept {
  reduce_columns<In, Acc, op>(static_cast<const In*>(base), rows, kParts * inner, kParts * width,
                              static_cast<Acc*>(acc));
}

template <dc_reduce_op op>
void set_extreme_columns(KernelTable& table) noexcept {
  table.columns[op][DC_DTYPE_BOOL] = columns_kernel<bool, bool, op>;
  table.columns[op][DC_DTYPE_INT8] = columns_kernel<int8_t, int8_t, op>;
  table.columns[op][DC_DTYPE_INT16] = columns_kernel<int16_t, int16_t, op>;
  table.columns[op][DC_DTYPE_INT32] = columns_kernel<int32_t, int32_t, op>;
  table.columns[op][DC_DTYPE_INT64] = columns_kernel<int64_t, int64_t, op>;
  table.columns[op][DC_DTYPE_UINT8] = columns_kernel<uint8_t, uint8_t, op>;
  table.columns[op][DC_DTYPE_UINT16] = columns_kernel<uint16_t, uint16_t, op>;
  table.columns[op][DC_DTYPE_UINT32] = columns_kernel<uint32_t, uint32_t, op>;
  table.columns[op][DC_DTYPE_UINT64] = columns_kernel<uint64_t, uint64_t, op>;
  table.columns[op][DC_DTYPE_FLOAT32] = columns_kernel<float, float, op>;
  table.columns[op][DC_DTYPE_FLOAT64] = columns_kernel<double, double, op>;
}

/// Accumulator types match cpu_reduce_axis.cpp's ColumnTypes; float16 has no column kernel
/// (the core runs the generated one) and complex numbers no min or max.
void set_column_kernels(KernelTable& table) noexcept {
  constexpr dc_reduce_op S = DC_REDUCE_SUM;
  table.columns[S][DC_DTYPE_BOOL] = columns_kernel<bool, int64_t, S>;
  table.columns[S][DC_DTYPE_INT8] = columns_kernel<int8_t, int64_t, S>;
  table.columns[S][DC_DTYPE_INT16] = columns_kernel<int16_t, int64_t, S>;
  table.columns[S][DC_DTYPE_INT32] = columns_kernel<int32_t, int64_t, S>;
  table.columns[S][DC_DTYPE_INT64] = columns_kernel<int64_t, int64_t, S>;
  table.columns[S][DC_DTYPE_UINT8] = columns_kernel<uint8_t, uint64_t, S>;
  table.columns[S][DC_DTYPE_UINT16] = columns_kernel<uint16_t, uint64_t, S>;
  table.columns[S][DC_DTYPE_UINT32] = columns_kernel<uint32_t, uint64_t, S>;
  table.columns[S][DC_DTYPE_UINT64] = columns_kernel<uint64_t, uint64_t, S>;
  table.columns[S][DC_DTYPE_FLOAT32] = columns_kernel<float, double, S>;
  table.columns[S][DC_DTYPE_FLOAT64] = columns_kernel<double, double, S>;
  table.columns[S][DC_DTYPE_COMPLEX64] = columns_kernel<float, double, S, 2>;
  table.columns[S][DC_DTYPE_COMPLEX128] = columns_kernel<double, double, S, 2>;
  set_extreme_columns<DC_REDUCE_MIN>(table);
  set_extreme_columns<DC_REDUCE_MAX>(table);
}

}  // namespace
}  // namespace dotcompute::cpu
