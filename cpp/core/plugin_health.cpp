// cpp/core/plugin_health.cpp
// Health check of a plugin's devices (DESIGN §2 "Lifecycle"): memory round trip plus a tiny add.
#include "dotcompute/plugin_health.hpp"

#include <chrono>
#include <cstring>
#include <random>

#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

constexpr uint64_t kRoundTripBytes = 4096;
constexpr uint64_t kAddElements = 64;

/// A raw buffer of the plugin, released on scope exit.
class RawBuffer {
 public:
  RawBuffer(const Plugin& plugin, int device, uint64_t bytes) : plugin_(plugin), device_(device) {
    plugin.check(plugin.iface_unchecked().memory->allocate(device, bytes, &buffer_), "allocate");
  }
  ~RawBuffer() {
    if (buffer_ != nullptr) plugin_.iface_unchecked().memory->release(device_, buffer_);
  }
  RawBuffer(const RawBuffer&) = delete;
  RawBuffer& operator=(const RawBuffer&) = delete;
  dc_buffer_view view() const noexcept { return {buffer_, 0}; }

 private:
  const Plugin& plugin_;
  int device_;
  dc_buffer buffer_ = nullptr;
};

/// Throws Error(Generic) naming the problem; returns normally when the device is healthy.
void check_device(const Plugin& plugin, int device) {
  const dc_backend_iface& table = plugin.iface_unchecked();
  const dc_memory_iface& memory = *table.memory;

  std::vector<uint8_t> sent(kRoundTripBytes), received(kRoundTripBytes, 0);
  std::mt19937 random(std::random_device{}());
  for (uint8_t& byte : sent) byte = static_cast<uint8_t>(random());
  {
    RawBuffer buffer(plugin, device, kRoundTripBytes);
    plugin.check(memory.copy_from_host(device, nullptr, buffer.view(), sent.data(), sent.size()),
                 "copy_from_host");
    plugin.check(
        memory.copy_to_host(device, nullptr, received.data(), buffer.view(), received.size()),
        "copy_to_host");
    if (std::memcmp(sent.data(), received.data(), sent.size()) != 0) {
      raise(ErrorKind::Generic, "copy_to_host returned other bytes than copy_from_host stored");
    }
  }

  if (table.ops == nullptr) return;
  // Halves and small integers: every sum is exact in float32, so the check can be exact too.
  std::vector<float> a(kAddElements), b(kAddElements), sum(kAddElements, 0.0f);
  for (uint64_t i = 0; i < kAddElements; ++i) {
    a[i] = static_cast<float>(i) * 0.5f;
    b[i] = 3.0f - static_cast<float>(i);
  }
  const uint64_t bytes = kAddElements * sizeof(float);
  RawBuffer buffer_a(plugin, device, bytes), buffer_b(plugin, device, bytes),
      buffer_sum(plugin, device, bytes);
  plugin.check(memory.copy_from_host(device, nullptr, buffer_a.view(), a.data(), bytes),
               "copy_from_host");
  plugin.check(memory.copy_from_host(device, nullptr, buffer_b.view(), b.data(), bytes),
               "copy_from_host");
  const dc_status status =
      table.ops->binary(device, nullptr, DC_BINARY_ADD, DC_DTYPE_FLOAT32, buffer_a.view(),
                        buffer_b.view(), buffer_sum.view(), kAddElements);
  if (status == DC_STATUS_UNSUPPORTED) return;  // an ops table need not cover float32
  plugin.check(status, "add");
  plugin.check(memory.copy_to_host(device, nullptr, sum.data(), buffer_sum.view(), bytes),
               "copy_to_host");
  for (uint64_t i = 0; i < kAddElements; ++i) {
    if (sum[i] != a[i] + b[i]) {
      raise(ErrorKind::Generic, "add gave " + std::to_string(sum[i]) + " at index " +
                                    std::to_string(i) + ", expected " +
                                    std::to_string(a[i] + b[i]));
    }
  }
}

}  // namespace

std::vector<DeviceHealth> check_plugin_health(const std::shared_ptr<Plugin>& plugin) {
  std::vector<DeviceHealth> results;
  // Counts as a live object for the duration, so an unload or retire cannot close the plugin
  // under the check.
  PluginObject hold(plugin, ObjectKind::Buffer);
  for (int device = 0; device < plugin->device_count(); ++device) {
    DeviceHealth health;
    health.device = device;
    const auto start = std::chrono::steady_clock::now();
    try {
      check_device(*plugin, device);
      health.ok = true;
      health.message = "ok";
    } catch (const std::exception& error) {
      health.message = error.what();
    }
    health.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    results.push_back(std::move(health));
  }
  return results;
}

}  // namespace dotcompute
