// cpp/bindings/conversions.cpp
// Python <-> core conversions: numpy does the dtype parsing so every spelling numpy accepts works.
#include "conversions.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::bindings {

namespace {

const char* const kSupportedDtypes =
    "bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64, "
    "complex64, complex128";

dc_dtype dtype_from_kind(char kind, py::ssize_t itemsize) {
  switch (kind) {
    case 'b':
      return itemsize == 1 ? DC_DTYPE_BOOL : -1;
    case 'i':
      return itemsize == 1   ? DC_DTYPE_INT8
             : itemsize == 2 ? DC_DTYPE_INT16
             : itemsize == 4 ? DC_DTYPE_INT32
             : itemsize == 8 ? DC_DTYPE_INT64
                             : -1;
    case 'u':
      return itemsize == 1   ? DC_DTYPE_UINT8
             : itemsize == 2 ? DC_DTYPE_UINT16
             : itemsize == 4 ? DC_DTYPE_UINT32
             : itemsize == 8 ? DC_DTYPE_UINT64
                             : -1;
    case 'f':
      return itemsize == 2   ? DC_DTYPE_FLOAT16
             : itemsize == 4 ? DC_DTYPE_FLOAT32
             : itemsize == 8 ? DC_DTYPE_FLOAT64
                             : -1;
    case 'c':
      return itemsize == 8 ? DC_DTYPE_COMPLEX64 : itemsize == 16 ? DC_DTYPE_COMPLEX128 : -1;
    default:
      return -1;
  }
}

}  // namespace

dc_dtype dtype_from_python(py::handle object) {
  if (object.is_none())
    raise(ErrorKind::DType, std::string("dtype is required; one of ") + kSupportedDtypes);
  // Fast path for the common spelling: a dtype name string.
  if (py::isinstance<py::str>(object)) {
    const std::string name = py::cast<std::string>(object);
    for (dc_dtype code = 0; code < DC_DTYPE_COUNT; ++code) {
      if (name == dtype_name(code)) return code;
    }
  }
  py::dtype parsed;
  try {
    parsed = py::dtype::from_args(py::reinterpret_borrow<py::object>(object));
  } catch (py::error_already_set&) {
    raise(ErrorKind::DType, "unknown dtype " + py::cast<std::string>(py::repr(object)) +
                                "; supported: " + kSupportedDtypes);
  }
  const dc_dtype code = dtype_from_kind(parsed.kind(), parsed.itemsize());
  if (code < 0) {
    raise(ErrorKind::DType, "dtype " + py::cast<std::string>(py::str(parsed)) +
                                " is not supported; supported: " + kSupportedDtypes);
  }
  return code;
}

py::dtype numpy_dtype(dc_dtype dtype) {
  // Cached once per code: building a numpy dtype from a string costs about a microsecond.
  static py::handle cache[DC_DTYPE_COUNT] = {};
  if (!dtype_is_valid(dtype))
    raise(ErrorKind::DType, "unknown dtype code " + std::to_string(dtype));
  if (!cache[dtype]) cache[dtype] = py::dtype(dtype_name(dtype)).release();
  return py::reinterpret_borrow<py::dtype>(cache[dtype]);
}

std::string typestr(dc_dtype dtype) {
  const char byte_order = dtype_size(dtype) == 1 ? '|' : '<';
  const char kind = dtype == DC_DTYPE_BOOL             ? 'b'
                    : dtype_is_signed_integer(dtype)   ? 'i'
                    : dtype_is_unsigned_integer(dtype) ? 'u'
                    : dtype_is_floating(dtype)         ? 'f'
                                                       : 'c';
  return std::string(1, byte_order) + kind + std::to_string(dtype_size(dtype));
}

