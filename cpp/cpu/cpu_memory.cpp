// cpp/cpu/cpu_memory.cpp
// Host memory as buffers: 64-byte aligned allocations, wrapped caller memory, copies and fills.
//
// A buffer handle points at a small header. For allocate, the header sits in the first
// kMemoryAlignment bytes of the allocation and the data follows it (one allocation per buffer);
// for wrap_host, the header is allocated on its own and points at the caller's memory. The header
// carries a tag per kind, cleared on release, so releasing a wrapped buffer, unwrapping an owned
// one, or releasing a buffer twice is reported as INVALID_ARGUMENT instead of corrupting the heap
// (a best effort: a pointer that was never a buffer cannot be checked cheaply).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "cpu_backend.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint64_t kOwnedTag = 0x64632d6370752d6fULL;    // "dc-cpu-o"
constexpr uint64_t kWrappedTag = 0x64632d6370752d77ULL;  // "dc-cpu-w"
constexpr uint64_t kReleasedTag = 0x64632d6370752d78ULL;

/// Copies and fills of at least this many bytes are split over the thread pool.
constexpr uint64_t kParallelCopyBytes = uint64_t{4} << 20;
constexpr uint64_t kCopyGrainBytes = uint64_t{1} << 20;

/// Allocations of at least this size ask for transparent huge pages (as numpy does): streaming
/// over tens of megabytes otherwise spends a good part of its time on TLB misses.
constexpr uint64_t kHugePageThresholdBytes = uint64_t{4} << 20;

struct BufferHeader {
  uint64_t tag;
  uint64_t bytes;
  uint8_t* data;
};
static_assert(sizeof(BufferHeader) <= kMemoryAlignment, "the header must fit before the data");

BufferHeader* header_of(dc_buffer buffer) { return reinterpret_cast<BufferHeader*>(buffer); }

const char* describe_bad_tag(uint64_t tag) {
  if (tag == kReleasedTag) return "was already released";
  if (tag == kOwnedTag) return "was made by allocate, not wrap_host";
  if (tag == kWrappedTag) return "was made by wrap_host, not allocate";
  return "is not a cpu buffer";
}

/// Copies at least this large bypass the caches on the way out: the destination would not fit
/// them anyway, and streaming stores skip reading each destination line before writing it
/// (a third of the memory traffic of a plain copy).
constexpr uint64_t kStreamingCopyBytes = uint64_t{64} << 20;

/// memcpy with non-temporal stores (x86-64; plain memcpy elsewhere).
void copy_streaming(uint8_t* destination, const uint8_t* source, uint64_t bytes) {
#if defined(__x86_64__)
  // Head: up to the first 16-byte aligned destination address.
  const uint64_t head =
      std::min<uint64_t>(bytes, (16 - reinterpret_cast<uintptr_t>(destination) % 16) % 16);
  std::memcpy(destination, source, head);
  destination += head;
  source += head;
  bytes -= head;
  const uint64_t vectors = bytes / 64;
  for (uint64_t i = 0; i < vectors; ++i) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source) + 0);
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source) + 1);
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source) + 2);
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source) + 3);
    _mm_stream_si128(reinterpret_cast<__m128i*>(destination) + 0, a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(destination) + 1, b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(destination) + 2, c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(destination) + 3, d);
    source += 64;
    destination += 64;
  }
  _mm_sfence();  // streaming stores are weakly ordered: publish them before the chunk ends
  std::memcpy(destination, source, bytes % 64);
#else
  std::memcpy(destination, source, bytes);
#endif
}

/// memcpy, split into parallel chunks when large (a single core cannot saturate memory).
void copy_bytes(uint8_t* destination, const uint8_t* source, uint64_t bytes) {
  if (bytes == 0 || destination == source) return;
  const bool overlapping = destination < source + bytes && source < destination + bytes;
  ThreadPool* pool = thread_pool();
  if (overlapping || pool == nullptr || bytes < kParallelCopyBytes) {
    std::memmove(destination, source, bytes);
    return;
  }
  if (bytes >= kStreamingCopyBytes) {
    pool->parallel_for(bytes, kCopyGrainBytes, [=](uint64_t begin, uint64_t end) {
      copy_streaming(destination + begin, source + begin, end - begin);
    });
    return;
  }
  pool->parallel_for(bytes, kCopyGrainBytes, [=](uint64_t begin, uint64_t end) {
    std::memcpy(destination + begin, source + begin, end - begin);
  });
}

