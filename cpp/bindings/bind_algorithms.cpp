// cpp/bindings/bind_algorithms.cpp
// Private entry points of the algorithm library for python/dotcompute/algorithms.py. Each one
// checks and allocates in the core and returns the outputs with a flag saying whether the plugin
// computed them; when it did not, the Python front runs the generated kernels into them.
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/algorithms.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/storage.hpp"
#include "dotcompute/work_stream.hpp"

namespace dotcompute::bindings {

namespace {

// Below this many elements the GIL stays held: releasing it costs more than the call.
constexpr int64_t kReleaseGilElements = 1 << 15;

template <typename Call>
AlgorithmResult run(int64_t elements, Call&& call) {
  if (elements >= kReleaseGilElements) {
    py::gil_scoped_release release;
    return call();
  }
  return call();
}

py::object optional_array(const ArrayPtr& array) {
  return array ? py::cast(array) : py::object(py::none());
}

dc_reduce_op reduce_op_from_name(const std::string& name) {
  if (name == "sum") return DC_REDUCE_SUM;
  if (name == "min") return DC_REDUCE_MIN;
  if (name == "max") return DC_REDUCE_MAX;
  raise(ErrorKind::InvalidArgument, "unknown reduction '" + name + "'; use sum, min or max");
}

/// The same memory seen with another dtype and shape of the same byte size (complex64 as pairs
/// of float32, for the generated kernels, which have no complex type).
ArrayPtr reinterpret(const ArrayPtr& array, py::handle dtype, py::handle shape) {
  const dc_dtype code = dtype_from_python(dtype);
  const Shape new_shape = shape_from_python(shape);
  const uint64_t bytes = static_cast<uint64_t>(checked_element_count(new_shape)) * dtype_size(code);
  if (bytes != array->nbytes()) {
    raise(ErrorKind::Shape, "reinterpret: " + shape_to_string(new_shape) + " of " +
                                dtype_name(code) + " is " + std::to_string(bytes) +
                                " bytes, the array holds " + std::to_string(array->nbytes()));
  }
  return std::make_shared<Array>(array->storage_shared(), new_shape, code, array->readonly());
}

}  // namespace

void bind_algorithms(py::module_& m) {
  m.def(
      "_algorithm_matmul",
      [](const ArrayPtr& a, const ArrayPtr& b, bool use_plugin, const ArrayPtr& out) {
        const AlgorithmResult r =
            run(a->size() + b->size(), [&] { return matmul(*a, *b, use_plugin, out); });
        return py::make_tuple(r.out, r.computed);
      },
      py::arg("a"), py::arg("b"), py::arg("use_plugin"), py::arg("out") = py::none());
  m.def(
      "_algorithm_fft",
      [](const ArrayPtr& x, bool inverse, bool use_plugin) {
        const AlgorithmResult r = run(x->size(), [&] { return fft(*x, inverse, use_plugin); });
        return py::make_tuple(r.out, r.computed);
      },
      py::arg("x"), py::arg("inverse"), py::arg("use_plugin"));
  m.def(
      "_algorithm_reduce_axis",
      [](const std::string& op, const ArrayPtr& x, int64_t axis, bool use_plugin,
         const ArrayPtr& out) {
        const dc_reduce_op code = reduce_op_from_name(op);
        const int normalized = normalize_axis(axis, x->ndim(), op.c_str());
        const AlgorithmResult r =
            run(x->size(), [&] { return reduce_axis(code, *x, normalized, use_plugin, out); });
        return py::make_tuple(r.out, r.computed);
      },
      py::arg("op"), py::arg("x"), py::arg("axis"), py::arg("use_plugin"),
      py::arg("out") = py::none());
  m.def(
      "_algorithm_cumsum",
      [](const ArrayPtr& x, int64_t axis, bool use_plugin, const ArrayPtr& out) {
        const int normalized = normalize_axis(axis, x->ndim(), "cumsum");
        const AlgorithmResult r =
            run(x->size(), [&] { return cumsum(*x, normalized, use_plugin, out); });
        return py::make_tuple(r.out, r.computed);
      },
      py::arg("x"), py::arg("axis"), py::arg("use_plugin"), py::arg("out") = py::none());
  m.def(
      "_algorithm_sort",
      [](const ArrayPtr& x, int64_t axis, bool values, bool indices, bool use_plugin) {
        const int normalized = normalize_axis(axis, x->ndim(), values ? "sort" : "argsort");
        const AlgorithmResult r =
            run(x->size(), [&] { return sort(*x, normalized, values, indices, use_plugin); });
        return py::make_tuple(optional_array(r.out), optional_array(r.indices), r.computed);
      },
      py::arg("x"), py::arg("axis"), py::arg("values"), py::arg("indices"), py::arg("use_plugin"));
  m.def(
      "_capture_active", [](const ArrayPtr& x) { return capture_active(x->storage()); },
      py::arg("x"), "Whether the current stream of x's device is being captured into a graph.");
  m.def(
      "_shares_memory",
      [](const ArrayPtr& a, const ArrayPtr& b) { return a->storage().overlaps(b->storage()); },
      py::arg("a"), py::arg("b"), "Whether two arrays share a byte of memory (views included).");
  m.def(
      "_same_memory",
      [](const ArrayPtr& a, const ArrayPtr& b) { return a->storage().same_bytes(b->storage()); },
      py::arg("a"), py::arg("b"), "Whether two arrays are the same bytes of one allocation.");
  m.def(
      "_view",
      [](const ArrayPtr& array, int64_t first, py::handle shape) {
        const Shape view_shape = shape_from_python(shape);
        const uint64_t count = static_cast<uint64_t>(checked_element_count(view_shape));
        const uint64_t itemsize = array->itemsize();
        if (first < 0) raise(ErrorKind::InvalidArgument, "view: a negative first element");
        auto storage = Storage::slice(array->storage_shared(),
                                      static_cast<uint64_t>(first) * itemsize, count * itemsize);
        return std::make_shared<Array>(std::move(storage), view_shape, array->dtype(),
                                       array->readonly());
      },
      py::arg("array"), py::arg("first"), py::arg("shape"),
      "A view of the array's elements [first, first + size of shape) with that shape, sharing "
      "its memory (Note [Array views]).");
  m.def(
      "_reduce_result_dtype",
      [](const std::string& op, py::handle dtype) {
        return numpy_dtype(reduce_result_dtype(reduce_op_from_name(op), dtype_from_python(dtype)));
      },
      py::arg("op"), py::arg("dtype"), "The dtype of a reduction's result (sum widens integers).");
  m.def("_reinterpret", &reinterpret, py::arg("array"), py::arg("dtype"), py::arg("shape"),
        "The same memory with another dtype and shape of the same byte size.");
}

}  // namespace dotcompute::bindings
