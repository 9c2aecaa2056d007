// metal/metal_builtin_source.hpp
// The MSL of the built-in ops (binary, axpy, reduce) per dtype, in plain C++: metal_ops.mm
// compiles it; tests/test_metal_builtins.py syntax-checks every variant on Linux.
#pragma once

#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute::metal {

/// Which built-in a source is for (one MSL library each, per dtype).
enum class Builtin { kBinary, kAxpy, kReduce };

/// The MSL library of a built-in for dtype: kBinary defines dc_binary with DC_OP set to the
/// binary op, kAxpy dc_axpy, kReduce dc_reduce_partial and dc_reduce_final for reduce_op.
/// Returns an empty string and sets *why when Metal has no such variant (float64, complex128,
/// bool arithmetic, integer true division, complex min/max).
std::string builtin_source(Builtin builtin, dc_dtype dtype, int32_t op, std::string* why);

}  // namespace dotcompute::metal
