// cpp/opencl/opencl_memory.cpp
// Device memory as buffers: clCreateBuffer/clReleaseMemObject, transfers and fills on a queue.
//
// Note [Transfers]
// copy_from_host is a blocking clEnqueueWriteBuffer: the ABI lets the caller reuse (or free)
// its host memory as soon as the call returns, and an in-order queue has it wait for earlier
// work on the queue first, so it orders with kernels like any command. copy_to_host is a
// blocking read: a sync point of the ABI. Device-to-device copies and fills are enqueued and
// return at once.
//
// OpenCL buffers cannot be addressed at an offset in a kernel argument (sub-buffers have
// alignment rules and cost an object each), so a buffer view travels to kernels as two
// arguments: the cl_mem and the byte offset (Note [Buffer arguments] in opencl_programs.cpp).
#include <cstring>
#include <new>

#include "opencl_backend.hpp"

namespace dotcompute::opencl {
namespace {

constexpr uint64_t kBufferTag = 0x64632d6f636c622dULL;    // "dc-oclb-"
constexpr uint64_t kReleasedTag = 0x64632d6f636c6278ULL;  // "dc-oclbx"

OpenclBuffer* as_buffer(dc_buffer buffer) { return reinterpret_cast<OpenclBuffer*>(buffer); }

dc_status check_buffer(const DeviceState& state, dc_buffer buffer, const char* what) {
  if (buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "%s: buffer is NULL", what);
  const OpenclBuffer* header = as_buffer(buffer);
  if (header->tag != kBufferTag) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer %s", what,
                header->tag == kReleasedTag ? "was already released" : "is not an opencl buffer");
  }
  if (header->device != state.index) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "%s: the buffer lives on opencl:%d, not opencl:%d",
                what, static_cast<int>(header->device), static_cast<int>(state.index));
  }
  return DC_STATUS_OK;
}

dc_status allocate(int32_t device, uint64_t bytes, dc_buffer* out_buffer) {
  if (out_buffer == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_buffer is NULL");
  *out_buffer = nullptr;
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (state->max_allocation != 0 && bytes > state->max_allocation) {
    return fail(DC_STATUS_OUT_OF_MEMORY,
                "opencl:%d cannot allocate %llu bytes in one buffer: the device's largest "
                "allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE) is %llu bytes",
                static_cast<int>(device), static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(state->max_allocation));
  }
  auto* buffer = new (std::nothrow) OpenclBuffer{kBufferTag, device, nullptr, bytes};
  if (buffer == nullptr) return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  if (bytes > 0) {  // clCreateBuffer refuses 0 bytes; an empty buffer has no memory object
    cl_int code = CL_SUCCESS;
    buffer->memory = api().clCreateBuffer(state->context, CL_MEM_READ_WRITE,
                                          static_cast<size_t>(bytes), nullptr, &code);
    if (code != CL_SUCCESS) {
      delete buffer;
      if (code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES ||
          code == CL_OUT_OF_HOST_MEMORY || code == CL_INVALID_BUFFER_SIZE) {
        return fail(DC_STATUS_OUT_OF_MEMORY,
                    "opencl:%d is out of memory allocating %llu bytes (%llu total on the device)",
                    static_cast<int>(device), static_cast<unsigned long long>(bytes),
                    static_cast<unsigned long long>(state->global_memory));
      }
      return check(code, "clCreateBuffer");
    }
  }
  *out_buffer = reinterpret_cast<dc_buffer>(buffer);
  return DC_STATUS_OK;
}

dc_status release(int32_t device, dc_buffer buffer) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = check_buffer(*state, buffer, "release")) return status;
  OpenclBuffer* header = as_buffer(buffer);
  // The driver keeps the memory alive until queued commands that use it have finished.
  if (header->memory != nullptr) {
    if (dc_status status = check(api().clReleaseMemObject(header->memory), "clReleaseMemObject")) {
      return status;
    }
  }
  header->tag = kReleasedTag;
  delete header;
  return DC_STATUS_OK;
}

/// OpenCL memory is reached through the queue only.
void* host_pointer(int32_t, dc_buffer) { return nullptr; }

