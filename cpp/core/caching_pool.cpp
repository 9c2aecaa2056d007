// cpp/core/caching_pool.cpp
// Per-device caching allocator over a plugin's raw allocate/release: the policy is below.
//
// Policy
// ------
// Plugins allocate device memory slowly (cudaMalloc synchronizes the device, clCreateBuffer and
// MTLBuffer cost a driver round trip), so the core asks a plugin for large *segments* and carves
// them into *blocks*. A released block goes back into the pool instead of to the plugin, and a
// later request of a fitting size reuses it (a "hit"). Only empty_cache(), a lowered limit, the
// out-of-memory path and the destructor give segments back.
//
// Size classes. Every size is rounded up to the rounding unit, the least common multiple of
// kMinimumBlockSize and the device alignment, so every block offset stays aligned. Requests of
// at most kSmallRequestLimit come from the small pool, whose segments are kSmallSegmentSize
// each: many small arrays then share one plugin allocation. Larger requests come from the large
// pool, whose segments are the request rounded up to kLargeSegmentGranularity. The two pools
// never mix, so tiny long-lived arrays cannot pin down big segments.
//
// Best fit, split, merge. Free blocks sit in one ordered set per pool, keyed by (stream, size,
// address); lower_bound finds the smallest free block on the right stream that is big enough.
// When that block is larger than needed and the rest is worth keeping (at least one rounding
// unit in the small pool, more than kSmallRequestLimit in the large pool, so the large pool does
// not fill with slivers no large request could use), it is split and the rest stays free. On
// release a block merges with free neighbours inside its segment, so a segment whose blocks are
// all free is again one block, and empty_cache() can give it back.
//
// Streams. A block remembers the stream it was allocated for, and only a request on that stream
// reuses it. Work on one stream runs in order, so a block freed while kernels that use it are
// still queued is safe to hand to the next request on the same stream: that request's work runs
// after them. Blocks split from a segment inherit its stream, so merging never mixes streams.
//
// Limit and out of memory. The limit caps reserved bytes (what the plugin gave us). A new segment
// that would exceed it is treated exactly like a plugin DC_STATUS_OUT_OF_MEMORY: the pool gives
// every fully free cached segment back (empty_cache), counts an oom retry and tries once more;
// if that fails too it throws Error(OutOfMemory) whose message carries the stats and says what
// the user can do. Any other plugin failure throws the error matching its status, with the
// plugin's last_error text.
//
// Accounting. reserved == in_use + cached at all times: in_use is the rounded size of allocated
// blocks, cached the size of free blocks, requested the unrounded bytes callers asked for.
// Everything is guarded by one mutex; plugin calls happen under it, which serializes allocation
// per device, as PyTorch's allocator does.

#include "dotcompute/caching_pool.hpp"

#include <vector>

#include <cstdio>
#include <limits>
#include <memory>
#include <new>
#include <numeric>
#include <utility>

#include "dotcompute/errors.hpp"

namespace dotcompute {
namespace {

constexpr uint64_t kKiB = uint64_t{1} << 10;
constexpr uint64_t kMiB = uint64_t{1} << 20;

/// Smallest block; every size is rounded up to a multiple of it (and of the device alignment).
constexpr uint64_t kMinimumBlockSize = 512;
/// Alignment the pool keeps even on devices that promise less (cache lines, vector loads).
constexpr uint64_t kMinimumAlignment = 256;
/// Requests up to this many bytes are served by the small pool.
constexpr uint64_t kSmallRequestLimit = 1 * kMiB;
/// Size of each segment of the small pool.
constexpr uint64_t kSmallSegmentSize = 2 * kMiB;
/// Segments of the large pool are the request rounded up to a multiple of this.
constexpr uint64_t kLargeSegmentGranularity = 2 * kMiB;
/// Larger requests cannot be rounded without overflowing; they fail as out of memory.
constexpr uint64_t kLargestRequest = std::numeric_limits<uint64_t>::max() / 2;

uint64_t round_up(uint64_t value, uint64_t unit) noexcept {
  return (value + unit - 1) / unit * unit;
}

/// "0 B", "512 B", "1.5 KiB", "700.0 MiB": sizes as people read them in error messages.
std::string format_bytes(uint64_t bytes) {
  if (bytes < kKiB) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / static_cast<double>(kKiB);
  size_t unit = 0;
  while (value >= static_cast<double>(kKiB) && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    value /= static_cast<double>(kKiB);
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

uintptr_t address_of(const void* pointer) noexcept { return reinterpret_cast<uintptr_t>(pointer); }

}  // namespace

// Order of the free sets: stream first (reuse only on the same stream), then size (best fit with
// lower_bound), then address (a deterministic, total order). Pointers are compared as integers
// so that a probe key with a null segment sorts before every real block of its (stream, size).
bool CachingPool::BlockLess::operator()(const Block* a, const Block* b) const noexcept {
  if (a->stream != b->stream) return address_of(a->stream) < address_of(b->stream);
  if (a->size != b->size) return a->size < b->size;
  if (a->segment != b->segment) return address_of(a->segment) < address_of(b->segment);
  return a->offset < b->offset;
}

CachingPool::CachingPool(const dc_backend_iface& iface, int device, std::string spec)
    : iface_(iface), device_(device), spec_(std::move(spec)) {
  dc_device_info info{};
  info.struct_size = sizeof(info);
  const dc_status status = iface_.device->info(device_, &info);
  if (status != DC_STATUS_OK) {
    raise(error_kind_for_status(status),
          spec_ + ": cannot read device info for its memory pool: " + iface_.last_error());
  }
  const uint64_t device_alignment = info.memory_alignment > 0 ? info.memory_alignment : 1;
  alignment_ = std::lcm(kMinimumAlignment, device_alignment);
  rounding_unit_ = std::lcm(kMinimumBlockSize, alignment_);
  small_segment_size_ = round_up(kSmallSegmentSize, rounding_unit_);
  large_segment_granularity_ = std::lcm(kLargeSegmentGranularity, rounding_unit_);
  host_visible_ = info.host_visible != 0;
}

// Note [Closing with live blocks]
// The pool dies with its plugin, which closes only when no buffer refers to it any more (see
// Note [Plugin lifetime] in plugin.hpp) or when the process exits. Blocks still marked allocated
// at that point belong to nobody who can use them, so every segment goes back to the plugin.
CachingPool::~CachingPool() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Block* head : segments_) {
    const dc_buffer segment = head->segment;
    for (Block* block = head; block != nullptr;) {
      Block* next = block->next;
      delete block;
      block = next;
    }
    iface_.memory->release(device_, segment);  // nothing useful to do with a failure here
  }
  segments_.clear();
  small_free_.clear();
  large_free_.clear();
}

Block* CachingPool::allocate(uint64_t bytes, dc_stream stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > kLargestRequest) throw_out_of_memory_locked(bytes, "the size is not addressable");

