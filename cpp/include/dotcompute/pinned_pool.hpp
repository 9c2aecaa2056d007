// cpp/include/dotcompute/pinned_pool.hpp
// A caching pool of page-locked host memory (the plugin's host_allocate slot) for transfers.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "dotcompute/backend_abi.h"

namespace dotcompute {

struct PinnedStats {
  uint64_t in_use = 0;  ///< bytes handed out (rounded sizes)
  uint64_t cached = 0;  ///< bytes held for reuse
  uint64_t hits = 0;    ///< allocations served from the cache
  uint64_t misses = 0;  ///< allocations that called host_allocate
};

/// Note [Pinned pool]
/// Page-locked memory is expensive to get (cuMemHostAlloc maps and locks every page, about a
/// millisecond per hundred MiB) and cheap to keep, so freed blocks are cached by rounded size and
/// handed out again, as the device pools do. Sizes round up to a power of two below 1 MiB and to
/// a multiple of 2 MiB above, which bounds the waste at 2x for small and 2 MiB for large blocks.
/// One pool per plugin: the blocks are allocated portable, so every device of the plugin can
/// transfer from them. The pool also answers "is this host range pinned?" (contains), which the
/// transfer path needs: a copy from pinned memory is truly asynchronous.
class PinnedPool {
 public:
  /// backend names the plugin in messages.
  PinnedPool(const dc_backend_iface& iface, std::string backend);
  ~PinnedPool();  ///< frees every cached block (blocks still in use are the caller's bug)
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  /// Whether the plugin has the host_allocate/host_release slots (ABI 1.2).
  static bool supported(const dc_backend_iface& iface) noexcept;

  /// At least bytes (> 0) of page-locked memory. On failure empties the cache and retries once,
  /// then throws Error(OutOfMemory).
  void* allocate(uint64_t bytes);
  /// Returns a block from allocate to the cache.
  void release(void* pointer) noexcept;
  /// Whether [pointer, pointer + bytes) lies inside one block that is in use.
  bool contains(const void* pointer, uint64_t bytes) const;
  /// Frees every cached block.
  void empty_cache() noexcept;
  PinnedStats stats() const;

  /// The size a request for bytes is served with.
  static uint64_t rounded_size(uint64_t bytes) noexcept;

 private:
  void free_cached_locked() noexcept;

  const dc_backend_iface& iface_;
  std::string backend_;
  mutable std::mutex mutex_;
  std::map<uintptr_t, uint64_t> in_use_;   // address -> rounded size
  std::multimap<uint64_t, void*> cached_;  // rounded size -> block
  PinnedStats stats_;
};

}  // namespace dotcompute
