// cpp/cpu/cpu_scratch.hpp
// Work buffers that algorithm slots keep per thread between calls.
//
// A large buffer fresh from the allocator is fresh mmap'ed memory: the kernel zeroes and maps
// every page on first touch, which for a 16M-element sort costs as much as a radix pass. Slots
// therefore keep their last work buffer (uninitialized, per calling thread) up to kKeptBytes;
// larger requests get memory for the call alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace dotcompute::cpu {

constexpr size_t kKeptScratchBytes = size_t{512} << 20;

/// At least `bytes` of 64-byte aligned, uninitialized memory, valid until the next call of the
/// same `Tag` on this thread (or the end of `holder`'s life for oversized requests).
template <typename Tag>
unsigned char* scratch_bytes(size_t bytes, std::unique_ptr<unsigned char[]>& holder) {
  thread_local std::unique_ptr<unsigned char[]> kept;
  thread_local size_t kept_size = 0;
  const size_t padded = bytes + 64;
  unsigned char* base = nullptr;
  if (padded <= kKeptScratchBytes) {
    if (kept_size < padded) {
      kept.reset();
      kept.reset(new unsigned char[padded]);
      kept_size = padded;
    }
    base = kept.get();
  } else {
    holder.reset(new unsigned char[padded]);
    base = holder.get();
  }
  while (reinterpret_cast<uintptr_t>(base) % 64 != 0) ++base;
  return base;
}

}  // namespace dotcompute::cpu
