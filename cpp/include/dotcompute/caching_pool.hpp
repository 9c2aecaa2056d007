// cpp/include/dotcompute/caching_pool.hpp
// Per-device caching allocator over a plugin's raw allocate/release (policy in caching_pool.cpp).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "dotcompute/backend_abi.h"

namespace dotcompute {

struct PoolStats {
  uint64_t in_use = 0;       ///< bytes handed out and not yet returned (rounded sizes)
  uint64_t requested = 0;    ///< bytes asked for by live allocations (unrounded)
  uint64_t cached = 0;       ///< bytes held in free blocks, ready for reuse
  uint64_t reserved = 0;     ///< bytes obtained from the plugin (in_use + cached)
  uint64_t peak_in_use = 0;  ///< largest in_use seen since creation or reset_peak()
  uint64_t hits = 0;         ///< allocations served from the cache
  uint64_t misses = 0;       ///< allocations that needed a new segment from the plugin
  uint64_t segments = 0;     ///< segments currently obtained from the plugin
  uint64_t oom_retries = 0;  ///< times the cache was emptied to retry a failed allocation
  uint64_t limit = 0;        ///< maximum reserved bytes; 0 = no limit
};

/// A piece of a segment. Users see only segment/offset/size/host.
struct Block {
  dc_buffer segment = nullptr;  ///< the plugin buffer this block lives in
  uint64_t offset = 0;          ///< byte offset inside the segment
  uint64_t size = 0;            ///< rounded size of this block
  uint64_t requested = 0;       ///< bytes the caller asked for
  dc_stream stream = nullptr;   ///< stream the block was allocated for (reuse only there)
  void* host = nullptr;         ///< CPU address when the memory is host visible, else null
  bool allocated = false;
  bool small_pool = false;
  Block* previous = nullptr;  ///< neighbours inside the same segment (split/merge)
  Block* next = nullptr;
};

class CachingPool {
 public:
  /// spec is the device spec used in messages ("cpu", "cuda:0").
  CachingPool(const dc_backend_iface& iface, int device, std::string spec);
  ~CachingPool();  ///< releases every segment to the plugin
  CachingPool(const CachingPool&) = delete;
  CachingPool& operator=(const CachingPool&) = delete;

  /// A block of at least bytes (0 allowed), aligned to the device's memory alignment.
  /// On failure: frees the cache, retries, then throws Error(OutOfMemory) with the stats.
  Block* allocate(uint64_t bytes, dc_stream stream);
  /// Returns a block to the cache (merging free neighbours).
  void release(Block* block) noexcept;
  /// Gives every fully free segment back to the plugin.
  void empty_cache() noexcept;
  /// A stream is going away: its blocks (all free by then, see Note [Stream-tagged blocks] in
  /// storage.cpp) become blocks of the default stream. The caller has synchronized the stream,
  /// so no queued work still uses them.
  void retire_stream(dc_stream stream) noexcept;
  PoolStats stats() const;
  void set_limit(uint64_t bytes);
  void reset_peak() noexcept;

  static dc_buffer_view view(const Block* block) noexcept {
    return {block->segment, block->offset};
  }

 private:
  // see caching_pool.cpp for the policy
  struct BlockLess {
    bool operator()(const Block* a, const Block* b) const noexcept;
  };
  std::set<Block*, BlockLess>& free_set(bool small) noexcept;
  /// Takes the best-fitting free block out of its set (and out of cached), or null.
  Block* find_free_block(uint64_t size, dc_stream stream, bool small);
  /// A new segment as one block, or null on out of memory / limit (with the reason).
  Block* allocate_segment(uint64_t size, dc_stream stream, bool small, std::string& failure_reason);
  /// Gives a fully free segment (one free block) back to the plugin.
  void release_segment(Block* block) noexcept;
  /// empty_cache() with the mutex held; returns the bytes given back.
  uint64_t empty_cache_locked() noexcept;
  /// Merges block->next (free) into block.
  void absorb_next(Block* block) noexcept;
  std::string describe_stats_locked() const;
  [[noreturn]] void throw_out_of_memory_locked(uint64_t bytes, const std::string& reason) const;

  const dc_backend_iface& iface_;
  int device_;
  std::string spec_;
  uint64_t alignment_ = 256;      ///< every block offset is a multiple of it
  uint64_t rounding_unit_ = 512;  ///< every block size is a multiple of it
  uint64_t small_segment_size_ = 0;
  uint64_t large_segment_granularity_ = 0;
  bool host_visible_ = false;
  mutable std::mutex mutex_;
  std::set<Block*, BlockLess> small_free_, large_free_;
  std::set<Block*> segments_;  ///< first block of every segment (stable: merges keep it)
  PoolStats stats_;
};

}  // namespace dotcompute