  const bool small = bytes <= kSmallRequestLimit;
  // Zero-byte requests get one rounding unit: a valid, distinct block like any other.
  const uint64_t size = round_up(bytes > 0 ? bytes : 1, rounding_unit_);

  Block* block = find_free_block(size, stream, small);
  if (block != nullptr) {
    ++stats_.hits;
  } else {
    const uint64_t segment_size =
        small ? small_segment_size_ : round_up(size, large_segment_granularity_);
    std::string reason;
    block = allocate_segment(segment_size, stream, small, reason);
    if (block == nullptr && empty_cache_locked() > 0) {
      ++stats_.oom_retries;
      block = allocate_segment(segment_size, stream, small, reason);
    }
    if (block == nullptr) throw_out_of_memory_locked(bytes, reason);
    ++stats_.misses;
  }

  // The block is out of the free set and no longer counted as cached; give back what is left.
  const uint64_t remainder = block->size - size;
  const uint64_t worth_keeping = small ? rounding_unit_ : kSmallRequestLimit + 1;
  // Without host memory for the rest's bookkeeping the block is simply handed out whole.
  Block* rest = remainder >= worth_keeping ? new (std::nothrow) Block : nullptr;
  if (rest != nullptr) {
    rest->segment = block->segment;
    rest->offset = block->offset + size;
    rest->size = remainder;
    rest->stream = block->stream;
    rest->host = block->host != nullptr ? static_cast<char*>(block->host) + size : nullptr;
    rest->small_pool = block->small_pool;
    rest->previous = block;
    rest->next = block->next;
    if (block->next != nullptr) block->next->previous = rest;
    block->next = rest;
    block->size = size;
    free_set(small).insert(rest);
    stats_.cached += remainder;
  }

  block->allocated = true;
  block->requested = bytes;
  stats_.in_use += block->size;
  stats_.requested += bytes;
  if (stats_.in_use > stats_.peak_in_use) stats_.peak_in_use = stats_.in_use;
  return block;
}

void CachingPool::release(Block* block) noexcept {
  if (block == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!block->allocated) return;  // a double release must not corrupt the free sets

  block->allocated = false;
  stats_.in_use -= block->size;
  stats_.requested -= block->requested;
  stats_.cached += block->size;
  block->requested = 0;

  auto& free_blocks = free_set(block->small_pool);
  // Merging keeps the lower block object and deletes the upper one, so a segment's first block
  // (its entry in segments_) lives as long as the segment.
  if (Block* previous = block->previous; previous != nullptr && !previous->allocated) {
    free_blocks.erase(previous);  // its key (size) is about to change
    absorb_next(previous);
    block = previous;
  }
  if (Block* next = block->next; next != nullptr && !next->allocated) {
    free_blocks.erase(next);
    absorb_next(block);
  }
  free_blocks.insert(block);
}

void CachingPool::empty_cache() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  empty_cache_locked();
}

void CachingPool::retire_stream(dc_stream stream) noexcept {
  if (stream == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto* free_blocks : {&small_free_, &large_free_}) {
    std::vector<Block*> moved;
    for (auto it = free_blocks->begin(); it != free_blocks->end();) {
      if ((*it)->stream == stream) {
        moved.push_back(*it);
        it = free_blocks->erase(it);  // the stream is part of the key: take out, retag, put back
      } else {
        ++it;
      }
    }
    for (Block* block : moved) {
      block->stream = nullptr;
      free_blocks->insert(block);
    }
  }
  // Allocated blocks keep their tag; they cannot exist here (their storages hold the stream).
  for (Block* head : segments_) {
    for (Block* block = head; block != nullptr; block = block->next) {
      if (block->stream == stream) block->stream = nullptr;
    }
  }
}

