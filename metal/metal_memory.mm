// metal/metal_memory.mm
// Device memory (Objective-C++): MTLBuffers the core's caching pool carves, transfers and fills.
//
// Note [Storage modes]
// On unified-memory Macs (every Apple-silicon Mac) buffers are MTLResourceStorageModeShared:
// the CPU and GPU see the same pages, host_pointer returns the buffer's contents, and the core
// exposes such arrays to numpy through the buffer protocol without copying. On a discrete GPU
// buffers are MTLResourceStorageModePrivate and every transfer is a blit through a staging
// buffer in shared storage.
//
// Note [CPU access to shared buffers]
// A CPU read or write of a shared buffer must not race the GPU work queued before it on the
// stream, so shared-storage transfers first commit and wait for the stream (a sync point, as
// the ABI allows for copy_to_host, and as cuMemcpyHtoD is synchronous on CUDA); then they are
// plain memcpy/memmove. Device-to-device copies and fills of 4-byte-aligned ranges are blit
// commands in the stream's command buffer (Note [Launch batches]) and return at once; other
// ranges of shared buffers are done by the CPU after the same wait. Staged uploads to private
// buffers copy the caller's bytes into a new shared buffer at once (newBufferWithBytes), so
// the call returns without waiting and the caller may reuse its memory, as the ABI promises.
#import <Foundation/Foundation.h>
#import <Metal/Metal.h>

#include <cstring>
#include <new>

#include "metal_backend.hpp"

