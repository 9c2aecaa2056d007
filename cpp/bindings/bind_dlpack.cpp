// cpp/bindings/bind_dlpack.cpp
// DLPack in both directions: Array.__dlpack__/__dlpack_device__ and dc.from_dlpack's import.
#include <cstring>
#include <vector>

#include "array_bridge.hpp"
#include "bindings.hpp"
#include "conversions.hpp"
#include "dlpack_abi.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::bindings {

namespace {

namespace dl = dotcompute::dlpack;

/// What an exported tensor owns: the array (so its memory outlives the consumer's use) and the
/// shape/stride arrays the tensor points at.
struct ExportContext {
  ArrayPtr array;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

dl::DataType dlpack_dtype(dc_dtype dtype) {
  const uint8_t bits = static_cast<uint8_t>(dtype_size(dtype) * 8);
  if (dtype == DC_DTYPE_BOOL) return {dl::kBool, 8, 1};
  if (dtype_is_signed_integer(dtype)) return {dl::kInt, bits, 1};
  if (dtype_is_unsigned_integer(dtype)) return {dl::kUInt, bits, 1};
  if (dtype_is_floating(dtype)) return {dl::kFloat, bits, 1};
  return {dl::kComplex, bits, 1};
}

dc_dtype dtype_from_dlpack(dl::DataType type) {
  if (type.lanes != 1) return -1;
  for (dc_dtype code = 0; code < DC_DTYPE_COUNT; ++code) {
    const dl::DataType candidate = dlpack_dtype(code);
    if (candidate.code == type.code && candidate.bits == type.bits) return code;
  }
  return -1;
}

void fill_tensor(dl::Tensor& tensor, ExportContext& context) {
  const Array& array = *context.array;
  const auto [device_type, device_id] = dlpack_device(array);
  tensor.data = device_type == dl::kCPU ? array.storage().host()
                                        : reinterpret_cast<void*>(array.storage().device_address());
  tensor.device = {device_type, device_id};
  tensor.ndim = array.ndim();
  tensor.dtype = dlpack_dtype(array.dtype());
  context.shape.assign(array.shape().begin(), array.shape().end());
  context.strides = array.byte_strides();
  for (int64_t& stride : context.strides) stride /= static_cast<int64_t>(array.itemsize());
  tensor.shape = context.shape.data();
  tensor.strides = context.strides.data();
  tensor.byte_offset = 0;
}

void delete_legacy(dl::ManagedTensor* self) {
  delete static_cast<ExportContext*>(self->manager_ctx);
  delete self;
}

void delete_versioned(dl::ManagedTensorVersioned* self) {
  delete static_cast<ExportContext*>(self->manager_ctx);
  delete self;
}

// A capsule nobody consumed still owns its tensor; a consumed one was renamed "used_...".
void destroy_legacy_capsule(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, dl::kCapsuleName)) return;
  auto* managed = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(capsule, dl::kCapsuleName));
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
}

void destroy_versioned_capsule(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, dl::kVersionedCapsuleName)) return;
  auto* managed = static_cast<dl::ManagedTensorVersioned*>(
      PyCapsule_GetPointer(capsule, dl::kVersionedCapsuleName));
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
}

bool is_c_contiguous(const dl::Tensor& tensor) {
  if (tensor.strides == nullptr) return true;
  int64_t expected = 1;
  for (int32_t i = tensor.ndim; i-- > 0;) {
    if (tensor.shape[i] != 1 && tensor.strides[i] != expected) return false;
    expected *= tensor.shape[i];
  }
  return true;
}

}  // namespace

std::pair<int, int> dlpack_device(const Array& array) {
  // Memory the CPU can address is exchanged as CPU memory whatever backend holds it.
  if (array.storage().host() != nullptr || array.nbytes() == 0) return {dl::kCPU, 0};
  // CUDA memory is exchanged by its device address (ABI 1.1 device_address).
  if (array.device().backend == "cuda" && array.storage().device_address() != 0) {
    return {dl::kCUDA, array.storage().device()};
  }
  raise(ErrorKind::Unsupported, "DLPack export of device '" + array.device().str() +
                                    "' memory is not supported; copy it with x.to('cpu')");
}

