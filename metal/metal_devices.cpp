// metal/metal_devices.cpp
// The device table in plain C++: dc_device_info and the capabilities JSON from the facts that
// metal_discovery.mm read at initialize, and device-wide synchronization.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "metal_backend.hpp"

namespace dotcompute::metal {
namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

const char* flag(bool value) { return value ? "true" : "false"; }

/// The facts a compiled pipeline depends on: the kernel cache keys images with it.
std::string compiler_identity(const DeviceState& state) {
  return "metal " + state.name + " registry " + std::to_string(state.registry_id) + " MSL " +
         state.msl_version + " macOS " + state.os_version;
}

std::string capabilities_json(const DeviceState& state) {
  std::string families;
  for (const std::string& family : state.gpu_families) {
    families += (families.empty() ? "" : ", ") + json_string(family);
  }
  const bool float_atomics = state.msl_version >= std::string("3.0");
  std::string json = "{";
  json += "\"unified_memory\": " + std::string(flag(state.unified_memory));
  json += ", \"storage_mode\": " + json_string(state.unified_memory ? "shared" : "private");
  json +=
      ", \"recommended_max_working_set_size\": " + std::to_string(state.recommended_working_set);
  json += ", \"max_buffer_length\": " + std::to_string(state.max_buffer_length);
  json += ", \"max_threads_per_threadgroup\": [" +
          std::to_string(state.max_threads_per_threadgroup[0]) + ", " +
          std::to_string(state.max_threads_per_threadgroup[1]) + ", " +
          std::to_string(state.max_threads_per_threadgroup[2]) + "]";
  json += ", \"threadgroup_memory_length\": " + std::to_string(state.threadgroup_memory);
  json += ", \"gpu_families\": [" + families + "]";
  json += ", \"msl_version\": " + json_string(state.msl_version);
  json += ", \"low_power\": " + std::string(flag(state.low_power));
  json += ", \"removable\": " + std::string(flag(state.removable));
  json += ", \"registry_id\": " + std::to_string(state.registry_id);
  json += ", \"binary_archive\": " + std::string(flag(state.binary_archive != nullptr));
  json += ", \"fp64\": false";
  json += ", \"int64_atomics\": false";
  json += ", \"float_atomics\": " + std::string(flag(float_atomics));
  json += ", \"compiler_identity\": " + json_string(compiler_identity(state));
  return json + "}";
}

dc_status count(int32_t* out_count) {
  if (out_count == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_count is NULL");
  int32_t total = 0;
  DeviceState* state = nullptr;
  while (find_device(total, &state) == DC_STATUS_OK) ++total;
  *out_count = total;
  return DC_STATUS_OK;
}

dc_status info(int32_t device, dc_device_info* out_info) {
  if (out_info == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_info is NULL");
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  const uint32_t struct_size = out_info->struct_size;
  std::memset(out_info, 0, sizeof(*out_info));
  out_info->struct_size = struct_size;
  // Metal does not report a GPU core count; 1 says "unknown" without dividing by zero anywhere.
  out_info->compute_units = 1;
  out_info->memory_total = state->recommended_working_set;
  // Buffers from newBufferWithLength are page aligned; the pool carves 256-byte blocks, which
  // also satisfies setBuffer:offset:atIndex:'s alignment rules for every element type.
  out_info->memory_alignment = 256;
  out_info->host_visible = state->unified_memory ? 1 : 0;
  out_info->max_work_group_size = state->max_threads_per_threadgroup[0];
  std::snprintf(out_info->name, sizeof(out_info->name), "%s", state->name.c_str());
  std::snprintf(out_info->vendor, sizeof(out_info->vendor), "%s", "Apple");
  return DC_STATUS_OK;
}

dc_status capabilities(int32_t device, char* buffer, size_t capacity, size_t* out_required) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  std::string json;
  try {
    json = capabilities_json(*state);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_OUT_OF_MEMORY, "capabilities: %s", error.what());
  }
  plugin_support::copy_string_out(json.data(), json.size(), buffer, capacity, out_required);
  return DC_STATUS_OK;
}

dc_status synchronize(int32_t device) {
  DeviceState* state = nullptr;
  if (dc_status status = find_device(device, &state)) return status;
  if (dc_status status = finish_stream(*state->default_stream)) return status;
  std::vector<MetalStream*> streams;
  {
    std::lock_guard<std::mutex> lock(state->streams_mutex);
    streams.assign(state->streams.begin(), state->streams.end());
  }
  for (MetalStream* stream : streams) {
    if (dc_status status = finish_stream(*stream)) return status;
  }
  return DC_STATUS_OK;
}

}  // namespace

const dc_device_iface device_iface = {
    sizeof(dc_device_iface), count, info, capabilities, synchronize,
};

}  // namespace dotcompute::metal
