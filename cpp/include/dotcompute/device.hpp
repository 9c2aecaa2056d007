// cpp/include/dotcompute/device.hpp
// Device specs ("cpu", "cuda:1") and the Device handle that resolves them through the registry.
#pragma once

#include <memory>
#include <string>

#include "dotcompute/backend_abi.h"
#include "dotcompute/plugin.hpp"

namespace dotcompute {

/// A device is (backend, index); its text form is the spec string of DESIGN §3.
struct DeviceSpec {
  std::string backend;
  int index = 0;

  std::string str() const;
  bool operator==(const DeviceSpec& other) const {
    return backend == other.backend && index == other.index;
  }
};

/// Parses "cpu", "cuda", "cuda:1". Throws Error(Device) for a malformed spec.
DeviceSpec parse_device_spec(const std::string& text);

/// A handle on a device. It stores only the spec and looks its plugin up in the registry on each
/// use, so work after a hot reload goes to the new plugin and use after unload is a clear error.
class Device {
 public:
  explicit Device(DeviceSpec spec) : spec_(std::move(spec)) {}

  const DeviceSpec& spec() const noexcept { return spec_; }
  /// The backend's current plugin; throws Error(Device) when unloaded or the index is out of
  /// range, Error(BackendUnavailable) when the backend was rejected.
  std::shared_ptr<Plugin> plugin() const;
  dc_device_info info() const;
  /// The plugin's capabilities JSON text.
  std::string capabilities_json() const;
  void synchronize() const;

 private:
  DeviceSpec spec_;
};

/// The device used when none is named; "cpu" until set_default_device.
DeviceSpec default_device_spec();
void set_default_device_spec(const DeviceSpec& spec);

/// Resolves an optional spec text (empty = the default device) to a plugin and device index.
struct ResolvedDevice {
  std::shared_ptr<Plugin> plugin;
  int index;
};
ResolvedDevice resolve_device(const DeviceSpec& spec);

}  // namespace dotcompute
