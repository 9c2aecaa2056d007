// cpp/core/pinned_pool.cpp
// Page-locked host blocks cached by rounded size (Note [Pinned pool] in pinned_pool.hpp).
#include "dotcompute/pinned_pool.hpp"

#include "dotcompute/abi_slots.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

constexpr uint64_t kSmallLimit = 1ULL << 20;  // 1 MiB
constexpr uint64_t kLargeStep = 2ULL << 20;   // 2 MiB
constexpr uint64_t kSmallest = 4096;          // one page

}  // namespace

PinnedPool::PinnedPool(const dc_backend_iface& iface, std::string backend)
    : iface_(iface), backend_(std::move(backend)) {}

PinnedPool::~PinnedPool() {
  std::lock_guard<std::mutex> lock(mutex_);
  free_cached_locked();
}

bool PinnedPool::supported(const dc_backend_iface& iface) noexcept {
  const dc_memory_iface& memory = *iface.memory;
  return DC_OPTIONAL_SLOT(memory, host_allocate) != nullptr &&
         DC_OPTIONAL_SLOT(memory, host_release) != nullptr;
}

uint64_t PinnedPool::rounded_size(uint64_t bytes) noexcept {
  if (bytes <= kSmallest) return kSmallest;
  if (bytes <= kSmallLimit) {
    uint64_t size = kSmallest;
    while (size < bytes) size <<= 1;
    return size;
  }
  return (bytes + kLargeStep - 1) / kLargeStep * kLargeStep;
}

void* PinnedPool::allocate(uint64_t bytes) {
  if (bytes == 0) raise(ErrorKind::InvalidArgument, "pinned memory of 0 bytes");
  if (!supported(iface_)) {
    raise(ErrorKind::Unsupported,
          "backend '" + backend_ + "' has no page-locked host memory; its transfers need none");
  }
  const uint64_t size = rounded_size(bytes);
  std::unique_lock<std::mutex> lock(mutex_);
  auto cached = cached_.find(size);
  if (cached != cached_.end()) {
    void* pointer = cached->second;
    cached_.erase(cached);
    stats_.cached -= size;
    stats_.in_use += size;
    ++stats_.hits;
    in_use_.emplace(reinterpret_cast<uintptr_t>(pointer), size);
    return pointer;
  }
  ++stats_.misses;
  void* pointer = nullptr;
  dc_status status = iface_.memory->host_allocate(0, size, &pointer);
  if (status == DC_STATUS_OUT_OF_MEMORY && !cached_.empty()) {
    free_cached_locked();  // other sizes may be what stands in the way: give them back, retry
    status = iface_.memory->host_allocate(0, size, &pointer);
  }
  if (status != DC_STATUS_OK) {
    const std::string message = iface_.last_error();
    raise(status == DC_STATUS_OUT_OF_MEMORY ? ErrorKind::OutOfMemory : ErrorKind::Device,
          "page-locked host memory of " + std::to_string(bytes) + " bytes on backend '" + backend_ +
              "': " + message);
  }
  stats_.in_use += size;
  in_use_.emplace(reinterpret_cast<uintptr_t>(pointer), size);
  return pointer;
}

void PinnedPool::release(void* pointer) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = in_use_.find(reinterpret_cast<uintptr_t>(pointer));
  if (found == in_use_.end()) return;
  const uint64_t size = found->second;
  in_use_.erase(found);
  stats_.in_use -= size;
  stats_.cached += size;
  cached_.emplace(size, pointer);
}

bool PinnedPool::contains(const void* pointer, uint64_t bytes) const {
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  std::lock_guard<std::mutex> lock(mutex_);
  if (in_use_.empty()) return false;
  auto after = in_use_.upper_bound(address);
  if (after == in_use_.begin()) return false;
  const auto& [start, size] = *std::prev(after);
  return address >= start && address - start <= size && bytes <= size - (address - start);
}

void PinnedPool::empty_cache() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  free_cached_locked();
}

PinnedStats PinnedPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void PinnedPool::free_cached_locked() noexcept {
  for (const auto& [size, pointer] : cached_) {
    iface_.memory->host_release(0, pointer);  // nothing to do about a failure: the block is gone
    stats_.cached -= size;
  }
  cached_.clear();
}

}  // namespace dotcompute
