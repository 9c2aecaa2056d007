// cpp/core/array.cpp
// Array construction, shape checks, fills and transfers between host and devices.
#include "dotcompute/array.hpp"

#include <limits>
#include <vector>

#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/pinned_pool.hpp"
#include "dotcompute/staged_transfer.hpp"
#include "dotcompute/work_stream.hpp"

namespace dotcompute {

namespace {

// Beyond this many bytes no device can hold an array; refusing early gives a shape error
// instead of an allocator failure with a meaningless size.
constexpr uint64_t kMaxArrayBytes = uint64_t{1} << 60;

}  // namespace

std::string shape_to_string(const Shape& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

int64_t checked_element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      raise(ErrorKind::Shape, "negative dimension " + std::to_string(dim) + " in shape " +
                                  shape_to_string(shape) + "; dimensions must be >= 0");
    }
  }
  for (int64_t dim : shape) {
    if (dim == 0) return 0;
    if (count > std::numeric_limits<int64_t>::max() / dim) {
      raise(ErrorKind::Shape,
            "shape " + shape_to_string(shape) + " has more elements than a 64-bit index can count");
    }
    count *= dim;
  }
  return count;
}

Array::Array(std::shared_ptr<Storage> storage, Shape shape, dc_dtype dtype, bool readonly)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      dtype_(dtype),
      size_(checked_element_count(shape_)),
      readonly_(readonly) {}

uint64_t Array::itemsize() const noexcept { return dtype_size(dtype_); }

DeviceSpec Array::device() const { return {storage_->plugin().name(), storage_->device()}; }

std::vector<int64_t> Array::byte_strides() const {
  std::vector<int64_t> strides(shape_.size());
  int64_t stride = static_cast<int64_t>(itemsize());
  for (size_t i = shape_.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape_[i] > 0 ? shape_[i] : 1;
  }
  return strides;
}

std::shared_ptr<Array> Array::reshape(const Shape& shape) const {
  Shape resolved = shape;
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      if (unknown >= 0) raise(ErrorKind::Shape, "reshape: only one dimension can be -1");
      unknown = static_cast<int>(i);
    } else {
      known *= resolved[i] >= 0 ? resolved[i] : 1;
    }
  }
  if (unknown >= 0 && known > 0 && size_ % known == 0) resolved[unknown] = size_ / known;
  if (unknown >= 0 && resolved[unknown] == -1) {
    raise(ErrorKind::Shape, "cannot reshape an array of size " + std::to_string(size_) +
                                " into shape " + shape_to_string(shape));
  }
  if (checked_element_count(resolved) != size_) {
    raise(ErrorKind::Shape, "cannot reshape an array of size " + std::to_string(size_) +
                                " into shape " + shape_to_string(shape));
  }
  return std::make_shared<Array>(storage_, resolved, dtype_, readonly_);
}

namespace {

/// The bytes of an array of shape and dtype; raises for bad dtypes and impossible sizes.
uint64_t checked_bytes(const Shape& shape, dc_dtype dtype) {
  if (!dtype_is_valid(dtype))
    raise(ErrorKind::DType, "unknown dtype code " + std::to_string(dtype));
  const int64_t count = checked_element_count(shape);
  const uint64_t itemsize = dtype_size(dtype);
  if (static_cast<uint64_t>(count) > kMaxArrayBytes / itemsize) {
    raise(ErrorKind::Shape, "shape " + shape_to_string(shape) + " of " + dtype_name(dtype) +
                                " needs more than 2**60 bytes");
  }
  return static_cast<uint64_t>(count) * itemsize;
}

}  // namespace

ArrayPtr empty(const Shape& shape, dc_dtype dtype, const DeviceSpec& device) {
  const uint64_t bytes = checked_bytes(shape, dtype);
  ResolvedDevice resolved = resolve_device(device);
  auto storage = Storage::allocate(std::move(resolved.plugin), resolved.index, bytes);
  return std::make_shared<Array>(std::move(storage), shape, dtype);
}

ArrayPtr empty_beside(const Array& like, const Shape& shape, dc_dtype dtype) {
  const uint64_t bytes = checked_bytes(shape, dtype);
  const Storage& storage = like.storage();
  return std::make_shared<Array>(
      Storage::allocate(storage.plugin_shared(), storage.device(), bytes), shape, dtype);
}

