// cpp/include/dotcompute/storage.hpp
// The memory behind an array: a pooled block of a device, or wrapped memory owned elsewhere.
#pragma once

#include <cstdint>
#include <memory>

#include "dotcompute/backend_abi.h"
#include "dotcompute/caching_pool.hpp"
#include "dotcompute/plugin.hpp"

namespace dotcompute {

class Stream;

class Storage {
 public:
  /// bytes from the device's caching pool, tagged with the thread's current stream when it is
  /// one of this device (Note [Stream-tagged blocks] in storage.cpp).
  static std::shared_ptr<Storage> allocate(std::shared_ptr<Plugin> plugin, int device,
                                           uint64_t bytes);
  /// Host memory owned by `owner` (a numpy array, a DLPack tensor) wrapped without copying; the
  /// owner is kept alive until the storage is released.
  static std::shared_ptr<Storage> wrap_host(std::shared_ptr<Plugin> plugin, int device,
                                            void* pointer, uint64_t bytes,
                                            std::shared_ptr<void> owner);
  /// Device memory that another library owns (a CuPy or PyTorch allocation, by its device
  /// address) wrapped without copying through the plugin's wrap_device slot (ABI 1.2); the owner
  /// is kept alive until the storage is released.
  static std::shared_ptr<Storage> wrap_device(std::shared_ptr<Plugin> plugin, int device,
                                              uint64_t address, uint64_t bytes,
                                              std::shared_ptr<void> owner);
  /// Bytes [offset, offset + bytes) of parent's memory, shared without copying: the storage of
  /// an array view (basic indexing, Note [Array views] in storage.cpp). A slice of a slice is
  /// a slice of the first storage. Released when parent is.
  static std::shared_ptr<Storage> slice(const std::shared_ptr<Storage>& parent, uint64_t offset,
                                        uint64_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  /// Gives the memory back now (to the pool, or to its owner). Later use raises Released. A
  /// slice only stops being usable; its parent's memory stays.
  void release() noexcept;
  bool released() const noexcept { return released_ || (parent_ && parent_->released_); }
  /// Whether the two storages share a byte (one allocation, overlapping ranges).
  bool overlaps(const Storage& other) const noexcept;
  /// Whether the two storages are the same bytes of one allocation.
  bool same_bytes(const Storage& other) const noexcept;

  /// Throws Error(Released) when released.
  dc_buffer_view view() const;
  /// CPU address, or nullptr when the memory is not host visible. Throws when released.
  void* host() const;
  /// The device address of the first byte (the plugin's device_address slot, ABI 1.1), or 0
  /// when the backend has none. Throws when released.
  uint64_t device_address() const;
  uint64_t bytes() const noexcept { return bytes_; }
  Plugin& plugin() const noexcept { return object_.plugin(); }
  const std::shared_ptr<Plugin>& plugin_shared() const noexcept { return object_.shared(); }
  int device() const noexcept { return device_; }
  bool is_wrapped() const noexcept { return parent_ ? parent_->is_wrapped() : wrapped_ != nullptr; }

 private:
  Storage(std::shared_ptr<Plugin> plugin, int device, uint64_t bytes);
  void check_alive() const;
  /// The allocation this storage is part of: itself, or a slice's parent.
  const Storage& root() const noexcept { return parent_ ? *parent_ : *this; }

  PluginObject object_;
  int device_;
  uint64_t bytes_;
  Block* block_ = nullptr;       // pooled memory
  dc_buffer wrapped_ = nullptr;  // wrapped host or device memory
  bool wrapped_device_ = false;  // wrapped_ came from wrap_device, not wrap_host
  void* host_ = nullptr;
  std::shared_ptr<void> owner_;
  std::shared_ptr<Stream> stream_;   // the stream the block is tagged with, kept alive by it
  std::shared_ptr<Storage> parent_;  // a slice's allocation (never itself a slice)
  uint64_t offset_ = 0;              // a slice's first byte in parent_
  bool released_ = false;
};

}  // namespace dotcompute
