// cpp/bindings/bind_ops.cpp
// Built-in operations (add, subtract, multiply, divide, floor_divide, saxpy, sum, min, max) and
// the matching Array operators. Bound in C++ so a call on a small array stays cheap.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/array.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::bindings {

namespace {

// Work on at least this many elements runs with the GIL released; below it the release and
// re-acquire would cost more than the operation.
constexpr int64_t kReleaseGilElements = 1 << 15;

ArrayPtr run_binary(dc_binary_op op, const ArrayPtr& a, const ArrayPtr& b, ArrayPtr out) {
  if (a->size() >= kReleaseGilElements) {
    py::gil_scoped_release release;
    return binary_op(op, *a, *b, std::move(out));
  }
  return binary_op(op, *a, *b, std::move(out));
}

void def_binary(py::module_& m, const char* name, dc_binary_op op, const char* doc) {
  m.def(
      name,
      [op](const ArrayPtr& a, const ArrayPtr& b, ArrayPtr out) {
        return run_binary(op, a, b, out);
      },
      py::arg("a"), py::arg("b"), py::arg("out") = py::none(), doc);
}

ArrayPtr run_reduce(dc_reduce_op op, const ArrayPtr& input) {
  if (input->size() >= kReleaseGilElements) {
    py::gil_scoped_release release;
    return reduce(op, *input);
  }
  return reduce(op, *input);
}

}  // namespace

void bind_ops(py::module_& m) {
  def_binary(m, "add", DC_BINARY_ADD, "Elementwise a + b (same shape, dtype and device).");
  def_binary(m, "subtract", DC_BINARY_SUBTRACT, "Elementwise a - b.");
  def_binary(m, "multiply", DC_BINARY_MULTIPLY, "Elementwise a * b.");
  def_binary(m, "divide", DC_BINARY_DIVIDE, "Elementwise a / b (floating and complex dtypes).");
  def_binary(m, "floor_divide", DC_BINARY_FLOOR_DIVIDE,
             "Elementwise a // b (integer dtypes; rounds toward -inf; x // 0 == 0).");
  m.def(
      "saxpy",
      [](py::object alpha, const ArrayPtr& x, const ArrayPtr& y, ArrayPtr out) {
        const ElementBytes alpha_bytes = element_from_python(alpha, x->dtype());
        if (x->size() >= kReleaseGilElements) {
          py::gil_scoped_release release;
          return axpy(alpha_bytes.bytes, *x, *y, std::move(out));
        }
        return axpy(alpha_bytes.bytes, *x, *y, std::move(out));
      },
      py::arg("alpha"), py::arg("x"), py::arg("y"), py::arg("out") = py::none(),
      "alpha * x + y, elementwise, in x's dtype.");
  m.def(
      "sum", [](const ArrayPtr& x) { return run_reduce(DC_REDUCE_SUM, x); }, py::arg("x"),
      "Sum of every element as a 0-d array (int64/uint64 for integers, accurate for floats).");
  m.def(
      "min", [](const ArrayPtr& x) { return run_reduce(DC_REDUCE_MIN, x); }, py::arg("x"),
      "Smallest element as a 0-d array (NaN when any element is NaN).");
  m.def(
      "max", [](const ArrayPtr& x) { return run_reduce(DC_REDUCE_MAX, x); }, py::arg("x"),
      "Largest element as a 0-d array (NaN when any element is NaN).");
  m.def(
      "measure_builtin_dispatch",
      [](uint64_t iterations) {
        DispatchTiming timing;
        {
          py::gil_scoped_release release;
          timing = dotcompute::measure_builtin_dispatch(iterations);
        }
        py::dict result;
        result["core_path_ns"] = timing.core_path_ns;
        result["abi_slot_ns"] = timing.abi_slot_ns;
        result["iterations"] = timing.iterations;
        return result;
      },
      py::arg("iterations") = 1000000,
      "Nanoseconds per 1-element float32 add through the core path vs the bare ABI slot.");

  auto array_class = py::reinterpret_borrow<py::class_<Array, ArrayPtr>>(m.attr("Array"));
  const auto operator_of = [](dc_binary_op op) {
    return [op](const ArrayPtr& a, const ArrayPtr& b) { return run_binary(op, a, b, nullptr); };
  };
  const auto in_place_of = [](dc_binary_op op) {
    return [op](const ArrayPtr& a, const ArrayPtr& b) { return run_binary(op, a, b, a); };
  };
  array_class.def("__add__", operator_of(DC_BINARY_ADD), py::is_operator())
      .def("__sub__", operator_of(DC_BINARY_SUBTRACT), py::is_operator())
      .def("__mul__", operator_of(DC_BINARY_MULTIPLY), py::is_operator())
      .def("__truediv__", operator_of(DC_BINARY_DIVIDE), py::is_operator())
      .def("__floordiv__", operator_of(DC_BINARY_FLOOR_DIVIDE), py::is_operator())
      .def("__iadd__", in_place_of(DC_BINARY_ADD), py::is_operator())
      .def("__isub__", in_place_of(DC_BINARY_SUBTRACT), py::is_operator())
      .def("__imul__", in_place_of(DC_BINARY_MULTIPLY), py::is_operator())
      .def("__itruediv__", in_place_of(DC_BINARY_DIVIDE), py::is_operator())
      .def("__ifloordiv__", in_place_of(DC_BINARY_FLOOR_DIVIDE), py::is_operator());
}

}  // namespace dotcompute::bindings
