// cpp/bindings/bind_ops.cpp
// Built-in operations (add, subtract, multiply, divide, floor_divide, saxpy, sum, min, max) and
// the matching Array operators. Bound in C++ so a call on a small array stays cheap.
#include <pybind11/stl.h>

#include <iterator>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/array.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/storage.hpp"
#include "dotcompute/work_stream.hpp"

namespace dotcompute::bindings {

namespace {

// Work on at least this many elements runs with the GIL released; below it the release and
// re-acquire would cost more than the operation.
constexpr int64_t kReleaseGilElements = 1 << 15;

/// The module whose kernels run the elementwise built-ins inside a capture.
py::object capture_kernels() {
  return py::module_::import("dotcompute.algorithm_kernels.elementwise");
}

/// Whether out shares memory with operand but is not the same bytes (views of one array that
/// overlap): an elementwise write would then change elements still to be read.
bool partially_overlaps(const Array& out, const Array& operand) {
  return out.storage().overlaps(operand.storage()) && !out.storage().same_bytes(operand.storage());
}

/// Whether the plugin's binary operation takes a (op) b into out as they are: one shape, one
/// dtype (also out's) that the operation has, out the same memory as an operand or apart.
bool builtin_takes(dc_binary_op op, const Array& a, const Array& b, const ArrayPtr& out) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && binary_op_takes(op, a.dtype()) &&
         (out == nullptr || (out->dtype() == a.dtype() && !partially_overlaps(*out, a) &&
                             !partially_overlaps(*out, b)));
}

ArrayPtr run_binary(dc_binary_op op, const ArrayPtr& a, const ArrayPtr& b, ArrayPtr out) {
  if (!builtin_takes(op, *a, *b, out)) {  // numpy's dtypes and broadcasting: _elementwise.py
    PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> elementwise;
    const py::object& apply =
        elementwise
            .call_once_and_store_result(
                [] { return py::module_::import("dotcompute._elementwise").attr("apply"); })
            .get_stored();
    return apply(binary_op_name(op), a, b, out).cast<ArrayPtr>();
  }
  try {
    if (a->size() >= kReleaseGilElements) {
      py::gil_scoped_release release;
      return binary_op(op, *a, *b, out);
    }
    return binary_op(op, *a, *b, out);
  } catch (const BuiltinInCapture&) {  // checked already; kernels the graph records
    return capture_kernels().attr("binary")(binary_op_name(op), a, b, out).cast<ArrayPtr>();
  }
}

/// Note [Binary fast path]
/// dc.add and the other binary built-ins are plain CPython functions (METH_FASTCALL): pybind11's
/// dispatcher (overload resolution, keyword matching, holder casters) was about 200 ns of a
/// 1-element dc.add(a, b, out=c) (bench/compare_builtins.py: 408 ns, now 130; numpy.add 354
/// in both runs). The forms (a, b), (a, b, out) and (a, b, out=...) with dc arrays (out may be
/// None) run here; any other call goes, unchanged, to the pybind11 binding of the same op
/// (general_binary), so keyword forms and the errors for other argument types stay pybind11's.

/// The Python type of dc.Array (the class lives as long as the module).
PyTypeObject* array_type() {
  static PyTypeObject* const type = reinterpret_cast<PyTypeObject*>(py::type::of<Array>().ptr());
  return type;
}

/// array as a dc array, or false (nothing raised) when it is not one. An exact dc.Array is read
/// straight from its pybind11 instance: the general caster's type lookups were a tenth of a
/// 1-element add.
bool load_array(PyObject* object, ArrayPtr& array) {
  if (Py_TYPE(object) == array_type()) {
    auto holder = reinterpret_cast<py::detail::instance*>(object)->get_value_and_holder();
    if (holder.holder_constructed()) {
      array = holder.holder<ArrayPtr>();
      return true;
    }
  }
  // Not a dc.Array: a number, say. pybind11's caster would look for a foreign module's type
  // first, raising and clearing an AttributeError (about 3 us of an x * 2.0).
  if (!PyObject_TypeCheck(object, array_type())) return false;
  py::detail::make_caster<ArrayPtr> caster;
  if (!caster.load(object, false)) return false;
  array = py::detail::cast_op<ArrayPtr>(std::move(caster));
  return true;
}

bool is_out_keyword(PyObject* names) {
  if (names == nullptr) return false;
  if (PyTuple_GET_SIZE(names) != 1) return false;
  return PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(names, 0), "out") == 0;
}

/// run_binary(op, a, b, out) as a new reference for a raw CPython function: out_object (the
/// Python object of out, or None) itself when the result went into out, else the new array;
/// nullptr with the Python error set when the operation raised.
PyObject* binary_to_python(dc_binary_op op, const ArrayPtr& a, const ArrayPtr& b,
                           const ArrayPtr& out, PyObject* out_object) {
  try {
    ArrayPtr result = run_binary(op, a, b, out);
    if (out_object != Py_None) return Py_NewRef(out_object);
    return py::cast(std::move(result)).release().ptr();
  } catch (...) {
    return python_error_from_current_exception();
  }
}