dc_status allocate(int32_t device, uint64_t bytes, dc_buffer* out_buffer) {
  if (dc_status status = check_device(device)) return status;
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  // aligned_alloc wants a multiple of the alignment; a zero-byte buffer still gets a header.
  const uint64_t padded = (bytes + kMemoryAlignment - 1) / kMemoryAlignment * kMemoryAlignment;
  if (bytes > UINT64_MAX - 2 * kMemoryAlignment || padded + kMemoryAlignment > SIZE_MAX) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "cannot allocate %llu bytes on the cpu",
                static_cast<unsigned long long>(bytes));
  }
  void* memory =
      std::aligned_alloc(kMemoryAlignment, static_cast<size_t>(padded) + kMemoryAlignment);
  if (memory == nullptr) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory allocating %llu bytes",
                static_cast<unsigned long long>(bytes));
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kHugePageThresholdBytes) {
    // madvise wants page boundaries; the kernel uses huge pages where 2 MiB ranges fit inside.
    const uintptr_t page = 4096;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(memory) + page - 1) & ~(page - 1);
    const uintptr_t end =
        (reinterpret_cast<uintptr_t>(memory) + padded + kMemoryAlignment) & ~(page - 1);
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
#endif
  BufferHeader* header =
      new (memory) BufferHeader{kOwnedTag, bytes, static_cast<uint8_t*>(memory) + kMemoryAlignment};
  *out_buffer = reinterpret_cast<dc_buffer>(header);
  return DC_STATUS_OK;
}

dc_status release(int32_t device, dc_buffer buffer) {
  if (dc_status status = check_device(device)) return status;
  if (buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "release: buffer is NULL");
  BufferHeader* header = header_of(buffer);
  if (header->tag != kOwnedTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "release: the buffer %s",
                describe_bad_tag(header->tag));
  }
  header->tag = kReleasedTag;
  std::free(header);
  return DC_STATUS_OK;
}

void* host_pointer(int32_t device, dc_buffer buffer) {
  if (check_device(device) != DC_STATUS_OK) return nullptr;
  if (buffer == nullptr) {
    fail(DC_STATUS_INVALID_ARGUMENT, "host_pointer: buffer is NULL");
    return nullptr;
  }
  const BufferHeader* header = header_of(buffer);
  if (header->tag != kOwnedTag && header->tag != kWrappedTag) {
    fail(DC_STATUS_INVALID_ARGUMENT, "host_pointer: the buffer %s", describe_bad_tag(header->tag));
    return nullptr;
  }
  return header->data;
}

dc_status copy_from_host(int32_t device, dc_stream stream, dc_buffer_view destination,
                         const void* source, uint64_t bytes) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_stream(stream)) return status;
  uint8_t* target = view_address(destination, bytes, "copy_from_host destination");
  if (target == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (source == nullptr && bytes > 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "copy_from_host: source is NULL");
  }
  copy_bytes(target, static_cast<const uint8_t*>(source), bytes);
  return DC_STATUS_OK;
}

dc_status copy_to_host(int32_t device, dc_stream stream, void* destination, dc_buffer_view source,
                       uint64_t bytes) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_stream(stream)) return status;
  const uint8_t* origin = view_address(source, bytes, "copy_to_host source");
  if (origin == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (destination == nullptr && bytes > 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "copy_to_host: destination is NULL");
  }
  copy_bytes(static_cast<uint8_t*>(destination), origin, bytes);
  return DC_STATUS_OK;
}

dc_status copy(int32_t device, dc_stream stream, dc_buffer_view destination, dc_buffer_view source,
               uint64_t bytes) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_stream(stream)) return status;
  uint8_t* target = view_address(destination, bytes, "copy destination");
  if (target == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  const uint8_t* origin = view_address(source, bytes, "copy source");
  if (origin == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  copy_bytes(target, origin, bytes);
  return DC_STATUS_OK;
}

/// Writes the pattern over [begin, end) of a region whose byte 0 holds pattern byte 0.
void fill_range(uint8_t* region, uint64_t begin, uint64_t end, const uint8_t* block,
                uint64_t block_bytes) {
  // block holds the pattern repeated; block_bytes is a multiple of the pattern size, so
  // copying it at multiples of block_bytes keeps the phase.
  uint64_t position = begin;
  while (position < end) {
    const uint64_t phase = position % block_bytes;
    const uint64_t length =
        block_bytes - phase < end - position ? block_bytes - phase : end - position;
    std::memcpy(region + position, block + phase, length);
    position += length;
  }
}

dc_status fill(int32_t device, dc_stream stream, dc_buffer_view destination, const void* pattern,
               uint32_t pattern_size, uint64_t bytes) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = check_stream(stream)) return status;
  if (dc_status status = plugin_support::check_fill_pattern(pattern, pattern_size, bytes)) {
    return status;
  }
  uint8_t* target = view_address(destination, bytes, "fill destination");
  if (target == nullptr) return DC_STATUS_INVALID_ARGUMENT;
  if (bytes == 0) return DC_STATUS_OK;

  const uint8_t* pattern_bytes = static_cast<const uint8_t*>(pattern);
  bool uniform = true;  // a pattern of one repeated byte is a memset
  for (uint32_t i = 1; i < pattern_size; ++i) uniform &= pattern_bytes[i] == pattern_bytes[0];
  ThreadPool* pool = thread_pool();
  const bool parallel = pool != nullptr && bytes >= kParallelCopyBytes;
  if (uniform) {
    if (!parallel) {
      std::memset(target, pattern_bytes[0], bytes);
    } else {
      pool->parallel_for(bytes, kCopyGrainBytes, [=](uint64_t begin, uint64_t end) {
        std::memset(target + begin, pattern_bytes[0], end - begin);
      });
    }
    return DC_STATUS_OK;
  }
  // The pattern repeated over a block copied again and again; a small fill repeats it only as
  // often as it needs (a 1-element fill built the whole 4 KiB block: about 1 us of dc.full).
  constexpr uint64_t kBlockBytes = 4096;  // a multiple of every pattern size
  alignas(64) uint8_t block[kBlockBytes];
  const uint64_t block_bytes =
      bytes < kBlockBytes ? (bytes + pattern_size - 1) / pattern_size * pattern_size : kBlockBytes;
  for (uint64_t i = 0; i < block_bytes; i += pattern_size) {
    std::memcpy(block + i, pattern_bytes, pattern_size);
  }
  if (!parallel) {
    fill_range(target, 0, bytes, block, block_bytes);
  } else {
    pool->parallel_for(bytes, kCopyGrainBytes, [&](uint64_t begin, uint64_t end) {
      fill_range(target, begin, end, block, block_bytes);
    });
  }
  return DC_STATUS_OK;
}

