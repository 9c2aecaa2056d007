// cpp/plugin_support/builtin_sources.hpp
// Pieces of the generated built-in kernels that the CUDA and OpenCL plugins spell alike: the
// element type names (each plugin's preamble typedefs u8 ... u64, i8 ... i64, f16, c64, c128),
// the binary operators and the reduction specs of min and max.
#pragma once

#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute::plugin_support {

/// How a generated kernel names a dtype's element.
struct TypeNames {
  const char* storage;    ///< the element as the kernel reads it (signed for signed integers)
  const char* unsigned_;  ///< integers: the unsigned twin
  const char* wide;       ///< integers: the unsigned type arithmetic runs in (no int promotion)
};

TypeNames type_names(dc_dtype dtype);

/// "+", "-", "*" or "/" (floor division is written out by each plugin).
const char* operator_symbol(dc_binary_op op);

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
