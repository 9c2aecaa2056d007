// cpp/bindings/bind_kernels.cpp
// Module (loaded device code) and KernelPlan (per-kernel launch fast path) for the frontend.
//
// The launch path is the hot one: a Python loop of tiny launches should cost about a
// microsecond each. So argument conversion avoids pybind11's generic machinery where it is slow
// (scalars are read with the CPython API, arrays through one cached type caster), arguments live
// on the stack (Note [Launch plan] in kernel_launch.hpp), and the GIL is kept for small launches,
// where dropping and taking it back would cost more than the kernel.
#include <pybind11/stl.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/kernel_launch.hpp"
#include "dotcompute/plugin.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute::bindings {

namespace {

/// Launches of at least this many work-items release the GIL (as the built-ins do).
constexpr uint64_t kReleaseGilItems = uint64_t{1} << 15;

std::string repr_of(py::handle object) { return py::cast<std::string>(py::repr(object)); }
std::string type_name_of(py::handle object) { return Py_TYPE(object.ptr())->tp_name; }

std::string argument_label(const KernelPlan& plan, const KernelParam& param) {
  return "argument '" + param.name + "' of " + plan.name() + "()";
}

// -- scalars ------------------------------------------------------------------------------------

[[noreturn]] void scalar_out_of_range(const KernelPlan& plan, const KernelParam& param,
                                      py::handle value) {
  std::string range;
  switch (param.dtype) {
    case DC_DTYPE_INT8:
      range = "-128..127";
      break;
    case DC_DTYPE_INT16:
      range = "-32768..32767";
      break;
    case DC_DTYPE_INT32:
      range = "-2**31..2**31-1";
      break;
    case DC_DTYPE_INT64:
      range = "-2**63..2**63-1";
      break;
    case DC_DTYPE_UINT8:
      range = "0..255";
      break;
    case DC_DTYPE_UINT16:
      range = "0..65535";
      break;
    case DC_DTYPE_UINT32:
      range = "0..2**32-1";
      break;
    case DC_DTYPE_UINT64:
      range = "0..2**64-1";
      break;
    default:
      range = "its finite range";
      break;
  }
  raise(ErrorKind::InvalidArgument, argument_label(plan, param) + " is " + repr_of(value) +
                                        ", which does not fit in " + dtype_name(param.dtype) +
                                        " (" + range + ")");
}

[[noreturn]] void scalar_wrong_type(const KernelPlan& plan, const KernelParam& param,
                                    py::handle value, const char* hint) {
  raise(ErrorKind::DType, argument_label(plan, param) + " must be a " + dtype_name(param.dtype) +
                              " scalar, got " + type_name_of(value) + " " + repr_of(value) + hint);
}

template <typename T>
void store(dc_kernel_arg& arg, T value) {
  std::memcpy(arg.value.scalar, &value, sizeof(T));
}

/// Writes a Python int into an integer, floating or bool slot, with range checks.
void store_integer(const KernelPlan& plan, const KernelParam& param, py::handle value,
                   dc_kernel_arg& arg) {
  const dc_dtype dtype = param.dtype;
  if (dtype_is_floating(dtype)) {
    const double converted = PyLong_AsDouble(value.ptr());
    if (converted == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      scalar_out_of_range(plan, param, value);
    }
    if (dtype == DC_DTYPE_FLOAT64) return store(arg, converted);
    if (dtype == DC_DTYPE_FLOAT32) {
      if (std::fabs(converted) > std::numeric_limits<float>::max())
        scalar_out_of_range(plan, param, value);
      return store(arg, static_cast<float>(converted));
    }
    const ElementBytes element = element_from_python(py::float_(converted), dtype);
    std::memcpy(arg.value.scalar, element.bytes, dtype_size(dtype));
    return;
  }
  if (dtype == DC_DTYPE_UINT64) {
    const unsigned long long converted = PyLong_AsUnsignedLongLong(value.ptr());
    if (converted == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
      PyErr_Clear();
      scalar_out_of_range(plan, param, value);
    }
    return store(arg, static_cast<uint64_t>(converted));
  }
  int overflow = 0;
  const long long converted = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0 || (converted == -1 && PyErr_Occurred())) {
    PyErr_Clear();
    scalar_out_of_range(plan, param, value);
  }
  const auto in_range = [&](long long low, long long high) {
    if (converted < low || converted > high) scalar_out_of_range(plan, param, value);
  };
  switch (dtype) {
    case DC_DTYPE_BOOL:
      if (converted != 0 && converted != 1) {
        scalar_wrong_type(plan, param, value, " (a bool parameter takes True, False, 0 or 1)");
      }
      return store(arg, static_cast<uint8_t>(converted));
    case DC_DTYPE_INT8:
      in_range(INT8_MIN, INT8_MAX);
      return store(arg, static_cast<int8_t>(converted));
    case DC_DTYPE_INT16:
      in_range(INT16_MIN, INT16_MAX);
      return store(arg, static_cast<int16_t>(converted));
    case DC_DTYPE_INT32:
      in_range(INT32_MIN, INT32_MAX);
      return store(arg, static_cast<int32_t>(converted));
    case DC_DTYPE_INT64:
      return store(arg, static_cast<int64_t>(converted));
    case DC_DTYPE_UINT8:
      in_range(0, UINT8_MAX);
      return store(arg, static_cast<uint8_t>(converted));
    case DC_DTYPE_UINT16:
      in_range(0, UINT16_MAX);
      return store(arg, static_cast<uint16_t>(converted));
    case DC_DTYPE_UINT32:
      in_range(0, UINT32_MAX);
      return store(arg, static_cast<uint32_t>(converted));
    default:  // complex: numpy converts
      break;
  }
  const ElementBytes element = element_from_python(value, dtype);
  std::memcpy(arg.value.scalar, element.bytes, dtype_size(dtype));
}

