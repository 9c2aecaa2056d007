// cpp/plugin_support/reduce_specs.hpp
// The pieces of the CUDA and OpenCL plugins' generated reduction kernels, and the min/max ones
// both plugins spell alike.
#pragma once

#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute::plugin_support {

/// The pieces of a reduction kernel, as source text: S the input element, L what a thread or
/// work-item accumulates between flushes, P a partial, R the result. Each plugin's
/// reduce_source puts them around its own loops.
struct ReduceSpec {
  std::string S, L, P, R;
  std::string local_identity;  ///< an expression of `in` (the input pointer)
  std::string local_load;      ///< an expression of `v` (one element)
  std::string local_combine;   ///< an expression of `a` and `b` (both L)
  std::string widen;           ///< an expression of `l` (an L) giving a P
  std::string part_identity;   ///< an expression of `in`
  std::string combine;         ///< an expression of `a` and `b` (both P)
  std::string final_identity;  ///< an expression of `partials`
  std::string finish;          ///< an expression of `p` (a P) giving an R
};

/// "(b < a ? b : a)" for min, with > for max: the better of a and b, a on a tie.
std::string extreme_of(dc_reduce_op op, const std::string& a, const std::string& b);

/// The ReduceSpec of min or max over dtype, whose elements the kernel reads as `storage`;
/// complex numbers are structs with members `real` and `imag` and order lexicographically like
/// numpy's; a NaN wins (floats and complex). False for other ops.
bool extreme_reduce_spec(dc_reduce_op op, dc_dtype dtype, const std::string& storage,
                         const std::string& real, const std::string& imag, ReduceSpec* spec);

}  // namespace dotcompute::plugin_support