PoolStats CachingPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingPool::set_limit(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.limit = bytes;
  // A limit below what is already reserved is honoured as far as the cache allows; memory in
  // use stays, and no new segment is taken until reserved drops below the limit.
  if (bytes != 0 && stats_.reserved > bytes) empty_cache_locked();
}

void CachingPool::reset_peak() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_in_use = stats_.in_use;
}

std::set<Block*, CachingPool::BlockLess>& CachingPool::free_set(bool small) noexcept {
  return small ? small_free_ : large_free_;
}

Block* CachingPool::find_free_block(uint64_t size, dc_stream stream, bool small) {
  auto& free_blocks = free_set(small);
  Block key;
  key.stream = stream;
  key.size = size;
  const auto found = free_blocks.lower_bound(&key);
  if (found == free_blocks.end() || (*found)->stream != stream) return nullptr;
  Block* block = *found;
  free_blocks.erase(found);
  stats_.cached -= block->size;
  return block;
}

Block* CachingPool::allocate_segment(uint64_t size, dc_stream stream, bool small,
                                     std::string& failure_reason) {
  const uint64_t limit = stats_.limit;
  if (limit != 0 && (stats_.reserved > limit || size > limit - stats_.reserved)) {
    failure_reason = "the memory limit would be exceeded";
    return nullptr;
  }
  // Bookkeeping first, so that no failure can leave a segment the pool does not know about.
  auto block = std::make_unique<Block>();
  dc_buffer segment = nullptr;
  const dc_status status = iface_.memory->allocate(device_, size, &segment);
  if (status == DC_STATUS_OUT_OF_MEMORY) {
    failure_reason = iface_.last_error();
    return nullptr;
  }
  if (status != DC_STATUS_OK) {
    const std::string what = spec_ + ": allocating " + format_bytes(size) + " of device memory";
    raise(error_kind_for_status(status),
          what + " failed (" + status_name(status) + "): " + iface_.last_error());
  }
  if (segment == nullptr) {
    const std::string what = spec_ + ": the plugin allocated " + format_bytes(size);
    raise(ErrorKind::Plugin, what + " but returned no buffer (a bug in the plugin)");
  }

  try {
    segments_.insert(block.get());
  } catch (...) {
    iface_.memory->release(device_, segment);
    throw;
  }
  block->segment = segment;
  block->size = size;
  block->stream = stream;
  block->small_pool = small;
  // The segment base is looked up once; split blocks derive their address from it.
  block->host = host_visible_ ? iface_.memory->host_pointer(device_, segment) : nullptr;
  ++stats_.segments;
  stats_.reserved += size;
  return block.release();  // not in a free set, not counted as cached: the caller takes it
}

void CachingPool::release_segment(Block* block) noexcept {
  free_set(block->small_pool).erase(block);
  segments_.erase(block);
  stats_.cached -= block->size;
  stats_.reserved -= block->size;
  --stats_.segments;
  iface_.memory->release(device_, block->segment);  // a failure leaves nothing to undo
  delete block;
}

uint64_t CachingPool::empty_cache_locked() noexcept {
  uint64_t freed = 0;
  for (auto* free_blocks : {&small_free_, &large_free_}) {
    for (auto it = free_blocks->begin(); it != free_blocks->end();) {
      Block* block = *it++;  // advance first: release_segment erases block from this set
      if (block->previous == nullptr && block->next == nullptr) {
        freed += block->size;
        release_segment(block);
      }
    }
  }
  return freed;
}

void CachingPool::absorb_next(Block* block) noexcept {
  Block* next = block->next;
  block->size += next->size;
  block->next = next->next;
  if (next->next != nullptr) next->next->previous = block;
  delete next;
}

std::string CachingPool::describe_stats_locked() const {
  return format_bytes(stats_.in_use) + " in use, " + format_bytes(stats_.cached) + " cached, " +
         format_bytes(stats_.reserved) + " reserved in " + std::to_string(stats_.segments) +
         (stats_.segments == 1 ? " segment, peak " : " segments, peak ") +
         format_bytes(stats_.peak_in_use);
}

void CachingPool::throw_out_of_memory_locked(uint64_t bytes, const std::string& reason) const {
  const std::string limit =
      stats_.limit != 0 ? "limit " + format_bytes(stats_.limit) : "no memory limit";
  std::string message = spec_ + ": out of memory allocating " + format_bytes(bytes) + " (" + limit +
                        "): " + describe_stats_locked() + ". ";
  if (!reason.empty()) message += "Cause: " + reason + ". ";
  message += "Free arrays you no longer need (del x, or x.release())";
  message += stats_.limit != 0 ? ", or raise the limit with dc.set_memory_limit()."
                               : ", or allocate less.";
  raise(ErrorKind::OutOfMemory, message);
}

}  // namespace dotcompute
