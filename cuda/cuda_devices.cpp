// cuda/cuda_devices.cpp
// Device enumeration: the facts read once at initialize, dc_device_info and the capabilities
// JSON.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cuda_backend.hpp"
#include "cuda_math_libraries.hpp"
#include "nvrtc_library.hpp"

namespace dotcompute::cuda {
namespace {

using plugin_support::json_string;  // shared with the other plugins' capabilities

/// The attribute's value, or fallback when this driver does not report it (some are deprecated
/// in newer drivers, e.g. the clock rates in CUDA 13).
int attribute(const DeviceState& state, CUdevice_attribute which, int fallback) {
  int value = 0;
  return driver().cuDeviceGetAttribute(&value, which, state.handle) == CUDA_SUCCESS ? value
                                                                                    : fallback;
}

dc_status count(int32_t* out_count) {
  if (out_count == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_count is NULL");
  *out_count = device_total();
  return DC_STATUS_OK;
}

dc_status info(int32_t device, dc_device_info* out_info) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  if (dc_status status = plugin_support::check_device_info(out_info)) return status;
  std::memset(out_info, 0, sizeof(*out_info));
  out_info->struct_size = sizeof(dc_device_info);
  out_info->compute_units = static_cast<uint32_t>(state->sm_count);
  out_info->memory_total = state->total_memory;
  out_info->memory_alignment = kMemoryAlignment;
  out_info->host_visible = 0;
  out_info->max_work_group_size = static_cast<uint32_t>(state->max_threads_per_block);
  std::snprintf(out_info->name, sizeof(out_info->name), "%s", state->name.c_str());
  std::snprintf(out_info->vendor, sizeof(out_info->vendor), "NVIDIA");
  return DC_STATUS_OK;
}

std::string capabilities_json(const DeviceState& state) {
  const DriverApi& api = driver();
  // A field the driver does not report is null rather than a guess.
  auto optional = [&](CUdevice_attribute which) {
    int value = 0;
    return api.cuDeviceGetAttribute(&value, which, state.handle) == CUDA_SUCCESS
               ? std::to_string(value)
               : std::string("null");
  };
  // The version is known once a compile opened NVRTC; the candidate (the file NVRTC would be
  // opened from, with its size and time) is known without opening it, and is what the kernel
  // cache keys device images with, so that a process which only loads cached kernels never pays
  // for opening NVRTC.
  const NvrtcApi* nvrtc = loaded_nvrtc();
  const std::string candidate = nvrtc_candidate(driver().driver_version / 1000);
  std::string nvrtc_identity = candidate;
  struct stat facts{};
  if (!candidate.empty() && ::stat(candidate.c_str(), &facts) == 0) {
    nvrtc_identity += " " + std::to_string(static_cast<long long>(facts.st_size)) + " " +
                      std::to_string(static_cast<long long>(facts.st_mtime));
  }
  std::string nvrtc_version = "null", nvrtc_path = "null";
  if (nvrtc != nullptr) {
    nvrtc_version = json_string(std::to_string(nvrtc->major) + "." + std::to_string(nvrtc->minor));
    nvrtc_path = json_string(nvrtc->path);
  }
  const int driver_version = api.driver_version;
  char pci[64];
  std::snprintf(pci, sizeof(pci), "%04x:%02x:%02x.0",
                attribute(state, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID, 0),
                attribute(state, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, 0),
                attribute(state, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID, 0));
  std::string json = "{";
  json += "\"compute_capability\": \"" + std::to_string(state.compute_major) + "." +
          std::to_string(state.compute_minor) + "\"";
  json += ", \"architecture\": \"sm_" + std::to_string(state.compute_major) +
          std::to_string(state.compute_minor) + "\"";
  json += ", \"sm_count\": " + std::to_string(state.sm_count);
  json += ", \"max_threads_per_block\": " + std::to_string(state.max_threads_per_block);
  json += ", \"max_block_dim\": [" + std::to_string(state.max_block_dim[0]) + ", " +
          std::to_string(state.max_block_dim[1]) + ", " + std::to_string(state.max_block_dim[2]) +
          "]";
  json += ", \"max_grid_dim\": [" + std::to_string(state.max_grid_dim[0]) + ", " +
          std::to_string(state.max_grid_dim[1]) + ", " + std::to_string(state.max_grid_dim[2]) +
          "]";
  json +=
      ", \"max_threads_per_sm\": " + optional(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR);
  json += ", \"max_shared_memory_per_block\": " + std::to_string(state.max_shared_per_block);
  json += ", \"max_shared_memory_per_block_optin\": " +
          std::to_string(state.max_shared_per_block_optin);
  json += ", \"max_shared_memory_per_sm\": " +
          optional(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR);
  json += ", \"max_registers_per_block\": " + optional(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK);
  json += ", \"total_constant_memory\": " + optional(CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY);
  json += ", \"l2_cache_bytes\": " + optional(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  json += ", \"warp_size\": " + std::to_string(state.warp_size);
  json += ", \"clock_khz\": " + optional(CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
  json += ", \"memory_clock_khz\": " + optional(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
  json += ", \"memory_bus_width_bits\": " + optional(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
  json += ", \"memory_total\": " + std::to_string(state.total_memory);
  json += ", \"async_engine_count\": " + optional(CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT);
  json += ", \"concurrent_kernels\": " + optional(CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS);
  json += ", \"unified_addressing\": " + optional(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING);
  json += ", \"managed_memory\": " + optional(CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY);
  json += ", \"memory_pools_supported\": " + optional(CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED);
  json += ", \"integrated\": " + optional(CU_DEVICE_ATTRIBUTE_INTEGRATED);
  json += ", \"ecc_enabled\": " + optional(CU_DEVICE_ATTRIBUTE_ECC_ENABLED);
  json += ", \"pci_bus_id\": \"" + std::string(pci) + "\"";
  json += ", \"driver_version\": \"" + std::to_string(driver_version / 1000) + "." +
          std::to_string(driver_version % 1000 / 10) + "\"";
  json += ", \"nvrtc_version\": " + nvrtc_version;
  json += ", \"nvrtc_path\": " + nvrtc_path;
  // cuBLAS and cuFFT are opened on first use, so these stay null until a matmul or fft ran.
  const std::string cublas = loaded_cublas_path(), cufft = loaded_cufft_path();
  json += ", \"cublas_path\": " + (cublas.empty() ? std::string("null") : json_string(cublas));
  json += ", \"cufft_path\": " + (cufft.empty() ? std::string("null") : json_string(cufft));
  json += ", \"nvrtc_identity\": " + json_string(nvrtc_identity);
  json += ", \"memory_alignment\": " + std::to_string(kMemoryAlignment);
  json += "}";
  return json;
}

dc_status capabilities(int32_t device, char* buffer, size_t capacity, size_t* out_required) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  try {
    const std::string json = capabilities_json(*state);
    plugin_support::copy_string_out(json.data(), json.size(), buffer, capacity, out_required);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_INTERNAL, "cuda capabilities failed: %s", error.what());
  }
  return DC_STATUS_OK;
}

/// Waits for every stream of the device (the context's, which covers the plugin's streams).
dc_status synchronize(int32_t device) {
  DeviceState* state = nullptr;
  if (dc_status status = activate(device, &state)) return status;
  return check(driver().cuCtxSynchronize(), "cuCtxSynchronize");
}

}  // namespace

dc_status query_device(DeviceState& state) noexcept {
  const DriverApi& api = driver();
  char name[256] = {};
  if (dc_status status =
          check(api.cuDeviceGetName(name, sizeof(name) - 1, state.handle), "cuDeviceGetName")) {
    return status;
  }
  size_t total = 0;
  if (dc_status status = check(api.cuDeviceTotalMem(&total, state.handle), "cuDeviceTotalMem")) {
    return status;
  }
  try {
    state.name = name;
  } catch (const std::exception&) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "out of host memory");
  }
  state.total_memory = total;
  state.compute_major = attribute(state, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0);
  state.compute_minor = attribute(state, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0);
  state.sm_count = attribute(state, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 1);
  state.max_threads_per_block = attribute(state, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1024);
  state.warp_size = attribute(state, CU_DEVICE_ATTRIBUTE_WARP_SIZE, 32);
  state.max_shared_per_block =
      attribute(state, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 48 << 10);
  state.max_shared_per_block_optin = attribute(
      state, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, state.max_shared_per_block);
  const CUdevice_attribute block_dims[3] = {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X,
                                            CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y,
                                            CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z};
  const CUdevice_attribute grid_dims[3] = {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X,
                                           CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y,
                                           CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z};
  for (int d = 0; d < 3; ++d) {
    state.max_block_dim[d] = attribute(state, block_dims[d], state.max_block_dim[d]);
    state.max_grid_dim[d] = attribute(state, grid_dims[d], state.max_grid_dim[d]);
  }
  if (state.sm_count < 1) state.sm_count = 1;
  return DC_STATUS_OK;
}

const dc_device_iface device_iface = {
    sizeof(dc_device_iface), count, info, capabilities, synchronize,
};

}  // namespace dotcompute::cuda
