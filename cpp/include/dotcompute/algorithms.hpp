// cpp/include/dotcompute/algorithms.hpp
// Core dispatch of the algorithm library (matmul, fft, axis reductions, cumsum, sort): operand
// checks, output allocation and the plugin's optional ops slot. When the slot is absent or
// answers DC_STATUS_UNSUPPORTED, the result comes back uncomputed and the Python front runs the
// generated kernels (python/dotcompute/algorithm_kernels/) on the same device into the outputs
// allocated here.
#pragma once

#include <cstdint>

#include "dotcompute/array.hpp"

namespace dotcompute {

/// Outputs of one algorithm call. computed is false when the plugin did not run it (no slot,
/// UNSUPPORTED, or the caller asked for the generated kernels); the outputs are then allocated
/// but unwritten.
struct AlgorithmResult {
  ArrayPtr out;
  ArrayPtr indices;  // sort only: int64 source positions when asked for
  bool computed = false;
};

/// The axis viewed as [outer, length, inner] (C order).
struct AxisSplit {
  uint64_t outer = 1, length = 1, inner = 1;
};

/// axis normalized to [0, ndim) (negative counts from the end); Error(InvalidArgument) naming
/// the valid range otherwise. `operation` prefixes the message.
int normalize_axis(int64_t axis, int ndim, const char* operation);
AxisSplit split_axis(const Shape& shape, int axis);

/// a [..., m, k] @ b [..., k, n] with equal leading (batch) dimensions; float32, float64,
/// complex64, complex128, same dtype and device.
AlgorithmResult matmul(const Array& a, const Array& b, bool use_plugin,
                       const ArrayPtr& out = nullptr);
/// DFT of each row along the last axis; complex64 or complex128.
AlgorithmResult fft(const Array& input, bool inverse, bool use_plugin);
/// Reduction along one axis (already normalized); out drops that axis.
AlgorithmResult reduce_axis(dc_reduce_op op, const Array& input, int axis, bool use_plugin,
                            const ArrayPtr& out = nullptr);
/// Inclusive prefix sum along one axis; out has reduce's sum dtype.
AlgorithmResult cumsum(const Array& input, int axis, bool use_plugin,
                       const ArrayPtr& out = nullptr);
/// Stable ascending sort along one axis (NaN last); values and/or int64 indices.
AlgorithmResult sort(const Array& input, int axis, bool want_values, bool want_indices,
                     bool use_plugin);

}  // namespace dotcompute
