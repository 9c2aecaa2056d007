// cpp/bindings/bind_arrays.cpp
// dc.Array: attributes, constructors, numpy interop (buffer protocol, __array_interface__).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "array_bridge.hpp"
#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::bindings {

namespace {

// Transfers at least this large release the GIL so other Python threads keep running.
constexpr uint64_t kReleaseGilBytes = 1 << 16;

/// numpy() copies at least this large land in pooled host memory: the device's own where it is
/// host-visible, else the CPU device's (a numpy view keeps that array alive; PoCL 32 MiB: 6.0
/// -> 2.6 ms, ndarray.copy 4.1). Note [Pooled numpy copies]: a fresh numpy array of
/// this size is fresh memory from the kernel, and faulting in and zeroing its pages cost about
/// twice the copy itself (32 MiB float32 here: 3.1 ms for ndarray.copy, 1.5 ms for a copy into
/// memory already touched). Pooled blocks were touched before, so a loop of numpy() calls pays
/// for the copy alone; smaller arrays come from malloc's recycled heap anyway.
constexpr uint64_t kPooledCopyBytes = uint64_t{1} << 20;

void* host_pointer_or_raise(const Array& array, const char* what) {
  void* host = array.storage().host();
  if (host == nullptr && array.nbytes() > 0) {
    throw py::buffer_error(std::string(what) + " needs host-visible memory, but device '" +
                           array.device().str() + "' is not host visible; use x.numpy() to copy");
  }
  return host;
}

py::buffer_info buffer_of(const Array& array) {
  void* host = host_pointer_or_raise(array, "the buffer protocol");
  std::vector<py::ssize_t> shape(array.shape().begin(), array.shape().end());
  std::vector<int64_t> strides64 = array.byte_strides();
  std::vector<py::ssize_t> strides(strides64.begin(), strides64.end());
  // numpy's buffer format strings; float16 is 'e', complex 'Zf'/'Zd'.
  static const char* const formats[DC_DTYPE_COUNT] = {"?", "b", "h", "i", "q", "B",  "H",
                                                      "I", "Q", "e", "f", "d", "Zf", "Zd"};
  return py::buffer_info(host, static_cast<py::ssize_t>(array.itemsize()), formats[array.dtype()],
                         array.ndim(), shape, strides, array.readonly());
}

py::dict array_interface(const ArrayPtr& array) {
  void* host = host_pointer_or_raise(*array, "__array_interface__");
  py::dict interface;
  interface["version"] = 3;
  interface["shape"] = shape_to_python(array->shape());
  interface["typestr"] = typestr(array->dtype());
  interface["data"] = py::make_tuple(reinterpret_cast<uintptr_t>(host), array->readonly());
  interface["strides"] = py::none();
  return interface;
}

/// __cuda_array_interface__ (version 3) of CUDA memory. Other arrays have no such attribute:
/// AttributeError keeps hasattr() false, which is how CuPy, PyTorch and Numba test for it.
py::dict cuda_array_interface(const ArrayPtr& array) {
  const uint64_t address = array->device().backend == "cuda" && array->nbytes() > 0
                               ? array->storage().device_address()
                               : 0;
  if (address == 0) {
    throw py::attribute_error(
        "__cuda_array_interface__ exists only for CUDA device memory; "
        "this array is on '" +
        array->device().str() + "'");
  }
  // Pending work on dotcompute's (non-blocking) stream is finished first; "stream": None then
  // tells the consumer that no further synchronization is needed.
  Device(array->device()).synchronize();
  py::dict interface;
  interface["version"] = 3;
  interface["shape"] = shape_to_python(array->shape());
  interface["typestr"] = typestr(array->dtype());
  interface["data"] = py::make_tuple(address, array->readonly());
  interface["strides"] = py::none();
  interface["stream"] = py::none();
  return interface;
}

std::string array_repr(const Array& array) {
  py::module_ numpy = py::module_::import("numpy");
  py::object text = numpy.attr("array2string")(numpy_copy(array), py::arg("separator") = ", ",
                                               py::arg("prefix") = "dc.Array(");
  return "dc.Array(" + py::cast<std::string>(text) + ", dtype=" + dtype_name(array.dtype()) +
         ", device='" + array.device().str() + "')";
}

py::object item_of(const Array& array) {
  if (array.size() != 1) {
    raise(ErrorKind::InvalidArgument,
          "only arrays of one element can be converted to a Python "
          "scalar; this one has shape " +
              shape_to_string(array.shape()));
  }
  return numpy_copy(array).attr("item")();
}

ArrayPtr make_filled(py::object shape, py::object value, py::object dtype, py::object device) {
  const dc_dtype code = dtype_from_python(dtype);
  ArrayPtr result = empty(shape_from_python(shape), code, device_from_python(device));
  const ElementBytes element = element_from_python(value, code);
  fill(*result, element.bytes);
  return result;
}

}  // namespace

