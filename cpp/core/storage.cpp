// cpp/core/storage.cpp
// Pooled or wrapped memory behind arrays; every storage counts as a live buffer of its plugin.
#include "dotcompute/storage.hpp"

#include <cstddef>

#include "dotcompute/abi_slots.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/stream.hpp"

namespace dotcompute {

Storage::Storage(std::shared_ptr<Plugin> plugin, int device, uint64_t bytes)
    : object_(std::move(plugin), ObjectKind::Buffer), device_(device), bytes_(bytes) {}

// Note [Stream-tagged blocks]
// Memory allocated while a stream is current (`with stream:`) is tagged with it, and the pool
// hands a freed block again only to requests on the same stream: work on one stream runs in
// order, so a block freed while that stream's kernels still use it is safe for the next request
// there, and no other stream can race with them. The storage keeps its stream alive, so when a
// stream dies every block tagged with it is free; the stream then waits for its work and gives
// those blocks to the default stream (CachingPool::retire_stream).
std::shared_ptr<Storage> Storage::allocate(std::shared_ptr<Plugin> plugin, int device,
                                           uint64_t bytes) {
  CachingPool& pool = plugin->pool(device);
  std::shared_ptr<Stream> stream = current_stream_top();
  if (stream && (stream->is_default() || !stream->is_on(*plugin, device))) stream.reset();
  std::shared_ptr<Storage> storage(new Storage(std::move(plugin), device, bytes));
  storage->block_ = pool.allocate(bytes, stream ? stream->handle() : nullptr);
  if (stream) {
    stream->note_tagged_allocation();
    storage->stream_ = std::move(stream);
  }
  storage->host_ = storage->block_->host;
  return storage;
}

std::shared_ptr<Storage> Storage::wrap_host(std::shared_ptr<Plugin> plugin, int device,
                                            void* pointer, uint64_t bytes,
                                            std::shared_ptr<void> owner) {
  const dc_memory_iface& memory = *plugin->iface().memory;
  if (memory.wrap_host == nullptr || memory.unwrap_host == nullptr) {
    raise(ErrorKind::Unsupported,
          "backend '" + plugin->name() + "' cannot wrap host memory; copy the data instead");
  }
  std::shared_ptr<Storage> storage(new Storage(plugin, device, bytes));
  dc_buffer buffer = nullptr;
  plugin->check(memory.wrap_host(device, pointer, bytes, &buffer), "wrap host memory");
  storage->wrapped_ = buffer;
  storage->host_ = pointer;
  storage->owner_ = std::move(owner);
  return storage;
}

std::shared_ptr<Storage> Storage::wrap_device(std::shared_ptr<Plugin> plugin, int device,
                                              uint64_t address, uint64_t bytes,
                                              std::shared_ptr<void> owner) {
  const dc_memory_iface& memory = *plugin->iface().memory;
  const auto wrap = DC_OPTIONAL_SLOT(memory, wrap_device);
  if (wrap == nullptr || DC_OPTIONAL_SLOT(memory, unwrap_device) == nullptr) {
    raise(ErrorKind::Unsupported, "backend '" + plugin->name() +
                                      "' cannot wrap device memory of other libraries; copy "
                                      "the data through the host instead");
  }
  std::shared_ptr<Storage> storage(new Storage(plugin, device, bytes));
  dc_buffer buffer = nullptr;
  plugin->check(wrap(device, address, bytes, &buffer), "wrap device memory");
  storage->wrapped_ = buffer;
  storage->wrapped_device_ = true;
  storage->owner_ = std::move(owner);
  return storage;
}

Storage::~Storage() { release(); }

void Storage::release() noexcept {
  if (released_) return;
  released_ = true;
  Plugin& owner_plugin = object_.plugin();
  if (block_ != nullptr) {
    owner_plugin.pool(device_).release(block_);
    block_ = nullptr;
  } else if (wrapped_ != nullptr) {
    // Nothing useful can be done about a failure here: the memory stays with its owner.
    const dc_memory_iface& memory = *owner_plugin.iface_unchecked().memory;
    if (wrapped_device_) {
      memory.unwrap_device(device_, wrapped_);
    } else {
      memory.unwrap_host(device_, wrapped_);
    }
    wrapped_ = nullptr;
  }
  host_ = nullptr;
  owner_.reset();
  stream_.reset();
}

void Storage::check_alive() const {
  if (released_) {
    raise(ErrorKind::Released,
          "this array's memory was released (Array.release()); create a new array");
  }
}

dc_buffer_view Storage::view() const {
  check_alive();
  if (block_ != nullptr) return CachingPool::view(block_);
  return {wrapped_, 0};
}

uint64_t Storage::device_address() const {
  check_alive();
  const dc_memory_iface& memory = *object_.plugin().iface_unchecked().memory;
  const auto device_address = DC_OPTIONAL_SLOT(memory, device_address);  // ABI 1.1
  if (device_address == nullptr) return 0;
  const dc_buffer_view where = view();
  const uint64_t base = device_address(device_, where.buffer);
  return base == 0 ? 0 : base + where.offset;
}

void* Storage::host() const {
  check_alive();
  return host_;
}

}  // namespace dotcompute