dc_status wrap_host(int32_t device, void* pointer, uint64_t bytes, dc_buffer* out_buffer) {
  if (dc_status status = check_device(device)) return status;
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  if (pointer == nullptr && bytes > 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "wrap_host: pointer is NULL");
  }
  BufferHeader* header =
      new (std::nothrow) BufferHeader{kWrappedTag, bytes, static_cast<uint8_t*>(pointer)};
  if (header == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "wrap_host: out of memory");
  *out_buffer = reinterpret_cast<dc_buffer>(header);
  return DC_STATUS_OK;
}

dc_status unwrap_host(int32_t device, dc_buffer buffer) {
  if (dc_status status = check_device(device)) return status;
  if (buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "unwrap_host: buffer is NULL");
  BufferHeader* header = header_of(buffer);
  if (header->tag != kWrappedTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "unwrap_host: the buffer %s",
                describe_bad_tag(header->tag));
  }
  header->tag = kReleasedTag;
  delete header;  // the memory it points at stays the caller's
  return DC_STATUS_OK;
}

}  // namespace

uint8_t* view_address(dc_buffer_view view, uint64_t bytes, const char* what) noexcept {
  if (view.buffer == nullptr) {
    fail(DC_STATUS_INVALID_ARGUMENT, "%s: buffer is NULL", what);
    return nullptr;
  }
  const BufferHeader* header = header_of(view.buffer);
  if (header->tag != kOwnedTag && header->tag != kWrappedTag) {
    fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer %s", what, describe_bad_tag(header->tag));
    return nullptr;
  }
  if (plugin_support::check_view_range(what, view.offset, bytes, header->bytes) != DC_STATUS_OK) {
    return nullptr;
  }
  return header->data + view.offset;
}

uint8_t* view_elements(dc_buffer_view view, uint64_t count, size_t element_size,
                       const char* what) noexcept {
  if (view.buffer == nullptr) {
    fail(DC_STATUS_INVALID_ARGUMENT, "%s: buffer is NULL", what);
    return nullptr;
  }
  const BufferHeader* header = header_of(view.buffer);
  if (header->tag != kOwnedTag && header->tag != kWrappedTag) {
    fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer %s", what, describe_bad_tag(header->tag));
    return nullptr;
  }
  const uint64_t available = view.offset <= header->bytes ? header->bytes - view.offset : 0;
  if (view.offset > header->bytes || count > available / element_size) {
    fail(DC_STATUS_INVALID_ARGUMENT,
         "%s: count %llu exceeds the %llu elements of %zu bytes between offset %llu and the end "
         "of the buffer",
         what, static_cast<unsigned long long>(count),
         static_cast<unsigned long long>(available / element_size), element_size,
         static_cast<unsigned long long>(view.offset));
    return nullptr;
  }
  return header->data + view.offset;
}

const dc_memory_iface memory_iface = {
    sizeof(dc_memory_iface),
    allocate,
    release,
    host_pointer,
    copy_from_host,
    copy_to_host,
    copy,
    fill,
    wrap_host,
    unwrap_host,
    nullptr,  // device_address: host memory has no separate device address
    nullptr,  // wrap_device: no other device memory to wrap
    nullptr,  // unwrap_device
    nullptr,  // host_allocate: every cpu buffer is host memory already
    nullptr,  // host_release
};

}  // namespace dotcompute::cpu
