// cpp/plugin_support/builtin_sources.cpp
#include "plugin_support/builtin_sources.hpp"

#include "dotcompute/dtype.hpp"

namespace dotcompute::plugin_support {

TypeNames type_names(dc_dtype dtype) {
  switch (dtype) {
    case DC_DTYPE_BOOL:
      return {"u8", "u8", "u32"};
    case DC_DTYPE_INT8:
      return {"i8", "u8", "u32"};
    case DC_DTYPE_INT16:
      return {"i16", "u16", "u32"};
    case DC_DTYPE_INT32:
      return {"i32", "u32", "u32"};
    case DC_DTYPE_INT64:
      return {"i64", "u64", "u64"};
    case DC_DTYPE_UINT8:
      return {"u8", "u8", "u32"};
    case DC_DTYPE_UINT16:
      return {"u16", "u16", "u32"};
    case DC_DTYPE_UINT32:
      return {"u32", "u32", "u32"};
    case DC_DTYPE_UINT64:
      return {"u64", "u64", "u64"};
    case DC_DTYPE_FLOAT16:
      return {"f16", "", ""};
    case DC_DTYPE_FLOAT32:
      return {"float", "", ""};
    case DC_DTYPE_FLOAT64:
      return {"double", "", ""};
    case DC_DTYPE_COMPLEX64:
      return {"c64", "", ""};
    default:
      return {"c128", "", ""};
  }
}

const char* operator_symbol(dc_binary_op op) {
  switch (op) {
    case DC_BINARY_ADD:
      return "+";
    case DC_BINARY_SUBTRACT:
      return "-";
    case DC_BINARY_MULTIPLY:
      return "*";
    default:
      return "/";
  }
}

std::string extreme_of(dc_reduce_op op, const std::string& a, const std::string& b) {
  const char* better = op == DC_REDUCE_MIN ? "<" : ">";
  return "(" + b + " " + better + " " + a + " ? " + b + " : " + a + ")";
}

bool extreme_reduce_spec(dc_reduce_op op, dc_dtype dtype, const std::string& storage,
                         const std::string& real, const std::string& imag, ReduceSpec* spec) {
  if (op != DC_REDUCE_MIN && op != DC_REDUCE_MAX) return false;
  const std::string& s = storage;
  if (dtype == DC_DTYPE_BOOL) {  // min is "all", max is "any"
    const std::string pick = extreme_of(op, "a", "b");
    *spec = {s,
             "u8",
             "u8",
             "u8",
             "(u8)(in[0] != 0)",
             "(u8)(v != 0)",
             pick,
             "l",
             "(u8)(in[0] != 0)",
             pick,
             "partials[0]",
             "p"};
    return true;
  }
  if (dtype_is_integer(dtype)) {
    const std::string pick = extreme_of(op, "a", "b");
    *spec = {s, s, s, s, "in[0]", "v", pick, "l", "in[0]", pick, "partials[0]", "p"};
    return true;
  }
  const std::string better = op == DC_REDUCE_MIN ? "<" : ">";
  if (dtype_is_floating(dtype)) {
    // b replaces a when b is NaN or better; a NaN a is never replaced (no comparison holds).
    const std::string pick = "((b != b || b " + better + " a) ? b : a)";
    if (dtype == DC_DTYPE_FLOAT16) {
      *spec = {s,
               "float",
               "float",
               s,
               "half_to_float(in[0])",
               "half_to_float(v)",
               pick,
               "l",
               "half_to_float(in[0])",
               pick,
               "partials[0]",
               "float_to_half(p)"};
    } else {
      *spec = {s, s, s, s, "in[0]", "v", pick, "l", "in[0]", pick, "partials[0]", "p"};
    }
    return true;
  }
  // Complex: lexicographic (real, then imaginary) like numpy; a NaN in either part wins.
  const std::string ar = "a." + real, ai = "a." + imag, br = "b." + real, bi = "b." + imag;
  const std::string pick = "((" + ar + " != " + ar + " || " + ai + " != " + ai + ") ? a : " + "((" +
                           br + " != " + br + " || " + bi + " != " + bi + ") ? b : " + "((" + br +
                           " " + better + " " + ar + " || (" + br + " == " + ar + " && " + bi +
                           " " + better + " " + ai + ")) ? b : a)))";
  *spec = {s, s, s, s, "in[0]", "v", pick, "l", "in[0]", pick, "partials[0]", "p"};
  return true;
}

}  // namespace dotcompute::plugin_support
