// cpp/include/dotcompute/plugin_health.hpp
// Per-device health check of a loaded plugin: a tiny round trip through its memory (and ops) table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dotcompute/plugin.hpp"

namespace dotcompute {

/// The outcome for one device; a failing device is reported here, never thrown.
struct DeviceHealth {
  int device = 0;
  bool ok = false;
  double seconds = 0.0;
  std::string message;  ///< "ok", or what went wrong ("copy_to_host returned other bytes")
};

/// Allocates a small buffer on every device of plugin, copies random bytes in and out and
/// compares them; when the plugin has an ops table, also adds two float32 arrays and checks the
/// sums. Uses the raw memory table (not the caching pool), so pool state does not hide faults.
std::vector<DeviceHealth> check_plugin_health(const std::shared_ptr<Plugin>& plugin);

}  // namespace dotcompute
