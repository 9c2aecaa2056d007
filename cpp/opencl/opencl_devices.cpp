// cpp/opencl/opencl_devices.cpp
// Device enumeration: the facts read once at initialize, dc_device_info and the capabilities
// JSON (which also carries the identity the kernel cache keys program binaries with).
#include <cstdio>
#include <cstring>
#include <string>

#include "opencl_backend.hpp"

namespace dotcompute::opencl {
namespace {

using plugin_support::json_string;  // shared with the other plugins' capabilities

std::string device_text(cl_device_id device, cl_device_info which) {
  size_t size = 0;
  if (api().clGetDeviceInfo(device, which, 0, nullptr, &size) != CL_SUCCESS || size == 0) {
    return "";
  }
  std::string text(size, '\0');
  if (api().clGetDeviceInfo(device, which, size, &text[0], nullptr) != CL_SUCCESS) return "";
  text.resize(std::strlen(text.c_str()));
  return text;
}

std::string platform_text(cl_platform_id platform, cl_platform_info which) {
  size_t size = 0;
  if (api().clGetPlatformInfo(platform, which, 0, nullptr, &size) != CL_SUCCESS || size == 0) {
    return "";
  }
  std::string text(size, '\0');
  if (api().clGetPlatformInfo(platform, which, size, &text[0], nullptr) != CL_SUCCESS) return "";
  text.resize(std::strlen(text.c_str()));
  return text;
}

template <typename T>
T device_value(cl_device_id device, cl_device_info which, T fallback) {
  T value{};
  return api().clGetDeviceInfo(device, which, sizeof(value), &value, nullptr) == CL_SUCCESS
             ? value
             : fallback;
}

bool has_extension(const std::string& extensions, const char* name) {
  const size_t length = std::strlen(name);
  for (size_t at = extensions.find(name); at != std::string::npos;
       at = extensions.find(name, at + 1)) {
    const bool starts = at == 0 || extensions[at - 1] == ' ';
    const bool ends = at + length == extensions.size() || extensions[at + length] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

dc_status count(int32_t* out_count) {
  if (out_count == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_count is NULL");
  *out_count = device_total();
  return DC_STATUS_OK;
}

dc_status info(int32_t device, dc_device_info* out_info) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = plugin_support::check_device_info(out_info)) return status;
  std::memset(out_info, 0, sizeof(*out_info));
  out_info->struct_size = sizeof(dc_device_info);
  out_info->compute_units = state->compute_units;
  out_info->memory_total = state->global_memory;
  out_info->memory_alignment = state->base_alignment;
  // Buffers are only reachable through the queue (map/read/write), even where the device
  // shares the host's memory: no CPU pointer is handed out.
  out_info->host_visible = 0;
  out_info->max_work_group_size = static_cast<uint32_t>(state->max_work_group_size);
  std::snprintf(out_info->name, sizeof(out_info->name), "%s", state->name.c_str());
  std::snprintf(out_info->vendor, sizeof(out_info->vendor), "%s", state->vendor.c_str());
  return DC_STATUS_OK;
}

const char* type_name(cl_device_type type) {
  if (type & CL_DEVICE_TYPE_GPU) return "gpu";
  if (type & CL_DEVICE_TYPE_CPU) return "cpu";
  if (type & CL_DEVICE_TYPE_ACCELERATOR) return "accelerator";
  return "other";
}

std::string capabilities_json(const DeviceState& state) {
  auto flag = [](bool value) { return std::string(value ? "true" : "false"); };
  std::string extensions = "[";
  size_t start = 0;
  while (start < state.extensions.size()) {
    size_t end = state.extensions.find(' ', start);
    if (end == std::string::npos) end = state.extensions.size();
    if (end > start) {
      if (extensions.size() > 1) extensions += ", ";
      extensions += json_string(state.extensions.substr(start, end - start));
    }
    start = end + 1;
  }
  extensions += "]";
  // What a program binary depends on: the platform, the device and the driver build. The
  // kernel cache keys binaries with it (kernel/cache.py, device_identity).
  const std::string identity = state.platform_name + " | " + state.platform_version + " | " +
                               state.name + " | " + state.device_version + " | " +
                               state.driver_version;
  std::string json = "{";
  json += "\"platform\": " + json_string(state.platform_name);
  json += ", \"platform_version\": " + json_string(state.platform_version);
  json += ", \"device_version\": " + json_string(state.device_version);
  json += ", \"driver_version\": " + json_string(state.driver_version);
  json += ", \"opencl_c_version\": " + json_string(state.opencl_c_version);
  json += ", \"device_type\": " + json_string(type_name(state.type));
  json += ", \"compute_units\": " + std::to_string(state.compute_units);
  json += ", \"clock_mhz\": " + std::to_string(state.clock_mhz);
  json += ", \"max_work_group_size\": " + std::to_string(state.max_work_group_size);
  json += ", \"max_work_item_sizes\": [" + std::to_string(state.max_work_item_sizes[0]) + ", " +
          std::to_string(state.max_work_item_sizes[1]) + ", " +
          std::to_string(state.max_work_item_sizes[2]) + "]";
  json += ", \"local_memory_bytes\": " + std::to_string(state.local_memory);
  json += ", \"max_allocation_bytes\": " + std::to_string(state.max_allocation);
  json += ", \"fp64\": " + flag(state.fp64);
  json += ", \"fp16\": " + flag(state.fp16);
  json += ", \"int64_atomics\": " + flag(state.int64_atomics);
  json += ", \"correctly_rounded_divide_sqrt\": " + flag(state.correctly_rounded_divide_sqrt);
  json += ", \"extensions\": " + extensions;
  json += ", \"icd_loader\": " + json_string(api().path);
  json += ", \"compiler_identity\": " + json_string(identity);
  json += "}";
  return json;
}

dc_status capabilities(int32_t device, char* buffer, size_t capacity, size_t* out_required) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  try {
    const std::string json = capabilities_json(*state);
    plugin_support::copy_string_out(json.data(), json.size(), buffer, capacity, out_required);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_INTERNAL, "opencl capabilities failed: %s", error.what());
  }
  return DC_STATUS_OK;
}

/// Waits for the default queue and every stream of the device.
dc_status synchronize(int32_t device) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = finish_queue(state->default_queue, &state->default_last, "synchronize")) {
    return status;
  }
  std::lock_guard<std::mutex> lock(state->queues_mutex);
  for (OpenclQueue* stream : state->queues) {
    if (dc_status status = finish_queue(stream->queue, &stream->last, "synchronize (a stream)")) {
      return status;
    }
  }
  return DC_STATUS_OK;
}

}  // namespace

