// cuda/cuda_memory.cpp
// Device memory as buffers: cuMemAlloc/cuMemFree, async copies and fills on a stream.
//
// Note [Transfers]
// Copies are queued on the given stream (NULL: the device's default stream) with the async
// driver calls, so they order with kernels on that stream. copy_to_host then waits for the
// stream: it is a sync point of the ABI and the caller reads the bytes next. copy_from_host
// returns without waiting; from pageable host memory (numpy arrays) the driver has staged the
// bytes before cuMemcpyHtoDAsync returns, so the caller may reuse its memory at once. (From
// page-locked memory the copy really is asynchronous and the memory must stay untouched until
// the stream reaches it; the core's pinned pool keeps such blocks alive until then.)
//
// Fills of 1, 2 and 4 bytes are cuMemsetD8/D16/D32Async. An 8- or 16-byte pattern is written as
// 2 or 4 strided 32-bit fills (cuMemsetD2D32Async with a pitch of the pattern size, one word per
// row), which needs no compiled kernel, so dc.full on float64 or complex works without NVRTC.
#include <cstring>
#include <new>
#include <string>

#include "cuda_backend.hpp"
#include "dotcompute/dtype.hpp"

namespace dotcompute::cuda {
namespace {

constexpr uint64_t kBufferTag = 0x64632d637564612dULL;    // "dc-cuda-"
constexpr uint64_t kReleasedTag = 0x64632d6375646178ULL;  // "dc-cudax"

CudaBuffer* as_buffer(dc_buffer buffer) { return reinterpret_cast<CudaBuffer*>(buffer); }

dc_status check_buffer(const DeviceState& state, dc_buffer buffer, const char* what) {
  if (buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: buffer is NULL", what);
  const CudaBuffer* header = as_buffer(buffer);
  if (header->tag != kBufferTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer %s", what,
                header->tag == kReleasedTag ? "was already released" : "is not a cuda buffer");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer lives on cuda:%d, not cuda:%d", what,
                static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status allocate(int32_t device, uint64_t bytes, dc_buffer* out_buffer) {
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  auto* buffer = new (std::nothrow) CudaBuffer{kBufferTag, device, 0, bytes, false};
  if (buffer == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  if (bytes > 0) {  // cuMemAlloc refuses 0 bytes; an empty buffer has no address
    const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
    const CUresult result = driver().cuMemAlloc(&buffer->address, static_cast<size_t>(bytes));
    if (result != CUDA_SUCCESS) {
      delete buffer;
      if (result == CUDA_ERROR_OUT_OF_MEMORY) {
        return fail(DC_STATUS_OUT_OF_MEMORY,
                    "cuda:%d is out of memory allocating %llu bytes (%s total on the device)",
                    static_cast<int>(device), static_cast<unsigned long long>(bytes),
                    std::to_string(state->total_memory).c_str());
      }
      return check(result, "cuMemAlloc");
    }
  }
  *out_buffer = reinterpret_cast<dc_buffer>(buffer);
  return DC_STATUS_OK;
}

dc_status release(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_buffer(*state, buffer, "release")) return status;
  CudaBuffer* header = as_buffer(buffer);
  if (header->borrowed) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "release: the buffer wraps memory another library owns; unwrap_device forgets it");
  }
  // cuMemFree waits for the device's pending work, so no queued kernel still uses the memory.
  if (header->address != 0) {
    const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
    if (dc_status status = check(driver().cuMemFree(header->address), "cuMemFree")) return status;
  }
  header->tag = kReleasedTag;
  delete header;
  return DC_STATUS_OK;
}

/// Device memory is not host visible.
void* host_pointer(int32_t, dc_buffer) { return nullptr; }

uint64_t device_address(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (activate(device, &state) != DC_STATUS_OK) return 0;
  if (check_buffer(*state, buffer, "device_address") != DC_STATUS_OK) return 0;
  return as_buffer(buffer)->address;
}

/// Why address cannot be borrowed as memory of the device, or "" when it can.
std::string foreign_memory_problem(const DeviceState& state, CUdeviceptr address) {
  const DriverApi& api = driver();
  if (api.cuPointerGetAttribute == nullptr) {
    return "this CUDA driver has no cuPointerGetAttribute to check foreign memory";
  }
  unsigned int memory_type = 0;
  if (api.cuPointerGetAttribute(&memory_type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, address) !=
      CUDA_SUCCESS) {
    return "the address is not memory the CUDA driver knows";
  }
  if (memory_type != CU_MEMORYTYPE_DEVICE && memory_type != CU_MEMORYTYPE_UNIFIED) {
    return "the address is not device memory (CUmemorytype " + std::to_string(memory_type) + ")";
  }
  int ordinal = -1;
  if (api.cuPointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, address) ==
          CUDA_SUCCESS &&
      ordinal != state.handle) {
    return "the memory lives on CUDA device " + std::to_string(ordinal) + ", not on this one";
  }
  return "";
}

dc_status wrap_device(int32_t device, uint64_t address, uint64_t bytes, dc_buffer* out_buffer) {
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (bytes > 0) {
    if (address == 0) return fail(DC_STATUS_INVALID_ARGUMENT, "wrap_device: the address is 0");
    const std::string problem = foreign_memory_problem(*state, address);
    if (!problem.empty()) {
      return fail(DC_STATUS_INVALID_ARGUMENT, "wrap_device of 0x%llx on cuda:%d: %s",
                  static_cast<unsigned long long>(address), static_cast<int>(device),
                  problem.c_str());
    }
  }
  auto* buffer = new (std::nothrow) CudaBuffer{kBufferTag, device, address, bytes, true};
  if (buffer == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  *out_buffer = reinterpret_cast<dc_buffer>(buffer);
  return DC_STATUS_OK;
}

dc_status unwrap_device(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = check_buffer(*state, buffer, "unwrap_device")) return status;
  CudaBuffer* header = as_buffer(buffer);
  if (!header->borrowed) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "unwrap_device: the buffer was allocated by the plugin; release frees it");
  }
  header->tag = kReleasedTag;
  delete header;
  return DC_STATUS_OK;
}