/// Writes a Python float into a floating slot; integer and bool slots refuse floats (a silent
/// truncation of 2.5 to 2 is a classic bug).
void store_float(const KernelPlan& plan, const KernelParam& param, py::handle value,
                 double converted, dc_kernel_arg& arg) {
  switch (param.dtype) {
    case DC_DTYPE_FLOAT64:
      return store(arg, converted);
    case DC_DTYPE_FLOAT32:
      if (std::isfinite(converted) && std::fabs(converted) > std::numeric_limits<float>::max()) {
        // Values just above the largest float32 round down to it; anything beyond overflows.
        const float rounded = static_cast<float>(converted);
        if (std::isinf(rounded)) scalar_out_of_range(plan, param, value);
        return store(arg, rounded);
      }
      return store(arg, static_cast<float>(converted));
    case DC_DTYPE_FLOAT16: {
      if (std::isfinite(converted) && std::fabs(converted) >= 65520.0)
        scalar_out_of_range(plan, param, value);
      const ElementBytes element = element_from_python(py::float_(converted), DC_DTYPE_FLOAT16);
      std::memcpy(arg.value.scalar, element.bytes, 2);
      return;
    }
    case DC_DTYPE_COMPLEX64:
    case DC_DTYPE_COMPLEX128: {
      const ElementBytes element = element_from_python(value, param.dtype);
      std::memcpy(arg.value.scalar, element.bytes, dtype_size(param.dtype));
      return;
    }
    default:
      scalar_wrong_type(plan, param, value, "; convert it explicitly, e.g. with int()");
  }
}

PyObject* numpy_generic_type() {
  static PyObject* type = py::object(py::module_::import("numpy").attr("generic")).release().ptr();
  return type;
}

