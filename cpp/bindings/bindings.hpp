// cpp/bindings/bindings.hpp
// The bind_<area> functions module.cpp calls, and helpers shared by the binding files.
#pragma once

#include <pybind11/pybind11.h>

namespace dotcompute {
class Error;
}

namespace dotcompute::bindings {

namespace py = pybind11;

/// Sets the Python exception matching a C++ Error (for code that is not a pybind11 function and
/// so gets no automatic translation, like the Launcher's tp_call).
void set_python_error(const Error& error);
/// Inside a catch block: sets the Python error for the C++ exception being handled (Error,
/// pybind11's exceptions, std::exception) and returns nullptr, for raw CPython functions.
PyObject* python_error_from_current_exception();

void bind_errors(py::module_& m);    // bind_errors.cpp: C++ Error -> dotcompute.errors classes
void bind_plugins(py::module_& m);   // bind_plugins.cpp: registry, load/unload/reload, probe
void bind_devices(py::module_& m);   // bind_devices.cpp: Device, devices(), get_device()
void bind_memory(py::module_& m);    // bind_memory.cpp: memory_stats, empty_cache, limits
void bind_arrays(py::module_& m);    // bind_arrays.cpp: Array, constructors, buffer protocol
void bind_dlpack(py::module_& m);    // bind_dlpack.cpp: __dlpack__, from_dlpack
void bind_ops(py::module_& m);       // bind_ops.cpp: built-in elementwise ops and reductions
void bind_kernels(py::module_& m);   // bind_kernels.cpp: Module, KernelPlan, load_module
void bind_streams(py::module_& m);   // bind_streams.cpp: Stream, Event, Graph
void bind_pipeline(py::module_& m);  // bind_pipeline.cpp: Pipeline executor, CancelToken

// bind_algorithms.cpp: matmul, fft, axis reductions, cumsum, sort (the algorithm library).
void bind_algorithms(py::module_& m);

}  // namespace dotcompute::bindings