py::capsule to_dlpack(const ArrayPtr& array, bool versioned) {
  auto context = std::make_unique<ExportContext>();
  context->array = array;
  if (versioned) {
    auto managed = std::make_unique<dl::ManagedTensorVersioned>();
    managed->version = {1, 0};
    managed->flags = array->readonly() ? dl::kFlagReadOnly : 0;
    fill_tensor(managed->dl_tensor, *context);
    managed->manager_ctx = context.release();
    managed->deleter = &delete_versioned;
    PyObject* capsule =
        PyCapsule_New(managed.get(), dl::kVersionedCapsuleName, &destroy_versioned_capsule);
    if (capsule == nullptr) throw py::error_already_set();
    managed.release();
    return py::reinterpret_steal<py::capsule>(capsule);
  }
  if (array->readonly()) {
    // Legacy DLPack has no read-only flag; handing out writable memory would break the promise.
    raise(ErrorKind::InvalidArgument,
          "a read-only array can only be exported with DLPack 1.0 (max_version=(1, 0))");
  }
  auto managed = std::make_unique<dl::ManagedTensor>();
  fill_tensor(managed->dl_tensor, *context);
  managed->manager_ctx = context.release();
  managed->deleter = &delete_legacy;
  PyObject* capsule = PyCapsule_New(managed.get(), dl::kCapsuleName, &destroy_legacy_capsule);
  if (capsule == nullptr) throw py::error_already_set();
  managed.release();
  return py::reinterpret_steal<py::capsule>(capsule);
}

/// The cuda device of a foreign allocation, with a clear error when the backend is absent.
ResolvedDevice foreign_cuda_device(int ordinal) {
  try {
    return resolve_device(DeviceSpec{"cuda", ordinal});
  } catch (const Error& error) {
    raise(ErrorKind::Device, std::string("the data lives in CUDA device memory (device ") +
                                 std::to_string(ordinal) +
                                 "), which needs dotcompute's cuda backend: " + error.what());
  }
}

ArrayPtr wrap_cuda_memory(int ordinal, uint64_t address, Shape shape, dc_dtype dtype, bool readonly,
                          std::shared_ptr<void> owner) {
  ResolvedDevice device = foreign_cuda_device(ordinal);
  const uint64_t bytes = static_cast<uint64_t>(checked_element_count(shape)) * dtype_size(dtype);
  if (bytes == 0) return empty(shape, dtype, DeviceSpec{"cuda", ordinal});
  // The producer's work may still be queued on its own stream, which our non-blocking streams do
  // not order with: wait for the whole device once, so every later use sees finished data.
  device.plugin->check(device.plugin->iface().device->synchronize(device.index),
                       "synchronize before sharing foreign memory");
  auto storage =
      Storage::wrap_device(device.plugin, device.index, address, bytes, std::move(owner));
  return std::make_shared<Array>(std::move(storage), std::move(shape), dtype, readonly);
}

ArrayPtr from_dlpack_capsule(py::capsule capsule, const DeviceSpec& cpu_device) {
  PyObject* object = capsule.ptr();
  const bool versioned = PyCapsule_IsValid(object, dl::kVersionedCapsuleName) != 0;
  if (!versioned && PyCapsule_IsValid(object, dl::kCapsuleName) == 0) {
    raise(ErrorKind::InvalidArgument,
          "not an unused DLPack capsule (a capsule can be consumed only once)");
  }
  void* managed =
      PyCapsule_GetPointer(object, versioned ? dl::kVersionedCapsuleName : dl::kCapsuleName);
  dl::Tensor* tensor = nullptr;
  bool readonly = false;
  if (versioned) {
    auto* tensor_versioned = static_cast<dl::ManagedTensorVersioned*>(managed);
    if (tensor_versioned->version.major != 1) {
      raise(ErrorKind::Unsupported, "DLPack major version " +
                                        std::to_string(tensor_versioned->version.major) +
                                        " is not supported (this build reads 1)");
    }
    tensor = &tensor_versioned->dl_tensor;
    readonly = (tensor_versioned->flags & dl::kFlagReadOnly) != 0;
  } else {
    tensor = &static_cast<dl::ManagedTensor*>(managed)->dl_tensor;
  }
  const dc_dtype dtype = dtype_from_dlpack(tensor->dtype);
  const int32_t device_type = tensor->device.device_type;
  const bool on_host = device_type == dl::kCPU || device_type == dl::kCUDAHost;
  const bool on_cuda = device_type == dl::kCUDA || device_type == dl::kCUDAManaged;
  if (dtype < 0 || !(on_host || on_cuda) || !is_c_contiguous(*tensor)) {
    return nullptr;  // not ours to take: the capsule stays unconsumed and the caller copies
  }
  // Resolved before the capsule is consumed, so a missing backend leaves the producer intact.
  if (on_cuda) foreign_cuda_device(static_cast<int>(tensor->device.device_id));
  Shape shape(tensor->shape, tensor->shape + tensor->ndim);
  const uint64_t bytes = static_cast<uint64_t>(checked_element_count(shape)) * dtype_size(dtype);
  auto* data = static_cast<unsigned char*>(tensor->data) + tensor->byte_offset;

  // Consume the capsule: from here on, the owner's deleter releases the producer's tensor.
  PyCapsule_SetName(object, versioned ? dl::kUsedVersionedCapsuleName : dl::kUsedCapsuleName);
  std::shared_ptr<void> owner =
      versioned ? std::shared_ptr<void>(
                      managed,
                      [](void* p) {
                        py::gil_scoped_acquire gil;  // producers' deleters may touch Python objects
                        auto* m = static_cast<dl::ManagedTensorVersioned*>(p);
                        if (m->deleter != nullptr) m->deleter(m);
                      })
                : std::shared_ptr<void>(managed, [](void* p) {
                    py::gil_scoped_acquire gil;
                    auto* m = static_cast<dl::ManagedTensor*>(p);
                    if (m->deleter != nullptr) m->deleter(m);
                  });
  if (on_cuda) {
    return wrap_cuda_memory(static_cast<int>(tensor->device.device_id),
                            reinterpret_cast<uint64_t>(data), std::move(shape), dtype, readonly,
                            std::move(owner));
  }
  if (bytes == 0) return empty(shape, dtype, cpu_device);
  ResolvedDevice cpu = resolve_device(cpu_device);
  auto storage = Storage::wrap_host(cpu.plugin, cpu.index, data, bytes, std::move(owner));
  return std::make_shared<Array>(std::move(storage), std::move(shape), dtype, readonly);
}