void store_scalar(const KernelPlan& plan, const KernelParam& param, py::handle value,
                  dc_kernel_arg& arg) {
  PyObject* object = value.ptr();
  // Fast paths first: exact Python bool, int and float.
  if (PyBool_Check(object)) {
    if (param.dtype == DC_DTYPE_BOOL || dtype_is_integer(param.dtype) ||
        dtype_is_floating(param.dtype)) {
      return store_integer(plan, param, py::int_(object == Py_True ? 1 : 0), arg);
    }
  }
  if (PyLong_Check(object) && !PyBool_Check(object)) {
    if (param.dtype == DC_DTYPE_BOOL)
      scalar_wrong_type(plan, param, value, " (pass True or False)");
    return store_integer(plan, param, value, arg);
  }
  if (PyFloat_Check(object)) return store_float(plan, param, value, PyFloat_AS_DOUBLE(object), arg);
  // numpy scalars: their Python value carries the same number exactly (float32 -> float is
  // exact), and numpy floats into integer parameters stay refused like Python floats.
  if (PyObject_IsInstance(object, numpy_generic_type()) == 1) {
    py::object item = value.attr("item")();
    if (PyLong_Check(item.ptr()) || PyFloat_Check(item.ptr()) || PyBool_Check(item.ptr())) {
      return store_scalar(plan, param, item, arg);
    }
    if (PyComplex_Check(item.ptr()) && dtype_is_complex(param.dtype)) {
      const ElementBytes element = element_from_python(item, param.dtype);
      std::memcpy(arg.value.scalar, element.bytes, dtype_size(param.dtype));
      return;
    }
    scalar_wrong_type(plan, param, value, "");
  }
  if (PyComplex_Check(object) && dtype_is_complex(param.dtype)) {
    const ElementBytes element = element_from_python(value, param.dtype);
    std::memcpy(arg.value.scalar, element.bytes, dtype_size(param.dtype));
    return;
  }
  // Arrays (dc or numpy) also convert through __index__/__float__ when they hold one element;
  // refuse them by name instead, so the message says which argument is wrong.
  if (PyObject_IsInstance(object, py::type::of<Array>().ptr()) == 1 ||
      py::isinstance<py::array>(value)) {
    scalar_wrong_type(plan, param, value, " (pass a Python or numpy scalar, not an array)");
  }
  // Other number types: __index__ for integers, __float__ for floating parameters.
  if (PyIndex_Check(object) && !PyBool_Check(object)) {
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(object));
    if (!index) throw py::error_already_set();
    return store_scalar(plan, param, index, arg);
  }
  if (dtype_is_floating(param.dtype) && Py_TYPE(object)->tp_as_number != nullptr &&
      Py_TYPE(object)->tp_as_number->nb_float != nullptr) {
    py::object as_float = py::reinterpret_steal<py::object>(PyNumber_Float(object));
    if (!as_float) throw py::error_already_set();
    return store_float(plan, param, value, PyFloat_AS_DOUBLE(as_float.ptr()), arg);
  }
  scalar_wrong_type(plan, param, value, "");
}

// -- sizes --------------------------------------------------------------------------------------

/// A size from a Python int (or anything with __index__ but bool); false when it is not one.
bool size_value(py::handle item, const char* what, int64_t* out) {
  PyObject* object = item.ptr();
  if (PyBool_Check(object) || (!PyLong_Check(object) && !PyIndex_Check(object))) return false;
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(object));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  *out = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0) {
    raise(ErrorKind::InvalidArgument, std::string(what) + " " + repr_of(item) + " is too large");
  }
  return true;
}

/// Parses an int or a sequence of 1 to 3 ints into sizes; returns the dimension count.
uint32_t parse_sizes(py::handle object, uint64_t out[3], const char* what, int64_t minimum) {
  const auto bad = [&]() {
    raise(ErrorKind::InvalidArgument,
          std::string(what) + " must be an int or a tuple of 1 to 3 ints, got " + repr_of(object));
  };
  const auto check = [&](py::handle item, uint32_t d) {
    int64_t value = 0;
    if (!size_value(item, what, &value)) bad();
    if (value < minimum) {
      raise(ErrorKind::InvalidArgument, std::string(what) +
                                            " must be >= " + std::to_string(minimum) +
                                            " in every dimension, got " + repr_of(object));
    }
    out[d] = static_cast<uint64_t>(value);
  };
  PyObject* raw = object.ptr();
  if (PyLong_CheckExact(raw) || (PyIndex_Check(raw) && !PySequence_Check(raw))) {
    if (PyBool_Check(raw)) bad();
    check(object, 0);
    return 1;
  }
  if (!PyTuple_Check(raw) && !PyList_Check(raw)) bad();
  py::sequence items = py::reinterpret_borrow<py::sequence>(object);
  const size_t count = items.size();
  if (count < 1 || count > 3) bad();
  for (size_t d = 0; d < count; ++d) check(items[d], static_cast<uint32_t>(d));
  return static_cast<uint32_t>(count);
}

// -- launch -------------------------------------------------------------------------------------

/// The stream a launch goes to: stream_object when given (a dc.Stream), else this thread's
/// current stream on the plan's device (Note [Current stream]), else nullptr (the default
/// stream, the fast path).
const Stream* launch_stream(const KernelPlan& plan, py::handle stream_object) {
  if (stream_object.is_none()) {
    return current_stream_for(plan.module()->plugin(), plan.module()->device_index());
  }
  py::detail::make_caster<Stream> caster;
  if (!caster.load(stream_object, false)) {
    throw py::type_error(plan.name() + "(): stream= must be a dc.Stream, got " +
                         type_name_of(stream_object));
  }
  return &py::detail::cast_op<const Stream&>(caster);
}

