// cuda/cuda_backend.cpp
// The plugin's entry table: probe, initialize/shutdown (primary contexts, default streams) and
// per-thread error messages.
#include "cuda_backend.hpp"

#include <cstdio>

#include "nvrtc_library.hpp"

namespace dotcompute::cuda {
namespace {

std::mutex lifecycle_mutex;  // serializes initialize and shutdown
std::vector<std::unique_ptr<DeviceState>> devices;

bool is_sticky_launch_error(CUresult result) {
  // After these the context is unusable: every later call on it fails with the same code.
  switch (result) {
    case CUDA_ERROR_ILLEGAL_ADDRESS:
    case CUDA_ERROR_LAUNCH_TIMEOUT:
    case CUDA_ERROR_ASSERT:
    case CUDA_ERROR_HARDWARE_STACK_ERROR:
    case CUDA_ERROR_ILLEGAL_INSTRUCTION:
    case CUDA_ERROR_MISALIGNED_ADDRESS:
    case CUDA_ERROR_INVALID_ADDRESS_SPACE:
    case CUDA_ERROR_INVALID_PC:
    case CUDA_ERROR_LAUNCH_FAILED:
      return true;
    default:
      return false;
  }
}

dc_status status_of(CUresult result) {
  switch (result) {
    case CUDA_SUCCESS:
      return DC_STATUS_OK;
    case CUDA_ERROR_OUT_OF_MEMORY:
      return DC_STATUS_OUT_OF_MEMORY;
    case CUDA_ERROR_INVALID_VALUE:
    case CUDA_ERROR_INVALID_DEVICE:
    case CUDA_ERROR_NOT_FOUND:
    case CUDA_ERROR_NO_BINARY_FOR_GPU:
    case CUDA_ERROR_INVALID_PTX:
    case CUDA_ERROR_UNSUPPORTED_PTX_VERSION:
      return DC_STATUS_INVALID_ARGUMENT;
    case CUDA_ERROR_NOT_INITIALIZED:
    case CUDA_ERROR_DEINITIALIZED:
    case CUDA_ERROR_NO_DEVICE:
    case CUDA_ERROR_INSUFFICIENT_DRIVER:
      return DC_STATUS_UNAVAILABLE;
    case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES:
      return DC_STATUS_LAUNCH_FAILED;
    default:
      return is_sticky_launch_error(result) ? DC_STATUS_LAUNCH_FAILED : DC_STATUS_INTERNAL;
  }
}

/// Loads the driver and counts devices; the reason on failure.
dc_status find_devices(int* out_count, std::string* reason) {
  const DriverApi* api = load_driver(reason);
  if (api == nullptr) return DC_STATUS_UNAVAILABLE;
  int count = 0;
  const CUresult result = api->cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS) {
    *reason = "cuDeviceGetCount failed: " + describe_result(result);
    return DC_STATUS_UNAVAILABLE;
  }
  if (count <= 0) {
    *reason = "the NVIDIA driver sees no CUDA device (CUDA_VISIBLE_DEVICES may hide them)";
    return DC_STATUS_UNAVAILABLE;
  }
  *out_count = count;
  return DC_STATUS_OK;
}

dc_status probe(char* reason, size_t reason_capacity) {
  int count = 0;
  std::string why;
  const dc_status status = find_devices(&count, &why);
  if (status != DC_STATUS_OK && reason != nullptr && reason_capacity > 0) {
    std::snprintf(reason, reason_capacity, "%s", why.c_str());
  }
  return status;
}

/// Releases what initialize_device created, in reverse order; safe on a partial state.
void release_device(DeviceState& state) {
  const DriverApi& api = driver();
  if (state.context == nullptr) return;
  api.cuCtxSetCurrent(state.context);
  api.cuCtxSynchronize();  // best effort: a faulted context fails here, and that is fine
  release_blas(state.index, nullptr, true);
  release_fft(state.index, nullptr, true);
  release_builtins(state);
  release_algorithm_scratch(state);
  if (state.default_scratch != 0) api.cuMemFree(state.default_scratch);
  state.default_scratch = 0;
  if (state.default_stream != nullptr) api.cuStreamDestroy(state.default_stream);
  state.default_stream = nullptr;
  api.cuCtxSetCurrent(nullptr);
  api.cuDevicePrimaryCtxRelease(state.handle);
  state.context = nullptr;
}

dc_status initialize_device(DeviceState& state) {
  const DriverApi& api = driver();
  if (dc_status status = check(api.cuDeviceGet(&state.handle, state.index), "cuDeviceGet")) {
    return status;
  }
  if (dc_status status = check(api.cuDevicePrimaryCtxRetain(&state.context, state.handle),
                               "cuDevicePrimaryCtxRetain")) {
    state.context = nullptr;
    return status;
  }
  if (dc_status status = check(api.cuCtxSetCurrent(state.context), "cuCtxSetCurrent")) {
    return status;
  }
  if (dc_status status = query_device(state)) return status;
  return check(api.cuStreamCreate(&state.default_stream, CU_STREAM_NON_BLOCKING),
               "cuStreamCreate (the device's default stream)");
}

dc_status initialize() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  if (!devices.empty()) return DC_STATUS_OK;
  int count = 0;
  std::string reason;
  if (find_devices(&count, &reason) != DC_STATUS_OK) {
    return fail(DC_STATUS_UNAVAILABLE, "cuda backend: %s", reason.c_str());
  }
  std::vector<std::unique_ptr<DeviceState>> created;
  try {
    for (int index = 0; index < count; ++index) {
      created.push_back(std::make_unique<DeviceState>());
      created.back()->index = index;
      if (dc_status status = initialize_device(*created.back())) {
        for (auto& state : created) release_device(*state);
        return status;
      }
    }
  } catch (const std::exception& error) {
    for (auto& state : created) release_device(*state);
    return fail(DC_STATUS_OUT_OF_MEMORY, "cuda backend: %s while initializing", error.what());
  }
  devices = std::move(created);
  return DC_STATUS_OK;
}

