// cpp/include/dotcompute/array.hpp
// dc.Array: a C-ordered n-d view of a Storage, and the core operations on arrays.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/backend_abi.h"
#include "dotcompute/device.hpp"
#include "dotcompute/storage.hpp"

namespace dotcompute {

using Shape = std::vector<int64_t>;

/// Element count of a shape; throws Error(Shape) for negative dimensions or overflow.
int64_t checked_element_count(const Shape& shape);
std::string shape_to_string(const Shape& shape);

class Array {
 public:
  Array(std::shared_ptr<Storage> storage, Shape shape, dc_dtype dtype, bool readonly = false);

  const Shape& shape() const noexcept { return shape_; }
  dc_dtype dtype() const noexcept { return dtype_; }
  int64_t size() const noexcept { return size_; }
  int ndim() const noexcept { return static_cast<int>(shape_.size()); }
  uint64_t itemsize() const noexcept;
  uint64_t nbytes() const noexcept { return static_cast<uint64_t>(size_) * itemsize(); }
  bool readonly() const noexcept { return readonly_; }
  DeviceSpec device() const;
  Storage& storage() const noexcept { return *storage_; }
  const std::shared_ptr<Storage>& storage_shared() const noexcept { return storage_; }
  /// C-order strides in bytes.
  std::vector<int64_t> byte_strides() const;

  /// Same storage, another shape with the same element count.
  std::shared_ptr<Array> reshape(const Shape& shape) const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  dc_dtype dtype_;
  int64_t size_;
  bool readonly_;
};

using ArrayPtr = std::shared_ptr<Array>;

/// Uninitialized array on a device.
ArrayPtr empty(const Shape& shape, dc_dtype dtype, const DeviceSpec& device);
/// Uninitialized array on like's device, from the plugin instance that holds like: the result of
/// an operation on like. Resolving the device by name would find the registry's current instance,
/// which after a plugin reload is not the one whose operation table runs on like.
ArrayPtr empty_beside(const Array& like, const Shape& shape, dc_dtype dtype);
/// The array an operation writes its result to: `out` when the caller gave one, checked to fit
/// exactly (like's device, `shape`, `dtype`, writable, no memory shared with one of `inputs`),
/// else a new array beside like. The Python front converts other dtypes and works around shared
/// memory itself (python/dotcompute/_outputs.py), so for out= these are last checks.
ArrayPtr output_array(const Array& like, const ArrayPtr& out, const Shape& shape, dc_dtype dtype,
                      const char* operation, std::initializer_list<const Array*> inputs);
/// Every element set to the bit pattern of one element (itemsize bytes).
void fill(Array& array, const void* element);
void copy_from_host(Array& array, const void* source);
void copy_to_host(const Array& array, void* destination);
/// A copy on another (or the same) device.
ArrayPtr copy_to_device(const Array& array, const DeviceSpec& device);
/// Copies source's bytes into destination, an array of the same device, dtype and shape.
void copy_into(Array& destination, const Array& source);

/// Whether the plugins' binary operation op is defined for dtype: no bool subtract, divide for
/// floating and complex, floor_divide for integers. The Python front runs the other cases, and
/// mixed dtypes, with numpy's dtype rules and kernels (python/dotcompute/_elementwise.py).
bool binary_op_takes(dc_binary_op op, dc_dtype dtype) noexcept;
/// Error(DType) with a hint where binary_op_takes is false.
void check_binary_dtype(dc_binary_op op, dc_dtype dtype);
/// out = a (op) b. out may be null (allocated) or alias an input. Checks shapes, dtypes, devices.
ArrayPtr binary_op(dc_binary_op op, const Array& a, const Array& b, ArrayPtr out);
/// out = alpha * x + y; alpha holds one element of x's dtype.
ArrayPtr axpy(const void* alpha, const Array& x, const Array& y, ArrayPtr out);
/// A 0-d array holding the reduction of every element, written to out when given.
ArrayPtr reduce(dc_reduce_op op, const Array& input, const ArrayPtr& out = nullptr);

/// Nanoseconds per call of a 1-element float32 add through the core path and through the bare
/// ABI slot, measured back to back on the cpu device (DESIGN: plugin call overhead).
struct DispatchTiming {
  double core_path_ns;
  double abi_slot_ns;
  uint64_t iterations;
};
DispatchTiming measure_builtin_dispatch(uint64_t iterations);

}  // namespace dotcompute