dc_status host_allocate(int32_t device, uint64_t bytes, void** out_pointer) {
  if (out_pointer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_pointer is NULL");
  *out_pointer = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  const DriverApi& api = driver();
  if (api.cuMemHostAlloc == nullptr || api.cuMemFreeHost == nullptr) {
    return fail(DC_STATUS_UNSUPPORTED, "this CUDA driver has no cuMemHostAlloc");
  }
  if (bytes == 0) return fail(DC_STATUS_INVALID_ARGUMENT, "host_allocate: 0 bytes");
  // Portable: the pinned pool serves every device of the plugin from the same blocks.
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  const CUresult result =
      api.cuMemHostAlloc(out_pointer, static_cast<size_t>(bytes), CU_MEMHOSTALLOC_PORTABLE);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    return fail(DC_STATUS_OUT_OF_MEMORY,
                "cannot page-lock %llu bytes of host memory (cuMemHostAlloc: out of memory)",
                static_cast<unsigned long long>(bytes));
  }
  return check(result, "cuMemHostAlloc");
}

dc_status host_release(int32_t device, void* pointer) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (pointer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "host_release: NULL pointer");
  return check(driver().cuMemFreeHost(pointer), "cuMemFreeHost");
}

dc_status copy_from_host(int32_t device, dc_stream stream, dc_buffer_view destination,
                         const void* source, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  CUdeviceptr target = 0;
  if (dc_status status =
          view_address(*state, destination, bytes, "copy_from_host destination", &target)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  if (source == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "copy_from_host: source is NULL");
  return check(driver().cuMemcpyHtoDAsync(target, source, static_cast<size_t>(bytes), queue),
               "cuMemcpyHtoDAsync");
}

dc_status copy_to_host(int32_t device, dc_stream stream, void* destination, dc_buffer_view source,
                       uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  CUdeviceptr origin = 0;
  if (dc_status status = view_address(*state, source, bytes, "copy_to_host source", &origin)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  if (destination == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "copy_to_host: destination is NULL");
  }
  if (dc_status status =
          check(driver().cuMemcpyDtoHAsync(destination, origin, static_cast<size_t>(bytes), queue),
                "cuMemcpyDtoHAsync")) {
    return status;
  }
  const RelaxedCaptureScope relaxed;  // Note [Allocation during a capture]
  return check(driver().cuStreamSynchronize(queue), "cuStreamSynchronize (copy_to_host)");
}

dc_status copy(int32_t device, dc_stream stream, dc_buffer_view destination, dc_buffer_view source,
               uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  CUdeviceptr target = 0, origin = 0;
  if (dc_status status = view_address(*state, destination, bytes, "copy destination", &target)) {
    return status;
  }
  if (dc_status status = view_address(*state, source, bytes, "copy source", &origin)) {
    return status;
  }
  if (bytes == 0 || target == origin) return DC_STATUS_OK;
  if (target < origin + bytes && origin < target + bytes) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "copy: source and destination overlap; the cuda backend copies disjoint ranges "
                "only");
  }
  return check(driver().cuMemcpyDtoDAsync(target, origin, static_cast<size_t>(bytes), queue),
               "cuMemcpyDtoDAsync");
}