void launch_plan(const KernelPlan& plan, py::handle global_size, py::handle args_object,
                 py::handle local_size, py::handle stream_object) {
  if (!PyTuple_Check(args_object.ptr()) && !PyList_Check(args_object.ptr())) {
    throw py::type_error(plan.name() + "(): args must be a tuple of kernel arguments, got " +
                         type_name_of(args_object));
  }
  py::sequence args = py::reinterpret_borrow<py::sequence>(args_object);
  const std::vector<KernelParam>& params = plan.params();
  const size_t given = static_cast<size_t>(PySequence_Fast_GET_SIZE(args.ptr()));
  if (given != params.size()) {
    std::string names;
    for (size_t i = 0; i < params.size(); ++i) names += (i > 0 ? ", " : "") + params[i].name;
    throw py::type_error(plan.name() + "() takes " + std::to_string(params.size()) +
                         (params.size() == 1 ? " argument (" : " arguments (") + names + "), got " +
                         std::to_string(given));
  }

  LaunchGeometry geometry;
  geometry.dimensions = parse_sizes(global_size, geometry.global_size, "global size", 0);
  if (!local_size.is_none()) {
    uint64_t local[3] = {0, 0, 0};
    const uint32_t local_dims = parse_sizes(local_size, local, "local_size", 1);
    if (local_dims != geometry.dimensions) {
      raise(ErrorKind::InvalidArgument,
            "local_size " + repr_of(local_size) + " has " + std::to_string(local_dims) +
                " dimension(s) but the global size " + repr_of(global_size) + " has " +
                std::to_string(geometry.dimensions));
    }
    for (uint32_t d = 0; d < 3; ++d) geometry.local_size[d] = local[d];
  }

  dc_kernel_arg inline_args[KernelPlan::kInlineArgs];
  std::vector<dc_kernel_arg> heap_args;
  dc_kernel_arg* filled = inline_args;
  const uint32_t slot_count = plan.slot_count();
  if (slot_count > KernelPlan::kInlineArgs) {
    heap_args = plan.arg_template();
    filled = heap_args.data();
  } else if (slot_count > 0) {
    std::memcpy(inline_args, plan.arg_template().data(), slot_count * sizeof(dc_kernel_arg));
  }

  const Stream* stream = launch_stream(plan, stream_object);
  // Memory of the arrays, kept by a graph that captures the stream (Note [Graphs]).
  std::vector<std::shared_ptr<Storage>> storages;
  const bool keep_storages = stream != nullptr && stream->capturing() != nullptr;

  const Array* first_array = nullptr;
  size_t first_array_index = 0;
  py::detail::make_caster<Array> caster;
  for (size_t i = 0; i < params.size(); ++i) {
    const KernelParam& param = params[i];
    py::handle value = PySequence_Fast_GET_ITEM(args.ptr(), static_cast<py::ssize_t>(i));
    if (param.kind == KernelParam::Kind::Scalar) {
      store_scalar(plan, param, value, filled[plan.slots()[i]]);
      continue;
    }
    if (!caster.load(value, false)) {
      std::string hint;
      if (py::isinstance<py::array>(value)) {
        hint = "; wrap numpy arrays with dc.asarray(...)";
      } else if (py::hasattr(value, "__cuda_array_interface__") ||
                 py::hasattr(value, "__dlpack__")) {
        hint = "; wrap it with dc.asarray(...), which shares GPU memory without copying";
      }
      raise(ErrorKind::DType, argument_label(plan, param) + " must be a " +
                                  dtype_name(param.dtype) + " array (dc.Array), got " +
                                  type_name_of(value) + hint);
    }
    const Array& array = py::detail::cast_op<const Array&>(caster);
    plan.bind_array(i, array, filled, first_array, first_array_index);
    if (keep_storages) storages.push_back(array.storage_shared());
    if (first_array == nullptr) {
      first_array = &array;
      first_array_index = i;
    }
  }

  const dc_launch_config config = plan.configure(geometry);
  plan.write_global_size(config, filled);
  uint64_t items = 1;
  for (uint32_t d = 0; d < geometry.dimensions; ++d) items *= geometry.global_size[d];
  if (items == 0) return;  // an empty index space: arguments checked, nothing to run
  if (stream != nullptr) {
    const KernelPlanPtr shared = std::const_pointer_cast<KernelPlan>(plan.shared_from_this());
    if (items >= kReleaseGilItems) {
      py::gil_scoped_release release;
      launch_on_stream(*stream, shared, config, filled, storages);
    } else {
      launch_on_stream(*stream, shared, config, filled, storages);
    }
    return;
  }
  if (items >= kReleaseGilItems) {
    py::gil_scoped_release release;
    plan.launch(config, filled);
  } else {
    plan.launch(config, filled);
  }
}