void bind_arrays(py::module_& m) {
  py::class_<Array, ArrayPtr>(m, "Array", py::buffer_protocol(),
                              "An n-d array in pooled memory of one device (C order).")
      .def_buffer(&buffer_of)
      .def_property_readonly("shape", [](const Array& a) { return shape_to_python(a.shape()); })
      .def_property_readonly("dtype", [](const Array& a) { return numpy_dtype(a.dtype()); })
      .def_property_readonly("size", &Array::size)
      .def_property_readonly("ndim", &Array::ndim)
      .def_property_readonly("nbytes", &Array::nbytes)
      .def_property_readonly("itemsize", &Array::itemsize)
      .def_property_readonly("readonly", &Array::readonly)
      .def_property_readonly("released", [](const Array& a) { return a.storage().released(); })
      .def_property_readonly("device", [](const Array& a) { return Device(a.device()); })
      // The spec alone ("cpu", "cuda:0"), without making a Device: the pipeline's per-stage
      // checks read it on every run.
      .def_property_readonly("_device_spec", [](const Array& a) { return a.device().str(); })
      .def_property_readonly("__array_interface__", &array_interface)
      .def_property_readonly("__cuda_array_interface__", &cuda_array_interface)
      .def(
          "__array__",
          [](const ArrayPtr& self, py::object dtype, py::object copy) -> py::object {
            py::array view = self->storage().host() != nullptr || self->nbytes() == 0
                                 ? numpy_view(self)
                                 : numpy_copy(*self);
            if (!dtype.is_none()) return view.attr("astype")(dtype);
            if (!copy.is_none() && py::cast<bool>(copy)) return view.attr("copy")();
            return std::move(view);
          },
          py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("numpy", &numpy_copy, py::arg("out") = py::none(),
           "A numpy copy of the data (waits for pending work). out= names a C-contiguous, "
           "writable numpy array of the same shape and dtype to copy into (for example one "
           "from dc.empty_pinned, for the fastest transfers); it is returned.")
      .def(
          "to",
          [](const ArrayPtr& self, py::object device) {
            const DeviceSpec target = device_from_python(device);
            if (target == self->device()) return self;
            py::gil_scoped_release release;
            return copy_to_device(*self, target);
          },
          py::arg("device"), "The array on another device (self when already there).")
      .def("copy",
           [](const Array& self) {
             py::gil_scoped_release release;
             return copy_to_device(self, self.device());
           })
      .def("reshape",
           [](const Array& self, py::args shape) {
             // reshape(2, 3) and reshape((2, 3)) both work; one dimension may be -1.
             py::sequence dims = shape;
             if (shape.size() == 1 && PySequence_Check(shape[0].ptr())) dims = shape[0];
             Shape parsed;
             for (py::handle dim : dims) parsed.push_back(py::cast<int64_t>(dim));
             return self.reshape(parsed);
           })
      .def(
          "release", [](const Array& self) { self.storage().release(); },
          "Gives the memory back to the pool now; the array cannot be used afterwards.")
      .def("item", &item_of)
      .def("tolist", [](const Array& self) { return numpy_copy(self).attr("tolist")(); })
      .def("__float__", [](const Array& self) { return py::float_(item_of(self)); })
      .def("__int__", [](const Array& self) { return py::int_(item_of(self)); })
      .def("__bool__", [](const Array& self) { return py::cast<bool>(py::bool_(item_of(self))); })
      .def("__len__",
           [](const Array& self) {
             if (self.ndim() == 0) throw py::type_error("len() of a 0-d array");
             return self.shape()[0];
           })
      .def("__repr__", &array_repr);

  m.def(
      "empty",
      [](py::object shape, py::object dtype, py::object device) {
        return empty(shape_from_python(shape), dtype_from_python(dtype),
                     device_from_python(device));
      },
      py::arg("shape"), py::arg("dtype") = "float32", py::arg("device") = py::none(),
      "An uninitialized array from the device's caching pool.");
  m.def(
      "zeros",
      [](py::object shape, py::object dtype, py::object device) {
        return make_filled(shape, py::int_(0), dtype, device);
      },
      py::arg("shape"), py::arg("dtype") = "float32", py::arg("device") = py::none());
  m.def(
      "ones",
      [](py::object shape, py::object dtype, py::object device) {
        return make_filled(shape, py::int_(1), dtype, device);
      },
      py::arg("shape"), py::arg("dtype") = "float32", py::arg("device") = py::none());
  m.def("full", &make_filled, py::arg("shape"), py::arg("fill_value"), py::arg("dtype"),
        py::arg("device") = py::none());
  m.def(
      "_from_numpy",
      [](py::array source, py::object device, py::object copy) {
        return array_from_numpy(source, device_from_python(device), copy);
      },
      py::arg("source"), py::arg("device") = py::none(), py::arg("copy") = py::none(),
      "Backs dc.asarray for numpy input.");
  m.def("_copy_from_host", [](const ArrayPtr& array, py::buffer source) {
    py::buffer_info info = source.request();
    if (static_cast<uint64_t>(info.size * info.itemsize) != array->nbytes()) {
      raise(ErrorKind::Shape, "source holds " + std::to_string(info.size * info.itemsize) +
                                  " bytes, the array " + std::to_string(array->nbytes()));
    }
    py::gil_scoped_release release;
    copy_from_host(*array, info.ptr);
  });
  m.def(
      "_copy_into",
      [](const ArrayPtr& destination, const ArrayPtr& source) {
        py::gil_scoped_release release;
        copy_into(*destination, *source);
      },
      py::arg("destination"), py::arg("source"), "Backs dc.copyto between arrays of one device.");
}

// --- numpy bridge ------------------------------------------------------------------------------

py::array numpy_view(const ArrayPtr& array) {
  void* host = host_pointer_or_raise(*array, "a numpy view");
  std::vector<py::ssize_t> shape(array->shape().begin(), array->shape().end());
  std::vector<int64_t> strides64 = array->byte_strides();
  std::vector<py::ssize_t> strides(strides64.begin(), strides64.end());
  py::array view(numpy_dtype(array->dtype()), shape, strides, host, py::cast(array));
  if (array->readonly()) view.attr("flags").attr("writeable") = false;
  return view;
}

/// The numpy array numpy(out=...) copies into, checked against the array.
py::array checked_host_destination(const Array& array, const py::object& out) {
  if (!py::isinstance<py::array>(out)) {
    raise(ErrorKind::InvalidArgument, "numpy(out=...) needs a numpy array, got " +
                                          py::str(py::type::of(out)).cast<std::string>());
  }
  py::array result = py::reinterpret_borrow<py::array>(out);
  const Shape shape(result.shape(), result.shape() + result.ndim());
  if (shape != array.shape()) {
    raise(ErrorKind::Shape, "numpy(out=...): out has shape " + shape_to_string(shape) +
                                ", the array " + shape_to_string(array.shape()));
  }
  if (dtype_from_python(result.dtype()) != array.dtype()) {
    raise(ErrorKind::DType, std::string("numpy(out=...): out has dtype ") +
                                py::str(result.dtype()).cast<std::string>() + ", the array " +
                                dtype_name(array.dtype()));
  }
  const int flags = result.flags();
  if (!(flags & py::array::c_style) || !(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_)) {
    raise(ErrorKind::InvalidArgument, "numpy(out=...): out must be C-contiguous and writable");
  }
  return result;
}

namespace {

/// A new array in pooled host memory holding array's data: beside it when its device's memory
/// is host-visible, else on the CPU device. Copied through copy_to_host, which waits for
/// pending work like every numpy() copy.
ArrayPtr pooled_copy(const Array& array) {
  ArrayPtr result = array.storage().host() != nullptr
                        ? empty_beside(array, array.shape(), array.dtype())
                        : empty(array.shape(), array.dtype(), DeviceSpec{"cpu", 0});
  py::gil_scoped_release release;
  copy_to_host(array, result->storage().host());
  return result;
}

}  // namespace

py::array numpy_copy(const Array& array, const py::object& out) {
  if (out.is_none() && array.nbytes() >= kPooledCopyBytes) {
    return numpy_view(pooled_copy(array));
  }
  std::vector<py::ssize_t> shape(array.shape().begin(), array.shape().end());
  py::array result = out.is_none() ? py::array(numpy_dtype(array.dtype()), shape)
                                   : checked_host_destination(array, out);
  if (array.nbytes() >= kReleaseGilBytes) {
    py::gil_scoped_release release;
    copy_to_host(array, result.mutable_data());
  } else {
    copy_to_host(array, result.mutable_data());
  }
  return result;
}

ArrayPtr array_from_numpy(py::array source, const DeviceSpec& device, py::object copy) {
  const dc_dtype dtype = dtype_from_python(source.dtype());
  Shape shape(source.shape(), source.shape() + source.ndim());
  const bool force_copy = !copy.is_none() && py::cast<bool>(copy);
  const bool forbid_copy = !copy.is_none() && !py::cast<bool>(copy);
  const int flags = source.flags();
  const bool layout_ok = (flags & py::array::c_style) &&
                         (flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_) &&
                         py::cast<std::string>(source.dtype().attr("byteorder")) != ">";
  ResolvedDevice resolved = resolve_device(device);
  const dc_memory_iface& memory = *resolved.plugin->iface().memory;
  const bool can_wrap = layout_ok && source.nbytes() > 0 && memory.wrap_host != nullptr &&
                        memory.host_pointer != nullptr;
  if (can_wrap && !force_copy) {
    const bool writeable = (flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_) != 0;
    // The owner is the numpy array itself; dropping it needs the GIL, whichever thread frees.
    auto* owner_object = new py::object(source);
    std::shared_ptr<void> owner(owner_object, [](void* pointer) {
      py::gil_scoped_acquire gil;
      delete static_cast<py::object*>(pointer);
    });
    auto storage =
        Storage::wrap_host(resolved.plugin, resolved.index, const_cast<void*>(source.data()),
                           static_cast<uint64_t>(source.nbytes()), std::move(owner));
    return std::make_shared<Array>(std::move(storage), std::move(shape), dtype, !writeable);
  }
  if (forbid_copy && source.nbytes() > 0) {
    raise(ErrorKind::InvalidArgument,
          "copy=False but the data cannot be shared with device '" + device.str() +
              "' (it needs host-visible memory and a C-contiguous, aligned, native-endian array)");
  }
  py::array contiguous = py::module_::import("numpy").attr("ascontiguousarray")(
      source, py::arg("dtype") = numpy_dtype(dtype));
  ArrayPtr result = empty(shape, dtype, device);
  const void* data = contiguous.data();
  if (result->nbytes() >= kReleaseGilBytes) {
    py::gil_scoped_release release;
    copy_from_host(*result, data);
  } else {
    copy_from_host(*result, data);
  }
  return result;
}

}  // namespace dotcompute::bindings