void bind_dlpack(py::module_& m) {
  py::class_<Array, ArrayPtr> array_class =
      py::reinterpret_borrow<py::class_<Array, ArrayPtr>>(m.attr("Array"));
  array_class.def(
      "__dlpack__",
      [](const ArrayPtr& self, py::object stream, py::object max_version, py::object dl_device,
         py::object copy) {
        // The consumer's stream is not ours: finish this device's pending work first, so the
        // memory is ready whichever stream reads it (a conservative form of the protocol's
        // stream handshake).
        (void)stream;
        if (self->storage().host() == nullptr) Device(self->device()).synchronize();
        if (!dl_device.is_none()) {
          const auto requested = py::cast<std::pair<int, int>>(dl_device);
          if (requested != dlpack_device(*self)) {
            throw py::buffer_error("__dlpack__: export to another device is not supported");
          }
        }
        if (!copy.is_none() && py::cast<bool>(copy)) {
          return to_dlpack(
              copy_to_device(*self, self->device()),
              !max_version.is_none() && py::cast<std::pair<int, int>>(max_version).first >= 1);
        }
        const bool versioned =
            !max_version.is_none() && py::cast<std::pair<int, int>>(max_version).first >= 1;
        return to_dlpack(self, versioned);
      },
      py::kw_only(), py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
      py::arg("dl_device") = py::none(), py::arg("copy") = py::none());
  array_class.def("__dlpack_device__", [](const Array& self) { return dlpack_device(self); });
  m.def(
      "_from_dlpack_capsule",
      [](py::capsule capsule) -> py::object {
        ArrayPtr array = from_dlpack_capsule(capsule, DeviceSpec{"cpu", 0});
        if (!array) return py::none();
        return py::cast(array);
      },
      py::arg("capsule"),
      "Wraps a DLPack capsule of host or CUDA memory without copying; None when it cannot be "
      "wrapped.");
  m.def(
      "_wrap_cuda_memory",
      [](uint64_t address, py::object shape, py::object dtype, int device, bool readonly,
         py::object owner) {
        auto* kept = new py::object(std::move(owner));
        std::shared_ptr<void> holder(kept, [](void* pointer) {
          py::gil_scoped_acquire gil;
          delete static_cast<py::object*>(pointer);
        });
        return wrap_cuda_memory(device, address, shape_from_python(shape), dtype_from_python(dtype),
                                readonly, std::move(holder));
      },
      py::arg("address"), py::arg("shape"), py::arg("dtype"), py::arg("device"),
      py::arg("readonly"), py::arg("owner"),
      "Wraps CUDA device memory owned by `owner` (a __cuda_array_interface__ producer) without "
      "copying.");
}

}  // namespace dotcompute::bindings