/// Calls python/dotcompute/_operators.py for an operand that is not a dc array: a number is
/// applied to every element; anything else gives NotImplemented (operators) or a DTypeError
/// (the built-in functions). A new reference, or nullptr with the Python error set.
template <typename... Args>
PyObject* call_operators(const char* function, Args&&... args) {
  try {
    // Imported once (an import on every x * 2.0 took 4 us of its 9); kept for the process.
    PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> module;
    const py::object& operands =
        module
            .call_once_and_store_result([] { return py::module_::import("dotcompute._operators"); })
            .get_stored();
    return operands.attr(function)(std::forward<Args>(args)...).release().ptr();
  } catch (...) {
    return python_error_from_current_exception();
  }
}

/// The binary built-ins, in the order of binary_methods.
constexpr dc_binary_op kBinaryOps[] = {DC_BINARY_ADD, DC_BINARY_SUBTRACT, DC_BINARY_MULTIPLY,
                                       DC_BINARY_DIVIDE, DC_BINARY_FLOOR_DIVIDE};
/// Their pybind11 bindings, which every other call form goes to (owned for the process).
PyObject* general_binary[std::size(kBinaryOps)] = {};

template <size_t kIndex>
PyObject* binary_fast(PyObject* /*module*/, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* names) {
  PyObject* general = general_binary[kIndex];
  const Py_ssize_t positional = PyVectorcall_NARGS(nargs);
  const bool plain = names == nullptr && (positional == 2 || positional == 3);
  const bool with_out = positional == 2 && is_out_keyword(names);
  if (!plain && !with_out) return PyObject_Vectorcall(general, args, nargs, names);
  // args[2] is out, given by position or (its value follows the positional ones) by keyword.
  PyObject* out_object = positional == 2 && names == nullptr ? Py_None : args[2];
  ArrayPtr a, b, out;
  if (out_object != Py_None && !load_array(out_object, out)) {
    return PyObject_Vectorcall(general, args, nargs, names);
  }
  if (!load_array(args[0], a) || !load_array(args[1], b)) {  // a number, or a wrong type
    return call_operators("function", binary_op_name(kBinaryOps[kIndex]), py::handle(args[0]),
                          py::handle(args[1]), py::handle(out_object));
  }
  return binary_to_python(kBinaryOps[kIndex], a, b, out, out_object);
}

template <size_t kIndex>
constexpr PyCFunction fast_entry() {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&binary_fast<kIndex>));
}

/// CPython keeps pointers to these for the module's life. The docs start with a text signature
/// (inspect.signature reads it).
PyMethodDef binary_methods[] = {
    {"add", fast_entry<0>(), METH_FASTCALL | METH_KEYWORDS,
     "add(a, b, out=None)\n--\n\nElementwise a + b (same shape, dtype and device)."},
    {"subtract", fast_entry<1>(), METH_FASTCALL | METH_KEYWORDS,
     "subtract(a, b, out=None)\n--\n\nElementwise a - b."},
    {"multiply", fast_entry<2>(), METH_FASTCALL | METH_KEYWORDS,
     "multiply(a, b, out=None)\n--\n\nElementwise a * b."},
    {"divide", fast_entry<3>(), METH_FASTCALL | METH_KEYWORDS,
     "divide(a, b, out=None)\n--\n\nElementwise a / b (floating and complex dtypes)."},
    {"floor_divide", fast_entry<4>(), METH_FASTCALL | METH_KEYWORDS,
     "floor_divide(a, b, out=None)\n--\n\nElementwise a // b (integer dtypes; rounds toward "
     "-inf; x // 0 == 0)."},
};
static_assert(std::size(binary_methods) == std::size(kBinaryOps), "one method per op");

/// Binds each binary built-in: its pybind11 function (every argument form and its errors) goes
/// into general_binary, and the fast function takes the name in the module.
void def_binary_builtins(py::module_& m) {
  for (size_t i = 0; i < std::size(kBinaryOps); ++i) {
    PyMethodDef& method = binary_methods[i];
    const dc_binary_op op = kBinaryOps[i];
    py::cpp_function general([op](const ArrayPtr& a, const ArrayPtr& b,
                                  ArrayPtr out) { return run_binary(op, a, b, out); },
                             py::name(method.ml_name), py::arg("a"), py::arg("b"),
                             py::arg("out") = py::none());
    general_binary[i] = general.release().ptr();
    py::object fast = py::reinterpret_steal<py::object>(
        PyCFunction_NewEx(&method, m.ptr(), m.attr("__name__").ptr()));
    if (!fast) throw py::error_already_set();
    m.attr(method.ml_name) = fast;
  }
}

