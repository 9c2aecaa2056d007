// cpp/bindings/bind_memory.cpp
// The caching pool's statistics, limit and cache flushing, per device.
#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/caching_pool.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute::bindings {

namespace {

CachingPool& pool_of(py::handle device) {
  ResolvedDevice resolved = resolve_device(device_from_python(device));
  return resolved.plugin->pool(resolved.index);
}

}  // namespace

void bind_memory(py::module_& m) {
  m.def(
      "memory_stats",
      [](py::object device) {
        const PoolStats s = pool_of(device).stats();
        py::dict stats;
        stats["in_use"] = s.in_use;
        stats["requested"] = s.requested;
        stats["cached"] = s.cached;
        stats["reserved"] = s.reserved;
        stats["peak_in_use"] = s.peak_in_use;
        stats["hits"] = s.hits;
        stats["misses"] = s.misses;
        stats["segments"] = s.segments;
        stats["oom_retries"] = s.oom_retries;
        stats["limit"] = s.limit;
        return stats;
      },
      py::arg("device") = py::none(), "The caching pool's statistics of a device (bytes, counts).");
  m.def(
      "empty_cache",
      [](py::object device) {
        if (!device.is_none()) return pool_of(device).empty_cache();
        for (const auto& plugin : Registry::instance().plugins()) {
          for (int index = 0; index < plugin->device_count(); ++index) {
            plugin->pool(index).empty_cache();
          }
        }
      },
      py::arg("device") = py::none(),
      "Gives cached, unused memory back to the device (every device when none is named).");
  m.def(
      "set_memory_limit",
      [](uint64_t bytes, py::object device) { pool_of(device).set_limit(bytes); }, py::arg("bytes"),
      py::arg("device") = py::none(),
      "Caps the memory the pool may reserve on a device; 0 removes the cap.");
  m.def(
      "reset_peak_memory_stats", [](py::object device) { pool_of(device).reset_peak(); },
      py::arg("device") = py::none());
}

}  // namespace dotcompute::bindings