dc_status fill(int32_t device, dc_stream stream, dc_buffer_view destination, const void* pattern,
               uint32_t pattern_size, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  CUstream queue = nullptr;
  if (dc_status status = resolve_stream(*state, stream, &queue)) return status;
  if (dc_status status = plugin_support::check_fill_pattern(pattern, pattern_size, bytes)) {
    return status;
  }
  CUdeviceptr target = 0;
  if (dc_status status = view_address(*state, destination, bytes, "fill destination", &target)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  const DriverApi& api = driver();
  const auto* pattern_bytes = static_cast<const uint8_t*>(pattern);
  bool uniform = true;  // a pattern of one repeated byte is a byte memset at any alignment
  for (uint32_t i = 1; i < pattern_size; ++i) uniform &= pattern_bytes[i] == pattern_bytes[0];
  if (uniform) {
    return check(api.cuMemsetD8Async(target, pattern_bytes[0], static_cast<size_t>(bytes), queue),
                 "cuMemsetD8Async");
  }
  const uint32_t word_alignment = pattern_size < 4 ? pattern_size : 4;
  if (target % word_alignment != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "fill: the destination (offset %llu) is not aligned to %u bytes",
                static_cast<unsigned long long>(destination.offset), word_alignment);
  }
  if (pattern_size == 2) {
    uint16_t value;
    std::memcpy(&value, pattern, sizeof(value));
    return check(api.cuMemsetD16Async(target, value, static_cast<size_t>(bytes / 2), queue),
                 "cuMemsetD16Async");
  }
  if (pattern_size == 4) {
    uint32_t value;
    std::memcpy(&value, pattern, sizeof(value));
    return check(api.cuMemsetD32Async(target, value, static_cast<size_t>(bytes / 4), queue),
                 "cuMemsetD32Async");
  }
  const size_t rows = static_cast<size_t>(bytes / pattern_size);
  for (uint32_t word = 0; word < pattern_size / 4; ++word) {
    uint32_t value;
    std::memcpy(&value, pattern_bytes + 4 * word, sizeof(value));
    if (dc_status status =
            check(api.cuMemsetD2D32Async(target + 4 * word, pattern_size, value, 1, rows, queue),
                  "cuMemsetD2D32Async")) {
      return status;
    }
  }
  return DC_STATUS_OK;
}

}  // namespace

dc_status view_address(const DeviceState& state, dc_buffer_view view, uint64_t bytes,
                       const char* what, CUdeviceptr* out) noexcept {
  *out = 0;
  if (dc_status status = check_buffer(state, view.buffer, what)) return status;
  const CudaBuffer* header = as_buffer(view.buffer);
  if (dc_status status =
          plugin_support::check_view_range(what, view.offset, bytes, header->bytes)) {
    return status;
  }
  *out = header->address + view.offset;
  return DC_STATUS_OK;
}

dc_status view_elements(const DeviceState& state, dc_buffer_view view, uint64_t count,
                        size_t element_size, size_t alignment, const char* what,
                        CUdeviceptr* out) noexcept {
  *out = 0;
  if (dc_status status = check_buffer(state, view.buffer, what)) return status;
  const CudaBuffer* header = as_buffer(view.buffer);
  const uint64_t available = view.offset <= header->bytes ? header->bytes - view.offset : 0;
  if (view.offset > header->bytes || count > available / element_size) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "%s: count %llu exceeds the %llu elements of %zu bytes between offset %llu and "
                "the end of the buffer",
                what, static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(available / element_size), element_size,
                static_cast<unsigned long long>(view.offset));
  }
  const CUdeviceptr address = header->address + view.offset;
  if (alignment > 1 && address % alignment != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "%s: offset %llu is not a multiple of %zu bytes, which the element type needs on "
                "the GPU",
                what, static_cast<unsigned long long>(view.offset), alignment);
  }
  *out = address;
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
    nullptr,  // wrap_host: host memory cannot become device memory without a copy
    nullptr,  // unwrap_host
    device_address,
    wrap_device,
    unwrap_device,
    host_allocate,
    host_release,
};

}  // namespace dotcompute::cuda
