// cpp/cpu/cpu_kernels.hpp
// The table of SIMD kernels one instruction-set build provides, chosen once at initialize.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dotcompute/backend_abi.h"

namespace dotcompute::cpu {

/// Instruction-set levels, lowest first; a level's kernels run on every CPU that has it.
enum class SimdLevel : int { Scalar = 0, Sse4 = 1, Avx2 = 2, Avx512 = 3, Neon = 4 };

/// What a reduce kernel leaves for one chunk; the dispatcher combines the chunks.
struct ReducePartial {
  /// Floating and complex sums: Neumaier sums (and their compensations) of the real parts
  /// (index 0) and the imaginary parts (index 1). Real dtypes leave index 1 at zero.
  double sum[2];
  double compensation[2];
  /// Integer and bool sums, wrapping like numpy's int64/uint64 accumulators.
  uint64_t integer;
  /// min/max: one element of the input dtype.
  alignas(16) unsigned char extreme[16];
};

/// out[i] = a[i] op b[i]; out is either a or b, or overlaps neither.
using BinaryKernel = void (*)(const void* a, const void* b, void* out, size_t count);
/// out[i] = alpha * x[i] + y[i]; alpha points at one element.
using AxpyKernel = void (*)(const void* alpha, const void* x, const void* y, void* out,
                            size_t count);
/// Reduces count elements (count >= 1 for min and max) into *out, which it initializes.
using ReduceKernel = void (*)(const void* input, size_t count, ReducePartial* out);
/// Columns reduce_axis hands one kernel call at most (a block of neighbouring columns).
constexpr uint64_t kColumnBlock = 512;
/// acc[c] = the reduction over r < rows of the element at base + r * inner + c, for c < width
/// (<= kColumnBlock); acc holds width accumulators (cpu_columns_impl.hpp says which type) and
/// is initialized here. min and max need rows >= 1.
using ColumnsKernel = void (*)(const void* base, uint64_t rows, uint64_t inner, uint64_t width,
                               void* acc);

/// acc combined with v by op: their sum, or the smaller / larger one, where a NaN wins and stays
/// like numpy's minimum and maximum (acc != acc is false for integers).
template <dc_reduce_op op, typename T>
inline T accumulate(T acc, T v) noexcept {
  if constexpr (op == DC_REDUCE_SUM) {
    return acc + v;
  } else {
    const bool better = op == DC_REDUCE_MIN ? v < acc : v > acc;
    return ((better || v != v) && acc == acc) ? v : acc;
  }
}

constexpr int kBinaryOpCount = DC_BINARY_FLOOR_DIVIDE + 1;
constexpr int kReduceOpCount = DC_REDUCE_MAX + 1;

/// nullptr marks an op/dtype pair the backend does not support.
struct KernelTable {
  BinaryKernel binary[kBinaryOpCount][DC_DTYPE_COUNT];
  AxpyKernel axpy[DC_DTYPE_COUNT];
  ReduceKernel reduce[kReduceOpCount][DC_DTYPE_COUNT];
  ColumnsKernel columns[kReduceOpCount][DC_DTYPE_COUNT];
};

/// One table per translation unit of cpu_kernels_impl.hpp; only the ones built for this
/// architecture exist (see CMakeLists.txt).
const KernelTable& kernel_table_scalar() noexcept;
#if defined(__x86_64__)
const KernelTable& kernel_table_sse4() noexcept;
const KernelTable& kernel_table_avx2() noexcept;
const KernelTable& kernel_table_avx512() noexcept;
#endif

}  // namespace dotcompute::cpu
