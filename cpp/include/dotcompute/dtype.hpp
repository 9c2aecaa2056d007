// cpp/include/dotcompute/dtype.hpp
// Element types (sizes, names, classification) and the names of the built-in operation codes,
// shared by the core and the plugins.
#pragma once

#include <cstddef>
#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute {

/// Bytes of one element; 0 for an unknown code.
constexpr size_t dtype_size(dc_dtype dtype) noexcept {
  switch (dtype) {
    case DC_DTYPE_BOOL:
    case DC_DTYPE_INT8:
    case DC_DTYPE_UINT8:
      return 1;
    case DC_DTYPE_INT16:
    case DC_DTYPE_UINT16:
    case DC_DTYPE_FLOAT16:
      return 2;
    case DC_DTYPE_INT32:
    case DC_DTYPE_UINT32:
    case DC_DTYPE_FLOAT32:
      return 4;
    case DC_DTYPE_INT64:
    case DC_DTYPE_UINT64:
    case DC_DTYPE_FLOAT64:
    case DC_DTYPE_COMPLEX64:
      return 8;
    case DC_DTYPE_COMPLEX128:
      return 16;
    default:
      return 0;
  }
}

constexpr bool dtype_is_valid(dc_dtype dtype) noexcept {
  return dtype >= 0 && dtype < DC_DTYPE_COUNT;
}
constexpr bool dtype_is_signed_integer(dc_dtype dtype) noexcept {
  return dtype >= DC_DTYPE_INT8 && dtype <= DC_DTYPE_INT64;
}
constexpr bool dtype_is_unsigned_integer(dc_dtype dtype) noexcept {
  return dtype >= DC_DTYPE_UINT8 && dtype <= DC_DTYPE_UINT64;
}
constexpr bool dtype_is_integer(dc_dtype dtype) noexcept {
  return dtype_is_signed_integer(dtype) || dtype_is_unsigned_integer(dtype);
}
constexpr bool dtype_is_floating(dc_dtype dtype) noexcept {
  return dtype >= DC_DTYPE_FLOAT16 && dtype <= DC_DTYPE_FLOAT64;
}
constexpr bool dtype_is_complex(dc_dtype dtype) noexcept {
  return dtype == DC_DTYPE_COMPLEX64 || dtype == DC_DTYPE_COMPLEX128;
}

/// The dtype dc_ops_iface.reduce writes for a reduction (see backend_abi.h).
constexpr dc_dtype reduce_result_dtype(dc_reduce_op op, dc_dtype input) noexcept {
  if (op != DC_REDUCE_SUM) return input;
  if (input == DC_DTYPE_BOOL || dtype_is_signed_integer(input)) return DC_DTYPE_INT64;
  if (dtype_is_unsigned_integer(input)) return DC_DTYPE_UINT64;
  return input;
}

/// numpy's name of the dtype ("float32"); "unknown" for an invalid code.
const char* dtype_name(dc_dtype dtype) noexcept;

/// The Python name of a built-in operation ("floor_divide", "sum"); "unknown" when invalid.
const char* binary_op_name(dc_binary_op op) noexcept;
const char* reduce_op_name(dc_reduce_op op) noexcept;

/// Why a (binary operation, dtype) pair has no kernel, in numpy's terms; every backend reports
/// DC_STATUS_UNSUPPORTED with this sentence.
std::string unsupported_binary_message(dc_binary_op op, dc_dtype dtype);

}  // namespace dotcompute