void fill(Array& array, const void* element) {
  if (array.readonly()) raise(ErrorKind::InvalidArgument, "cannot fill a read-only array");
  if (array.nbytes() == 0) return;
  Storage& storage = array.storage();
  bool eager = false;  // Note [Work on the current stream]
  const dc_stream stream = transfer_stream(storage, &eager);
  storage.plugin().check(storage.plugin().iface_unchecked().memory->fill(
                             storage.device(), stream, storage.view(), element,
                             static_cast<uint32_t>(array.itemsize()), array.nbytes()),
                         "fill");
  if (eager) finish_eager(storage);
}

void copy_from_host(Array& array, const void* source) {
  if (array.readonly()) raise(ErrorKind::InvalidArgument, "cannot write into a read-only array");
  if (array.nbytes() == 0) return;
  Storage& storage = array.storage();
  Plugin& plugin = storage.plugin();
  bool eager = false;  // Note [Work on the current stream]
  const dc_stream stream = transfer_stream(storage, &eager);
  // Note [Staged transfers]: large pageable copies to device memory go through pinned chunks.
  // They wait for their stream before returning.
  if (storage.host() == nullptr && staged_copy_from_host(plugin, storage.device(), stream,
                                                         storage.view(), source, array.nbytes())) {
    return;
  }
  plugin.check(plugin.iface_unchecked().memory->copy_from_host(
                   storage.device(), stream, storage.view(), source, array.nbytes()),
               "copy to device");
  // From page-locked memory the copy is truly asynchronous (Note [Transfers] of the CUDA plugin):
  // wait for it, so the caller may reuse its memory at once, as after a pageable copy.
  const PinnedPool* pinned = plugin.pinned_pool_if_created();
  if (pinned != nullptr && pinned->contains(source, array.nbytes())) {
    plugin.check(plugin.iface_unchecked().stream->synchronize(storage.device(), stream),
                 "synchronize after a pinned copy");
  } else if (eager) {
    finish_eager(storage);
  }
}

void copy_to_host(const Array& array, void* destination) {
  if (array.nbytes() == 0) return;
  Storage& storage = array.storage();
  bool eager = false;  // copy_to_host waits for its stream either way
  const dc_stream stream = transfer_stream(storage, &eager);
  if (storage.host() == nullptr &&
      staged_copy_to_host(storage.plugin(), storage.device(), stream, destination, storage.view(),
                          array.nbytes())) {
    return;
  }
  storage.plugin().check(storage.plugin().iface_unchecked().memory->copy_to_host(
                             storage.device(), stream, destination, storage.view(), array.nbytes()),
                         "copy to host");
}

void copy_into(Array& destination, const Array& source) {
  if (destination.readonly()) {
    raise(ErrorKind::InvalidArgument, "cannot write into a read-only array");
  }
  if (destination.dtype() != source.dtype() || destination.shape() != source.shape()) {
    raise(ErrorKind::InvalidArgument, "copy_into needs arrays of one dtype and shape, got " +
                                          std::string(dtype_name(source.dtype())) + " " +
                                          shape_to_string(source.shape()) + " into " +
                                          dtype_name(destination.dtype()) + " " +
                                          shape_to_string(destination.shape()));
  }
  Storage& target = destination.storage();
  const Storage& origin = source.storage();
  if (&target.plugin() != &origin.plugin() || target.device() != origin.device()) {
    raise(ErrorKind::Device, "copy_into needs arrays of one device, got '" + source.device().str() +
                                 "' and '" + destination.device().str() + "'");
  }
  if (destination.nbytes() == 0) return;
  bool eager = false;  // Note [Work on the current stream]
  const dc_stream stream = transfer_stream(target, &eager);
  target.plugin().check(
      target.plugin().iface_unchecked().memory->copy(target.device(), stream, target.view(),
                                                     origin.view(), destination.nbytes()),
      "device copy");
  if (eager) finish_eager(target);
}

ArrayPtr copy_to_device(const Array& array, const DeviceSpec& device) {
  ArrayPtr result = empty(array.shape(), array.dtype(), device);
  if (array.nbytes() == 0) return result;
  Storage& source = array.storage();
  Storage& destination = result->storage();
  if (&source.plugin() == &destination.plugin() && source.device() == destination.device()) {
    copy_into(*result, array);
    return result;
  }
  // Different backends share no address space: go through host memory, directly when one side
  // is host visible, else through a staging buffer.
  if (void* host = destination.host()) {
    copy_to_host(array, host);
  } else if (void* source_host = source.host()) {
    copy_from_host(*result, source_host);
  } else {
    std::vector<unsigned char> staging(array.nbytes());
    copy_to_host(array, staging.data());
    copy_from_host(*result, staging.data());
  }
  return result;
}

}  // namespace dotcompute
