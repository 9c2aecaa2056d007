// cpp/bindings/bind_errors.cpp
// Translates dotcompute::Error into the exception classes of python/dotcompute/errors.py.
#include <array>

#include "bindings.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::bindings {

namespace {

// Indexed by ErrorKind; the names are the classes in python/dotcompute/errors.py.
constexpr std::array<const char*, 13> kClassNames = {
    "DotComputeError",  "BackendUnavailableError", "PluginError",
    "DeviceError",      "InvalidArgumentError",    "ShapeError",
    "DTypeError",       "OutOfMemoryError",        "ReleasedArrayError",
    "UnsupportedError", "CompilationError",        "LaunchError",
    "PipelineError"};

// Borrowed for the life of the interpreter: the errors module is never unloaded.
std::array<PyObject*, kClassNames.size()> exception_classes{};

}  // namespace

void set_python_error(const Error& error) {
  PyErr_SetString(exception_classes[static_cast<size_t>(error.kind())], error.what());
}

PyObject* python_error_from_current_exception() {
  try {
    throw;
  } catch (const Error& error) {
    set_python_error(error);
  } catch (py::error_already_set& error) {
    error.restore();
  } catch (py::builtin_exception& error) {
    error.set_error();
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  }
  return nullptr;
}

void bind_errors(py::module_& m) {
  py::module_ errors = py::module_::import("dotcompute.errors");
  for (size_t i = 0; i < kClassNames.size(); ++i) {
    exception_classes[i] = py::object(errors.attr(kClassNames[i])).release().ptr();
  }
  py::register_exception_translator([](std::exception_ptr pointer) {
    if (!pointer) return;
    try {
      std::rethrow_exception(pointer);
    } catch (const Error& error) {
      set_python_error(error);
    }
  });
  m.def(
      "_raise_error",
      [](int kind, const std::string& message) {
        if (kind < 0 || kind >= static_cast<int>(kClassNames.size())) kind = 0;
        raise(static_cast<ErrorKind>(kind), message);
      },
      "Raises the exception of an ErrorKind (tests of the translation).");
}

}  // namespace dotcompute::bindings