// -- building plans -----------------------------------------------------------------------------

dc_dtype param_dtype(py::handle object) {
  if (PyLong_Check(object.ptr()) && !PyBool_Check(object.ptr())) {
    const long code = PyLong_AsLong(object.ptr());
    if (dtype_is_valid(static_cast<dc_dtype>(code))) return static_cast<dc_dtype>(code);
    raise(ErrorKind::DType, "unknown dtype code " + std::to_string(code));
  }
  return dtype_from_python(object);
}

std::vector<KernelParam> params_from_python(py::handle params) {
  std::vector<KernelParam> result;
  for (py::handle entry : py::reinterpret_borrow<py::iterable>(params)) {
    const auto bad = [&]() {
      raise(ErrorKind::InvalidArgument,
            "a kernel parameter is ('array', dtype, ndim[, name[, written]]) or "
            "('scalar', dtype[, name]), "
            "got " +
                repr_of(entry));
    };
    if (!PyTuple_Check(entry.ptr()) && !PyList_Check(entry.ptr())) bad();
    py::sequence fields = py::reinterpret_borrow<py::sequence>(entry);
    if (fields.size() < 2 || !py::isinstance<py::str>(fields[0])) bad();
    const std::string kind = py::cast<std::string>(fields[0]);
    KernelParam param{KernelParam::Kind::Scalar, param_dtype(fields[1]), 0, "", false};
    size_t name_field = 2;
    if (kind == "array") {
      if (fields.size() < 3 || fields.size() > 5) bad();
      param.kind = KernelParam::Kind::Array;
      param.ndim = py::cast<int>(fields[2]);
      param.written = fields.size() < 5 || py::cast<bool>(fields[4]);
      name_field = 3;
    } else if (kind != "scalar" || fields.size() > 3) {
      bad();
    }
    if (fields.size() > name_field) param.name = py::cast<std::string>(fields[name_field]);
    result.push_back(std::move(param));
  }
  return result;
}

py::tuple params_to_python(const KernelPlan& plan) {
  py::tuple result(plan.params().size());
  for (size_t i = 0; i < plan.params().size(); ++i) {
    const KernelParam& param = plan.params()[i];
    if (param.kind == KernelParam::Kind::Array) {
      result[i] =
          py::make_tuple("array", dtype_name(param.dtype), param.ndim, param.name, param.written);
    } else {
      result[i] = py::make_tuple("scalar", dtype_name(param.dtype), param.name);
    }
  }
  return result;
}

/// DOTCOMPUTE_DEBUG as kernel.py's _debug_requested reads it: a lookup in os.environ's own
/// dict (one hash probe; getenv would scan the whole environment on every launch).
class DebugSwitch {
 public:
  DebugSwitch() {
    py::object environ = py::module_::import("os").attr("environ");
    if (py::hasattr(environ, "_data") && py::hasattr(environ, "encodekey")) {
      data_ = environ.attr("_data");
      key_ = environ.attr("encodekey")("DOTCOMPUTE_DEBUG");
    }
  }
  bool requested() const {
    if (!data_ || !PyDict_Check(data_.ptr())) {
      const char* value = std::getenv("DOTCOMPUTE_DEBUG");
      return value != nullptr && enabled(value, std::strlen(value));
    }
    PyObject* raw = PyDict_GetItem(data_.ptr(), key_.ptr());  // borrowed, no error set
    if (raw == nullptr || !PyBytes_Check(raw)) return false;
    return enabled(PyBytes_AS_STRING(raw), static_cast<size_t>(PyBytes_GET_SIZE(raw)));
  }

 private:
  static bool enabled(const char* text, size_t size) {
    const std::string value(text, size);
    return !(value.empty() || value == "0" || value == "false" || value == "no");
  }
  py::object data_, key_;
};

bool debug_requested() {
  static const DebugSwitch* debug_switch = new DebugSwitch();  // lives as long as the module
  return debug_switch->requested();
}

