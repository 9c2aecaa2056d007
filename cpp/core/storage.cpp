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

// Note [Array views]
// Basic indexing that selects a contiguous run of an array's elements (x[3], x[2:9], x[1, :])
// gives a view, as numpy's: a new array over a slice of the same storage. The slice holds its
// parent, so the memory lives as long as any view of it, and adds its offset to every address
// it gives out (view(), host(), device_address()): plugins already take buffer views with an
// offset, so kernels, built-ins, transfers, DLPack and numpy's buffer protocol see the view's
// elements with no change. Aliasing checks compare byte ranges of one allocation (overlaps,
// same_bytes), not storage objects.
std::shared_ptr<Storage> Storage::slice(const std::shared_ptr<Storage>& parent, uint64_t offset,
                                        uint64_t bytes) {
  parent->check_alive();
  if (offset > parent->bytes_ || bytes > parent->bytes_ - offset) {
    raise(ErrorKind::InvalidArgument, "slice: bytes [" + std::to_string(offset) + ", " +
                                          std::to_string(offset + bytes) + ") are outside the " +
                                          std::to_string(parent->bytes_) + " bytes of the array");
  }
  const std::shared_ptr<Storage>& root = parent->parent_ ? parent->parent_ : parent;
  std::shared_ptr<Storage> storage(new Storage(root->plugin_shared(), root->device_, bytes));
  storage->parent_ = root;
  storage->offset_ = parent->offset_ + offset;
  if (root->host_ != nullptr)
    storage->host_ = static_cast<uint8_t*>(root->host_) + storage->offset_;
  return storage;
}

bool Storage::overlaps(const Storage& other) const noexcept {
  if (&root() != &other.root() || bytes_ == 0 || other.bytes_ == 0) return false;
  return offset_ < other.offset_ + other.bytes_ && other.offset_ < offset_ + bytes_;
}

bool Storage::same_bytes(const Storage& other) const noexcept {
  return &root() == &other.root() && offset_ == other.offset_ && bytes_ == other.bytes_;
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
  if (released()) {
    raise(ErrorKind::Released,
          "this array's memory was released (Array.release()); create a new array");
  }
}

dc_buffer_view Storage::view() const {
  check_alive();
  if (parent_) {
    dc_buffer_view where = parent_->view();
    where.offset += offset_;
    return where;
  }
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
