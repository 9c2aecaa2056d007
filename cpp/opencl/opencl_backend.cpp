// cpp/opencl/opencl_backend.cpp
// The plugin's entry table: probe, initialize/shutdown (one context and in-order default queue
// per device) and per-thread error messages.
//
// Devices are numbered across platforms in the order the ICD loader lists them: opencl:0 is
// the first device of the first platform. Each device gets its own context, so a buffer always
// belongs to exactly one device, as the ABI's (device, buffer) calls expect.
#include "opencl_backend.hpp"

#include <cstdio>

namespace dotcompute::opencl {
namespace {

std::mutex lifecycle_mutex;  // serializes initialize and shutdown
std::vector<std::unique_ptr<DeviceState>> devices;

dc_status status_of(cl_int code) {
  switch (code) {
    case CL_SUCCESS:
      return DC_STATUS_OK;
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_HOST_MEMORY:
    case CL_INVALID_BUFFER_SIZE:
      return DC_STATUS_OUT_OF_MEMORY;
    case CL_OUT_OF_RESOURCES:
    case CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST:
      return DC_STATUS_LAUNCH_FAILED;
    case CL_DEVICE_NOT_FOUND:
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_COMPILER_NOT_AVAILABLE:
    case CL_PLATFORM_NOT_FOUND_KHR:
      return DC_STATUS_UNAVAILABLE;
    case CL_BUILD_PROGRAM_FAILURE:
      return DC_STATUS_COMPILATION_FAILED;
    default:
      return code <= CL_INVALID_VALUE ? DC_STATUS_INVALID_ARGUMENT : DC_STATUS_INTERNAL;
  }
}

/// Every (platform, device) pair of every platform; the reason when there is none.
dc_status find_devices(std::vector<std::pair<cl_platform_id, cl_device_id>>* found,
                       std::string* reason) {
  const OpenclApi* cl = load_opencl(reason);
  if (cl == nullptr) return DC_STATUS_UNAVAILABLE;
  cl_uint platform_count = 0;
  cl_int code = cl->clGetPlatformIDs(0, nullptr, &platform_count);
  if (code == CL_PLATFORM_NOT_FOUND_KHR || (code == CL_SUCCESS && platform_count == 0)) {
    *reason = "no OpenCL platform: the ICD loader (" + cl->path +
              ") found no driver (install one, e.g. pocl-opencl-icd, or check "
              "/etc/OpenCL/vendors and OCL_ICD_VENDORS)";
    return DC_STATUS_UNAVAILABLE;
  }
  if (code != CL_SUCCESS) {
    *reason = "clGetPlatformIDs failed: " + describe_error(code);
    return DC_STATUS_UNAVAILABLE;
  }
  std::vector<cl_platform_id> platforms(platform_count);
  code = cl->clGetPlatformIDs(platform_count, platforms.data(), nullptr);
  if (code != CL_SUCCESS) {
    *reason = "clGetPlatformIDs failed: " + describe_error(code);
    return DC_STATUS_UNAVAILABLE;
  }
  for (cl_platform_id platform : platforms) {
    cl_uint count = 0;
    if (cl->clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &count) != CL_SUCCESS ||
        count == 0) {
      continue;  // a platform without devices (CL_DEVICE_NOT_FOUND) is not an error
    }
    std::vector<cl_device_id> ids(count);
    if (cl->clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, ids.data(), nullptr) !=
        CL_SUCCESS) {
      continue;
    }
    for (cl_device_id id : ids) found->emplace_back(platform, id);
  }
  if (found->empty()) {
    *reason = std::to_string(platform_count) + " OpenCL platform(s) but no device";
    return DC_STATUS_UNAVAILABLE;
  }
  return DC_STATUS_OK;
}

dc_status probe(char* reason, size_t reason_capacity) {
  std::vector<std::pair<cl_platform_id, cl_device_id>> found;
  std::string why;
  dc_status status;
  try {
    status = find_devices(&found, &why);
  } catch (const std::exception& error) {
    status = DC_STATUS_UNAVAILABLE;
    why = error.what();
  }
  if (status != DC_STATUS_OK && reason != nullptr && reason_capacity > 0) {
    std::snprintf(reason, reason_capacity, "%s", why.c_str());
  }
  return status;
}