/// Note [Launcher]
/// kernel[n] returns a Launcher (cached per n by the Kernel). A call with only positional
/// arguments runs the Kernel's last plan straight from C++: a plain CPython type with tp_call, so
/// no Python frame and no pybind11 dispatch stand between the call and the plugin's launch (on a
/// GPU most of a launch's cost beyond the driver's). Every other case (keywords, debug mode, no
/// plan yet, arguments of another specialization: the plan raises DeviceError or DTypeError
/// before running anything) goes to Python: a plain call whose last plan did not fit to
/// Kernel._launch_new_plan (so the last plan is not tried a second time), the rest to
/// Kernel.launch. Plans are chosen and built in Python only.
/// The Launcher and its Kernel refer to each other (Kernel._launchers), so the type takes part
/// in garbage collection.
struct LauncherObject {
  PyObject_HEAD PyObject* kernel;
  PyObject* global_size;
  bool kernel_debug;  // Kernel(debug=True): every launch goes through Kernel.launch
};

PyObject* last_plan_name = nullptr;
PyObject* launch_name = nullptr;
PyObject* launch_new_plan_name = nullptr;

/// true: launched; false: the plan does not fit these arguments (or there is none).
bool launch_last_plan(LauncherObject* self, PyObject* args) {
  py::object plan =
      py::reinterpret_steal<py::object>(PyObject_GetAttr(self->kernel, last_plan_name));
  if (!plan) throw py::error_already_set();
  py::detail::make_caster<KernelPlan> caster;
  if (plan.is_none() || !caster.load(plan, false)) return false;
  try {
    launch_plan(py::detail::cast_op<const KernelPlan&>(caster), self->global_size, args, py::none(),
                py::none());
    return true;
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::Device && error.kind() != ErrorKind::DType) throw;
    return false;
  }
}

PyObject* launcher_call(PyObject* self_object, PyObject* args, PyObject* kwargs) {
  auto* self = reinterpret_cast<LauncherObject*>(self_object);
  if ((kwargs == nullptr || PyDict_GET_SIZE(kwargs) == 0) && !self->kernel_debug) {
    try {
      if (!debug_requested()) {
        if (launch_last_plan(self, args)) Py_RETURN_NONE;
        return PyObject_CallMethodObjArgs(self->kernel, launch_new_plan_name, self->global_size,
                                          args, nullptr);
      }
    } catch (...) {
      return python_error_from_current_exception();
    }
  }
  const Py_ssize_t count = PyTuple_GET_SIZE(args);
  PyObject* forwarded = PyTuple_New(count + 1);
  if (forwarded == nullptr) return nullptr;
  Py_INCREF(self->global_size);
  PyTuple_SET_ITEM(forwarded, 0, self->global_size);
  for (Py_ssize_t i = 0; i < count; ++i) {
    PyObject* item = PyTuple_GET_ITEM(args, i);
    Py_INCREF(item);
    PyTuple_SET_ITEM(forwarded, i + 1, item);
  }
  PyObject* launch = PyObject_GetAttr(self->kernel, launch_name);
  PyObject* result = launch == nullptr ? nullptr : PyObject_Call(launch, forwarded, kwargs);
  Py_XDECREF(launch);
  Py_DECREF(forwarded);
  return result;
}

PyObject* launcher_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"kernel", "global_size", nullptr};
  PyObject *kernel = nullptr, *global_size = nullptr;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO:_Launcher", const_cast<char**>(keywords),
                                   &kernel, &global_size)) {
    return nullptr;
  }
  PyObject* debug = PyObject_GetAttrString(kernel, "_debug");
  if (debug == nullptr) PyErr_Clear();
  const int debug_on = debug == nullptr ? 0 : PyObject_IsTrue(debug);
  Py_XDECREF(debug);
  if (debug_on < 0) return nullptr;
  auto* self = reinterpret_cast<LauncherObject*>(type->tp_alloc(type, 0));
  if (self == nullptr) return nullptr;
  Py_INCREF(kernel);
  Py_INCREF(global_size);
  self->kernel = kernel;
  self->global_size = global_size;
  self->kernel_debug = debug_on != 0;
  return reinterpret_cast<PyObject*>(self);
}

int launcher_traverse(PyObject* self_object, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<LauncherObject*>(self_object);
  Py_VISIT(self->kernel);
  Py_VISIT(self->global_size);
  Py_VISIT(Py_TYPE(self_object));  // a heap type is owned by its instances
  return 0;
}