dc_status copy_from_host(int32_t device, dc_stream stream, dc_buffer_view destination,
                         const void* source, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  cl_mem memory = nullptr;
  uint64_t offset = 0;
  if (dc_status status =
          view_memory(*state, destination, bytes, "copy_from_host destination", &memory, &offset)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  if (source == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "copy_from_host: source is NULL");
  return check(api().clEnqueueWriteBuffer(queue, memory, CL_TRUE, static_cast<size_t>(offset),
                                          static_cast<size_t>(bytes), source, 0, nullptr, nullptr),
               "clEnqueueWriteBuffer");
}

dc_status copy_to_host(int32_t device, dc_stream stream, void* destination, dc_buffer_view source,
                       uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  cl_mem memory = nullptr;
  uint64_t offset = 0;
  if (dc_status status =
          view_memory(*state, source, bytes, "copy_to_host source", &memory, &offset)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  if (destination == nullptr) {
    return fail(DC_STATUS_INVALID_ARGUMENT, "copy_to_host: destination is NULL");
  }
  return check(
      api().clEnqueueReadBuffer(queue, memory, CL_TRUE, static_cast<size_t>(offset),
                                static_cast<size_t>(bytes), destination, 0, nullptr, nullptr),
      "clEnqueueReadBuffer");
}

dc_status copy(int32_t device, dc_stream stream, dc_buffer_view destination, dc_buffer_view source,
               uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  cl_mem target = nullptr, origin = nullptr;
  uint64_t target_offset = 0, origin_offset = 0;
  if (dc_status status =
          view_memory(*state, destination, bytes, "copy destination", &target, &target_offset)) {
    return status;
  }
  if (dc_status status =
          view_memory(*state, source, bytes, "copy source", &origin, &origin_offset)) {
    return status;
  }
  if (bytes == 0 || (target == origin && target_offset == origin_offset)) return DC_STATUS_OK;
  if (target == origin && target_offset < origin_offset + bytes &&
      origin_offset < target_offset + bytes) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "copy: source and destination overlap; the opencl backend copies disjoint "
                "ranges only");
  }
  return check(api().clEnqueueCopyBuffer(queue, origin, target, static_cast<size_t>(origin_offset),
                                         static_cast<size_t>(target_offset),
                                         static_cast<size_t>(bytes), 0, nullptr, nullptr),
               "clEnqueueCopyBuffer");
}

dc_status fill(int32_t device, dc_stream stream, dc_buffer_view destination, const void* pattern,
               uint32_t pattern_size, uint64_t bytes) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  cl_command_queue queue = nullptr;
  if (dc_status status = resolve_queue(*state, stream, &queue)) return status;
  if (dc_status status = plugin_support::check_fill_pattern(pattern, pattern_size, bytes)) {
    return status;
  }
  cl_mem memory = nullptr;
  uint64_t offset = 0;
  if (dc_status status =
          view_memory(*state, destination, bytes, "fill destination", &memory, &offset)) {
    return status;
  }
  if (bytes == 0) return DC_STATUS_OK;
  // clEnqueueFillBuffer wants the offset to be a multiple of the pattern size. A pattern of one
  // repeated byte is a byte fill at any offset; otherwise the element must be aligned.
  const auto* pattern_bytes = static_cast<const uint8_t*>(pattern);
  bool uniform = true;
  for (uint32_t i = 1; i < pattern_size; ++i) uniform &= pattern_bytes[i] == pattern_bytes[0];
  uint32_t size = uniform ? 1 : pattern_size;
  if (offset % size != 0) {
    return fail(DC_STATUS_INVALID_ARGUMENT,
                "fill: the destination (offset %llu) is not aligned to the %u-byte pattern",
                static_cast<unsigned long long>(destination.offset), pattern_size);
  }
  return check(api().clEnqueueFillBuffer(queue, memory, pattern, size, static_cast<size_t>(offset),
                                         static_cast<size_t>(bytes), 0, nullptr, nullptr),
               "clEnqueueFillBuffer");
}

}  // namespace

dc_status view_memory(const DeviceState& state, dc_buffer_view view, uint64_t bytes,
                      const char* what, cl_mem* memory, uint64_t* offset) noexcept {
  *memory = nullptr;
  *offset = 0;
  if (dc_status status = check_buffer(state, view.buffer, what)) return status;
  const OpenclBuffer* header = as_buffer(view.buffer);
  if (dc_status status =
          plugin_support::check_view_range(what, view.offset, bytes, header->bytes)) {
    return status;
  }
  *memory = header->memory;
  *offset = view.offset;
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
    nullptr,  // wrap_host: host memory becomes device memory only by a copy
    nullptr,  // unwrap_host
    nullptr,  // device_address: OpenCL buffers have no address the host may use
    nullptr,  // wrap_device
    nullptr,  // unwrap_device
    nullptr,  // host_allocate: transfers go through the driver's own staging
    nullptr,  // host_release
};

}  // namespace dotcompute::opencl
