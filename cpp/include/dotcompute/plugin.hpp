// cpp/include/dotcompute/plugin.hpp
// One loaded backend plugin: its entry table, its devices' caching pools and its live objects.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dotcompute/backend_abi.h"

namespace dotcompute {

class CachingPool;
class PinnedPool;

/// Objects that keep a plugin loaded while they live (DESIGN §2 "Lifecycle").
enum class ObjectKind { Buffer = 0, Module = 1, Stream = 2, Event = 3, Graph = 4 };

/// How many ObjectKind values there are.
constexpr int kObjectKindCount = 5;

/// Note [Plugin lifetime]
/// Every buffer, module, stream, event and graph holds a PluginObject, i.e. a shared_ptr to its
/// Plugin plus a count in live_objects(). unload() is refused while that count is not zero.
/// reload() marks the old Plugin as retiring and registers the new one under the same name: new
/// work resolves the name to the new Plugin, old objects keep using the old one, and the old one
/// closes itself (empties its pools, calls shutdown, dlcloses) as soon as its last live object is
/// gone.
class Plugin {
 public:
  /// Takes ownership of a dlopen handle whose entry table was already checked and initialized.
  Plugin(void* library_handle, const dc_backend_iface* iface, std::string path, std::string origin,
         std::string sha256);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& path() const noexcept { return path_; }
  const std::string& version() const noexcept { return version_; }
  const std::string& description() const noexcept { return description_; }
  /// Where it came from: "builtin", "DOTCOMPUTE_PLUGIN_PATH", "entry point NAME", "load()".
  const std::string& origin() const noexcept { return origin_; }
  const std::string& sha256() const noexcept { return sha256_; }
  uint32_t abi_minor() const noexcept { return abi_minor_; }

  /// The entry table; throws Error(Device) once the plugin is closed.
  const dc_backend_iface& iface() const;
  /// Same, without the check, for hot paths whose caller holds a live object of this plugin.
  const dc_backend_iface& iface_unchecked() const noexcept { return *iface_; }

  bool is_open() const noexcept { return open_.load(std::memory_order_acquire); }
  bool is_retiring() const noexcept { return retiring_.load(std::memory_order_acquire); }
  int device_count() const noexcept { return device_count_; }

  /// The caching pool of one device (created on first use). Throws Error(Device) for a bad index.
  CachingPool& pool(int device);
  /// The page-locked host pool (created on first use); throws Error(Unsupported) when the plugin
  /// has no host_allocate slot.
  PinnedPool& pinned_pool();
  /// The pinned pool if one was created, else nullptr (for hot paths that must not create it).
  PinnedPool* pinned_pool_if_created() const noexcept {
    return pinned_.load(std::memory_order_acquire);
  }

  void add_object(ObjectKind kind) noexcept;
  void remove_object(ObjectKind kind) noexcept;
  size_t live_objects() const noexcept;
  /// "2 buffers, 1 stream" (empty when none).
  std::string live_objects_summary() const;

  /// Throws the Error matching status, with the plugin's last_error message, when not OK.
  void check(dc_status status, const char* operation) const;

  /// Marks the plugin as replaced by a reload: it closes when its last live object dies.
  void retire();
  /// Empties the pools, calls shutdown and dlcloses. Idempotent. Callers make sure no live
  /// objects remain (the registry refuses otherwise).
  void close();

 private:
  void* library_handle_;
  const dc_backend_iface* iface_;
  std::string name_, path_, version_, description_, origin_, sha256_;
  uint32_t abi_minor_;
  int device_count_ = 0;
  std::atomic<bool> open_{true};
  std::atomic<bool> retiring_{false};
  std::atomic<int64_t> live_[kObjectKindCount] = {};
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<CachingPool>> pools_;
  std::unique_ptr<PinnedPool> pinned_owner_;
  std::atomic<PinnedPool*> pinned_{nullptr};
};

/// A live object's hold on its plugin (RAII: counts in Plugin::live_objects()).
class PluginObject {
 public:
  PluginObject(std::shared_ptr<Plugin> plugin, ObjectKind kind);
  ~PluginObject();
  PluginObject(const PluginObject&) = delete;
  PluginObject& operator=(const PluginObject&) = delete;
  Plugin& plugin() const noexcept { return *plugin_; }
  const std::shared_ptr<Plugin>& shared() const noexcept { return plugin_; }

 private:
  std::shared_ptr<Plugin> plugin_;
  ObjectKind kind_;
};

}  // namespace dotcompute
