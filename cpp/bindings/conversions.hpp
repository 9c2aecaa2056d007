// cpp/bindings/conversions.hpp
// Python <-> core conversions shared by the binding files: dtypes, shapes, device specs.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "dotcompute/array.hpp"
#include "dotcompute/backend_abi.h"
#include "dotcompute/device.hpp"

namespace dotcompute::bindings {

namespace py = pybind11;

/// A dtype from "float32", numpy.float32, numpy.dtype(...) or dc.float32. Throws Error(DType)
/// naming the supported dtypes otherwise.
dc_dtype dtype_from_python(py::handle object);
/// The numpy dtype object of a code.
py::dtype numpy_dtype(dc_dtype dtype);
/// The array-interface type string ("<f4", "|b1").
std::string typestr(dc_dtype dtype);

/// A shape from an int or a sequence of ints. Throws Error(Shape) for anything else.
Shape shape_from_python(py::handle object);
py::tuple shape_to_python(const Shape& shape);

/// None -> the default device; a spec string; or a Device.
DeviceSpec device_from_python(py::handle object);

/// Element bits of a Python scalar converted to dtype (for fill and axpy's alpha); 16 bytes.
struct ElementBytes {
  alignas(16) unsigned char bytes[16] = {};
};
ElementBytes element_from_python(py::handle value, dc_dtype dtype);

}  // namespace dotcompute::bindings