dc_status query_device(DeviceState& state) noexcept {
  try {
    const cl_device_id id = state.device;
    state.name = device_text(id, CL_DEVICE_NAME);
    state.vendor = device_text(id, CL_DEVICE_VENDOR);
    state.device_version = device_text(id, CL_DEVICE_VERSION);
    state.driver_version = device_text(id, CL_DRIVER_VERSION);
    state.opencl_c_version = device_text(id, CL_DEVICE_OPENCL_C_VERSION);
    state.extensions = device_text(id, CL_DEVICE_EXTENSIONS);
    state.platform_name = platform_text(state.platform, CL_PLATFORM_NAME);
    state.platform_version = platform_text(state.platform, CL_PLATFORM_VERSION);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "opencl: %s while reading device facts", error.what());
  }
  const cl_device_id id = state.device;
  state.type = device_value<cl_device_type>(id, CL_DEVICE_TYPE, 0);
  state.global_memory = device_value<cl_ulong>(id, CL_DEVICE_GLOBAL_MEM_SIZE, 0);
  state.max_allocation = device_value<cl_ulong>(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 0);
  state.local_memory = device_value<cl_ulong>(id, CL_DEVICE_LOCAL_MEM_SIZE, 0);
  const cl_uint alignment_bits = device_value<cl_uint>(id, CL_DEVICE_MEM_BASE_ADDR_ALIGN, 1024);
  // At least 128 bytes: the largest element (complex128 as double2) and a cache line fit.
  state.base_alignment = alignment_bits / 8 > 128 ? alignment_bits / 8 : 128;
  state.compute_units = device_value<cl_uint>(id, CL_DEVICE_MAX_COMPUTE_UNITS, 1);
  if (state.compute_units < 1) state.compute_units = 1;
  state.clock_mhz = device_value<cl_uint>(id, CL_DEVICE_MAX_CLOCK_FREQUENCY, 0);
  state.max_work_group_size = device_value<size_t>(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, 1);
  if (state.max_work_group_size < 1) state.max_work_group_size = 1;
  size_t sizes[3] = {1, 1, 1};
  if (api().clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof(sizes), sizes, nullptr) ==
      CL_SUCCESS) {
    for (int d = 0; d < 3; ++d) state.max_work_item_sizes[d] = sizes[d] > 0 ? sizes[d] : 1;
  }
  const cl_device_fp_config doubles =
      device_value<cl_device_fp_config>(id, CL_DEVICE_DOUBLE_FP_CONFIG, 0);
  state.fp64 = doubles != 0 || has_extension(state.extensions, "cl_khr_fp64");
  state.fp16 = has_extension(state.extensions, "cl_khr_fp16");
  state.int64_atomics = has_extension(state.extensions, "cl_khr_int64_base_atomics") &&
                        has_extension(state.extensions, "cl_khr_int64_extended_atomics");
  const cl_device_fp_config singles =
      device_value<cl_device_fp_config>(id, CL_DEVICE_SINGLE_FP_CONFIG, 0);
  state.correctly_rounded_divide_sqrt = (singles & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
  if (device_value<cl_bool>(id, CL_DEVICE_COMPILER_AVAILABLE, CL_TRUE) == CL_FALSE) {
    return fail(DC_STATUS_UNAVAILABLE,
                "opencl: %s has no OpenCL C compiler (CL_DEVICE_COMPILER_AVAILABLE is false)",
                state.name.c_str());
  }
  return DC_STATUS_OK;
}

const dc_device_iface device_iface = {
    sizeof(dc_device_iface), count, info, capabilities, synchronize,
};

}  // namespace dotcompute::opencl