Shape shape_from_python(py::handle object) {
  const auto dimension = [&](py::handle item) -> int64_t {
    if (!PyLong_Check(item.ptr()) && !PyIndex_Check(item.ptr())) {
      raise(ErrorKind::Shape, "shape must be an int or a sequence of ints, got " +
                                  py::cast<std::string>(py::repr(object)));
    }
    int overflow = 0;
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
    if (!index) throw py::error_already_set();
    const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (overflow != 0) {
      raise(ErrorKind::Shape, "dimension " + py::cast<std::string>(py::repr(item)) + " in shape " +
                                  py::cast<std::string>(py::repr(object)) +
                                  " does not fit in 64 bits");
    }
    return value;
  };
  Shape shape;
  if (PyLong_Check(object.ptr()) ||
      (PyIndex_Check(object.ptr()) && !PySequence_Check(object.ptr()))) {
    shape.push_back(dimension(object));
  } else if (PySequence_Check(object.ptr()) && !py::isinstance<py::str>(object)) {
    for (py::handle item : py::reinterpret_borrow<py::sequence>(object))
      shape.push_back(dimension(item));
  } else {
    raise(ErrorKind::Shape, "shape must be an int or a sequence of ints, got " +
                                py::cast<std::string>(py::repr(object)));
  }
  checked_element_count(shape);  // negative dimensions and overflow are named here
  return shape;
}

py::tuple shape_to_python(const Shape& shape) {
  py::tuple result(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) result[i] = py::int_(shape[i]);
  return result;
}

DeviceSpec device_from_python(py::handle object) {
  if (object.is_none()) return default_device_spec();
  if (py::isinstance<py::str>(object)) return parse_device_spec(py::cast<std::string>(object));
  if (py::isinstance<Device>(object)) return py::cast<const Device&>(object).spec();
  raise(ErrorKind::Device,
        "device must be a spec string like 'cpu' or 'cuda:0', or a Device; got " +
            py::cast<std::string>(py::repr(object)));
}

namespace {

template <typename T>
ElementBytes bytes_of(T value) {
  ElementBytes element;
  std::memcpy(element.bytes, &value, sizeof value);
  return element;
}

/// An exact Python float or int (bool is not one) stored into a common dtype, where the result
/// is the one numpy's conversion gives: a float into float32 or float64 (C's conversion rounds
/// to nearest, as numpy's), an int into int32 or int64 when it fits. False for anything else,
/// numpy's to convert (overflow errors, float16, complex, numpy scalars). numpy's way costs
/// about 2 us, most of dc.full((1,), v) and of an operation with a number (x * 2.0).
bool convert_directly(py::handle value, dc_dtype dtype, ElementBytes* out) {
  PyObject* object = value.ptr();
  if (PyFloat_CheckExact(object)) {
    const double number = PyFloat_AS_DOUBLE(object);
    if (dtype == DC_DTYPE_FLOAT64) {
      *out = bytes_of(number);
      return true;
    }
    // A finite value beyond float32's range: numpy's conversion rounds it and may warn (and C++
    // leaves the conversion undefined), so numpy converts it.
    if (dtype != DC_DTYPE_FLOAT32 ||
        (std::isfinite(number) && std::fabs(number) > std::numeric_limits<float>::max())) {
      return false;
    }
    *out = bytes_of(static_cast<float>(number));
    return true;
  }
  if (!PyLong_CheckExact(object) || (dtype != DC_DTYPE_INT64 && dtype != DC_DTYPE_INT32)) {
    return false;
  }
  int overflow = 0;
  const long long number = PyLong_AsLongLongAndOverflow(object, &overflow);
  if (overflow != 0 || (number == -1 && PyErr_Occurred() != nullptr)) {
    PyErr_Clear();
    return false;
  }
  if (dtype == DC_DTYPE_INT64) {
    *out = bytes_of(static_cast<int64_t>(number));
    return true;
  }
  if (number < std::numeric_limits<int32_t>::min() ||
      number > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = bytes_of(static_cast<int32_t>(number));
  return true;
}

}  // namespace

ElementBytes element_from_python(py::handle value, dc_dtype dtype) {
  ElementBytes element;
  if (convert_directly(value, dtype, &element)) return element;
  // numpy converts with its own casting rules (overflow, complex, bool), so a scalar written
  // through dotcompute holds exactly what numpy would store.
  py::array converted;
  try {
    converted = py::array(numpy_dtype(dtype), py::array::ShapeContainer{});
    converted.attr("__setitem__")(py::tuple(), value);
  } catch (py::error_already_set& error) {
    raise(ErrorKind::InvalidArgument, "cannot convert " + py::cast<std::string>(py::repr(value)) +
                                          " to " + dtype_name(dtype) + ": " + error.what());
  }
  std::memcpy(element.bytes, converted.data(), dtype_size(dtype));
  return element;
}

}  // namespace dotcompute::bindings
