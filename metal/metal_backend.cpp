// metal/metal_backend.cpp
// The Metal plugin's entry table: probe, initialize/shutdown and per-thread error messages, in
// plain C++ (the Metal calls behind them are in the *.mm files).
//
// Devices are numbered in the order MTLCopyAllDevices lists them: metal:0 is the first. Each
// device gets its own default command queue; memory, queues and pipelines belong to exactly
// one device, as the ABI's (device, handle) calls expect.
#include <cstdio>

#include "metal_backend.hpp"

namespace dotcompute::metal {
namespace {

std::mutex lifecycle_mutex;  // serializes initialize and shutdown
std::vector<std::unique_ptr<DeviceState>> devices;

dc_status probe(char* reason, size_t reason_capacity) {
  std::string why;
  const dc_status status = probe_devices(&why);
  if (status != DC_STATUS_OK && reason != nullptr && reason_capacity > 0) {
    std::snprintf(reason, reason_capacity, "%s", why.c_str());
  }
  return status;
}

dc_status initialize() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex);
  if (!devices.empty()) return DC_STATUS_OK;
  std::vector<std::unique_ptr<DeviceState>> created;
  if (dc_status status = create_devices(&created)) return status;
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

dc_status find_device(int32_t device, DeviceState** out) noexcept {
  *out = nullptr;
  if (device < 0 || static_cast<size_t>(device) >= devices.size()) {
    if (devices.empty()) return fail(DC_STATUS_UNAVAILABLE, "the metal backend is not initialized");
    return fail(DC_STATUS_INVALID_ARGUMENT, "metal has %zu device(s) (0..%zu); got device %d",
                devices.size(), devices.size() - 1, static_cast<int>(device));
  }
  *out = devices[static_cast<size_t>(device)].get();
  return DC_STATUS_OK;
}

namespace {

const dc_backend_iface backend_iface = {
    DC_ABI_MAJOR,
    DC_ABI_MINOR,
    sizeof(dc_backend_iface),
    0,
    "metal",
    "0.1.0",
    "Apple GPUs through Metal: MSL kernels built with newLibraryWithSource, pipelines kept in a "
    "binary archive, shared-storage buffers on unified memory, one command buffer per launch "
    "batch",
    probe,
    initialize,
    shutdown,
    last_error,
    &device_iface,
    &memory_iface,
    &stream_iface,
    &module_iface,
    nullptr,  // graph capture: the core replays work op by op
    nullptr,  // built-in ops: not yet (docs/metal.md)
};

}  // namespace
}  // namespace dotcompute::metal

extern "C" DC_PLUGIN_EXPORT const dc_backend_iface* dc_plugin_entry(void) {
  return &dotcompute::metal::backend_iface;
}
