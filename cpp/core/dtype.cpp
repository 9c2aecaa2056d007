// cpp/core/dtype.cpp
// Names of element types, as numpy spells them.
#include "dotcompute/dtype.hpp"

namespace dotcompute {

const char* dtype_name(dc_dtype dtype) noexcept {
  static const char* const names[DC_DTYPE_COUNT] = {
      "bool",   "int8",   "int16",   "int32",   "int64",   "uint8",     "uint16",
      "uint32", "uint64", "float16", "float32", "float64", "complex64", "complex128"};
  return dtype_is_valid(dtype) ? names[dtype] : "unknown";
}

}  // namespace dotcompute