int launcher_clear(PyObject* self_object) {
  auto* self = reinterpret_cast<LauncherObject*>(self_object);
  Py_CLEAR(self->kernel);
  Py_CLEAR(self->global_size);
  return 0;
}

void launcher_dealloc(PyObject* self_object) {
  PyTypeObject* type = Py_TYPE(self_object);
  PyObject_GC_UnTrack(self_object);
  launcher_clear(self_object);
  type->tp_free(self_object);
  Py_DECREF(type);
}

PyObject* launcher_global_size(PyObject* self_object, void*) {
  PyObject* size = reinterpret_cast<LauncherObject*>(self_object)->global_size;
  Py_INCREF(size);
  return size;
}

/// The _Launcher type (a heap type made from a spec).
py::object make_launcher_type() {
  static PyGetSetDef getset[] = {
      {"global_size", launcher_global_size, nullptr, "The global size it launches over.", nullptr},
      {nullptr, nullptr, nullptr, nullptr, nullptr}};
  static PyType_Slot slots[] = {
      {Py_tp_new, reinterpret_cast<void*>(launcher_new)},
      {Py_tp_call, reinterpret_cast<void*>(launcher_call)},
      {Py_tp_traverse, reinterpret_cast<void*>(launcher_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(launcher_clear)},
      {Py_tp_dealloc, reinterpret_cast<void*>(launcher_dealloc)},
      {Py_tp_getset, getset},
      {Py_tp_doc,
       const_cast<char*>("kernel[global_size]: launches with the kernel's last plan from C++ "
                         "(Note [Launcher]).")},
      {0, nullptr}};
  static PyType_Spec spec = {"dotcompute._core._Launcher", sizeof(LauncherObject), 0,
                             Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, slots};
  last_plan_name = PyUnicode_InternFromString("_last_plan");
  launch_name = PyUnicode_InternFromString("launch");
  launch_new_plan_name = PyUnicode_InternFromString("_launch_new_plan");
  PyObject* type = PyType_FromSpec(&spec);
  if (type == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(type);
}

}  // namespace

void bind_kernels(py::module_& m) {
  m.attr("_Launcher") = make_launcher_type();
  py::class_<Module, ModulePtr>(
      m, "Module",
      "Device code loaded on one device (on the CPU: a compiled kernel shared object). Keeps its "
      "backend loaded while it lives.")
      .def_property_readonly("device", [](const Module& self) { return Device(self.device()); })
      .def_property_readonly("is_current", &Module::is_current,
                             "False once the backend was reloaded or unloaded.")
      .def_property_readonly("max_work_group_size", &Module::max_work_group_size)
      .def(
          "kernel",
          [](const ModulePtr& self, const std::string& symbol, py::handle params,
             uint64_t shared_bytes, uint64_t per_item_bytes, bool uses_barrier,
             py::handle default_local_size, const std::string& name, bool append_global_size) {
            std::vector<uint64_t> local;
            if (!default_local_size.is_none()) {
              uint64_t sizes[3] = {0, 0, 0};
              const uint32_t dims = parse_sizes(default_local_size, sizes, "default_local_size", 1);
              local.assign(sizes, sizes + dims);
            }
            return std::make_shared<KernelPlan>(self, symbol, name, params_from_python(params),
                                                shared_bytes, per_item_bytes, uses_barrier,
                                                std::move(local), append_global_size);
          },
          py::arg("symbol"), py::arg("params"), py::arg("shared_bytes") = 0,
          py::arg("per_item_bytes") = 0, py::arg("uses_barrier") = false,
          py::arg("default_local_size") = py::none(), py::arg("name") = "",
          py::arg("append_global_size") = false,
          "A launch plan for the kernel exported as symbol. params lists ('array', dtype, ndim"
          "[, name]) and ('scalar', dtype[, name]) in declaration order; name is the kernel's "
          "Python name used in error messages. append_global_size: three hidden int64 "
          "arguments after the parameters carry each launch's global size (CUDA kernels).")
      .def("__repr__", [](const Module& self) {
        return "<dotcompute Module on '" + self.device().str() + "'>";
      });

  py::class_<KernelPlan, KernelPlanPtr>(
      m, "KernelPlan",
      "One specialization of a kernel, ready to launch: everything but the argument values is "
      "precomputed.")
      .def_property_readonly("name", &KernelPlan::name)
      .def_property_readonly("symbol", &KernelPlan::symbol)
      .def_property_readonly("signature", &KernelPlan::signature)
      .def_property_readonly("slot_count", &KernelPlan::slot_count)
      .def_property_readonly("params", &params_to_python)
      .def_property_readonly("module", &KernelPlan::module)
      .def_property_readonly("uses_barrier", &KernelPlan::uses_barrier)
      .def_property_readonly("shared_bytes", &KernelPlan::shared_bytes)
      .def_property_readonly("per_item_bytes", &KernelPlan::per_item_bytes)
      .def_property_readonly("appends_global_size", &KernelPlan::appends_global_size)
      .def_property_readonly("default_local_size",
                             [](const KernelPlan& self) -> py::object {
                               if (self.default_local_size().empty()) return py::none();
                               return py::cast(self.default_local_size());
                             })
      .def_property_readonly("device",
                             [](const KernelPlan& self) { return Device(self.module()->device()); })
      .def(
          "launch",
          [](const KernelPlan& self, py::handle global_size, py::handle args, py::handle local_size,
             py::handle stream) { launch_plan(self, global_size, args, local_size, stream); },
          py::arg("global_size"), py::arg("args"), py::arg("local_size") = py::none(),
          py::arg("stream") = py::none(),
          "Runs the kernel over global_size (an int or a 1-3 tuple) with args (a tuple in "
          "declaration order) on stream (None: the current stream, by default the device's "
          "default stream); returns when it has finished on the CPU.")
      .def(
          "__call__",
          [](const KernelPlan& self, py::handle global_size, py::args args, py::handle local_size,
             py::handle stream) { launch_plan(self, global_size, args, local_size, stream); },
          py::arg("global_size"), py::arg("local_size") = py::none(),
          py::arg("stream") = py::none(),
          "plan(global_size, *args, local_size=None, stream=None): same as launch.")
      .def("__repr__", [](const KernelPlan& self) {
        return "<dotcompute KernelPlan " + self.signature() + " on '" +
               self.module()->device().str() + "'>";
      });

  m.def(
      "compile_module",
      [](py::object device, const std::string& source, const std::string& options) {
        const ResolvedDevice resolved = resolve_device(device_from_python(device));
        Plugin& plugin = *resolved.plugin;
        const dc_backend_iface& iface = plugin.iface();
        if (iface.module == nullptr || iface.module->compile == nullptr ||
            iface.module->free_blob == nullptr) {
          raise(ErrorKind::Unsupported, "backend '" + plugin.name() +
                                            "' compiles no source (its module table has no "
                                            "compile slot)");
        }
        const dc_module_iface& table = *iface.module;
        void* image = nullptr;
        uint64_t image_size = 0;
        char* log = nullptr;
        dc_status status = DC_STATUS_OK;
        {
          py::gil_scoped_release release;  // NVRTC takes tens of milliseconds
          status = table.compile(resolved.index, source.c_str(), options.c_str(), &image,
                                 &image_size, &log);
        }
        // Copy both blobs before anything can throw, then give them back to the plugin.
        const std::string log_text = log != nullptr ? std::string(log) : std::string();
        const std::string image_bytes =
            image != nullptr
                ? std::string(static_cast<const char*>(image), static_cast<size_t>(image_size))
                : std::string();
        if (image != nullptr) table.free_blob(image);
        if (log != nullptr) table.free_blob(log);
        if (status == DC_STATUS_COMPILATION_FAILED) {
          return py::make_tuple(false, py::bytes(), log_text);
        }
        plugin.check(status, "compile");
        return py::make_tuple(true, py::bytes(image_bytes), log_text);
      },
      py::arg("device"), py::arg("source"), py::arg("options") = "",
      "Compiles backend source (CUDA C++ on cuda) through the plugin's module table: "
      "(True, image, log) on success, (False, b'', log) when the compiler rejected it. Other "
      "failures raise; UnsupportedError when the backend has no compile slot.");

  m.def(
      "load_module",
      [](py::object device, py::bytes image) {
        const DeviceSpec spec = device_from_python(device);
        std::string bytes = image;
        py::gil_scoped_release release;  // dlopen of a large module takes a while
        return Module::load(spec, bytes.data(), bytes.size());
      },
      py::arg("device"), py::arg("image"),
      "Loads device code on a device. On the CPU the image is the path of a kernel shared "
      "object, UTF-8 encoded and NUL-terminated (cpu_kernel_abi.h).");
}

}  // namespace dotcompute::bindings