void shutdown() {
  run_deferred_releases();  // Note [Releases during a capture]: while the devices are still up
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  for (auto& state : devices) release_device(*state);
  devices.clear();
}

const char* last_error() { return last_error_text(); }

}  // namespace

dc_status check(CUresult result, const char* what) noexcept {
  if (result == CUDA_SUCCESS) return DC_STATUS_OK;
  const std::string description = describe_result(result);
  if (is_sticky_launch_error(result)) {
    return fail(DC_STATUS_LAUNCH_FAILED,
                "%s failed: %s. A kernel on this device faulted; the device's CUDA context is "
                "now unusable and every later call on it fails: restart the process (run with "
                "CUDA_LAUNCH_BLOCKING=1 to find the kernel)",
                what, description.c_str());
  }
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "%s failed: %s: the GPU is out of memory", what,
                description.c_str());
  }
  return fail(status_of(result), "%s failed: %s", what, description.c_str());
}

dc_status activate(int32_t device, DeviceState** out) noexcept {
  *out = nullptr;
  if (device < 0 || static_cast<size_t>(device) >= devices.size()) {
    if (devices.empty()) return fail(DC_STATUS_UNAVAILABLE, "the cuda backend is not initialized");
    return fail(DC_STATUS_INVALID_ARGUMENT, "cuda has %zu device(s) (0..%zu); got device %d",
                devices.size(), devices.size() - 1, static_cast<int>(device));
  }
  DeviceState* state = devices[static_cast<size_t>(device)].get();
  // Each call makes the device's primary context current: cheap, and it keeps the plugin right
  // when another library (CuPy, PyTorch) switched the thread's context in between.
  if (dc_status status = check(driver().cuCtxSetCurrent(state->context), "cuCtxSetCurrent")) {
    return status;
  }
  *out = state;
  return DC_STATUS_OK;
}

int32_t device_total() noexcept { return static_cast<int32_t>(devices.size()); }

const NvrtcApi* require_nvrtc() noexcept {
  std::string reason;
  const NvrtcApi* nvrtc = nullptr;
  try {
    nvrtc = load_nvrtc(driver().driver_version / 1000, &reason);
  } catch (const std::exception& error) {
    reason = error.what();
  }
  if (nvrtc == nullptr) fail(DC_STATUS_UNAVAILABLE, "cuda: cannot compile: %s", reason.c_str());
  return nvrtc;
}

namespace {

const dc_backend_iface backend_iface = {
    DC_ABI_MAJOR,
    DC_ABI_MINOR,
    sizeof(dc_backend_iface),
    0,
    "cuda",
    "0.1.0",
    "NVIDIA GPUs through the CUDA driver API (dlopened) and NVRTC: CUBIN kernels, async "
    "streams, built-in elementwise ops and reductions",
    probe,
    initialize,
    shutdown,
    last_error,
    &device_iface,
    &memory_iface,
    &stream_iface,
    &module_iface,
    &graph_iface,
    &ops_iface,
};

}  // namespace
}  // namespace dotcompute::cuda

extern "C" DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) {
  return &dotcompute::cuda::backend_iface;
}
