// cpp/bindings/array_bridge.hpp
// Conversions between dc arrays and numpy / DLPack objects, used by bind_arrays and bind_dlpack.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <utility>

#include "dotcompute/array.hpp"

namespace dotcompute::bindings {

namespace py = pybind11;

/// A numpy array on a device: wrapped without copying when the device is host visible, the data
/// contiguous, aligned and native-endian, and copy is not forced; copied otherwise. copy=false
/// with a copy needed raises InvalidArgumentError.
ArrayPtr array_from_numpy(py::array source, const DeviceSpec& device, py::object copy);

/// A numpy view of a host-visible array sharing its memory (keeps the array alive).
py::array numpy_view(const ArrayPtr& array);
/// A copy of the data (any device) in a new numpy array, or in `out` when given (checked).
py::array numpy_copy(const Array& array, const py::object& out = py::none());

/// DLPack export: a "dltensor" capsule, or "dltensor_versioned" when versioned is true.
py::capsule to_dlpack(const ArrayPtr& array, bool versioned);
/// (device_type, device_id) of DLPack.
std::pair<int, int> dlpack_device(const Array& array);
/// Import of a DLPack capsule without copying. Returns nullptr when the tensor cannot be wrapped
/// (strided, or on a device type no loaded backend serves); the caller then copies.
ArrayPtr from_dlpack_capsule(py::capsule capsule, const DeviceSpec& cpu_device);

}  // namespace dotcompute::bindings