/// Note [Operator fast path]: a + b, a += b and the rest on dc arrays are method descriptors of
/// these METH_FASTCALL functions, set on the Array class (Python's number slots then call them
/// without a bound method or pybind11's dispatcher). A number on the other side goes to
/// _operators.py (x * 2.0, x += 1); another type gives NotImplemented, as pybind11's
/// is_operator did, so Python tries the other side and then raises TypeError. The reflected
/// operators (2.0 * x) and the others (x < y, x % y, ...) are Python methods of _operators.py.
template <size_t kIndex, bool kInPlace>
PyObject* operator_fast(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 1) {
    PyErr_SetString(PyExc_TypeError, "an Array operator takes one operand");
    return nullptr;
  }
  ArrayPtr a, b;
  if (!load_array(self, a)) Py_RETURN_NOTIMPLEMENTED;
  if (!load_array(args[0], b)) {  // a number, or NotImplemented
    return call_operators("forward", binary_op_name(kBinaryOps[kIndex]), py::handle(self),
                          py::handle(args[0]), kInPlace);
  }
  return kInPlace ? binary_to_python(kBinaryOps[kIndex], a, b, a, self)
                  : binary_to_python(kBinaryOps[kIndex], a, b, nullptr, Py_None);
}

template <size_t kIndex, bool kInPlace>
constexpr PyCFunction operator_entry() {
  return reinterpret_cast<PyCFunction>(
      reinterpret_cast<void (*)()>(&operator_fast<kIndex, kInPlace>));
}

/// Indexed like kBinaryOps, then the in-place forms.
PyMethodDef operator_methods[] = {
    {"__add__", operator_entry<0, false>(), METH_FASTCALL, "Return self + value."},
    {"__sub__", operator_entry<1, false>(), METH_FASTCALL, "Return self - value."},
    {"__mul__", operator_entry<2, false>(), METH_FASTCALL, "Return self * value."},
    {"__truediv__", operator_entry<3, false>(), METH_FASTCALL, "Return self / value."},
    {"__floordiv__", operator_entry<4, false>(), METH_FASTCALL, "Return self // value."},
    {"__iadd__", operator_entry<0, true>(), METH_FASTCALL, "self += value."},
    {"__isub__", operator_entry<1, true>(), METH_FASTCALL, "self -= value."},
    {"__imul__", operator_entry<2, true>(), METH_FASTCALL, "self *= value."},
    {"__itruediv__", operator_entry<3, true>(), METH_FASTCALL, "self /= value."},
    {"__ifloordiv__", operator_entry<4, true>(), METH_FASTCALL, "self //= value."},
};

void def_array_operators(PyTypeObject* array) {
  for (PyMethodDef& method : operator_methods) {
    py::object descriptor = py::reinterpret_steal<py::object>(PyDescr_NewMethod(array, &method));
    if (!descriptor || PyObject_SetAttrString(reinterpret_cast<PyObject*>(array), method.ml_name,
                                              descriptor.ptr()) != 0) {
      throw py::error_already_set();
    }
  }
}

ArrayPtr run_reduce(dc_reduce_op op, const ArrayPtr& input, const ArrayPtr& out) {
  if (input->size() >= kReleaseGilElements) {
    py::gil_scoped_release release;
    return reduce(op, *input, out);
  }
  return reduce(op, *input, out);
}

}  // namespace

void bind_ops(py::module_& m) {
  def_binary_builtins(m);
  m.def(
      "_builtin_takes",
      [](const std::string& name, py::handle dtype) {
        for (dc_binary_op op : kBinaryOps) {
          if (name == binary_op_name(op)) return binary_op_takes(op, dtype_from_python(dtype));
        }
        return false;  // an operation the plugins do not have (less, power, ...)
      },
      py::arg("name"), py::arg("dtype"),
      "Whether the plugins have the binary operation `name` for arrays of dtype.");
  m.def(
      "saxpy",
      [](py::object alpha, const ArrayPtr& x, const ArrayPtr& y, const ArrayPtr& out) {
        const ElementBytes alpha_bytes = element_from_python(alpha, x->dtype());
        try {
          if (x->size() >= kReleaseGilElements) {
            py::gil_scoped_release release;
            return axpy(alpha_bytes.bytes, *x, *y, out);
          }
          return axpy(alpha_bytes.bytes, *x, *y, out);
        } catch (const BuiltinInCapture&) {  // as run_binary
          return capture_kernels().attr("axpy")(alpha, x, y, out).cast<ArrayPtr>();
        }
      },
      py::arg("alpha"), py::arg("x"), py::arg("y"), py::arg("out") = py::none(),
      "alpha * x + y, elementwise, in x's dtype.");
  m.def(
      "sum",
      [](const ArrayPtr& x, const ArrayPtr& out) { return run_reduce(DC_REDUCE_SUM, x, out); },
      py::arg("x"), py::arg("out") = py::none(),
      "Sum of every element as a 0-d array (int64/uint64 for integers, accurate for floats), into "
      "out= when given.");
  m.def(
      "min",
      [](const ArrayPtr& x, const ArrayPtr& out) { return run_reduce(DC_REDUCE_MIN, x, out); },
      py::arg("x"), py::arg("out") = py::none(),
      "Smallest element as a 0-d array (NaN when any element is NaN), into out= when given.");
  m.def(
      "max",
      [](const ArrayPtr& x, const ArrayPtr& out) { return run_reduce(DC_REDUCE_MAX, x, out); },
      py::arg("x"), py::arg("out") = py::none(),
      "Largest element as a 0-d array (NaN when any element is NaN), into out= when given.");
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

  def_array_operators(array_type());
}

}  // namespace dotcompute::bindings
