// cpp/plugin_support/reduce_specs.cpp
#include "plugin_support/reduce_specs.hpp"

#include "dotcompute/dtype.hpp"

namespace dotcompute::plugin_support {

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
