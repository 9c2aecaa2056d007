// cpp/bindings/bind_memory.cpp
// The caching pool's statistics, limit and cache flushing, per device; page-locked host arrays.
#include <vector>

#include "bindings.hpp"
#include "conversions.hpp"
#include "dotcompute/caching_pool.hpp"
#include "dotcompute/device.hpp"
#include "dotcompute/dtype.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/pinned_pool.hpp"
#include "dotcompute/registry.hpp"

namespace dotcompute::bindings {

namespace {

CachingPool& pool_of(py::handle device) {
  ResolvedDevice resolved = resolve_device(device_from_python(device));
  return resolved.plugin->pool(resolved.index);
}

/// The plugin whose pinned pool serves `device`: the named device's, else the default device's
/// when it has one, else the first loaded backend with page-locked memory.
std::shared_ptr<Plugin> pinned_plugin(py::handle device) {
  if (!device.is_none()) return resolve_device(device_from_python(device)).plugin;
  std::shared_ptr<Plugin> fallback = resolve_device(default_device_spec()).plugin;
  if (PinnedPool::supported(fallback->iface())) return fallback;
  for (const auto& plugin : Registry::instance().plugins()) {
    if (PinnedPool::supported(plugin->iface())) return plugin;
  }
  raise(ErrorKind::Unsupported,
        "no loaded backend has page-locked host memory (the cuda backend does); on the CPU, "
        "plain numpy arrays are already host memory");
}

/// Keeps a pinned block (and its plugin) alive while a numpy array uses it.
struct PinnedHolder {
  PluginObject object;
  void* pointer;
  ~PinnedHolder() { object.plugin().pinned_pool().release(pointer); }
};

py::array empty_pinned(py::handle shape_object, py::handle dtype_object, py::handle device) {
  const Shape shape = shape_from_python(shape_object);
  const dc_dtype dtype = dtype_from_python(dtype_object);
  std::shared_ptr<Plugin> plugin = pinned_plugin(device);
  const uint64_t bytes = static_cast<uint64_t>(checked_element_count(shape)) * dtype_size(dtype);
  PinnedPool& pool = plugin->pinned_pool();
  void* pointer = pool.allocate(bytes > 0 ? bytes : 1);
  auto* holder = new PinnedHolder{PluginObject(plugin, ObjectKind::Buffer), pointer};
  py::capsule owner(holder, [](void* p) { delete static_cast<PinnedHolder*>(p); });
  std::vector<py::ssize_t> extents(shape.begin(), shape.end());
  return py::array(numpy_dtype(dtype), extents, pointer, owner);
}

py::dict pinned_stats(py::handle device) {
  const PinnedStats s = pinned_plugin(device)->pinned_pool().stats();
  py::dict stats;
  stats["in_use"] = s.in_use;
  stats["cached"] = s.cached;
  stats["hits"] = s.hits;
  stats["misses"] = s.misses;
  return stats;
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
        if (!device.is_none()) {
          ResolvedDevice resolved = resolve_device(device_from_python(device));
          resolved.plugin->pool(resolved.index).empty_cache();
          if (PinnedPool* pinned = resolved.plugin->pinned_pool_if_created()) {
            pinned->empty_cache();
          }
          return;
        }
        for (const auto& plugin : Registry::instance().plugins()) {
          for (int index = 0; index < plugin->device_count(); ++index) {
            plugin->pool(index).empty_cache();
          }
          if (PinnedPool* pinned = plugin->pinned_pool_if_created()) pinned->empty_cache();
        }
      },
      py::arg("device") = py::none(),
      "Gives cached, unused memory back to the device and its backend's pinned host pool (every "
      "device when none is named).");
  m.def("empty_pinned", &empty_pinned, py::arg("shape"), py::arg("dtype") = "float32",
        py::arg("device") = py::none(),
        "A numpy array in page-locked host memory from the backend's pinned pool, for fast "
        "transfers (CUDA); the block returns to the pool when the array is freed.");
  m.def("pinned_memory_stats", &pinned_stats, py::arg("device") = py::none(),
        "The pinned host pool's statistics of the device's backend (bytes, counts).");
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