/// Releases what initialize_device made, in reverse order; safe on a partial state.
void release_device(DeviceState& state) {
  const OpenclApi& cl = api();
  if (state.default_queue != nullptr) cl.clFinish(state.default_queue);
  remember_kernel(&state.default_last, nullptr);
  release_builtins(state);
  if (state.default_scratch != nullptr) cl.clReleaseMemObject(state.default_scratch);
  state.default_scratch = nullptr;
  if (state.default_queue != nullptr) cl.clReleaseCommandQueue(state.default_queue);
  state.default_queue = nullptr;
  if (state.context != nullptr) cl.clReleaseContext(state.context);
  state.context = nullptr;
}

dc_status initialize_device(DeviceState& state) {
  const OpenclApi& cl = api();
  if (dc_status status = query_device(state)) return status;
  const cl_context_properties properties[] = {
      CL_CONTEXT_PLATFORM, reinterpret_cast<cl_context_properties>(state.platform), 0};
  cl_int code = CL_SUCCESS;
  state.context = cl.clCreateContext(properties, 1, &state.device, nullptr, nullptr, &code);
  if (code != CL_SUCCESS) {
    state.context = nullptr;
    return check(code, "clCreateContext");
  }
  state.default_queue = cl.clCreateCommandQueue(state.context, state.device, 0, &code);
  if (code != CL_SUCCESS) {
    state.default_queue = nullptr;
    return check(code, "clCreateCommandQueue (the device's default queue)");
  }
  return DC_STATUS_OK;
}

dc_status initialize() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  if (!devices.empty()) return DC_STATUS_OK;
  std::vector<std::unique_ptr<DeviceState>> created;
  try {
    std::vector<std::pair<cl_platform_id, cl_device_id>> found;
    std::string reason;
    if (find_devices(&found, &reason) != DC_STATUS_OK) {
      return fail(DC_STATUS_UNAVAILABLE, "opencl backend: %s", reason.c_str());
    }
    for (size_t index = 0; index < found.size(); ++index) {
      created.push_back(std::make_unique<DeviceState>());
      DeviceState& state = *created.back();
      state.index = static_cast<int32_t>(index);
      state.platform = found[index].first;
      state.device = found[index].second;
      if (dc_status status = initialize_device(state)) {
        for (auto& made : created) release_device(*made);
        return status;
      }
    }
  } catch (const std::exception& error) {
    for (auto& made : created) release_device(*made);
    return fail(DC_STATUS_OUT_OF_MEMORY, "opencl backend: %s while initializing", error.what());
  }
  devices = std::move(created);
  return DC_STATUS_OK;
}

void shutdown() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  for (auto& state : devices) release_device(*state);
  devices.clear();
}

const char* last_error() { return last_error_text(); }

}  // namespace

dc_status check(cl_int code, const char* what) noexcept {
  if (code == CL_SUCCESS) return DC_STATUS_OK;
  std::string description;
  try {
    description = describe_error(code);
  } catch (const std::exception&) {
    description = "?";
  }
  if (code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_HOST_MEMORY) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "%s failed: %s: the device is out of memory", what,
                description.c_str());
  }
  return fail(status_of(code), "%s failed: %s", what, description.c_str());
}

dc_status find_device(int32_t device, DeviceState** out) noexcept {
  *out = nullptr;
  if (device < 0 || static_cast<size_t>(device) >= devices.size()) {
    if (devices.empty()) {
      return fail(DC_STATUS_UNAVAILABLE, "the opencl backend is not initialized");
    }
    return fail(DC_STATUS_INVALID_ARGUMENT, "opencl has %zu device(s) (0..%zu); got device %d",
                devices.size(), devices.size() - 1, static_cast<int>(device));
  }
  *out = devices[static_cast<size_t>(device)].get();
  return DC_STATUS_OK;
}

int32_t device_total() noexcept { return static_cast<int32_t>(devices.size()); }

namespace {

const dc_backend_iface backend_iface = {
    DC_ABI_MAJOR,
    DC_ABI_MINOR,
    sizeof(dc_backend_iface),
    0,
    "opencl",
    "0.1.0",
    "OpenCL devices of every platform through the ICD loader (dlopened): OpenCL C kernels "
    "built at run time, in-order queues with events, built-in elementwise ops and reductions",
    probe,
    initialize,
    shutdown,
    last_error,
    &device_iface,
    &memory_iface,
    &stream_iface,
    &module_iface,
    nullptr,  // graph capture: the core replays work op by op
    &ops_iface,
};

}  // namespace
}  // namespace dotcompute::opencl

extern "C" DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) {
  return &dotcompute::opencl::backend_iface;
}
