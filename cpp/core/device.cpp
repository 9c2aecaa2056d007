// cpp/core/device.cpp
// Device spec parsing, the default device, and Device's lookups through the registry.
#include "dotcompute/device.hpp"

#include <cctype>
#include <mutex>
#include <vector>

#include "dotcompute/errors.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute {

namespace {

std::mutex default_device_mutex;
DeviceSpec default_device{"cpu", 0};

bool is_backend_name(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

std::string DeviceSpec::str() const {
  // The CPU is one device; its spec has no index (DESIGN §3: "cpu", "cuda:0").
  if (backend == "cpu" && index == 0) return backend;
  return backend + ":" + std::to_string(index);
}

DeviceSpec parse_device_spec(const std::string& text) {
  const std::string hint =
      "a device spec is a backend name with an optional index, like 'cpu', 'cuda' or 'cuda:1'";
  const auto colon = text.find(':');
  DeviceSpec spec;
  spec.backend = text.substr(0, colon);
  if (!is_backend_name(spec.backend))
    raise(ErrorKind::Device, "invalid device '" + text + "': " + hint);
  if (colon == std::string::npos) return spec;
  const std::string index_text = text.substr(colon + 1);
  if (index_text.empty() || index_text.size() > 6) {
    raise(ErrorKind::Device, "invalid device '" + text + "': " + hint);
  }
  int index = 0;
  for (char c : index_text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      raise(ErrorKind::Device, "invalid device '" + text + "': " + hint);
    }
    index = index * 10 + (c - '0');
  }
  spec.index = index;
  return spec;
}

ResolvedDevice resolve_device(const DeviceSpec& spec) {
  std::shared_ptr<Plugin> plugin = Registry::instance().get(spec.backend);
  if (spec.index < 0 || spec.index >= plugin->device_count()) {
    raise(ErrorKind::Device, "device '" + spec.str() + "' does not exist: backend '" +
                                 spec.backend + "' has " + std::to_string(plugin->device_count()) +
                                 " device(s)");
  }
  return {std::move(plugin), spec.index};
}

std::shared_ptr<Plugin> Device::plugin() const { return resolve_device(spec_).plugin; }

dc_device_info Device::info() const {
  ResolvedDevice resolved = resolve_device(spec_);
  dc_device_info info{};
  info.struct_size = sizeof(dc_device_info);
  resolved.plugin->check(resolved.plugin->iface().device->info(resolved.index, &info),
                         "device info");
  info.name[sizeof(info.name) - 1] = '\0';
  info.vendor[sizeof(info.vendor) - 1] = '\0';
  return info;
}

std::string Device::capabilities_json() const {
  ResolvedDevice resolved = resolve_device(spec_);
  const dc_device_iface& table = *resolved.plugin->iface().device;
  size_t required = 0;
  resolved.plugin->check(table.capabilities(resolved.index, nullptr, 0, &required),
                         "device capabilities");
  std::vector<char> text(required + 1, '\0');
  resolved.plugin->check(table.capabilities(resolved.index, text.data(), text.size(), &required),
                         "device capabilities");
  return std::string(text.data());
}

void Device::synchronize() const {
  ResolvedDevice resolved = resolve_device(spec_);
  resolved.plugin->check(resolved.plugin->iface().device->synchronize(resolved.index),
                         "synchronize");
}

DeviceSpec default_device_spec() {
  std::lock_guard<std::mutex> lock(default_device_mutex);
  return default_device;
}

void set_default_device_spec(const DeviceSpec& spec) {
  resolve_device(spec);  // refuse a device that does not exist now
  std::lock_guard<std::mutex> lock(default_device_mutex);
  default_device = spec;
}

}  // namespace dotcompute
