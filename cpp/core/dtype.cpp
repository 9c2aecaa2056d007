// cpp/core/dtype.cpp
// Names of element types, as numpy spells them, and of the built-in operations.
#include "dotcompute/dtype.hpp"

namespace dotcompute {

const char* dtype_name(dc_dtype dtype) noexcept {
  static const char* const names[DC_DTYPE_COUNT] = {
      "bool",   "int8",   "int16",   "int32",   "int64",   "uint8",     "uint16",
      "uint32", "uint64", "float16", "float32", "float64", "complex64", "complex128"};
  return dtype_is_valid(dtype) ? names[dtype] : "unknown";
}

const char* binary_op_name(dc_binary_op op) noexcept {
  switch (op) {
    case DC_BINARY_ADD:
      return "add";
    case DC_BINARY_SUBTRACT:
      return "subtract";
    case DC_BINARY_MULTIPLY:
      return "multiply";
    case DC_BINARY_DIVIDE:
      return "divide";
    case DC_BINARY_FLOOR_DIVIDE:
      return "floor_divide";
    default:
      return "unknown";
  }
}

const char* reduce_op_name(dc_reduce_op op) noexcept {
  switch (op) {
    case DC_REDUCE_SUM:
      return "sum";
    case DC_REDUCE_MIN:
      return "min";
    case DC_REDUCE_MAX:
      return "max";
    default:
      return "unknown";
  }
}

std::string unsupported_binary_message(dc_binary_op op, dc_dtype dtype) {
  const std::string name = dtype_name(dtype);
  if (op == DC_BINARY_DIVIDE) {
    return "divide is defined for float16/32/64 and complex dtypes, not " + name +
           " (true division changes the dtype); use floor_divide for integer division, or "
           "convert to a floating dtype first";
  }
  if (op == DC_BINARY_FLOOR_DIVIDE) {
    return "floor_divide is defined for integer dtypes only, not " + name +
           "; use divide for floating and complex dtypes";
  }
  return "dtype " + name + " does not support " + binary_op_name(op);
}

}  // namespace dotcompute