namespace dotcompute::metal {
namespace {

constexpr uint64_t kBufferTag = 0x64632d6d746c622dULL;    // "dc-mtlb-"
constexpr uint64_t kReleasedTag = 0x64632d6d746c6278ULL;  // "dc-mtlbx"

struct MetalBuffer {
  uint64_t tag;
  int32_t device;
  void* buffer;  ///< id<MTLBuffer>, retained; nullptr for an empty buffer
  uint64_t bytes;
  bool shared;  ///< MTLResourceStorageModeShared (host visible)
};

MetalBuffer* as_buffer(dc_buffer buffer) { return reinterpret_cast<MetalBuffer*>(buffer); }

dc_status check_view(const DeviceState& state, dc_buffer_view view, uint64_t bytes,
                     const char* what) {
  if (view.buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: buffer is NULL", what);
  const MetalBuffer* header = as_buffer(view.buffer);
  if (header->tag != kBufferTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer %s", what,
                header->tag == kReleasedTag ? "was already released" : "is not a metal buffer");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer lives on metal:%d, not metal:%d", what,
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  if (dc_status status =
          plugin_support::check_view_range(what, view.offset, bytes, header->bytes)) {
    return status;
  }
  return DC_STATUS_OK;
}

uint8_t* contents(const MetalBuffer& buffer) {
  return static_cast<uint8_t*>([(__bridge id<MTLBuffer>)buffer.buffer contents]);
}

/// Resolves the stream and waits for its work (Note [CPU access to shared buffers]).
dc_status wait_for_stream(DeviceState& state, dc_stream stream, MetalStream** out) {
  if (dc_status status = resolve_stream(state, stream, out)) return status;
  return finish_stream(**out);
}

/// Encodes a blit with the stream's open command buffer (stream mutex held inside).
template <typename Encode>
dc_status encode_blit(MetalStream& stream, Encode encode) {
  std::lock_guard<std::mutex> lock(stream.mutex);
  id<MTLCommandBuffer> buffer = (__bridge id<MTLCommandBuffer>)open_command_buffer_locked(stream);
  if (buffer == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "commandBuffer returned nil");
  id<MTLBlitCommandEncoder> blit = [buffer blitCommandEncoder];
  if (blit == nil) return fail(DC_STATUS_INTERNAL, "blitCommandEncoder returned nil");
  encode(blit);
  [blit endEncoding];
  count_command_locked(stream);
  return DC_STATUS_OK;
}

bool multiple_of_four(uint64_t a, uint64_t b, uint64_t c) { return ((a | b | c) & 3) == 0; }

// ----- the memory table ---------------------------------------------------------------------

dc_status allocate(int32_t device, uint64_t bytes, dc_buffer* out_buffer) {
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (state->max_buffer_length != 0 && bytes > state->max_buffer_length) {
    return fail(DC_STATUS_OUT_OF_MEMORY,
                "metal:%d cannot allocate %llu bytes in one buffer: the device's largest buffer "
                "(maxBufferLength) is %llu bytes",
                static_cast<int>(device), static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(state->max_buffer_length));
  }
  auto* header =
      new (std::nothrow) MetalBuffer{kBufferTag, device, nullptr, bytes, state->unified_memory};
  if (header == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  if (bytes > 0) {  // Metal makes no zero-length buffer; an empty one has no MTLBuffer
    @autoreleasepool {
      id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
      const MTLResourceOptions options =
          header->shared ? MTLResourceStorageModeShared : MTLResourceStorageModePrivate;
      id<MTLBuffer> buffer = [metal_device newBufferWithLength:static_cast<NSUInteger>(bytes)
                                                       options:options];
      if (buffer == nil) {
        delete header;
        return fail(DC_STATUS_OUT_OF_MEMORY,
                    "metal:%d is out of memory allocating %llu bytes "
                    "(recommendedMaxWorkingSetSize %llu bytes)",
                    static_cast<int>(device), static_cast<unsigned long long>(bytes),
                    static_cast<unsigned long long>(state->recommended_working_set));
      }
      header->buffer = (__bridge_retained void*)buffer;
    }
  }
  *out_buffer = reinterpret_cast<dc_buffer>(header);
  return DC_STATUS_OK;
}

dc_status release(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_view(*state, {buffer, 0}, 0, "release")) return status;
  MetalBuffer* header = as_buffer(buffer);
  // Command buffers retain the MTLBuffers they use, so work still queued keeps the memory.
  if (header->buffer != nullptr) CFBridgingRelease(header->buffer);
  header->tag = kReleasedTag;
  delete header;
  return DC_STATUS_OK;
}

void* host_pointer(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (find_device(device, &state) != DC_STATUS_OK) return nullptr;
  if (check_view(*state, {buffer, 0}, 0, "host_pointer") != DC_STATUS_OK) return nullptr;
  const MetalBuffer* header = as_buffer(buffer);
  if (!header->shared || header->buffer == nullptr) return nullptr;
  return contents(*header);
}

dc_status copy_from_host(int32_t device, dc_stream stream, dc_buffer_view destination,
                         const void* source, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_view(*state, destination, bytes, "copy_from_host destination")) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  if (source == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "copy_from_host: source is NULL");
  const MetalBuffer& target = *as_buffer(destination.buffer);
  MetalStream* resolved = nullptr;
  if (target.shared) {
    if (dc_status status = wait_for_stream(*state, stream, &resolved)) return status;
    std::memcpy(contents(target) + destination.offset, source, static_cast<size_t>(bytes));
    return DC_STATUS_OK;
  }
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  @autoreleasepool {
    id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
    id<MTLBuffer> staging = [metal_device newBufferWithBytes:source
                                                      length:static_cast<NSUInteger>(bytes)
                                                     options:MTLResourceStorageModeShared];
    if (staging == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "no staging buffer for the upload");
    id<MTLBuffer> into = (__bridge id<MTLBuffer>)target.buffer;
    return encode_blit(*resolved, [&](id<MTLBlitCommandEncoder> blit) {
      [blit copyFromBuffer:staging
               sourceOffset:0
                   toBuffer:into
          destinationOffset:static_cast<NSUInteger>(destination.offset)
                       size:static_cast<NSUInteger>(bytes)];
    });
  }
}

dc_status copy_to_host(int32_t device, dc_stream stream, void* destination, dc_buffer_view source,
                       uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_view(*state, source, bytes, "copy_to_host source")) return status;
  if (bytes == 0) return DC_STATUS_OK;
  if (destination == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "copy_to_host: destination is NULL");
  }
  const MetalBuffer& origin = *as_buffer(source.buffer);
  MetalStream* resolved = nullptr;
  if (origin.shared) {
    if (dc_status status = wait_for_stream(*state, stream, &resolved)) return status;
    std::memcpy(destination, contents(origin) + source.offset, static_cast<size_t>(bytes));
    return DC_STATUS_OK;
  }
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  @autoreleasepool {
    id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
    id<MTLBuffer> staging = [metal_device newBufferWithLength:static_cast<NSUInteger>(bytes)
                                                      options:MTLResourceStorageModeShared];
    if (staging == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "no staging buffer for the download");
    id<MTLBuffer> from = (__bridge id<MTLBuffer>)origin.buffer;
    if (dc_status status = encode_blit(*resolved, [&](id<MTLBlitCommandEncoder> blit) {
          [blit copyFromBuffer:from
                   sourceOffset:static_cast<NSUInteger>(source.offset)
                       toBuffer:staging
              destinationOffset:0
                           size:static_cast<NSUInteger>(bytes)];
        })) {
      return status;
    }
    if (dc_status status = finish_stream(*resolved)) return status;
    std::memcpy(destination, [staging contents], static_cast<size_t>(bytes));
  }
  return DC_STATUS_OK;
}

dc_status copy(int32_t device, dc_stream stream, dc_buffer_view destination, dc_buffer_view source,
               uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_view(*state, destination, bytes, "copy destination")) return status;
  if (dc_status status = check_view(*state, source, bytes, "copy source")) return status;
  const MetalBuffer& target = *as_buffer(destination.buffer);
  const MetalBuffer& origin = *as_buffer(source.buffer);
  if (bytes == 0 || (target.buffer == origin.buffer && destination.offset == source.offset)) {
    return DC_STATUS_OK;
  }
  const bool overlap = target.buffer == origin.buffer &&
                       destination.offset < source.offset + bytes &&
                       source.offset < destination.offset + bytes;
  MetalStream* resolved = nullptr;
  if (overlap || !multiple_of_four(destination.offset, source.offset, bytes)) {
    // Blits need 4-byte multiples and disjoint ranges; shared memory can take a CPU memmove.
    if (!target.shared || !origin.shared) {
      return fail(DC_STATUS_UNSUPPORTED,
                  "copy: the metal backend copies private (discrete-GPU) memory in disjoint "
                  "ranges whose offsets and size are multiples of 4 bytes");
    }
    if (dc_status status = wait_for_stream(*state, stream, &resolved)) return status;
    std::memmove(contents(target) + destination.offset, contents(origin) + source.offset,
                 static_cast<size_t>(bytes));
    return DC_STATUS_OK;
  }
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  @autoreleasepool {
    id<MTLBuffer> from = (__bridge id<MTLBuffer>)origin.buffer;
    id<MTLBuffer> into = (__bridge id<MTLBuffer>)target.buffer;
    return encode_blit(*resolved, [&](id<MTLBlitCommandEncoder> blit) {
      [blit copyFromBuffer:from
               sourceOffset:static_cast<NSUInteger>(source.offset)
                   toBuffer:into
          destinationOffset:static_cast<NSUInteger>(destination.offset)
                       size:static_cast<NSUInteger>(bytes)];
    });
  }
}

dc_status fill(int32_t device, dc_stream stream, dc_buffer_view destination, const void* pattern,
               uint32_t pattern_size, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = plugin_support::check_fill_pattern(pattern, pattern_size, bytes)) {
    return status;
  }
  if (dc_status status = check_view(*state, destination, bytes, "fill destination")) return status;
  if (bytes == 0) return DC_STATUS_OK;
  const MetalBuffer& target = *as_buffer(destination.buffer);
  const auto* pattern_bytes = static_cast<const uint8_t*>(pattern);
  bool uniform = true;
  for (uint32_t i = 1; i < pattern_size; ++i) uniform &= pattern_bytes[i] == pattern_bytes[0];
  MetalStream* resolved = nullptr;
  if (uniform && multiple_of_four(destination.offset, bytes, 0)) {
    if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
    @autoreleasepool {
      id<MTLBuffer> into = (__bridge id<MTLBuffer>)target.buffer;
      return encode_blit(*resolved, [&](id<MTLBlitCommandEncoder> blit) {
        [blit fillBuffer:into
                   range:NSMakeRange(static_cast<NSUInteger>(destination.offset),
                                     static_cast<NSUInteger>(bytes))
                   value:pattern_bytes[0]];
      });
    }
  }
  if (target.shared) {
    if (dc_status status = wait_for_stream(*state, stream, &resolved)) return status;
    uint8_t* out = contents(target) + destination.offset;
    for (uint64_t at = 0; at < bytes; at += pattern_size)
      std::memcpy(out + at, pattern, pattern_size);
    return DC_STATUS_OK;
  }
  // Private memory and a multi-byte pattern: the pattern repeated in a staging buffer, blitted.
  if (dc_status status = resolve_stream(*state, stream, &resolved)) return status;
  @autoreleasepool {
    id<MTLDevice> metal_device = (__bridge id<MTLDevice>)state->device;
    id<MTLBuffer> staging = [metal_device newBufferWithLength:static_cast<NSUInteger>(bytes)
                                                      options:MTLResourceStorageModeShared];
    if (staging == nil) return fail(DC_STATUS_OUT_OF_MEMORY, "no staging buffer for the fill");
    auto* out = static_cast<uint8_t*>([staging contents]);
    for (uint64_t at = 0; at < bytes; at += pattern_size)
      std::memcpy(out + at, pattern, pattern_size);
    id<MTLBuffer> into = (__bridge id<MTLBuffer>)target.buffer;
    return encode_blit(*resolved, [&](id<MTLBlitCommandEncoder> blit) {
      [blit copyFromBuffer:staging
               sourceOffset:0
                   toBuffer:into
          destinationOffset:static_cast<NSUInteger>(destination.offset)
                       size:static_cast<NSUInteger>(bytes)];
    });
  }
}

}  // namespace

/// The MTLBuffer (borrowed) and byte offset of a view for a kernel argument; nullptr for an
/// empty buffer. Message on failure.
dc_status argument_buffer(DeviceState& state, dc_buffer_view view, void** out_buffer,
                          uint64_t* out_offset) noexcept {
  *out_buffer = nullptr;
  *out_offset = 0;
  if (dc_status status = check_view(state, view, 0, "buffer")) return status;
  *out_buffer = as_buffer(view.buffer)->buffer;
  *out_offset = view.offset;
  return DC_STATUS_OK;
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
    nullptr,  // wrap_host: newBufferWithBytesNoCopy needs page-aligned memory; not yet
    nullptr,  // unwrap_host
    nullptr,  // device_address: Metal buffers have no address the host may use
    nullptr,  // wrap_device
    nullptr,  // unwrap_device
    nullptr,  // host_allocate: shared storage is host memory already
    nullptr,  // host_release
};

}  // namespace dotcompute::metal
